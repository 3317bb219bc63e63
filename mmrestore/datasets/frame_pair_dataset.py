"""Consecutive real frames, shrunk and cropped: self-supervised optical-flow training."""
import glob
import math
import os.path as osp

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from mmagic.registry import DATASETS


@DATASETS.register_module()
class FramePairDataset(Dataset):
    """Pairs ``(ref, supp)`` of consecutive frames of the sequences of ``data_root``.

    Each item draws a sequence folder (e.g. one scene written by
    ``tools/prepare_dataset.py``, so no pair spans a scene cut), a frame ``i`` and its
    successor, shrinks both by one factor drawn log-uniformly in ``shrink`` (area
    interpolation; lowered so that the shorter side stays >= ``crop_size``), crops the
    same random square from both, flips/transposes both alike and swaps them with
    probability 1/2 (both directions of motion). Real motion, occlusions and lighting,
    no ground truth: the loss is photometric (:class:`SPyNetFlowEstimator`).

    Args:
        data_root (str): Folder of sequence folders of PNG/JPEG frames (sorted names).
        crop_size (int): Side of the returned images; a multiple of 32 avoids SPyNet's
            internal resize. Default: 64.
        shrink (tuple[float]): Range of the shrink factor. Default: (1, 8).
        exclude (dict, optional): ``{folder name: (start, stop)}``: frames ``[start,
            stop)`` of that folder are not used (e.g. a validation window).
        length (int): Items per epoch (they are random). Default: 100000.
    """

    def __init__(self, data_root, crop_size=64, shrink=(1., 8.), exclude=None,
                 length=100_000):
        exclude = dict(exclude or {})
        self.pairs = []
        folders = sorted(d for d in glob.glob(osp.join(data_root, '*')) if osp.isdir(d))
        for folder in folders:
            files = sorted(f for f in glob.glob(osp.join(folder, '*'))
                           if f.lower().endswith(('.png', '.jpg', '.jpeg')))
            start, stop = exclude.pop(osp.basename(folder), (0, 0))
            self.pairs += [(files[i], files[i + 1]) for i in range(len(files) - 1)
                           if not (i + 1 >= start and i < stop)]
        if exclude:
            raise ValueError(f'exclude names folders not in {data_root}: {sorted(exclude)}')
        if not self.pairs:
            raise FileNotFoundError(f'no consecutive frames (png/jpg) under {data_root!r}')
        self.crop_size = int(crop_size)
        self.shrink = (float(shrink[0]), float(shrink[1]))
        self.length = int(length)
        self.metainfo = dict(dataset_type='frame_pairs', task_name='flow')

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        """``dict(inputs=(2, 3, P, P))``: ref and supp, RGB in [0, 1]; numpy's global
        generator (seeded by the runner) draws everything."""
        names = self.pairs[np.random.randint(len(self.pairs))]
        imgs = [cv2.imread(name, cv2.IMREAD_COLOR)[..., ::-1] for name in names]
        p = self.crop_size
        h, w = imgs[0].shape[:2]
        if min(h, w) < p:
            raise ValueError(f'{names[0]}: frames must be >= {p} pixels, got {w}x{h}')
        lo, hi = self.shrink
        factor = math.exp(np.random.uniform(math.log(lo), math.log(hi)))
        factor = max(1., min(factor, min(h, w) / p))
        if factor > 1:
            size = (max(p, round(w / factor)), max(p, round(h / factor)))
            imgs = [cv2.resize(img, size, interpolation=cv2.INTER_AREA) for img in imgs]
        y = np.random.randint(imgs[0].shape[0] - p + 1)
        x = np.random.randint(imgs[0].shape[1] - p + 1)
        pair = torch.from_numpy(np.stack([img[y:y + p, x:x + p] for img in imgs]))
        pair = pair.permute(0, 3, 1, 2).float() / 255.  # (2, 3, P, P)
        if np.random.uniform() < 0.5:
            pair = pair.flip(-1)
        if np.random.uniform() < 0.5:
            pair = pair.flip(-2)
        if np.random.uniform() < 0.5:
            pair = pair.transpose(-1, -2)
        if np.random.uniform() < 0.5:
            pair = pair.flip(0)
        return dict(inputs=pair.contiguous())
