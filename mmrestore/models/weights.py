"""Load generator weights from MMagic checkpoints (ours or released RealBasicVSR ones)."""
import os.path as osp

import torch
from mmengine.logging import print_log

from mmrestore.utils import load_checkpoint_file

# Prefixes of generator tensors in an MMagic editor checkpoint, most preferred first.
_PREFIXES = ('generator_ema.', 'generator.')


def check_weights_path(path, what='checkpoint'):
    """Raise a clear ``FileNotFoundError`` if ``path`` is not a file."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{what} not found: {path!r} (weights are user-supplied files; nothing is '
            'downloaded)')
    return path


def extract_generator_state(ckpt, prefer_ema=True):
    """Generator tensors of a checkpoint, without the ``generator(_ema).`` prefix.

    Args:
        ckpt (dict): a runner checkpoint (``{'state_dict': ..., 'meta': ...}``), an
            editor ``state_dict`` with ``generator.``/``generator_ema.`` prefixes, or a
            bare generator state dict.
        prefer_ema (bool): take ``generator_ema.`` tensors when present. Default: True.

    Returns:
        tuple[dict, str]: the state dict and the prefix it came from ('' if bare).
    """
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
    if not isinstance(state, dict):
        raise TypeError(f'not a state dict: {type(state).__name__}')
    prefixes = _PREFIXES if prefer_ema else _PREFIXES[::-1]
    for prefix in prefixes:
        sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        if sub:
            return sub, prefix
    return dict(state), ''


def load_generator_weights(model, checkpoint, prefer_ema=True, strict=False, keep=(),
                           logger='current'):
    """Copy the matching tensors of ``checkpoint`` into ``model`` and report.

    Tensors are matched by name and shape, so a released RealBasicVSR checkpoint fills
    ``basicvsr.*`` of :class:`UNetRealBasicVSRNet` and its ``image_cleaning.*`` tensors
    are skipped, while the U-net cleaning module keeps its fresh initialisation.

    Args:
        model (nn.Module): the generator.
        checkpoint (str | dict): path, or an already loaded checkpoint.
        prefer_ema (bool): prefer ``generator_ema.`` tensors. Default: True.
        strict (bool): raise unless every model tensor is filled and none is skipped.
        keep (tuple[str]): prefixes of model tensors left as they are (e.g. weights
            loaded from a file that takes precedence). Default: ().
        logger: MMEngine logger for the one-line report. Default: 'current'.

    Returns:
        dict: ``loaded`` (names), ``skipped`` (checkpoint names not used, with reason),
        ``missing`` (model names left as they were, other than ``keep``), ``prefix`` and
        ``message``.
    """
    source = checkpoint if isinstance(checkpoint, str) else '<state dict>'
    if isinstance(checkpoint, str):
        checkpoint = load_checkpoint_file(check_weights_path(checkpoint))
    state, prefix = extract_generator_state(checkpoint, prefer_ema)
    own = model.state_dict()
    loaded, skipped = {}, {}
    for name, tensor in state.items():
        if name not in own:
            skipped[name] = 'not in model'
        elif name.startswith(keep):
            skipped[name] = 'kept'
        elif own[name].shape != tensor.shape:
            skipped[name] = f'shape {tuple(tensor.shape)} != {tuple(own[name].shape)}'
        else:
            loaded[name] = tensor
    missing = [k for k in own if k not in loaded and not k.startswith(keep)]
    if not loaded:
        raise RuntimeError(f'no tensor of {source} matches the model '
                           f'{type(model).__name__}; is it the right checkpoint?')
    if strict and (missing or skipped):
        raise RuntimeError(f'{source}: {len(missing)} model tensors missing '
                           f'({_groups(missing)}), {len(skipped)} unexpected '
                           f'({_groups(skipped)})')
    with torch.no_grad():
        for name, tensor in loaded.items():
            own[name].copy_(tensor)
    message = (f'Loaded {len(loaded)}/{len(own)} tensors from {source}'
               f"{f' ({prefix}*)' if prefix else ''}; skipped {len(skipped)}"
               f'{f" ({_groups(skipped)})" if skipped else ""}; kept initialisation of '
               f'{len(missing)}{f" ({_groups(missing)})" if missing else ""}')
    print_log(message, logger)
    return dict(loaded=list(loaded), skipped=skipped, missing=missing, prefix=prefix,
                message=message)


def _groups(names):
    """Summarise tensor names by their first component: 'image_cleaning.* x42'."""
    counts = {}
    for name in names:
        head = name.split('.')[0]
        counts[head] = counts.get(head, 0) + 1
    return ', '.join(f'{head}.* x{n}' for head, n in counts.items())
