"""Temporal consistency (flicker) of a video: warping error along optical flow of the input.

Beyond the thesis: PI and MSE score frames one by one and miss flicker. Here each frame is
compared with its predecessor warped onto it by the optical flow estimated on the INPUT
video (so a restoration cannot hide flicker by distorting motion); pixels whose forward
and backward flows disagree (occlusions, flow failures) or that come from outside the
frame are masked out (Sundaram et al. 2010 consistency test, as in Lai et al. 2018).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmagic.registry import METRICS

from .video_metric import VideoFrameMetric, crop_border


def _gray8(frame: np.ndarray) -> np.ndarray:
    f = np.clip(np.round(np.asarray(frame, np.float64)), 0, 255).astype(np.uint8)
    g = cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) if f.ndim == 3 else f
    return cv2.GaussianBlur(g, (0, 0), 1.0)  # flow on grainy input: damp the grain


def _flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense flow a -> b (h, w, 2): pixel x of a matches x + flow(x) in b (OpenCV DIS)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(a, b, None)


def _sample(img: np.ndarray, flow: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """img(x + flow(x)) by bilinear interpolation, and the mask of in-frame samples."""
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx, my = gx + flow[..., 0], gy + flow[..., 1]
    out = cv2.remap(img.astype(np.float32), mx, my, cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE)
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    return out, inside


def flow_and_mask(prev_in: np.ndarray, cur_in: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Flow from the current to the previous input frame and its validity mask.

    Args:
        prev_in (np.ndarray): (h, w, 3) previous input frame in [0, 255] (RGB or BGR).
        cur_in (np.ndarray): (h, w, 3) current input frame.

    Returns:
        tuple: flow (h, w, 2) current -> previous, mask (h, w) bool of trusted pixels.
    """
    a, b = _gray8(cur_in), _gray8(prev_in)
    back = _flow(a, b)  # cur -> prev
    fwd = _flow(b, a)  # prev -> cur
    fwd_at, inside = _sample(fwd, back)
    diff = np.sum((back + fwd_at)**2, -1)
    bound = 0.01 * (np.sum(back**2, -1) + np.sum(fwd_at**2, -1)) + 0.5
    return back, inside & (diff <= bound)


def warping_error(prev: np.ndarray, cur: np.ndarray, flow: np.ndarray,
                  mask: np.ndarray, border: int = 0) -> float:
    """Mean |cur - warp(prev)| over trusted pixels and channels, 0-255 scale."""
    warped, _ = _sample(np.asarray(prev, np.float32), flow)
    err = np.abs(np.asarray(cur, np.float32) - warped)
    if err.ndim == 3:
        err = err.mean(-1)
    err, m = crop_border(err, border), crop_border(mask, border)
    return float(err[m].mean()) if m.any() else float('nan')


def temporal_consistency(frames: np.ndarray, guide: np.ndarray,
                         pairs: Optional[Sequence[int]] = None,
                         border: int = 0) -> Dict[str, float]:
    """Warping error of ``frames`` and of ``guide`` along the flow of ``guide``.

    Args:
        frames (np.ndarray): (t, h, w, c) restored frames in [0, 255].
        guide (np.ndarray): (t, h, w, c) input frames in [0, 255] (the flow source).
        pairs (list[int], optional): Indices k >= 1 of the pairs (k - 1, k) to score.
            Default: all.
        border (int): Pixels ignored on each side. Default: 0.

    Returns:
        dict: 'TemporalError' (restored) and 'TemporalErrorInput' (input), mean over
        pairs; lower is steadier. 'MaskedFraction': mean share of masked pixels.
    """
    if frames.shape != guide.shape:
        raise ValueError(f'frames {frames.shape} and guide {guide.shape} differ in shape')
    pairs = range(1, len(frames)) if pairs is None else pairs
    out, inp, masked = [], [], []
    for k in pairs:
        flow, mask = flow_and_mask(guide[k - 1], guide[k])
        out.append(warping_error(frames[k - 1], frames[k], flow, mask, border))
        inp.append(warping_error(guide[k - 1], guide[k], flow, mask, border))
        masked.append(1 - mask.mean())
    if not out:
        raise ValueError('temporal consistency needs at least two frames')
    return {'TemporalError': float(np.nanmean(out)),
            'TemporalErrorInput': float(np.nanmean(inp)),
            'MaskedFraction': float(np.mean(masked))}


@METRICS.register_module()
class TemporalConsistency(VideoFrameMetric):
    """Flicker of restored video: warping error along the input's optical flow (lower = steadier).

    For each scored frame k >= 1 the restored frame k-1 is warped onto frame k with the
    DIS optical flow of the input frames, occlusions masked by forward-backward
    consistency; the mean absolute difference (0-255) is reported as ``TemporalError``,
    and the same error of the input itself as ``TemporalErrorInput`` (its natural
    flicker: grain, noise) for reference.

    Args:
        sampling (str | int): Which frames k are scored (each with its predecessor);
            default 'all'. See :func:`sample_frame_indices`.
        **kwargs: :class:`VideoFrameMetric` arguments (``crop_border`` default 4 ...).
    """

    metric_names = ('TemporalError', 'TemporalErrorInput')

    def __init__(self, sampling='all', **kwargs) -> None:
        super().__init__(sampling=sampling, **kwargs)

    def score_sequence(self, pred: np.ndarray, inp: np.ndarray,
                       indices: List[int]) -> List[Dict[str, float]]:
        pairs = sorted({max(1, i) for i in indices}) if len(pred) > 1 else []
        if self.channel_order.upper() == 'BGR':  # flow works on RGB luma
            pred, inp = pred[..., ::-1], inp[..., ::-1]
        return [temporal_consistency(pred, inp, [k], self.crop_border) for k in pairs]
