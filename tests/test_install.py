"""A non-editable ``pip install .`` gives working console commands, ``python -m
mmrestore`` and ``mim train mmrestore CONFIG``, with the default model as package data.

The wheel is built from this checkout and installed into a fresh virtual environment
whose only link to the pinned stack is a ``.pth`` line naming the project venv's
site-packages (no torch/mmagic re-install). Every command runs from a folder outside the
checkout, so nothing can come from the source tree.
"""
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

from restore_clips import make_clip
from test_training import data_root, tiny_options  # noqa: F401  (data_root: a fixture)


def _run(cmd, cwd, timeout=600):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    for key in ('PYTHONPATH', 'VIRTUAL_ENV', 'PYTHON'):
        env.pop(key, None)
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _ok(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """(venv folder, its python, its site-packages, the wheel, a folder outside REPO)."""
    root = tmp_path_factory.mktemp('install')
    wheels = root / 'wheels'
    _ok(_run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
              '--no-build-isolation', '-w', wheels, REPO], cwd=root))
    wheel = next(wheels.glob('mmrestore-*.whl'))
    venv = root / 'venv'
    _ok(_run([sys.executable, '-m', 'venv', venv], cwd=root))
    python = venv / 'bin' / 'python'
    site = Path(_ok(_run([python, '-c', 'import sysconfig; print(sysconfig.get_paths()'
                          '["purelib"])'], cwd=root)).strip())
    (site / '_pinned_stack.pth').write_text(sysconfig.get_paths()['purelib'] + '\n')
    _ok(_run([python, '-m', 'pip', 'install', '-q', '--no-deps', '--no-index', wheel],
             cwd=root))
    work = root / 'elsewhere'
    work.mkdir()
    return venv, python, site, wheel, work


def test_wheel_carries_the_model_the_commands_and_mims_folders(installed):
    venv, python, site, wheel, work = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ('mmrestore/model_zoo/default_lite.pth',
                 'mmrestore/model_zoo/default_lite.py',
                 'mmrestore/.mim/tools/train.py', 'mmrestore/.mim/tools/test.py',
                 'mmrestore/.mim/configs/2lev_1res_wS.py',
                 'mmrestore/.mim/configs/_base_/'):
        assert name in names or any(n.startswith(name) for n in names), name
    # the imported package is the installed copy, not the checkout
    where = _ok(_run([python, '-c', 'import mmrestore, mmrestore.model_zoo as z; '
                      'print(mmrestore.__file__); print(z.DEFAULT_CHECKPOINT)'], cwd=work))
    assert all(line.startswith(str(site)) for line in where.split()), where
    for command in ('mmrestore-restore', 'mmrestore-score', 'mmrestore-prepare-dataset'):
        assert (venv / 'bin' / command).is_file(), command
    assert _ok(_run([python, '-m', 'mmrestore', '--version'], cwd=work)).startswith(
        'mmrestore ')
    bad = _run([python, '-m', 'mmrestore', 'restor'], cwd=work)
    assert bad.returncode == 2 and 'unknown command' in bad.stderr
    # argument errors in one line, with the console command's name
    bad = _run([venv / 'bin' / 'mmrestore-restore', 'missing.mp4', 'out.mp4'], cwd=work)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        'mmrestore-restore: error: input not found: missing.mp4'], bad.stderr


@pytest.mark.slow
def test_console_commands_restore_and_score_with_the_packaged_model(installed):
    venv, python, site, wheel, work = installed
    clip = work / 'clip.mp4'
    make_clip(clip, frames=8, size=(64, 96))
    out = _ok(_run([venv / 'bin' / 'mmrestore-restore', clip, 'restored.mp4', '--report',
                    'run.json'], cwd=work))
    report = json.loads((work / 'run.json').read_text())
    assert report['status'] == 'done' and report['frames'] == 8, report
    model_line = next(line for line in out.splitlines() if line.startswith('model :'))
    assert f'{site}/mmrestore/model_zoo/default_lite.pth' in model_line, model_line
    assert 'RANDOM WEIGHTS' not in out
    _ok(_run([python, '-m', 'mmrestore', 'score', clip, 'restored.mp4', '--frames', '2',
              '--json', 'scores.json'], cwd=work))
    scores = json.loads((work / 'scores.json').read_text())
    assert scores['restored']['MSEToInput'] > 0 and scores['num_frames'] == {'input': 8, 'restored': 8}, scores


@pytest.mark.slow
def test_mim_train_finds_the_installed_tools_and_configs(installed,
                                                        data_root):  # noqa: F811
    """``mim train mmrestore 2lev_1res_wS.py``, as an OpenMMLab user types it: mim finds
    the config by name in the installed package and runs its tools/train.py."""
    venv, python, site, wheel, work = installed
    out = _ok(_run([python, '-c', 'from mim.cli import cli; cli()', 'train', 'mmrestore',
                    '2lev_1res_wS.py', '--work-dir', work / 'mim_run', '--cfg-options',
                    *tiny_options(data_root, 2)], cwd=work))
    assert f'{site}/mmrestore/.mim/tools/train.py' in out, out[-2000:]
    assert (work / 'mim_run' / 'iter_2.pth').is_file()
    assert 'Training finished successfully' in out
