"""Progress report: a tqdm bar on a terminal, plain log lines otherwise."""
import logging
import sys
import time

logger = logging.getLogger('mmrestore.restore')


class Progress:
    """Frames done / total, frames/s and ETA.

    Args:
        total (int): frames to restore in all.
        done (int): frames already restored (resumed work). Default: 0.
        enabled (bool): report at all (False on non-zero ranks). Default: True.
        tty (bool | callable, optional): force the bar (True: ``tqdm.auto``, a widget
            in a notebook) or log lines (False), or call ``tty(done, total, rate)``
            after every frame. Default: the bar when stderr is a terminal.
        interval (float): seconds between log lines. Default: 30.
    """

    def __init__(self, total, done=0, enabled=True, tty=None, interval=30.):
        self.total, self.done, self.enabled = total, done, enabled
        self.start_done, self.start = done, time.monotonic()
        self.interval, self._last = interval, self.start
        self.bar = self.callback = None
        if enabled and callable(tty):
            self.callback = tty
        elif enabled and (sys.stderr.isatty() if tty is None else tty):
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, initial=done, unit='frame', dynamic_ncols=True,
                            file=sys.stderr, desc='restoring')

    @property
    def elapsed(self):
        return time.monotonic() - self.start

    @property
    def rate(self):
        """Frames per second restored in this run."""
        return (self.done - self.start_done) / max(self.elapsed, 1e-9)

    def update(self, n=1):
        self.done += n
        if self.callback is not None:
            self.callback(self.done, self.total, self.rate)
        elif self.bar is not None:
            self.bar.update(n)
        elif self.enabled and (time.monotonic() - self._last >= self.interval
                               or self.done == self.total):
            self._last = time.monotonic()
            rate = self.rate
            eta = (self.total - self.done) / rate if rate > 0 else float('nan')
            logger.info('restored %d/%d frames (%.0f%%), %.2f frames/s, ETA %s', self.done,
                        self.total, 100. * self.done / max(self.total, 1), rate,
                        format_seconds(eta))

    def close(self):
        if self.bar is not None:
            self.bar.close()


def format_seconds(seconds):
    """1:02:03 / 2:03 / ?."""
    if seconds != seconds or seconds == float('inf'):
        return '?'
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f'{h}:{m:02d}:{s:02d}' if h else f'{m}:{s:02d}'
