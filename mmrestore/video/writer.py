"""Encode RGB frames (with their alpha planes where the pixel format has alpha):
encoder choice (same bit depth as the source, visually lossless, alpha kept where the
encoder can), a general :class:`VideoWriter` and the restorer's :class:`SegmentWriter`."""
import io
import os
from dataclasses import dataclass, field
from functools import lru_cache

import av
import numpy as np

from mmrestore.errors import VideoIOError

from .alpha import alpha_frame, alpha_twin, format_has_alpha
from .colour import sws_matrix, sws_range
from .formats import QUICKTIME_EXTS

# Encoders that take a constant rate factor, and their visually lossless default.
CRF_CODECS = {'libx264': 16, 'libx265': 16, 'libvpx-vp9': 20, 'libaom-av1': 20}
CRF_RANGE = {'libx264': 51, 'libx265': 51, 'libvpx-vp9': 63, 'libaom-av1': 63}
# Containers whose default codec is not H.264/HEVC: WebM takes VP8/VP9/AV1 only, and AVI
# cannot hold the restorer's H.264 segments as they are (no Annex B conversion).
CONTAINER_CODECS = {'.webm': 'libvpx-vp9', '.avi': 'ffv1'}
X26X_PRESETS = ('ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow',
                'slower', 'veryslow', 'placebo')


@dataclass
class EncoderSettings:
    """How restored frames are encoded.

    Args:
        codec (str): FFmpeg encoder name.
        pix_fmt (str): encoded pixel format.
        crf (int, optional): constant rate factor (encoders in ``CRF_CODECS``).
        preset (str, optional): encoder preset (x264/x265).
        options (dict): further encoder options.
        bit_rate (int, optional): target bits per second (instead of a crf).
    """
    codec: str
    pix_fmt: str
    crf: int = None
    preset: str = None
    options: dict = field(default_factory=dict)
    bit_rate: int = None

    def describe(self):
        extra = f' crf {self.crf}' if self.crf is not None else ''
        extra += f' preset {self.preset}' if self.preset else ''
        extra += ''.join(f' {k}={v}' for k, v in self.options.items()
                         if k not in ('threads', 'x265-params'))
        return f'{self.codec} {self.pix_fmt}{extra}'


# Still-image encoders: written as image sequences, not as a video's --codec.
IMAGE_CODECS = ('png', 'apng', 'tiff', 'dpx', 'exr', 'bmp', 'targa', 'sgi', 'ppm', 'pam',
                'pgm', 'qoi', 'gif', 'jpegls', 'libwebp', 'libwebp_anim')
# Profile -> pixel format of editing codecs (FFmpeg's prores_ks and dnxhd profile names).
PRORES_444 = ('4444', '4444xq')
PRORES_422 = ('proxy', 'lt', 'standard', 'hq')
DNXHR_PIX_FMTS = {'dnxhr_lb': 'yuv422p', 'dnxhr_sq': 'yuv422p', 'dnxhr_hq': 'yuv422p',
                  'dnxhr_hqx': 'yuv422p10le', 'dnxhr_444': 'yuv444p10le'}
# Options of ours that --encoder-opt must not set behind our back.
OWN_OPTIONS = {'crf': '--crf', 'preset': '--preset', 'pix_fmt': '--pix-fmt',
               'pixel_format': '--pix-fmt'}


def choose_encoder(info, codec=None, crf=None, preset=None, output=None, pix_fmt=None,
                   options=None):
    """Encoder settings for ``info``: visually lossless, same bit depth as the source.

    Default codec: the container's own where H.264/HEVC does not fit it
    (``CONTAINER_CODECS``: VP9 for WebM, lossless FFV1 for AVI), else libx264 for 8-bit
    sources and libx265 for deeper ones. The source pixel format is kept when the
    encoder supports it, else 4:2:0 of the source's depth; ProRes 4444/4444 XQ take
    4:4:4, DNxHR its profile's format (``dnxhd`` defaults to DNxHR HQ, HQX for deeper
    sources). A source with alpha gets the same format with alpha where the encoder
    has one of that depth (yuva420p for ffv1/libvpx-vp9, yuva444p10le for ProRes
    4444 or prores_ks without a profile, argb for qtrle); ``pix_fmt`` (``--pix-fmt``)
    overrides it, and must be one of the encoder's formats;
    ``options`` (``--encoder-opt``) are passed to the encoder (named choices checked).
    Raises :class:`VideoIOError` for an unknown or non-video encoder, a crf, preset,
    pixel format or profile it does not take.
    """
    from .sequence import check_encoder_options
    deep = info.bit_depth > 8
    ext = os.path.splitext(str(output or ''))[1].lower()
    codec = codec or CONTAINER_CODECS.get(ext) or ('libx265' if deep else 'libx264')
    try:
        found = av.codec.Codec(codec, 'w')
    except (av.error.FFmpegError, ValueError):
        raise VideoIOError(f'unknown video encoder: {codec}') from None
    if found.type != 'video':
        raise VideoIOError(f'{codec} is an {found.type} encoder; --codec takes a video one '
                           '(libx264, libx265, prores_ks, ffv1 ...)')
    if codec in IMAGE_CODECS:
        raise VideoIOError(f'--codec {codec}: cannot encode {codec} video; {codec} writes '
                           'image files: give a pattern OUTPUT (out/shot_%05d.png) or a '
                           'folder with --image-format')
    formats = [f.name for f in (found.video_formats or [])]
    user = {str(k): str(v) for k, v in (options or {}).items()}
    for key in user:
        if key in OWN_OPTIONS:
            raise VideoIOError(f'--encoder-opt {key}: use {OWN_OPTIONS[key]}')
    check_encoder_options(codec, user)
    if crf is not None:
        if codec not in CRF_CODECS:
            raise VideoIOError(f'--crf applies to {", ".join(CRF_CODECS)}, not {codec}')
        if not 0 <= crf <= CRF_RANGE[codec]:
            raise VideoIOError(f'--crf {crf}: {codec} takes 0 (lossless) to '
                               f'{CRF_RANGE[codec]}')
    if preset is not None:
        if codec not in ('libx264', 'libx265'):
            raise VideoIOError(f'--preset applies to libx264/libx265, not {codec}')
        if preset not in X26X_PRESETS:
            raise VideoIOError(f'--preset {preset}: choose from {", ".join(X26X_PRESETS)}')
    if pix_fmt is not None and formats and pix_fmt not in formats:
        raise VideoIOError(f'--pix-fmt {pix_fmt}: {codec} takes {", ".join(formats)}')
    profile = user.get('profile')
    if codec == 'dnxhd' and profile is None:
        profile = user['profile'] = 'dnxhr_hqx' if deep else 'dnxhr_hq'
    wanted = [pix_fmt] if pix_fmt else []
    if codec == 'prores_ks' and profile in PRORES_444:
        wanted.append('yuv444p10le')
    if codec == 'dnxhd' and profile in DNXHR_PIX_FMTS:
        wanted.append(DNXHR_PIX_FMTS[profile])
    if not info.is_folder:
        wanted.append(info.pix_fmt)
    if info.width % 2 or info.height % 2:  # odd sizes (frame folders): no chroma subsampling
        wanted += ['yuv444p10le'] if deep else ['yuv444p']
    wanted += ['yuv420p10le', 'yuv422p10le', 'yuv444p10le'] if deep else ['yuv420p']
    chosen = next((f for f in wanted if f in formats), None)
    if chosen is None and deep:
        raise VideoIOError(f'{codec} cannot encode {info.bit_depth}-bit video; '
                           'use libx265 or libx264')
    chosen = chosen or (formats[0] if formats else 'yuv420p')
    if info.has_alpha and pix_fmt is None:
        chosen = _with_alpha(chosen, formats, codec, profile) or chosen
    _check_profile(codec, profile, chosen)
    if codec in CRF_CODECS and crf is None:
        crf = CRF_CODECS[codec]
    if codec in ('libx264', 'libx265') and preset is None:
        preset = 'medium'
    options = {'x265-params': 'log-level=error'} if codec == 'libx265' else {}
    if codec == 'libx264':
        # One encoder thread: with x264's own threading the segments were not always the
        # same from run to run (the first segment of a resumed process differed in 3 of
        # 9 kill -9 runs with the automatic count, and the same video with and without
        # background I/O once in a full test run with the count fixed to the CPUs), so
        # resume and torchrun would not equal one run. Encoding runs in its own thread
        # beside the model; at 4K it may limit a fast GPU (not measured).
        options['threads'] = '1'
    options.update(user)
    return EncoderSettings(codec, chosen, crf, preset, options)


def _depth(pix_fmt):
    return max(c.bits for c in av.VideoFormat(pix_fmt).components)


def _with_alpha(chosen, formats, codec, profile):
    """The encoder's format that is ``chosen`` with alpha: its twin (yuv420p ->
    yuva420p), else one of the same depth (rgb24 -> argb for qtrle, yuv422p10le ->
    yuva444p10le for prores_ks); None where there is none, or the ProRes profile is
    4:2:2 (alpha needs 4444)."""
    if codec == 'prores_ks' and profile in PRORES_422:
        return None
    twin = alpha_twin(chosen)
    if twin in formats:
        return twin
    depth = _depth(chosen)
    return next((f for f in formats if format_has_alpha(f) and _depth(f) == depth), None)


def _check_profile(codec, profile, pix_fmt):
    """Refuse a ProRes/DNxHR profile with a pixel format of another chroma layout
    (FFmpeg would silently write e.g. a 4444 stream of 4:2:2 pictures)."""
    if codec == 'prores_ks' and profile in PRORES_444 and '444' not in pix_fmt:
        raise VideoIOError(f'--encoder-opt profile={profile} is ProRes 4:4:4; use '
                           f'--pix-fmt yuv444p10le (not {pix_fmt})')
    if codec == 'prores_ks' and profile in PRORES_422 and '422' not in pix_fmt:
        raise VideoIOError(f'--encoder-opt profile={profile} is ProRes 4:2:2; use '
                           f'--pix-fmt yuv422p10le (not {pix_fmt}), or profile=4444')
    if codec == 'dnxhd' and profile in DNXHR_PIX_FMTS:
        need = DNXHR_PIX_FMTS[profile]
        ok = pix_fmt == need or (profile == 'dnxhr_444' and pix_fmt == 'gbrp10le')
        if not ok:
            raise VideoIOError(f'--encoder-opt profile={profile} takes --pix-fmt {need} '
                               f'(not {pix_fmt})')


def add_encoder_stream(container, encoder, fps, width, height, colour=None,
                       max_b_frames=None, sample_aspect_ratio=None):
    """A video stream of ``container`` set up to encode as ``encoder`` (not yet open),
    with ``sample_aspect_ratio`` (Fraction, None: square) on its codec parameters (and
    in the H.264/HEVC bitstream)."""
    stream = container.add_stream(encoder.codec, rate=fps)
    stream.width, stream.height, stream.pix_fmt = width, height, encoder.pix_fmt
    ctx = stream.codec_context
    if sample_aspect_ratio:
        ctx.sample_aspect_ratio = sample_aspect_ratio
    if max_b_frames is not None:
        ctx.max_b_frames = max_b_frames
    for key, value in (colour or {}).items():
        setattr(ctx, key, value)
    options = dict(encoder.options)
    if encoder.crf is not None:
        options['crf'] = str(encoder.crf)
    if encoder.preset:
        options['preset'] = encoder.preset
    stream.options = options
    if encoder.bit_rate:
        stream.bit_rate = encoder.bit_rate
    return stream


@lru_cache(maxsize=None)
def segment_format(codec):
    """Container of the restorer's segment files: Matroska, else QuickTime (which holds
    DNxHD/DNxHR, which Matroska and NUT refuse here), else NUT."""
    for name in ('matroska', 'mov'):
        with av.open(io.BytesIO(), 'w', format=name) as probe:
            try:
                probe.add_stream(codec, rate=25)
                return name
            except ValueError:
                continue
    return 'nut'


class VideoWriter:
    """Encode RGB frames into a video file: one video stream, audio optionally copied.

    The file and its encoder are opened by the first :meth:`write` (or :meth:`close`),
    so a writer made in one thread and fed in another is used by that thread only. With
    ``atomic`` the file is written beside ``path`` and renamed at :meth:`close`: the
    path never holds half a video (a failed ``with`` block removes the partial file).

    Args:
        path (str): the video file; the muxer comes from its extension or ``format``.
        fps (Fraction | int): frame rate.
        encoder (EncoderSettings): codec, pixel format, crf, preset and options.
            Default: libx264 yuv420p crf 16.
        colour (dict, optional): FFmpeg colour tags to set (``colorspace`` and
            ``color_range`` also pick the RGB -> YUV conversion, as when decoding).
        size (tuple[int, int], optional): (width, height), if no frame may be written.
        time_base (Fraction, optional): time base of the ``pts`` given to :meth:`write`
            (also the MP4/MOV track timescale). Default: ``1 / fps``.
        max_b_frames (int, optional): e.g. 0 for one packet per frame, in order.
        audio_from (str, optional): a file whose audio streams are copied, up to the
            end of the last frame written.
        format (str, optional): muxer name. Default: from the extension.
        atomic (bool): write through a partial file. Default: True.
        timecode (str, optional): timecode of the first frame (a QuickTime/MP4 timecode
            track, MXF/Matroska metadata).
        sample_aspect_ratio (Fraction, optional): pixel aspect ratio of the stream
            (see :func:`add_encoder_stream`). Default: square.
    """

    def __init__(self, path, fps, encoder=None, colour=None, size=None, time_base=None,
                 max_b_frames=None, audio_from=None, format=None, atomic=True,
                 timecode=None, sample_aspect_ratio=None):
        self.path, self.fps = str(path), fps
        self.encoder = encoder or EncoderSettings('libx264', 'yuv420p', 16)
        self.colour, self.size, self.time_base = dict(colour or {}), size, time_base
        self.max_b_frames, self.audio_from, self.format = max_b_frames, audio_from, format
        self.timecode = timecode
        self.sample_aspect_ratio = sample_aspect_ratio
        self._alpha = format_has_alpha(self.encoder.pix_fmt)
        root, ext = os.path.splitext(self.path)
        self._target = f'{root}.partial{ext}' if atomic else self.path
        self.container = None
        self.frames = 0
        self._last_time = None

    def _open(self, width, height):
        encoder = self.encoder
        options = {}
        tb = self.time_base
        if tb is not None and tb.numerator == 1 and self.path.lower().endswith(
                QUICKTIME_EXTS):
            options['video_track_timescale'] = str(tb.denominator)
        self.container = av.open(self._target, 'w', format=self.format, options=options)
        if self.timecode:
            self.container.metadata['timecode'] = self.timecode
        stream = add_encoder_stream(self.container, encoder, self.fps, width, height,
                                    self.colour, self.max_b_frames,
                                    self.sample_aspect_ratio)
        self.stream = stream
        self._audio = None
        if self.audio_from:
            self._audio = av.open(str(self.audio_from))
            self._audio_map = {s.index: self.container.add_stream(template=s)
                               for s in self._audio.streams.audio}
        self._matrix = sws_matrix(self.colour, height)
        self._range = sws_range(self.colour)

    def write(self, rgb, pts=None, alpha=None):
        """Encode one RGB frame ``(h, w, 3)`` ``uint8``/``uint16``; ``pts`` in
        ``time_base`` (default: the frame's index). ``alpha`` ``(h, w)`` (the frame's
        dtype) is encoded when the pixel format has alpha (None: opaque), else
        ignored."""
        if self.container is None:
            self._open(rgb.shape[1], rgb.shape[0])
        if self._alpha:
            frame = alpha_frame(rgb, alpha, self.encoder.pix_fmt,
                                dst_colorspace=self._matrix, dst_color_range=self._range)
        else:
            fmt = 'rgb24' if rgb.dtype == np.uint8 else 'rgb48le'
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format=fmt)
            frame = frame.reformat(format=self.encoder.pix_fmt,
                                   dst_colorspace=self._matrix, dst_color_range=self._range)
        frame.pts = self.frames if pts is None else pts
        if self.time_base is not None:
            frame.time_base = self.time_base
            self._last_time = frame.pts * self.time_base
        else:
            self._last_time = frame.pts / self.fps
        self.container.mux(self.stream.encode(frame))
        self.frames += 1

    def close(self):
        """Flush the encoder, copy the audio, and (atomic) move the file into place."""
        if self.container is None:
            if self.size is None:
                raise VideoIOError(f'{self.path}: no frame written and no size given')
            self._open(*self.size)
        if not self.frames:  # still a valid file: header and trailer, no frame
            self.container.start_encoding()
        self.container.mux(self.stream.encode(None))
        if self._audio is not None:
            for packet in self._audio.demux(list(self._audio.streams.audio)):
                if not packet.size or packet.pts is None:
                    continue
                if self._last_time is None or packet.pts * packet.time_base > self._last_time:
                    continue
                packet.stream = self._audio_map[packet.stream.index]
                self.container.mux(packet)
            self._audio.close()
        self.container.close()
        if self._target != self.path:
            os.replace(self._target, self.path)

    def abort(self):
        """Close without finishing, removing a partial file."""
        try:
            if self.container is not None:
                self.container.close()
        finally:
            if self._target != self.path and os.path.exists(self._target):
                os.remove(self._target)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_video(path, frames, fps=25, encoder=None, alphas=None, **kwargs):
    """Encode RGB frames ``(t, h, w, 3)`` (and ``alphas`` ``(t, h, w)``, for a pixel
    format with alpha) into ``path`` (atomically); returns ``path``.

    ``kwargs`` go to :class:`VideoWriter` (``colour``, ``time_base``, ``audio_from``,
    ``sample_aspect_ratio`` ...).
    """
    with VideoWriter(path, fps, encoder, **kwargs) as writer:
        for i, frame in enumerate(frames):
            writer.write(frame, alpha=None if alphas is None else alphas[i])
    return path


class SegmentWriter(VideoWriter):
    """Encode consecutive restored frames (and alpha planes) into one segment file
    (Matroska), with the source's pixel aspect ratio.

    Segments hold one packet per frame in order (no B-frames), so
    :func:`~mmrestore.video.join.join_segments` can stream-copy them into the output
    with the source's timestamps. Every segment is encoded with identical settings,
    hence identical stream headers.

    Opened lazily (see :class:`VideoWriter`): with the encoder of the previous segment
    still encoding in the writing thread, opening the next one in the main thread made
    libx264 output depend on timing (a resumed run's last segments differed from an
    uninterrupted run's).

    Args:
        path (str): the segment file.
        info (SourceInfo): the source (size, rate, colour tags).
        encoder (EncoderSettings): encoder settings.
    """

    def __init__(self, path, info, encoder):
        super().__init__(path, info.fps, encoder, info.colour, (info.width, info.height),
                         max_b_frames=0, format=segment_format(encoder.codec),
                         atomic=False, sample_aspect_ratio=info.sample_aspect_ratio)
        self.info = info
