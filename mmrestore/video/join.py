"""Join restored segments into the output: stream copy, source timestamps and audio."""
import os
import os.path as osp
from contextlib import contextmanager

import av
import av.logging
import numpy as np

from mmrestore.errors import VideoIOError

from .formats import QUICKTIME_EXTS
from .rotation import write_display_matrix


class _NotTheSameEncoder(Exception):
    """The re-created encoder's headers differ from the segments'."""


def join_segments(segments, output, info, copy_audio=True, encoder=None, audio_tail=True):
    """Stream-copy segment files into ``output`` with the source's timestamps and audio.

    Video packets get the source frames' pts (same time base for MP4/MOV); audio packets
    of the source are copied unchanged and interleaved by time. For a frame range
    (:func:`~mmrestore.video.source.select_range`) both are moved by ``info.pts_shift``
    so the range starts where the source does, and the audio packets that start within
    the range's frames are copied (the cut falls on audio packet borders, ~20 ms). The
    source's timecode (that of the range's first frame) is set on the output.

    Args:
        segments (list[str]): segment files in order, from :class:`SegmentWriter`.
        output (str): the output file (muxer from its extension).
        info (SourceInfo): the source.
        copy_audio (bool): copy the source's audio streams. Default: True.
        audio_tail (bool): also copy the audio after the last video frame's time (False
            for a trial, which should not copy a feature's whole soundtrack).
            Default: True.
        encoder (EncoderSettings, optional): the segments' encoder. With a timecode and
            a QuickTime/MP4 OUTPUT it lets the muxer write a timecode track, which
            needs the video's frame rate on the stream: PyAV 13 cannot set it on a
            stream-copied one, so the stream is made by opening the same encoder
            (never fed; it takes the segments' headers) and used only if its
            parameter sets equal the segments'; else the timecode stays metadata.

    Returns:
        int: number of video frames written.
    """
    ext = osp.splitext(output)[1].lower()
    frames = None
    if info.timecode and encoder is not None and ext in QUICKTIME_EXTS:
        try:
            frames = _join(segments, output, info, copy_audio, encoder, audio_tail)
        except _NotTheSameEncoder:
            if osp.exists(output):
                os.remove(output)
    if frames is None:
        frames = _join(segments, output, info, copy_audio, None, audio_tail)
    if info.display_matrix is not None and ext in QUICKTIME_EXTS:
        write_display_matrix(output, info.display_matrix)  # the source's rotation
    return frames


def _video_stream(out, segment, info, encoder):
    """The output's video stream: a copy of the segment's, or (``encoder``) one of the
    same encoder with the same headers, whose rate the muxer sees."""
    if encoder is None:
        stream = out.add_stream(template=segment)
        if info.sample_aspect_ratio:  # Matroska segments may not hold it
            stream.codec_context.sample_aspect_ratio = info.sample_aspect_ratio
        if segment.metadata.get('alpha_mode') == '1':  # VP9 alpha: the muxer's AlphaMode
            stream.metadata['alpha_mode'] = '1'
        return stream
    from .writer import add_encoder_stream
    stream = add_encoder_stream(out, encoder, info.fps, info.width, info.height,
                                info.colour, max_b_frames=0,
                                sample_aspect_ratio=info.sample_aspect_ratio)
    try:
        stream.codec_context.open()
    except (av.error.FFmpegError, ValueError):
        raise _NotTheSameEncoder from None
    name, own = segment.codec_context.name, stream.codec_context.extradata
    if own and _parameter_sets(own, name) != _parameter_sets(
            segment.codec_context.extradata, name):
        raise _NotTheSameEncoder
    # the segments' own headers (avcC/hvcC: their packets are length-prefixed)
    stream.codec_context.extradata = segment.codec_context.extradata
    return stream


def _parameter_sets(extradata, codec):
    """The H.264/HEVC parameter sets (SPS/PPS, VPS/SPS/PPS) of codec headers, whether
    Annex B (an encoder's) or avcC/hvcC (a demuxer's); other codecs' headers as they
    are."""
    data = bytes(extradata or b'')
    if codec not in ('h264', 'hevc') or not data:
        return data
    if data.startswith((b'\0\0\1', b'\0\0\0\1')):
        units = [u.strip(b'\0') for u in data.replace(b'\0\0\0\1', b'\0\0\1')
                 .split(b'\0\0\1')]
    else:
        units, pos = [], 0
        try:
            if codec == 'h264':
                count, pos = data[5] & 0x1f, 6
                for kind in range(2):
                    for _ in range(count):
                        size = int.from_bytes(data[pos:pos + 2], 'big')
                        units.append(data[pos + 2:pos + 2 + size])
                        pos += 2 + size
                    if kind == 0:
                        count, pos = data[pos], pos + 1
            else:
                arrays, pos = data[22], 23
                for _ in range(arrays):
                    count, pos = int.from_bytes(data[pos + 1:pos + 3], 'big'), pos + 3
                    for _ in range(count):
                        size = int.from_bytes(data[pos:pos + 2], 'big')
                        units.append(data[pos + 2:pos + 2 + size])
                        pos += 2 + size
        except IndexError:
            return data
    if codec == 'h264':
        keep = [u for u in units if u and u[0] & 0x1f in (7, 8)]
    else:
        keep = [u for u in units if u and (u[0] >> 1) & 0x3f in (32, 33, 34)]
    return frozenset(u.rstrip(b'\0') for u in keep)


def _join(segments, output, info, copy_audio, encoder, audio_tail=True):
    ext = osp.splitext(output)[1].lower()
    options = {}
    tb = info.time_base
    if ext in QUICKTIME_EXTS and tb.numerator == 1:
        options['video_track_timescale'] = str(tb.denominator)
    fmt = {'.m4v': 'mp4'}.get(ext)
    first = av.open(segments[0])
    out = av.open(output, 'w', format=fmt, options=options)
    if info.timecode:
        out.metadata['timecode'] = info.timecode
    source = None
    try:
        video = _video_stream(out, first.streams.video[0], info, encoder)
        if ext in QUICKTIME_EXTS:
            _set_quicktime_tag(video, first.streams.video[0])
        audio_pairs = []
        if copy_audio and info.audio_streams:
            source = av.open(info.path)
            for stream in source.streams.audio:
                audio_pairs.append((stream, out.add_stream(template=stream)))
        durations = np.diff(info.pts)
        last = int(np.median(durations)) if len(durations) else round(1 / (info.fps * tb))
        durations = list(durations) + [last]

        def video_packets():
            index = 0
            for seg in segments:
                with av.open(seg) as container:
                    for packet in container.demux(container.streams.video[0]):
                        if not packet.size:
                            continue
                        if index >= info.num_frames:
                            raise VideoIOError(f'segment {seg} has extra frames')
                        packet.pts = packet.dts = info.pts[index] - info.pts_shift
                        packet.duration = int(durations[index])
                        packet.time_base = tb
                        packet.stream = video
                        index += 1
                        yield packet

        audio = (source.demux([s for s, _ in audio_pairs]) if audio_pairs else iter(()))
        if info.is_range:
            audio = _audio_in_range(audio, info.pts[0] * tb,
                                    (info.pts[-1] + durations[-1]) * tb, info.pts_shift * tb)
        audio_map = {s.index: o for s, o in audio_pairs}
        count = 0
        pending_audio = _next_packet(audio)
        for packet in video_packets():
            t_video = packet.pts * tb
            while pending_audio is not None and _time(pending_audio) <= t_video:
                pending_audio.stream = audio_map[pending_audio.stream.index]
                out.mux(pending_audio)
                pending_audio = _next_packet(audio)
            out.mux(packet)
            count += 1
        while audio_tail and pending_audio is not None:
            pending_audio.stream = audio_map[pending_audio.stream.index]
            out.mux(pending_audio)
            pending_audio = _next_packet(audio)
    finally:
        out.close()
        first.close()
        if source is not None:
            source.close()
    if count != info.num_frames:
        raise VideoIOError(f'joined {count} frames, expected {info.num_frames}')
    return count


def _set_quicktime_tag(stream, segment):
    """The sample entry editors' tools expect: the segment's ProRes fourcc (ap4h, apch
    ...; the muxer would label every profile apch, 422 HQ) and hvc1 for HEVC (the
    muxer's default hev1 is not played by QuickTime, Final Cut or Premiere on macOS)."""
    name = segment.codec_context.name
    if name == 'prores' and segment.codec_tag.strip('\x00'):
        stream.codec_tag = segment.codec_tag
    elif name == 'hevc':
        stream.codec_tag = 'hvc1'


def _audio_in_range(packets, start, stop, shift):
    """Audio packets starting in ``[start, stop)`` (seconds), moved ``shift`` earlier."""
    for packet in packets:
        if not packet.size or packet.pts is None:
            continue
        t = packet.pts * packet.time_base
        if start <= t < stop:
            move = round(shift / packet.time_base)
            packet.pts -= move
            if packet.dts is not None:
                packet.dts -= move
            yield packet


def _next_packet(packets):
    for packet in packets:
        if packet.size and packet.dts is not None:
            return packet
    return None


def _time(packet):
    return packet.dts * packet.time_base


@contextmanager
def ffmpeg_log():
    """FFmpeg's error messages while the block runs (a list of strings), so a refusal
    can say why ('Input dimensions too small ...') rather than 'Invalid argument'."""
    previous = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    messages, capture = [], av.logging.Capture()
    captured = capture.__enter__()
    try:
        yield messages
    finally:
        capture.__exit__(None, None, None)
        av.logging.set_level(previous)
        messages.extend(text.strip() for level, _, text in captured
                        if level <= av.logging.ERROR and text.strip())


def _reason(exc, log):
    text = str(exc).split('; last error log:')[0]
    return f'{text} ({log[0].rstrip(":.")})' if log else text


def check_output(info, encoder, output):
    """Encode and join two black frames the way the restorer will, beside ``output``,
    so a codec, container or audio that cannot work fails now, not after the restore.

    Raises :class:`VideoIOError` naming what failed; leaves no file behind.
    """
    from dataclasses import replace

    from .writer import SegmentWriter
    parent, name = osp.split(osp.abspath(output))
    root, ext = osp.splitext(name)
    trial = replace(info, num_frames=min(2, info.num_frames), pts=info.pts[:2])
    seg = osp.join(parent, f'.{root}.trial-{os.getpid()}.mkv')
    out = osp.join(parent, f'.{root}.trial-{os.getpid()}{ext}')
    frame = np.zeros((info.height, info.width, 3), info.dtype)
    what = f'{encoder.codec} {encoder.pix_fmt}'
    try:
        try:
            with ffmpeg_log() as log:
                writer = SegmentWriter(seg, trial, encoder)
                for _ in range(trial.num_frames):
                    writer.write(frame)
                writer.close()
        except (av.error.FFmpegError, ValueError, TypeError) as exc:
            raise VideoIOError(f'cannot encode {what} {info.width}x{info.height}: '
                               f'{_reason(exc, log)} (choose another --codec, --pix-fmt or '
                               '--encoder-opt)') from None
        unused = dict(writer.stream.codec_context.options or {})
        if unused:
            key = next(iter(unused))
            raise VideoIOError(f'--encoder-opt {key}: {encoder.codec} has no such option')
        try:
            with ffmpeg_log() as log:
                join_segments([seg], out, trial, copy_audio=not info.is_folder,
                              encoder=encoder, audio_tail=False)
        except (av.error.FFmpegError, ValueError, TypeError) as exc:
            what += f' in {ext or name}'
            if info.audio_streams:
                what += ' with the source\'s audio'
            raise VideoIOError(f'cannot write {what}: {_reason(exc, log)} (choose another '
                               '--codec or container)') from None
    finally:
        for path in (seg, out):
            if osp.exists(path):
                os.remove(path)
