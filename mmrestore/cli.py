"""What every command line shares: one-line errors with exit status 2, bugs said as bugs.

Light on purpose (no torch, no mmagic): a tool parses and checks its arguments with this
before importing the heavy stack, so a mistyped flag answers at once.
"""
import argparse
import os
import sys
import traceback

from .errors import MMRestoreError

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


class OneLineParser(argparse.ArgumentParser):
    """``argparse`` whose errors are one line (``prog: error: ...``), exit status 2."""

    def error(self, message):
        print(f'{self.prog}: error: {message}', file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)


def first_line(exc):
    """The first line of an exception's message (its type name if it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def run_main(prog, main, *args, interrupted=None, quiet=False, **kwargs):
    """Call ``main(*args, **kwargs)`` and turn what it raises into an exit status.

    - :class:`~mmrestore.errors.MMRestoreError`: ``prog: error: <one line>``, status 2;
    - ``KeyboardInterrupt``: ``prog: interrupted`` (and ``interrupted``, e.g. how to
      resume), status 130;
    - anything else is a bug: its traceback and a line saying so, status 1.

    ``quiet`` prints nothing (e.g. ranks other than 0 of a torchrun job).
    ``MMRESTORE_DEBUG=1`` re-raises everything (for a debugger). Returns the status.
    """
    say = (lambda text: None) if quiet else (lambda text: print(text, file=sys.stderr))
    try:
        status = main(*args, **kwargs)
        return 0 if status is None else status
    except MMRestoreError as exc:
        if os.environ.get('MMRESTORE_DEBUG'):
            raise
        say(f'{prog}: error: {first_line(exc)}')
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        if os.environ.get('MMRESTORE_DEBUG'):
            raise
        say(f'{prog}: interrupted' + (f'; {interrupted}' if interrupted else ''))
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001  (a bug: said so, with what we know)
        if os.environ.get('MMRESTORE_DEBUG'):
            raise
        if not quiet:
            traceback.print_exc()
        say(f'{prog}: internal error (a bug in mmrestore, please report it with the '
            f'traceback above): {type(exc).__name__}: {first_line(exc)}')
        return 1


def check_report_path(path):
    """Refuse a report path whose folder is missing or not writable (before any work)."""
    import tempfile
    folder = os.path.dirname(os.path.abspath(path))
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise MMRestoreError(f'--report {path}: cannot write in {folder} '
                             f'({exc.strerror or exc})') from None


def atomic_write(path, data: bytes):
    """Write ``data`` beside ``path`` then rename: never a half-written file at ``path``.
    An ``OSError`` (e.g. a full disk) becomes one line naming the file."""
    import tempfile
    folder, name = os.path.split(os.path.abspath(path))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f'.{name}.', suffix='.part')
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise MMRestoreError(f'cannot write {path}: {exc.strerror or exc}') from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def write_report(path, data):
    """Write ``data`` as JSON to ``path`` atomically."""
    import json
    atomic_write(path, (json.dumps(data, indent=1, default=str) + '\n').encode())
