"""MMEngine 0.10.7's checkpoint loading, made to work under torch >= 2.6 and strict.

Full unpickling:

torch 2.6 switched ``torch.load`` to ``weights_only=True`` by default. MMEngine 0.10.7 calls
``torch.load(f, map_location=...)`` for ``load_from``/``--resume`` on checkpoints whose
``meta`` holds numpy scalars, ``HistoryBuffer`` objects and a pickled config, which the
restricted unpickler refuses. Checkpoints are the user's own files, so we restore the
pre-2.6 behaviour *only for MMEngine's checkpoint loaders* (not globally), by wrapping
``torch.load`` as seen from ``mmengine.runner.checkpoint``.

Strict weights: MMEngine loads with ``strict=False`` (``load_from``, ``tools/test.py``,
``MMagicInferencer``, ``init_cfg`` Pretrained), so a checkpoint whose keys do not match
leaves the model randomly initialised with only a warning. For models built from our
modules, its ``_load_checkpoint_to_model`` maps the checkpoint onto the model
(:func:`mmrestore.models.weights.fit_state_dict`: bare, runner or EMA checkpoint, editor
or generator) and raises ``WeightsMismatchError`` when the generator is not filled,
unless inside :func:`allow_partial_weights`. Other models load as before.

No weights at all: ``MMagicInferencer`` with our config and no ``model_ckpt`` would run
the random initialisation without a word; it is refused the same way
(:func:`patch_mmagic_inferencer`), unless inside :func:`allow_partial_weights`.
"""
import contextlib
import functools
import importlib.abc
import importlib.util
import logging
import sys

import torch

def _full_load(load):

    @functools.wraps(load)
    def wrapper(*args, **kwargs):
        kwargs.setdefault('weights_only', False)
        return load(*args, **kwargs)

    return wrapper


class _TorchProxy:
    """``torch`` as seen by mmengine's checkpoint module, with a full-unpickling ``load``."""

    def __init__(self, mod):
        self._mod = mod
        self.load = _full_load(mod.load)

    def __getattr__(self, name):
        return getattr(self._mod, name)


def patch_mmengine_torch_load() -> None:
    """Idempotently let MMEngine's ``load_checkpoint``/``resume`` read full checkpoints."""
    from mmengine.runner import checkpoint as ckpt_mod
    if not isinstance(ckpt_mod.torch, _TorchProxy):
        ckpt_mod.torch = _TorchProxy(torch)


def load_checkpoint_file(path, map_location='cpu'):
    """Read a checkpoint written by an MMEngine runner (or a bare state dict)."""
    return torch.load(path, map_location=map_location, weights_only=False)


_partial = [0]  # depth of allow_partial_weights() contexts


@contextlib.contextmanager
def allow_partial_weights():
    """Within it, checkpoints may fill only part of our models (the rest stays random).

    The explicit opt-in behind ``tools/test.py --random-init``; for the Python API::

        with allow_partial_weights():
            inferencer = MMagicInferencer('real_basicvsr', model_config=..., model_ckpt=...)
    """
    _partial[0] += 1
    try:
        yield
    finally:
        _partial[0] -= 1


def _is_ours(model):
    """Whether ``model`` holds a module of this package (its loading is made strict)."""
    return any(type(m).__module__.startswith('mmrestore.') for m in model.modules())


def _strict_to_model(load):

    @functools.wraps(load)
    def wrapper(model, checkpoint, strict=False, logger=None,
                revise_keys=[(r'^module\.', '')]):  # noqa: B006  (MMEngine's signature)
        from mmengine.logging import print_log
        from mmengine.model import is_model_wrapper
        if is_model_wrapper(model):
            model = model.module
        if not _is_ours(model):
            return load(model, checkpoint, strict, logger, revise_keys)

        from mmrestore.models.weights import fit_state_dict
        state, report = fit_state_dict(model, checkpoint, partial=_partial[0] > 0,
                                       revise_keys=revise_keys)
        load(model, {'state_dict': state}, strict, logger, revise_keys=[])
        print_log(report['message'], logger or 'current',
                  logging.WARNING if report['problems'] else logging.INFO)
        return checkpoint

    wrapper.mmrestore_strict = True
    return wrapper


def patch_mmengine_strict_loading() -> None:
    """Idempotently make MMEngine's checkpoint loading strict for our models."""
    from mmengine.runner import checkpoint as ckpt_mod
    from mmengine.runner import runner as runner_mod
    for mod in (ckpt_mod, runner_mod):  # runner.py imported the function by name
        if not getattr(mod._load_checkpoint_to_model, 'mmrestore_strict', False):
            mod._load_checkpoint_to_model = _strict_to_model(mod._load_checkpoint_to_model)


INFERENCER_MODULE = 'mmagic.apis.inferencers.base_mmagic_inferencer'


def _refuse_random_init(init_model):

    @functools.wraps(init_model)
    def wrapper(self, cfg, ckpt, device):
        model = init_model(self, cfg, ckpt, device)
        if not ckpt and _is_ours(model) and _partial[0] == 0:
            from mmrestore.models.weights import WeightsMismatchError
            raise WeightsMismatchError(
                'no model_ckpt for this mmrestore model: MMagicInferencer would run '
                'random weights; pass model_ckpt=..., or build it inside '
                'mmrestore.utils.allow_partial_weights() to run an untrained model')
        return model

    wrapper.mmrestore_strict = True
    return wrapper


def _patch_inferencer_module(mod):
    cls = mod.BaseMMagicInferencer
    if not getattr(cls._init_model, 'mmrestore_strict', False):
        cls._init_model = _refuse_random_init(cls._init_model)


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches MMagic's inferencer base when (and only if) it is imported: importing it
    here would cost every training start a second."""

    def find_spec(self, name, path, target=None):
        if name != INFERENCER_MODULE:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            _patch_inferencer_module(module)

        spec.loader.exec_module = exec_and_patch
        return spec


def patch_mmagic_inferencer() -> None:
    """Idempotently make ``MMagicInferencer`` refuse to run our models without weights."""
    if INFERENCER_MODULE in sys.modules:
        _patch_inferencer_module(sys.modules[INFERENCER_MODULE])
    elif not any(isinstance(f, _PatchOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())
