"""Perceptual Index of the PIRM-SR challenge: PI = ((10 - Ma) + NIQE) / 2, lower is better."""
from pathlib import Path
from typing import Dict, Optional, Union

import numpy as np
from mmagic.evaluation.metrics.niqe import niqe
from mmagic.registry import METRICS

from .ma import MaModel, load_ma_model, ma_score
from .video_metric import VideoFrameMetric, crop_border, pirm_y


def perceptual_index(ma: float, niqe_value: float) -> float:
    """PI = ((10 - Ma) + NIQE) / 2 (thesis eq. 5.1)."""
    return 0.5 * ((10.0 - ma) + niqe_value)


def niqe_fits(h: int, w: int) -> bool:
    """Whether a (h, w) image holds the two 96x96 blocks MMagic's NIQE needs."""
    return (h // 96) * (w // 96) >= 2


def niqe_y(y: np.ndarray) -> float:
    """MMagic's NIQE (pristine MVG model, 96x96 blocks) of a (h, w) Y image in [0, 255]."""
    if not niqe_fits(*y.shape[:2]):
        raise ValueError(f'NIQE needs two 96x96 blocks, the image is {y.shape[1]}x{y.shape[0]} '
                         '(after the border crop)')
    return float(niqe(y, crop_border=0, input_order='HW'))


def pirm_scores(frame: np.ndarray,
                ma_model: Union[MaModel, str, Path, None] = None,
                channel_order: str = 'RGB',
                border: int = 4,
                with_ma: bool = True,
                with_niqe: bool = True) -> Dict[str, float]:
    """NIQE, Ma and PI of one frame under the PIRM protocol.

    Args:
        frame (np.ndarray): (h, w, 3) frame in [0, 255].
        ma_model (MaModel | str | Path, optional): Ma model or its path; default
            ``$MMRESTORE_MA_MODEL``.
        channel_order (str): 'RGB' or 'BGR'. Default: 'RGB'.
        border (int): Pixels shaved on each side. Default: 4.
        with_ma (bool): Compute Ma and PI (needs the model). Default: True.
        with_niqe (bool): Compute NIQE and PI (frames too small for NIQE: False, see
            :func:`niqe_fits`). Default: True.

    Returns:
        dict: 'NIQE' with ``with_niqe``, 'Ma' with ``with_ma``, 'PI' with both.
    """
    y = crop_border(pirm_y(frame, channel_order), border)
    out = {'NIQE': niqe_y(y)} if with_niqe else {}
    if with_ma:
        out['Ma'] = ma_score(y, ma_model)
        if with_niqe:
            out['PI'] = perceptual_index(out['Ma'], out['NIQE'])
    return out


@METRICS.register_module()
class PI(VideoFrameMetric):
    """Perceptual Index (PIRM-SR 2018) with its parts NIQE and Ma, on restored video frames.

    PIRM protocol: Y channel of BT.601 YCbCr (MATLAB ``rgb2ycbcr`` of the 8-bit frame),
    4-pixel border shaved; NIQE by MMagic's implementation, Ma by
    :mod:`mmrestore.evaluation.metrics.ma`. Reports ``NIQE`` (lower is better), ``Ma``
    (higher is better) and ``PI`` (lower is better).

    Args:
        ma_model (str, optional): Path of Ma's ``model.mat`` / ``NRQM_model.mat``; default
            ``$MMRESTORE_MA_MODEL``. Missing -> FileNotFoundError at construction.
        **kwargs: :class:`VideoFrameMetric` arguments (``pred_key``, ``channel_order``,
            ``crop_border`` (default 4), ``sampling`` (default 'thesis'), ``seed``...).
    """

    metric_names = ('NIQE', 'Ma', 'PI')
    needs_input = False

    def __init__(self, ma_model: Optional[str] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ma_model = load_ma_model(ma_model)

    def score_frame(self, pred: np.ndarray, inp=None) -> Dict[str, float]:
        return pirm_scores(pred, self.ma_model, self.channel_order, self.crop_border)
