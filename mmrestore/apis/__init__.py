"""Inference APIs: stream-restore long videos and frame folders (mmrestore-restore).

Names are imported on first use, so ``mmrestore.apis.settings`` (every check that needs
no model) loads without torch.
"""
import importlib

_NAMES = {
    'DEFAULT_CHECKPOINT': 'model_loader', 'DEFAULT_CONFIG': 'model_loader',
    'load_generator': 'model_loader', 'Progress': 'progress',
    'RestoreSettings': 'settings', 'preflight': 'settings', 'VideoRestorer': 'restorer',
    'restore_video': 'restorer', 'SequenceRunner': 'sequence_runner',
    'render_preview': 'preview',
}
__all__ = ['ModelLoadError', 'RestoreError', *_NAMES]

from mmrestore.errors import ModelLoadError, RestoreError  # noqa: E402


def __getattr__(name):  # PEP 562
    if name in _NAMES:
        return getattr(importlib.import_module(f'{__name__}.{_NAMES[name]}'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
