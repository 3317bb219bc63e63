"""mmrestore: same-size restoration of grainy low-light video, an MMagic 1.x plugin."""
import re
from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
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
    zip_safe=False,
)
