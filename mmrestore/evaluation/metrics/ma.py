"""Ma et al.'s no-reference quality metric for super-resolved images ("Ma", a.k.a. NRQM).

Paper: Learning a No-Reference Quality Metric for Single-Image Super-Resolution
(Ma, Yang, Yang, Yang; CVIU 2017). Written from the semantics of the authors' MATLAB
release (chaoma99/sr-metric: ``feature_all.m``, ``block_dct.m``, ``global_gsm.m``,
``quality_predict.m`` and the matlabPyrTools / divisive-normalisation helpers it calls):

* f1 (18 values): local-frequency statistics of 7x7 DCT blocks (stride 3) on a 3-level
  Gaussian pyramid of the image in [0, 1] (``block_dct``);
* f2 (45 values): global statistics of a divisively normalised 2-scale, 6-orientation
  steerable pyramid of the image in [0, 255] (``global_gsm``);
* f3 (75 values): singular values of the 5x5 patch matrix of each pyramid level
  (spatial discontinuity).

Each group feeds a regression forest (``regRF_predict`` of randomforest-matlab); the
three predictions are combined linearly: ``score = [1 s1 s2 s3] @ model.linear``.
Higher is better (about 0..10). Everything is vectorised numpy/scipy in float64.
"""
import math
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft as sfft
from scipy.io import loadmat
from scipy.ndimage import correlate, correlate1d
from scipy.sparse import csr_matrix
from scipy.special import gammaln

MA_MODEL_ENV = 'MMRESTORE_MA_MODEL'
MA_MODEL_HINT = (
    "the Ma (NRQM) metric needs the authors' trained regression forests: obtain "
    "'model.mat' from github.com/chaoma99/sr-metric (or the same model re-saved as "
    "'NRQM_model.mat', e.g. by pyiqa) and pass its path (ma_model='/path/model.mat') or "
    f'set {MA_MODEL_ENV}=/path/model.mat')

# ------------------------------------------------------------------------------------------
# Generalised Gaussian shape fit (gama_gen_gauss.m): g = 0.03:0.001:10, nearest ratio
# ------------------------------------------------------------------------------------------
_GGD_SHAPES = 0.03 + 0.001 * np.arange(9971)
_GGD_RATIOS = np.exp(
    gammaln(1 / _GGD_SHAPES) + gammaln(3 / _GGD_SHAPES) - 2 * gammaln(2 / _GGD_SHAPES))
_GGD_RATIOS_ASC = _GGD_RATIOS[::-1]  # the ratio decreases strictly with the shape


def ggd_shape(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Generalised-Gaussian shape of samples along ``axis`` (MATLAB ``gama_gen_gauss``).

    The ratio var / mean(|x - mean|)^2 is matched to the closest tabulated shape
    (first index on ties, like MATLAB's ``min``); found by bisection on the monotonic table.
    """
    x = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    mean = x.mean(-1, keepdims=True)
    rho = x.var(-1, ddof=1) / (np.abs(x - mean).mean(-1)**2 + 1e-7)
    n = _GGD_RATIOS.size
    pos = np.searchsorted(_GGD_RATIOS_ASC, rho)
    hi = np.clip(pos, 0, n - 1)
    lo = np.clip(pos - 1, 0, n - 1)
    pick = np.where(
        np.abs(rho - _GGD_RATIOS_ASC[lo]) < np.abs(rho - _GGD_RATIOS_ASC[hi]), lo, hi)
    return _GGD_SHAPES[n - 1 - pick]


# ------------------------------------------------------------------------------------------
# MATLAB helpers: fspecial('gaussian'), imresize (bicubic), rgb2gray
# ------------------------------------------------------------------------------------------
def _gaussian_kernel(size: int, sigma: float) -> np.ndarray:
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-(r[:, None]**2 + r[None, :]**2) / (2 * sigma**2))
    return g / g.sum()


def _cubic(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    return ((1.5 * a**3 - 2.5 * a**2 + 1) * (a <= 1) +
            (-0.5 * a**3 + 2.5 * a**2 - 4 * a + 2) * ((a > 1) & (a <= 2)))


def _resize_matrix(in_len: int, out_len: int) -> np.ndarray:
    """(out_len, in_len) weights of MATLAB's bicubic ``imresize`` along one axis.

    Only enlargement (or identity) is needed here, so no antialiasing kernel stretch.
    Out-of-range taps fold back symmetrically, as MATLAB does.
    """
    scale = out_len / in_len
    assert scale >= 1, 'only enlargement is used by the Ma features'
    u = np.arange(1, out_len + 1) / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - 2)
    idx = left[:, None] + np.arange(6)[None, :]  # 1-based taps
    w = _cubic(u[:, None] - idx)
    w /= w.sum(1, keepdims=True)
    fold = np.concatenate([np.arange(in_len), np.arange(in_len - 1, -1, -1)])
    cols = fold[np.mod(idx.astype(np.int64) - 1, 2 * in_len)]
    return csr_matrix((w.ravel(), (np.repeat(np.arange(out_len), 6), cols.ravel())),
                      shape=(out_len, in_len))  # duplicate taps are summed


def imresize_bicubic(img: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """MATLAB ``imresize(img, size)`` (bicubic) for enlargement of a 2-D float array."""
    rows = _resize_matrix(img.shape[0], size[0])
    cols = _resize_matrix(img.shape[1], size[1])
    return np.asarray((cols @ (rows @ img).T).T)


def to_gray(img: np.ndarray) -> np.ndarray:
    """2-D image as float64 in [0, 255]; RGB goes through MATLAB's ``rgb2gray``."""
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim == 3:
        gray = img[..., :3].astype(np.float64) @ np.array([0.298936021293775,
                                                          0.587043074451121,
                                                          0.114020904255103])
        return np.round(gray) if img.dtype == np.uint8 else gray
    if img.ndim != 2:
        raise ValueError(f'expected a (h, w) or (h, w, 3) image, got shape {img.shape}')
    return img.astype(np.float64)


# ------------------------------------------------------------------------------------------
# f1: block-DCT statistics (block_dct.m)
# ------------------------------------------------------------------------------------------
def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    c = np.sqrt(2 / n) * np.cos(np.pi * (2 * np.arange(n)[None, :] + 1) * k / (2 * n))
    c[0] /= np.sqrt(2)
    return c


_DCT7 = _dct_matrix(7)
_AC = np.ones((7, 7), bool)
_AC[0, 0] = False
# oriented{1,2,3}_dct_rho_config3.m for 7x7 blocks (0-based row = vertical frequency)
_ORIENT1 = np.zeros((7, 7), bool)
for _r, _c0 in ((0, 1), (1, 2), (2, 4), (3, 5)):
    _ORIENT1[_r, _c0:] = True
_ORIENT2 = np.zeros((7, 7), bool)
for _r, _c0, _c1 in ((1, 1, 2), (2, 2, 4), (3, 2, 5), (4, 3, 7), (5, 4, 7), (6, 4, 7)):
    _ORIENT2[_r, _c0:_c1] = True
_ORIENT3 = _ORIENT1.T.copy()


def _cv(x: np.ndarray, eps: float) -> np.ndarray:
    """std(|x|) / (mean(|x|) + eps) over the last axis (MATLAB std: n - 1)."""
    a = np.abs(x)
    return a.std(-1, ddof=1) / (a.mean(-1) + eps)


def block_dct_stats(im: np.ndarray, rows_per_chunk: int = 64) -> np.ndarray:
    """Per-block statistics of ``blkproc(im, [3 3], [2 2], ...)`` (7x7 DCT windows).

    Args:
        im (np.ndarray): (h, w) float image.
        rows_per_chunk (int): Block rows processed at once (bounds memory). Default: 64.

    Returns:
        np.ndarray: (3, n_blocks): GGD shape, coefficient of variation and
        orientation variance of every block.
    """
    h, w = im.shape
    nbr, nbc = math.ceil(h / 3), math.ceil(w / 3)
    padded = np.zeros((3 * nbr + 4, 3 * nbc + 4))
    padded[2:2 + h, 2:2 + w] = im  # zero border of 2 and zero fill to a multiple of 3
    windows = sliding_window_view(padded, (7, 7))[::3, ::3]
    out = []
    for r0 in range(0, nbr, rows_per_chunk):
        blk = windows[r0:r0 + rows_per_chunk].reshape(-1, 7, 7)
        d = _DCT7 @ blk @ _DCT7.T  # dct2 of every block
        ac = d[:, _AC]
        ori = np.stack([_cv(d[:, m], 1e-8) for m in (_ORIENT1, _ORIENT2, _ORIENT3)], -1)
        out.append(np.stack([ggd_shape(ac), _cv(ac, 1e-7), ori.var(-1, ddof=1)]))
    return np.concatenate(out, axis=1)


def block_dct_features(im: np.ndarray) -> np.ndarray:
    """The 6 pooled block-DCT features of one pyramid level (``block_dct.m``)."""
    gama, cv, ori = np.sort(block_dct_stats(im), axis=1)
    n = gama.size
    first = math.ceil(n * 0.1)  # MATLAB 1:ceil(n*0.1)
    last = int(n * 0.9) - 1  # MATLAB fix(n*0.9):end, 1-based
    return np.array([gama[:first].mean(), gama.mean(), cv[last:].mean(), cv.mean(),
                     ori[last:].mean(), ori.mean()])


def spatial_pyramid(im01: np.ndarray) -> List[np.ndarray]:
    """Full, 1/2 and 1/4 scale of ``feature_all.m``: 3x3 Gaussian (sigma 0.5), keep odd pixels."""
    h = _gaussian_kernel(3, 0.5)
    levels = [im01]
    for _ in range(2):
        levels.append(correlate(levels[-1], h, mode='constant')[1::2, 1::2])
    return levels


def svd_features(im: np.ndarray) -> np.ndarray:
    """Singular values of ``im2col(im, [5 5], 'distinct')`` (zero-padded bottom/right)."""
    h, w = im.shape
    hp, wp = 5 * math.ceil(h / 5), 5 * math.ceil(w / 5)
    padded = np.zeros((hp, wp))
    padded[:h, :w] = im
    cols = padded.reshape(hp // 5, 5, wp // 5, 5).transpose(0, 2, 1, 3).reshape(-1, 25)
    return np.linalg.svd(cols, compute_uv=False)


# ------------------------------------------------------------------------------------------
# f2: steerable pyramid (matlabPyrTools buildSFpyr) + divisive normalisation + statistics
# ------------------------------------------------------------------------------------------
def _point_op(im: np.ndarray, lut: np.ndarray, origin: float, increment: float) -> np.ndarray:
    """matlabPyrTools ``pointOp``: table look-up with linear inter/extrapolation."""
    pos = (im - origin) / increment
    idx = np.clip(np.trunc(pos).astype(np.int64), 0, lut.size - 2)
    return lut[idx] + (lut[idx + 1] - lut[idx]) * (pos - idx)


def _rcos_fn(width: float = 1., position: float = -0.5) -> Tuple[np.ndarray, np.ndarray]:
    sz = 256
    x = np.pi * np.arange(-sz - 1, 2) / (2 * sz)
    y = np.cos(x)**2
    y[0] = y[1]
    y[sz + 2] = y[sz + 1]
    return position + (2 * width / np.pi) * (x + np.pi / 4), y


def steerable_pyramid(im: np.ndarray, height: int = 2,
                      nbands: int = 6) -> Tuple[np.ndarray, List[List[np.ndarray]]]:
    """Real steerable pyramid of ``buildSFpyr(im, height, nbands - 1)``.

    Returns:
        tuple: the high-pass residual (h, w) and ``bands[scale][orientation]`` (real parts);
        the final low-pass residual is not needed by Ma's features and not computed.
    """
    rows, cols = im.shape
    if height > math.floor(math.log2(min(rows, cols))) - 2:
        raise ValueError(f'image {im.shape} too small for a {height}-level steerable pyramid')
    ctr = (math.ceil((rows + 0.5) / 2), math.ceil((cols + 0.5) / 2))
    xr = (np.arange(1, cols + 1) - ctr[1]) / (cols / 2)
    yr = (np.arange(1, rows + 1) - ctr[0]) / (rows / 2)
    xramp, yramp = np.meshgrid(xr, yr)
    angle = np.arctan2(yramp, xramp)
    rad = np.sqrt(xramp**2 + yramp**2)
    rad[ctr[0] - 1, ctr[1] - 1] = rad[ctr[0] - 1, ctr[1] - 2]
    log_rad = np.log2(rad)

    xrcos, yrcos = _rcos_fn()
    yrcos = np.sqrt(yrcos)
    yircos = np.sqrt(1.0 - yrcos**2)
    inc = xrcos[1] - xrcos[0]
    imdft = sfft.fftshift(sfft.fft2(im))
    hi0 = sfft.ifft2(sfft.ifftshift(imdft * _point_op(log_rad, yrcos, xrcos[0], inc))).real
    lodft = imdft * _point_op(log_rad, yircos, xrcos[0], inc)

    lutsize = 1024
    xcosn = np.pi * np.arange(-(2 * lutsize + 1), lutsize + 2) / lutsize
    order = nbands - 1
    const = (2**(2 * order)) * (math.factorial(order)**2) / (nbands * math.factorial(2 * order))
    ycosn = np.sqrt(const) * np.cos(xcosn)**order
    rot = (-1j)**order
    bands = []
    for level in range(height):
        xrcos = xrcos - 1.0  # log2(2)
        himask = _point_op(log_rad, yrcos, xrcos[0], inc)
        level_bands = []
        for b in range(nbands):
            anglemask = _point_op(angle, ycosn, xcosn[0] + np.pi * b / nbands,
                                  xcosn[1] - xcosn[0])
            band = sfft.ifft2(sfft.ifftshift(rot * lodft * anglemask * himask))
            level_bands.append(band.real)
        bands.append(level_bands)
        if level == height - 1:
            break
        dims = np.array(lodft.shape)
        c = np.ceil((dims + 0.5) / 2).astype(int)
        lodims = np.ceil((dims - 0.5) / 2).astype(int)
        start = c - np.ceil((lodims + 0.5) / 2).astype(int)
        sl = (slice(start[0], start[0] + lodims[0]), slice(start[1], start[1] + lodims[1]))
        log_rad, angle, lodft = log_rad[sl], angle[sl], lodft[sl]
        lodft = lodft * _point_op(log_rad, np.abs(np.sqrt(1.0 - yrcos**2)), xrcos[0], inc)
    return hi0, bands


def parent_flags(nscales: int = 2, nor: int = 6) -> List[List[bool]]:
    """Which subbands ``norm_sender_normalized.m`` gives a parent.

    Its test ``nband < Nband - Nor`` counts the high-pass residual in ``Nband``, so the
    last orientation of the finest scale gets none; kept as in the original.
    """
    total = 1 + nscales * nor
    return [[(s * nor + o + 2) < total - nor for o in range(nor)] for s in range(nscales)]


def divisive_normalization(bands: Sequence[Sequence[np.ndarray]],
                           parents: Optional[Sequence[Sequence[bool]]] = None,
                           guardband: int = 16) -> List[np.ndarray]:
    """Normalised subbands of ``norm_sender_normalized(pyr, pind, Nsc, Nor, 1, 1, 3, 3, 50)``.

    Each coefficient is divided by the GSM estimate of its local energy from its 3x3
    neighbourhood, its parent (2x bicubic enlargement of the coarser band) and the other
    orientations at the same position; then the guard band is removed and the mean
    subtracted.

    Args:
        bands (list[list[np.ndarray]]): ``bands[scale][orientation]`` of the pyramid.
        parents (list[list[bool]], optional): Subbands that use their parent; default
            :func:`parent_flags` (the MATLAB rule).
        guardband (int): Border removed at the finest scale, halved per scale. Default: 16.

    Returns:
        list[np.ndarray]: the normalised 2-D subbands, scale-major.
    """
    nsc, nor = len(bands), len(bands[0])
    parents = parent_flags(nsc, nor) if parents is None else parents
    out = []
    for s in range(nsc):
        for o in range(nor):
            aux = bands[s][o]
            nsy, nsx = aux.shape
            inner = (slice(1, nsy - 1), slice(1, nsx - 1))
            cols = [aux[1 + dy:nsy - 1 + dy, 1 + dx:nsx - 1 + dx]
                    for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
            n_div = 9
            if parents[s][o]:
                coarse = bands[s + 1][o]
                up = imresize_bicubic(coarse, (2 * coarse.shape[0], 2 * coarse.shape[1]))
                cols.append(up[:nsy, :nsx][inner])
                n_div += 1
            cols += [bands[s][k][inner] for k in range(nor) if k != o]
            y = np.stack([c.ravel() for c in cols], axis=1)
            cov = y.T @ y / y.shape[0]
            lam, q = np.linalg.eigh(cov)
            pos = lam * (lam > 0)
            lam = pos * lam.sum() / (pos.sum() + (pos.sum() == 0))
            cov = (q * lam) @ q.T
            z = np.sqrt(np.maximum(np.sum((y @ np.linalg.pinv(cov)) * y, 1) / n_div, 0))
            o_c = aux[inner].ravel()
            o_c = o_c - o_c.mean()
            # MATLAB drops z == 0 (then fails to reshape); such coefficients become 0 here
            g = np.divide(o_c, z, out=np.zeros_like(o_c), where=z != 0)
            g = g.reshape(nsy - 2, nsx - 2)
            gb = guardband // 2**s
            g = g[gb:g.shape[0] - gb, gb:g.shape[1] - gb]
            out.append(g - g.mean())
    return out


_SSIM_WIN = np.exp(-(np.arange(11) - 5.0)**2 / (2 * 1.5**2))
_SSIM_WIN /= _SSIM_WIN.sum()  # separable factor of fspecial('gaussian', 11, 1.5)


def _valid_filter(x: np.ndarray) -> np.ndarray:
    y = correlate1d(correlate1d(x, _SSIM_WIN, axis=0, mode='constant'), _SSIM_WIN, axis=1,
                    mode='constant')
    return y[5:-5, 5:-5]


def ssim_cs_map(a: np.ndarray, b: np.ndarray, data_range: float = 255.) -> np.ndarray:
    """Contrast-structure map of ``ssim_index_new.m`` (11x11 Gaussian, 'valid')."""
    c2 = (0.03 * data_range)**2
    mu1, mu2 = _valid_filter(a), _valid_filter(b)
    s11 = _valid_filter(a * a) - mu1**2
    s22 = _valid_filter(b * b) - mu2**2
    s12 = _valid_filter(a * b) - mu1 * mu2
    return (2 * s12 + c2) / (s11 + s22 + c2)


def global_gsm_features(img255: np.ndarray,
                        parents: Optional[Sequence[Sequence[bool]]] = None) -> np.ndarray:
    """The 45 global GSM features of ``global_gsm.m`` for a (h, w) image in [0, 255].

    12 GGD shapes of the normalised subbands, 6 shapes across the two scales, 12
    contrast-structure similarities of each (enlarged) band with the high-pass residual
    and 15 between the normalised orientations of the finest scale.
    """
    nor = 6
    hi0, bands = steerable_pyramid(img255, 2, nor)
    sub = divisive_normalization(bands, parents)
    feats = [ggd_shape(s.ravel()) for s in sub]
    feats += [ggd_shape(np.concatenate([sub[i].ravel(), sub[i + nor].ravel()]))
              for i in range(nor)]
    for level in bands:
        for band in level:
            feats.append(ssim_cs_map(imresize_bicubic(band, hi0.shape), hi0).mean())
    for i in range(nor):
        for j in range(i + 1, nor):
            feats.append(ssim_cs_map(sub[i], sub[j]).mean())
    return np.array(feats, dtype=np.float64)


MIN_SIDE = 64


def ma_features(img: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ma's three feature vectors of an image (``feature_all.m``).

    Args:
        img (np.ndarray): (h, w) gray/Y image in [0, 255] (PIRM feeds the rounded Y
            channel), or (h, w, 3) RGB, converted by MATLAB's ``rgb2gray``.

    Returns:
        tuple[np.ndarray]: f1 (18,), f2 (45,), f3 (75,).
    """
    gray = to_gray(img)
    if min(gray.shape) < MIN_SIDE:
        raise ValueError(f'Ma needs an image of at least {MIN_SIDE}x{MIN_SIDE} pixels, '
                         f'got {gray.shape[1]}x{gray.shape[0]}')
    levels = spatial_pyramid(gray / 255.)
    f1 = np.concatenate([block_dct_features(lv) for lv in levels])
    f2 = global_gsm_features(gray)
    f3 = np.concatenate([svd_features(lv) for lv in levels])
    return f1, f2, f3


# ------------------------------------------------------------------------------------------
# Regression forests (randomforest-matlab regRF_predict) and the trained model
# ------------------------------------------------------------------------------------------
class RegressionForest:
    """Regression forest in randomforest-matlab's layout (one column per tree).

    Args:
        left (np.ndarray): (nodes, trees) 1-based left daughter, 0 at leaves (``lDau``).
        right (np.ndarray): (nodes, trees) 1-based right daughter (``rDau``).
        split_var (np.ndarray): (nodes, trees) 1-based feature index (``mbest``).
        split_value (np.ndarray): (nodes, trees) threshold; ``x <= t`` goes left (``upper``).
        node_value (np.ndarray): (nodes, trees) prediction of each node (``avnode``).
        node_status (np.ndarray, optional): (nodes, trees), -1 marks a leaf
            (``nodestatus``). Default: leaves are the nodes without a left daughter.
    """

    def __init__(self, left, right, split_var, split_value, node_value, node_status=None):
        self.left = np.asarray(left, np.int64).reshape(np.shape(left)[0], -1)
        shape = self.left.shape
        self.right = np.asarray(right, np.int64).reshape(shape)
        self.split_var = np.asarray(split_var, np.int64).reshape(shape)
        self.split_value = np.asarray(split_value, np.float64).reshape(shape)
        self.node_value = np.asarray(node_value, np.float64).reshape(shape)
        leaf = self.left <= 0
        if node_status is not None:
            leaf |= np.asarray(node_status).reshape(shape) == -1
        self.leaf = leaf

    @property
    def num_trees(self) -> int:
        return self.left.shape[1]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Mean prediction of the trees for feature rows ``x`` (n, d) -> (n,)."""
        x = np.atleast_2d(np.asarray(x, np.float64))
        n, trees = x.shape[0], self.num_trees
        tree = np.broadcast_to(np.arange(trees), (n, trees))
        sample = np.broadcast_to(np.arange(n)[:, None], (n, trees))
        node = np.zeros((n, trees), np.int64)
        for _ in range(self.left.shape[0]):  # a path never exceeds the node count
            active = ~self.leaf[node, tree]
            if not active.any():
                break
            var = np.where(active, self.split_var[node, tree] - 1, 0)
            go_left = x[sample, var] <= self.split_value[node, tree]
            nxt = np.where(go_left, self.left[node, tree], self.right[node, tree]) - 1
            node = np.where(active, nxt, node)
        return self.node_value[node, tree].mean(1)


_RF_FIELDS = (('lDau', 0), ('rDau', 1), ('nodestatus', 2), ('upper', 4), ('avnode', 5),
              ('mbest', 6))


def _struct_field(struct, name: str, index: int):
    names = struct.dtype.names or ()
    value = struct[name] if name in names else struct[names[index]]
    while isinstance(value, np.ndarray) and value.dtype == object and value.size == 1:
        value = value.item()
    return np.asarray(value)


def _unwrap(x):
    """Strip MATLAB's 1x1 cell wrappers that ``loadmat`` keeps."""
    while isinstance(x, np.ndarray) and x.dtype == object and x.size == 1:
        x = x.item()
    return x


class MaModel:
    """The trained Ma model: three regression forests and the linear combination.

    Args:
        forests (list[RegressionForest]): Forests for f1, f2 and f3.
        linear (np.ndarray): (4,) intercept and weights: ``[1 s1 s2 s3] @ linear``.
    """

    def __init__(self, forests: Sequence[RegressionForest], linear: np.ndarray):
        if len(forests) != 3:
            raise ValueError(f'Ma needs 3 forests, got {len(forests)}')
        self.forests = list(forests)
        self.linear = np.asarray(linear, np.float64).ravel()
        if self.linear.size != 4:
            raise ValueError(f'Ma needs 4 linear weights, got {self.linear.size}')

    @classmethod
    def from_mat(cls, path: Union[str, Path]) -> 'MaModel':
        """Read the authors' ``model.mat`` (or ``NRQM_model.mat``) with ``scipy.io.loadmat``."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f'Ma model file not found: {path}; {MA_MODEL_HINT}')
        try:
            model = loadmat(str(path))['model']
        except NotImplementedError as err:  # MATLAB v7.3 (HDF5) file
            raise ValueError(f'{path} is a MATLAB v7.3 file, which scipy cannot read; re-save '
                             "it in MATLAB with save(..., '-v7') or use NRQM_model.mat") from err
        except (KeyError, ValueError, OSError) as err:
            raise ValueError(f'{path} is not a Ma/NRQM model file ({err}); '
                             f'{MA_MODEL_HINT}') from err
        try:
            model = model[0, 0] if model.dtype.names else _unwrap(model)
            rf_cells = np.asarray(model['rf']).ravel()
            if rf_cells.dtype == object and rf_cells.size == 1:
                rf_cells = np.asarray(rf_cells[0]).ravel()
            forests = []
            for cell in rf_cells:
                st = _unwrap(cell)
                st = st.ravel()[0] if isinstance(st, np.ndarray) and st.ndim else st
                f = {name: _struct_field(st, name, i) for name, i in _RF_FIELDS}
                forests.append(RegressionForest(f['lDau'], f['rDau'], f['mbest'], f['upper'],
                                                f['avnode'], f['nodestatus']))
            linear = np.asarray(_unwrap(model['linear']), np.float64)
        except (KeyError, IndexError, ValueError, TypeError) as err:
            raise ValueError(f'{path} is not a Ma/NRQM model file ({err}); '
                             f'{MA_MODEL_HINT}') from err
        return cls(forests, linear)

    def predict(self, features: Sequence[np.ndarray]) -> float:
        """Ma score from the (f1, f2, f3) feature vectors."""
        s = [f.predict(np.asarray(x, np.float64)[None])[0]
             for f, x in zip(self.forests, features)]
        return float(np.dot(np.concatenate([[1.0], s]), self.linear))


def resolve_ma_model_path(path: Optional[Union[str, Path]] = None) -> Path:
    """Model path from the argument, else ``$MMRESTORE_MA_MODEL``; a clear error if absent."""
    path = path or os.environ.get(MA_MODEL_ENV)
    if not path:
        raise FileNotFoundError(f'no Ma model file given; {MA_MODEL_HINT}')
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f'Ma model file not found: {path}; {MA_MODEL_HINT}')
    return path


_MODEL_CACHE: Dict[str, MaModel] = {}


def load_ma_model(path: Optional[Union[str, Path]] = None) -> MaModel:
    """Load (once per path) the Ma model named by ``path`` or ``$MMRESTORE_MA_MODEL``."""
    path = resolve_ma_model_path(path)
    key = str(path.resolve())
    if key not in _MODEL_CACHE:
        _MODEL_CACHE[key] = MaModel.from_mat(path)
    return _MODEL_CACHE[key]


def ma_score(img: np.ndarray, model: Union[MaModel, str, Path, None] = None) -> float:
    """Ma (NRQM) score of one image, higher is better (``quality_predict.m``).

    Args:
        img (np.ndarray): (h, w) gray/Y image in [0, 255] or (h, w, 3) RGB.
        model (MaModel | str | Path, optional): Model or path to ``model.mat``; default
            ``$MMRESTORE_MA_MODEL``.
    """
    if not isinstance(model, MaModel):
        model = load_ma_model(model)
    return model.predict(ma_features(img))
