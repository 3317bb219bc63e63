"""mmrestore: same-size restoration of grainy low-light video, an MMagic 1.x plugin."""
import re
import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

here = Path(__file__).parent


class BuildPyWithMim(build_py):
    """Also copy ``configs/`` and ``tools/`` into ``mmrestore/.mim/`` of a built (not
    editable) package: where OpenMMLab's ``mim train/test mmrestore CONFIG`` finds its
    scripts and configs, as MMagic's own wheel does."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return  # a source checkout: mim is not needed (tools/ and configs/ are here)
        for folder in ('configs', 'tools'):
            if (here / folder).is_dir():  # an sdist carries them (MANIFEST.in)
                shutil.copytree(here / folder, Path(self.build_lib, 'mmrestore', '.mim',
                                                     folder), dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))

version = re.search(r"__version__ = '([^']+)'",
                    (here / 'mmrestore' / 'version.py').read_text()).group(1)

setup(
    name='mmrestore',
    version=version,
    description='Restore grainy low-light video at its own resolution (MMagic plugin)',
    long_description=(here / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.10',
    packages=find_packages(include=['mmrestore', 'mmrestore.*']),
    include_package_data=True,
    # the shipped default model's weights (its config is a module of the package)
    package_data={'mmrestore.model_zoo': ['*.pth']},
    # The pinned stack lives in requirements/*.txt (installed by `make setup`).
    install_requires=['mmagic==1.2.0', 'mmengine==0.10.7', 'mmcv==2.1.0', 'av==13.1.0'],
    entry_points={'console_scripts': [
        'mmrestore-restore = mmrestore.commands.restore_video:main',
        'mmrestore-score = mmrestore.commands.score_video:main',
        'mmrestore-prepare-dataset = mmrestore.commands.prepare_dataset:main',
    ]},
    cmdclass={'build_py': BuildPyWithMim},
    zip_safe=False,
)
