"""Train a model from a config, with MMagic's `tools/train.py` interface.

    python tools/train.py configs/2lev_1res_wS.py [--work-dir DIR] [--resume [CKPT]]
        [--amp] [--auto-scale-lr] [--cfg-options k=v ...] [--launcher pytorch|slurm]
        [--random-init] [--verbose]

The console shows iterations, losses, ETA and checkpoints; the environment, the full
config and the hook order are in the log file (also printed with --verbose).
"""
import argparse
import contextlib
import logging
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.runner import Runner, find_latest_checkpoint

import mmrestore.registry  # noqa: F401  (registers modules, makes MMEngine's loading strict)
from mmrestore.engine import QuietRunner, check_files, init_cpu_distributed
from mmrestore.models.weights import WeightsMismatchError
from mmrestore.utils import allow_partial_weights
from mmagic.utils import print_colored_log


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        help='resume training: from CKPT if given, else from the latest checkpoint '
        'of the work dir (starting afresh from load_from when there is none)')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='enable automatically scaling LR.')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--random-init',
        action='store_true',
        help='allow a load_from checkpoint that fills only part of the generator: the '
        'rest keeps its initialisation (else an error)')
    parser.add_argument(
        '--verbose',
        action='store_true',
        help='also print the environment, config and hooks (always in the log file)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def enable_amp(cfg):
    """Switch every OptimWrapper of the config to AmpOptimWrapper (as MMagic)."""
    wrappers = ([cfg.optim_wrapper] if 'type' in cfg.optim_wrapper else
                [v for v in cfg.optim_wrapper.values() if isinstance(v, dict)])
    for wrapper in wrappers:
        if wrapper.get('type') == 'AmpOptimWrapper':
            print_colored_log('AMP training is already enabled in your config.',
                              logger='current', level=logging.WARNING)
            continue
        if wrapper.get('type') != 'OptimWrapper':
            raise ValueError('--amp needs OptimWrapper optimizer wrappers, got '
                             f'{wrapper.get("type")}')
        wrapper['type'] = 'AmpOptimWrapper'
        wrapper['loss_scale'] = 'dynamic'


def build_config(args):
    """The config of ``args``, checked: raises FileNotFoundError/ValueError on bad input."""
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    # work_dir is determined in this priority: CLI > segment in file > filename
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        enable_amp(cfg)
    if args.auto_scale_lr:
        if not cfg.get('auto_scale_lr', {}).get('base_batch_size'):
            raise ValueError('--auto-scale-lr needs auto_scale_lr.base_batch_size in '
                             'the config')
        cfg.auto_scale_lr.enable = True

    if args.resume == 'auto':
        latest = find_latest_checkpoint(cfg.work_dir)
        if latest:
            cfg.load_from, cfg.resume = latest, True
        else:
            print_colored_log(f'No checkpoint in {cfg.work_dir} to resume from; '
                              'starting from load_from.')
    elif args.resume:
        cfg.load_from, cfg.resume = args.resume, True

    # missing weights, checkpoint or data are reported before anything is built
    check_files(cfg)
    return cfg


def main():
    args = parse_args()
    try:
        cfg = build_config(args)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        sys.exit(2)

    init_cpu_distributed(cfg, args.launcher)  # gloo when there is no CUDA
    runner = (Runner if args.verbose else QuietRunner).from_cfg(cfg)

    print_colored_log(f'Working directory: {cfg.work_dir}')
    print_colored_log(f'Log directory: {runner._log_dir}' + (
        '' if args.verbose else ' (environment, config, hooks: in its .log)'))

    partial = allow_partial_weights() if args.random_init else contextlib.nullcontext()
    try:
        with partial:
            runner.train()
    except WeightsMismatchError as err:
        print(f'error: load_from {cfg.load_from} does not fit the model of '
              f'{args.config}: {err}; --random-init keeps the rest as initialised',
              file=sys.stderr)
        sys.exit(2)

    print_colored_log(f'Log saved under {runner._log_dir}')
    print_colored_log(f'Checkpoint saved under {cfg.work_dir}')


if __name__ == '__main__':
    main()
