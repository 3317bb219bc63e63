"""U-net cleaning module: full-size LQ frames -> cleaned frames at 1/4 size (thesis 5.2)."""
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmagic.models.archs import PixelShufflePack, ResidualBlockNoBN
from mmagic.models.utils import make_layer
from mmagic.registry import MODELS


@MODELS.register_module()
class UNetCleaning(BaseModule):
    """Light coarse-to-fine U-net that cleans and learns the 4x downsampling.

    Paper: Deep Learning Methods to Enhance Adventure Films (UCLouvain, 2022), section 5.2,
    figures 5.1 / 5.8 / 8.3-8.6.

    Design (the figures are not in the spec text; reconstructed from it), with ``c`` =
    ``channels``, ``L`` = ``levels``, ``B`` = ``blocks``, input ``(N, 3, H, W)``:

    * learned downsampling, two stride-2 3x3 convs (+ LeakyReLU):
      ``(N, 3, H, W) -> (N, c/2, H/2, W/2) -> (N, c, H/4, W/4)``;
    * level ``i`` (0 = top, at ``H/4``) works at ``H/(4*2^i)`` with ``c*2^i`` channels:
      ``B`` residual blocks, then (except the lowest level) the sum with the output of
      level ``i+1`` brought up by a ``PixelShufflePack`` (x2, ``c*2^(i+1) -> c*2^i``),
      then ``B`` more residual blocks. Level ``i+1`` reads level ``i``'s pre-sum
      features through a stride-2 3x3 conv that doubles the channels;
    * output conv ``(N, c, H/4, W/4) -> (N, 3, H/4, W/4)``;
    * with ``skip`` the module predicts a residue added to the area (4x4 mean)
      downsampled input, the same downsampling as the cleaning-loss target.

    ``H`` and ``W`` must be multiples of ``4 * 2^(L-1)`` (the generator pads).

    The arguments are the generator's ``cleaning_*`` ones without the prefix
    (:class:`UNetRealBasicVSRNet`).

    Args:
        in_channels (int): Channels of the input frames. Default: 3.
        channels (int): Channels of the top level (``c``). Default: 20.
        levels (int): Levels of the pyramid (the thesis tries 2, 3, 4). Default: 3.
        blocks (int): Residual blocks before and after each sum (1 or 2). Default: 1.
        skip (bool): Skip connection over the whole module. Default: True.
    """

    def __init__(self, in_channels=3, channels=20, levels=3, blocks=1, skip=True):
        super().__init__()
        if levels < 1 or blocks < 1 or channels % 2:
            raise ValueError('UNetCleaning needs levels >= 1, blocks >= 1 and even '
                             f'channels, got {levels}, {blocks}, {channels}')
        self.levels = levels
        self.skip = skip
        chans = [channels * 2**i for i in range(levels)]

        self.downsample = nn.Sequential(
            nn.Conv2d(in_channels, channels // 2, 3, 2, 1),
            nn.LeakyReLU(0.1, inplace=True),
            nn.Conv2d(channels // 2, channels, 3, 2, 1),
            nn.LeakyReLU(0.1, inplace=True))
        self.encoders = nn.ModuleList(
            make_layer(ResidualBlockNoBN, blocks, mid_channels=ch) for ch in chans)
        self.decoders = nn.ModuleList(
            make_layer(ResidualBlockNoBN, blocks, mid_channels=ch) for ch in chans)
        self.down_convs = nn.ModuleList(
            nn.Sequential(nn.Conv2d(chans[i], chans[i + 1], 3, 2, 1),
                          nn.LeakyReLU(0.1, inplace=True))
            for i in range(levels - 1))
        self.up_convs = nn.ModuleList(
            PixelShufflePack(chans[i + 1], chans[i], 2, upsample_kernel=3)
            for i in range(levels - 1))
        self.conv_last = nn.Conv2d(channels, in_channels, 3, 1, 1)

    @property
    def size_divisor(self):
        """Input sizes must be multiples of this."""
        return 4 * 2**(self.levels - 1)

    def forward(self, x):
        """Clean and downsample.

        Args:
            x (Tensor): LQ frames ``(N, 3, H, W)``, H and W multiples of ``size_divisor``.

        Returns:
            Tensor: cleaned frames ``(N, 3, H/4, W/4)``.
        """
        feat = self.downsample(x)
        skips = []
        for i, encoder in enumerate(self.encoders):
            feat = encoder(feat)
            skips.append(feat)
            if i < self.levels - 1:
                feat = self.down_convs[i](feat)
        feat = self.decoders[-1](skips[-1])
        for i in range(self.levels - 2, -1, -1):
            feat = self.decoders[i](skips[i] + self.up_convs[i](feat))
        out = self.conv_last(feat)
        if self.skip:
            out = out + F.avg_pool2d(x, 4)
        return out
