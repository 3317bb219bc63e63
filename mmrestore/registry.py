"""MMagic's registries with every mmrestore module registered in them.

Importing this module (directly, or through a config's ``custom_imports``) registers our
generators, losses, transforms, datasets, metrics and engine parts into
``mmagic.registry``, and lets MMEngine's ``load_from``/``--resume`` read full checkpoints
under torch >= 2.6 (:func:`~mmrestore.utils.patch_mmengine_torch_load`) and refuse
weights that do not fill our models (:func:`~mmrestore.utils.patch_mmengine_strict_loading`),
and MMagicInferencer refuse to run them with no weights (:func:`~mmrestore.utils.patch_mmagic_inferencer`).
"""
from mmagic.registry import DATASETS, HOOKS, METRICS, MODELS, TRANSFORMS

from .utils.checkpoint import (patch_mmagic_inferencer, patch_mmengine_strict_loading,
                               patch_mmengine_torch_load)

patch_mmengine_torch_load()
patch_mmengine_strict_loading()
patch_mmagic_inferencer()

from . import datasets, engine, evaluation, models  # noqa: E402,F401  (registration)

__all__ = ['DATASETS', 'HOOKS', 'METRICS', 'MODELS', 'TRANSFORMS']
