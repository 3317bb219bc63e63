"""Test (and evaluate) a checkpoint with a config, with MMagic's `tools/test.py` interface.

    python tools/test.py configs/2lev_1res_wS_gan.py work_dirs/2lev_1res_wS_gan/iter_2000.pth
        [--out metrics.json] [--work-dir DIR] [--cfg-options k=v ...] [--launcher ...]

CHECKPOINT: a runner checkpoint (iter_N.pth), an EMA one or a bare generator state dict
(tools/export_generator.py); one that does not fill the generator is an error, unless
--random-init is given (then CHECKPOINT may be omitted).
"""
import argparse
import contextlib
import logging
import os
import os.path as osp
import sys

import mmengine
from mmengine.config import Config, DictAction
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmrestore.registry  # noqa: F401  (registers modules, makes MMEngine's loading strict)
from mmrestore.engine import (QuietRunner, check_files, drop_init_weights,
                              init_cpu_distributed)
from mmrestore.models.weights import WeightsMismatchError
from mmrestore.utils import allow_partial_weights
from mmagic.utils import print_colored_log


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', nargs='?',
                        help='checkpoint file (runner, EMA or bare generator state dict)')
    parser.add_argument(
        '--random-init',
        action='store_true',
        help='allow a checkpoint that fills only part of the model, or none: the rest '
        'keeps its random initialisation (for smoke tests; the metrics are meaningless)')
    parser.add_argument(
        '--verbose',
        action='store_true',
        help='also print the environment, config and hooks (always in the log file)')
    parser.add_argument('--out', help='the file to save metric results.')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
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
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if args.checkpoint is None and not args.random_init:
        parser.error('the checkpoint is required (or --random-init: random weights)')
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_config(args):
    """The config of ``args``, checked: raises FileNotFoundError on bad input."""
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    # work_dir is determined in this priority: CLI > segment in file > filename
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    cfg.load_from = args.checkpoint
    drop_init_weights(cfg)  # the checkpoint holds all the weights
    check_files(cfg, dataloaders=('test_dataloader', ))
    return cfg


def main():
    args = parse_args()
    try:
        cfg = build_config(args)
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        sys.exit(2)

    init_cpu_distributed(cfg, args.launcher)  # gloo when there is no CUDA
    runner = (Runner if args.verbose else QuietRunner).from_cfg(cfg)

    print_colored_log(f'Working directory: {cfg.work_dir}')
    print_colored_log(f'Log directory: {runner._log_dir}' + (
        '' if args.verbose else ' (environment, config, hooks: in its .log)'))
    if args.checkpoint is None:
        print_colored_log('RANDOM WEIGHTS (--random-init, no checkpoint): the metrics '
                          'say nothing about a trained model', level=logging.WARNING)

    if args.out:

        class SaveMetricHook(Hook):

            def after_test_epoch(self, _, metrics=None):
                if metrics is not None:
                    mmengine.dump(metrics, args.out)

        runner.register_hook(SaveMetricHook(), 'LOWEST')

    partial = allow_partial_weights() if args.random_init else contextlib.nullcontext()
    try:
        with partial:
            runner.test()
    except FileNotFoundError as err:  # e.g. PI's Ma model file, built by the test loop
        print(f'error: {err}', file=sys.stderr)
        sys.exit(2)
    except WeightsMismatchError as err:
        print(f'error: checkpoint {args.checkpoint} does not fit the model of '
              f'{args.config}: {err}; --random-init loads what fits, the rest random',
              file=sys.stderr)
        sys.exit(2)


if __name__ == '__main__':
    main()
