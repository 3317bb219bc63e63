"""Editor I/O (issue 16.5): image sequences (PNG, 16-bit TIFF, 10-bit DPX, EXR) in and
out with their numbering, --pix-fmt/--encoder-opt (ProRes, DNxHR), frame ranges,
timecode, --preview. Small generated clips; an identity generator for exact checks."""
import os
import struct

import numpy as np
import pytest
import torch
from conftest import REPO, bundled_clip, read_frames
from restore_clips import TINY_UNET, audio_packets, decode, load_cli, make_clip

from mmagic.registry import MODELS
from mmrestore import video
from mmrestore.errors import VideoIOError
from mmrestore.visualization import comparison_figure

CLI = REPO / 'tools' / 'restore_video.py'
TINY = ['--cfg-options', *TINY_UNET, '--device', 'cpu', '-Q', '10', '-K', '1', '-L', '6',
        '--progress', 'log']


@MODELS.register_module(force=True)
class IdentityForIO(torch.nn.Module):
    """Test generator that returns its input: the I/O round trip is seen exactly."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, lqs):
        return lqs.clone()


@pytest.fixture(scope='module')
def cli():
    return load_cli('restore_video_cli_editor')


@pytest.fixture(scope='module')
def identity(tmp_path_factory):
    cfg = tmp_path_factory.mktemp('cfg') / 'identity.py'
    cfg.write_text("model = dict(type='IdentityForIO')\n")
    return ['--config', str(cfg), '--device', 'cpu', '-Q', '10', '-K', '1', '-L', '6',
            '--progress', 'log']


@pytest.fixture(scope='module')
def deep_frames():
    """6 real frames at 48x64 with 16-bit detail (not 8-bit values stretched)."""
    frames = read_frames(bundled_clip('bikes.mp4'), 6, size=(48, 64))
    rng = np.random.default_rng(0)
    return [(f.astype(np.uint16) * 257 + rng.integers(0, 200, f.shape)).astype(np.uint16)
            for f in frames]


def write_sequence(folder, name, frames, settings, first=1001):
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        video.write_frame(folder / (name % (first + i)), frame, settings)
    return str(folder / name)


def one_line_error(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('restore_video.py: error: '), err
    return err[0]


def ten_bit(frames):
    return [np.round(f / 65535 * 1023).astype(np.uint16) for f in frames]


def dpx_with_tv_header(path, timecode_bcd, fps):
    """Give an FFmpeg DPX (1664-byte header) the film and television headers that
    scanners and Resolve write: frame rate and timecode."""
    data = bytearray(open(path, 'rb').read())
    order = '<' if data[:4] == b'XPDS' else '>'
    extra = bytearray(b'\xff' * 384)
    extra[1724 - 1664:1728 - 1664] = struct.pack(order + 'f', fps)
    extra[1920 - 1664:1924 - 1664] = struct.pack(order + 'I', timecode_bcd)
    extra[1940 - 1664:1944 - 1664] = struct.pack(order + 'f', fps)
    data[1664:1664] = extra
    for pos in (4, 808):  # image data offset: file header, first image element
        data[pos:pos + 4] = struct.pack(order + 'I', 2048)
    data[16:20] = struct.pack(order + 'I', len(data))
    data[28:32] = struct.pack(order + 'I', 384)  # industry header size
    open(path, 'wb').write(bytes(data))


# ------------------------------------------------------------------ I/O only
def test_patterns_numbers_and_gaps(tmp_path, deep_frames):
    p = video.SequencePattern.parse('out/shot_%05d.dpx')
    assert (p.prefix, p.suffix, p.width, p.name(1001)) == ('shot_', '.dpx', 5, 'shot_01001.dpx')
    assert p.number('shot_01001.dpx') == 1001 and p.number('shot_1001.dpx') is None
    assert p.number('shot_123456.dpx') == 123456 and p.number('take_01001.dpx') is None
    assert video.SequencePattern.parse('a/f.####.exr').name(7) == 'f.0007.exr'
    assert video.SequencePattern.parse('f%d.png').number('f12.png') == 12
    assert video.is_pattern('x/shot_%04d.tif') and not video.is_pattern('x/shot_0001.tif')
    png = video.ImageSettings('png', 'rgb48be')
    path = write_sequence(tmp_path / 'seq', 'shot_%05d.png', deep_frames[:3], png, 998)
    (tmp_path / 'seq' / 'notes.txt').write_text('not a frame')
    info = video.probe_source(path)
    assert info.frame_numbers == [998, 999, 1000] and info.pattern == path
    assert info.frame_names == ['shot_00998.png', 'shot_00999.png', 'shot_01000.png']
    assert info.is_folder and info.bit_depth == 16 and info.num_frames == 3
    os.remove(tmp_path / 'seq' / 'shot_00999.png')
    with pytest.raises(VideoIOError, match='1 frame.s. missing between 998 and 1000'):
        video.probe_source(path)
    with pytest.raises(VideoIOError, match='no files match'):
        video.probe_source(str(tmp_path / 'seq' / 'take_%05d.png'))


def test_sixteen_bit_tiff_and_ten_bit_dpx_round_trip(tmp_path, deep_frames):
    frame = deep_frames[0]
    tif = tmp_path / 'a.tif'
    video.write_frame(tif, frame, video.ImageSettings('tiff', 'rgb48le',
                                                      {'compression_algo': 'deflate'}))
    np.testing.assert_array_equal(video.read_image(tif), frame)  # OpenCV reads FFmpeg's
    dpx = tmp_path / 'a.dpx'
    video.write_frame(dpx, frame, video.ImageSettings('dpx', 'gbrp10le'))
    back, depth = video.load_image(dpx)
    assert depth == 10 and back.dtype == np.uint16
    # rounded to 10 bits, read back with the bits replicated: the 10-bit code values
    np.testing.assert_array_equal(ten_bit([back])[0], ten_bit([frame])[0])
    np.testing.assert_array_equal(back >> 6, ten_bit([frame])[0])
    again = tmp_path / 'b.dpx'
    video.write_frame(again, back, video.ImageSettings('dpx', 'gbrp10le'))
    assert again.read_bytes() == dpx.read_bytes()  # 10-bit -> 16 -> 10: lossless
    video.write_frame(tmp_path / 'c.dpx', frame, video.ImageSettings('dpx', 'rgb48le'))
    np.testing.assert_array_equal(video.read_image(tmp_path / 'c.dpx'), frame)


def test_exr_half_float_and_clipping(tmp_path, deep_frames, caplog):
    frame = deep_frames[1]
    for sample, tol in (('half', 1e-3), ('float', 1e-7)):
        path = tmp_path / f'{sample}.exr'
        video.write_frame(path, frame, video.ImageSettings('exr', 'gbrpf32le',
                                                           {'format': sample}))
        values, _ = video.load_image(path)
        assert values.dtype == np.float32
        assert np.abs(values - frame / 65535).max() < tol
        assert video.image_header(path)['sample'] == sample
    hot = (frame / 65535).astype(np.float32) * 3  # scene-linear highlights above 1
    hot[0, 0] = -0.5
    (tmp_path / 'hot').mkdir()
    path = tmp_path / 'hot' / 'hot.exr'
    video.write_frame(path, hot, video.ImageSettings('exr', 'gbrpf32le', {'format': 'float'}))
    with caplog.at_level('WARNING', logger='mmrestore.video'):
        got = video.read_image(path)
    assert got.dtype == np.uint16 and got.max() == 65535 and got[0, 0].max() == 0
    np.testing.assert_array_equal(got, np.round(np.clip(hot, 0, 1) * 65535))
    assert 'values outside [0, 1] (-0.5 to' in caplog.text and 'clipped' in caplog.text
    info = video.probe_source(str(tmp_path / 'hot'))
    assert (info.sample_format, info.bit_depth, info.pix_fmt) == ('float', 16, 'gbrpf32le')


def test_dpx_header_timecode_and_rate(tmp_path, deep_frames):
    seq = tmp_path / 'scan'
    path = write_sequence(seq, 'r_%07d.dpx', deep_frames[:3],
                          video.ImageSettings('dpx', 'gbrp10le'), 86400)
    for name in sorted(os.listdir(seq)):
        dpx_with_tv_header(seq / name, 0x01000000, 23.976)
    info = video.probe_source(path)
    assert info.timecode == '01:00:00:00' and info.fps == video.timecode.standard_rate(
        23.976) and str(info.fps) == '24000/1001'
    np.testing.assert_array_equal(video.read_image(seq / 'r_0086401.dpx') >> 6,
                                  ten_bit(deep_frames[1:2])[0])
    assert video.probe_source(path, folder_fps=25).fps == 25  # --fps wins


def test_timecode_arithmetic():
    from fractions import Fraction
    ntsc = Fraction(30000, 1001)
    assert video.frames_to_timecode(1800, ntsc, drop=True) == '00:01:00;02'
    assert video.timecode_to_frames('01:00:00;00', ntsc) == 107892
    assert video.offset_timecode('00:59:59;29', 1, ntsc) == '01:00:00;00'
    assert video.offset_timecode('01:00:00:00', 24, 24) == '01:00:01:00'
    assert video.offset_timecode('23:59:59:24', 1, 25) == '00:00:00:00'
    with pytest.raises(VideoIOError, match='out of range'):
        video.timecode_to_frames('01:00:00:30', 25)


def test_range_decodes_exactly_those_frames(tmp_path):
    """A range of an H.264 clip with B-frames (sought, not decoded from the start)
    gives the frames a full decode gives, with the source's pts."""
    src = tmp_path / 'clip.mp4'
    make_clip(src, 'bikes.mp4', frames=40, size=(48, 64), audio=False)
    info = video.probe_source(src)
    full = np.stack([f for _, f in video.iter_frames(info)])
    for start, end in ((0, 4), (17, 25), (33, 39)):
        part = video.select_range(info, start, end)
        assert part.num_frames == end - start + 1 and part.pts == info.pts[start:end + 1]
        assert part.pts_shift == info.pts[start] - info.pts[0] and part.source_frames == 40
        source = video.FrameSource(part)
        np.testing.assert_array_equal(np.stack(source.window(0, part.num_frames)),
                                      full[start:end + 1])
        np.testing.assert_array_equal(np.stack(source.window(2, 4)), full[start + 2:start + 4])
        source.close()
    with pytest.raises(VideoIOError, match="input's frames are 0-39"):
        video.select_range(info, 35, 40)
    # a raw H.264 stream has no timestamps: the range is found by counting frames
    raw = tmp_path / 'clip.h264'
    video.write_video(raw, full[:20], 25)
    raw_info = video.probe_source(raw)
    assert not raw_info.stream_timed
    raw_full = np.stack([f for _, f in video.iter_frames(raw_info)])
    part = video.select_range(raw_info, 12, 17)
    source = video.FrameSource(part)
    np.testing.assert_array_equal(np.stack(source.window(0, 6)), raw_full[12:18])
    source.close()
    with pytest.raises(VideoIOError, match='before --start'):
        video.select_range(info, 20, 10)


def test_encoder_profiles_and_pixel_formats(tmp_path):
    src = tmp_path / 'clip.mp4'
    make_clip(src, 'bikes.mp4', frames=2, size=(48, 64), audio=False)
    info = video.probe_source(src)
    choose = video.choose_encoder
    assert choose(info, 'prores_ks').pix_fmt == 'yuv422p10le'  # 422 HQ by default
    enc = choose(info, 'prores_ks', options={'profile': '4444'})
    assert (enc.pix_fmt, enc.options['profile']) == ('yuv444p10le', '4444')
    assert choose(info, 'dnxhd').options['profile'] == 'dnxhr_hq'
    assert choose(info, 'dnxhd', options={'profile': 'dnxhr_hqx'}).pix_fmt == 'yuv422p10le'
    assert choose(info, 'libx264', pix_fmt='yuv444p').pix_fmt == 'yuv444p'
    for kwargs, words in [
            (dict(codec='prores_ks', pix_fmt='yuv420p'), 'prores_ks takes yuv422p10le'),
            (dict(codec='prores_ks', options={'profile': 'ultra'}), 'takes profile= auto'),
            (dict(codec='prores_ks', options={'profile': '4444'}, pix_fmt='yuv422p10le'),
             'use --pix-fmt yuv444p10le'),
            (dict(codec='prores_ks', options={'profile': 'hq'}, pix_fmt='yuv444p10le'),
             'ProRes 4:2:2'),
            (dict(codec='dnxhd', options={'profile': 'dnxhr_hq'}, pix_fmt='yuv422p10le'),
             'takes --pix-fmt yuv422p'),
            (dict(codec='libx264', options={'crf': '3'}), 'use --crf')]:
        with pytest.raises(VideoIOError, match=words):
            choose(info, **kwargs)


# ------------------------------------------------------------ through the CLI
def test_sixteen_bit_tiff_sequence_keeps_numbering_and_values(cli, identity, tmp_path,
                                                              deep_frames, capsys):
    src = write_sequence(tmp_path / 'in', 'shot_%05d.tif', deep_frames,
                         video.ImageSettings('tiff', 'rgb48le'))
    (tmp_path / 'out').mkdir()
    (tmp_path / 'out' / 'keep.txt').write_text('other files stay')
    out = tmp_path / 'out' / 'clean_####.tif'
    assert cli.main([src, str(out), *identity]) == 0, capsys.readouterr().err
    assert '16-bit TIFF (rgb48le)' in capsys.readouterr().out
    names = sorted(os.listdir(tmp_path / 'out'))
    assert names == [f'clean_{n}.tif' for n in range(1001, 1007)] + ['keep.txt']
    for i, n in enumerate(range(1001, 1007)):
        np.testing.assert_array_equal(video.read_image(tmp_path / 'out' / f'clean_{n}.tif'),
                                      deep_frames[i])
    assert not [n for n in os.listdir(tmp_path / 'out') if n.startswith('.')]
    # the frames are there now: refused without --overwrite, nothing touched
    assert cli.main([src, str(out), *identity]) == 2
    assert 'clean_1001.tif and 5 more' in one_line_error(capsys)
    # a pattern that would replace the INPUT's own frames
    same = str(tmp_path / 'in' / 'shot_#####.tif')
    assert cli.main([src, same, *identity, '--overwrite']) == 2
    assert 'replace INPUT frames' in one_line_error(capsys)


def test_dpx_ten_bit_sequence_range_round_trip(cli, identity, tmp_path, deep_frames,
                                               capsys):
    src = write_sequence(tmp_path / 'in', 'shot_%05d.dpx', deep_frames,
                         video.ImageSettings('dpx', 'gbrp10le'))
    out = tmp_path / 'shot_%05d.dpx'
    assert cli.main([src, str(out), *identity, '--start', '1002', '--end', '1004']) == 0, \
        capsys.readouterr().err
    text = capsys.readouterr().out
    assert 'frames 1002-1004 (3 of 6)' in text and '10-bit DPX (gbrp10le)' in text
    assert sorted(p.name for p in tmp_path.glob('*.dpx')) == [
        'shot_01002.dpx', 'shot_01003.dpx', 'shot_01004.dpx']
    for i, n in enumerate(range(1002, 1005)):
        got, depth = video.load_image(tmp_path / f'shot_{n:05d}.dpx')
        assert depth == 10
        np.testing.assert_array_equal(got >> 6, ten_bit(deep_frames)[i + 1])
    # --pix-fmt picks another DPX depth; a folder OUTPUT takes --image-format
    folder = tmp_path / 'folder'
    assert cli.main([src, str(folder), *identity, '--image-format', 'dpx', '--pix-fmt',
                     'gbrp12le', '--end', '1001']) == 0
    # a folder OUTPUT holds its frames and the marker naming them as ours (--overwrite)
    assert sorted(os.listdir(folder)) == ['.mmrestore-output.json', 'shot_01001.dpx']
    assert video.load_image(folder / 'shot_01001.dpx')[1] == 12
    capsys.readouterr()
    assert cli.main([src, str(tmp_path / 'f2'), *identity, '--image-format', 'dpx',
                     '--pix-fmt', 'yuv420p']) == 2
    assert 'DPX frames take gbrp10le, gbrp12le, rgb48le, rgb24' in one_line_error(capsys)


def test_exr_in_exr_out(cli, identity, tmp_path, deep_frames, capsys):
    settings = video.ImageSettings('exr', 'gbrpf32le', {'format': 'half'})
    src = write_sequence(tmp_path / 'in', 'plate.%04d.exr', deep_frames[:3], settings, 1)
    out = tmp_path / 'out'
    assert cli.main([src, str(out), *identity, '--image-format', 'exr', '--encoder-opt',
                     'compression=zip16']) == 0, capsys.readouterr().err
    assert 'half EXR (gbrpf32le compression=zip16)' in capsys.readouterr().out
    assert sorted(os.listdir(out)) == ['.mmrestore-output.json', 'plate.0001.exr',
                                       'plate.0002.exr', 'plate.0003.exr']
    for i in range(3):
        a = video.load_image(f'{src}' % (i + 1))[0]
        b = video.load_image(out / f'plate.{i + 1:04d}.exr')[0]
        assert video.image_header(out / f'plate.{i + 1:04d}.exr')['sample'] == 'half'
        assert np.abs(a - b).max() < 1e-3  # half in -> 16 bits -> half out
    assert cli.main([src, str(tmp_path / 'o2'), *identity, '--image-format', 'exr',
                     '--encoder-opt', 'compression=lzma']) == 2
    assert 'exr takes compression= none, rle, zip1, zip16' in one_line_error(capsys)


def test_prores_4444_and_dnxhr_profiles_are_written(cli, tmp_path, capsys):
    src = tmp_path / 'clip.mov'
    make_clip(src, 'bikes.mp4', frames=3, size=(144, 256), audio=False)
    out = tmp_path / 'pr.mov'
    assert cli.main([str(src), str(out), *TINY, '--codec', 'prores_ks', '--encoder-opt',
                     'profile=4444', '--encoder-opt', 'vendor=apl0']) == 0
    assert 'prores_ks yuv444p10le profile=4444 vendor=apl0' in capsys.readouterr().out
    assert video.codec_profile(out) == '4444' and video.probe_source(out).num_frames == 3
    out = tmp_path / 'hq.mov'
    assert cli.main([str(src), str(out), *TINY, '--codec', 'prores_ks', '--encoder-opt',
                     'profile=hq']) == 0
    assert video.codec_profile(out) == 'HQ'
    assert video.list_streams(out)[0]['pix_fmt'] == 'yuv422p10le'
    out = tmp_path / 'dnx.mov'
    assert cli.main([str(src), str(out), *TINY, '--codec', 'dnxhd', '--encoder-opt',
                     'profile=dnxhr_hq']) == 0
    assert video.codec_profile(out) == 'DNXHR HQ'
    capsys.readouterr()
    for extra, words in [
            (['--codec', 'prores_ks', '--encoder-opt', 'bogus_option=1'],
             '--encoder-opt bogus_option: prores_ks has no such option'),
            (['--codec', 'prores_ks', '--pix-fmt', 'yuv420p'], 'prores_ks takes'),
            (['--encoder-opt', 'profile'], 'expected KEY=VALUE')]:
        assert cli.main([str(src), str(tmp_path / 'bad.mov'), *TINY, *extra]) == 2
        assert words in one_line_error(capsys)
    small = tmp_path / 'small.mov'
    make_clip(small, 'bikes.mp4', frames=2, size=(48, 64), audio=False)
    assert cli.main([str(small), str(tmp_path / 'bad.mov'), *TINY, '--codec', 'dnxhd']) == 2
    assert 'at least 256x120' in one_line_error(capsys)  # FFmpeg's reason, up front
    assert not (tmp_path / 'bad.mov').exists()


def test_frame_range_timestamps_audio_and_timecode(cli, identity, tmp_path, capsys):
    src = tmp_path / 'clip.mov'
    make_clip(src, 'bigbuckbunny.mp4', frames=20, size=(48, 64))
    tc_src = tmp_path / 'tc.mov'  # the same clip with a timecode track
    info = video.probe_source(src)
    frames = [f for _, f in video.iter_frames(info)]
    with video.VideoWriter(tc_src, info.fps, video.EncoderSettings('libx264', 'yuv444p', 0),
                           time_base=info.time_base, audio_from=src,
                           timecode='01:00:00:00') as writer:
        for frame, pts in zip(frames, info.pts):
            writer.write(frame, pts)
    tc_info = video.probe_source(tc_src)
    assert tc_info.timecode == '01:00:00:00' and tc_info.other_streams == 0
    out = tmp_path / 'range.mov'
    lossless = ['--codec', 'libx264', '--crf', '0', '--pix-fmt', 'yuv444p']
    assert cli.main([str(tc_src), str(out), *identity, *lossless, '--start', '5',
                     '--end', '14']) == 0, capsys.readouterr().err
    got = video.probe_source(out)
    assert got.num_frames == 10 and got.timecode == '01:00:00:05'
    assert got.pts == [p - info.pts[5] + info.pts[0] for p in info.pts[5:15]]
    want = np.stack([f for _, f in video.iter_frames(tc_info)][5:15])
    assert np.abs(decode(out)[0].astype(int) - want).max() <= 2  # yuv444p rounding
    # audio: the packets of those frames' time, moved to the start
    a_src, a_out = audio_packets(tc_src), audio_packets(out)
    t0, t1 = info.pts[5] * info.time_base, info.pts[15] * info.time_base
    assert a_out and len(a_out) < len(a_src)
    rate = video.list_streams(out)[1]['time_base']
    kept = [(pts, data) for pts, data in a_src if t0 <= pts * rate < t1]
    assert [d for _, d in a_out] == [d for _, d in kept]
    # the same range by timecode, and timecode outside the clip
    capsys.readouterr()
    out2 = tmp_path / 'range_tc.mov'
    assert cli.main([str(tc_src), str(out2), *identity, *lossless, '--start',
                     '01:00:00:05', '--end', '01:00:00:14']) == 0
    np.testing.assert_array_equal(decode(out2)[0], decode(out)[0])
    capsys.readouterr()
    assert cli.main([str(tc_src), str(tmp_path / 'x.mov'), *identity, '--start',
                     '02:00:00:00']) == 2
    assert 'runs from timecode 01:00:00:00 to 01:00:00:19' in one_line_error(capsys)
    # a plain full render carries the timecode too (Matroska as a tag)
    out3 = tmp_path / 'full.mkv'
    assert cli.main([str(tc_src), str(out3), *TINY]) == 0
    assert video.probe_source(out3).timecode == '01:00:00:00'


def test_preview_picture_and_no_output(cli, tmp_path, capsys):
    src = tmp_path / 'clip.mp4'
    make_clip(src, 'bigbuckbunny.mp4', frames=12, size=(48, 64))
    out = tmp_path / 'out.mov'
    assert cli.main([str(src), str(out), *TINY, '--preview', '3']) == 0, \
        capsys.readouterr().err
    text = capsys.readouterr().out
    assert 'preview: 3 frames (0, 6, 11)' in text and 'OUTPUT not written' in text
    picture = video.read_image(tmp_path / 'out.preview.png')
    one = comparison_figure([np.zeros((48, 64, 3), np.uint8)] * 2, ['a', 'b'],
                            zoom_windows=1)
    gap = max(4, one.shape[1] // 160)
    assert picture.shape == (3 * one.shape[0] + 2 * gap, one.shape[1], 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['clip.mp4', 'out.preview.png']
    # --preview-out, within a range, and an existing OUTPUT is left alone
    out.write_bytes(b'earlier render')
    pic = tmp_path / 'check.png'
    assert cli.main([str(src), str(out), *TINY, '--preview', '2', '--preview-out', str(pic),
                     '--start', '4', '--end', '9']) == 0
    assert 'preview: 2 frames (4, 9)' in capsys.readouterr().out
    assert pic.exists() and out.read_bytes() == b'earlier render'
    assert cli.main([str(src), str(out), *TINY, '--preview-out', str(pic)]) == 2
    assert '--preview-out needs --preview N' in one_line_error(capsys)


@pytest.mark.parametrize('extra, words', [
    (['--image-format', 'dpx'], '--image-format applies to a folder OUTPUT'),
    (['--start', '50'], "--start 50: the input's frames are 0-7"),
    (['--start', 'soon'], 'expected a frame number or a timecode'),
    (['--preview', '-1'], '--preview -1'),
])
def test_editor_flags_refused_up_front(cli, tmp_path, capsys, extra, words):
    src = tmp_path / 'clip.mp4'
    make_clip(src, 'bigbuckbunny.mp4', frames=8, size=(48, 64), audio=False)
    assert cli.main([str(src), str(tmp_path / 'out.mp4'), *TINY, *extra]) == 2
    assert words in one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['clip.mp4']


def test_output_patterns_and_single_images_are_told_apart(cli, tmp_path, capsys):
    src = tmp_path / 'clip.mp4'
    make_clip(src, 'bigbuckbunny.mp4', frames=2, size=(48, 64), audio=False)
    for out, words in [('one.dpx', 'names one image; give a pattern (shot_%05d.dpx)'),
                       ('f_%04d.jpg', 'not .jpg')]:
        assert cli.main([str(src), str(tmp_path / out), *TINY]) == 2
        assert words in one_line_error(capsys)
    # video frames into a DPX pattern: numbered by frame index
    assert cli.main([str(src), str(tmp_path / 'f_%04d.dpx'), *TINY]) == 0
    assert sorted(p.name for p in tmp_path.glob('f_*')) == ['f_0000.dpx', 'f_0001.dpx']
