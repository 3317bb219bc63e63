"""tools/restore_video.py: bad input gives one line on stderr, non-zero exit, no OUTPUT."""
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO
from restore_clips import TINY_UNET, decode, load_cli, make_clip

from mmrestore import video

CLI = REPO / 'tools' / 'restore_video.py'
TINY = ['--cfg-options', *TINY_UNET, '--device', 'cpu', '-Q', '10', '-K', '1', '-L', '6',
        '--progress', 'log']


@pytest.fixture(scope='module')
def cli():
    return load_cli()


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp('clip') / 'bunny.mp4'
    make_clip(path, 'bigbuckbunny.mp4', frames=8, size=(64, 112))
    return path


def one_line_error(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith('restore_video.py: error: ') and 'Traceback' not in err[0]
    return err[0]


def empty_video(path):
    video.VideoWriter(path, 25, size=(64, 64)).close()  # a video stream, no frame
    return path


@pytest.mark.parametrize('case', [
    'missing', 'not_video', 'zero_frames', 'unwritable', 'no_parent', 'same_as_input',
    'exists', 'L_vs_K', 'Q_vs_K', 'crf_for_folder', 'fps_for_video', 'crf_for_ffv1',
    'unknown_codec', 'fp16_cpu', 'unknown_container', 'missing_checkpoint',
    'missing_config'])
def test_bad_input(cli, clip, tmp_path, capsys, case):
    out = tmp_path / 'out.mp4'
    extra = []
    src = str(clip)
    if case == 'missing':
        src = str(tmp_path / 'nope.mp4')
    elif case == 'not_video':
        src = tmp_path / 'notes.mp4'
        src.write_text('this is not a video\n')
    elif case == 'zero_frames':
        src = empty_video(tmp_path / 'empty.mp4')
    elif case == 'unwritable':
        out = '/sys/out.mp4'  # sysfs: no new files, even for root
    elif case == 'no_parent':
        out = tmp_path / 'no' / 'such' / 'out.mp4'
    elif case == 'same_as_input':
        out = clip
    elif case == 'exists':
        out.write_bytes(b'keep me')
    elif case == 'L_vs_K':
        extra = ['-L', '4', '-K', '2']
    elif case == 'Q_vs_K':
        extra = ['-Q', '4', '-K', '2']
    elif case == 'crf_for_folder':
        out, extra = tmp_path / 'frames', ['--crf', '18']
    elif case == 'fps_for_video':
        extra = ['--fps', '30']
    elif case == 'crf_for_ffv1':
        out, extra = tmp_path / 'out.mkv', ['--codec', 'ffv1', '--crf', '10']
    elif case == 'unknown_codec':
        extra = ['--codec', 'no-such-encoder']
    elif case == 'fp16_cpu':
        extra = ['--dtype', 'fp16']
    elif case == 'unknown_container':
        out = tmp_path / 'out.xyz'
    elif case == 'missing_checkpoint':
        extra = ['--checkpoint', str(tmp_path / 'none.pth')]
    elif case == 'missing_config':
        extra = ['--config', str(tmp_path / 'none.py')]
    before = out.read_bytes() if case == 'exists' else None
    code = cli.main([str(src), str(out), *TINY, *extra])
    msg = one_line_error(capsys)
    assert code != 0, msg
    if case == 'zero_frames':
        assert 'has no video' in msg, msg  # a track without frames
    if case == 'exists':
        assert out.read_bytes() == before and '--overwrite' in msg
    elif case != 'same_as_input':
        assert not __import__('os').path.exists(out)
    assert not list(tmp_path.glob('.*restore-*'))  # no work folder left either


def test_subprocess_one_line_and_exit_code(tmp_path):
    """The real CLI process: exit code 2, one stderr line, nothing at OUTPUT."""
    out = tmp_path / 'out.mp4'
    res = subprocess.run([sys.executable, str(CLI), str(tmp_path / 'missing.mov'),
                          str(out)], capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        f'restore_video.py: error: input not found: {tmp_path / "missing.mov"}']
    assert not out.exists()


def test_overwrite_replaces_and_prints_plan(cli, clip, tmp_path, capsys):
    out = tmp_path / 'out.mp4'
    out.write_bytes(b'old')
    assert cli.main([str(clip), str(out), *TINY, '--overwrite']) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0].startswith('input : video')
    assert 'RANDOM WEIGHTS' in captured.err
    assert 'done: 8 frames' in captured.out
    frames, _ = decode(out)
    assert frames.shape == (8, 64, 112, 3)
    # an empty existing folder is fine as a frame-folder OUTPUT
    folder = tmp_path / 'frames'
    folder.mkdir()
    assert cli.main([str(clip), str(folder), *TINY]) == 0
    frames = sorted(p.name for p in folder.iterdir() if not p.name.startswith('.'))
    assert frames[0] == '00000000.png' and len(frames) == 8
    assert (folder / '.mmrestore-output.json').is_file()  # what --overwrite may replace
    np.testing.assert_equal(len(list(tmp_path.glob('.*'))), 0)


def test_cli_main_restores_the_logger(cli, tmp_path):
    """main() is callable in-process and leaves the restorer's logger as it found it."""
    import logging
    log = logging.getLogger('mmrestore.restore')
    before = log.handlers[:], log.propagate, log.level
    assert cli.main([str(tmp_path / 'missing.mp4'), str(tmp_path / 'o.mp4')]) == 2
    assert (log.handlers[:], log.propagate, log.level) == before


def _modules_after_cli(*args):
    """Run the CLI in a fresh interpreter; (exit code, stderr, heavy modules loaded)."""
    code = ('import runpy, sys\n'
            f'sys.argv = ["restore_video.py", *{[str(a) for a in args]!r}]\n'
            'try:\n'
            f'    runpy.run_path({str(CLI)!r}, run_name="__main__")\n'
            'except SystemExit as exc:\n'
            '    heavy = [m for m in ("torch", "mmagic", "mmengine.runner") if m in sys.modules]\n'
            '    print(" ".join(heavy) or "none")\n'
            '    raise\n')
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=120)
    return res.returncode, res.stderr.strip().splitlines(), res.stdout.strip()


def test_argument_errors_answer_before_torch_and_mmagic_load(clip, tmp_path):
    code, err, heavy = _modules_after_cli(clip, tmp_path / 'o.mp4', '-L', '8', '-K', '4')
    assert code == 2 and len(err) == 1 and 'must exceed 2 x --overlap' in err[0]
    assert heavy == 'none'


@pytest.mark.parametrize('extra, words', [
    (['--crf', '-5'], 'takes 0 (lossless) to 51'), (['--crf', '99'], 'to 51'),
    (['--preset', 'warpspeed'], 'choose from ultrafast'),
    (['--codec', 'aac'], 'audio encoder'), (['--codec', 'png'], 'cannot encode png'),
    (['--cfg-options', 'foo'], 'expected KEY=VALUE'),
    (['--fps', '-25'], 'finite number > 0'), (['--fps', 'nan'], 'finite number > 0'),
    (['--fps', '0'], 'finite number > 0')])
def test_values_that_cannot_work_are_refused_before_any_restoring(cli, clip, tmp_path,
                                                                 capsys, extra, words):
    out = tmp_path / 'out.mp4'
    assert cli.main([str(clip), str(out), *TINY, *extra]) == 2
    msg = one_line_error(capsys)
    assert words in msg, msg
    assert list(tmp_path.iterdir()) == []  # no OUTPUT, no work folder, no trial file


@pytest.mark.parametrize('ext, codec', [('.webm', 'vp9'), ('.avi', 'ffv1'), ('.mov', 'h264')])
def test_every_output_container_has_a_working_default(cli, tmp_path, capsys, ext, codec):
    src = tmp_path / 'silent.mp4'  # WebM cannot carry the clip's AAC audio (see below)
    make_clip(src, 'bigbuckbunny.mp4', frames=6, size=(64, 112), audio=False)
    out = tmp_path / f'out{ext}'
    assert cli.main([str(src), str(out), *TINY]) == 0, capsys.readouterr().err
    assert video.list_streams(out)[0]['codec'] == codec
    assert video.probe_source(out).num_frames == 6


def test_audio_the_container_cannot_carry_is_refused_up_front(cli, clip, tmp_path, capsys):
    out = tmp_path / 'out.webm'
    assert cli.main([str(clip), str(out), *TINY]) == 2
    assert "with the source's audio" in one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []


def test_damaged_input_is_concealed_with_a_warning_or_refused_with_strict(cli, tmp_path,
                                                                         capsys):
    src = tmp_path / 'c.mp4'
    make_clip(src, 'bikes.mp4', frames=20, size=(64, 112), audio=False)
    data = bytearray(src.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 600] = np.random.default_rng(0).integers(0, 256, 600, np.uint8).tobytes()
    bad = tmp_path / 'damaged.mp4'
    bad.write_bytes(bytes(data))
    out = tmp_path / 'out.mp4'
    assert cli.main([str(bad), str(out), *TINY]) == 0
    warning = [line for line in capsys.readouterr().err.splitlines() if 'damaged' in line]
    assert len(warning) == 1 and 'repeat the frame before them' in warning[0], warning
    assert video.probe_source(out).num_frames == video.probe_source(bad).num_frames
    assert cli.main([str(bad), str(tmp_path / 'strict.mp4'), *TINY, '--strict']) == 2
    err = capsys.readouterr().err.strip().splitlines()  # the error follows the plan
    assert err[-1].startswith('restore_video.py: error: ') and '--strict' in err[-1], err
    assert not (tmp_path / 'strict.mp4').exists()


def test_size_change_mid_stream_is_one_line(cli, tmp_path, capsys):
    frames = video.read_frames(video.bundled_clip('bikes.mp4'), 0, 6)
    import cv2
    parts = []
    for k, size in enumerate(((64, 112), (48, 80))):  # MPEG-TS files concatenate as bytes
        part = tmp_path / f'p{k}.ts'
        video.write_video(part, [cv2.resize(f, size[::-1]) for f in frames[3 * k:3 * k + 3]])
        parts.append(part.read_bytes())
    src = tmp_path / 'joined.ts'
    src.write_bytes(b''.join(parts))
    out = tmp_path / 'out.mp4'
    assert cli.main([str(src), str(out), *TINY]) == 2
    msg = one_line_error(capsys)
    assert 'size changes mid-stream' in msg and 'to 80x48' in msg, msg
    assert not out.exists()


def test_readme_python_api_example_runs_and_reports(tmp_path, monkeypatch):
    """The README's Python API example, on a small clip with the default model."""
    readme = (REPO / 'README.md').read_text()
    section = readme[readme.index('## Python API'):readme.index('## Default model')]
    code = section.split('```python\n')[1].split('```')[0]
    make_clip(tmp_path / 'rush.mp4', 'bikes.mp4', frames=6, size=(64, 112), start=210)
    monkeypatch.chdir(tmp_path)
    calls = []
    code = code.replace("device='auto'", "device='cpu'").replace(
        'progress=True', 'progress=lambda *a: calls.append(a)')
    scope = {'calls': calls}
    exec(compile(code, 'README.md', 'exec'), scope)
    summary = scope['summary']
    assert summary['frames'] == 6 and summary['restored'] == 6
    assert summary['noise']['level'] > 0 and summary['model']['random_weights'] is False
    assert [c[0] for c in calls] == list(range(1, 7)) and all(c[1] == 6 for c in calls)
    assert video.probe_source(tmp_path / 'rush_restored.mp4').num_frames == 6


def test_report_json(cli, clip, tmp_path):
    import json
    out, report = tmp_path / 'out.mp4', tmp_path / 'run.json'
    assert cli.main([str(clip), str(out), *TINY, '--report', str(report)]) == 0
    data = json.loads(report.read_text())
    assert data['status'] == 'done' and data['frames'] == data['source']['frames'] == 8
    assert data['settings']['max_seq_len'] == 6 and data['encoder']['codec'] == 'libx264'
    assert any('RANDOM WEIGHTS' in w for w in data['warnings'])
    assert data['seconds'] > 0 and data['fps'] > 0
    bad = tmp_path / 'bad.json'
    assert cli.main([str(tmp_path / 'none.mp4'), str(tmp_path / 'o2.mp4'), *TINY,
                     '--report', str(bad)]) == 2
    assert json.loads(bad.read_text())['status'] == 'error'


@pytest.mark.parametrize('kind', ['rgba_png', 'yuva_video', 'interlaced'])
def test_what_the_output_cannot_carry_is_said(cli, tmp_path, capsys, kind):
    import cv2
    frames = video.read_frames(video.bundled_clip('bikes.mp4'), 0, 4)
    frames = [cv2.resize(f, (112, 64)) for f in frames]
    if kind == 'rgba_png':
        src = tmp_path / 'frames'
        src.mkdir()
        for i, f in enumerate(frames):
            rgba = np.dstack([f[..., ::-1], np.full(f.shape[:2], 200, np.uint8)])
            cv2.imwrite(str(src / f'{i:04d}.png'), rgba)
        words = 'alpha channel'
    elif kind == 'yuva_video':
        src = video.write_video(tmp_path / 'a.mkv', frames, 25,
                                video.EncoderSettings('ffv1', 'yuva420p'))
        words = 'alpha channel of yuva420p'
    else:
        src = video.write_video(tmp_path / 'i.mp4', frames, 25, video.EncoderSettings(
            'libx264', 'yuv420p', 16, options={'flags': '+ildct+ilme'}))
        words = 'interlacing'
    out = tmp_path / 'out.mkv'
    assert cli.main([str(src), str(out), *TINY]) == 0
    dropped = [line for line in capsys.readouterr().err.splitlines() if 'dropped:' in line]
    assert len(dropped) == 1 and words in dropped[0], dropped


def test_a_pipe_as_input_is_refused_not_waited_on(cli, tmp_path, capsys):
    import os
    fifo = tmp_path / 'in.mp4'
    os.mkfifo(fifo)
    assert cli.main([str(fifo), str(tmp_path / 'out.mp4'), *TINY]) == 2
    assert 'is a pipe' in one_line_error(capsys)


def test_frames_too_large_for_the_ram_are_refused_up_front(cli, tmp_path, capsys):
    import cv2
    folder = tmp_path / 'huge'
    folder.mkdir()
    for i in range(2):  # 8000x8000: 192 MB a frame decoded, a few KB as PNG
        cv2.imwrite(str(folder / f'{i}.png'), np.zeros((8000, 8000, 3), np.uint8))
    out = tmp_path / 'out.mp4'
    assert cli.main([str(folder), str(out), '--device', 'cpu', '-Q', '100', '-L', '30']) == 2
    msg = one_line_error(capsys)
    assert '8000x8000 frames' in msg and 'GiB of RAM is available' in msg, msg
    assert not out.exists()
