"""Check, before a runner is built, that the user-supplied files a config names exist."""
import os
import os.path as osp

# Config keys that name weight files loaded when the model is built or initialised.
WEIGHT_KEYS = ('pretrained', 'spynet_pretrained', 'realbasicvsr_pretrained', 'init_from')
_REMOTE = ('http://', 'https://', 'torchvision://', 'open-mmlab://', 'mmcls://',
           'modelzoo://')


def _weight_files(node, path):
    """Yield ``(config key path, value)`` of every weight file named under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f'{path}.{key}' if path else str(key)
            if key in WEIGHT_KEYS and isinstance(value, str):
                yield sub, value
            else:
                yield from _weight_files(value, sub)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _weight_files(value, f'{path}.{i}')


def _data_dirs(dataloader, name):
    """Yield ``(config key path, folder)`` of the frame folders a dataloader reads."""
    dataset = (dataloader or {}).get('dataset') or {}
    if dataset.get('type') == 'ConcatDataset':
        for i, part in enumerate(dataset.get('datasets') or []):
            yield from _data_dirs(dict(dataset=part), f'{name}.dataset.datasets.{i}')
        return
    if dataset.get('type') != 'BasicFramesDataset':  # e.g. FramePairDataset
        if dataset.get('data_root') is not None:
            yield f'{name}.dataset.data_root', dataset['data_root']
        return
    root = dataset.get('data_root') or ''
    for key, prefix in (dataset.get('data_prefix') or {}).items():
        yield f'{name}.dataset.data_prefix.{key}', osp.join(root, prefix)


def missing_files(cfg, load_from=True, dataloaders=('train_dataloader', )):
    """List the problems with the files ``cfg`` needs, as readable strings.

    Args:
        cfg (Config | dict): The config, after ``--cfg-options``.
        load_from (bool): Check ``cfg.load_from`` too. Default: True.
        dataloaders (tuple[str]): Dataloaders whose frame folders must exist.
            Default: ('train_dataloader', ).

    Returns:
        list[str]: One entry per missing or remote file or folder (empty if none).
    """
    problems = []
    for key, value in _weight_files(cfg.get('model', {}), 'model'):
        if value.startswith(_REMOTE):
            problems.append(f'{key} is a URL ({value}); nothing is downloaded, give '
                            'the path of the file')
        elif not osp.isfile(value):
            problems.append(f'{key}: weights file not found: {value}')
    if load_from and cfg.get('load_from'):
        if str(cfg.load_from).startswith(_REMOTE):
            problems.append(f'load_from is a URL ({cfg.load_from}); give a local path')
        elif not osp.isfile(cfg.load_from):
            problems.append(f'load_from: checkpoint not found: {cfg.load_from}')
    for name in dataloaders:
        for key, folder in _data_dirs(cfg.get(name), name):
            if not osp.isdir(folder) or not os.listdir(folder):
                problems.append(f'{key}: no frame folders in {folder or "."}')
    return problems


def check_files(cfg, **kwargs):
    """Raise ``FileNotFoundError`` with one line naming every missing input file.

    Args:
        cfg (Config | dict): The config.
        **kwargs: See :func:`missing_files`.
    """
    problems = missing_files(cfg, **kwargs)
    if problems:
        raise FileNotFoundError('; '.join(problems))


def drop_init_weights(cfg):
    """Remove what only initialises training, before testing a trained checkpoint.

    The checkpoint holds every generator tensor, so the generator's
    ``spynet_pretrained``/``realbasicvsr_pretrained``/``init_from`` files are not needed,
    and the
    perceptual loss (with its VGG file) is not used at test time.

    Args:
        cfg (Config): The config, changed in place.
    """
    model = cfg.get('model', {})
    generator = model.get('generator', {})
    for key in ('spynet_pretrained', 'realbasicvsr_pretrained', 'init_from'):
        if key in generator:
            generator[key] = None
    if model.get('perceptual_loss') is not None:
        model['perceptual_loss'] = None
