"""mmrestore: an MMagic 1.x plugin restoring grainy low-light video at its own resolution.

``import mmrestore`` is light (no torch, no mmagic): the video package
(:mod:`mmrestore.video`) and the errors (:mod:`mmrestore.errors`) work on their own, so
command lines check their arguments in well under a second. ``import mmrestore.registry``
registers our models, transforms, metrics and datasets into ``mmagic.registry`` (and lets
MMEngine read full checkpoints under torch >= 2.6); configs reach them with
``custom_imports = dict(imports=['mmrestore.registry'], allow_failed_imports=False)``.
That import also makes MMEngine's checkpoint loading refuse weights that do not fill our
models (:mod:`mmrestore.utils.checkpoint`). Known third-party deprecation warnings are
silenced on import (:mod:`mmrestore.utils.quiet`), before MMagic's imports emit them.
"""
import importlib

from .errors import MMRestoreError
from .utils.quiet import silence_third_party_warnings
from .version import __version__

silence_third_party_warnings()

_SUBPACKAGES = ('apis', 'datasets', 'engine', 'evaluation', 'models', 'registry', 'utils',
                'video', 'visualization')


def __getattr__(name):  # PEP 562: `mmrestore.apis` without importing it up front
    if name in _SUBPACKAGES:
        return importlib.import_module(f'{__name__}.{name}')
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


__all__ = ['MMRestoreError', '__version__']
