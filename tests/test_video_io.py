"""PyAV/OpenCV I/O of the restorer: probing, windows, segment encode + join, timestamps."""
from fractions import Fraction

import cv2
import numpy as np
import pytest
from conftest import bundled_clip, read_frames
from restore_clips import audio_packets, decode, make_clip, stream_facts

from mmrestore.video import (FrameSource, SegmentWriter, VideoIOError, choose_encoder,
                             join_segments, natural_key, probe_source)


def test_probe_real_clips():
    info = probe_source(bundled_clip('bigbuckbunny.mp4'))
    assert (info.num_frames, info.width, info.height) == (132, 1280, 720)
    assert info.fps == 25 and info.time_base == Fraction(1, 12800)
    assert info.pts[:3] == [0, 512, 1024] and info.audio_streams == 1
    assert info.bit_depth == 8 and info.pix_fmt == 'yuv420p'
    ntsc = probe_source(bundled_clip('carphone_pristine.mp4'))
    assert ntsc.fps == Fraction(30000, 1001) and ntsc.num_frames == 120


def test_probe_rejects_bad_inputs(tmp_path):
    with pytest.raises(VideoIOError, match='not found'):
        probe_source(tmp_path / 'x.mp4')
    (tmp_path / 'junk.mp4').write_bytes(b'\x00' * 1000)
    with pytest.raises(VideoIOError, match='not a readable video'):
        probe_source(tmp_path / 'junk.mp4')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(VideoIOError, match='no frames'):
        probe_source(tmp_path / 'empty')


def test_window_matches_sequential_decode():
    """Windows (with overlap and going back) equal a plain decode of the same frames."""
    path = bundled_clip('bikes.mp4')
    ref = read_frames(path, 12)
    source = FrameSource(probe_source(path))
    for a, b in [(0, 5), (3, 9), (8, 12), (1, 4)]:  # the last one restarts the decoder
        np.testing.assert_array_equal(np.stack(source.window(a, b)), ref[a:b])
    source.close()


def test_folder_natural_order_and_16_bit(tmp_path):
    frames = read_frames(bundled_clip('bikes.mp4'), 12, size=(32, 48))
    for i, f in enumerate(frames):
        img = cv2.cvtColor(f, cv2.COLOR_RGB2BGR).astype(np.uint16) * 257
        cv2.imwrite(str(tmp_path / f'img_{i}.png'), img)
    info = probe_source(tmp_path, folder_fps=24)
    assert info.frame_names[:3] == ['img_0.png', 'img_1.png', 'img_2.png']
    assert info.frame_names[-1] == 'img_11.png' and info.bit_depth == 16
    got = FrameSource(info).window(9, 12)
    np.testing.assert_array_equal(np.stack(got) // 257, frames[9:12])
    assert sorted(['f10', 'f9', 'f100'], key=natural_key) == ['f9', 'f10', 'f100']


@pytest.mark.parametrize('name,ext', [('bigbuckbunny.mp4', '.mp4'),
                                      ('carphone_pristine.mp4', '.mov')])
def test_segments_join_with_source_timing_and_audio(tmp_path, name, ext):
    """Three separately encoded segments stream-copy into one file that decodes to the
    segments' frames, with the source's pts, time base, rate and audio packets."""
    src = tmp_path / f'src{ext}'
    make_clip(src, name, frames=13, size=(48, 64))
    info = probe_source(src)
    enc = choose_encoder(info)
    assert (enc.codec, enc.pix_fmt, enc.crf) == ('libx264', 'yuv420p', 16)
    frames = FrameSource(info).window(0, 13)
    segs = []
    for i, (a, b) in enumerate([(0, 5), (5, 9), (9, 13)]):
        segs.append(str(tmp_path / f'seg{i}.mkv'))
        writer = SegmentWriter(segs[-1], info, enc)
        for f in frames[a:b]:
            writer.write(255 - f)  # something visibly different from the source
        writer.close()
    out = tmp_path / f'out{ext}'
    assert join_segments(segs, str(out), info) == 13
    assert stream_facts(out) == stream_facts(src)
    assert audio_packets(out) == audio_packets(src)
    got, pts = decode(out)
    assert pts == info.pts
    parts = np.concatenate([decode(s)[0] for s in segs])
    np.testing.assert_array_equal(got, parts)
    # crf 16 + 4:2:0 chroma on tiny frames: a few levels on average
    assert np.abs(got.astype(int) - (255 - np.stack(frames))).mean() < 5


def test_ten_bit_source_gets_ten_bit_encoder(tmp_path):
    src = tmp_path / 'ten.mkv'
    make_clip(src, 'bikes.mp4', frames=3, size=(32, 48), pix_fmt='yuv420p10le', audio=False)
    info = probe_source(src)
    assert info.bit_depth == 10 and info.dtype == np.uint16
    enc = choose_encoder(info)
    assert (enc.codec, enc.pix_fmt) == ('libx265', 'yuv420p10le')
    assert choose_encoder(info, 'libx264').pix_fmt == 'yuv420p10le'
    with pytest.raises(VideoIOError, match='cannot encode 10-bit'):
        choose_encoder(info, 'mpeg4')
    assert stream_facts(src)[0]['pix_fmt'] == 'yuv420p10le'


def test_odd_sized_frames_avoid_chroma_subsampling(tmp_path):
    frames = read_frames(bundled_clip('bikes.mp4'), 2, size=(33, 47))
    for i, f in enumerate(frames):
        cv2.imwrite(str(tmp_path / f'{i}.png'), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    info = probe_source(tmp_path)
    assert (info.width, info.height, info.bit_depth) == (47, 33, 8)
    assert choose_encoder(info).pix_fmt == 'yuv444p'
