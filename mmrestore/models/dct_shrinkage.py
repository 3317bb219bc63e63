"""Spatio-temporal sliding-DCT shrinkage steered by a noise map (no learned weights)."""
import math
from functools import lru_cache

import torch
import torch.nn as nn
import torch.nn.functional as F


@lru_cache(maxsize=None)
def dct_matrix(n):
    """Orthonormal DCT-II matrix ``(n, n)``: row ``k`` is the ``k``-th basis vector
    (cached: the temporal one is needed for every frame; do not modify it in place)."""
    i = torch.arange(n, dtype=torch.float64)
    d = torch.cos(math.pi * (2 * i[None] + 1) * i[:, None] / (2 * n))
    d[0] *= 1 / math.sqrt(2)
    return (d * math.sqrt(2 / n)).float()


# orthonormal opponent colour transform: white noise of std s stays s in every channel
_OPP = torch.tensor([[1, 1, 1], [1, 0, -1], [1, -2, 1]], dtype=torch.float64)
_OPP = (_OPP / _OPP.norm(dim=1, keepdim=True)).float()


class DCTShrinkage(nn.Module):
    """Denoise a frame with its aligned neighbours by sliding 3D DCT shrinkage.

    Yu & Sapiro's DCT denoising (IPOL 2011) extended over time: every ``p x p`` patch
    (every ``stride`` pixels) of the ``t`` frames (the neighbours already warped onto the
    current one) in an orthonormal opponent colour space is transformed by a separable
    ``p x p x t`` DCT; coefficients below ``threshold`` times the local noise std are
    set to zero (the patch mean over time always kept), the current frame's patch is
    transformed back, and overlapping patches are averaged with BM3D's weights (the
    inverse of the number of kept coefficients, so flat patches count more). Where the
    alignment fails the temporal coefficients are large and kept, so moving content is
    left to the spatial part. No learned weights: :class:`TemporalDenoiseHead` learns
    on top of it.

    With ``wiener``, a second pass follows, as BM3D's: every frame of the stack is
    rebuilt from the thresholded coefficients (the pilot), and the noisy coefficients are
    scaled by the empirical Wiener gain ``P^2 / (P^2 + s^2)`` of the pilot's ``P``;
    patches are averaged with the weights ``1 / (s^2 * sum(gain^2))``. About twice
    the work. It gains on white noise and loses on spatially correlated noise (grain,
    compression), whose pilot keeps noise as detail: ``wiener='auto'`` runs it only
    where the caller says the noise is white (``coarseness`` below ``white_below``,
    :meth:`NoiseProfile.coarseness`), with the pilot's threshold ``wiener_threshold``.

    Large frames are processed in tiles (``tile`` pixels plus a ``p`` halo, ``2 p`` with
    ``wiener``), so memory stays bounded (about ``28 * p * p * tile * tile`` bytes per
    frame and tile, twice that with ``wiener``).

    Args:
        patch (int): Patch side ``p``. Default: 8.
        threshold (float): Hard threshold in noise stds. Default: 2.7 (BM3D's).
        stride (int): Step between patches: 1 (every patch), 2 (4x less work). Default: 2.
        tile (int): Tile side in pixels (a multiple of ``stride``). Default: 256.
        wiener (bool | str): Add the empirical Wiener pass: True, False or ``'auto'``
            (for white noise only). Default: False.
        wiener_threshold (float, optional): The hard threshold of the pilot when the
            Wiener pass runs. Default: None (``threshold``).
        white_below (float): ``'auto'``: the coarseness under which noise is white.
            Default: 1.5 (the gap measured between white and correlated noise).
    """

    def __init__(self, patch=8, threshold=2.7, stride=2, tile=256, wiener=False,
                 wiener_threshold=None, white_below=1.5):
        super().__init__()
        if patch % stride or tile % stride:
            raise ValueError(f'patch {patch} and tile {tile} must be multiples of the '
                             f'stride {stride}')
        self.patch, self.threshold, self.stride, self.tile = patch, threshold, stride, tile
        if wiener not in (True, False, 'auto'):
            raise ValueError(f"wiener must be True, False or 'auto', not {wiener!r}")
        self.wiener, self.white_below = wiener, white_below
        self.wiener_threshold = threshold if wiener_threshold is None else wiener_threshold
        d = dct_matrix(patch)
        basis = torch.einsum('ai,bj->abij', d, d).reshape(patch * patch, 1, patch, patch)
        self.register_buffer('basis', basis, persistent=False)
        # the inverse as two 1D passes (channel a * p + b: row frequency a, column
        # frequency b): 6x faster on a CPU than transposing the p x p filters (the
        # forward transform is not: grouped convolutions are slow there)
        self.register_buffer('rows', d.view(patch, 1, patch, 1).contiguous(),
                             persistent=False)
        self.register_buffer('cols', d.repeat(patch, 1).view(patch * patch, 1, 1, patch),
                             persistent=False)
        self.register_buffer('opp', _OPP, persistent=False)

    def uses_wiener(self, coarseness=None):
        """Whether the Wiener pass runs for noise of this ``coarseness``."""
        if self.wiener == 'auto':
            return coarseness is not None and coarseness < self.white_below
        return bool(self.wiener)

    def forward(self, frames, centre, sigma, coarseness=None):
        """Denoise ``frames[centre]``.

        Args:
            frames (list[Tensor]): ``t`` aligned frames ``(n, 3, H, W)`` in [0, 1], in
                time order (one frame: 2D shrinkage; copies of one frame are not
                independent looks and must not be passed).
            centre (int): index of the frame to denoise.
            sigma (Tensor): ``(n, 1, H, W)`` noise std.
            coarseness (float, optional): of the noise (``wiener='auto'``).

        Returns:
            Tensor: ``(n, 3, H, W)``.
        """
        wiener = self.uses_wiener(coarseness)
        h, w = frames[0].shape[-2:]
        t, m = self.tile, self.patch * (2 if wiener else 1)  # halo: what a pixel sees
        if h <= t + 2 * m and w <= t + 2 * m:
            return self._denoise(torch.stack(frames), centre, sigma, wiener)
        out = torch.empty_like(frames[centre])
        for y in range(0, h, t):
            for x in range(0, w, t):
                ya, xa = max(0, y - m), max(0, x - m)
                yb, xb = min(h, y + t + m), min(w, x + t + m)
                part = self._denoise(torch.stack([f[..., ya:yb, xa:xb] for f in frames]),
                                     centre, sigma[..., ya:yb, xa:xb], wiener)
                out[..., y:y + t, x:x + t] = part[..., y - ya:y - ya + t, x - xa:x - xa + t]
        return out

    def _denoise(self, frames, centre, sigma, wiener):
        t, n, c, h, w = frames.shape
        p, m, st = self.patch, self.patch - self.stride, self.stride
        # pad so that every pixel is covered by (p / stride)^2 patches
        ph, pw = -(h + 2 * m - p) % st, -(w + 2 * m - p) % st
        opp = torch.einsum('dc,tnchw->tndhw', self.opp, frames)
        mode = 'reflect' if min(h, w) > m else 'replicate'
        pad = (m, m + pw, m, m + ph)
        padded = F.pad(opp.reshape(-1, 1, h, w), pad, mode=mode)
        coef = self._dct(padded)  # (t n c, p p, h', w')
        coef = coef.view(t, n * c, p * p, *coef.shape[-2:])
        time = dct_matrix(t).to(coef)
        if t > 1:
            coef = torch.einsum('st,tk...->sk...', time, coef)  # temporal DCT
        # noise std of each patch (its mean over the patch), the same in every channel
        sig = F.avg_pool2d(F.pad(sigma, pad, mode=mode), p, st)
        sig = sig.repeat_interleave(c, 0).unsqueeze(0)  # (1, n c, 1, h', w')
        keep = (coef.abs() > (self.wiener_threshold if wiener else self.threshold) * sig
                ).to(coef.dtype)  # float: its sums are much faster than a bool tensor's
        keep[0, :, 0] = 1  # the patch mean over time
        weight = 1 / keep.sum(dim=(0, 2)).clamp(min=1).unsqueeze(1)  # (n c, 1, h', w')
        hard = coef * keep
        if wiener:
            # the pilot: every frame of the stack from its thresholded coefficients
            rec = hard if t == 1 else torch.einsum('st,sk...->tk...', time, hard)
            pilot = self._aggregate(rec * weight, weight)  # (t n c, 1, H', W') padded
            ref = self._dct(pilot).view_as(coef)
            if t > 1:
                ref = torch.einsum('st,tk...->sk...', time, ref)
            ref2, sig2 = ref * ref, sig * sig
            gain = ref2 / (ref2 + sig2).clamp(min=1e-20)
            hard = coef * gain
            weight = 1 / (sig2[0] * (gain * gain).sum(dim=(0, 2)).unsqueeze(1)
                          ).clamp(min=1e-12)
        coef = hard
        mid = coef[0] if t == 1 else torch.einsum('s,sk...->k...', time[:, centre], coef)
        out = self._aggregate(mid * weight, weight)
        out = out[..., m:m + h, m:m + w].view(n, c, h, w)
        return torch.einsum('dc,ndhw->nchw', self.opp, out)  # opp is orthonormal

    def _dct(self, frames):
        """``(k, 1, H', W')`` -> the 2D DCT of every ``p x p`` patch (every ``stride``
        pixels), ``(k, p p, h', w')``."""
        return F.conv2d(frames, self.basis, stride=self.stride)

    def _aggregate(self, coef, weight):
        """Weighted overlap-add of patches: ``coef`` ``(..., p p, h', w')`` (already
        multiplied by ``weight`` ``(k, 1, h', w')``) -> ``(-1, 1, H', W')`` padded frames."""
        pp, hh, ww = coef.shape[-3:]
        x = F.conv_transpose2d(coef.reshape(-1, pp, hh, ww), self.cols,
                               stride=(1, self.stride), groups=self.patch)
        num = F.conv_transpose2d(x, self.rows, stride=(self.stride, 1))
        den = F.conv_transpose2d(weight, torch.ones_like(self.basis[:1]),
                                 stride=self.stride)
        return (num.view(-1, *den.shape) / den).view(-1, 1, *den.shape[-2:])
