"""No-reference scores of a restored video against its source (used by mmrestore-score)."""
from pathlib import Path
from typing import Dict, Tuple, Union

import numpy as np

from mmrestore.errors import VideoIOError
from mmrestore.video import iter_frames, probe_source

from .ma import MaModel, load_ma_model
from .mse_to_input import mse_to_input
from .pi import niqe_fits, pirm_scores
from .temporal_consistency import temporal_consistency
from .video_metric import sample_frame_indices

# (name, direction) of every reported score, in table order
SCORES = (('MSEToInput', 'lower = closer to input'), ('NIQE', 'lower is better'),
          ('Ma', 'higher is better'), ('PI', 'lower is better'),
          ('TemporalError', 'lower = steadier'))


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
    src_info, res_info = probe_source(source), probe_source(restored)
    n_src, h_src, w_src = src_info.num_frames, src_info.height, src_info.width
    n_res, h_res, w_res = res_info.num_frames, res_info.height, res_info.width
    if (h_src, w_src) != (h_res, w_res):
        raise VideoIOError(f'frame sizes differ: input {w_src}x{h_src}, '
                           f'restored {w_res}x{h_res}')
    n = min(n_src, n_res)
    frames = sample_frame_indices(n, int(num_frames))
    pairs = sorted({max(1, k) for k in frames}) if n > 1 else []
    needed = sorted(set(frames) | set(pairs) | {k - 1 for k in pairs})
    if ma_model is not None and not isinstance(ma_model, MaModel):
        ma_model = load_ma_model(ma_model)
    with_ma = ma_model is not None

    src = dict(iter_frames(src_info, needed, np.uint8))
    res = dict(iter_frames(res_info, needed, np.uint8))

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


def frame_scores(result: Dict, side: str, k: int) -> str:
    """Scores of the ``k``-th scored frame of one side ('input'/'restored'), as text for
    a figure caption, e.g. ``'NIQE 4.81, PI 3.20'``."""
    parts = []
    for name in ('NIQE', 'PI', 'MSEToInput'):
        values = result['per_frame'][side].get(name) or []
        if k < len(values) and values[k] is not None and np.isfinite(values[k]):
            parts.append(f'{name} {values[k]:.2f}')
    return ', '.join(parts)


def figure_frames(source: Union[str, Path], restored: Union[str, Path],
                  index: int) -> Tuple[np.ndarray, np.ndarray]:
    """Frame ``index`` of both videos (RGB uint8)."""
    a = dict(iter_frames(source, [index], np.uint8))
    b = dict(iter_frames(restored, [index], np.uint8))
    if index not in a or index not in b:
        raise VideoIOError(f'no frame {index} in both videos')
    return a[index], b[index]
