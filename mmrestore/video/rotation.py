"""The display matrix (rotation) of QuickTime/MP4 video tracks, read and copied.

Phones record portrait video as landscape frames plus a display matrix in the video
track's header ('tkhd'), which players and editors apply. FFmpeg 7's muxers write that
matrix only from a stream's side data, which PyAV 13 cannot set, so the restorer copies
the source's matrix into the finished QuickTime/MP4 OUTPUT itself: the 36 bytes of the
'tkhd' box of the first video track, rewritten in place (same size, nothing moves).
The frames keep their stored orientation, as in the source, so the same matrix (with its
translation for the same frame size) is right for the output.
"""
import struct

IDENTITY = struct.pack('>9i', 1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30)


def _boxes(data, start, end):
    """``(type, content start, box end)`` of the ISO BMFF boxes in ``data[start:end]``."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack('>I4s', data[pos:pos + 8])
        head = 8
        if size == 1:  # 64-bit size
            if pos + 16 > end:
                return
            size, head = struct.unpack('>Q', data[pos + 8:pos + 16])[0], 16
        elif size == 0:  # to the end
            size = end - pos
        if size < head or pos + size > end:
            return
        yield kind, pos + head, pos + size
        pos += size


def _moov(f):
    """``(offset, bytes)`` of the top-level 'moov' box of the open file ``f``, or None.
    Only box headers are read on the way (a long film's 'mdat' is skipped)."""
    f.seek(0, 2)
    size_all, pos = f.tell(), 0
    while pos + 8 <= size_all:
        f.seek(pos)
        head = f.read(16)
        size, kind = struct.unpack('>I4s', head[:8])
        if size == 1:
            size = struct.unpack('>Q', head[8:16])[0]
        elif size == 0:
            size = size_all - pos
        if size < 8:
            return None
        if kind == b'moov':
            f.seek(pos)
            return pos, f.read(size)
        pos += size
    return None


def _matrix_offset(moov):
    """Offset in the 'moov' box ``moov`` of the first video track's 36-byte matrix."""
    for kind, start, end in _boxes(moov, 0, len(moov)):
        if kind != b'moov':
            continue
        for trak, t_start, t_end in _boxes(moov, start, end):
            if trak != b'trak':
                continue
            tkhd, video = None, False
            for child, c_start, c_end in _boxes(moov, t_start, t_end):
                if child == b'tkhd':
                    tkhd = (c_start, c_end)
                elif child == b'mdia':
                    for sub, s_start, s_end in _boxes(moov, c_start, c_end):
                        # hdlr: version/flags 4, pre-defined 4, then the handler type
                        if sub == b'hdlr' and moov[s_start + 8:s_start + 12] == b'vide':
                            video = True
            if video and tkhd is not None:
                # version/flags 4; times, track id, reserved, duration: 20 (version 0)
                # or 32 (version 1) bytes; reserved 8, layer 2, group 2, volume 2,
                # reserved 2
                offset = tkhd[0] + 4 + (32 if moov[tkhd[0]] == 1 else 20) + 16
                return offset if offset + 36 <= tkhd[1] else None
    return None


def read_display_matrix(path):
    """The first video track's display matrix of a QuickTime/MP4 file, as 36 bytes,
    or None (identity, no such track, or not a QuickTime/MP4 file)."""
    try:
        with open(path, 'rb') as f:
            found = _moov(f)
    except OSError:
        return None
    if found is None:
        return None
    offset = _matrix_offset(found[1])
    if offset is None or found[1][offset:offset + 36] == IDENTITY:
        return None
    return bytes(found[1][offset:offset + 36])


def write_display_matrix(path, matrix):
    """Set the first video track's display matrix of the QuickTime/MP4 file ``path``
    (in place: 36 bytes rewritten).

    Returns:
        bool: whether it was written (False: no video track header found).
    """
    with open(path, 'r+b') as f:
        found = _moov(f)
        offset = None if found is None else _matrix_offset(found[1])
        if offset is None:
            return False
        f.seek(found[0] + offset)
        f.write(matrix)
    return True
