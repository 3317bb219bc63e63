"""BasicVSR whose image skip adds the original full-size LQ frame (thesis 5.2.3, fig. 5.3)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmagic.models.archs import PixelShufflePack
from mmagic.models.editors.basicvsr.basicvsr_net import BasicVSRNet
from mmagic.models.utils import flow_warp
from mmagic.registry import MODELS


@MODELS.register_module()
class LQSkipBasicVSRNet(BasicVSRNet):
    """MMagic's ``BasicVSRNet`` with the full-size LQ frame as the image skip.

    Same layers and parameter names as ``BasicVSRNet`` (``spynet``, ``backward_resblocks``,
    ``forward_resblocks``, ``fusion``, ``upsample1/2``, ``conv_hr``, ``conv_last``), so the
    ``basicvsr.*`` tensors of released RealBasicVSR checkpoints load unchanged. Only the
    skip of the 4x upsampler differs: ``HQ_i = reconstruction_i + LQ_i`` instead of
    ``+ bilinear_x4(LR_i)``; without ``lqs`` it is exactly ``BasicVSRNet``.

    The forward pass is split into :meth:`compute_flow`, :meth:`backward_propagate` and
    :meth:`reconstruct` so callers can reuse the pieces.

    Three options, off by default (the thesis's model), depart from RealBasicVSR's layers
    for compact models (``mmrestore/model_zoo/default_lite.py``); the parameter names stay:

    * ``hr_channels``: channels of the last, full-resolution part of the upsampler
      (``upsample2`` output, ``conv_hr``, ``conv_last``), fixed to 64 in BasicVSR. At
      ``mid_channels=32`` these layers are most of the model's work per output pixel.
    * ``flow_downscale``: SPyNet estimates flow on the frames area-downsampled by this
      factor; the flow is upsampled bilinearly and scaled back.
    * ``hr_lq_input``: ``conv_hr`` also sees the full-size LQ frame (concatenated to the
      upsampled features). Without it the correction added to the LQ frame is computed
      from the 1/4-size frames only, so noise finer than 4 pixels passes through the
      image skip; with it the last two convolutions can cancel it.

    Args:
        mid_channels (int): Channels of the propagation features. Default: 64.
        num_blocks (int): Residual blocks per propagation branch. Default: 30.
        spynet_pretrained (str, optional): Path of SPyNet weights. Default: None.
        hr_channels (int): Channels of the full-resolution upsampler layers. Default: 64.
        flow_downscale (int): Factor of the frames given to SPyNet. Default: 1.
        hr_lq_input (bool): Feed the LQ frame to ``conv_hr``. Default: False.
    """

    def __init__(self, mid_channels=64, num_blocks=30, spynet_pretrained=None,
                 hr_channels=64, flow_downscale=1, hr_lq_input=False):
        super().__init__(mid_channels, num_blocks, spynet_pretrained)
        if hr_channels != 64 or hr_lq_input:
            self.upsample2 = PixelShufflePack(mid_channels, hr_channels, 2, upsample_kernel=3)
            self.conv_hr = nn.Conv2d(hr_channels + 3 * hr_lq_input, hr_channels, 3, 1, 1)
            self.conv_last = nn.Conv2d(hr_channels, 3, 3, 1, 1)
        self.hr_lq_input = hr_lq_input
        if int(flow_downscale) != flow_downscale or flow_downscale < 1:
            raise ValueError(f'flow_downscale must be a positive integer, got {flow_downscale}')
        self.flow_downscale = int(flow_downscale)

    def flow(self, ref, supp):
        """SPyNet flow from ``ref`` to ``supp``, ``(m, 3, h, w)`` -> ``(m, 2, h, w)``."""
        s = self.flow_downscale
        if s == 1:
            return self.spynet(ref, supp)
        h, w = ref.shape[-2:]
        hs, ws = max(h // s, 1), max(w // s, 1)
        small = self.spynet(F.adaptive_avg_pool2d(ref, (hs, ws)),
                            F.adaptive_avg_pool2d(supp, (hs, ws)))
        flow = F.interpolate(small, size=(h, w), mode='bilinear', align_corners=False)
        return flow * flow.new_tensor([w / ws, h / hs]).view(1, 2, 1, 1)

    def compute_flow(self, lrs):
        """Forward and backward flows of a sequence (``BasicVSRNet.compute_flow``).

        Args:
            lrs (Tensor): ``(n, t, 3, h, w)``.

        Returns:
            tuple[Tensor | None, Tensor]: ``(flows_forward, flows_backward)``, each
            ``(n, t-1, 2, h, w)``; ``flows_forward`` is None for a mirror-extended input.
        """
        n, t, c, h, w = lrs.size()
        lrs_1 = lrs[:, :-1].reshape(-1, c, h, w)
        lrs_2 = lrs[:, 1:].reshape(-1, c, h, w)
        flows_backward = self.flow(lrs_1, lrs_2).view(n, t - 1, 2, h, w)
        flows_forward = None if self.is_mirror_extended else self.flow(lrs_2, lrs_1).view(
            n, t - 1, 2, h, w)
        return flows_forward, flows_backward

    def backward_propagate(self, lrs, flows_backward):
        """Backward-time propagation.

        Args:
            lrs (Tensor): ``(n, t, 3, h, w)``.
            flows_backward (Tensor): ``(n, t-1, 2, h, w)``, flow from frame i to i+1.

        Returns:
            list[Tensor]: ``t`` features ``(n, mid_channels, h, w)`` in time order.
        """
        n, t, _, h, w = lrs.size()
        feats = [None] * t
        feat_prop = lrs.new_zeros(n, self.mid_channels, h, w)
        for i in range(t - 1, -1, -1):
            if i < t - 1:
                feat_prop = flow_warp(feat_prop, flows_backward[:, i].permute(0, 2, 3, 1))
            feat_prop = self.backward_resblocks(torch.cat([lrs[:, i], feat_prop], dim=1))
            feats[i] = feat_prop
        return feats

    def reconstruct(self, feat_backward, feat_forward, skip):
        """Fuse both branches and upsample x4.

        Args:
            feat_backward, feat_forward (Tensor): ``(n, mid_channels, h, w)``.
            skip (Tensor): image added to the reconstruction, ``(n, 3, 4h, 4w)``.

        Returns:
            Tensor: ``(n, 3, 4h, 4w)``.
        """
        out = self.lrelu(self.fusion(torch.cat([feat_backward, feat_forward], dim=1)))
        out = self.lrelu(self.upsample1(out))
        out = self.lrelu(self.upsample2(out))
        if self.hr_lq_input:
            out = torch.cat([out, skip], dim=1)
        out = self.lrelu(self.conv_hr(out))
        return self.conv_last(out) + skip

    def forward(self, lrs, lqs=None, flows=None):
        """Restore a sequence.

        Args:
            lrs (Tensor): (cleaned) low-resolution frames ``(n, t, 3, h, w)``.
            lqs (Tensor, optional): full-size LQ frames ``(n, t, 3, 4h, 4w)`` used as the
                image skip; ``None`` uses the bilinear x4 upsampling of ``lrs``.
            flows (tuple[Tensor, Tensor], optional): precomputed ``(flows_forward,
                flows_backward)``, each ``(n, t-1, 2, h, w)`` as :meth:`compute_flow`
                returns them (the fast path reuses flows of overlapping passes).
                Default: None (computed here).

        Returns:
            Tensor: ``(n, t, 3, 4h, 4w)``.
        """
        n, t, _, h, w = lrs.size()
        if flows is None:
            self.check_if_mirror_extended(lrs)
            flows = self.compute_flow(lrs)
        flows_forward, flows_backward = flows
        if flows_forward is None:  # mirror-extended input: reuse the backward flows
            flows_forward = flows_backward.flip(1)
        feats_backward = self.backward_propagate(lrs, flows_backward)

        outputs = []
        feat_prop = torch.zeros_like(feats_backward[0])
        for i in range(t):
            if i > 0:
                feat_prop = flow_warp(feat_prop, flows_forward[:, i - 1].permute(0, 2, 3, 1))
            feat_prop = self.forward_resblocks(torch.cat([lrs[:, i], feat_prop], dim=1))
            skip = self.img_upsample(lrs[:, i]) if lqs is None else lqs[:, i]
            outputs.append(self.reconstruct(feats_backward[i], feat_prop, skip))
            feats_backward[i] = None  # free as we go
        return torch.stack(outputs, dim=1)

