"""Forward-pass speed, size and memory of the five variants vs RealBasicVSR (thesis Table 5.1).

All models are timed in one process, on the same device and threads, interleaved round by
round so that machine noise hits every model alike; medians (and min-max) are printed with
the ratios RealBasicVSR / ours measured in the same run.

    python benchmarks/bench_models.py                      # CPU, 180x320 input
    python benchmarks/bench_models.py --size 270x480 --frames 5 --repeats 3
    python benchmarks/bench_models.py --device cuda --size 2160x3840 --dtype bf16

Rows:
  * each variant on the full-size input ``(t, 3, H, W)`` -> ``(t, 3, H, W)``;
  * ``RealBasicVSRNet(64, 20)`` on the same input (-> 4x larger output);
  * ``RealBasicVSRNet(64, 20)`` on the 1/4 input (-> output of our size, the thesis's
    protocol for the baselines);
  * ``default_lite (shipped)``: the generator of the default model's config, the compact
    model ``tools/restore_video.py`` uses by default (light full-resolution head, SPyNet
    on 1/8 frames, noise-aware DCT shrinkage and denoise head; not one of the thesis's
    variants).
Per 5-frame sub-sequence the cleaning-module and BasicVSR times are reported separately
(Table 5.1's columns). Weights are random: speed does not depend on them.
"""
import argparse
import json
import os
import statistics
import sys
import threading
import time

import torch
import torch.nn.functional as F

import mmrestore.registry  # noqa: F401
from mmagic.models.editors import RealBasicVSRNet
from mmrestore.models import UNetRealBasicVSRNet

VARIANTS = {
    '2lev_1res_wS': (2, 1, True),
    '3lev_1res_wS': (3, 1, True),
    '3lev_1res_woS': (3, 1, False),
    '3lev_2res_wS': (3, 2, True),
    '4lev_1res_wS': (4, 1, True),
}


DEFAULT_LITE = 'default_lite (shipped)'


def build(name):
    if name == DEFAULT_LITE:
        from mmagic.registry import MODELS
        from mmrestore.apis.model_loader import DEFAULT_CONFIG, generator_config
        return MODELS.build(generator_config(DEFAULT_CONFIG)[0]).eval()
    if name.startswith('RealBasicVSR'):
        model = RealBasicVSRNet(64, 20, 20, dynamic_refine_thres=255)
    else:
        lev, blocks, skip = VARIANTS[name]
        model = UNetRealBasicVSRNet(cleaning_levels=lev, cleaning_blocks=blocks,
                                    cleaning_skip=skip)
    return model.eval()


def model_input(name, frames):
    """RealBasicVSR on the 1/4 input gets the frames area-downsampled by 4."""
    if '1/4 input' in name:
        n, t, c, h, w = frames.shape
        return F.interpolate(frames.view(n * t, c, h, w), scale_factor=0.25,
                             mode='area').view(n, t, c, h // 4, w // 4)
    return frames


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def parts(model, x):
    """(cleaning time, BasicVSR time) of one 5-frame sub-sequence."""
    if isinstance(model, UNetRealBasicVSRNet):
        padded = model.pad(x)
        clean = lambda: model.clean(padded)  # noqa: E731
        cleaned = clean()
        rest = lambda: model.basicvsr(cleaned, padded)  # noqa: E731
    else:
        n, t, c, h, w = x.shape
        clean = lambda: (x.view(-1, c, h, w) + model.image_cleaning(  # noqa: E731
            x.view(-1, c, h, w))).view(n, t, c, h, w)
        cleaned = clean()
        rest = lambda: model.basicvsr(cleaned)  # noqa: E731
    times = []
    for fn in (clean, rest):
        sync(x.device)
        t0 = time.perf_counter()
        fn()
        sync(x.device)
        times.append(time.perf_counter() - t0)
    return times


def gmac_per_frame(model, x):
    """Multiply-accumulates per frame of one forward pass (convolutions, matmuls), counted
    by ``torch.utils.flop_counter``: the work, independent of the machine's load."""
    from torch.utils.flop_counter import FlopCounterMode
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops() / 2 / x.shape[1] / 1e9


def _rss_mib():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


def peak_memory(name, shape, device, dtype):
    """Peak memory of one forward pass: CUDA allocator peak, or on CPU the RSS growth
    sampled every 2 ms by a thread (large tensors are mmap-ed, so RSS follows them)."""
    model = build(name).to(device)
    x = model_input(name, torch.rand(shape, device=device))
    autocast = torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
        with torch.inference_mode(), autocast:
            model(x)
        return torch.cuda.max_memory_allocated(device) / 2**20
    base, peak, done = _rss_mib(), [0.], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mib())
            time.sleep(0.002)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    with torch.inference_mode(), autocast:
        model(x)
    done.set()
    thread.join()
    return max(peak[0], _rss_mib()) - base


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--size', default='180x320', help='HxW of the (full-size) input')
    parser.add_argument('--frames', type=int, nargs='+', default=[5, 50])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--dtype', default='fp32', choices=['fp32', 'bf16', 'fp16'])
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--models', nargs='+', default=None, help='subset of rows')
    parser.add_argument('--no-memory', action='store_true')
    parser.add_argument('--json', help='also write the results here')
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    # random weights can drive activations into subnormal floats, which are 10-100x slower
    # on x86 CPUs and would time the weights rather than the architecture
    torch.set_flush_denormal(True)
    device = torch.device(args.device)
    dtype = dict(fp32=torch.float32, bf16=torch.bfloat16, fp16=torch.float16)[args.dtype]
    h, w = map(int, args.size.lower().split('x'))
    names = args.models or (list(VARIANTS) + [DEFAULT_LITE, 'RealBasicVSR (same input)',
                                              'RealBasicVSR (1/4 input)'])
    models = {n: build(n).to(device) for n in names}
    if device.type == 'cuda':
        models = {n: m.to(memory_format=torch.channels_last) for n, m in models.items()}
    print(f'# torch {torch.__version__}, device {device}, threads {args.threads}, '
          f'dtype {args.dtype}, input {h}x{w}, frames {args.frames}, repeats {args.repeats}')

    results = {}
    autocast = torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32)
    with torch.inference_mode(), autocast:
        for t in args.frames:
            frames = torch.rand(1, t, 3, h, w, device=device)
            inputs = {n: model_input(n, frames) for n in names}
            for n in names:  # warm-up
                models[n](inputs[n][:, :2])
            times = {n: [] for n in names}
            for _ in range(args.repeats):  # interleaved rounds
                for n in names:
                    sync(device)
                    t0 = time.perf_counter()
                    models[n](inputs[n])
                    sync(device)
                    times[n].append(time.perf_counter() - t0)
            for n in names:
                results.setdefault(n, {})[f'{t}f'] = times[n]
        sub = {n: [parts(models[n], model_input(n, torch.rand(1, 5, 3, h, w, device=device)))
                   for _ in range(args.repeats)] for n in names}

    params = {n: sum(p.numel() for p in m.parameters() if p.requires_grad)
              for n, m in models.items()}
    gmac = {n: gmac_per_frame(models[n], model_input(n, torch.rand(1, 5, 3, h, w,
                                                                    device=device)))
            for n in names}
    memory = {} if args.no_memory else {
        n: peak_memory(n, (1, args.frames[0], 3, h, w), device, dtype) for n in names}

    ref_same = results.get('RealBasicVSR (same input)')
    ref_quarter = results.get('RealBasicVSR (1/4 input)')
    header = ['model', 'params'] + [f'{t}f median s (min-max)' for t in args.frames]
    if ref_same:
        header.append(f'RBVSR same / ours ({args.frames[-1]}f)')
    if ref_quarter:
        header.append(f'RBVSR 1/4 / ours ({args.frames[-1]}f)')
    header += ['GMAC /frame', 'cleaning s /5f', 'BasicVSR s /5f',
               f'peak MiB ({args.frames[0]}f)']
    print('| ' + ' | '.join(header) + ' |')
    print('|' + '---|' * len(header))
    last = f'{args.frames[-1]}f'
    for n in names:
        row = [n, f'{params[n]:,}']
        for t in args.frames:
            ts = results[n][f'{t}f']
            row.append(f'{statistics.median(ts):.3f} ({min(ts):.3f}-{max(ts):.3f})')
        med = statistics.median(results[n][last])
        if ref_same:
            row.append(f'{statistics.median(ref_same[last]) / med:.2f}x')
        if ref_quarter:
            row.append(f'{statistics.median(ref_quarter[last]) / med:.2f}x')
        row.append(f'{gmac[n]:.1f}')
        row.append(f'{statistics.median(s[0] for s in sub[n]):.4f}')
        row.append(f'{statistics.median(s[1] for s in sub[n]):.4f}')
        row.append(f'{memory.get(n, float("nan")):.0f}')
        print('| ' + ' | '.join(row) + ' |')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(args=vars(args), times=results, parts=sub, params=params, gmac=gmac,
                           memory_mib=memory), f, indent=1)
    return 0


if __name__ == '__main__':
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    sys.exit(main())
