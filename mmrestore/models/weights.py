"""Load generator weights from MMagic checkpoints (ours or released RealBasicVSR ones).

One path maps any of the three checkpoint shapes onto the model being loaded:

* a bare generator state dict (``tools/export_generator.py``, ``checkpoints/*.pth``);
* a runner checkpoint, ``{'state_dict': {'generator.*', 'generator_ema.*', ...}, ...}``
  (or that ``state_dict`` alone);
* an EMA checkpoint: only ``generator_ema.*`` tensors, or MMEngine's ``EMAHook`` layout
  (averaged weights in ``state_dict``, the raw ones in ``ema_state_dict``, ignored).

The model is a generator or an editor (``generator``/``generator_ema`` children, filled
from the checkpoint's own or, lacking them, each other's or the bare tensors).
:func:`fit_state_dict` refuses, in one line, weights that leave a generator tensor
unfilled unless partial loading is asked for.
"""
import os.path as osp
import re
from collections import OrderedDict

import torch
from mmengine.logging import print_log
from mmengine.runner.checkpoint import get_state_dict
from torch import nn

from mmrestore.errors import ModelLoadError
from mmrestore.utils import load_checkpoint_file

# Prefixes of generator tensors in an MMagic editor checkpoint, most preferred first.
_PREFIXES = ('generator_ema.', 'generator.')


class WeightsMismatchError(ModelLoadError, RuntimeError):
    """The checkpoint does not fill the model's generator (a one-line message)."""


def check_weights_path(path, what='checkpoint'):
    """Raise a clear ``FileNotFoundError`` if ``path`` is not a file."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{what} not found: {path!r} (weights are user-supplied files; nothing is '
            'downloaded)')
    return path


def checkpoint_state(ckpt, revise_keys=((r'^module\.', ''), )):
    """The tensors of a checkpoint of any shape, and a name for that shape.

    Returns:
        tuple[dict, str]: the state dict (``revise_keys`` applied) and 'runner
        checkpoint', 'editor state dict' or 'bare state dict'.
    """
    if not isinstance(ckpt, dict):
        raise TypeError(f'not a state dict: {type(ckpt).__name__}')
    runner = isinstance(ckpt.get('state_dict'), dict)
    state = ckpt['state_dict'] if runner else ckpt
    for pattern, repl in revise_keys:
        state = {re.sub(pattern, repl, k): v for k, v in state.items()}
    if runner:
        kind = 'runner checkpoint'
    elif any(k.startswith(_PREFIXES) for k in state):
        kind = 'editor state dict'
    else:
        kind = 'bare state dict'
    return state, kind


def extract_generator_state(ckpt, prefer_ema=True):
    """Generator tensors of a checkpoint, without the ``generator(_ema).`` prefix.

    Args:
        ckpt (dict): a checkpoint of any shape (see the module docstring).
        prefer_ema (bool): take ``generator_ema.`` tensors when present. Default: True.

    Returns:
        tuple[dict, str]: the state dict and the prefix it came from ('' if bare).
    """
    state, _ = checkpoint_state(ckpt, revise_keys=())
    return _generator_tensors(state, _PREFIXES if prefer_ema else _PREFIXES[::-1])


def _generator_tensors(state, prefixes):
    """Tensors under the first of ``prefixes`` present, unprefixed; else all of them."""
    for prefix in prefixes:
        sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        if sub:
            return sub, prefix
    return dict(state), ''


def _generator_heads(model):
    """Where generator tensors go: the editor's generator(_ema) children, or the model."""
    heads = [n for n in ('generator', 'generator_ema')
             if isinstance(getattr(model, n, None), nn.Module)]
    return heads or ['']


def fit_state_dict(model, checkpoint, partial=False, prefer_ema=True,
                   revise_keys=((r'^module\.', ''), )):
    """Map a checkpoint of any shape onto ``model`` and check that it fills it.

    Every generator tensor of ``model`` (all of them for a generator; ``generator.*``
    and ``generator_ema.*`` for an editor) must be in the checkpoint, with its shape,
    and the checkpoint must hold no generator tensor the model lacks. An editor's other
    parts (discriminator, losses) are taken when present and otherwise kept as they are.

    Args:
        model (nn.Module): a generator or an MMagic editor.
        checkpoint (dict): a loaded checkpoint (see the module docstring).
        partial (bool): load what fits and keep the initialisation of the rest instead
            of raising. Default: False.
        prefer_ema (bool): for a generator, take ``generator_ema.*`` over
            ``generator.*``. Default: True.
        revise_keys (tuple): ``(pattern, replacement)`` applied to the keys first.

    Returns:
        tuple[dict, dict]: a state dict with exactly the keys of ``model`` (its own
        tensors where not loaded) and a report: ``layout``, ``prefix``, ``loaded``,
        ``missing`` (generator keys not filled), ``unexpected``, ``mismatched`` (key:
        reason), ``kept`` (other parts absent from the checkpoint), ``ignored``
        (other parts the model lacks), ``problems`` ('' when the generator is filled)
        and ``message`` (one line).

    Raises:
        WeightsMismatchError: unless ``partial``, when the generator is not filled.
    """
    state, kind = checkpoint_state(checkpoint, revise_keys)
    own = get_state_dict(model)  # names without the DDP wrappers of distributed editors
    heads = _generator_heads(model)
    mapped, sources = {}, []
    for head in heads:
        if head:  # an editor's generator(_ema): its own tensors, else the other's
            order = (f'{head}.', ) + tuple(p for p in _PREFIXES if p != f'{head}.')
        else:
            order = _PREFIXES if prefer_ema else _PREFIXES[::-1]
        sub, prefix = _generator_tensors(state, order)
        sources.append((head, prefix))
        mapped.update({f'{head}.{k}' if head else k: v for k, v in sub.items()})
    generator_keys = tuple(f'{h}.' for h in heads if h)
    required = [k for k in own if not generator_keys or k.startswith(generator_keys)]
    ignored = []  # the editor's other parts that do not fit: not needed to restore
    if generator_keys and kind != 'bare state dict':
        for key, value in state.items():
            if not key.startswith(_PREFIXES):
                if key in own and value.shape == own[key].shape:
                    mapped[key] = value
                else:
                    ignored.append(key)
    mismatched = {k: f'{tuple(v.shape)} != {tuple(own[k].shape)} in the model'
                  for k, v in mapped.items() if k in own and v.shape != own[k].shape}
    loaded = [k for k in mapped if k in own and k not in mismatched]
    report = dict(
        layout=kind, prefix=next((p for _, p in sources if p), ''), loaded=loaded,
        missing=[k for k in required
                 if k not in mapped and not k.endswith('num_batches_tracked')],
        unexpected=[k for k in mapped if k not in own], mismatched=mismatched,
        kept=[k for k in own if k not in mapped and k not in required],
        ignored=ignored)
    what = 'generator tensors' if generator_keys else 'tensors'
    report['problems'] = problems = _problems(report, len(required), what)
    if not report['prefix']:
        origin = f' (-> {", ".join(heads)})' if generator_keys else ''
    else:
        origin = ' ({})'.format(', '.join(
            f'{p}* -> {h}' if h else f'{p}*' for h, p in sources))
    report['layout'] = layout = kind + origin
    if problems and not partial:
        raise WeightsMismatchError(f'{layout}: {problems}')
    report['message'] = (
        f'Loaded {len(loaded)}/{len(own)} tensors of {type(model).__name__} from a '
        f'{layout}' + (f'; PARTIAL, the rest keeps its initialisation: {problems}'
                       if problems else '')
        + (f'; not in the checkpoint, kept: {_groups(report["kept"])}'
           if report['kept'] else '')
        + (f'; ignored: {_groups(ignored)}' if ignored else ''))
    fitted = OrderedDict((k, mapped[k] if k in loaded else v) for k, v in own.items())
    fitted._metadata = own._metadata  # as MMEngine expects
    return fitted, report


def _problems(report, n_required, what):
    """'3 of 154 {what} missing (e.g. cleaning.a.weight; cleaning.* x3), ...'."""
    parts = []
    for problem, names in (('missing', report['missing']),
                           ('unexpected', report['unexpected']),
                           ('of another shape', list(report['mismatched']))):
        if names:
            example = names[0] + (f' {report["mismatched"][names[0]]}'
                                  if names[0] in report['mismatched'] else '')
            count = f'{len(names)} of {n_required}' if problem == 'missing' else len(names)
            parts.append(f'{count} {what} {problem} (e.g. {example}; {_groups(names)})')
    return ', '.join(parts)


def load_generator_weights(model, checkpoint, prefer_ema=True, strict=False, keep=(),
                           logger='current'):
    """Copy the matching tensors of ``checkpoint`` into the generator ``model``, report.

    Tensors are matched by name and shape (:func:`fit_state_dict`), so a released
    RealBasicVSR checkpoint fills ``basicvsr.*`` of :class:`UNetRealBasicVSRNet` and its
    ``image_cleaning.*`` tensors are skipped, while the U-net cleaning module keeps its
    fresh initialisation.

    Args:
        model (nn.Module): the generator.
        checkpoint (str | dict): path, or an already loaded checkpoint.
        prefer_ema (bool): prefer ``generator_ema.`` tensors. Default: True.
        strict (bool): raise :class:`WeightsMismatchError` unless every model tensor is
            filled and none is skipped. Default: False.
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
    state, report = fit_state_dict(model, checkpoint, partial=not strict or bool(keep),
                                   prefer_ema=prefer_ema)
    if strict and keep:  # what is kept need not be in the checkpoint
        unfilled = [k for k in report['missing'] if not k.startswith(keep)]
        if unfilled or report['unexpected'] or report['mismatched']:
            raise WeightsMismatchError(f'{report["layout"]}: {report["problems"]}')
    own = model.state_dict()
    for name in state:
        if name.startswith(keep):  # left as it is (e.g. weights from a file that wins)
            state[name] = own[name]
    report['loaded'] = [k for k in report['loaded'] if not k.startswith(keep)]
    if not report['loaded']:
        raise RuntimeError(f'no tensor of {source} matches the model '
                           f'{type(model).__name__}; is it the right checkpoint?')
    model.load_state_dict(state)
    skipped = dict.fromkeys(report['unexpected'], 'not in model')
    skipped.update({k: f'shape {v}' for k, v in report['mismatched'].items()})
    missing = [k for k in state if k not in report['loaded'] and not k.startswith(keep)]
    prefix = report['prefix']
    message = (f'Loaded {len(report["loaded"])}/{len(state)} tensors from {source}'
               f"{f' ({prefix}*)' if prefix else ''}; skipped {len(skipped)}"
               f'{f" ({_groups(skipped)})" if skipped else ""}; kept initialisation of '
               f'{len(missing)}{f" ({_groups(missing)})" if missing else ""}')
    print_log(message, logger)
    return dict(loaded=report['loaded'], skipped=skipped, missing=missing, prefix=prefix,
                message=message)


def _groups(names):
    """Summarise tensor names by module: 'image_cleaning.* x42, generator.cleaning.* x3'."""
    counts = {}
    for name in names:
        parts = name.split('.')
        head = '.'.join(parts[:2] if parts[0] + '.' in _PREFIXES and len(parts) > 2
                        else parts[:1])
        counts[head] = counts.get(head, 0) + 1
    return ', '.join(f'{head}.* x{n}' for head, n in counts.items())
