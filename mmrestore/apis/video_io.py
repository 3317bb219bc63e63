"""Video and frame-folder I/O for the streaming restorer (PyAV, OpenCV for images).

Frames travel as RGB numpy arrays ``(h, w, 3)``: ``uint8`` for 8-bit sources, ``uint16``
for deeper ones (10/12-bit video, 16-bit images). Video is decoded with the source's
colour matrix and range and encoded back with the same, and the stream's colour tags
(primaries, transfer, matrix, range) are copied to the output. PyAV 13's swscale wrapper
has no BT.2020 matrix: BT.2020 sources are converted with BT.709 coefficients both ways
(the tags are still carried over).
"""
import os
import os.path as osp
import re
from dataclasses import dataclass, field
from fractions import Fraction

import av
import cv2
import numpy as np

IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp')
# Containers the restorer writes (the extension picks the muxer).
VIDEO_EXTS = ('.mp4', '.mov', '.mkv', '.m4v', '.avi', '.webm', '.mxf', '.ts', '.nut')
# Encoders that take a constant rate factor, and their visually lossless default.
CRF_CODECS = {'libx264': 16, 'libx265': 16, 'libvpx-vp9': 20, 'libaom-av1': 20}
# AVColorSpace -> swscale matrix (PyAV 13 names); BT.2020 (9, 10) falls back to BT.709.
_SWS_MATRIX = {1: 'ITU709', 4: 'FCC', 5: 'ITU601', 6: 'SMPTE170M', 7: 'SMPTE240M',
               9: 'ITU709', 10: 'ITU709'}


class VideoIOError(Exception):
    """A user-facing problem with an input or output (one clear line)."""


def natural_key(name):
    """Sort key putting 'f2.png' before 'f10.png'."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r'(\d+)', name)]


def is_video_path(path):
    """Whether ``path`` names a video file by its extension."""
    return osp.splitext(str(path))[1].lower() in VIDEO_EXTS


@dataclass
class SourceInfo:
    """What the restorer needs to know about an input, from :func:`probe_source`.

    Args:
        path (str): the input (video file or frame folder).
        num_frames (int): number of frames.
        width (int): frame width.
        height (int): frame height.
        bit_depth (int): bits per sample (8, 10, 12, 16).
        fps (Fraction): frame rate.
        time_base (Fraction): time base of ``pts``.
        pts (list[int]): presentation time of every frame, in ``time_base``.
        pix_fmt (str): source pixel format ('rgb24'/'rgb48le' for folders).
        colour (dict): ``color_primaries``, ``color_trc``, ``colorspace``, ``color_range``
            as FFmpeg enum values (0/2 = unspecified).
        audio_streams (int): audio streams in the input (copied unchanged).
        frame_names (list[str]): file names of a frame folder, else empty.
        other_streams (int): further video, subtitle and data streams (not copied).
    """
    path: str
    num_frames: int
    width: int
    height: int
    bit_depth: int
    fps: Fraction
    time_base: Fraction
    pts: list
    pix_fmt: str
    colour: dict = field(default_factory=dict)
    audio_streams: int = 0
    frame_names: list = field(default_factory=list)
    other_streams: int = 0

    @property
    def is_folder(self):
        return bool(self.frame_names)

    @property
    def dtype(self):
        return np.uint8 if self.bit_depth <= 8 else np.uint16

    def describe(self):
        kind = 'frame folder' if self.is_folder else 'video'
        audio = f', {self.audio_streams} audio stream(s)' if self.audio_streams else ''
        return (f'{kind} {self.path}: {self.num_frames} frames {self.width}x{self.height} '
                f'{self.pix_fmt} ({self.bit_depth}-bit) at {float(self.fps):.3f} fps{audio}')


def probe_source(path, folder_fps=25):
    """Describe a video file or a frame folder; raise :class:`VideoIOError` if unusable.

    Video frames are counted and timed by demuxing (no decoding), so this is fast.
    """
    path = str(path)
    if not osp.exists(path):
        raise VideoIOError(f'input not found: {path}')
    if osp.isdir(path):
        return _probe_folder(path, folder_fps)
    try:
        container = av.open(path)
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise VideoIOError(f'input is not a readable video: {path} ({exc})') from None
    with container:
        if not container.streams.video:
            raise VideoIOError(f'input has no video stream: {path}')
        stream = container.streams.video[0]
        ctx = stream.codec_context
        pts = []
        try:
            for packet in container.demux(stream):
                if packet.size and not packet.is_discard:  # discard: outside edit list
                    pts.append(packet.pts)
        except av.error.FFmpegError as exc:
            raise VideoIOError(f'input is damaged: {path} ({exc})') from None
        if not pts:
            raise VideoIOError(f'input has no video frames: {path}')
        fps = stream.average_rate or stream.guessed_rate or Fraction(25)
        time_base = stream.time_base or Fraction(1, 90000)
        if any(p is None for p in pts):  # e.g. raw elementary streams: time from rate
            step = 1 / (fps * time_base)
            pts = [round(i * step) for i in range(len(pts))]
        pts.sort()
        fmt = av.VideoFormat(ctx.format.name) if ctx.format else None
        if fmt is None or not ctx.width:
            raise VideoIOError(f'cannot read the video format of {path}')
        depth = max(c.bits for c in fmt.components)
        colour = dict(color_primaries=ctx.color_primaries, color_trc=ctx.color_trc,
                      colorspace=ctx.colorspace, color_range=ctx.color_range)
        others = sum(s.type not in ('video', 'audio') for s in container.streams)
        others += len(container.streams.video) - 1
        return SourceInfo(path, len(pts), ctx.width, ctx.height, depth, Fraction(fps),
                          Fraction(time_base), pts, fmt.name, colour,
                          len(container.streams.audio), other_streams=others)


def _probe_folder(path, fps):
    names = sorted((n for n in os.listdir(path) if n.lower().endswith(IMAGE_EXTS)
                    and not n.startswith('.')), key=natural_key)
    if not names:
        raise VideoIOError(f'input folder has no frames ({"/".join(IMAGE_EXTS)}): {path}')
    first = read_image(osp.join(path, names[0]))
    h, w = first.shape[:2]
    depth = 8 if first.dtype == np.uint8 else 16
    fps = Fraction(fps).limit_denominator(1001)
    time_base = 1 / fps
    return SourceInfo(path, len(names), w, h, depth, fps, time_base, list(range(len(names))),
                      'rgb24' if depth == 8 else 'rgb48le', {}, 0, names)


def read_image(path):
    """Read an image file as RGB ``uint8``/``uint16`` ``(h, w, 3)``."""
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise VideoIOError(f'cannot read image {path}')
    if img.dtype not in (np.uint8, np.uint16):
        raise VideoIOError(f'unsupported sample type {img.dtype} in {path}')
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2RGB)


def _matrix(colour, height):
    """swscale matrix for a source: its own, or BT.709 for unspecified HD, BT.601 else."""
    name = _SWS_MATRIX.get(colour.get('colorspace') or 2)
    if name is None:
        name = 'ITU709' if height >= 720 else 'ITU601'
    return name


def _range(colour):
    """swscale range of a source: full ('JPEG') only when tagged so, else limited."""
    return 'JPEG' if colour.get('color_range') == 2 else 'MPEG'


class FrameSource:
    """Sequential, restartable access to the frames of a :class:`SourceInfo`.

    :meth:`window` returns frames ``[start, stop)`` keeping only what the next window may
    reuse, so at most ``stop - start`` decoded frames live in memory. Video is decoded in
    order (frames before ``start`` are decoded but not converted).

    Args:
        info (SourceInfo): the probed input.
    """

    def __init__(self, info):
        self.info = info
        self._cache = {}  # index -> frame
        self._iter = None
        self._next = 0  # index of the next frame the decoder yields
        self._rgb = 'rgb24' if info.bit_depth <= 8 else 'rgb48le'

    def window(self, start, stop):
        """RGB frames ``[start, stop)`` as a list of arrays."""
        self._cache = {i: f for i, f in self._cache.items() if start <= i < stop}
        if self.info.is_folder:
            for i in range(start, stop):
                if i not in self._cache:
                    self._cache[i] = self._read_image(i)
        else:
            missing = [i for i in range(start, stop) if i not in self._cache]
            if missing and missing[0] < self._next:
                self._restart()
            while self._next < stop:
                frame = self._decode_next()
                if self._next - 1 >= start:
                    self._cache[self._next - 1] = self._to_rgb(frame)
        return [self._cache[i] for i in range(start, stop)]

    def _read_image(self, i):
        img = read_image(osp.join(self.info.path, self.info.frame_names[i]))
        if img.shape[:2] != (self.info.height, self.info.width):
            raise VideoIOError(f'{self.info.frame_names[i]} is {img.shape[1]}x{img.shape[0]}'
                               f', the first frame {self.info.width}x{self.info.height}')
        if img.dtype != self.info.dtype:
            img = img.astype(self.info.dtype) * (257 if img.dtype == np.uint8 else 1)
        return img

    def _restart(self):
        self.close()
        self._container = av.open(self.info.path)
        stream = self._container.streams.video[0]
        stream.thread_type = 'AUTO'
        self._iter = self._container.decode(stream)
        self._next = 0

    def _decode_next(self):
        if self._iter is None:
            self._restart()
        try:
            frame = next(self._iter)
        except StopIteration:
            raise VideoIOError(f'{self.info.path}: decoded only {self._next} of '
                               f'{self.info.num_frames} frames') from None
        self._next += 1
        return frame

    def _to_rgb(self, frame):
        colour = self.info.colour
        return frame.to_ndarray(format=self._rgb,
                                src_colorspace=_matrix(colour, self.info.height),
                                src_color_range=_range(colour))

    def close(self):
        if self._iter is not None:
            self._iter = None
            self._container.close()

    def sample(self, count, max_gap=250):
        """Up to ``count`` RGB frames spread evenly over the clip (e.g. for its noise
        profile), the same on every run. A frame folder gives the exact frames; a video
        is decoded forward to each position when it is at most ``max_gap`` frames ahead,
        else sought there (then decoded forward from the keyframe before it). Leaves no
        decoder open.
        """
        n = self.info.num_frames
        picks = sorted({int(i) for i in np.linspace(0, n - 1, min(count, n))})
        if self.info.is_folder:
            return [self._read_image(i) for i in picks]
        frames = []
        with av.open(self.info.path) as container:
            stream = container.streams.video[0]
            step = 1 / (float(stream.time_base) * self.info.fps)  # pts per frame
            start = stream.start_time or 0
            decoded, pts = container.decode(stream), None
            for i in picks:
                target = start + i * step
                if pts is not None and target - pts > max_gap * step:
                    container.seek(int(target), stream=stream, backward=True)
                    decoded = container.decode(stream)
                for frame in decoded:
                    pts = frame.pts if frame.pts is not None else target
                    if pts >= target - step / 2:
                        frames.append(self._to_rgb(frame))
                        break
        return frames


@dataclass
class EncoderSettings:
    """How restored frames are encoded.

    Args:
        codec (str): FFmpeg encoder name.
        pix_fmt (str): encoded pixel format.
        crf (int, optional): constant rate factor (encoders in ``CRF_CODECS``).
        preset (str, optional): encoder preset (x264/x265).
        options (dict): further encoder options.
    """
    codec: str
    pix_fmt: str
    crf: int = None
    preset: str = None
    options: dict = field(default_factory=dict)

    def describe(self):
        extra = f' crf {self.crf}' if self.crf is not None else ''
        extra += f' preset {self.preset}' if self.preset else ''
        return f'{self.codec} {self.pix_fmt}{extra}'


def choose_encoder(info, codec=None, crf=None, preset=None):
    """Encoder settings for ``info``: visually lossless, same bit depth as the source.

    Default codec: libx264 for 8-bit sources, libx265 for deeper ones. The source pixel
    format is kept when the encoder supports it, else 4:2:0 of the source's depth.
    Raises :class:`VideoIOError` for an unknown encoder or a CRF it does not take.
    """
    deep = info.bit_depth > 8
    codec = codec or ('libx265' if deep else 'libx264')
    try:
        formats = [f.name for f in (av.codec.Codec(codec, 'w').video_formats or [])]
    except (av.error.FFmpegError, ValueError):
        raise VideoIOError(f'unknown video encoder: {codec}') from None
    if crf is not None and codec not in CRF_CODECS:
        raise VideoIOError(f'--crf applies to {", ".join(CRF_CODECS)}, not {codec}')
    if preset is not None and codec not in ('libx264', 'libx265'):
        raise VideoIOError(f'--preset applies to libx264/libx265, not {codec}')
    wanted = [info.pix_fmt] if not info.is_folder else []
    if info.width % 2 or info.height % 2:  # odd sizes (frame folders): no chroma subsampling
        wanted += ['yuv444p10le'] if deep else ['yuv444p']
    wanted += ['yuv420p10le', 'yuv422p10le', 'yuv444p10le'] if deep else ['yuv420p']
    pix_fmt = next((f for f in wanted if f in formats), None)
    if pix_fmt is None and deep:
        raise VideoIOError(f'{codec} cannot encode {info.bit_depth}-bit video; '
                           'use libx265 or libx264')
    pix_fmt = pix_fmt or (formats[0] if formats else 'yuv420p')
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
    return EncoderSettings(codec, pix_fmt, crf, preset, options)


class SegmentWriter:
    """Encode consecutive restored frames into one segment file (Matroska).

    Segments hold one packet per frame in order (no B-frames), so :func:`join_segments`
    can stream-copy them into the output with the source's timestamps. Every segment is
    encoded with identical settings, hence identical stream headers.

    The file and its encoder are opened by the first :meth:`write` (or :meth:`close`),
    so a writer made in one thread and fed in a background one is used by that thread
    only: with the encoder of the previous segment still encoding there, opening the
    next one in the main thread made libx264 output depend on timing (a resumed run's
    last segments differed from an uninterrupted run's).

    Args:
        path (str): the segment file.
        info (SourceInfo): the source (size, rate, colour tags).
        encoder (EncoderSettings): encoder settings.
    """

    def __init__(self, path, info, encoder):
        self.path, self.info, self.encoder = path, info, encoder
        self.container = None
        self.frames = 0
        self._matrix = _matrix(info.colour, info.height)
        self._range = _range(info.colour)

    def _open(self):
        info, encoder = self.info, self.encoder
        self.container = av.open(self.path, 'w', format='matroska')
        stream = self.container.add_stream(encoder.codec, rate=info.fps)
        stream.width, stream.height, stream.pix_fmt = info.width, info.height, encoder.pix_fmt
        ctx = stream.codec_context
        ctx.max_b_frames = 0
        for key, value in info.colour.items():
            setattr(ctx, key, value)
        options = dict(encoder.options)
        if encoder.crf is not None:
            options['crf'] = str(encoder.crf)
        if encoder.preset:
            options['preset'] = encoder.preset
        stream.options = options
        self.stream = stream

    def write(self, rgb):
        """Encode one RGB frame ``(h, w, 3)`` uint8/uint16."""
        if self.container is None:
            self._open()
        fmt = 'rgb24' if rgb.dtype == np.uint8 else 'rgb48le'
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format=fmt)
        frame = frame.reformat(format=self.encoder.pix_fmt, dst_colorspace=self._matrix,
                               dst_color_range=self._range)
        frame.pts = self.frames
        self.container.mux(self.stream.encode(frame))
        self.frames += 1

    def close(self):
        if self.container is None:
            self._open()
        self.container.mux(self.stream.encode(None))
        self.container.close()


def join_segments(segments, output, info, copy_audio=True):
    """Stream-copy segment files into ``output`` with the source's timestamps and audio.

    Video packets get the source frames' pts (same time base for MP4/MOV); audio packets
    of the source are copied unchanged and interleaved by time.

    Args:
        segments (list[str]): segment files in order, from :class:`SegmentWriter`.
        output (str): the output file (muxer from its extension).
        info (SourceInfo): the source.
        copy_audio (bool): copy the source's audio streams. Default: True.

    Returns:
        int: number of video frames written.
    """
    ext = osp.splitext(output)[1].lower()
    options = {}
    tb = info.time_base
    if ext in ('.mp4', '.mov', '.m4v') and tb.numerator == 1:
        options['video_track_timescale'] = str(tb.denominator)
    fmt = {'.m4v': 'mp4'}.get(ext)
    first = av.open(segments[0])
    out = av.open(output, 'w', format=fmt, options=options)
    source = None
    try:
        video = out.add_stream(template=first.streams.video[0])
        audio_pairs = []
        if copy_audio and info.audio_streams:
            source = av.open(info.path)
            for stream in source.streams.audio:
                audio_pairs.append((stream, out.add_stream(template=stream)))
        durations = np.diff(info.pts)
        last = int(np.median(durations)) if len(durations) else round(1 / (info.fps * tb))
        durations = list(durations) + [last]

        def video_packets():
            index = 0
            for seg in segments:
                with av.open(seg) as container:
                    for packet in container.demux(container.streams.video[0]):
                        if not packet.size:
                            continue
                        if index >= info.num_frames:
                            raise VideoIOError(f'segment {seg} has extra frames')
                        packet.pts = packet.dts = info.pts[index]
                        packet.duration = int(durations[index])
                        packet.time_base = tb
                        packet.stream = video
                        index += 1
                        yield packet

        audio = (source.demux([s for s, _ in audio_pairs]) if audio_pairs else iter(()))
        audio_map = {s.index: o for s, o in audio_pairs}
        count = 0
        pending_audio = _next_packet(audio)
        for packet in video_packets():
            t_video = packet.pts * tb
            while pending_audio is not None and _time(pending_audio) <= t_video:
                pending_audio.stream = audio_map[pending_audio.stream.index]
                out.mux(pending_audio)
                pending_audio = _next_packet(audio)
            out.mux(packet)
            count += 1
        while pending_audio is not None:
            pending_audio.stream = audio_map[pending_audio.stream.index]
            out.mux(pending_audio)
            pending_audio = _next_packet(audio)
    finally:
        out.close()
        first.close()
        if source is not None:
            source.close()
    if count != info.num_frames:
        raise VideoIOError(f'joined {count} frames, expected {info.num_frames}')
    return count


def _next_packet(packets):
    for packet in packets:
        if packet.size and packet.dts is not None:
            return packet
    return None


def _time(packet):
    return packet.dts * packet.time_base


def write_png(path, rgb):
    """Write an RGB ``uint8``/``uint16`` frame as an 8/16-bit PNG."""
    if not cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise VideoIOError(f'cannot write {path}')
