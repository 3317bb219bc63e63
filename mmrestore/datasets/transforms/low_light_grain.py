"""Low-light sensor noise on a coarser grid: grain spots of several pixels on sharp frames."""
import cv2
import numpy as np

from mmagic.registry import TRANSFORMS
from .low_light_noise import RandomLowLightNoise


@TRANSFORMS.register_module()
class RandomLowLightGrain(RandomLowLightNoise):
    """``RandomLowLightNoise`` drawn on a grid ``grain_size`` times coarser than the frame.

    The noise of :class:`RandomLowLightNoise` is computed on the frame shrunk by
    ``grain_size`` (area interpolation), enlarged back bilinearly and added to the
    full-resolution frame, which stays sharp: the grain covers spots of about
    ``grain_size`` pixels, as in processed (demosaiced, compressed) low-light footage
    (the "grain and pixelation" of thesis 3 and 5.2.1). With ``grain_size`` 1 it is
    exactly ``RandomLowLightNoise``.

    Args:
        params (dict): The settings of :class:`RandomLowLightNoise`, plus

            - grain_size (int | list[int]): Grid step of the noise in pixels, or the
              choices drawn (uniformly, per sequence) from. Default: 1.
        keys (list[str]): Keys of the frames to degrade (image or list of images).
    """

    def _apply_low_light_noise(self, imgs):
        sizes = self.params.get('grain_size', 1)
        self._grain = int(np.random.choice(np.atleast_1d(sizes)))
        return super()._apply_low_light_noise(imgs)

    def _apply(self, img, shot, read, is_gray):
        s = self._grain
        if s == 1:
            return super()._apply(img, shot, read, is_gray)
        h, w = img.shape[:2]
        img = img.astype(np.float32)
        small = cv2.resize(img, (max(1, round(w / s)), max(1, round(h / s))),
                           interpolation=cv2.INTER_AREA)
        grain = super()._apply(small, shot, read, is_gray) - small
        grain = cv2.resize(grain, (w, h), interpolation=cv2.INTER_LINEAR)
        return img + grain.reshape(img.shape)
