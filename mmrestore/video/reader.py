"""Decode the frames of a probed input in order, restartable, with the source's colour.

Video is converted to RGB with the source's colour matrix and range (see
:mod:`.colour`); 8-bit sources give ``uint8``, deeper ones ``uint16`` frames.
"""
import os.path as osp

import av
import numpy as np

from mmrestore.errors import VideoIOError

from .colour import sws_matrix, sws_range
from .images import read_image
from .source import probe_source


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
        self._pending = None  # a frame decoded ahead (the first of a range)
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
        self._next = 0
        self._pending = None
        if self.info.range_start:
            self._seek_range_start(stream)
        else:
            self._iter = self._container.decode(stream)

    def _seek_range_start(self, stream):
        """Put the decoder on the first frame of a range: seek to a keyframe before it
        (1 s, 4 s ... further back while the demuxer lands after it); without usable
        timestamps, decode from the start and count frames."""
        target = self.info.pts[0]
        half = 0.5 / (float(stream.time_base) * float(self.info.fps))
        back, second = 0, max(1, round(1 / float(stream.time_base)))
        for _ in range(6):
            self._container.seek(max(0, int(target - back)), stream=stream, backward=True)
            self._iter = self._container.decode(stream)
            frame = next((f for f in self._iter if f.pts is None or f.pts >= target - half),
                         None)
            if frame is None or frame.pts is None:
                break
            if frame.pts <= target + half:
                self._pending = frame
                return
            back = back * 4 if back else second
        self._container.close()
        self._container = av.open(self.info.path)
        stream = self._container.streams.video[0]
        stream.thread_type = 'AUTO'
        self._iter = self._container.decode(stream)
        for _ in range(self.info.range_start):
            if next(self._iter, None) is None:
                raise VideoIOError(f'{self.info.path}: fewer than '
                                   f'{self.info.range_start} frames')

    def _decode_next(self):
        if self._iter is None:
            self._restart()
        if self._pending is not None:
            frame, self._pending = self._pending, None
        else:
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
                                src_colorspace=sws_matrix(colour, self.info.height),
                                src_color_range=sws_range(colour))

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
