"""The thesis generator: U-net cleaning -> BasicVSR at 1/4 size -> x4 with LQ skip."""
import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmagic.models.utils import flow_warp
from mmagic.registry import MODELS
from .lq_skip_basicvsr_net import LQSkipBasicVSRNet
from .dct_shrinkage import DCTShrinkage
from .noise_profile import NoiseProfile
from .streaming import StreamingGenerator
from .temporal_denoise_head import TemporalDenoiseHead
from .unet_cleaning import UNetCleaning
from .weights import check_weights_path, load_generator_weights

# SPyNet tensors of a ``spynet_pretrained`` file (its buffers ``mean``/``std`` are fixed)
SPYNET_WEIGHTS = 'basicvsr.spynet.basic_module.'


@MODELS.register_module()
class UNetRealBasicVSRNet(BaseModule, StreamingGenerator):
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

    It is a :class:`StreamingGenerator`: the restorer reuses cleaned frames and SPyNet
    flows over the overlap of its passes (:meth:`forward_cached`).

    Argument names are ``RealBasicVSRNet``'s where it has the concept (``mid_channels``,
    ``num_propagation_blocks``, passed on as ``BasicVSRNet``'s ``num_blocks``, the one
    name MMagic gives it there); the ``cleaning_*`` arguments are those of
    :class:`UNetCleaning` without the prefix.

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
        spynet_pretrained (str, optional): SPyNet weights file, loaded at construction.
            Default: None (random). It takes precedence over the SPyNet of
            ``realbasicvsr_pretrained`` and ``init_from``: :meth:`init_weights` leaves
            it as it is.
        realbasicvsr_pretrained (str, optional): released RealBasicVSR checkpoint loaded
            into the matching tensors by :meth:`init_weights`. Default: None. Our own
            checkpoints go through ``init_from`` or MMEngine's ``load_from``.
        is_fix_cleaning (bool): Freeze the cleaning module (stage 2). Default: False.
        is_fix_spynet (bool): Freeze SPyNet, as RealBasicVSR and the thesis. Default: True.
        is_fix_basicvsr (bool): Freeze the whole BasicVSR part (training a
            ``denoise_head`` on a trained model). Default: False.
        init_from (str, optional): a generator checkpoint of this project (bare state
            dict, EMA or runner checkpoint) loaded into the matching tensors by
            :meth:`init_weights`, before ``spynet_pretrained``; tensors it lacks (a new
            ``denoise_head``) keep their initialisation. Default: None.
        hr_channels (int): Channels of the upsampler's full-resolution layers; 64 (the
            default) is BasicVSR's, fewer is faster (:class:`LQSkipBasicVSRNet`).
        flow_downscale (int): SPyNet runs on the 1/4 frames downsampled again by this
            factor. Default: 1 (BasicVSR's).
        hr_lq_input (bool): ``conv_hr`` also sees the full-size LQ frame, so that noise
            finer than the 1/4 grid can be removed. Default: False (the thesis's).
        denoise_head (dict, optional): arguments of a :class:`TemporalDenoiseHead` run
            on every output frame with its LQ frame, its two LQ neighbours warped by the
            SPyNet flows, the clip's noise map (blind: :class:`NoiseProfile` estimated
            from the input, or the profile set with :meth:`set_noise_profile`) and the
            :class:`DCTShrinkage` of the frames within ``radius`` (a key of this dict,
            default 2: five frames) warped onto it by the composed flows; the key
            ``shrinkage`` holds that :class:`DCTShrinkage`'s arguments (default: none).
            Makes the model noise-aware and steerable (:attr:`strength`). Default: None
            (the thesis's generator).

    Attributes:
        strength (float): with ``denoise_head``: 1 is the trained behaviour; below 1
            the output is blended with the input (0 returns the input); above 1 the
            noise map is multiplied by it (removes more). Default: 1.
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
                 denoise_head=None,
                 is_fix_basicvsr=False,
                 init_from=None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if spynet_pretrained is not None:
            check_weights_path(spynet_pretrained, 'SPyNet weights')
        if realbasicvsr_pretrained is not None:
            check_weights_path(realbasicvsr_pretrained, 'RealBasicVSR checkpoint')
        if init_from is not None:
            check_weights_path(init_from, 'generator checkpoint (init_from)')
        self.realbasicvsr_pretrained = realbasicvsr_pretrained
        self.init_from = init_from
        self.spynet_pretrained = spynet_pretrained
        self.dynamic_refine_thres = (None if dynamic_refine_thres is None else
                                     dynamic_refine_thres / 255.)

        self.cleaning = UNetCleaning(
            channels=cleaning_channels, levels=cleaning_levels, blocks=cleaning_blocks,
            skip=cleaning_skip)
        self.basicvsr = LQSkipBasicVSRNet(
            mid_channels=mid_channels, num_blocks=num_propagation_blocks,
            spynet_pretrained=spynet_pretrained, hr_channels=hr_channels,
            flow_downscale=flow_downscale, hr_lq_input=hr_lq_input)
        head = dict(denoise_head or {})
        self.radius = head.pop('radius', 2)
        shrinkage = head.pop('shrinkage', None) or {}
        self.denoise_head = None if denoise_head is None else TemporalDenoiseHead(**head)
        self.shrinkage = None if denoise_head is None else DCTShrinkage(**shrinkage)
        self.noise_profile = NoiseProfile()
        self.noise_sigma = None  # the clip's profile, else estimated per call
        self.noise_coarseness = None
        self.strength = 1.
        if is_fix_cleaning:
            self.cleaning.requires_grad_(False)
        if is_fix_spynet:
            self.basicvsr.spynet.requires_grad_(False)
        if is_fix_basicvsr:
            self.basicvsr.requires_grad_(False)

    def init_weights(self):
        super().init_weights()
        # the SPyNet of spynet_pretrained (loaded at construction) wins over theirs
        keep = (SPYNET_WEIGHTS, ) if self.spynet_pretrained is not None else ()
        for path in (self.realbasicvsr_pretrained, self.init_from):
            if path is not None:
                load_generator_weights(self, path, keep=keep)

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
        if self.denoise_head is None:
            outputs = self.basicvsr(cleaned, padded)[..., :h, :w]
        else:
            self.basicvsr.check_if_mirror_extended(cleaned)
            flows = self.basicvsr.compute_flow(cleaned)
            if flows[0] is None:
                flows = (flows[1].flip(1), flows[1])
            outputs = self.basicvsr(cleaned, padded, flows=flows)
            outputs = self.refine(outputs, padded, lqs, flows)[..., :h, :w]
        if return_lqs:
            return outputs, cleaned[..., :-(-h // 4), :-(-w // 4)]
        return outputs

    def forward_cached(self, lqs, keys, cache):
        """Restore a sequence reusing the work of earlier, overlapping calls (fast path,
        :meth:`StreamingGenerator.forward_cached`).

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
            keys (list[int]): the frames' indices in the video, consecutive; equal keys
                must mean equal frames.
            cache (dict): filled here: ``'clean'``: key -> ``(3, h, w)`` cleaned frame;
                ``'flow'``: (key_i, key_i+1) -> (forward, backward) flows ``(2, h, w)``,
                ``h, w`` = padded ``H/4, W/4``. :meth:`prune_cache` trims it.

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
        outputs = self.basicvsr(cleaned, padded, flows=flows)
        if self.denoise_head is not None:
            outputs = self.refine(outputs, padded, lqs, flows)
        return outputs[..., :h, :w]

    def prune_cache(self, cache, first_key):
        """Drop cleaned frames before ``first_key`` and the flows of pairs that start
        before it (:meth:`StreamingGenerator.prune_cache`)."""
        cleaned_of, flow_of = cache.get('clean', {}), cache.get('flow', {})
        for key in [k for k in cleaned_of if k < first_key]:
            del cleaned_of[key]
        for pair in [p for p in flow_of if p[0] < first_key]:
            del flow_of[pair]

    def compile_parts(self):
        """The cleaning U-net, the denoise head and BasicVSR's per-frame layers
        (:meth:`StreamingGenerator.compile_parts`)."""
        names = ['cleaning'] + ['denoise_head'] * (self.denoise_head is not None)
        names += [f'basicvsr.{n}' for n in ('spynet', 'backward_resblocks',
                                            'forward_resblocks', 'fusion', 'upsample1',
                                            'upsample2', 'conv_hr', 'conv_last')]
        return [(name, self.get_submodule(name)) for name in names]

    def set_noise_profile(self, sigma, coarseness=None):
        """Use the clip profile ``sigma`` ``(num_bins,)`` (:meth:`NoiseProfile.estimate`)
        and its ``coarseness`` (:meth:`NoiseProfile.coarseness`) for every call, instead
        of estimating them per call; ``None`` goes back."""
        self.noise_sigma = None if sigma is None else torch.as_tensor(sigma).float()
        self.noise_coarseness = None if sigma is None else coarseness

    def refine(self, outputs, padded, lqs, flows):
        """Run the denoise head on every frame (``denoise_head``).

        Args:
            outputs, padded (Tensor): BasicVSR outputs and the padded LQ frames,
                ``(n, t, 3, H, W)``.
            lqs (Tensor): the unpadded LQ frames (the noise profile is estimated on them).
            flows (tuple[Tensor, Tensor]): ``(forward, backward)`` 1/4-size flows
                ``(n, t-1, 2, H/4, W/4)``: ``forward[:, i-1]`` warps frame ``i-1`` onto
                ``i``, ``backward[:, i]`` frame ``i+1`` onto ``i``.

        Returns:
            Tensor: ``(n, t, 3, H, W)``. At a sequence's end the shrinkage uses the
            frames there are (a single frame: 2D) and the head's missing neighbour is the
            other one.
        """
        n, t, c, h, w = padded.size()
        strength = float(self.strength)
        if strength <= 0:
            return padded
        with torch.no_grad():
            if self.noise_sigma is not None:
                sigmas = [self.noise_sigma.to(lqs)] * n
                coarse = [self.noise_coarseness] * n
            else:
                sigmas = [self.noise_profile.estimate(clip) for clip in lqs.detach()]
                coarse = [self.noise_profile.coarseness(clip) if self.shrinkage.wiener ==
                          'auto' else None for clip in lqs.detach()]
        # clips of a batch whose noise takes different shrinkage passes run apart
        groups = {}
        for b, value in enumerate(coarse):
            groups.setdefault(self.shrinkage.uses_wiener(value), []).append(b)
        refined = []
        for i in range(t):
            base, lq = outputs[:, i], padded[:, i]
            aligned = self._aligned(padded, flows, i)
            prev = aligned.get(-1, aligned.get(1, lq))
            nxt = aligned.get(1, aligned.get(-1, lq))
            with torch.no_grad():
                sigma = torch.cat([
                    self.noise_profile.noise_map(base[b:b + 1].detach().clamp(0, 1),
                                                 sigmas[b])
                    for b in range(n)]) * max(strength, 1.)
                offsets = sorted(aligned)
                stack = [aligned[o] for o in offsets]
                if len(groups) == 1:  # inference (n = 1), and most training batches
                    pilot = self.shrinkage(stack, offsets.index(0), sigma, coarse[0])
                else:
                    pilot = torch.empty_like(lq)
                    for idx in groups.values():
                        pilot[idx] = self.shrinkage([f[idx] for f in stack],
                                                    offsets.index(0), sigma[idx],
                                                    coarse[idx[0]])
            out = self.denoise_head(base, pilot, lq, prev, nxt, sigma)
            if strength < 1:
                out = lq + strength * (out - lq)
            refined.append(out)
        return torch.stack(refined, dim=1)

    def _aligned(self, padded, flows, i):
        """Frames ``i + o`` (``|o| <= radius``) warped onto frame ``i``: ``{o: frame}``.

        The flow to ``i + 2`` composes the flows of the pairs in between
        (``f_02 = f_01 + f_12(x + f_01)``), at the flows' 1/4 size.
        """
        t = padded.size(1)
        aligned = {0: padded[:, i]}
        for step, table in ((-1, flows[0]), (1, flows[1])):
            flow = None
            for o in range(1, self.radius + 1):
                j = i + step * o
                if not 0 <= j < t:
                    break
                # forward[:, j]: from frame j + 1 to j; backward[:, j - 1]: from j - 1 to j
                f = table[:, j] if step < 0 else table[:, j - 1]
                flow = f if flow is None else flow + flow_warp(f, flow.permute(0, 2, 3, 1),
                                                                padding_mode='border')
                aligned[step * o] = self._warp(padded[:, j], flow)
        return aligned

    @staticmethod
    def _warp(frame, flow):
        """Warp ``frame (n, 3, H, W)`` with a 1/s-size ``flow (n, 2, H/s, W/s)``."""
        h, w = frame.shape[-2:]
        fh, fw = flow.shape[-2:]
        flow = F.interpolate(flow, size=(h, w), mode='bilinear', align_corners=False)
        flow = flow * flow.new_tensor([w / fw, h / fh]).view(1, 2, 1, 1)
        return flow_warp(frame, flow.permute(0, 2, 3, 1), padding_mode='border')
