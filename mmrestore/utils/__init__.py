"""Small helpers. Names resolve on first use, so ``mmrestore.utils.quiet`` (run by the
light ``import mmrestore``) does not load torch."""
import importlib

_NAMES = {
    'allow_partial_weights': 'checkpoint', 'load_checkpoint_file': 'checkpoint',
    'patch_mmengine_strict_loading': 'checkpoint', 'patch_mmengine_torch_load': 'checkpoint',
    'patch_mmagic_inferencer': 'checkpoint',
    'silence_third_party_warnings': 'quiet', 'quiet_console': 'quiet',
}
__all__ = list(_NAMES)


def __getattr__(name):  # PEP 562
    if name in _NAMES:
        return getattr(importlib.import_module(f'{__name__}.{_NAMES[name]}'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
