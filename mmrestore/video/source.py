"""Probe an input: a video file (container -> first video stream), a frame folder or an
image sequence pattern; select a frame range.

Frames travel as RGB numpy arrays ``(h, w, 3)``: ``uint8`` for 8-bit sources, ``uint16``
for deeper ones (10/12-bit video, 16-bit images).
"""
import bisect
import os.path as osp
from dataclasses import dataclass, field, replace
from fractions import Fraction

import av
import numpy as np

from mmrestore.errors import VideoIOError

from .alpha import format_has_alpha
from .formats import IMAGE_EXTS
from .images import image_header, list_images, load_image_alpha
from .rotation import read_display_matrix
from .sequence import find_frames, folder_numbers, is_pattern
from .timecode import (is_timecode, offset_timecode, standard_rate, timecode_distance,
                       timecode_to_frames)


@dataclass
class SourceInfo:
    """What the restorer needs to know about an input, from :func:`probe_source`.

    Args:
        path (str): the input (video file or the folder of a frame sequence).
        num_frames (int): number of frames (of the selected range, see
            :func:`select_range`).
        width (int): frame width.
        height (int): frame height.
        bit_depth (int): bits per sample (8, 10, 12, 16; float frames count as 16).
        fps (Fraction): frame rate.
        time_base (Fraction): time base of ``pts``.
        pts (list[int]): presentation time of every frame, in ``time_base`` (the
            source's own, also within a range).
        pix_fmt (str): source pixel format ('rgb24'/'rgb48le' for 8/16-bit images,
            'gbrp10le' for 10-bit DPX, 'gbrpf32le' for float frames; 'rgba',
            'rgba64le', 'gbrap10le', 'gbrapf32le' ... for images with alpha, judged by
            the first frame).
        colour (dict): ``color_primaries``, ``color_trc``, ``colorspace``, ``color_range``
            as FFmpeg enum values (0/2 = unspecified).
        audio_streams (int): audio streams in the input (copied unchanged).
        frame_names (list[str]): file names of a frame folder or sequence, else empty.
        other_streams (int): further video, subtitle and data streams (not copied; a
            timecode track is not counted: the timecode is carried over).
        frame_numbers (list[int]): frame numbers of a sequence (from the file names),
            else empty (see :attr:`numbers`).
        pattern (str, optional): the INPUT pattern of an image sequence.
        timecode (str, optional): timecode of the first frame (``HH:MM:SS:FF``), from
            the container, its timecode track, or a DPX/EXR header.
        sample_format (str, optional): 'half' or 'float' for float frames (EXR, float
            TIFF), mapped to 16 bits.
        range_start (int): index in the whole source of the first frame here.
        source_frames (int): frames of the whole source when a range is selected, else 0.
        pts_shift (int): subtracted from ``pts`` when writing: a range starts where
            the source does.
        stream_timed (bool): ``pts`` are the stream's own (False: made from the rate,
            for streams without timestamps or whose clock restarts; image sequences).
        sample_aspect_ratio (Fraction, optional): a video's pixel aspect ratio when
            not square (e.g. 64/45 for 16:9 PAL SD), else None.
        display_matrix (bytes, optional): a QuickTime/MP4 video track's display matrix
            (rotation) when not the identity (:mod:`.rotation`), else None.
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
    stream_timed: bool = True
    frame_numbers: list = field(default_factory=list)
    pattern: str = None
    timecode: str = None
    sample_format: str = None
    range_start: int = 0
    source_frames: int = 0
    pts_shift: int = 0
    sample_aspect_ratio: Fraction = None
    display_matrix: bytes = None

    @property
    def is_folder(self):
        return bool(self.frame_names)

    @property
    def has_alpha(self):
        """The frames have an alpha channel (by the pixel format)."""
        return format_has_alpha(self.pix_fmt)

    @property
    def dtype(self):
        return np.uint8 if self.bit_depth <= 8 else np.uint16

    @property
    def numbers(self):
        """Frame numbers an editor sees: a sequence's file numbers, else the index of
        each frame in the source from 0."""
        return list(self.frame_numbers) or list(
            range(self.range_start, self.range_start + self.num_frames))

    @property
    def is_range(self):
        return bool(self.source_frames)

    def describe(self):
        kind = ('image sequence' if self.pattern else 'frame folder' if self.is_folder
                else 'video')
        where = self.pattern or self.path
        audio = f', {self.audio_streams} audio stream(s)' if self.audio_streams else ''
        sample = (f'{self.pix_fmt} ({self.sample_format} float, read as display-referred '
                  f'[0, 1] into 16 bits)' if self.sample_format
                  else f'{self.pix_fmt} ({self.bit_depth}-bit)')
        numbers = self.numbers
        span = (f'frames {numbers[0]}-{numbers[-1]}' if self.is_range or self.frame_numbers
                and numbers[0] else f'{self.num_frames} frames')
        if self.is_range:
            span += f' ({self.num_frames} of {self.source_frames})'
        elif span.startswith('frames'):
            span = f'{self.num_frames} {span}'
        tc = f', timecode {self.timecode}' if self.timecode else ''
        return (f'{kind} {where}: {span} {self.width}x{self.height} {sample} at '
                f'{float(self.fps):.3f} fps{tc}{audio}')


def probe_source(path, folder_fps=None):
    """Describe a video file, a frame folder or an image-sequence pattern
    (``shot_%05d.dpx``); raise :class:`VideoIOError` if unusable.

    Video frames are counted and timed by demuxing (no decoding), so this is fast.
    ``folder_fps`` is the rate of a folder or sequence; None: the DPX/EXR header's,
    else 25.
    """
    path = str(path)
    if is_pattern(path) and not osp.exists(path):
        return _probe_pattern(path, folder_fps)
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
        stream_timed = None not in pts and len(set(pts)) == len(pts)
        if stream_timed:
            pts.sort()
        else:  # raw elementary streams, or a clock that restarts (joined
            step = 1 / (fps * time_base)  # MPEG-TS files): time from the frame rate
            pts = [round(i * step) for i in range(len(pts))]
        fmt = av.VideoFormat(ctx.format.name) if ctx.format else None
        if fmt is None or not ctx.width:
            raise VideoIOError(f'cannot read the video format of {path}')
        depth = max(c.bits for c in fmt.components)
        colour = dict(color_primaries=ctx.color_primaries, color_trc=ctx.color_trc,
                      colorspace=ctx.colorspace, color_range=ctx.color_range)
        timecode, tc_tracks = _container_timecode(container, stream)
        others = sum(s.type not in ('video', 'audio') for s in container.streams)
        others += len(container.streams.video) - 1 - tc_tracks
        if container.format.name in _SPLICED_FORMATS:
            _refuse_size_change(path, (ctx.width, ctx.height))
        sar = stream.sample_aspect_ratio  # the container's, else the bitstream's
        sar = Fraction(sar) if sar and sar.numerator and sar != 1 else None
        return SourceInfo(path, len(pts), ctx.width, ctx.height, depth, Fraction(fps),
                          Fraction(time_base), pts, fmt.name, colour,
                          len(container.streams.audio), other_streams=others,
                          stream_timed=stream_timed, timecode=timecode,
                          sample_aspect_ratio=sar, display_matrix=(
                              read_display_matrix(path) if 'mov' in
                              container.format.name.split(',') else None))


# Formats made by splicing streams (broadcast, camera files joined as bytes), where the
# frame size may change mid-stream; it can only change at a keyframe.
_SPLICED_FORMATS = ('mpegts', 'mpeg', 'h264', 'hevc', 'mpegvideo')


def _refuse_size_change(path, size):
    """Decode the keyframes only (fast) and refuse a stream whose size changes."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = 'NONKEY'
        try:
            for frame in container.decode(stream):
                if (frame.width, frame.height) != size:
                    at = (f' at {float(frame.pts * stream.time_base):.2f} s'
                          if frame.pts is not None else '')
                    raise VideoIOError(
                        f'{path}: the frame size changes mid-stream from {size[0]}x{size[1]} '
                        f'to {frame.width}x{frame.height}{at}; cut the clip at the change '
                        'and restore each part')
        except av.error.FFmpegError:  # damage: decoding conceals it later
            pass


def _container_timecode(container, video):
    """(timecode of the first frame or None, number of timecode data tracks): from the
    video stream, a timecode (tmcd) track, or the container (MXF, Matroska tags)."""
    tracks = [s for s in container.streams if s.type == 'data'
              and ('timecode' in s.metadata or s.metadata.get('handler_name', '')
                   .startswith('TimeCode'))]
    candidates = [video.metadata, *(s.metadata for s in tracks), container.metadata]
    for metadata in candidates:
        for key, value in metadata.items():
            if key.lower() == 'timecode' and is_timecode(value):
                return value.strip(), len(tracks)
    return None, len(tracks)


def _image_facts(path):
    """(first image array, bit depth, pix_fmt, sample format) of an image file."""
    img, alpha, depth = load_image_alpha(path)
    a = '' if alpha is None else 'a'
    if img.dtype == np.float32:
        return img, 16, f'gbr{a}pf32le', image_header(path).get('sample') or 'float'
    if depth in (10, 12):
        return img, depth, f'gbr{a}p{depth}le', None
    if depth == 8:
        return img, depth, 'rgba' if a else 'rgb24', None
    return img, depth, 'rgba64le' if a else 'rgb48le', None


def _sequence_info(folder, names, numbers, fps, pattern=None):
    first_path = osp.join(folder, names[0])
    first, depth, pix_fmt, sample = _image_facts(first_path)
    h, w = first.shape[:2]
    header = image_header(first_path)
    fps = standard_rate(fps or header.get('fps') or 25)
    timecode = header.get('timecode')
    if timecode:
        try:
            timecode_to_frames(timecode, fps)
        except VideoIOError:  # not a timecode at this rate (e.g. a bad header)
            timecode = None
    return SourceInfo(folder, len(names), w, h, depth, fps, 1 / fps, list(range(len(names))),
                      pix_fmt, {}, 0, list(names), frame_numbers=list(numbers),
                      pattern=pattern, timecode=timecode, sample_format=sample)


def _probe_folder(path, fps):
    names = list_images(path)
    if not names:
        raise VideoIOError(f'input folder has no frames ({"/".join(IMAGE_EXTS)}): {path}')
    return _sequence_info(path, names, folder_numbers(names), fps)


def _probe_pattern(path, fps):
    pattern, found = find_frames(path)
    return _sequence_info(pattern.folder, [name for _, name in found],
                          [n for n, _ in found], fps, pattern=path)


def select_range(info, start=None, end=None):
    """``info`` restricted to frames ``start`` .. ``end`` (both included).

    ``start``/``end`` are frame numbers as an editor sees them (:attr:`SourceInfo.numbers`:
    a sequence's file numbers, a video's frame index from 0) or timecodes
    (``HH:MM:SS:FF``, counted from the source's timecode, else from 00:00:00:00).
    The result keeps the source's pts for decoding; ``pts_shift`` makes the written
    range start where the source does, and its timecode is that of its first frame.
    Raises :class:`VideoIOError` for a range outside the source or empty.
    """
    if start is None and end is None:
        return info
    numbers = info.numbers

    def position(value, flag, is_end):
        if is_timecode(value):
            first = info.timecode or '00:00:00:00'
            offset = timecode_distance(first, value, info.fps)
            if offset >= info.num_frames:
                last = offset_timecode(first, info.num_frames - 1, info.fps)
                raise VideoIOError(f'{flag} {value}: the input runs from timecode '
                                   f'{first} to {last}')
            return offset
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise VideoIOError(f'{flag} {value}: expected a frame number or a timecode '
                               'HH:MM:SS:FF') from None
        if not numbers[0] <= number <= numbers[-1]:
            raise VideoIOError(f'{flag} {value}: the input\'s frames are '
                               f'{numbers[0]}-{numbers[-1]}')
        if is_end:
            return bisect.bisect_right(numbers, number) - 1
        return bisect.bisect_left(numbers, number)

    a = 0 if start is None else position(start, '--start', False)
    b = info.num_frames - 1 if end is None else position(end, '--end', True)
    if b < a:
        raise VideoIOError(f'--end {end} is before --start {start}')
    return frames_window(info, a, b + 1)


def frames_window(info, a, stop):
    """``info`` restricted to its frames ``[a, stop)`` (positions; see
    :func:`select_range`)."""
    timecode = info.timecode and offset_timecode(info.timecode, a, info.fps)
    return replace(info, num_frames=stop - a, pts=info.pts[a:stop],
                   frame_names=info.frame_names[a:stop],
                   frame_numbers=info.frame_numbers[a:stop], timecode=timecode,
                   range_start=info.range_start + a,
                   source_frames=info.source_frames or info.num_frames,
                   pts_shift=info.pts_shift + info.pts[a] - info.pts[0])


def list_streams(path):
    """What each stream of a file is, as comparable dicts (order of the container).

    Video: type, codec, time_base, width, height, pix_fmt, rate; audio: type, codec,
    time_base, sample_rate; others: type, codec.
    """
    facts = []
    with _open(path) as container:
        for s in container.streams:
            ctx = s.codec_context
            fact = dict(type=s.type, codec=ctx.name if ctx else None)
            if s.type == 'video':
                fact.update(time_base=Fraction(s.time_base), width=ctx.width,
                            height=ctx.height, pix_fmt=ctx.format.name, rate=s.average_rate)
            elif s.type == 'audio':
                fact.update(time_base=Fraction(s.time_base), sample_rate=ctx.sample_rate)
            facts.append(fact)
    return facts


def codec_profile(path):
    """The codec profile of the first video stream ('4444', 'HQ', 'DNXHR HQ', 'High'
    ...), or None."""
    with _open(path) as container:
        return container.streams.video[0].codec_context.profile


def read_packets(path, kind='audio'):
    """``(pts, bytes)`` of every packet of the first ``kind`` stream (empty if none)."""
    with _open(path) as container:
        streams = getattr(container.streams, kind)
        if not streams:
            return []
        return [(p.pts, bytes(p)) for p in container.demux(streams[0]) if p.size]


def _open(path):
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise VideoIOError(f'not a readable video: {path} ({exc})') from None
