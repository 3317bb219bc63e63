"""Self-supervised training of MMagic's SPyNet on consecutive real frames."""
import torch
from mmengine.model import BaseModel

from mmagic.models.editors.basicvsr.basicvsr_net import SPyNet
from mmagic.models.utils import flow_warp
from mmagic.registry import MODELS
from .spynet_init import init_spynet_normal_flow, init_spynet_zero_flow


@MODELS.register_module()
class SPyNetFlowEstimator(BaseModel):
    """MMagic's ``SPyNet`` trained to align real frames (photometric loss).

    No flow ground truth exists for real footage, so the loss is the one of
    unsupervised optical flow: the Charbonnier distance between ``ref`` and ``supp``
    warped by the predicted flow (pixels whose sample falls outside ``supp`` are
    masked), plus ``smooth_weight`` times the mean absolute first difference of the
    flow. From SPyNet's usual random or zero-flow start this stalls (the features
    never correlate with the motion); from :func:`init_spynet_normal_flow`, a working
    estimator before training, it refines.

    Its ``spynet.*`` tensors are SPyNet's: ``tools/export_generator.py CKPT OUT
    --spynet`` writes them for ``spynet_pretrained`` of :class:`UNetRealBasicVSRNet`.

    Data (:class:`FramePairDataset`): ``inputs`` ``(n, 2, 3, H, W)`` = (ref, supp) in
    [0, 1], H and W multiples of 32.

    Args:
        init (str): ``'normal_flow'`` (:func:`init_spynet_normal_flow`), ``'zero'``
            (last layer of every level zero: zero flow) or ``'random'`` (SPyNet's).
            Default: 'normal_flow'.
        smooth_weight (float): Weight of the smoothness term. Default: 0.05.
        eps (float): Charbonnier epsilon (squared, as MMagic's). Default: 1e-6.
        data_preprocessor (dict, optional): Default: ``BaseDataPreprocessor``.
    """

    def __init__(self, init='normal_flow', smooth_weight=0.05, eps=1e-6,
                 data_preprocessor=None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if init not in ('normal_flow', 'zero', 'random'):
            raise ValueError(f"init must be 'normal_flow', 'zero' or 'random', got {init!r}")
        self.spynet = SPyNet(pretrained=None)
        self.init = init
        self.smooth_weight = float(smooth_weight)
        self.eps = float(eps)

    def init_weights(self):
        super().init_weights()
        if self.init == 'normal_flow':
            init_spynet_normal_flow(self.spynet)
        elif self.init == 'zero':
            init_spynet_zero_flow(self.spynet)

    def photometric_error(self, ref, supp, flow):
        """Masked Charbonnier distance of ``ref`` and ``supp`` warped by ``flow``
        (``(n, 3, h, w)``, ``(n, 3, h, w)``, ``(n, 2, h, w)``)."""
        warped = flow_warp(supp, flow.permute(0, 2, 3, 1), padding_mode='border')
        h, w = flow.shape[-2:]
        x = torch.arange(w, device=flow.device).view(1, 1, w) + flow[:, 0]
        y = torch.arange(h, device=flow.device).view(1, h, 1) + flow[:, 1]
        inside = ((x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)).unsqueeze(1)
        error = torch.sqrt((warped - ref)**2 + self.eps) * inside
        return error.sum() / (inside.sum() * 3).clamp_min(1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        """``'tensor'``/``'predict'``: flows ``(n, 2, H, W)`` from ref to supp;
        ``'loss'``: ``loss_photo``, ``loss_smooth``, and ``photo_zero`` (the
        photometric error of zero flow, for reference)."""
        pairs = torch.stack(inputs) if isinstance(inputs, (list, tuple)) else inputs
        ref, supp = pairs[:, 0], pairs[:, 1]
        if mode in ('tensor', 'predict'):
            return self.spynet(ref, supp)
        if mode != 'loss':
            raise ValueError(f'unknown mode {mode!r}')
        if ref.shape[-1] % 32 or ref.shape[-2] % 32:
            raise ValueError(f'training pairs must be multiples of 32, got {ref.shape}')
        flow = self.spynet.compute_flow(ref, supp)
        smooth = ((flow[..., 1:, :] - flow[..., :-1, :]).abs().mean() +
                  (flow[..., 1:] - flow[..., :-1]).abs().mean())
        with torch.no_grad():
            zero = self.photometric_error(ref, supp, torch.zeros_like(flow))
        return dict(loss_photo=self.photometric_error(ref, supp, flow),
                    loss_smooth=self.smooth_weight * smooth, photo_zero=zero)
