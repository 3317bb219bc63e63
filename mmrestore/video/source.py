"""Probe an input: a video file (container -> first video stream) or a frame folder.

Frames travel as RGB numpy arrays ``(h, w, 3)``: ``uint8`` for 8-bit sources, ``uint16``
for deeper ones (10/12-bit video, 16-bit images).
"""
import os.path as osp
from dataclasses import dataclass, field
from fractions import Fraction

import av
import numpy as np

from mmrestore.errors import VideoIOError

from .formats import IMAGE_EXTS
from .images import list_images, read_image


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
        stream_timed (bool): ``pts`` are the stream's own (False: made from the rate,
            for streams without timestamps or whose clock restarts).
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
        pts.sort()
        stream_timed = None not in pts and len(set(pts)) == len(pts)
        if not stream_timed:  # raw elementary streams, or a clock that restarts (joined
            step = 1 / (fps * time_base)  # MPEG-TS files): time from the frame rate
            pts = [round(i * step) for i in range(len(pts))]
        fmt = av.VideoFormat(ctx.format.name) if ctx.format else None
        if fmt is None or not ctx.width:
            raise VideoIOError(f'cannot read the video format of {path}')
        depth = max(c.bits for c in fmt.components)
        colour = dict(color_primaries=ctx.color_primaries, color_trc=ctx.color_trc,
                      colorspace=ctx.colorspace, color_range=ctx.color_range)
        others = sum(s.type not in ('video', 'audio') for s in container.streams)
        others += len(container.streams.video) - 1
        if container.format.name in _SPLICED_FORMATS:
            _refuse_size_change(path, (ctx.width, ctx.height))
        return SourceInfo(path, len(pts), ctx.width, ctx.height, depth, Fraction(fps),
                          Fraction(time_base), pts, fmt.name, colour,
                          len(container.streams.audio), other_streams=others,
                          stream_timed=stream_timed)


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


def _probe_folder(path, fps):
    names = list_images(path)
    if not names:
        raise VideoIOError(f'input folder has no frames ({"/".join(IMAGE_EXTS)}): {path}')
    first = read_image(osp.join(path, names[0]))
    h, w = first.shape[:2]
    depth = 8 if first.dtype == np.uint8 else 16
    fps = Fraction(fps).limit_denominator(1001)
    time_base = 1 / fps
    return SourceInfo(path, len(names), w, h, depth, fps, time_base, list(range(len(names))),
                      'rgb24' if depth == 8 else 'rgb48le', {}, 0, names)


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
