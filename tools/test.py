"""Test (and evaluate) a checkpoint with a config, with MMagic's `tools/test.py` interface.

    python tools/test.py configs/2lev_1res_wS_gan.py work_dirs/2lev_1res_wS_gan/iter_2000.pth
        [--out metrics.json] [--work-dir DIR] [--cfg-options k=v ...] [--launcher ...]
"""
import argparse
import os
import os.path as osp
import sys
import warnings

import mmengine
from mmengine.config import Config, DictAction
from mmengine.hooks import Hook
from mmengine.runner import Runner

with warnings.catch_warnings():  # deprecation noise of mmagic's dependencies
    warnings.simplefilter('ignore', FutureWarning)
    import mmrestore.registry  # noqa: F401  (registers modules, patches MMEngine's torch.load)
from mmrestore.engine import check_files, drop_init_weights, init_cpu_distributed
from mmagic.utils import print_colored_log


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
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
    runner = Runner.from_cfg(cfg)

    print_colored_log(f'Working directory: {cfg.work_dir}')
    print_colored_log(f'Log directory: {runner._log_dir}')

    if args.out:

        class SaveMetricHook(Hook):

            def after_test_epoch(self, _, metrics=None):
                if metrics is not None:
                    mmengine.dump(metrics, args.out)

        runner.register_hook(SaveMetricHook(), 'LOWEST')

    try:
        runner.test()
    except FileNotFoundError as err:  # e.g. PI's Ma model file, built by the test loop
        print(f'error: {err}', file=sys.stderr)
        sys.exit(2)


if __name__ == '__main__':
    main()
