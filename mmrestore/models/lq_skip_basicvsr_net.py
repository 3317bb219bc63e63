"""BasicVSR whose image skip adds the original full-size LQ frame (thesis 5.2.3, fig. 5.3)."""
import torch

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

    The forward pass is split into :meth:`compute_flow` (inherited),
    :meth:`backward_propagate` and :meth:`reconstruct` so callers can reuse the pieces.

    Args:
        mid_channels (int): Channels of the propagation features. Default: 64.
        num_blocks (int): Residual blocks per propagation branch. Default: 30.
        spynet_pretrained (str, optional): Path of SPyNet weights. Default: None.
    """

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

