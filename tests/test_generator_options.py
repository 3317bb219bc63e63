"""Options of the generator beyond the thesis (used by the compact default model):
a light full-resolution head that sees the LQ frame, and SPyNet on downsampled frames.
Real bikes.mp4 / bigbuckbunny.mp4 frames, random weights."""
import pytest
import torch
import torch.nn as nn
from conftest import bundled_clip, frames_to_tensor, read_frames

import mmrestore.registry  # noqa: F401
from mmagic.models.editors import BasicVSRNet
from mmrestore.models import LQSkipBasicVSRNet, UNetRealBasicVSRNet

LIGHT = dict(hr_channels=16, hr_lq_input=True, flow_downscale=2)


def build(**kw):
    torch.manual_seed(0)
    return UNetRealBasicVSRNet(mid_channels=16, num_propagation_blocks=2,
                               cleaning_channels=8, cleaning_levels=2, **kw).eval()


def test_defaults_are_basicvsr_layers():
    """Without the options every tensor has BasicVSRNet's name and shape (RealBasicVSR
    checkpoints load); with them only the full-resolution head changes shape."""
    ref = {k: v.shape for k, v in BasicVSRNet(16, 2).state_dict().items()}
    plain = {k: v.shape for k, v in LQSkipBasicVSRNet(16, 2).state_dict().items()}
    assert plain == ref
    light = {k: v.shape for k, v in LQSkipBasicVSRNet(16, 2, **LIGHT).state_dict().items()}
    assert set(light) == set(ref)
    changed = {k for k in ref if light[k] != ref[k]}
    assert changed == {'upsample2.upsample_conv.weight', 'upsample2.upsample_conv.bias',
                       'conv_hr.weight', 'conv_hr.bias', 'conv_last.weight'}
    assert light['conv_hr.weight'] == (16, 16 + 3, 3, 3)


@pytest.mark.parametrize('size', [(64, 112), (67, 101)])
def test_light_model_shapes_and_gradients(size):
    lqs = frames_to_tensor(read_frames(bundled_clip('bikes.mp4'), 3, size=size))
    model = build(**LIGHT).train()
    out = model(lqs)
    assert out.shape == lqs.shape and torch.isfinite(out).all()
    out.mean().backward()
    for name, p in model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize('hr_lq_input', [False, True])
def test_correction_sees_sub_grid_detail_only_with_hr_lq_input(bunny_frames, hr_lq_input):
    """Same 1/4-size frames, two LQ frames that differ only in detail finer than the
    grid: the correction added to the LQ frame is identical without ``hr_lq_input`` (the
    thesis's design, so such noise passes through) and differs with it."""
    torch.manual_seed(0)
    net = LQSkipBasicVSRNet(16, 2, hr_channels=16, hr_lq_input=hr_lq_input).eval()
    lqs = frames_to_tensor(bunny_frames[:3])
    lrs = nn.functional.avg_pool2d(lqs[0], 4).unsqueeze(0)
    checker = (torch.arange(lqs.shape[-1]) % 2).float() - 0.5  # zero mean per 4 px
    detailed = lqs + 0.1 * checker
    with torch.no_grad():
        corr_a = net(lrs, lqs) - lqs
        corr_b = net(lrs, detailed) - detailed
    diff = (corr_a - corr_b).abs()
    if hr_lq_input:
        assert diff.mean() > 1e-4
    else:  # equal up to the round-off of adding and subtracting the LQ frame
        assert diff.max() < 1e-6


class ConstantFlow(nn.Module):
    """Stand-in flow net: (1.5, -0.5) pixels everywhere on the grid it is given."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, ref, supp):
        self.seen.append(tuple(ref.shape[-2:]))
        n, _, h, w = ref.shape
        return torch.tensor([1.5, -0.5]).view(1, 2, 1, 1).expand(n, 2, h, w).clone()


@pytest.mark.parametrize('scale', [1, 2, 3])
def test_flow_downscale_rescales_flow(scale):
    """SPyNet gets frames ``scale`` times smaller; its flow comes back at the frames'
    size with the displacement in their pixels (x ``w / ws``, ``h / hs``)."""
    net = LQSkipBasicVSRNet(8, 1, flow_downscale=scale)
    net.spynet = ConstantFlow()
    net.is_mirror_extended = False
    lrs = torch.rand(1, 3, 3, 24, 36)
    fwd, bwd = net.compute_flow(lrs)
    assert net.spynet.seen == [(24 // scale, 36 // scale)] * 2
    for flow in (fwd, bwd):
        assert flow.shape == (1, 2, 2, 24, 36)
        torch.testing.assert_close(flow[:, :, 0], torch.full_like(flow[:, :, 0], 1.5 * scale))
        torch.testing.assert_close(flow[:, :, 1], torch.full_like(flow[:, :, 1], -0.5 * scale))


def test_flow_downscale_rejects_bad_values():
    with pytest.raises(ValueError, match='flow_downscale'):
        LQSkipBasicVSRNet(8, 1, flow_downscale=0)


def test_light_model_reuse_equals_forward():
    """The fast path (cleaning and flows cached across passes) with the options on."""
    lqs = frames_to_tensor(read_frames(bundled_clip('bikes.mp4'), 6, size=(64, 112)))
    model = build(**LIGHT)
    cache = {}
    with torch.inference_mode():
        plain = model(lqs)
        model.forward_cached(lqs[:, :4], list(range(4)), cache)
        fast = model.forward_cached(lqs, list(range(6)), cache)
    torch.testing.assert_close(fast, plain, atol=1e-5, rtol=0)
