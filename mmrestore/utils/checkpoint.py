"""Make MMEngine 0.10.7 checkpoints load under torch >= 2.6.

torch 2.6 switched ``torch.load`` to ``weights_only=True`` by default. MMEngine 0.10.7 calls
``torch.load(f, map_location=...)`` for ``load_from``/``--resume`` on checkpoints whose
``meta`` holds numpy scalars, ``HistoryBuffer`` objects and a pickled config, which the
restricted unpickler refuses. Checkpoints are the user's own files, so we restore the
pre-2.6 behaviour *only for MMEngine's checkpoint loaders* (not globally), by wrapping
``torch.load`` as seen from ``mmengine.runner.checkpoint``.
"""
import functools

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
