"""Alpha planes: which pixel formats carry one, reading it from a decoded frame, and
putting it into a frame to encode.

The model restores RGB only; an alpha plane travels beside its frame unchanged, as an
``(h, w)`` array of the frame's dtype at full scale (``uint8`` 0..255 for 8-bit
sources, ``uint16`` 0..65535 for deeper ones, as the RGB samples). Planes are rescaled
to the bits of the format they are read from or written to, with rounding, so an
alpha of N bits written at N or more bits reads back exactly.
"""
import av
import numpy as np


def format_has_alpha(pix_fmt):
    """Whether FFmpeg pixel format ``pix_fmt`` has an alpha component."""
    try:
        return any(c.is_alpha for c in av.VideoFormat(pix_fmt).components)
    except (ValueError, TypeError):
        return False


def alpha_twin(pix_fmt):
    """The pixel format of ``pix_fmt``'s layout and depth with alpha (yuv444p10le ->
    yuva444p10le, gbrp -> gbrap, rgb24 -> rgba), ``pix_fmt`` itself if it has alpha,
    None if FFmpeg has no such format."""
    if format_has_alpha(pix_fmt):
        return pix_fmt
    packed = {'rgb24': 'rgba', 'bgr24': 'bgra', 'rgb0': 'rgba', 'bgr0': 'bgra',
              '0rgb': 'argb', '0bgr': 'abgr', 'rgb48le': 'rgba64le', 'rgb48be': 'rgba64be',
              'gray': 'ya8', 'gray16le': 'ya16le', 'gray16be': 'ya16be'}
    if pix_fmt in packed:
        return packed[pix_fmt]
    for plain, with_alpha in (('yuv', 'yuva'), ('gbrp', 'gbrap')):
        if pix_fmt.startswith(plain):
            twin = with_alpha + pix_fmt[len(plain):]
            return twin if format_has_alpha(twin) else None
    return None


def _alpha_component(fmt):
    return next(c for c in fmt.components if c.is_alpha)


def rescale(plane, bits, dtype):
    """A plane of ``bits``-bit samples (32: float in [0, 1]) at ``dtype``'s full scale
    (``uint8``/``uint16``), rounded; float values outside [0, 1] and NaN are clipped."""
    dtype = np.dtype(dtype)
    top = 255 if dtype == np.uint8 else 65535
    if bits == 32:
        plane = np.nan_to_num(plane.astype(np.float64), nan=0.)
        return np.round(np.clip(plane, 0, 1) * top).astype(dtype)
    if (1 << bits) - 1 == top:
        return plane.astype(dtype, copy=True)
    return np.round(plane.astype(np.float64) * (top / ((1 << bits) - 1))).astype(dtype)


def to_bits(alpha, bits):
    """An alpha plane (``uint8``/``uint16`` full scale) as ``bits``-bit samples (32:
    ``float32`` in [0, 1]), rounded."""
    scale = 255. if alpha.dtype == np.uint8 else 65535.
    if bits == 32:
        return (alpha / scale).astype(np.float32)
    top = (1 << bits) - 1
    if top == scale:
        return alpha
    return np.round(alpha.astype(np.float64) * (top / scale)).astype(
        np.uint8 if bits <= 8 else np.uint16)


def plane_array(plane, dtype):
    """The samples of an av plane ``(height, width)`` (line padding left out)."""
    dtype = np.dtype(dtype)
    rows = np.frombuffer(plane, dtype).reshape(plane.height, -1)
    return rows[:, :plane.width]


# Packed formats with alpha: (samples per pixel, position of the alpha sample).
_PACKED_ALPHA = {'argb': (4, 0), 'abgr': (4, 0), 'rgba': (4, 3), 'bgra': (4, 3),
                 'rgba64le': (4, 3), 'rgba64be': (4, 3), 'bgra64le': (4, 3),
                 'bgra64be': (4, 3), 'ya8': (2, 1), 'ya16le': (2, 1), 'ya16be': (2, 1)}


def _sample_type(fmt, bits):
    if bits == 32:
        return np.dtype('>f4' if fmt.is_big_endian else '<f4')
    return np.dtype(np.uint8) if bits <= 8 else np.dtype(
        '>u2' if fmt.is_big_endian else '<u2')


def read_alpha(frame, dtype):
    """The alpha plane ``(h, w)`` of an ``av.VideoFrame`` at ``dtype``'s full scale, or
    None if its format has no alpha. Read as stored: the alpha plane of planar formats
    (yuva*, gbrap*), the alpha samples of packed ones (argb, rgba, ya8 ...)."""
    fmt = frame.format
    if not format_has_alpha(fmt.name):
        return None
    comp = _alpha_component(fmt)
    sample = _sample_type(fmt, comp.bits)
    if fmt.is_planar:
        plane = plane_array(frame.planes[comp.plane], sample)
    elif fmt.name in _PACKED_ALPHA:
        count, position = _PACKED_ALPHA[fmt.name]
        rows = np.frombuffer(frame.planes[0], sample).reshape(frame.height, -1)
        plane = rows[:, :frame.width * count].reshape(frame.height, frame.width,
                                                     count)[..., position]
    else:  # other packed layouts: swscale's repacking to RGBA
        plane = frame.to_ndarray(format='rgba' if comp.bits <= 8 else 'rgba64le')[..., 3]
    return rescale(plane.astype(plane.dtype.newbyteorder('=')), comp.bits, dtype)


def opaque(rgb):
    """A fully opaque alpha plane for an RGB frame ``(h, w, 3)``."""
    return np.full(rgb.shape[:2], 255 if rgb.dtype == np.uint8 else 65535, rgb.dtype)


def set_alpha(frame, alpha):
    """Write an alpha plane (``uint8``/``uint16`` full scale) into the alpha plane of a
    planar ``av.VideoFrame`` (yuva*, gbrap*, gbrapf32le) in place."""
    comp = _alpha_component(frame.format)
    samples = to_bits(alpha, comp.bits).astype(_sample_type(frame.format, comp.bits))
    fill_plane(frame.planes[comp.plane], samples)
    return frame


def fill_plane(plane, samples):
    """Copy ``samples`` ``(height, width)`` into an av plane (with its line padding)."""
    rows = np.zeros((plane.height, plane.line_size // samples.itemsize), samples.dtype)
    rows[:, :plane.width] = samples
    plane.update(rows.tobytes())


def alpha_frame(rgb, alpha, pix_fmt, **reformat):
    """An ``av.VideoFrame`` of ``pix_fmt`` (a format with alpha) from an RGB frame
    ``(h, w, 3)`` and its alpha plane ``(h, w)`` (None: opaque), both ``uint8`` or
    ``uint16`` (for ``gbrapf32le`` the RGB may be ``float32`` in [0, 1]).
    ``reformat`` (the RGB -> YUV matrix and range) goes to ``VideoFrame.reformat``."""
    if alpha is None:
        alpha = np.full(rgb.shape[:2], 65535, np.uint16) if rgb.dtype == np.float32 \
            else opaque(rgb)
    if rgb.dtype == np.float32:  # EXR: float planes as they are (swscale rounds them)
        frame = av.VideoFrame(rgb.shape[1], rgb.shape[0], pix_fmt)
        for i, comp in enumerate(frame.format.components[:3]):
            fill_plane(frame.planes[comp.plane], np.ascontiguousarray(rgb[..., i]))
        return set_alpha(frame, alpha)
    deep = rgb.dtype != np.uint8
    if not av.VideoFormat(pix_fmt).is_planar:  # packed RGBA orders: an exact repacking
        rgba = np.ascontiguousarray(np.dstack([rgb, alpha]))
        frame = av.VideoFrame.from_ndarray(rgba, format='rgba64le' if deep else 'rgba')
        return frame if frame.format.name == pix_fmt else frame.reformat(format=pix_fmt)
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb),
                                       format='rgb48le' if deep else 'rgb24')
    return set_alpha(frame.reformat(format=pix_fmt, **reformat), alpha)


def float_rgb(frame):
    """The RGB ``float32`` ``(h, w, 3)`` of a gbrpf32le/gbrapf32le frame, read from its
    planes (swscale's float conversion rounds them)."""
    comps = frame.format.components[:3]
    return np.dstack([plane_array(frame.planes[c.plane], np.float32) for c in comps])
