"""mmrestore: an MMagic 1.x plugin restoring grainy low-light video at its own resolution.

``import mmrestore`` registers its models, transforms and metrics into
``mmagic.registry``; configs reach them with
``custom_imports = dict(imports=['mmrestore'], allow_failed_imports=False)``.
"""
from .utils import patch_mmengine_torch_load
from .version import __version__

patch_mmengine_torch_load()

from . import apis, datasets, engine, evaluation, models  # noqa: E402,F401  (registration)

__all__ = ['__version__']
