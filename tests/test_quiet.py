"""A quiet console: no third-party deprecation warnings from our imports, and MMEngine's
start-up dump in the log file only."""
import logging
import subprocess
import sys

import pytest
from conftest import REPO

from mmrestore.utils.quiet import quiet_console


@pytest.mark.parametrize('argv', [['-c', 'import mmrestore.registry, mmcv.ops'],
                                  ['tools/export_generator.py', '--help'],
                                  ['tools/train.py', '--help']])
def test_no_warnings_printed(argv):
    """With every warning shown once (-W default), ours print none."""
    proc = subprocess.run([sys.executable, '-W', 'default', *argv], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stderr == '', proc.stderr


def test_only_listed_third_party_warnings_are_silenced():
    code = ('import warnings, mmrestore\n'
            'for module in ("diffusers.models.x", "mmrestore.models.y", "timm.z"):\n'
            '    warnings.warn_explicit(f"from {module}", FutureWarning, "f.py", 1,\n'
            '                           module=module)\n')
    proc = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert 'from diffusers' not in proc.stderr
    assert 'from mmrestore' in proc.stderr and 'from timm' in proc.stderr


def test_console_drops_the_dump_file_keeps_it(tmp_path):
    logger = logging.getLogger('mmrestore.test_quiet')
    logger.propagate = False
    console = logging.StreamHandler(open(tmp_path / 'console.txt', 'w'))
    file = logging.FileHandler(tmp_path / 'run.log')
    logger.handlers[:] = [console, file]
    quiet_console(quiet_console(logger))  # idempotent
    assert len(console.filters) == 1 and not file.filters
    records = ('Config:\nmodel = dict()', 'paramwise_options -- generator.x:lr=1e-5',
               'Hooks will be executed in the following order:\nbefore_run:',
               'default_lite is not a meta file, simply parsed as meta information',
               'Iter(train) [1/6]  eta: 0:00:01  loss_pix: 0.0668')
    for msg in records:
        logger.warning(msg)
    for handler in logger.handlers:
        handler.close()
    assert (tmp_path / 'console.txt').read_text() == \
        'Iter(train) [1/6]  eta: 0:00:01  loss_pix: 0.0668\n'
    assert (tmp_path / 'run.log').read_text() == ''.join(f'{m}\n' for m in records)
