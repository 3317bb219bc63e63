"""SMPTE timecode ``HH:MM:SS:FF`` (drop-frame ``HH:MM:SS;FF``) <-> frame counts.

The timecode rate is the frame rate rounded (24 for 23.976, 30 for 29.97); drop-frame
counting (29.97, 59.94) skips frame numbers 0 and 1 (0-3 at 59.94) at the start of every
minute except each tenth, as editing systems do. Times wrap at 24 hours.
"""
import re
from fractions import Fraction

from mmrestore.errors import VideoIOError

_TC = re.compile(r'^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$')


def timecode_rate(fps):
    """Integer frames per timecode second: the frame rate rounded (at least 1)."""
    return max(1, round(float(fps)))


def is_timecode(text):
    """Whether ``text`` looks like ``HH:MM:SS:FF`` (or ``;`` / ``.`` drop-frame)."""
    return bool(_TC.match(str(text).strip()))


def _parse(tc):
    match = _TC.match(str(tc).strip())
    if not match:
        raise VideoIOError(f'not a timecode: {tc!r} (expected HH:MM:SS:FF)')
    h, m, s, sep, f = match.groups()
    return int(h), int(m), int(s), int(f), sep in ';.,'


def _drop_count(fps):
    """Frame numbers dropped per minute for a drop-frame rate (0: none allowed)."""
    rate = timecode_rate(fps)
    ntsc = abs(float(fps) - rate * 1000 / 1001) < 1e-3
    return rate // 15 if ntsc and rate % 30 == 0 else 0


def timecode_to_frames(tc, fps, drop=None):
    """Frames from 00:00:00:00 to timecode ``tc`` at ``fps``; drop-frame counting when
    ``drop`` (None: when ``tc`` is written with ``;``).

    Raises :class:`VideoIOError` for a malformed timecode or a frame field past the rate.
    """
    h, m, s, f, written_drop = _parse(tc)
    drop = written_drop if drop is None else drop
    rate = timecode_rate(fps)
    if m > 59 or s > 59 or f >= rate:
        raise VideoIOError(f'timecode {tc} is out of range at {float(fps):g} fps')
    dropped = _drop_count(fps) if drop else 0
    if drop and not dropped:
        raise VideoIOError(f'drop-frame timecode {tc} needs 29.97 or 59.94 fps, '
                           f'not {float(fps):g}')
    minutes = 60 * h + m
    return ((3600 * h + 60 * m + s) * rate + f - dropped * (minutes - minutes // 10))


def frames_to_timecode(frames, fps, drop=False):
    """Timecode of ``frames`` frames after 00:00:00:00 (wrapping at 24 hours)."""
    rate = timecode_rate(fps)
    dropped = _drop_count(fps) if drop else 0
    if dropped:
        per_10min = rate * 600 - dropped * 9
        per_min = rate * 60 - dropped
        per_day = per_10min * 144
        frames %= per_day
        tens, rest = divmod(frames, per_10min)
        frames += dropped * 9 * tens
        if rest > dropped:
            frames += dropped * ((rest - dropped) // per_min)
    else:
        frames %= rate * 86400
    f = frames % rate
    s = frames // rate % 60
    m = frames // (rate * 60) % 60
    h = frames // (rate * 3600) % 24
    width = 3 if rate > 100 else 2
    return f'{h:02d}:{m:02d}:{s:02d}{";" if dropped else ":"}{f:0{width}d}'


def frames_per_day(fps, drop=False):
    """Timecode frames in 24 hours."""
    rate, dropped = timecode_rate(fps), _drop_count(fps) if drop else 0
    return (rate * 600 - dropped * 9) * 144


def timecode_distance(first, tc, fps):
    """Frames from timecode ``first`` forward to ``tc`` (across midnight if needed)."""
    drop = _parse(first)[4]
    return ((timecode_to_frames(tc, fps, drop) - timecode_to_frames(first, fps))
            % frames_per_day(fps, drop))


def offset_timecode(tc, frames, fps):
    """Timecode ``tc`` moved by ``frames`` frames (drop-frame stays drop-frame)."""
    drop = _parse(tc)[4]
    return frames_to_timecode(timecode_to_frames(tc, fps) + frames, fps, drop)


def standard_rate(fps):
    """A rate as a Fraction, snapped to the NTSC rates (24000/1001 ...) when within
    0.01 of one: 23.976 means 24000/1001, not 2997/125."""
    value = float(fps)
    for base in (24, 30, 48, 60, 120, 240):
        if abs(value - base * 1000 / 1001) < 0.01:
            return Fraction(base * 1000, 1001)
    return Fraction(value).limit_denominator(1001)


def bcd_timecode(value, drop=False):
    """``HH:MM:SS:FF`` of a DPX-style BCD word (0xHHMMSSFF); None if undefined."""
    if value in (0xFFFFFFFF, None):
        return None
    digits = f'{value:08x}'
    if not digits.isdigit():
        return None
    h, m, s, f = digits[0:2], digits[2:4], digits[4:6], digits[6:8]
    return f'{h}:{m}:{s}{";" if drop else ":"}{f}'


def smpte_packed_timecode(value):
    """``HH:MM:SS:FF`` of an SMPTE 12M packed word (OpenEXR ``timeCode``); None if
    malformed."""
    f = (value & 0x0F) + 10 * ((value >> 4) & 0x03)
    drop = bool(value >> 6 & 1)
    s = ((value >> 8) & 0x0F) + 10 * ((value >> 12) & 0x07)
    m = ((value >> 16) & 0x0F) + 10 * ((value >> 20) & 0x07)
    h = ((value >> 24) & 0x0F) + 10 * ((value >> 28) & 0x03)
    if h > 23 or m > 59 or s > 59:
        return None
    return f'{h:02d}:{m:02d}:{s:02d}{";" if drop else ":"}{f:02d}'
