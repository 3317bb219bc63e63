"""What keeps a restoration from losing data: the lock per OUTPUT, the marker of a frame
folder this tool wrote, checks of finished work before it is reused, and I/O faults
(disk full, file too large, a failing disk) said as one line. Light: no torch, no PyAV.
"""
import errno
import fcntl
import json
import os
import os.path as osp
import shutil
import socket
import threading

from mmrestore.errors import RestoreError, VideoIOError

# The marker inside a frame-folder OUTPUT: what this tool wrote there, so that
# --overwrite deletes a previous output and nothing else.
MARKER = '.mmrestore-output.json'
# Files an operating system adds to a folder someone looked at (Finder, Explorer).
OS_FILES = ('.DS_Store', 'Thumbs.db', 'desktop.ini')
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
PNG_END = b'\x00\x00\x00\x00IEND\xaeB`\x82'  # the IEND chunk every complete PNG ends with

_held = {}  # lock path -> [fd, count, thread id] of the locks this process holds
_held_guard = threading.Lock()


def lock_path(output):
    """``.OUTPUT.lock`` beside OUTPUT (in the real folder, whatever path names it)."""
    parent, name = osp.split(osp.abspath(output))
    return osp.join(osp.realpath(parent), f'.{name}.lock')


class OutputLock:
    """An exclusive lock on OUTPUT for as long as one restore writes it.

    ``fcntl.flock`` on ``.OUTPUT.lock`` beside OUTPUT, taken without waiting: a second
    restore of the same OUTPUT (another process, or another thread of this one) raises
    :class:`RestoreError` naming the process that writes it. The kernel drops the lock
    when its holder ends, even by ``kill -9``, so a stale lock file never blocks a
    rerun. Re-entrant in one thread (the CLI locks before importing torch, the restorer
    again). On release the lock file is removed. ``flock`` works on local disks; over
    NFS Linux maps it to an NFS lock, other network file systems may not lock at all.
    """

    def __init__(self, output):
        self.output = osp.abspath(output)
        self.path = lock_path(output)
        self.held = False

    def acquire(self):
        if self.held:
            return self
        with _held_guard:
            entry = _held.get(self.path)
            if entry is not None:
                if entry[2] != threading.get_ident():
                    raise RestoreError(f'another restore is writing {self.output} '
                                       f'(pid {os.getpid()}, another thread)')
                entry[1] += 1
                self.held = True
                return self
            _held[self.path] = [self._lock_file(), 1, threading.get_ident()]
            self.held = True
        return self

    def _lock_file(self):
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise RestoreError(f'cannot create the lock file {self.path} '
                                   f'({exc.strerror})') from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise RestoreError(f'another restore is writing {self.output}'
                                   f'{f" ({holder})" if holder else ""}; wait for it to '
                                   'finish, or stop it and run again') from None
            except OSError as exc:  # a file system without locks
                os.close(fd)
                raise RestoreError(f'cannot lock {self.path} ({exc.strerror}); no two '
                                   'restores of one OUTPUT could be told apart') from None
            try:  # the holder may have removed the file between our open and lock
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f'{os.getpid()} {socket.gethostname()}\n'.encode())
        return fd

    def release(self):
        if not self.held:
            return
        self.held = False
        with _held_guard:
            entry = _held[self.path]
            entry[1] -= 1
            if entry[1]:
                return
            del _held[self.path]
            try:  # removed while locked: a waiting process sees another inode and retries
                os.remove(self.path)
            except OSError:
                pass
            os.close(entry[0])

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def _read_holder(fd):
    try:
        text = os.pread(fd, 200, 0).decode(errors='replace').split()
    except OSError:
        return ''
    if not text:
        return ''
    host = f' on {text[1]}' if len(text) > 1 and text[1] != socket.gethostname() else ''
    return f'pid {text[0]}{host}'


# ----------------------------------------------------------- frame-folder OUTPUT marker
def write_marker(folder, names, input_path):
    """Record in ``folder`` that this tool wrote it, and which files."""
    from mmrestore.version import __version__
    data = dict(written_by='mmrestore tools/restore_video.py', version=__version__,
                input=osp.abspath(input_path), frames=len(names), files=list(names))
    write_file(osp.join(folder, MARKER), json.dumps(data, indent=0).encode())


def read_marker(folder):
    """The files a previous restore wrote in ``folder`` (a set), or None (no marker)."""
    try:
        with open(osp.join(folder, MARKER), 'rb') as f:
            data = json.loads(f.read())
        return set(data['files'])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def foreign_files(folder):
    """Why ``folder`` is not only a previous output of this tool ('' if it is).

    It is one when it has the marker and holds nothing but the files the marker lists
    (and what an operating system adds to a folder someone looked at).
    """
    ours = read_marker(folder)
    if ours is None:
        return f'it was not written by restore_video (no {MARKER} in it)'
    try:
        names = os.listdir(folder)
    except OSError as exc:
        return f'it cannot be listed ({exc.strerror})'
    others = sorted(n for n in names if n != MARKER and n not in ours
                    and not _os_file(n, ours))
    if others:
        more = f' and {len(others) - 1} more' if len(others) > 1 else ''
        return f'it holds files restore_video did not write ({others[0]}{more})'
    return ''


def _os_file(name, ours):
    return name in OS_FILES or (name.startswith('._') and name[2:] in ours)


def remove_previous_output(folder):
    """Delete what a previous restore wrote in ``folder`` (by its marker), then the
    folder if that leaves it empty. Returns True when the folder is gone."""
    ours = read_marker(folder)
    if ours is None:
        return False
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    for name in names:
        if name in ours or _os_file(name, ours):
            try:
                os.remove(osp.join(folder, name))
            except OSError:  # a folder by that name, no permission: kept
                pass
    try:
        os.remove(osp.join(folder, MARKER))
        os.rmdir(folder)
    except OSError:
        return False
    return True


# --------------------------------------------------------------- finished-work checks
def png_complete(path):
    """A PNG file that was written to its end (signature and IEND chunk): 20 bytes read,
    so a resume checks thousands of frames at once."""
    try:
        with open(path, 'rb') as f:
            head = f.read(8)
            f.seek(0, os.SEEK_END)
            if f.tell() < 8 + len(PNG_END):
                return False
            f.seek(-len(PNG_END), os.SEEK_END)
            return head == PNG_SIGNATURE and f.read() == PNG_END
    except OSError:
        return False


def frame_complete(path):
    """A frame file written to its end: a PNG by its signature and IEND chunk (20 bytes
    read); other formats (written in one piece before their segment is renamed
    complete) by being there and not empty."""
    if path.lower().endswith('.png'):
        return png_complete(path)
    try:
        return os.path.getsize(path) > 0
    except OSError:
        return False


def write_file(path, data, sync=False):
    """Write ``data`` to ``path`` (``sync``: and flush it to the disk); an error says
    which file (``OSError.filename``)."""
    try:
        with open(path, 'wb') as f:
            f.write(data)
            if sync:
                f.flush()
                os.fsync(f.fileno())
    except OSError as exc:
        if exc.filename is None:
            exc.filename = path
        raise


def fsync_path(path):
    """Flush a file to the disk, so that a rename after it never names a file a power
    cut leaves empty."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ------------------------------------------------------------------------ disk space
def tree_size(path):
    """Bytes in a file or a folder of files (0 if missing)."""
    try:
        if osp.isdir(path):
            return sum(e.stat().st_size for e in os.scandir(path) if e.is_file())
        return osp.getsize(path)
    except OSError:
        return 0


def free_space(path):
    """Free bytes (for an unprivileged user) on the file system holding ``path``."""
    while path and not osp.exists(path):
        path = osp.dirname(path)
    try:
        return shutil.disk_usage(path or '.').free
    except OSError:
        return None


def format_bytes(n):
    for unit in ('B', 'KB', 'MB', 'GB', 'TB'):
        if abs(n) < 1000 or unit == 'TB':
            return f'{n:.0f} {unit}' if unit == 'B' else f'{n:.1f} {unit}'
        n /= 1000


DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def write_error(exc, path, need, free, kept, where=None):
    """One-line :class:`VideoIOError` for an ``OSError`` while writing ``path``.

    Args:
        exc (OSError): what the write raised.
        path (str): the file or folder that could not be written.
        need (int): bytes still needed to finish (estimate).
        free (int, optional): bytes free on its file system now.
        kept (str): what is kept for the rerun, e.g. '3 of 10 segments are kept in W'.
        where (str, optional): the folder to name for the space. Default: ``path``'s.
    """
    rerun = f'run the same command again to resume ({kept})'
    free_text = f', {format_bytes(free)} free' if free is not None else ''
    if exc.errno in DISK_FULL:
        what = 'disk full' if exc.errno == errno.ENOSPC else 'disk quota exceeded'
        return VideoIOError(f'{what} writing {path}: about {format_bytes(need)} is needed '
                            f'in {where or osp.dirname(path)}{free_text}; free space and {rerun}')
    if exc.errno == errno.EFBIG:
        return VideoIOError(f'file too large: {path} (a file-size limit: ulimit -f, or '
                            f'4 GiB on FAT32); the rest needs about {format_bytes(need)}'
                            f'{free_text}; write OUTPUT to another file system, or raise '
                            f'the limit and {rerun}')
    reason = exc.strerror or str(exc)
    return VideoIOError(f'cannot write {path}: {reason} (errno {exc.errno}); fix the disk '
                        f'or folder and {rerun}')
