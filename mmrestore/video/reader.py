"""Decode the frames of a probed input in order, restartable, with the source's colour.

Video is converted to RGB with the source's colour matrix and range (see
:mod:`.colour`); 8-bit sources give ``uint8``, deeper ones ``uint16`` frames. On
request an alpha plane ``(h, w)`` of the same dtype comes with each frame (see
:mod:`.alpha`).
"""
import itertools
import os.path as osp

import av
import numpy as np

from mmrestore.errors import VideoIOError

from .alpha import read_alpha
from .colour import sws_matrix, sws_range
from .images import read_image_alpha
from .source import probe_source


class FrameWindow(list):
    """RGB frames of a window (a list of ``(h, w, 3)`` arrays) with their alpha planes:
    :meth:`alpha` ``(k)`` is the ``(h, w)`` plane of frame ``k``, None without alpha."""

    def __init__(self, frames, alphas=None):
        super().__init__(frames)
        self._alphas = alphas

    def alpha(self, k):
        return self._alphas[k] if self._alphas is not None else None


class FrameSource:
    """Sequential, restartable access to the frames of a :class:`SourceInfo`.

    :meth:`window` returns frames ``[start, stop)`` keeping only what the next window may
    reuse, so at most ``stop - start`` decoded frames live in memory. Video is decoded in
    order (frames before ``start`` are decoded but not converted).

    Damaged video is concealed as the ``ffmpeg`` command line does: a packet the decoder
    refuses is skipped, and each frame it loses (found by the timestamps of the frames
    that follow) is replaced by the previous good frame, so the frame count and timing
    stay those of the source. :attr:`concealed` lists the frames so replaced.

    Args:
        info (SourceInfo): the probed input.
        strict (bool): raise :class:`VideoIOError` at the first damage instead.
            Default: False.
        alpha (bool): also keep each frame's alpha plane (``window(...).alpha(k)``),
            held with its frame. Default: False.
    """

    def __init__(self, info, strict=False, alpha=False):
        self.info = info
        self.strict = strict
        self.with_alpha = alpha and info.has_alpha
        self.concealed = []  # indices of frames replaced by their predecessor
        self._cache = {}  # index -> (frame, alpha plane or None)
        self._iter = None
        self._next = 0  # index of the next frame the decoder yields
        self._rgb = 'rgb24' if info.bit_depth <= 8 else 'rgb48le'
        self._index_of = {p: i for i, p in enumerate(info.pts)} if info.stream_timed else {}

    def window(self, start, stop):
        """RGB frames ``[start, stop)`` as a :class:`FrameWindow` (a list of arrays)."""
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
                    self._cache[self._next - 1] = self._convert(frame)
        frames = [self._cache[i] for i in range(start, stop)]
        return FrameWindow([f for f, _ in frames],
                           [a for _, a in frames] if self.with_alpha else None)

    def _read_image(self, i):
        """(RGB, alpha plane or None) of frame file ``i``; a frame without alpha in a
        sequence with alpha is opaque."""
        img, alpha = read_image_alpha(osp.join(self.info.path, self.info.frame_names[i]))
        if img.shape[:2] != (self.info.height, self.info.width):
            raise VideoIOError(f'{self.info.frame_names[i]} is {img.shape[1]}x{img.shape[0]}'
                               f', the first frame {self.info.width}x{self.info.height}')
        if img.dtype != self.info.dtype:
            scale = 257 if img.dtype == np.uint8 else 1
            img = img.astype(self.info.dtype) * scale
            alpha = None if alpha is None else alpha.astype(self.info.dtype) * scale
        if self.with_alpha and alpha is None:
            alpha = np.full(img.shape[:2], np.iinfo(img.dtype).max, img.dtype)
        return img, alpha if self.with_alpha else None

    def _restart(self):
        self.close()
        self._container = av.open(self.info.path)
        stream = self._container.streams.video[0]
        stream.thread_type = 'AUTO'
        self._next = 0
        skip = 0
        if self.info.range_start and self._seek_range_start(stream) is None:
            skip = self.info.range_start  # reopened at the start: count frames
            stream = self._container.streams.video[0]
        self._iter = self._indexed(stream, skip)

    def _seek_range_start(self, stream):
        """Seek to a keyframe before the first frame of a range (1 s, 4 s ... further
        back while the demuxer lands after it) and return the stream; None, with the
        file reopened at its start, when timestamps cannot place the frame."""
        if self.info.stream_timed:
            target = self.info.pts[0]
            half = 0.5 / (float(stream.time_base) * float(self.info.fps))
            back, second = 0, max(1, round(1 / float(stream.time_base)))
            for _ in range(6):
                position = max(0, int(target - back))
                self._container.seek(position, stream=stream, backward=True)
                first = next((f for f in self._decoded(stream)
                              if f.pts is None or f.pts >= target - half), None)
                if first is None or first.pts is None:
                    break
                if first.pts <= target + half:  # decode again from that keyframe
                    self._container.seek(position, stream=stream, backward=True)
                    return stream
                back = back * 4 if back else second
        self._container.close()
        self._container = av.open(self.info.path)
        self._container.streams.video[0].thread_type = 'AUTO'
        return None

    def _decoded(self, stream):
        """Decoded frames in order; packets FFmpeg cannot decode are skipped."""
        for packet in self._container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.FFmpegError as exc:
                self._damaged(f'damaged data after frame {self._next}: {exc}')
                continue
            yield from frames

    def _indexed(self, stream, skip=0):
        """One frame per source frame, in order: lost frames repeat the previous one.
        Within a range, frames before its first (decoded from the keyframe before it)
        are left out by their timestamps, or by counting ``skip`` frames."""
        index, last, n = 0, None, self.info.num_frames
        decoded = self._decoded(stream)
        if skip:
            decoded = itertools.islice(decoded, skip, None)
        first = self.info.pts[0] if self.info.range_start and not skip else None
        for frame in decoded:
            if first is not None and frame.pts is not None and frame.pts < first:
                continue
            i = self._index_of.get(frame.pts, index) if self._index_of else index
            if i < index:  # a timestamp already given: not a new frame
                continue
            while index < min(i, n):
                self._conceal(index)
                yield last if last is not None else frame
                index += 1
            yield frame
            last, index = frame, index + 1
        while last is not None and index < n:
            self._conceal(index)
            yield last
            index += 1

    def _damaged(self, what):
        if self.strict:
            raise VideoIOError(f'{self.info.path}: {what} (--strict)')

    def _conceal(self, index):
        self._damaged(f'frame {index} cannot be decoded')
        self.concealed.append(index)

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
        if (frame.width, frame.height) != (self.info.width, self.info.height):
            at = f'frame {self._next - 1}' if self._next else 'a frame'
            raise VideoIOError(
                f'{self.info.path}: {at} is {frame.width}x{frame.height}, the stream '
                f'starts at {self.info.width}x{self.info.height}; the size changes '
                'mid-stream: cut the clip at the change and restore each part')
        colour = self.info.colour
        return frame.to_ndarray(format=self._rgb,
                                src_colorspace=sws_matrix(colour, self.info.height),
                                src_color_range=sws_range(colour))

    def _convert(self, frame):
        """(RGB, alpha plane or None) of a decoded frame."""
        rgb = self._to_rgb(frame)
        return rgb, read_alpha(frame, rgb.dtype) if self.with_alpha else None

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
            return [self._read_image(i)[0] for i in picks]
        frames = []
        try:
            return self._sample_video(picks, max_gap, frames)
        except av.error.FFmpegError as exc:  # damage near a sampled frame: skip it
            self._damaged(f'damaged data while sampling frames: {exc}')
            return frames

    def _sample_video(self, picks, max_gap, frames):
        with av.open(self.info.path) as container:
            stream = container.streams.video[0]
            step = 1 / (float(stream.time_base) * self.info.fps)  # pts per frame
            start = stream.start_time or 0
            decoded, pts = container.decode(stream), None
            for i in picks:
                target = start + (self.info.range_start + i) * step
                if (pts is None and self.info.range_start) or (
                        pts is not None and target - pts > max_gap * step):
                    container.seek(int(target), stream=stream, backward=True)
                    decoded = container.decode(stream)
                for frame in decoded:
                    pts = frame.pts if frame.pts is not None else target
                    if pts >= target - step / 2:
                        frames.append(self._to_rgb(frame))
                        break
        return frames


def iter_frames(path, indices=None, dtype=None, folder_fps=None):
    """Yield ``(index, frame)`` for the wanted frames of a video file or frame folder.

    Decodes once, in order, through :class:`FrameSource` (so every caller sees the
    frames the restorer sees).

    Args:
        path (str | Path): a video file or a frame folder.
        indices (iterable[int], optional): frames wanted. Default: all.
        dtype (np.dtype, optional): ``np.uint8`` brings deeper frames to 8 bits
            (rounded). Default: the source's own.
        folder_fps (float, optional): rate given to a frame folder. Default: its DPX/EXR
            header's, else 25.
    """
    info = path if hasattr(path, 'num_frames') else probe_source(path, folder_fps)
    wanted = range(info.num_frames) if indices is None else sorted(set(indices))
    wanted = [i for i in wanted if 0 <= i < info.num_frames]
    source = FrameSource(info)
    try:
        for i in wanted:
            frame = source.window(i, i + 1)[0]
            if dtype is not None and frame.dtype != dtype:
                frame = to_uint8(frame) if dtype == np.uint8 else frame.astype(dtype)
            yield i, frame
    finally:
        source.close()


def read_frames(path, start=0, count=None, dtype=None):
    """Frames ``[start, start + count)`` (all from ``start`` if ``count`` is None) as a
    list of RGB arrays; fewer if the input ends first."""
    info = path if hasattr(path, 'num_frames') else probe_source(path)
    stop = info.num_frames if count is None else min(info.num_frames, start + count)
    return [f for _, f in iter_frames(info, range(start, stop), dtype)]


def to_uint8(frame):
    """A ``uint16`` frame rounded to ``uint8`` (``uint8`` frames unchanged)."""
    if frame.dtype == np.uint8:
        return frame
    return ((frame.astype(np.uint32) + 128) // 257).astype(np.uint8)
