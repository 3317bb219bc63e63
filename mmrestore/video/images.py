"""Single image files as RGB ``uint8``/``uint16`` arrays ``(h, w, 3)``.

PNG, JPEG, TIFF and BMP are read by OpenCV (libtiff: 8/16-bit and float TIFF), DPX and
OpenEXR by FFmpeg (PyAV). Frames are written by OpenCV (PNG) or FFmpeg (TIFF, DPX, EXR)
with the pixel format and encoder options of an :class:`ImageSettings`.

Float frames (EXR, float TIFF) are taken as display-referred values in [0, 1] and
mapped to 16 bits (``round(v * 65535)``); values outside [0, 1] (scene-linear
highlights, negative values) and NaN are clipped, with a warning once per folder.
An alpha channel is read beside the RGB (:func:`read_image_alpha`, a plane of the
frame's dtype, see :mod:`.alpha`) and written by the formats whose pixel format has one.
"""
import logging
import math
import os
import os.path as osp
import struct
from dataclasses import dataclass, field

import av
import cv2
import numpy as np

from mmrestore.errors import VideoIOError

from .alpha import alpha_frame, float_rgb, format_has_alpha, opaque, read_alpha, rescale
from .formats import IMAGE_EXTS, natural_key
from .timecode import bcd_timecode, smpte_packed_timecode, standard_rate

logger = logging.getLogger('mmrestore.video')
FFMPEG_DECODED = {'.dpx': 'dpx', '.exr': 'exr'}  # extension -> FFmpeg decoder
_CLIP_WARNED = set()  # folders whose clipping was reported


def list_images(folder):
    """Image file names in ``folder`` (hidden files skipped), in natural order."""
    return sorted((n for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTS)
                   and not n.startswith('.')), key=natural_key)


def _decode_ffmpeg(path, codec):
    """The first frame of an image file decoded by FFmpeg's ``codec``."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
        ctx = av.CodecContext.create(codec, 'r')
        frames = ctx.decode(av.Packet(data)) + ctx.decode(None)
    except OSError as exc:
        raise VideoIOError(f'cannot read image {path} ({exc.strerror})') from None
    except (av.error.FFmpegError, ValueError) as exc:
        raise VideoIOError(f'cannot decode {path}: {exc}') from None
    if not frames:
        raise VideoIOError(f'cannot decode {path}: no image in it')
    return frames[0]


def _depth(fmt_name):
    return max(c.bits for c in av.VideoFormat(fmt_name).components)


def load_image(path):
    """An image file as stored: RGB ``uint8``, ``uint16`` or ``float32`` ``(h, w, 3)``,
    and its bits per sample (10 for a 10-bit DPX, whose samples are scaled to 16 bits)."""
    img, _, depth = load_image_alpha(path)
    return img, depth


def load_image_alpha(path):
    """``(rgb, alpha, depth)``: :func:`load_image`'s RGB and depth, and the file's alpha
    plane ``(h, w)`` (``uint8`` for 8-bit files, else ``uint16``; None without one)."""
    path = str(path)
    ext = osp.splitext(path)[1].lower()
    if ext in FFMPEG_DECODED:
        return _load_ffmpeg(path, FFMPEG_DECODED[ext])
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if (ext in ('.tif', '.tiff') and img is not None and img.dtype == np.uint8
            and img.ndim == 3 and img.shape[2] in (2, 4)):
        # OpenCV reads 8-bit TIFFs with alpha through libtiff's RGBA interface, which
        # multiplies the colour by an unassociated alpha; FFmpeg reads them as stored
        try:
            return _load_ffmpeg(path, 'tiff')
        except VideoIOError:
            pass
    if img is None:
        raise VideoIOError(f'cannot read image {path}')
    if img.dtype in (np.float64, np.float16):
        img = img.astype(np.float32)
    if img.dtype not in (np.uint8, np.uint16, np.float32):
        raise VideoIOError(f'unsupported sample type {img.dtype} in {path}')
    alpha = None
    if img.ndim == 3 and img.shape[2] in (2, 4):  # gray + alpha, BGRA
        alpha = img[..., -1]
        if alpha.dtype == np.float32:
            alpha = rescale(alpha, 32, np.uint16)
        img = img[..., :1] if img.shape[2] == 2 else img[..., :3]
    if img.ndim == 2 or img.shape[2] == 1:
        img = np.repeat(img.reshape(img.shape[:2])[..., None], 3, axis=2)
    img = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_BGR2RGB)
    depth = {np.dtype(np.uint8): 8, np.dtype(np.uint16): 16}.get(img.dtype, 32)
    return img, None if alpha is None else np.ascontiguousarray(alpha), depth


def _load_ffmpeg(path, codec):
    """``(rgb, alpha, depth)`` of an image file decoded by FFmpeg's ``codec``."""
    frame = _decode_ffmpeg(path, codec)
    name = frame.format.name
    if name in ('gbrpf32le', 'gbrapf32le'):
        return float_rgb(frame), read_alpha(frame, np.uint16), 32
    if 'f32' in name or 'f16' in name:
        return (frame.reformat(format='gbrpf32le').to_ndarray(),
                read_alpha(frame, np.uint16), 32)
    depth = _depth(name)
    rgb = frame.to_ndarray(format='rgb24' if depth <= 8 else 'rgb48le')
    return rgb, read_alpha(frame, rgb.dtype), depth


def has_alpha(path):
    """Whether an image file has an alpha channel."""
    path = str(path)
    codec = FFMPEG_DECODED.get(osp.splitext(path)[1].lower())
    if codec:
        return format_has_alpha(_decode_ffmpeg(path, codec).format.name)
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    return img is not None and img.ndim == 3 and img.shape[2] in (2, 4)


def float_to_uint16(img, path=None):
    """Display-referred float RGB -> ``uint16``: [0, 1] to 0..65535, the rest clipped
    (NaN to 0), with a warning once per folder when anything is clipped."""
    bad = ~np.isfinite(img)
    if bad.any():
        img = np.where(bad, 0, img)
    lo, hi = float(img.min()), float(img.max())
    if (lo < 0 or hi > 1 or bad.any()) and path is not None:
        folder = osp.dirname(osp.abspath(str(path)))
        if folder not in _CLIP_WARNED:
            _CLIP_WARNED.add(folder)
            logger.warning(
                '%s: values outside [0, 1] (%.3g to %.3g%s) are clipped: float frames '
                'are read as display-referred [0, 1], so scene-linear highlights above 1 '
                'are lost (grade or convert to display-referred first); said once per '
                'folder', osp.basename(str(path)), lo, hi, ', NaN' if bad.any() else '')
    return np.round(np.clip(img, 0, 1) * 65535).astype(np.uint16)


def read_image(path):
    """Read an image file as RGB ``uint8``/``uint16`` ``(h, w, 3)``; gray is repeated,
    alpha left out, float frames clipped to [0, 1] and mapped to 16 bits."""
    return read_image_alpha(path)[0]


def read_image_alpha(path):
    """``(rgb, alpha)``: :func:`read_image`'s frame and the file's alpha plane
    ``(h, w)`` of the same dtype (None without one)."""
    img, alpha, _ = load_image_alpha(path)
    if img.dtype == np.float32:
        img = float_to_uint16(img, path)
    if alpha is not None and alpha.dtype != img.dtype:  # 8-bit alpha of a deeper file
        alpha = rescale(alpha, 8 if alpha.dtype == np.uint8 else 16, img.dtype)
    return img, alpha


# ----------------------------------------------------------------- image headers
def image_header(path):
    """What a DPX or OpenEXR header says beyond the pixels: ``timecode``, ``fps`` and
    (EXR) ``sample`` ('half', 'float' or 'uint'); entries are None when absent."""
    ext = osp.splitext(str(path))[1].lower()
    try:
        with open(path, 'rb') as f:
            head = f.read(65536)
    except OSError:
        return {}
    try:
        if ext == '.dpx':
            return _dpx_header(head)
        if ext == '.exr':
            return _exr_header(head)
    except (struct.error, ValueError, IndexError):
        pass
    return {}


def _rate(value):
    if value is None or not math.isfinite(value) or not 0 < value < 1000:
        return None
    return standard_rate(value)


def _dpx_header(head):
    order = {b'SDPX': '>', b'XPDS': '<'}.get(head[:4])
    if order is None:
        return {}
    offset = struct.unpack(order + 'I', head[4:8])[0]
    fps = timecode = None
    if offset >= 1664 + 64 and len(head) >= 1728:  # film industry header: frame rate
        fps = _rate(struct.unpack(order + 'f', head[1724:1728])[0])
    if offset >= 2048 and len(head) >= 1944:  # television header: timecode, rate
        timecode = bcd_timecode(struct.unpack(order + 'I', head[1920:1924])[0])
        fps = _rate(struct.unpack(order + 'f', head[1940:1944])[0]) or fps
    return dict(timecode=timecode, fps=fps)


def _exr_header(head):
    if head[:4] != b'\x76\x2f\x31\x01':
        return {}
    pos, out = 8, dict(timecode=None, fps=None, sample=None)
    types = {0: 'uint', 1: 'half', 2: 'float'}
    while pos < len(head) and head[pos] != 0:
        end = head.index(b'\0', pos)
        name = head[pos:end].decode('latin-1')
        tend = head.index(b'\0', end + 1)
        kind = head[end + 1:tend].decode('latin-1')
        size = struct.unpack('<i', head[tend + 1:tend + 5])[0]
        value = head[tend + 5:tend + 5 + size]
        pos = tend + 5 + size
        if kind == 'chlist':
            samples, p = set(), 0
            while p < len(value) and value[p] != 0:
                q = value.index(b'\0', p)
                channel = value[p:q].decode('latin-1')
                if channel.split('.')[-1] in 'RGBY':
                    samples.add(types.get(struct.unpack('<i', value[q + 1:q + 5])[0]))
                p = q + 17
            out['sample'] = 'float' if 'float' in samples else (
                'half' if 'half' in samples else next(iter(samples), None))
        elif name == 'timeCode' and kind == 'timecode' and size >= 4:
            out['timecode'] = smpte_packed_timecode(struct.unpack('<I', value[:4])[0])
        elif name == 'framesPerSecond' and kind == 'rational' and size >= 8:
            num, den = struct.unpack('<iI', value[:8])
            out['fps'] = _rate(num / den) if den else None
    return out


# ------------------------------------------------------------------- writing
@dataclass
class ImageSettings:
    """How restored frames are written as image files.

    Args:
        format (str): 'png', 'tiff', 'dpx' or 'exr'.
        pix_fmt (str): FFmpeg pixel format of the files (rgb24, rgb48le, gbrp10le ...;
            'gbrpf32le' for EXR, whose half/float is the ``format`` option; rgba,
            rgba64le, gbrapf32le ... with alpha).
        options (dict): FFmpeg encoder options (TIFF ``compression_algo``, EXR
            ``compression`` and ``format`` ...).
        pattern (str, optional): file name pattern of the OUTPUT (``shot_%05d.dpx``);
            None for a folder OUTPUT.
    """
    format: str
    pix_fmt: str
    options: dict = field(default_factory=dict)
    pattern: str = None

    @property
    def ext(self):
        from .formats import OUTPUT_IMAGE_FORMATS
        return OUTPUT_IMAGE_FORMATS[self.format]

    @property
    def bit_depth(self):
        if self.format == 'exr':
            return 16 if self.options.get('format', 'float') == 'half' else 32
        return _depth(self.pix_fmt)

    def describe(self):
        if self.format == 'exr':
            kind = f'{"half" if self.bit_depth == 16 else "float"} EXR'
        else:
            kind = f'{self.bit_depth}-bit {self.format.upper()}'
        extra = ''.join(f' {k}={v}' for k, v in self.options.items()
                        if not (self.format == 'exr' and k == 'format'))
        return f'{kind} ({self.pix_fmt}{extra})'


def encode_frame(rgb, settings, name='frame', alpha=None):
    """The bytes of one RGB ``uint8``/``uint16`` frame as an image file of ``settings``
    (EXR also takes ``float32`` frames, written as they are). ``alpha`` ``(h, w)`` (the
    frame's dtype) is written when the pixel format has alpha (None: opaque), else
    ignored."""
    keep = format_has_alpha(settings.pix_fmt)
    if settings.format == 'png':
        want = np.uint8 if settings.pix_fmt in ('rgb24', 'rgba') else np.uint16
        plane = None
        if keep:
            plane = _as_dtype(opaque(rgb) if alpha is None else alpha, want)
        return encode_image(_as_dtype(rgb, want), '.png', plane)
    try:
        frame = _to_frame(rgb, settings.pix_fmt, alpha if keep else None)
        ctx = av.CodecContext.create(settings.format, 'w')
        ctx.width, ctx.height, ctx.pix_fmt = rgb.shape[1], rgb.shape[0], settings.pix_fmt
        ctx.options = {k: str(v) for k, v in settings.options.items()}
        packets = ctx.encode(frame) + ctx.encode(None)
    except (av.error.FFmpegError, ValueError) as exc:
        raise VideoIOError(f'cannot encode {name} as {settings.describe()}: {exc}') from None
    unused = dict(ctx.options or {})
    if unused:
        raise VideoIOError(f'--encoder-opt {next(iter(unused))}: the {settings.format} '
                           f'encoder has no such option')
    return b''.join(bytes(packet) for packet in packets)


def write_frame(path, rgb, settings, alpha=None):
    """Write one RGB frame (and its ``alpha``) as an image file of ``settings`` (see
    :func:`encode_frame`)."""
    data = encode_frame(rgb, settings, osp.basename(str(path)), alpha)
    try:
        with open(path, 'wb') as f:
            f.write(data)
    except OSError as exc:
        raise VideoIOError(f'cannot write {path}: {exc.strerror or exc}') from None


def _as_dtype(rgb, dtype):
    if rgb.dtype == dtype:
        return rgb
    if dtype == np.uint16:
        return rgb.astype(np.uint16) * 257
    return ((rgb.astype(np.uint32) + 128) // 257).astype(np.uint8)


def _to_frame(rgb, pix_fmt, alpha=None):
    """An av.VideoFrame of ``pix_fmt`` from RGB ``uint8``/``uint16`` (rounded, not
    truncated, to 10/12 bits; EXR as float32 in [0, 1]); a format with alpha gets
    ``alpha`` (None: opaque)."""
    rgb = np.ascontiguousarray(rgb)
    if rgb.dtype == np.float32:
        if pix_fmt not in ('gbrpf32le', 'gbrapf32le'):
            raise ValueError('float frames are written as EXR only')
        if pix_fmt == 'gbrapf32le':
            return alpha_frame(rgb, alpha, pix_fmt)
        return av.VideoFrame.from_ndarray(rgb, format=pix_fmt)
    scale = 255. if rgb.dtype == np.uint8 else 65535.
    if pix_fmt == 'gbrapf32le':
        return alpha_frame((rgb / scale).astype(np.float32), alpha, pix_fmt)
    if pix_fmt == 'gbrpf32le':
        return av.VideoFrame.from_ndarray((rgb / scale).astype(np.float32), format=pix_fmt)
    if pix_fmt in ('gbrp10le', 'gbrp12le'):
        top = 1023 if pix_fmt == 'gbrp10le' else 4095
        deep = np.round(rgb.astype(np.float64) * (top / scale)).astype(np.uint16)
        return av.VideoFrame.from_ndarray(deep, format=pix_fmt)
    want = np.uint8 if _depth(pix_fmt) <= 8 else np.uint16
    if format_has_alpha(pix_fmt):
        return alpha_frame(_as_dtype(rgb, want), None if alpha is None
                           else _as_dtype(alpha, want), pix_fmt)
    fmt = 'rgb24' if want == np.uint8 else 'rgb48le'
    frame = av.VideoFrame.from_ndarray(_as_dtype(rgb, want), format=fmt)
    return frame if pix_fmt == fmt else frame.reformat(format=pix_fmt)


def write_image(path, rgb, params=()):
    """Write an RGB ``uint8``/``uint16`` frame (8/16-bit PNG or TIFF by the extension)."""
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), list(params)):
        raise VideoIOError(f'cannot write {path}')


def encode_image(rgb, ext='.png', alpha=None):
    """The bytes of an RGB frame (with ``alpha`` ``(h, w)`` of its dtype, if given)
    encoded as ``ext`` (for writing atomically)."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if alpha is not None:
        bgr = np.dstack([bgr, alpha])
    ok, buf = cv2.imencode(ext, bgr)
    if not ok:
        raise VideoIOError(f'cannot encode a {rgb.shape[1]}x{rgb.shape[0]} image as {ext}')
    return buf.tobytes()
