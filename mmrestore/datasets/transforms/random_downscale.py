"""Random downscaling of whole sequences: the same scene at other resolutions."""
import math

import cv2
import numpy as np

from mmagic.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomDownscale:
    """Shrink every frame of a sequence by one random factor (area interpolation).

    Training footage at one resolution teaches a denoiser one density of detail: a model
    trained on 720p cartoon frames removes less noise from a 176x144 clip, where the same
    number of pixels holds far more texture. Shrinking the clean frames *before* the
    noise is added gives the same scenes at lower resolutions, with real, anti-aliased
    fine detail (MMagic's ``RandomResize`` is a degradation of LQ frames: it draws its
    factor uniformly and cannot keep the frames larger than the crop that follows).

    The factor ``s`` (output = input / s) is drawn log-uniformly in ``[1, max_factor]``
    with probability ``prob`` (else 1), once per sequence, and lowered so that the
    shorter side stays >= ``min_size`` (the crop size of the following ``FixedCrop``).

    Args:
        keys (list[str]): Keys of the frames (image or list of images, HxWxC).
        max_factor (float): Largest shrink factor. Default: 4.
        min_size (int): Smallest allowed shorter side after shrinking. Default: 64.
        prob (float): Probability of shrinking a sequence at all. Default: 1.
    """

    def __init__(self, keys, max_factor=4., min_size=64, prob=1.):
        if max_factor < 1:
            raise ValueError(f'max_factor must be >= 1, got {max_factor}')
        self.keys = keys
        self.max_factor = float(max_factor)
        self.min_size = int(min_size)
        self.prob = float(prob)

    def __call__(self, results):
        """Shrink ``results[key]`` for every key; records the factor in
        ``results['downscale_factor']``."""
        first = results[self.keys[0]]
        h, w = (first[0] if isinstance(first, list) else first).shape[:2]
        factor = 1.
        if np.random.uniform() < self.prob:
            factor = math.exp(np.random.uniform(0, math.log(self.max_factor)))
            factor = max(1., min(factor, min(h, w) / self.min_size))
        size = (max(1, round(w / factor)), max(1, round(h / factor)))
        if factor > 1 and size != (w, h):
            for key in self.keys:
                imgs = results[key]
                out = [self._resize(img, size) for img in
                       (imgs if isinstance(imgs, list) else [imgs])]
                results[key] = out if isinstance(imgs, list) else out[0]
        results['downscale_factor'] = factor
        return results

    @staticmethod
    def _resize(img, size):
        out = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        return out.reshape(out.shape[:2] + img.shape[2:])

    def __repr__(self):
        return (f'{self.__class__.__name__}(keys={self.keys}, max_factor='
                f'{self.max_factor}, min_size={self.min_size}, prob={self.prob})')
