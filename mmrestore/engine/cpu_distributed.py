"""Distributed training without CUDA: gloo process group and CPU DDP wrappers."""
import os
import shutil
import subprocess
from datetime import timedelta

import torch
import torch.distributed as dist
from mmengine.logging import print_log


def _slurm_to_torch_env():
    """Translate the SLURM task variables into torch's RANK/WORLD_SIZE/MASTER_*."""
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ['SLURM_NODELIST']
        if shutil.which('scontrol'):
            addr = subprocess.getoutput(f'scontrol show hostname {nodes} | head -n1')
        else:  # a single plain host name
            addr = nodes.split(',')[0]
        os.environ['MASTER_ADDR'] = addr
    os.environ.setdefault('MASTER_PORT', '29500')


def _mpi_to_torch_env():
    """Translate Open MPI's variables into torch's RANK/WORLD_SIZE/LOCAL_RANK."""
    os.environ['RANK'] = os.environ['OMPI_COMM_WORLD_RANK']
    os.environ['WORLD_SIZE'] = os.environ['OMPI_COMM_WORLD_SIZE']
    os.environ['LOCAL_RANK'] = os.environ['OMPI_COMM_WORLD_LOCAL_RANK']
    os.environ.setdefault('MASTER_PORT', '29500')


def init_cpu_distributed(cfg, launcher):
    """Start the process group with gloo when CUDA is absent; adapt ``cfg``.

    MMEngine's ``init_dist`` always calls ``torch.cuda.set_device`` and its runner
    gives DDP ``device_ids=[LOCAL_RANK]``; both fail without CUDA. On such a machine
    this initialises ``torch.distributed`` with the gloo backend from the launcher's
    environment (torchrun, SLURM or MPI), so the runner finds it ready, and sets
    ``model_wrapper_cfg.device_ids=None`` so DDP wraps CPU modules. With CUDA, or
    with ``launcher='none'``, it does nothing and MMEngine proceeds as usual.

    Args:
        cfg (Config): The config; ``env_cfg.dist_cfg`` and ``model_wrapper_cfg``
            are updated in place.
        launcher (str): 'none', 'pytorch', 'slurm' or 'mpi'.

    Returns:
        bool: Whether the gloo process group was started here.
    """
    if launcher == 'none' or torch.cuda.is_available() or dist.is_initialized():
        return False
    if launcher == 'slurm':
        _slurm_to_torch_env()
    elif launcher == 'mpi':
        _mpi_to_torch_env()
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    kwargs = {}
    if dist_cfg.get('timeout') is not None:
        kwargs['timeout'] = timedelta(seconds=dist_cfg['timeout'])
    dist.init_process_group(
        backend='gloo',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        **kwargs)

    print_log(f'No CUDA: gloo process group ({launcher} launcher), rank '
              f'{dist.get_rank()} of {dist.get_world_size()}', logger='current')

    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    return True
