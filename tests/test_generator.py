"""The thesis generator on real frames: shapes, gradients, LQ skip, RealBasicVSR weights."""
import pytest
import torch
from conftest import bundled_clip, frames_to_tensor, read_frames

import mmrestore.registry  # noqa: F401  (registers the models)
from mmagic.models.editors import RealBasicVSRNet
from mmagic.models.editors.basicvsr.basicvsr_net import SPyNet
from mmagic.registry import MODELS
from mmrestore.models import (LQSkipBasicVSRNet, UNetCleaning, UNetRealBasicVSRNet,
                              load_generator_weights)

VARIANTS = {
    '3lev_1res_wS': dict(cleaning_levels=3, cleaning_blocks=1, cleaning_skip=True),
    '2lev_1res_wS': dict(cleaning_levels=2, cleaning_blocks=1, cleaning_skip=True),
    '4lev_1res_wS': dict(cleaning_levels=4, cleaning_blocks=1, cleaning_skip=True),
    '3lev_2res_wS': dict(cleaning_levels=3, cleaning_blocks=2, cleaning_skip=True),
    '3lev_1res_woS': dict(cleaning_levels=3, cleaning_blocks=1, cleaning_skip=False),
}
SMALL = dict(mid_channels=16, num_propagation_blocks=2, cleaning_channels=8)


def small(variant='2lev_1res_wS', **kw):
    torch.manual_seed(0)
    return UNetRealBasicVSRNet(**SMALL, **VARIANTS[variant], **kw)


@pytest.mark.parametrize('variant', list(VARIANTS))
@pytest.mark.parametrize('size', [(64, 112), (67, 101), (90, 160)])
def test_output_shapes_any_size(variant, size):
    lqs = frames_to_tensor(read_frames(bundled_clip('bikes.mp4'), 3, size=size))
    model = small(variant).eval()
    with torch.no_grad():
        out, cleaned = model(lqs, return_lqs=True)
    h, w = size
    assert out.shape == (1, 3, 3, h, w)
    assert cleaned.shape == (1, 3, 3, -(-h // 4), -(-w // 4))
    assert torch.isfinite(out).all()


def test_cleaning_pyramid_structure():
    """Each level halves the resolution and doubles the channels."""
    clean = UNetCleaning(channels=8, levels=3, blocks=2)
    feats = []
    hooks = [enc.register_forward_hook(lambda m, i, o: feats.append(o.shape))
             for enc in clean.encoders]
    out = clean(torch.rand(2, 3, 64, 96))
    for h in hooks:
        h.remove()
    assert out.shape == (2, 3, 16, 24)
    assert feats == [(2, 8, 16, 24), (2, 16, 8, 12), (2, 32, 4, 6)]
    assert len(clean.encoders[0]) == len(clean.decoders[0]) == 2


def test_skip_over_cleaning_module(bunny_frames):
    """With the skip and a zero output conv the module returns the area-downsampled LQ."""
    x = frames_to_tensor(bunny_frames)[0]
    with_skip = UNetCleaning(channels=8, levels=2)
    torch.nn.init.zeros_(with_skip.conv_last.weight)
    torch.nn.init.zeros_(with_skip.conv_last.bias)
    expected = torch.nn.functional.interpolate(x, scale_factor=0.25, mode='area')
    torch.testing.assert_close(with_skip(x), expected)
    without = UNetCleaning(channels=8, levels=2, skip=False)
    without.load_state_dict(with_skip.state_dict())
    assert without(x).abs().max() == 0


def test_lq_skip_returns_lq_when_conv_last_is_zero(bunny_frames):
    lqs = frames_to_tensor(bunny_frames[:4])
    model = small().eval()
    torch.nn.init.zeros_(model.basicvsr.conv_last.weight)
    torch.nn.init.zeros_(model.basicvsr.conv_last.bias)
    with torch.no_grad():
        out = model(lqs)
    assert torch.equal(out, lqs)


def test_lq_skip_basicvsr_equals_basicvsr_without_lq(bunny_frames):
    """Without an LQ skip the subclass is MMagic's BasicVSRNet, tensor for tensor."""
    from mmagic.models.editors import BasicVSRNet
    torch.manual_seed(0)
    ours = LQSkipBasicVSRNet(16, 2).eval()
    ref = BasicVSRNet(16, 2).eval()
    ref.load_state_dict(ours.state_dict())
    lrs = frames_to_tensor(bunny_frames[:4])
    with torch.no_grad():
        torch.testing.assert_close(ours(lrs), ref(lrs))


@pytest.mark.parametrize('variant', ['2lev_1res_wS', '3lev_1res_woS'])
def test_gradients_reach_every_trainable_parameter(variant, bunny_frames):
    model = small(variant).train()
    lqs = frames_to_tensor(bunny_frames[:3])
    out, cleaned = model(lqs, return_lqs=True)
    (out.mean() + cleaned.mean()).backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and not any(n.startswith('basicvsr.spynet') for n, _ in trainable)
    for name, p in trainable:
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_fix_cleaning_freezes_only_cleaning():
    model = small(is_fix_cleaning=True)
    assert not any(p.requires_grad for p in model.cleaning.parameters())
    assert all(p.requires_grad for n, p in model.basicvsr.named_parameters()
               if not n.startswith('spynet'))


def test_dynamic_refinement(bunny_frames):
    lqs = frames_to_tensor(bunny_frames[:3])
    once = small().eval()
    refined = small(dynamic_refine_thres=0.).eval()  # threshold 0: always 3 cleanings
    lazy = small(dynamic_refine_thres=255.).eval()  # never refines
    with torch.no_grad():
        _, c1 = once(lqs, return_lqs=True)
        _, c3 = refined(lqs, return_lqs=True)
        _, c_lazy = lazy(lqs, return_lqs=True)
    assert torch.equal(c1, c_lazy)
    assert not torch.allclose(c1, c3)


def _save_like_runner(module, path):
    """What MMEngine's CheckpointHook writes for an MMagic editor with EMA."""
    state = {}
    for prefix in ('generator.', 'generator_ema.'):
        state.update({prefix + k: v for k, v in module.state_dict().items()})
    torch.save({'meta': {'epoch': 0, 'iter': 300000, 'mmagic_version': '1.2.0'},
                'state_dict': state, 'message_hub': {}}, path)


@pytest.fixture(scope='module')
def realbasicvsr_ckpt(tmp_path_factory):
    torch.manual_seed(123)
    ref = RealBasicVSRNet(mid_channels=64, num_propagation_blocks=20, num_cleaning_blocks=20)
    path = tmp_path_factory.mktemp('rbvsr') / 'realbasicvsr_c64b20.pth'
    _save_like_runner(ref, path)
    return path, ref.basicvsr.state_dict()


@pytest.mark.parametrize('variant', list(VARIANTS))
def test_released_realbasicvsr_weights_load(variant, realbasicvsr_ckpt):
    path, expected = realbasicvsr_ckpt
    torch.manual_seed(7)
    model = UNetRealBasicVSRNet(**VARIANTS[variant], realbasicvsr_pretrained=str(path))
    model.init_weights()  # what the runner does
    torch.manual_seed(7)
    fresh = UNetRealBasicVSRNet(**VARIANTS[variant])
    fresh.init_weights()
    got = model.basicvsr.state_dict()
    assert got.keys() == expected.keys()
    for name, tensor in expected.items():
        assert torch.equal(got[name], tensor), name
    # the cleaning module keeps its fresh initialisation
    for name, tensor in fresh.cleaning.state_dict().items():
        assert torch.equal(model.cleaning.state_dict()[name], tensor), name


def test_weights_report_and_bare_state_dict(realbasicvsr_ckpt, tmp_path):
    path, expected = realbasicvsr_ckpt
    model = UNetRealBasicVSRNet(cleaning_levels=2)
    report = load_generator_weights(model, str(path))
    n_basicvsr = len(expected)
    assert len(report['loaded']) == n_basicvsr
    assert report['prefix'] == 'generator_ema.'
    assert set(report['skipped']) == {k for k in RealBasicVSRNet().state_dict()
                                      if k.startswith('image_cleaning.')}
    assert all(k.startswith('cleaning.') for k in report['missing'])
    assert f'Loaded {n_basicvsr}/' in report['message'] and 'image_cleaning.*' in \
        report['message']
    # a bare generator state dict works too
    bare = tmp_path / 'bare.pth'
    torch.save(model.state_dict(), bare)
    other = UNetRealBasicVSRNet(cleaning_levels=2)
    rep = load_generator_weights(other, str(bare), strict=True)
    assert rep['prefix'] == '' and not rep['missing']
    for k, v in model.state_dict().items():
        assert torch.equal(other.state_dict()[k], v)


@pytest.mark.parametrize('key', ['realbasicvsr_pretrained', 'init_from'])
def test_spynet_file_read_once_and_it_wins(key, tmp_path, monkeypatch):
    """spynet_pretrained is read once, at construction; init_weights fills everything
    else from the checkpoint (which has another SPyNet) and leaves that SPyNet as it is."""
    from mmengine.runner.checkpoint import CheckpointLoader

    import mmrestore.models.weights as weights
    torch.manual_seed(1)
    spynet = {k: v for k, v in SPyNet(None).state_dict().items() if k not in ('mean', 'std')}
    spynet_file = str(tmp_path / 'spynet.pth')
    torch.save(spynet, spynet_file)
    other = small()
    ckpt = str(tmp_path / 'generator.pth')
    torch.save(other.state_dict(), ckpt)
    reads = []
    for owner, name in ((CheckpointLoader, 'load_checkpoint'),
                        (weights, 'load_checkpoint_file')):
        read = getattr(owner, name)
        monkeypatch.setattr(owner, name, lambda path, *a, _read=read, **kw: (
            reads.append(str(path)), _read(path, *a, **kw))[1])
    model = small(spynet_pretrained=spynet_file, **{key: ckpt})
    model.init_weights()
    assert reads == [spynet_file, ckpt]
    state = model.state_dict()
    for name, tensor in other.state_dict().items():
        if name.startswith('basicvsr.spynet.basic_module.'):
            tensor = spynet[name[len('basicvsr.spynet.'):]]
        assert torch.equal(state[name], tensor), name


def test_missing_weights_are_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='RealBasicVSR checkpoint not found'):
        UNetRealBasicVSRNet(realbasicvsr_pretrained=str(tmp_path / 'nope.pth'))
    with pytest.raises(FileNotFoundError, match='SPyNet weights not found'):
        UNetRealBasicVSRNet(spynet_pretrained=str(tmp_path / 'spynet.pth'))


def test_built_from_registry():
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmagic'):  # as in an MMagic runner
        model = MODELS.build(dict(type='UNetRealBasicVSRNet', **SMALL, cleaning_levels=2))
    assert isinstance(model, UNetRealBasicVSRNet)
    assert isinstance(model.basicvsr, LQSkipBasicVSRNet)


def test_cpu_forward_5_frames_270x480():
    """The thesis's full-width variant runs on a CPU at the benchmark size."""
    lqs = frames_to_tensor(read_frames(bundled_clip('bikes.mp4'), 5, size=(270, 480)))
    model = UNetRealBasicVSRNet(**VARIANTS['2lev_1res_wS']).eval()
    with torch.inference_mode():
        out = model(lqs)
    assert out.shape == lqs.shape and torch.isfinite(out).all()


def test_models_doc_is_generated_by_the_script(tmp_path):
    """docs/models.md is the output of tools/model_table.py, not typed by hand."""
    import subprocess
    import sys

    from conftest import REPO
    out = tmp_path / 'models.md'
    subprocess.run([sys.executable, str(REPO / 'tools/model_table.py'), '--out', str(out)],
                   check=True, capture_output=True)
    assert out.read_text() == (REPO / 'docs/models.md').read_text()
    assert '| 2lev_1res_wS | 3,484,894 |' in out.read_text()
