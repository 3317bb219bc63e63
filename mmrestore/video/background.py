"""Decode ahead and encode behind the model in background threads (bounded queues).

PyAV (FFmpeg) and PyTorch release the GIL while they work, so decoding the next frames
and encoding the last results overlap the forward passes. Queues are bounded: memory
stays bounded by the number of frames the caller allows, not by the video length.
"""
import queue
import threading

_END = object()


class FramePrefetcher:
    """Decode the frames of a list of windows in order in a thread, ``depth`` ahead.

    :meth:`window` gives a lazy view of frames ``[start, stop)``: a frame is taken from
    the queue when first indexed, and :meth:`LazyWindow.release` drops the frames the
    caller no longer needs, so at most ``(frames in use) + depth`` decoded frames exist.
    Windows must be requested in the order given; they may overlap. Alpha planes (a
    source made with ``alpha=True``) travel with their frames.

    Args:
        source (FrameSource): sequential frame reader, used by the thread only.
        windows (list[tuple[int, int]]): the ``[start, stop)`` ranges to be requested.
        depth (int): decoded frames queued ahead of the consumer.
    """

    def __init__(self, source, windows, depth):
        self.source = source
        self.queue = queue.Queue(maxsize=max(1, depth))
        self.frames = {}  # index -> (frame, alpha plane or None), owned by the consumer
        self.floor = 0  # frames before it are released (dropped when they arrive)
        self.stop = threading.Event()
        needed = sorted({i for a, b in windows for i in range(a, b)})
        self.thread = threading.Thread(target=self._decode, args=(needed,), daemon=True)
        self.thread.start()

    def _decode(self, needed):
        try:
            for i in needed:
                if self.stop.is_set():
                    return
                window = self.source.window(i, i + 1)  # a FrameWindow (or a plain list)
                alpha = window.alpha(0) if hasattr(window, 'alpha') else None
                self._put((i, (window[0], alpha)))
            self._put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)

    def _put(self, item):
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def get(self, i):
        """Frame ``i``, waiting for the decoder if needed."""
        return self._entry(i)[0]

    def alpha(self, i):
        """The alpha plane of frame ``i`` (None without alpha)."""
        return self._entry(i)[1]

    def _entry(self, i):
        while i not in self.frames:
            item = self.queue.get()
            if item is _END:
                raise IndexError(f'frame {i} was not planned for decoding')
            if isinstance(item, BaseException):
                raise item
            if item[0] >= self.floor:
                self.frames[item[0]] = item[1]
        return self.frames[i]

    def release(self, first):
        """Forget frames before index ``first``."""
        self.floor = max(self.floor, first)
        for i in [i for i in self.frames if i < first]:
            del self.frames[i]

    def window(self, start, stop):
        self.release(start)
        return LazyWindow(self, start, stop)

    def close(self):
        """Stop the thread (also mid-video) and free its frames."""
        self.stop.set()
        while self.thread.is_alive():
            try:
                self.queue.get(timeout=0.1)
            except queue.Empty:
                pass
        self.frames.clear()


class LazyWindow:
    """Sequence view of frames ``[start, stop)`` of a :class:`FramePrefetcher`."""

    def __init__(self, prefetcher, start, stop):
        self.prefetcher, self.start, self.stop = prefetcher, start, stop

    def __len__(self):
        return self.stop - self.start

    def __getitem__(self, key):
        if isinstance(key, slice):
            return [self[i] for i in range(*key.indices(len(self)))]
        if not -len(self) <= key < len(self):
            raise IndexError(key)
        return self.prefetcher.get(self.start + key % len(self))

    def alpha(self, key):
        """The alpha plane of frame ``key`` of the window (None without alpha)."""
        return self.prefetcher.alpha(self.start + key % len(self))

    def release(self, first):
        """Frames before ``first`` (window index) are no longer needed."""
        self.prefetcher.release(self.start + max(0, first))


class BackgroundWorker:
    """Run calls in order in one thread; at most ``depth`` calls wait in the queue.

    An exception of a call stops the worker and is raised by the next :meth:`submit`
    or by :meth:`finish`.

    Args:
        depth (int): queued calls before :meth:`submit` blocks.
    """

    def __init__(self, depth):
        self.queue = queue.Queue(maxsize=max(1, depth))
        self.error = None
        self.thread = threading.Thread(target=self._work, daemon=True)
        self.thread.start()

    def _work(self):
        while True:
            item = self.queue.get()
            if item is _END:
                return
            if self.error is None:
                try:
                    item[0](*item[1:])
                except BaseException as exc:
                    self.error = exc

    def _raise(self):
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def submit(self, fn, *args):
        self._raise()
        self.queue.put((fn, *args))

    def finish(self):
        """Wait for every submitted call; raise the first error."""
        self.queue.put(_END)
        self.thread.join()
        self._raise()

    def cancel(self):
        """Drop waiting calls and stop (after the running one)."""
        self.error = self.error or RuntimeError('cancelled')
        self.queue.put(_END)
        self.thread.join()
