"""Single image files: RGB ``uint8``/``uint16`` arrays ``(h, w, 3)`` (OpenCV codecs)."""
import os

import cv2
import numpy as np

from mmrestore.errors import VideoIOError

from .formats import IMAGE_EXTS, natural_key


def list_images(folder):
    """Image file names in ``folder`` (hidden files skipped), in natural order."""
    return sorted((n for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTS)
                   and not n.startswith('.')), key=natural_key)


def read_image(path):
    """Read an image file as RGB ``uint8``/``uint16`` ``(h, w, 3)``; gray is repeated."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise VideoIOError(f'cannot read image {path}')
    if img.dtype not in (np.uint8, np.uint16):
        raise VideoIOError(f'unsupported sample type {img.dtype} in {path}')
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2RGB)


def write_image(path, rgb, params=()):
    """Write an RGB ``uint8``/``uint16`` frame (8/16-bit PNG or TIFF by the extension)."""
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), list(params)):
        raise VideoIOError(f'cannot write {path}')


def encode_image(rgb, ext='.png'):
    """The bytes of an RGB frame encoded as ``ext`` (for writing atomically)."""
    ok, buf = cv2.imencode(ext, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise VideoIOError(f'cannot encode a {rgb.shape[1]}x{rgb.shape[0]} image as {ext}')
    return buf.tobytes()
