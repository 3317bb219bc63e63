"""Join restored segments into the output: stream copy, source timestamps and audio."""
import os
import os.path as osp

import av
import numpy as np

from mmrestore.errors import VideoIOError


def join_segments(segments, output, info, copy_audio=True):
    """Stream-copy segment files into ``output`` with the source's timestamps and audio.

    Video packets get the source frames' pts (same time base for MP4/MOV); audio packets
    of the source are copied unchanged and interleaved by time.

    Args:
        segments (list[str]): segment files in order, from :class:`SegmentWriter`.
        output (str): the output file (muxer from its extension).
        info (SourceInfo): the source.
        copy_audio (bool): copy the source's audio streams. Default: True.

    Returns:
        int: number of video frames written.
    """
    ext = osp.splitext(output)[1].lower()
    options = {}
    tb = info.time_base
    if ext in ('.mp4', '.mov', '.m4v') and tb.numerator == 1:
        options['video_track_timescale'] = str(tb.denominator)
    fmt = {'.m4v': 'mp4'}.get(ext)
    first = av.open(segments[0])
    out = av.open(output, 'w', format=fmt, options=options)
    source = None
    try:
        video = out.add_stream(template=first.streams.video[0])
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
                        packet.pts = packet.dts = info.pts[index]
                        packet.duration = int(durations[index])
                        packet.time_base = tb
                        packet.stream = video
                        index += 1
                        yield packet

        audio = (source.demux([s for s, _ in audio_pairs]) if audio_pairs else iter(()))
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
        while pending_audio is not None:
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


def _next_packet(packets):
    for packet in packets:
        if packet.size and packet.dts is not None:
            return packet
    return None


def _time(packet):
    return packet.dts * packet.time_base


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
            writer = SegmentWriter(seg, trial, encoder)
            for _ in range(trial.num_frames):
                writer.write(frame)
            writer.close()
        except (av.error.FFmpegError, ValueError, TypeError) as exc:
            raise VideoIOError(f'cannot encode {what} {info.width}x{info.height}: {exc} '
                               '(choose another --codec)') from None
        try:
            join_segments([seg], out, trial, copy_audio=not info.is_folder)
        except (av.error.FFmpegError, ValueError, TypeError) as exc:
            what += f' in {ext or name}'
            if info.audio_streams:
                what += ' with the source\'s audio'
            raise VideoIOError(f'cannot write {what}: {exc} (choose another --codec or '
                               'container)') from None
    finally:
        for path in (seg, out):
            if osp.exists(path):
                os.remove(path)
