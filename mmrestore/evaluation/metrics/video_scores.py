"""No-reference scores of a restored video against its source (used by tools/score_video.py)."""
from pathlib import Path
from typing import Dict, Iterator, List, Tuple, Union

import av
import cv2
import numpy as np

from .ma import MaModel, load_ma_model
from .mse_to_input import mse_to_input
from .pi import niqe_fits, pirm_scores
from .temporal_consistency import temporal_consistency
from .video_metric import sample_frame_indices

# (name, direction) of every reported score, in table order
SCORES = (('MSEToInput', 'lower = closer to input'), ('NIQE', 'lower is better'),
          ('Ma', 'higher is better'), ('PI', 'lower is better'),
          ('TemporalError', 'lower = steadier'))


def count_frames(path: Union[str, Path]) -> Tuple[int, int, int]:
    """(frames, height, width) of the first video stream; packets are counted if needed."""
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError(f'{path}: no video stream')
        stream = container.streams.video[0]
        h, w, n = stream.codec_context.height, stream.codec_context.width, stream.frames
        if n <= 0:
            n = sum(1 for p in container.demux(stream) if p.size)
    if n <= 0:
        raise ValueError(f'{path}: the video has no frames')
    return n, h, w


def iter_frames(path: Union[str, Path], wanted: List[int]) -> Iterator[Tuple[int, np.ndarray]]:
    """Decode ``path`` once and yield (index, RGB uint8 frame) for the wanted indices."""
    wanted_set, last = set(wanted), max(wanted)
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in wanted_set:
                yield i, frame.to_ndarray(format='rgb24')
            if i >= last:
                return


def score_videos(source: Union[str, Path], restored: Union[str, Path], num_frames: int = 10,
                 ma_model: Union[MaModel, str, Path, None] = None,
                 border: int = 4) -> Dict:
    """Score ``restored`` against ``source`` on ``num_frames`` evenly spaced frames.

    Per frame: MSE to input (PIRM Y, 0-255), NIQE, Ma and PI (Ma and PI only with a model)
    for both videos, and the temporal warping error between the frame and its
    predecessor (flow of the source). Both videos must have the same frame size.

    Returns:
        dict: 'frames' (indices), 'input' / 'restored' means per score, 'per_frame' lists,
        'ma_available' and the frame counts.
    """
    n_src, h_src, w_src = count_frames(source)
    n_res, h_res, w_res = count_frames(restored)
    if (h_src, w_src) != (h_res, w_res):
        raise ValueError(f'frame sizes differ: input {w_src}x{h_src}, restored {w_res}x{h_res}')
    n = min(n_src, n_res)
    frames = sample_frame_indices(n, int(num_frames))
    pairs = sorted({max(1, k) for k in frames}) if n > 1 else []
    needed = sorted(set(frames) | set(pairs) | {k - 1 for k in pairs})
    if ma_model is not None and not isinstance(ma_model, MaModel):
        ma_model = load_ma_model(ma_model)
    with_ma = ma_model is not None

    src = dict(iter_frames(source, needed))
    res = dict(iter_frames(restored, needed))
    missing = [k for k in needed if k not in src or k not in res]
    if missing:
        raise ValueError(f'could not decode frame {missing[0]} of both videos')

    # smaller clips than NIQE needs (after the border crop) get the other scores
    notes = []
    with_niqe = niqe_fits(h_src - 2 * border, w_src - 2 * border)
    if not with_niqe:
        notes.append(f'NIQE and PI: skipped (frames {w_src}x{h_src}: NIQE needs two 96x96 '
                     f'blocks after the {border}-pixel border crop)')
    per = {'input': {k: [] for k, _ in SCORES}, 'restored': {k: [] for k, _ in SCORES}}
    for k in frames:
        for side, frame in (('input', src[k]), ('restored', res[k])):
            for name, value in pirm_scores(frame, ma_model, 'RGB', border, with_ma,
                                           with_niqe).items():
                per[side][name].append(value)
        per['restored']['MSEToInput'].append(mse_to_input(res[k], src[k], 'Y', 'RGB', border))
    for k in pairs:
        guide = np.stack([src[k - 1], src[k]]).astype(np.float64)
        out = np.stack([res[k - 1], res[k]]).astype(np.float64)
        tc = temporal_consistency(out, guide, [1], border)
        per['restored']['TemporalError'].append(tc['TemporalError'])
        per['input']['TemporalError'].append(tc['TemporalErrorInput'])

    def mean(values):
        return float(np.nanmean(values)) if values else None

    return {
        'input_path': str(source), 'restored_path': str(restored),
        'num_frames': {'input': n_src, 'restored': n_res}, 'size': [h_src, w_src],
        'frames': frames, 'ma_available': with_ma, 'notes': notes,
        'input': {k: mean(v) for k, v in per['input'].items()},
        'restored': {k: mean(v) for k, v in per['restored'].items()},
        'per_frame': per,
    }


def format_table(result: Dict) -> str:
    """Plain-text table of :func:`score_videos`'s means: metric, direction, input, restored."""

    def fmt(v):
        return f'{v:10.4f}' if v is not None else f'{"n/a":>10}'

    lines = [f'{"metric":<14}{"direction":<26}{"input":>10}{"restored":>10}']
    for name, direction in SCORES:
        lines.append(f'{name:<14}{direction:<26}{fmt(result["input"][name])}'
                     f'{fmt(result["restored"][name])}')
    lines.append(f'frames scored: {", ".join(map(str, result["frames"]))} '
                 f'(of {min(result["num_frames"].values())})')
    if not result['ma_available']:
        lines.append('Ma and PI: n/a (no Ma model: pass --ma-model or set MMRESTORE_MA_MODEL)')
    lines += result.get('notes', [])
    return '\n'.join(lines)


def _detailed_windows(gray: np.ndarray, size: int, count: int = 2) -> List[Tuple[int, int]]:
    """Top-left corners of the ``count`` most textured, non-overlapping size x size windows."""
    h, w = gray.shape
    lap = np.abs(cv2.Laplacian(gray.astype(np.float32), cv2.CV_32F))
    energy = cv2.boxFilter(lap, -1, (size, size), normalize=True)
    half = size // 2
    energy = energy[half:h - size + half + 1, half:w - size + half + 1]
    corners = []
    for _ in range(count):
        y, x = np.unravel_index(np.argmax(energy), energy.shape)
        corners.append((int(y), int(x)))
        energy[max(0, y - size):y + size, max(0, x - size):x + size] = -1
    return corners


def comparison_figure(source: np.ndarray, restored: np.ndarray,
                      labels: Tuple[str, str] = ('input', 'restored'),
                      zoom_windows: int = 2) -> np.ndarray:
    """Before/after picture: the two frames side by side, then zoomed crops of each.

    Args:
        source (np.ndarray): (h, w, 3) RGB uint8 input frame.
        restored (np.ndarray): (h, w, 3) RGB uint8 restored frame.
        labels (tuple[str]): Captions. Default: ('input', 'restored').
        zoom_windows (int): Number of zoomed regions (the most textured ones). Default: 2.

    Returns:
        np.ndarray: RGB uint8 picture.
    """
    h, w = source.shape[:2]
    size = max(16, min(h, w) // 5)
    corners = _detailed_windows(cv2.cvtColor(source, cv2.COLOR_RGB2GRAY), size, zoom_windows)
    colours = [(255, 64, 64), (64, 200, 255), (255, 220, 0)]
    top = []
    for img, label in ((source, labels[0]), (restored, labels[1])):
        panel = img.copy()
        for (y, x), c in zip(corners, colours):
            cv2.rectangle(panel, (x, y), (x + size - 1, y + size - 1), c, max(1, h // 300))
        scale = max(0.4, h / 720)
        cv2.putText(panel, label, (8, int(30 * scale)), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), max(1, int(2 * scale)), cv2.LINE_AA)
        top.append(panel)
    top = np.concatenate(top, axis=1)
    # zoomed rows: for each window, input crop | restored crop, enlarged to half the width
    tile = w // zoom_windows
    rows = []
    for (y, x), c in zip(corners, colours):
        crops = [cv2.resize(img[y:y + size, x:x + size], (tile, tile),
                            interpolation=cv2.INTER_NEAREST) for img in (source, restored)]
        for crop in crops:
            cv2.rectangle(crop, (0, 0), (tile - 1, tile - 1), c, max(2, tile // 100))
        rows.append(crops)
    zoom = np.concatenate([np.concatenate([r[0] for r in rows], axis=1),
                           np.concatenate([r[1] for r in rows], axis=1)], axis=1)
    pad = top.shape[1] - zoom.shape[1]
    zoom = np.pad(zoom, ((0, 0), (0, pad), (0, 0)))
    return np.concatenate([top, zoom], axis=0)


def figure_frames(source: Union[str, Path], restored: Union[str, Path],
                  index: int) -> Tuple[np.ndarray, np.ndarray]:
    """Frame ``index`` of both videos (RGB uint8)."""
    a = dict(iter_frames(source, [index]))
    b = dict(iter_frames(restored, [index]))
    if index not in a or index not in b:
        raise ValueError(f'could not decode frame {index} of both videos')
    return a[index], b[index]
