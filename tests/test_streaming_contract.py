"""The streaming contract (issue 15): the runner reaches a generator's fast path only
through ``StreamingGenerator``; any other generator runs the plain way. Real bikes.mp4
frames, tiny random generators."""
import numpy as np
import pytest
import torch
import torch.nn as nn
from conftest import bundled_clip, frames_to_tensor, read_frames
from test_fast_path import Counter, tiny_unet

import mmrestore  # noqa: F401
from mmagic.models.editors import BasicVSRNet, RealBasicVSRNet
from mmrestore.apis import SequenceRunner
from mmrestore.apis.sequence_runner import compile_model
from mmrestore.models import UNetRealBasicVSRNet
from mmrestore.models.streaming import StreamingGenerator


@pytest.fixture(scope='module')
def bikes():
    """12 real bikes.mp4 frames at 64x112 (uint16, so 1-LSB changes show)."""
    frames = read_frames(bundled_clip('bikes.mp4'), 12, size=(64, 112), start=60)
    return [f.astype(np.uint16) * 257 for f in frames]


class Plain(nn.Module):
    """A generator without the interface (its ``forward_cached`` is not the contract)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, lqs):
        return self.net(lqs)

    def forward_cached(self, lqs, keys, cache):
        raise AssertionError('not a StreamingGenerator: must not be called')


class Spy(UNetRealBasicVSRNet):
    """The thesis generator recording the runner's calls of the interface."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = []

    def forward_cached(self, lqs, keys, cache):
        self.calls.append(('forward_cached', list(keys)))
        return super().forward_cached(lqs, keys, cache)

    def prune_cache(self, cache, first_key):
        self.calls.append(('prune_cache', first_key))
        super().prune_cache(cache, first_key)


def restore(model, frames, reuse):
    runner = SequenceRunner(model, 'cpu', max_seq_len=8, overlap=2, reuse=reuse)
    return np.stack(list(runner.run(frames))), runner


def test_which_generators_stream():
    assert isinstance(tiny_unet(), StreamingGenerator)
    for net in (RealBasicVSRNet(mid_channels=8, num_propagation_blocks=1,
                                num_cleaning_blocks=1), BasicVSRNet(8, 1), Plain(None)):
        assert not isinstance(net, StreamingGenerator)

    class Partial(nn.Module, StreamingGenerator):
        def forward_cached(self, lqs, keys, cache):
            pass

    with pytest.raises(TypeError, match='abstract'):
        Partial()


def test_generator_without_interface_runs_plain(bikes):
    """reuse=True on a generator without the interface: every pass is ``model(lqs)``
    (frames cleaned again in every pass) and the output is the plain path's, bit for
    bit; the runner's cache stays empty."""
    net = tiny_unet()
    count = Counter(net)
    ref, _ = restore(net, bikes, reuse=False)
    plain_cost = count.cleaned
    count.cleaned = 0
    out, runner = restore(Plain(net), bikes, reuse=True)
    assert not runner.reuse and runner.cache == {}
    assert count.cleaned == plain_cost > len(bikes)
    np.testing.assert_array_equal(out, ref)


def test_runner_calls_the_interface(bikes):
    """Each pass prunes the cache to its first frame, then runs ``forward_cached`` with
    the window's frame indices; the cache then holds the last pass's frames only."""
    torch.manual_seed(0)
    model = Spy(mid_channels=8, num_propagation_blocks=1, cleaning_channels=8,
                cleaning_levels=2).eval()
    _, runner = restore(model, bikes, reuse=True)
    passes = [(0, 6), (2, 10), (6, 12)]  # L = 8, K = 2: cores [0, 4) [4, 8) [8, 12)
    assert model.calls == [call for a, b in passes for call in
                           (('prune_cache', a), ('forward_cached', list(range(a, b))))]
    assert sorted(runner.cache['clean']) == list(range(6, 12))


def test_prune_keeps_exactly_what_the_next_pass_needs(bikes):
    """After pruning to the next pass's first frame the cache holds that frame and the
    later ones (and their pairs' flows) and nothing else; the next pass then computes
    only its new frames and pairs, with the output of a cold cache, bit for bit (a
    cached value depends on its own frames only)."""
    model = tiny_unet()
    count = Counter(model)
    lqs = frames_to_tensor(read_frames(bundled_clip('bikes.mp4'), 12, size=(64, 112)))
    cache = {}
    with torch.inference_mode():
        model.forward_cached(lqs[:, :8], list(range(8)), cache)
        model.prune_cache(cache, 4)
        assert sorted(cache['clean']) == [4, 5, 6, 7]
        assert sorted(cache['flow']) == [(4, 5), (5, 6), (6, 7)]
        count.cleaned = count.flows = 0
        warm = model.forward_cached(lqs[:, 4:], list(range(4, 12)), cache)
        assert count.cleaned == 4 and count.flows == 2 * 4  # frames 8-11, pairs 7-8 .. 10-11
        cold = model.forward_cached(lqs[:, 4:], list(range(4, 12)), {})
    assert torch.equal(warm, cold)


def test_compile_parts_are_submodules():
    """``compile_parts`` names real submodules, and together they hold every parameter
    (no layer is left out of compilation); ``compile_model`` compiles exactly them."""
    for model in (tiny_unet(), UNetRealBasicVSRNet(
            mid_channels=8, num_propagation_blocks=1, cleaning_channels=8, cleaning_levels=2,
            hr_channels=8, hr_lq_input=True, denoise_head=dict(channels=8, num_blocks=1))):
        parts = model.compile_parts()
        names = [name for name, _ in parts]
        assert len(set(names)) == len(names)
        assert {'cleaning', 'basicvsr.spynet', 'basicvsr.forward_resblocks'} <= set(names)
        assert ('denoise_head' in names) == (model.denoise_head is not None)
        for name, module in parts:
            assert model.get_submodule(name) is module
        covered = {id(p) for _, module in parts for p in module.parameters()}
        assert covered == {id(p) for p in model.parameters()}
        assert compile_model(model, backend='eager') == names


def test_compile_model_compiles_other_generators_whole():
    net = RealBasicVSRNet(mid_channels=8, num_propagation_blocks=1, num_cleaning_blocks=1)
    assert compile_model(net, backend='eager') == ['']
