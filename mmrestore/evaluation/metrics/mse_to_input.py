"""MSE between restored and input frames: how far restoration moved away from its input."""
from typing import Dict, Optional

import numpy as np
from mmagic.registry import METRICS

from .video_metric import VideoFrameMetric, crop_border, pirm_y


def mse_to_input(restored: np.ndarray, source: np.ndarray, convert_to: Optional[str] = 'Y',
                 channel_order: str = 'RGB', border: int = 4) -> float:
    """MSE on the 0-255 scale between a restored frame and its input frame.

    Args:
        restored (np.ndarray): (h, w, 3) restored frame in [0, 255].
        source (np.ndarray): (h, w, 3) input frame in [0, 255], same size.
        convert_to (str, optional): 'Y' compares the rounded PIRM Y channels (as the PIRM
            scripts used by the thesis do); None compares all channels of the 8-bit frames.
            Default: 'Y'.
        channel_order (str): 'RGB' or 'BGR'. Default: 'RGB'.
        border (int): Pixels shaved on each side. Default: 4.
    """
    if restored.shape != source.shape:
        raise ValueError(f'restored {restored.shape} and input {source.shape} differ in shape')
    if convert_to is not None and convert_to.upper() == 'Y':
        a, b = pirm_y(restored, channel_order), pirm_y(source, channel_order)
    elif convert_to is None:
        a = np.clip(np.round(np.asarray(restored, np.float64)), 0, 255)
        b = np.clip(np.round(np.asarray(source, np.float64)), 0, 255)
    else:
        raise ValueError(f"convert_to must be 'Y' or None, got {convert_to!r}")
    return float(np.mean((crop_border(a, border) - crop_border(b, border))**2))


@METRICS.register_module()
class MSEToInput(VideoFrameMetric):
    """MSE between restored and input frames, 0-255 scale, lower = closer to the input.

    Thesis tables 5.2-5.3 ("MSE between the obtained image and the input"). Without ground
    truth it measures fidelity to the source: near 0 means little was changed, large
    values mean strong changes (or artefacts); read it together with PI.

    Args:
        convert_to (str, optional): 'Y' (PIRM Y channel, default) or None (all channels).
        **kwargs: :class:`VideoFrameMetric` arguments (``pred_key``, ``input_key``,
            ``channel_order``, ``crop_border`` (default 4), ``sampling``, ``seed``...).
    """

    metric_names = ('MSEToInput', )

    def __init__(self, convert_to: Optional[str] = 'Y', **kwargs) -> None:
        super().__init__(**kwargs)
        if convert_to is not None and convert_to.upper() != 'Y':
            raise ValueError(f"convert_to must be 'Y' or None, got {convert_to!r}")
        self.convert_to = convert_to

    def score_frame(self, pred: np.ndarray, inp: np.ndarray) -> Dict[str, float]:
        return {'MSEToInput': mse_to_input(pred, inp, self.convert_to, self.channel_order,
                                           self.crop_border)}
