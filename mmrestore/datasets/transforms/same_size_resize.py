"""Bring degraded LQ frames back to the size of their GT frames (thesis 5.3.2)."""
import cv2
import numpy as np

from mmagic.registry import TRANSFORMS

_INTERPOLATIONS = dict(
    nearest=cv2.INTER_NEAREST,
    bilinear=cv2.INTER_LINEAR,
    bicubic=cv2.INTER_CUBIC,
    area=cv2.INTER_AREA)


@TRANSFORMS.register_module()
class SameSizeResize:
    """Resize frames to the size of the frames under another key.

    The thesis trains on same-size pairs: MMagic's stochastic degradation chain ends at
    1/4 of the GT size, and this transform, appended to the chain, upsamples the
    degraded LQ bilinearly to the GT size, so LQ and GT have the same shape.

    Modified keys are the attributes specified in ``keys``.

    Args:
        keys (list[str]): Keys of the frames to resize (image or list of images).
        ref_key (str): Key of the frames whose size is the target. Default: 'gt'.
        interpolation (str): 'bilinear', 'bicubic', 'area' or 'nearest'.
            Default: 'bilinear'.
    """

    def __init__(self, keys, ref_key='gt', interpolation='bilinear'):
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f'interpolation must be one of {list(_INTERPOLATIONS)}, '
                             f'got {interpolation!r}')
        self.keys = keys
        self.ref_key = ref_key
        self.interpolation = interpolation

    def _resize(self, img, size):
        h, w = size
        if img.shape[:2] == (h, w):
            return img
        out = cv2.resize(img, (w, h), interpolation=_INTERPOLATIONS[self.interpolation])
        if img.ndim == 3 and out.ndim == 2:  # cv2 drops a single channel axis
            out = out[..., None]
        return out

    def __call__(self, results):
        """Call this transform."""
        ref = results[self.ref_key]
        size = (ref if isinstance(ref, np.ndarray) else ref[0]).shape[:2]
        for key in self.keys:
            imgs = results[key]
            if isinstance(imgs, np.ndarray):
                results[key] = self._resize(imgs, size)
            else:
                results[key] = [self._resize(img, size) for img in imgs]
        return results

    def __repr__(self):
        """Print the basic information of the transform."""
        return (f'{self.__class__.__name__}(keys={self.keys}, ref_key={self.ref_key!r}, '
                f'interpolation={self.interpolation!r})')
