"""Noise-aware temporal refinement at full detail (beyond the thesis, issue 14)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmagic.models.archs import ResidualBlockNoBN
from mmagic.registry import MODELS


@MODELS.register_module()
class TemporalDenoiseHead(BaseModule):
    """Remove the fine noise the 1/4-size pipeline leaves, from three aligned frames.

    The thesis's generator sees time only on its 1/4 grid: noise finer than 4 pixels
    reaches the output through the LQ image skip, and each frame's share of it is
    independent, so the picture boils. This head works at 1/2 size (pixel-unshuffled,
    so every input pixel is still seen) on, per frame ``i``:

    * ``base`` ``(n, 3, H, W)``: the generator's output for frame ``i``;
    * ``pilot`` ``(n, 3, H, W)``: frame ``i`` denoised by :class:`DCTShrinkage` (the
      three frames' sliding 3D DCT, thresholded at the noise map), which the head's
      output is added to;
    * ``lq``, ``prev``, ``next`` ``(n, 3, H, W)``: LQ frame ``i`` and LQ frames ``i-1``,
      ``i+1`` warped onto it with the generator's own SPyNet flows, so the three noisy
      looks at each point meet at full detail (where an occlusion makes a warped
      neighbour wrong, its difference to ``lq`` shows it);
    * ``sigma`` ``(n, 1, H, W)``: the noise std expected at each pixel
      (:class:`~mmrestore.models.NoiseProfile`), which makes it noise-aware (FFDNet's
      noise map) and steerable (a larger map removes more).

    ``(3 * 5 + 1) * 4`` channels at ``H/2`` -> conv -> ``num_blocks`` residual blocks
    -> conv -> 12 channels -> PixelShuffle x2 -> added to ``pilot``. The last convolution
    starts at zero, so an untrained head returns the DCT shrinkage's result.

    Args:
        channels (int): Feature channels at 1/2 size. Default: 32.
        num_blocks (int): ``ResidualBlockNoBN`` blocks. Default: 4.
        sigma_scale (float): The noise map is fed multiplied by this (std 0.1, i.e.
            25 levels, becomes 1). Default: 10.
    """

    def __init__(self, channels=32, num_blocks=4, sigma_scale=10., init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.sigma_scale = sigma_scale
        self.conv_first = nn.Conv2d(16 * 4, channels, 3, 1, 1)
        self.blocks = nn.Sequential(
            *[ResidualBlockNoBN(channels, res_scale=1.) for _ in range(num_blocks)])
        self.conv_last = nn.Conv2d(channels, 3 * 4, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.1, inplace=True)
        nn.init.zeros_(self.conv_last.weight)
        nn.init.zeros_(self.conv_last.bias)

    def forward(self, base, pilot, lq, prev, next, sigma):
        """Refine one frame (shapes above; ``H, W`` even). Returns ``(n, 3, H, W)``."""
        x = torch.cat([base, pilot, lq, prev, next, sigma * self.sigma_scale], dim=1)
        x = F.pixel_unshuffle(x, 2)
        feat = self.lrelu(self.conv_first(x))
        feat = self.blocks(feat)
        return pilot + F.pixel_shuffle(self.conv_last(feat), 2)
