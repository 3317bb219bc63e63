"""Per-frame metrics on the video outputs of MMagic editors, with the thesis's frame sampling."""
import zlib
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

# BT.601 luma of MATLAB's rgb2ycbcr (PIRM protocol), for RGB in [0, 255]
_Y_RGB = np.array([65.481, 128.553, 24.966]) / 255.


def pirm_y(frame: np.ndarray, channel_order: str = 'RGB') -> np.ndarray:
    """Y channel as the PIRM scripts see it: uint8 frame -> ``rgb2ycbcr`` -> rounded Y.

    Args:
        frame (np.ndarray): (h, w, 3) frame in [0, 255] (float frames are rounded and
            clipped first, like saving them as 8-bit images).
        channel_order (str): 'RGB' or 'BGR'. Default: 'RGB'.

    Returns:
        np.ndarray: (h, w) float64 Y in [16, 235].
    """
    rgb = np.clip(np.round(np.asarray(frame, np.float64)), 0, 255)
    if channel_order.upper() == 'BGR':
        rgb = rgb[..., ::-1]
    elif channel_order.upper() != 'RGB':
        raise ValueError(f"channel_order must be 'RGB' or 'BGR', got {channel_order!r}")
    return np.round(16. + rgb @ _Y_RGB)


def crop_border(img: np.ndarray, border: int) -> np.ndarray:
    """Remove ``border`` pixels on each side of an (h, w, ...) array."""
    if border <= 0:
        return img
    return img[border:-border, border:-border]


def sample_frame_indices(num_frames: int,
                         sampling: Union[str, int] = 'thesis',
                         seed: int = 0,
                         key: str = '',
                         edge: float = 0.25) -> List[int]:
    """Frames of a sequence to score.

    Args:
        num_frames (int): Length of the sequence.
        sampling (str | int): 'thesis': two frames drawn at random, one in the first and one
            in the last ``edge`` of the sequence (thesis tables 5.2-5.3); 'all': every frame;
            an int ``k``: ``k`` evenly spaced frames. Default: 'thesis'.
        seed (int): Seed of the draw; combined with ``key`` so each sequence gets its own,
            reproducible frames. Default: 0.
        key (str): Name of the sequence. Default: ''.
        edge (float): Fraction of the sequence at each end to draw from. Default: 0.25.

    Returns:
        list[int]: sorted frame indices.
    """
    if num_frames < 1:
        raise ValueError('empty sequence')
    if sampling == 'all':
        return list(range(num_frames))
    if sampling == 'thesis':
        if num_frames == 1:
            return [0]
        span = max(1, int(round(num_frames * edge)))
        rng = np.random.default_rng([seed, zlib.crc32(str(key).encode())])
        first = int(rng.integers(0, min(span, num_frames - 1)))
        last = int(rng.integers(max(first + 1, num_frames - span), num_frames))
        return [first, last]
    if isinstance(sampling, (int, np.integer)) and not isinstance(sampling, bool) \
            and sampling > 0:
        return sorted(set(np.linspace(0, num_frames - 1, min(sampling, num_frames))
                          .round().astype(int).tolist()))
    raise ValueError(f"sampling must be 'thesis', 'all' or a positive int, got {sampling!r}")


def to_frames(data) -> np.ndarray:
    """(t, c, h, w) / (c, h, w) tensor or array -> (t, h, w, c) float64 array."""
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    data = np.asarray(data, np.float64)
    if data.ndim == 3:
        data = data[None]
    if data.ndim != 4:
        raise ValueError(f'expected (t, c, h, w) or (c, h, w) frames, got shape {data.shape}')
    return data.transpose(0, 2, 3, 1)


def _lookup(sample: dict, key: str):
    """``sample[key]``, or ``sample['output'][key]`` (MMagic puts predictions there)."""
    if key in sample:
        value = sample[key]
    elif isinstance(sample.get('output'), dict) and key in sample['output']:
        value = sample['output'][key]
    elif hasattr(sample.get('output'), key):
        value = getattr(sample['output'], key)
    else:
        raise KeyError(f"'{key}' is neither in the data sample nor in its 'output'; "
                       f'available: {sorted(sample)}')
    if isinstance(value, dict) and 'data' in value:  # PixelData-like
        value = value['data']
    return value


class VideoFrameMetric(BaseMetric):
    """Base of mmrestore's frame metrics for MMagic video editors (RealBasicVSR & co.).

    A data sample holds ``output.pred_img`` (t, c, h, w) and the destructed model input
    ``input`` (t, c, h, w), both in [0, 255] and in BGR order after MMagic's data
    preprocessor. Each selected frame is one result; the reported value is the mean
    over all scored frames of all sequences (as the thesis averages its 10 frames).

    Args:
        pred_key (str): Key of the restored frames. Default: 'pred_img'.
        input_key (str): Key of the input frames. Default: 'input'.
        channel_order (str): Channel order of the frames. Default: 'BGR'.
        crop_border (int): Pixels removed on each side before scoring. Default: 4 (PIRM).
        sampling (str | int): Frame selection, see :func:`sample_frame_indices`.
            Default: 'thesis' (two frames per sequence).
        seed (int): Seed of the frame draw. Default: 0.
        collect_device (str): Device for collecting results. Default: 'cpu'.
        prefix (str, optional): Prefix of the metric names. Default: None.
    """

    metric_names: Sequence[str] = ()
    # MMagic's MultiTestLoop/MultiValLoop ask every metric for a sampler: these metrics
    # score the original model on the test dataloader, like BaseSampleWiseMetric.
    SAMPLER_MODE = 'normal'
    sample_model = 'orig'

    def prepare(self, module, dataloader) -> None:
        """Remember the dataset size (MMagic's loops call ``evaluate()`` without it)."""
        self.size = len(dataloader.dataset)

    def evaluate(self, size: Optional[int] = None) -> Dict[str, float]:
        """MMEngine's evaluator passes ``size``; MMagic's loops rely on :meth:`prepare`."""
        if size is None:
            size = getattr(self, 'size', None)
            if size is None:
                raise RuntimeError(f'{type(self).__name__}.evaluate() needs the dataset '
                                   'size: call prepare() first or pass size')
        return super().evaluate(size)

    def get_metric_sampler(self, model, dataloader, metrics):
        """Iterate the test dataloader itself (MMagic's loop interface)."""
        return dataloader

    def __init__(self,
                 pred_key: str = 'pred_img',
                 input_key: str = 'input',
                 channel_order: str = 'BGR',
                 crop_border: int = 4,
                 sampling: Union[str, int] = 'thesis',
                 seed: int = 0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        sample_frame_indices(4, sampling)  # validate early
        self.pred_key = pred_key
        self.input_key = input_key
        self.channel_order = channel_order
        self.crop_border = crop_border
        self.sampling = sampling
        self.seed = seed
        self._count = 0

    def sequence_key(self, sample: dict) -> str:
        """Stable name of a sequence, seeding its frame draw."""
        for k in ('key', 'img_path', 'gt_path', 'sample_idx'):
            if k in sample:
                return str(sample[k])
        self._count += 1
        return str(self._count)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Score the selected frames of each sequence of the batch."""
        for sample in data_samples:
            if not isinstance(sample, dict):
                sample = sample.to_dict()
            pred = to_frames(_lookup(sample, self.pred_key))
            inp = to_frames(_lookup(sample, self.input_key)) if self.needs_input else None
            if inp is not None and inp.shape != pred.shape:
                raise ValueError(f'{type(self).__name__}: restored frames {pred.shape} and '
                                 f'input frames {inp.shape} differ in shape')
            idx = sample_frame_indices(len(pred), self.sampling, self.seed,
                                       self.sequence_key(sample))
            # one result per data sample: MMEngine keeps only ``size`` results
            self.results.append({'frames': self.score_sequence(pred, inp, idx)})

    needs_input = True

    def score_sequence(self, pred: np.ndarray, inp: Optional[np.ndarray],
                       indices: List[int]) -> List[Dict[str, float]]:
        """One result dict per scored frame; the default scores frames independently."""
        return [self.score_frame(pred[i], None if inp is None else inp[i]) for i in indices]

    def score_frame(self, pred: np.ndarray, inp: Optional[np.ndarray]) -> Dict[str, float]:
        """Scores of one (h, w, c) frame in [0, 255]."""
        raise NotImplementedError

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Mean of each metric over all scored frames of all sequences."""
        frames = [f for r in results for f in r['frames']]
        return {name: float(np.nanmean([f[name] for f in frames])) if frames else float('nan')
                for name in self.metric_names}
