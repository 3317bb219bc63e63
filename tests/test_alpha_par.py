"""Issue 17.6: an alpha channel is kept where the output format carries it (the model
restores RGB; each frame's alpha plane is passed through beside it, also across
segments, resume, --start/--end and background I/O), else a `dropped:` warning says
which outputs keep it; the pixel aspect ratio is copied. Small generated clips, a tiny
random-init generator."""
import os
from fractions import Fraction

import cv2
import numpy as np
import pytest
from conftest import bundled_clip, read_frames
from restore_clips import TINY_UNET, load_cli

from mmrestore import video
from mmrestore.apis import RestoreSettings, restore_video

# 64x112 frames; segments of 8 frames (Q=10, K=1), passes of 6 (L=6)
TINY = ['--cfg-options', *TINY_UNET, '--device', 'cpu', '-Q', '10', '-K', '1', '-L', '6',
        '--progress', 'log']
SAR = Fraction(64, 45)  # 16:9 PAL SD pixels
PRORES_4444 = video.EncoderSettings('prores_ks', 'yuva444p10le',
                                    options={'profile': '4444'})


@pytest.fixture(scope='module')
def cli():
    return load_cli('restore_video_cli_alpha')


@pytest.fixture(scope='module')
def frames():
    """14 real RGB frames (64x112) and one distinct alpha plane per frame: a soft
    gradient moving with the frame index plus noise, with fully transparent and fully
    opaque areas, so a plane given to another frame is seen."""
    rgb = read_frames(bundled_clip('bigbuckbunny.mp4'), 14, size=(64, 112), start=10)
    rng = np.random.default_rng(17)
    x = np.arange(112)[None, :].repeat(64, 0)
    alphas = []
    for k in range(len(rgb)):
        a = (x * 2 + 9 * k) % 256 + rng.integers(-20, 21, (64, 112))
        a[:6], a[-6:] = 0, 255
        alphas.append(np.clip(a, 0, 255).astype(np.uint8))
    return rgb, np.stack(alphas)


def rgba_folder(folder, rgb, alphas, first=1001):
    folder.mkdir(parents=True)
    for k, (f, a) in enumerate(zip(rgb, alphas)):
        cv2.imwrite(str(folder / f'shot_{first + k:05d}.png'),
                    np.dstack([f[..., ::-1], a]))
    return folder


def folder_alphas(folder):
    """RGB and alpha of every PNG of a folder, in name order (alpha None if absent)."""
    names = sorted(n for n in os.listdir(folder) if n.endswith('.png'))
    return [video.read_image_alpha(folder / n) for n in names]


def video_alphas(path):
    """The alpha planes of every frame of a video (as decoded)."""
    info = video.probe_source(path)
    source = video.FrameSource(info, alpha=True)
    try:
        window = source.window(0, info.num_frames)
        return info, [window.alpha(k) for k in range(info.num_frames)]
    finally:
        source.close()


def dropped_lines(text):
    return [line for line in text.splitlines() if 'dropped:' in line]


# ------------------------------------------------------------------ I/O only
@pytest.mark.parametrize('fmt', ['png', 'tiff', 'dpx', 'exr'])
@pytest.mark.parametrize('deep', [False, True])
def test_image_formats_write_and_read_alpha(tmp_path, frames, fmt, deep):
    rgb, alphas = frames[0][0], frames[1][0]
    if deep:  # 16-bit detail, not 8-bit values stretched
        rng = np.random.default_rng(1)
        rgb = rgb.astype(np.uint16) * 257 + rng.integers(0, 200, rgb.shape, np.uint16)
        alphas = alphas.astype(np.uint16) * 257 + rng.integers(0, 200, alphas.shape,
                                                               np.uint16)
    info = video.SourceInfo('x', 1, 112, 64, 16 if deep else 8, Fraction(25),
                            Fraction(1, 25), [0], 'rgba64le' if deep else 'rgba')
    assert info.has_alpha
    settings = video.choose_image_settings(info, fmt)
    assert video.keeps_alpha(info, settings), settings
    path = tmp_path / f'f{settings.ext}'
    video.write_frame(path, rgb, settings, alpha=alphas)
    got_rgb, got_alpha = video.read_image_alpha(path)
    scale = 257 if got_alpha.dtype == np.uint16 and alphas.dtype == np.uint8 else 1
    err = np.abs(got_alpha.astype(int) - alphas.astype(int) * scale).max()
    rgb_err = np.abs(got_rgb.astype(int) - rgb.astype(int) * scale).max()
    # EXR is half float by default: 11-bit mantissa (32 of 65535 near 1)
    assert err <= (32 if fmt == 'exr' else 0), err
    assert rgb_err <= (32 if fmt == 'exr' else 0), rgb_err  # colour not premultiplied


def test_encoder_choice_adds_alpha_and_only_there():
    info = video.SourceInfo('x.mov', 1, 112, 64, 12, Fraction(25), Fraction(1, 25), [0],
                            'yuva444p12le')
    choose = video.choose_encoder
    assert choose(info, 'prores_ks', options={'profile': '4444'}).pix_fmt == 'yuva444p10le'
    assert choose(info, 'prores_ks').pix_fmt == 'yuva444p10le'  # profile auto -> 4444
    assert choose(info, 'prores_ks', options={'profile': 'hq'}).pix_fmt == 'yuv422p10le'
    assert choose(info, 'prores_ks', pix_fmt='yuv444p10le',
                  options={'profile': '4444'}).pix_fmt == 'yuv444p10le'  # --pix-fmt wins
    assert choose(info, 'ffv1', output='o.mkv').pix_fmt == 'yuva444p12le'
    assert choose(info, output='o.mp4').pix_fmt == 'yuv420p10le'  # libx265: no alpha
    eight = video.SourceInfo('x', 1, 112, 64, 8, Fraction(25), Fraction(1, 25), [0],
                             'rgba', frame_names=['a.png'])
    assert choose(eight, 'qtrle').pix_fmt == 'argb'
    assert choose(eight, output='o.webm').pix_fmt == 'yuva420p'  # libvpx-vp9
    assert choose(eight, 'ffv1').pix_fmt == 'yuva420p'


# ------------------------------------------------------------ through the CLI
def test_rgba_png_folder_keeps_the_exact_alpha(cli, tmp_path, frames, capsys):
    rgb, alphas = frames[0][:6], frames[1][:6]
    src = rgba_folder(tmp_path / 'in', rgb, alphas)
    out = tmp_path / 'out'
    assert cli.main([str(src), str(out), *TINY]) == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    assert '8-bit PNG (rgba), alpha kept)' in captured.out
    assert not dropped_lines(captured.err), captured.err
    got = folder_alphas(out)
    assert len(got) == 6
    for k, (restored, alpha) in enumerate(got):
        np.testing.assert_array_equal(alpha, alphas[k])
        assert np.abs(restored.astype(int) - rgb[k]).mean() > 0.5  # the model ran
    # gray + alpha in, a 16-bit source: a TIFF sequence keeps it at 16 bits
    gray = tmp_path / 'gray'
    gray.mkdir()
    deep = [(np.repeat(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)[..., None], 2, 2).astype(
        np.uint16) * 257) for f in rgb[:3]]
    for k, ga in enumerate(deep):
        ga[..., 1] = alphas[k].astype(np.uint16) * 257 + k
        video.write_frame(gray / f'g_{k}.tif', np.repeat(ga[..., :1], 3, 2),
                          video.ImageSettings('tiff', 'rgba64le'), alpha=ga[..., 1])
    out = tmp_path / 'tif' / 'r_%02d.tif'
    out.parent.mkdir()
    assert cli.main([str(gray), str(out), *TINY]) == 0, capsys.readouterr().err
    assert '16-bit TIFF (rgba64le), alpha kept' in capsys.readouterr().out
    for k in range(3):
        _, alpha = video.read_image_alpha(tmp_path / 'tif' / f'r_{k:02d}.tif')
        np.testing.assert_array_equal(alpha, deep[k][..., 1])


def test_rgba_mov_to_prores_4444_keeps_alpha_and_mp4_says_dropped(cli, tmp_path, frames,
                                                                   capsys):
    rgb, alphas = frames[0][:6], frames[1][:6]
    src = video.write_video(tmp_path / 'in.mov', rgb, 25, PRORES_4444, alphas=alphas)
    info, src_alpha = video_alphas(src)
    assert info.pix_fmt == 'yuva444p12le' and info.has_alpha
    out = tmp_path / 'out.mov'
    assert cli.main([str(src), str(out), *TINY, '--codec', 'prores_ks',
                     '--encoder-opt', 'profile=4444']) == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    assert 'prores_ks yuva444p10le profile=4444, alpha kept' in captured.out
    assert not dropped_lines(captured.err), captured.err
    assert video.codec_profile(out) == '4444'
    got_info, got = video_alphas(out)
    assert got_info.num_frames == 6 and got_info.has_alpha
    for k in range(6):
        # 12 bits decoded, 10 bits encoded, ProRes' alpha coding: within 1/1023
        err = np.abs(got[k].astype(int) - src_alpha[k].astype(int)).max()
        assert err <= 65535 / 1023, (k, err)
        eight = np.round(got[k] / 257).astype(int)  # and the 8-bit planes written
        assert np.abs(eight - alphas[k]).max() <= 1
    # an 8-bit QuickTime RLE (ARGB, lossless) source into qtrle: exactly its alpha
    rle = video.write_video(tmp_path / 'rle.mov', rgb, 25,
                            video.EncoderSettings('qtrle', 'argb'), alphas=alphas)
    out = tmp_path / 'rle_out.mov'
    assert cli.main([str(rle), str(out), *TINY, '--codec', 'qtrle']) == 0
    assert 'qtrle argb, alpha kept' in capsys.readouterr().out
    _, got = video_alphas(out)
    for k in range(6):
        np.testing.assert_array_equal(got[k], alphas[k])
    # H.264 in MP4 has no alpha: said, with the outputs that keep it
    out = tmp_path / 'out.mp4'
    assert cli.main([str(src), str(out), *TINY]) == 0
    dropped = dropped_lines(capsys.readouterr().err)
    assert len(dropped) == 1, dropped
    assert 'dropped: alpha channel of yuva444p12le (libx265 yuv420p10le has none' in \
        dropped[0] and '--codec prores_ks --encoder-opt profile=4444' in dropped[0]
    assert not video.probe_source(out).has_alpha
    # a ProRes 4:2:2 profile: the hint names the profile that keeps it
    assert cli.main([str(src), str(tmp_path / 'hq.mov'), *TINY, '--codec', 'prores_ks',
                     '--encoder-opt', 'profile=hq']) == 0
    dropped = dropped_lines(capsys.readouterr().err)
    assert len(dropped) == 1 and 'use --encoder-opt profile=4444' in dropped[0], dropped


def test_pixel_aspect_ratio_is_copied(cli, tmp_path, frames, capsys):
    src = video.write_video(tmp_path / 'sd.mp4', frames[0][:4], 25,
                            video.EncoderSettings('libx264', 'yuv420p', 16),
                            sample_aspect_ratio=SAR)
    assert video.probe_source(src).sample_aspect_ratio == SAR
    for name, extra in [('o.mp4', []), ('o.mkv', []), ('o.mov', ['--codec', 'prores_ks']),
                        ('o2.mkv', ['--codec', 'libx265'])]:
        out = tmp_path / name
        assert cli.main([str(src), str(out), *TINY, *extra]) == 0, capsys.readouterr().err
        captured = capsys.readouterr()
        assert 'pixel aspect ratio 64:45 kept' in captured.out, (name, captured.out)
        assert not dropped_lines(captured.err), (name, captured.err)
        assert video.probe_source(out).sample_aspect_ratio == SAR, name
    # FFV1 in Matroska: the muxer takes it from the stream, which PyAV 13 cannot set
    out = tmp_path / 'ffv1.mkv'
    assert cli.main([str(src), str(out), *TINY, '--codec', 'ffv1']) == 0
    dropped = dropped_lines(capsys.readouterr().err)
    assert len(dropped) == 1 and 'pixel aspect ratio 64:45 (ffv1 in .mkv' in dropped[0]
    assert video.probe_source(out).sample_aspect_ratio is None  # what the warning says


def test_alpha_stays_with_its_frame_through_segments_resume_and_range(cli, tmp_path,
                                                                      frames, capsys):
    """Output frame k carries the alpha of input frame k: a range of 12 of 14 frames
    in segments of 8 (starting and ending inside the source), a resumed run (one
    segment restored again, the other reused), with and without background I/O, and
    a video source."""
    rgb, alphas = frames
    src = rgba_folder(tmp_path / 'in', rgb, alphas)
    out = tmp_path / 'out'
    args = [str(src), str(out), *TINY, '--start', '1002', '--end', '1013']
    assert cli.main([*args, '--keep-work']) == 0, capsys.readouterr().err
    expect = alphas[1:13]
    got = folder_alphas(out)
    assert len(got) == 12
    for k, (_, alpha) in enumerate(got):
        np.testing.assert_array_equal(alpha, expect[k], err_msg=f'frame {k}')
    first = [r for r, _ in got]
    work = next(p for p in tmp_path.iterdir() if p.name.startswith('.out.restore-'))
    for name in os.listdir(work / 'seg_00001'):  # restored again on the rerun
        os.remove(work / 'seg_00001' / name)
    capsys.readouterr()
    assert cli.main([*args, '--overwrite']) == 0
    assert 'resuming: 1/2 segments done' in capsys.readouterr().out
    got = folder_alphas(out)
    for k, (restored, alpha) in enumerate(got):
        np.testing.assert_array_equal(alpha, expect[k], err_msg=f'resumed frame {k}')
        np.testing.assert_array_equal(restored, first[k])
    # no background I/O (plain windows), through the Python API
    plain = tmp_path / 'plain'
    restore_video(str(src), str(plain), RestoreSettings(
        cfg_options={k: int(v) for k, v in (s.split('=') for s in TINY_UNET)},
        device='cpu', chunk_frames=10,
        overlap=1, max_seq_len=6, start=1002, end=1013, background_io=False),
        progress=False)
    got = folder_alphas(plain)
    assert len(got) == 12
    for k, (restored, alpha) in enumerate(got):
        np.testing.assert_array_equal(alpha, expect[k], err_msg=f'plain frame {k}')
        np.testing.assert_array_equal(restored, first[k])  # the same restore
    # a video source (lossless FFV1 with alpha) into FFV1: exact, frame for frame
    mkv = video.write_video(tmp_path / 'in.mkv', rgb, 25,
                            video.EncoderSettings('ffv1', 'yuva420p'), alphas=alphas)
    out = tmp_path / 'out.mkv'
    assert cli.main([str(mkv), str(out), *TINY, '--codec', 'ffv1', '--start', '2',
                     '--end', '12']) == 0, capsys.readouterr().err
    assert 'ffv1 yuva420p, alpha kept' in capsys.readouterr().out
    info, got = video_alphas(out)
    assert info.num_frames == 11
    for k in range(11):
        np.testing.assert_array_equal(got[k], alphas[2 + k], err_msg=f'video frame {k}')


def _phone_clip(path, frames):
    """A 3-frame H.264 .mp4 whose video track header holds a -90 degree display matrix
    (as a phone writes portrait video), made by patching the track header."""
    import struct
    path = video.write_video(path, frames[0][:3], 25,
                             video.EncoderSettings('libx264', 'yuv420p', 16))
    data = bytearray(path.read_bytes())
    tkhd = data.find(b'tkhd') - 4  # version 0 box: matrix 40 bytes after its header
    assert data[tkhd + 8] == 0
    matrix = tkhd + 8 + 4 + 20 + 8 + 8
    assert struct.unpack('>9i', data[matrix:matrix + 36])[0] == 65536  # identity
    data[matrix:matrix + 36] = struct.pack('>9i', 0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30)
    path.write_bytes(bytes(data))
    return path


def test_rotation_is_read_kept_in_quicktime_and_said_dropped_elsewhere(tmp_path, frames):
    """FFmpeg 7 reads a display matrix as side data (no 'rotate' tag any more): a
    phone clip's rotation is found; a .mp4/.mov OUTPUT keeps it (the matrix copied into
    its track header), other containers say it is dropped."""
    path = _phone_clip(tmp_path / 'phone.mp4', frames)
    info = video.probe_source(path)
    assert info.display_matrix is not None
    for out in ('o.mp4', 'o.mov'):
        settings = video.choose_encoder(info, output=str(tmp_path / out))
        assert video.dropped_properties(info, settings, str(tmp_path / out)) == []
        assert 'rotation kept' in video.kept_properties(info, settings, str(tmp_path / out))
    settings = video.choose_encoder(info, output=str(tmp_path / 'o.mkv'))
    dropped = video.dropped_properties(info, settings, str(tmp_path / 'o.mkv'))
    assert len(dropped) == 1 and dropped[0].startswith('rotation -90 degrees'), dropped


def test_restored_phone_clip_keeps_its_rotation(tmp_path, frames, cli, capsys):
    """End to end: the restored .mp4 and .mov carry the source's display matrix, and
    FFmpeg reads the same -90 degrees back from them."""
    path = _phone_clip(tmp_path / 'phone.mp4', frames)
    source = video.probe_source(path).display_matrix
    for name in ('restored.mp4', 'restored.mov'):
        out = tmp_path / name
        assert cli.main([str(path), str(out), *TINY]) == 0, capsys.readouterr().err
        assert 'rotation kept' in capsys.readouterr().out
        info = video.probe_source(out)
        assert info.display_matrix == source and info.num_frames == 3
        # FFmpeg's own reading of the output's rotation (said dropped for an .mkv)
        settings = video.choose_encoder(info, output=str(tmp_path / 'x.mkv'))
        dropped = video.dropped_properties(info, settings, str(tmp_path / 'x.mkv'))
        assert [d for d in dropped if d.startswith('rotation -90 degrees')], dropped
