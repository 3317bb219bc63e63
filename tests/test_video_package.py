"""The video package is the one home of video I/O: light, and the only PyAV user."""
import re
import subprocess
import sys

import numpy as np
from conftest import REPO, bundled_clip

from mmrestore import video


def test_pyav_is_imported_by_the_video_package_only():
    pattern = re.compile(r'^\s*(import av\b|from av\b)', re.M)
    users = [str(p.relative_to(REPO)) for folder in ('mmrestore', 'tools', 'benchmarks', 'tests')
             for p in (REPO / folder).rglob('*.py') if pattern.search(p.read_text())]
    assert users and all(u.startswith('mmrestore/video/') for u in users), users


def test_importing_the_video_package_leaves_torch_and_mmagic_out():
    code = ('import sys, mmrestore.video, mmrestore.cli, mmrestore.errors\n'
            'print(sorted(m for m in ("torch", "mmagic", "mmengine") if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == '[]', out.stdout


def test_writer_round_trip_keeps_frames_rate_and_timestamps(tmp_path):
    frames = video.read_frames(bundled_clip('carphone_pristine.mp4'), 10, 4)
    path = tmp_path / 'x.mkv'
    video.write_video(path, frames, 30, video.EncoderSettings('ffv1', 'bgr0'))
    info = video.probe_source(path)
    assert (info.num_frames, info.width, info.height, info.fps) == (4, 176, 144, 30)
    back = video.read_frames(path)
    assert all(np.array_equal(a, b) for a, b in zip(frames, back))  # lossless RGB
    assert not list(tmp_path.glob('*.partial*'))


def test_failed_write_leaves_no_file(tmp_path):
    path = tmp_path / 'y.mp4'
    frame = np.zeros((32, 48, 3), np.uint8)
    try:
        with video.VideoWriter(path, 25) as writer:
            writer.write(frame)
            raise RuntimeError('stop')
    except RuntimeError:
        pass
    assert list(tmp_path.iterdir()) == []


def test_one_list_of_extensions():
    assert set(video.OUTPUT_VIDEO_EXTS) <= set(video.VIDEO_EXTS)
    assert video.is_video_path('A.MOV') and not video.is_video_path('a.png')
    assert video.is_video_path('a.wmv') and not video.is_video_path('a.wmv', output=True)


def test_deep_frames_to_uint8_round():
    deep = np.array([[[0, 257 * 200, 65535]]], np.uint16)
    assert video.to_uint8(deep).tolist() == [[[0, 200, 255]]]


def _damage(path, out, offset_fraction=0.5, size=600):
    data = bytearray(path.read_bytes())
    at = int(len(data) * offset_fraction)
    data[at:at + size] = np.random.default_rng(0).integers(0, 256, size, np.uint8).tobytes()
    out.write_bytes(bytes(data))
    return out


def test_damaged_packets_are_concealed_with_count_and_timing_kept(tmp_path):
    from restore_clips import make_clip
    clean = make_clip(tmp_path / 'c.mp4', 'bikes.mp4', frames=20, size=(64, 112),
                      audio=False)
    bad = _damage(tmp_path / 'c.mp4', tmp_path / 'd.mp4')
    info = video.probe_source(bad)
    source = video.FrameSource(info)
    frames = source.window(0, info.num_frames)
    assert len(frames) == info.num_frames == len(clean)
    assert source.concealed  # the frames lost to the damage, each a copy of the one before
    for i in source.concealed:
        assert np.array_equal(frames[i], frames[i - 1]) if i else True
    strict = video.FrameSource(info, strict=True)
    try:
        strict.window(0, info.num_frames)
        raise AssertionError('--strict did not abort')
    except video.VideoIOError as exc:
        assert '--strict' in str(exc) and str(bad) in str(exc)
