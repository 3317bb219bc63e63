"""The thesis generator: U-net cleaning -> BasicVSR at 1/4 size -> x4 with LQ skip."""
import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmagic.registry import MODELS
from .lq_skip_basicvsr_net import LQSkipBasicVSRNet
from .unet_cleaning import UNetCleaning
from .weights import check_weights_path, load_generator_weights, load_spynet_weights


@MODELS.register_module()
class UNetRealBasicVSRNet(BaseModule):
    """Same-size video restoration network of the thesis (RealBasicVSRNet's contract).

    Paper: Deep Learning Methods to Enhance Adventure Films (UCLouvain, 2022), chapter 5;
    built on BasicVSR (CVPR 2021) and RealBasicVSR (CVPR 2022).

    ``lqs (n, t, 3, H, W)`` -> :class:`UNetCleaning` (learned 4x downsampling + cleaning)
    -> ``(n, t, 3, H/4, W/4)`` -> :class:`LQSkipBasicVSRNet` (SPyNet flow, bidirectional
    propagation, x4 PixelShuffle upsampler whose image skip adds the original LQ frame)
    -> ``(n, t, 3, H, W)``. Any ``H, W``: frames are padded (edge replication) to a
    multiple of the cleaning pyramid's size divisor and the results cropped back.

    Parameter names follow ``RealBasicVSRNet``: ``basicvsr.*`` is identical, so released
    RealBasicVSR checkpoints fill it (``realbasicvsr_pretrained``); the cleaning module
    is ``cleaning.*`` (RealBasicVSR's ``image_cleaning.*`` does not fit and is skipped).

    Args:
        mid_channels (int): BasicVSR feature channels. Default: 64.
        num_propagation_blocks (int): Residual blocks per propagation branch. Default: 20.
        cleaning_channels (int): Top-level channels of the U-net. Default: 20.
        cleaning_levels (int): U-net levels (2, 3, 4 in the thesis). Default: 3.
        cleaning_blocks (int): Residual blocks before/after each sum. Default: 1.
        cleaning_skip (bool): Skip connection over the cleaning module. Default: True.
        dynamic_refine_thres (float, optional): RealBasicVSR-style dynamic refinement on
            the 0-255 scale: clean again (at most 3 times) while the mean absolute
            cleaning update exceeds it. ``None`` (the thesis's final model) cleans once.
        spynet_pretrained (str, optional): SPyNet weights file. Default: None (random).
            Loaded at construction and again after ``realbasicvsr_pretrained`` in
            :meth:`init_weights`: it takes precedence over that checkpoint's SPyNet.
        realbasicvsr_pretrained (str, optional): RealBasicVSR (or own) checkpoint loaded
            into the matching tensors by :meth:`init_weights`. Default: None.
        is_fix_cleaning (bool): Freeze the cleaning module (stage 2). Default: False.
        is_fix_spynet (bool): Freeze SPyNet, as RealBasicVSR and the thesis. Default: True.
        hr_channels (int): Channels of the upsampler's full-resolution layers; 64 (the
            default) is BasicVSR's, fewer is faster (:class:`LQSkipBasicVSRNet`).
        flow_downscale (int): SPyNet runs on the 1/4 frames downsampled again by this
            factor. Default: 1 (BasicVSR's).
        hr_lq_input (bool): ``conv_hr`` also sees the full-size LQ frame, so that noise
            finer than the 1/4 grid can be removed. Default: False (the thesis's).
    """

    def __init__(self,
                 mid_channels=64,
                 num_propagation_blocks=20,
                 cleaning_channels=20,
                 cleaning_levels=3,
                 cleaning_blocks=1,
                 cleaning_skip=True,
                 dynamic_refine_thres=None,
                 spynet_pretrained=None,
                 realbasicvsr_pretrained=None,
                 is_fix_cleaning=False,
                 is_fix_spynet=True,
                 hr_channels=64,
                 flow_downscale=1,
                 hr_lq_input=False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if spynet_pretrained is not None:
            check_weights_path(spynet_pretrained, 'SPyNet weights')
        if realbasicvsr_pretrained is not None:
            check_weights_path(realbasicvsr_pretrained, 'RealBasicVSR checkpoint')
        self.realbasicvsr_pretrained = realbasicvsr_pretrained
        self.spynet_pretrained = spynet_pretrained
        self.dynamic_refine_thres = (None if dynamic_refine_thres is None else
                                     dynamic_refine_thres / 255.)

        self.cleaning = UNetCleaning(3, cleaning_channels, cleaning_levels,
                                     cleaning_blocks, cleaning_skip)
        self.basicvsr = LQSkipBasicVSRNet(mid_channels, num_propagation_blocks,
                                          spynet_pretrained, hr_channels, flow_downscale,
                                          hr_lq_input)
        if is_fix_cleaning:
            self.cleaning.requires_grad_(False)
        if is_fix_spynet:
            self.basicvsr.spynet.requires_grad_(False)

    def init_weights(self):
        super().init_weights()
        if self.realbasicvsr_pretrained is not None:
            load_generator_weights(self, self.realbasicvsr_pretrained)
            if self.spynet_pretrained is not None:  # the named SPyNet file wins
                load_spynet_weights(self.basicvsr.spynet, self.spynet_pretrained)

    def pad(self, lqs):
        """Pad ``(n, t, c, H, W)`` at the bottom/right to the cleaning size divisor."""
        n, t, c, h, w = lqs.size()
        d = self.cleaning.size_divisor
        ph, pw = -h % d, -w % d
        if ph == 0 and pw == 0:
            return lqs
        return F.pad(lqs.reshape(n * t, c, h, w), (0, pw, 0, ph),
                     mode='replicate').view(n, t, c, h + ph, w + pw)

    def clean(self, lqs):
        """Clean and downsample, frame by frame (no temporal mixing).

        Args:
            lqs (Tensor): ``(n, t, 3, H, W)``, H and W multiples of the size divisor.

        Returns:
            Tensor: ``(n, t, 3, H/4, W/4)``.
        """
        n, t, c, h, w = lqs.size()
        x = lqs.reshape(n * t, c, h, w)
        cleaned = self.cleaning(x)
        if self.dynamic_refine_thres is not None:
            for _ in range(2):  # at most 3 cleanings in all, as RealBasicVSR
                # feed the full-size frame corrected by the cleaning update back in
                update = cleaned - F.avg_pool2d(x, 4)
                if torch.mean(torch.abs(update)) < self.dynamic_refine_thres:
                    break
                x = x + F.interpolate(update, scale_factor=4, mode='bilinear',
                                      align_corners=False)
                cleaned = self.cleaning(x)
        return cleaned.view(n, t, c, h // 4, w // 4)

    def forward(self, lqs, return_lqs=False):
        """Restore a sequence at its own size.

        Args:
            lqs (Tensor): LQ frames ``(n, t, 3, H, W)`` in [0, 1].
            return_lqs (bool): also return the cleaned frames. Default: False.

        Returns:
            Tensor | tuple[Tensor, Tensor]: outputs ``(n, t, 3, H, W)``, and with
            ``return_lqs`` the cleaned frames ``(n, t, 3, ceil(H/4), ceil(W/4))``.
        """
        h, w = lqs.shape[-2:]
        padded = self.pad(lqs)
        cleaned = self.clean(padded)
        outputs = self.basicvsr(cleaned, padded)[..., :h, :w]
        if return_lqs:
            return outputs, cleaned[..., :-(-h // 4), :-(-w // 4)]
        return outputs

    def forward_cached(self, lqs, keys, cache):
        """Restore a sequence reusing the work of earlier, overlapping calls (fast path).

        Cleaning is per frame and a SPyNet flow depends only on its frame pair, so a
        frame already cleaned, or a pair whose flows were already computed, by an earlier
        pass is taken from ``cache`` instead of being recomputed. The result equals
        :meth:`forward` up to the float rounding of differently batched convolutions,
        and a cached value depends on its frame(s) only, so runs that start at different
        frames (resume, ranks) agree bit for bit.
        With ``dynamic_refine_thres`` (a threshold over all frames of the call) it is
        plain :meth:`forward`.

        Args:
            lqs (Tensor): LQ frames ``(1, t, 3, H, W)`` in [0, 1].
            keys (list): one hashable id per frame (e.g. its index in the video); equal
                keys must mean equal frames.
            cache (dict): filled here: ``'clean'``: key -> ``(3, h, w)`` cleaned frame;
                ``'flow'``: (key_i, key_i+1) -> (forward, backward) flows ``(2, h, w)``,
                ``h, w`` = padded ``H/4, W/4``. The caller prunes it.

        Returns:
            Tensor: ``(1, t, 3, H, W)``.
        """
        if self.dynamic_refine_thres is not None or lqs.size(0) != 1:
            return self.forward(lqs)
        h, w = lqs.shape[-2:]
        padded = self.pad(lqs)
        cleaned_of = cache.setdefault('clean', {})
        # one frame (pair) at a time: a batch's float rounding depends on its size, so
        # batching the new frames would make a cached value depend on which frames were
        # new in this call (a resumed run, a rank starting mid-video)
        for i, k in enumerate(keys):
            if k not in cleaned_of:
                cleaned_of[k] = self.clean(padded[:, i:i + 1])[0, 0]
        cleaned = torch.stack([cleaned_of[k] for k in keys]).unsqueeze(0)

        flow_of = cache.setdefault('flow', {})
        pairs = list(zip(keys[:-1], keys[1:]))
        for i, pair in enumerate(pairs):
            if pair not in flow_of:
                first, second = cleaned[:, i], cleaned[:, i + 1]
                flow_of[pair] = (self.basicvsr.flow(second, first)[0],
                                 self.basicvsr.flow(first, second)[0])
        size = cleaned.shape[-2:]
        flows = [torch.stack([flow_of[p][j] for p in pairs]).unsqueeze(0) if pairs else
                 cleaned.new_zeros(1, 0, 2, *size) for j in (0, 1)]
        return self.basicvsr(cleaned, padded, flows=flows)[..., :h, :w]
