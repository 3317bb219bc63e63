"""Build a restoration generator from a config and fill it from a checkpoint, once."""
import logging
import os.path as osp

import torch
from mmengine.config import Config

from mmrestore.errors import ModelLoadError
from mmrestore.model_zoo import DEFAULT_CHECKPOINT, DEFAULT_CONFIG

# Without --config, --checkpoint and --cfg-options: the shipped default model (package data,
# mmrestore/model_zoo; docs/default_model.md). With --checkpoint or --cfg-options but no
# --config (the shipped weights would not fit a changed network): the thesis's final
# generator (2lev_1res_wS) at its own widths, stated in the same config, filled by the
# checkpoint or else random (said loudly).
DEFAULT_GENERATOR = Config.fromfile(DEFAULT_CONFIG).thesis_generator.to_dict()




def resolve_config_path(config):
    """'mmagic::basicvsr/x.py' -> the file in the installed package's .mim/configs."""
    if '::' not in str(config):
        return str(config)
    package, rel = str(config).split('::', 1)
    try:
        from mmengine.utils import get_installed_path
        root = get_installed_path(package)
    except Exception:
        return config
    return osp.join(root, '.mim', 'configs', rel)


def generator_config(config=None, cfg_options=None):
    """The generator's config dict from an MMagic config file (or the default model).

    ``config`` may be a training config (its ``model.generator`` is used), a config
    whose ``model`` is a generator itself, or ``mmagic::...`` for MMagic's own configs.
    Pretrained-weight URLs (``*_pretrained='https://...'``, ``init_cfg`` Pretrained) are
    dropped: nothing is downloaded, weights come from ``--checkpoint``.

    Returns:
        tuple[dict, list[str]]: the generator config and notes about dropped URLs.
    """
    if config is None:
        cfg = Config(dict(model=DEFAULT_GENERATOR))
    else:
        path = resolve_config_path(config)
        if not osp.isfile(path):
            raise ModelLoadError(f'config not found: {config}')
        try:
            cfg = Config.fromfile(path)
        except Exception as exc:  # syntax errors, missing _base_, ...
            raise ModelLoadError(f'cannot read config {config}: '
                                 f'{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}'
                                 ) from None
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model = cfg.get('model')
    if not isinstance(model, dict) or 'type' not in model:
        raise ModelLoadError(f'config {config} has no `model` with a `type`')
    gen = model.get('generator', model)
    gen = gen.to_dict() if hasattr(gen, 'to_dict') else dict(gen)
    notes = []
    for key, value in list(gen.items()):
        if key.endswith('pretrained') and isinstance(value, str) and '://' in value:
            gen[key] = None
            notes.append(f'{key} URL ignored')
    init_cfg = gen.get('init_cfg')
    if isinstance(init_cfg, dict) and '://' in str(init_cfg.get('checkpoint', '')):
        gen.pop('init_cfg')
        notes.append('init_cfg URL ignored')
    return gen, notes


def load_generator(config=None, checkpoint=None, device='cpu', cfg_options=None):
    """Build the generator and load its weights, for inference.

    Args:
        config (str, optional): config file (see :func:`generator_config`).
            Default: ``DEFAULT_CONFIG`` with ``DEFAULT_CHECKPOINT`` when neither
            ``checkpoint`` nor ``cfg_options`` is given, else the built-in generator.
        checkpoint (str, optional): MMagic runner checkpoint (``generator_ema.`` tensors
            preferred over ``generator.``) or a bare state dict; every generator tensor
            must be filled. Default: see ``config``; else random weights.
        device (str | torch.device): where the model goes. Default: 'cpu'.
        cfg_options (dict, optional): overrides merged into the config.

    Returns:
        tuple[nn.Module, dict]: the model in eval mode and ``dict(name, random_weights,
        message)`` describing it.
    """
    import mmrestore.registry  # noqa: F401  (registers our generators)
    from mmagic.registry import MODELS
    from mmagic.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    is_default = (config is None and checkpoint is None and not cfg_options
                  and osp.isfile(DEFAULT_CONFIG) and osp.isfile(DEFAULT_CHECKPOINT))
    if is_default:
        config, checkpoint = DEFAULT_CONFIG, DEFAULT_CHECKPOINT
    gen_cfg, notes = generator_config(config, cfg_options)
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise ModelLoadError(f'checkpoint not found: {checkpoint}')
        # the checkpoint fills every tensor: training-time initialisations are not needed
        for key in [k for k, v in gen_cfg.items() if _is_init_key(k) and v]:
            gen_cfg[key] = None
            notes.append(f'{key} not needed with --checkpoint')
    # Fixed seed: untrained weights are the same in every process and every (resumed) run
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = _build(MODELS, gen_cfg)
    model, info = _fill(model, gen_cfg, notes, config, checkpoint, device)
    info.update(config=config, checkpoint=checkpoint)
    if is_default:
        info['message'] = ('default model (no --config/--checkpoint given): '
                           + info['message'])
    return model, info


def _is_init_key(key):
    """Generator arguments naming training-time initial weights."""
    return key.endswith('pretrained') or key == 'init_from'


def _build(registry, gen_cfg):
    """Build from the registry and run its init_weights quietly."""
    try:
        model = registry.build(gen_cfg)
    except Exception as exc:
        raise ModelLoadError(f'cannot build {gen_cfg.get("type")}: {exc}') from None
    if hasattr(model, 'init_weights'):
        # MMEngine logs every parameter's init at INFO on the current logger: quiet it
        from mmengine.logging import MMLogger
        current = MMLogger.get_current_instance()
        level = current.level
        current.setLevel(logging.ERROR)
        try:
            model.init_weights()
        finally:
            current.setLevel(level)
    return model


def _fill(model, gen_cfg, notes, config, checkpoint, device):
    """Load the checkpoint (strict), move to ``device``, describe the model."""
    from mmrestore.models import load_generator_weights
    from mmrestore.utils import load_checkpoint_file
    random_weights = checkpoint is None and not any(
        v for k, v in gen_cfg.items() if _is_init_key(k))
    if checkpoint is not None:
        try:
            ckpt = load_checkpoint_file(checkpoint)
        except Exception as exc:
            raise ModelLoadError(f'cannot read checkpoint {checkpoint}: {exc}') from None
        try:
            report = load_generator_weights(model, ckpt, strict=True, logger='silent')
        except (RuntimeError, TypeError) as exc:
            raise ModelLoadError(f'checkpoint {checkpoint} does not fit '
                                 f'{gen_cfg["type"]}: {exc}') from None
        weights = f'{checkpoint} ({report["prefix"] or "bare state dict"})'
    else:
        weights = 'RANDOM WEIGHTS' if random_weights else 'weights from the config'
    model.eval().requires_grad_(False).to(device)
    name = gen_cfg['type']
    params = sum(p.numel() for p in model.parameters())
    message = (f'{name} from {config or "built-in default"} ({params / 1e6:.2f} M params), '
               f'{weights}' + (f'; {", ".join(notes)}' if notes else ''))
    return model, dict(name=name, random_weights=random_weights, message=message)


def describe_device(device):
    """'cuda:0 (NVIDIA H100)' / 'cpu'."""
    device = torch.device(device)
    if device.type == 'cuda':
        return f'{device} ({torch.cuda.get_device_name(device)})'
    return str(device)
