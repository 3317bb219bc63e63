"""End-to-end ``restore_video`` throughput vs MMagic's ``VideoRestorationInferencer``.

A 1080p clip is made from the bundled footage (bigbuckbunny.mp4 upscaled to 1920x1080,
libx264) together with its 1/4-size version (480x270, the thesis's protocol for the x4
RealBasicVSR baseline). In one process, interleaved round by round, it times:

  * ours, fast path     ``restore_video`` (decode/encode threads, reuse of cleaned frames
                        and SPyNet flows over pass overlaps, inference_mode);
  * ours, threads only  the same with ``reuse=False`` (decode/encode threads alone);
  * ours, plain         ``restore_video`` with ``background_io=False, reuse=False``;
  * MMagic inferencer   ``VideoRestorationInferencer`` running ``RealBasicVSR`` of the
                        same width on the 1/4 clip, writing the 1080p video;
  * ours, shipped model with ``--default-model``: ``restore_video`` with no config, i.e.
                        the compact trained model of ``mmrestore/model_zoo/default_lite.py`` (fast
                        path), against the same MMagic row;

and prints frames/s (median, min-max), the ratios measured in the same run, and the share
of time in decode / model / encode of the plain path. Weights are random (speed does not
depend on them); the width is an option because the full model (64 channels, 20 blocks)
takes tens of seconds per 1080p frame on a small CPU. ``--rss`` also runs
``bench_restore_memory.py`` (peak RSS, 100 vs 1,000 frames).

    python benchmarks/bench_restore.py                                   # CPU, 20 frames
    python benchmarks/bench_restore.py --frames 30 --mid-channels 16 --blocks 5 --rounds 3
    python benchmarks/bench_restore.py --device cuda --mid-channels 64 --blocks 20 \\
        --frames 100 --dtype bf16 --compile                            # a GPU
"""
import argparse
import contextlib
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
import mmrestore.registry  # noqa: E402,F401
from mmrestore.apis import RestoreSettings, restore_video  # noqa: E402
from mmrestore.apis import restorer as restorer_mod  # noqa: E402
from mmrestore.apis import sequence_runner  # noqa: E402
from mmrestore import video  # noqa: E402


def make_clips(folder, frames, size):
    """bigbuckbunny upscaled to ``size`` (h, w) and its 1/4-size version, ``frames`` long."""
    rgb = video.read_frames(video.bundled_clip('bigbuckbunny.mp4'), 0, frames)
    rgb = (rgb * (frames // len(rgb) + 1))[:frames]
    h, w = size
    paths = []
    for name, (hh, ww), interp in (('clip_1080p.mp4', (h, w), cv2.INTER_CUBIC),
                                   ('clip_quarter.mp4', (h // 4, w // 4), cv2.INTER_AREA)):
        path = osp.join(folder, name)
        video.write_video(path, (cv2.resize(f, (ww, hh), interpolation=interp) for f in rgb),
                          25, video.EncoderSettings('libx264', 'yuv420p', 18, 'veryfast'))
        paths.append(path)
    return paths


class Timers:
    """Wall time spent in decode / model / encode, by wrapping the restorer's pieces."""

    def __init__(self):
        self.t = dict(decode=0., model=0., encode=0.)

    def wrap(self, owner, name, part):
        fn = getattr(owner, name)

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.t[part] += time.perf_counter() - t0

        setattr(owner, name, timed)
        return owner, name, fn

    @contextlib.contextmanager
    def installed(self):
        saved = [self.wrap(video.FrameSource, 'window', 'decode'),
                 self.wrap(sequence_runner.SequenceRunner, '_guarded', 'model'),
                 self.wrap(video.SegmentWriter, 'write', 'encode'),
                 self.wrap(video.SegmentWriter, 'close', 'encode'),
                 self.wrap(restorer_mod, 'join_segments', 'encode')]
        try:
            yield self
        finally:
            for owner, name, fn in saved:
                setattr(owner, name, fn)


def ours(src, out, args, background, reuse, timers=None, shipped=False):
    """Time ``restore_video``: the ``--config`` model at ``--mid-channels``/``--blocks``
    with random weights, or (``shipped``) the default model with its checkpoint."""
    opts = None if shipped else {
        'model.generator.mid_channels': args.mid_channels,
        'model.generator.num_propagation_blocks': args.blocks,
        'model.generator.realbasicvsr_pretrained': None,
        'model.generator.spynet_pretrained': None}
    config = None if shipped else str(REPO / 'configs' / args.config)
    settings = RestoreSettings(config=config, cfg_options=opts, device=args.device,
                               dtype=args.dtype,
                               max_seq_len=args.max_seq_len, chunk_frames=args.chunk_frames,
                               overlap=args.overlap, overwrite=True, background_io=background,
                               reuse=reuse, compile=background and args.compile)
    with timers.installed() if timers else contextlib.nullcontext():
        t0 = time.perf_counter()
        restore_video(src, out, settings, progress=False)
        return time.perf_counter() - t0


def build_inferencer(args):
    from mmengine.config import Config

    from mmagic.apis.inferencers import VideoRestorationInferencer
    cfg = Config.fromfile(str(Path(__import__('mmagic').__file__).parent / '.mim/configs/'
                              'real_basicvsr/realbasicvsr_wogan-c64b20-2x30x8_8xb2-lr1e-4-'
                              '300k_reds.py'))
    cfg.model.generator.update(mid_channels=args.mid_channels,
                               num_propagation_blocks=args.blocks,
                               num_cleaning_blocks=args.blocks, spynet_pretrained=None,
                               dynamic_refine_thres=255)  # a single cleaning pass
    return VideoRestorationInferencer(cfg, None, device=args.device,
                                      extra_parameters=dict(max_seq_len=args.max_seq_len))


def mmagic_path(inferencer, src, out):
    t0 = time.perf_counter()
    with open(os.devnull, 'w') as null, contextlib.redirect_stdout(null):
        inferencer(video=src, result_out_dir=out)
    return time.perf_counter() - t0


def fmt(times, frames):
    fps = [frames / t for t in times]
    return statistics.median(fps), f'{statistics.median(fps):.3f} ({min(fps):.3f}-{max(fps):.3f})'


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--frames', type=int, default=20)
    p.add_argument('--size', default='1080x1920', help='HxW of the clip')
    p.add_argument('--config', default='2lev_1res_wS.py', help='in configs/')
    p.add_argument('--mid-channels', type=int, default=16)
    p.add_argument('--blocks', type=int, default=5, help='propagation (and RealBasicVSR '
                   'cleaning) residual blocks')
    p.add_argument('--device', default='cpu')
    p.add_argument('--dtype', default='fp32', choices=['fp32', 'bf16', 'fp16'])
    p.add_argument('--compile', action='store_true', help='torch.compile (CUDA)')
    p.add_argument('--max-seq-len', type=int, default=30)
    p.add_argument('--chunk-frames', type=int, default=100)
    p.add_argument('--overlap', type=int, default=4)
    p.add_argument('--rounds', type=int, default=2)
    p.add_argument('--threads', type=int, default=torch.get_num_threads())
    p.add_argument('--rss', action='store_true', help='also peak RSS, 100 vs 1,000 frames')
    p.add_argument('--default-model', action='store_true',
                   help='also time the shipped default model (mmrestore/model_zoo)')
    p.add_argument('--no-plain', action='store_true',
                   help='skip the "threads only" and "plain" rows (saves time)')
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    h, w = map(int, args.size.lower().split('x'))
    rows = {'ours, fast path': [], 'ours, threads only': [], 'ours, plain': [],
            'MMagic inferencer (1/4 input)': []}
    if args.no_plain:
        del rows['ours, threads only'], rows['ours, plain']
    if args.default_model:
        rows['ours, shipped default model (fast path)'] = []
    with tempfile.TemporaryDirectory() as tmp:
        src, quarter = make_clips(tmp, args.frames, (h, w))
        out = osp.join(tmp, 'out.mp4')
        inferencer = build_inferencer(args)
        print(f'# torch {torch.__version__}, device {args.device}, threads {args.threads}, '
              f'dtype {args.dtype}, {args.frames} frames {w}x{h}, model {args.config} '
              f'mid_channels {args.mid_channels} blocks {args.blocks} (random weights), '
              f'L={args.max_seq_len} Q={args.chunk_frames} K={args.overlap}, '
              f'rounds {args.rounds}', flush=True)
        timers = Timers()
        for r in range(args.rounds):  # interleaved: machine load hits all alike
            rows['ours, fast path'].append(ours(src, out, args, True, True))
            if not args.no_plain:
                rows['ours, threads only'].append(ours(src, out, args, True, False))
                rows['ours, plain'].append(ours(src, out, args, False, False, timers))
            if args.default_model:
                rows['ours, shipped default model (fast path)'].append(
                    ours(src, out, args, True, True, shipped=True))
            os.remove(out)
            rows['MMagic inferencer (1/4 input)'].append(mmagic_path(inferencer, quarter, out))
            print(f'round {r + 1}: ' + ', '.join(f'{k} {v[-1]:.1f} s' for k, v in rows.items()),
                  flush=True)
        got = cv2.VideoCapture(out)
        assert int(got.get(cv2.CAP_PROP_FRAME_WIDTH)) == w, 'inferencer output size'
    med = {}
    print('\n| path | frames/s median (min-max) |\n|---|---|')
    for k, v in rows.items():
        med[k], text = fmt(v, args.frames)
        print(f'| {k} | {text} |')
    base = med['MMagic inferencer (1/4 input)']
    print(f'\nfast / MMagic inferencer: {med["ours, fast path"] / base:.2f}x (target >= 2x)')
    if not args.no_plain:
        print(f'plain / MMagic: {med["ours, plain"] / base:.2f}x; fast / plain: '
              f'{med["ours, fast path"] / med["ours, plain"]:.2f}x; threads only / plain: '
              f'{med["ours, threads only"] / med["ours, plain"]:.2f}x')
        total = sum(timers.t.values())
        print('plain path time shares (sum of rounds): ' + ', '.join(
            f'{k} {v / total:.1%}' for k, v in timers.t.items()))
    if args.default_model:
        print('shipped default model / MMagic inferencer: '
              f'{med["ours, shipped default model (fast path)"] / base:.2f}x')
    if args.rss:
        subprocess.run([sys.executable, str(REPO / 'benchmarks/bench_restore_memory.py')],
                       check=False)
    return 0


if __name__ == '__main__':
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    sys.exit(main())
