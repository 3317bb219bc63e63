"""mmrestore: an MMagic 1.x plugin restoring grainy low-light video at its own resolution.

``import mmrestore`` registers its models, transforms and metrics into
``mmagic.registry``; configs reach them with
``custom_imports = dict(imports=['mmrestore'], allow_failed_imports=False)``.
It also makes MMEngine's checkpoint loading read full checkpoints and refuse weights
that do not fill our models (:mod:`mmrestore.utils.checkpoint`), and silences known
third-party deprecation warnings (:mod:`mmrestore.utils.quiet`).
"""
from .utils.quiet import silence_third_party_warnings

silence_third_party_warnings()  # before MMagic's imports emit them

from .utils import patch_mmengine_strict_loading, patch_mmengine_torch_load  # noqa: E402
from .version import __version__  # noqa: E402

patch_mmengine_torch_load()
patch_mmengine_strict_loading()

from . import apis, datasets, engine, evaluation, models  # noqa: E402,F401  (registration)

__all__ = ['__version__']
