"""tools/score_video.py on real footage: table, JSON, figure, clear errors."""
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import REPO, bundled_clip, read_frames
from test_metric_ma import write_ma_model

from mmrestore import video
from mmrestore.visualization.comparison import MAX_PANEL, MIN_PANEL

TOOL = REPO / 'tools' / 'score_video.py'


def write_video(path, frames):
    """FFV1 video of RGB uint8 frames (t, h, w, 3) (lossless up to YUV rounding)."""
    return video.write_video(path, frames, 24, video.EncoderSettings('ffv1', 'yuv444p'))


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    """A grainy input (real frames + noise) and a 'restoration' of it (Gaussian blur)."""
    d = tmp_path_factory.mktemp('score')
    frames = read_frames(bundled_clip('bigbuckbunny.mp4'), 8, size=(208, 304), start=30)
    noisy = np.clip(frames + np.random.default_rng(0).normal(0, 12, frames.shape), 0,
                    255).astype(np.uint8)
    smooth = np.stack([cv2.GaussianBlur(f, (0, 0), 1.2) for f in noisy])
    src, out = write_video(d / 'in.mkv', noisy), write_video(d / 'out.mkv', smooth)
    return src, out, read_frames(src, 8), read_frames(out, 8)  # frames as decoded


def run(*args, env=None):
    import os
    e = dict(os.environ)
    e.pop('MMRESTORE_MA_MODEL', None)
    e.update(env or {})
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True,
                          text=True, env=e, cwd=REPO, timeout=300)


def test_scores_table_json_and_figure(videos, tmp_path):
    src, out, noisy, smooth = videos
    model = write_ma_model(tmp_path / 'model.mat')
    res = run(src, out, '--frames', 2, '--json', tmp_path / 's.json', '--figure',
              tmp_path / 'f.png', '--ma-model', model)
    assert res.returncode == 0, res.stderr
    for name in ('MSEToInput', 'NIQE', 'Ma', 'PI', 'TemporalError'):
        assert name in res.stdout
    result = json.loads((tmp_path / 's.json').read_text())
    assert result['frames'] == [0, 7] and result['ma_available']
    from mmrestore.evaluation.metrics import mse_to_input, pirm_scores
    assert result['restored']['MSEToInput'] == pytest.approx(
        np.mean([mse_to_input(smooth[i], noisy[i]) for i in (0, 7)]))
    assert result['restored']['NIQE'] == pytest.approx(
        np.mean([pirm_scores(smooth[i], with_ma=False)['NIQE'] for i in (0, 7)]))
    assert result['input']['MSEToInput'] is None
    # blurring the grain away steadies the video
    assert result['restored']['TemporalError'] < result['input']['TemporalError']
    fig = cv2.imread(str(tmp_path / 'f.png'))
    panel = min(max(304, MIN_PANEL), MAX_PANEL)  # small frames are enlarged
    assert fig.shape[1] == 2 * panel and fig.shape[0] > 3 * 208 * panel // 304


def load_tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location('score_video', TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_without_model_ma_is_reported_unavailable(videos, capsys, monkeypatch):
    src, out, *_ = videos
    monkeypatch.delenv('MMRESTORE_MA_MODEL', raising=False)
    assert load_tool().main([str(src), str(out), '--frames', '1']) == 0
    assert 'Ma and PI: n/a' in capsys.readouterr().out


def test_unreadable_video_is_one_line_on_stderr(videos, tmp_path):
    src, out, *_ = videos
    bad = tmp_path / 'bad.mp4'
    bad.write_text('not a video')
    res = run(src, bad, '--figure', tmp_path / 'f.png', '--json', tmp_path / 's.json')
    assert res.returncode != 0
    assert res.stderr.strip().splitlines() == [res.stderr.strip()], res.stderr
    assert res.stderr.startswith('score_video.py: error:') and 'Traceback' not in res.stderr
    assert not (tmp_path / 'f.png').exists() and not (tmp_path / 's.json').exists()


@pytest.mark.parametrize('case', ['missing', 'size', 'figure_ext', 'frames'])
def test_bad_arguments_exit_with_a_message_and_write_nothing(videos, tmp_path, capsys, case):
    src, out, noisy, _ = videos
    fig, extra = tmp_path / 'f.png', []
    if case == 'missing':
        args = [tmp_path / 'absent.mp4', out]
    elif case == 'size':
        args = [src, write_video(tmp_path / 'small.mkv', noisy[:, :200, :296])]
    elif case == 'figure_ext':
        args, fig = [src, out], tmp_path / 'f.gif'
    else:
        args, extra = [src, out], ['--frames', '0']
    try:
        code = load_tool().main([*map(str, args), '--figure', str(fig), '--json',
                                 str(tmp_path / 's.json'), *extra])
    except SystemExit as exc:  # argparse-level checks
        code = exc.code
    assert code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('score_video.py: error:'), lines
    assert not fig.exists() and not (tmp_path / 's.json').exists()


def test_small_clip_skips_niqe_and_reports_the_rest(tmp_path, capsys, monkeypatch):
    """A 144x176 clip (too small for NIQE's two 96x96 blocks after the border crop):
    NIQE/PI are n/a with a note, MSE to input and the temporal error are still scored."""
    monkeypatch.delenv('MMRESTORE_MA_MODEL', raising=False)
    frames = read_frames(bundled_clip('carphone_pristine.mp4'), 4)
    assert frames.shape[1:3] == (144, 176)
    noisy = np.clip(frames + np.random.default_rng(1).normal(0, 10, frames.shape), 0,
                    255).astype(np.uint8)
    src = write_video(tmp_path / 'in.mkv', noisy)
    out = write_video(tmp_path / 'out.mkv',
                      np.stack([cv2.GaussianBlur(f, (0, 0), 1.0) for f in noisy]))
    assert load_tool().main([str(src), str(out), '--frames', '2', '--json',
                             str(tmp_path / 's.json')]) == 0
    printed = capsys.readouterr().out
    assert 'NIQE and PI: skipped (frames 176x144' in printed
    result = json.loads((tmp_path / 's.json').read_text())
    assert result['restored']['NIQE'] is None and result['input']['NIQE'] is None
    assert result['restored']['PI'] is None
    assert result['restored']['MSEToInput'] > 1  # blurred: measurably changed
    assert result['restored']['TemporalError'] is not None


@pytest.mark.parametrize('flag', ['--json', '--figure'])
def test_unwritable_outputs_are_refused_before_scoring(videos, tmp_path, capsys, flag):
    src, out, _, _ = videos
    target = '/sys/scores.json' if flag == '--json' else '/sys/figure.png'  # no new files
    with pytest.raises(SystemExit) as exc:
        load_tool().main([str(src), str(out), flag, target])
    assert exc.value.code == 2
    lines = capsys.readouterr()
    assert lines.out == ''  # refused before the table
    assert lines.err.strip().startswith(f'score_video.py: error: {flag} {target}')


def test_damaged_restored_video_is_named(videos, tmp_path, capsys):
    src, _, _, _ = videos
    bad = tmp_path / 'bad.mkv'
    bad.write_bytes(b'\x1aE\xdf\xa3' + b'\x00' * 200)  # a Matroska header, then nothing
    assert load_tool().main([str(src), str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(bad) in err[0] and str(src) not in err[0], err
