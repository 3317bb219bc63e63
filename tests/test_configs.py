"""The training configs: thesis hyper-parameters (appendix 8.1), inheritance, models."""
import re

import pytest
import torch
from conftest import REPO
from mmengine import Config
from mmengine.registry import init_default_scope

import mmrestore.registry  # noqa: F401  (registers the generator and transforms)
from mmagic.registry import MODELS
from mmrestore.engine import drop_init_weights, missing_files

CONFIGS = REPO / 'configs'
VARIANTS = {  # name: (levels, residual blocks per level, skip), thesis 5.3.1
    '3lev_1res_wS': (3, 1, True),
    '2lev_1res_wS': (2, 1, True),
    '4lev_1res_wS': (4, 1, True),
    '3lev_2res_wS': (3, 2, True),
    '3lev_1res_woS': (3, 1, False),
}
STAGE1 = list(VARIANTS)
STAGE2 = [f'{v}_gan' for v in VARIANTS]
FINETUNE = ['2lev_1res_wS_finetune', '2lev_1res_wS_finetune_lowlight']
ALL = STAGE1 + STAGE2 + FINETUNE


def load(name):
    return Config.fromfile(str(CONFIGS / f'{name}.py'))


def variant_of(name):
    return next(v for v in sorted(VARIANTS, key=len, reverse=True) if name.startswith(v))


@pytest.mark.parametrize('name', ALL)
def test_common_settings(name):
    cfg = load(name)
    assert cfg.custom_imports == dict(imports=['mmrestore.registry'], allow_failed_imports=False)
    assert cfg.work_dir == f'./work_dirs/{name}'
    assert cfg.model.type == 'RealBasicVSR'
    gen = cfg.model.generator
    assert gen.type == 'UNetRealBasicVSRNet'
    levels, blocks, skip = VARIANTS[variant_of(name)]
    assert (gen.cleaning_levels, gen.cleaning_blocks, gen.cleaning_skip) == (
        levels, blocks, skip)
    assert (gen.mid_channels, gen.num_propagation_blocks) == (64, 20)
    assert gen.dynamic_refine_thres is None  # theta = 255: no dynamic refinement
    # Charbonnier with epsilon = 1e-8 under the square root as epsilon^2
    for loss in (cfg.model.pixel_loss, cfg.model.cleaning_loss):
        assert loss.type == 'CharbonnierLoss' and loss.eps == 1e-16
    assert cfg.model.is_use_ema
    # same-size pairs: MMagic's chain, then the bilinear resize back to the GT size
    steps = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    chain = steps.index('DegradationsWithShuffle')
    assert steps[:2] == ['GenerateSegmentIndices', 'LoadImageFromFile']
    assert {'RandomBlur', 'RandomResize', 'RandomNoise', 'RandomJPEGCompression',
            'RandomVideoCompression', 'MirrorSequence'} <= set(steps[:chain])
    assert steps[chain + 1] == 'SameSizeResize'
    assert steps[-2:] == ['Clip', 'PackInputs']
    assert cfg.val_dataloader is None and cfg.val_evaluator is None
    assert [m['type'] for m in cfg.test_evaluator.metrics] == ['PI', 'MSEToInput']
    assert cfg.default_hooks.checkpoint.out_dir is None  # checkpoints in work_dir
    assert 'TensorboardVisBackend' in [b['type'] for b in cfg.visualizer.vis_backends]


def test_configs_inherit_mmagic_and_state_only_the_difference():
    text = {p.name: p.read_text() for p in CONFIGS.rglob('*.py')}
    assert ("'mmagic::real_basicvsr/realbasicvsr_wogan-c64b20-2x30x8_8xb2-lr1e-4-300k_"
            "reds.py'") in text['stage1.py']
    assert ("'mmagic::real_basicvsr/realbasicvsr_c64b20-1x30x8_8xb1-lr5e-5-150k_"
            "reds.py'") in text['stage2.py']
    for name in ALL:
        assert len(text[f'{name}.py'].splitlines()) <= 30, name
    # the degradation chain is MMagic's, not a copy
    assert not any('RandomBlur' in t for t in text.values())


@pytest.mark.parametrize('name', STAGE1)
def test_stage1(name):
    cfg = load(name)
    assert cfg.model.generator.realbasicvsr_pretrained == cfg.realbasicvsr_checkpoint
    assert not cfg.model.generator.is_fix_cleaning
    assert cfg.model.get('discriminator') is None
    assert cfg.model.get('perceptual_loss') is None
    assert cfg.train_cfg.max_iters == 10_000
    assert cfg.train_dataloader.batch_size == 3
    assert cfg.optim_wrapper.generator.optimizer.type == 'Adam'
    assert cfg.optim_wrapper.generator.optimizer.lr == 1e-4
    assert cfg.param_scheduler.type == 'CosineAnnealingLR'
    assert cfg.param_scheduler.T_max == 10_000 and not cfg.param_scheduler.by_epoch


@pytest.mark.parametrize('name', STAGE2 + FINETUNE)
def test_stage2_and_finetune(name):
    cfg = load(name)
    model = cfg.model
    assert model.generator.is_fix_cleaning
    assert model.generator.realbasicvsr_pretrained is None  # weights from load_from
    assert model.perceptual_loss.type == 'OfflinePerceptualLoss'
    assert model.perceptual_loss.layer_weights == {
        '2': 0.1, '7': 0.1, '16': 1.0, '25': 1.0, '34': 1.0}
    assert model.perceptual_loss.vgg_type == 'vgg19'
    assert model.perceptual_loss.pretrained == cfg.vgg19_checkpoint
    assert model.discriminator.type == 'UNetDiscriminatorWithSpectralNorm'
    assert model.gan_loss.type == 'GANLoss' and model.gan_loss.loss_weight == 5e-2
    assert cfg.train_dataloader.batch_size == 1
    assert cfg.optim_wrapper.generator.optimizer.lr == 5e-5
    if name in FINETUNE:
        assert cfg.train_cfg.max_iters == 3_000
        assert cfg.load_from == './work_dirs/2lev_1res_wS_gan/iter_2000.pth'
        assert cfg.train_dataloader.dataset.data_root == 'data/finetune'
    else:
        assert cfg.train_cfg.max_iters == 2_000
        assert cfg.load_from == f'./work_dirs/{variant_of(name)}/iter_10000.pth'


def test_lowlight_finetune_switches_the_noise_on():
    steps = load('2lev_1res_wS_finetune_lowlight').train_dataloader.dataset.pipeline
    types = [t['type'] for t in steps]
    noise = steps[types.index('RandomLowLightNoise')]
    assert types.index('RandomLowLightNoise') == types.index('SameSizeResize') + 1
    assert noise.params.shot_noise_step > 0 and noise.params.read_noise_step > 0
    assert 'RandomLowLightNoise' not in [
        t['type'] for t in load('2lev_1res_wS_finetune').train_dataloader.dataset.pipeline]


def test_final_model_builds():
    """The real-size editor of the final variant builds (without released weights)."""
    cfg = load('2lev_1res_wS')
    cfg.model.generator.realbasicvsr_pretrained = None
    init_default_scope('mmagic')
    model = MODELS.build(cfg.model)
    assert model.generator.cleaning.levels == 2 and model.generator_ema is not None
    # a frozen SPyNet, everything else trained
    trained = {n.split('.')[0] for n, p in model.generator.named_parameters()
               if p.requires_grad}
    assert trained == {'cleaning', 'basicvsr'}
    assert not any(p.requires_grad for p in model.generator.basicvsr.spynet.parameters())


@pytest.mark.parametrize('name', STAGE1)
def test_variant_generators_build(name):
    """Each variant's generator has its U-net (levels, skip) and is a real-size net."""
    cfg = load(name)
    cfg.model.generator.realbasicvsr_pretrained = None
    init_default_scope('mmagic')
    generator = MODELS.build(cfg.model.generator)
    levels, blocks, skip = VARIANTS[name]
    assert generator.cleaning.levels == levels
    assert generator.cleaning.skip == skip
    assert len(generator.basicvsr.backward_resblocks.main[2]) == 20  # residual blocks


def random_vgg19_file(tmp_path):
    """A VGG19 features file of random weights (torchvision's layout): (path, layers)."""
    import torchvision.models.vgg as tv_vgg
    features = tv_vgg.make_layers(tv_vgg.cfgs['E'])[:35]
    path = tmp_path / 'vgg.pth'
    torch.save({f'features.{k}': v for k, v in features.state_dict().items()}, path)
    return str(path), features


def test_offline_perceptual_loss_needs_its_file(tmp_path):
    init_default_scope('mmagic')
    cfg = load('2lev_1res_wS_gan')
    cfg.model.perceptual_loss.pretrained = str(tmp_path / 'missing_vgg19.pth')
    with pytest.raises(FileNotFoundError, match='missing_vgg19.pth'):
        MODELS.build(cfg.model.perceptual_loss)
    # a local file is used as is (here: random features of the right shapes)
    vgg, features = random_vgg19_file(tmp_path)
    loss = MODELS.build(dict(cfg.model.perceptual_loss, pretrained=vgg))
    assert torch.equal(loss.vgg.vgg_layers[34].weight, features[34].weight)
    x = torch.rand(2, 3, 32, 32)
    percep, style = loss(x, x.flip(-1))
    assert percep > 0 and style is None  # style_weight 0 as MMagic's config
    assert loss(x, x)[0] == 0


def test_missing_files_lists_weights_checkpoints_and_data(tmp_path):
    cfg = load('2lev_1res_wS_gan')
    cfg.model.generator.spynet_pretrained = 'https://example.org/spynet.pth'
    problems = missing_files(cfg)
    assert any('spynet_pretrained is a URL' in p for p in problems)
    assert any('perceptual_loss.pretrained' in p and 'vgg19' in p for p in problems)
    assert any(p.startswith('load_from: checkpoint not found') for p in problems)
    assert any('train_dataloader.dataset.data_prefix' in p for p in problems)
    (tmp_path / 'clip').mkdir()
    (tmp_path / 'clip' / '00000000.png').touch()
    weights = tmp_path / 'w.pth'
    weights.touch()
    cfg.model.generator.spynet_pretrained = str(weights)
    cfg.model.perceptual_loss.pretrained = str(weights)
    cfg.load_from = str(weights)
    cfg.train_dataloader.dataset.update(data_root=str(tmp_path), data_prefix=dict(
        img='', gt=''))
    assert missing_files(cfg) == []
    drop_init_weights(cfg)
    assert cfg.model.perceptual_loss is None and cfg.model.generator.spynet_pretrained is None


def test_base_references_exist():
    """Every relative _base_ of the configs exists."""
    for path in CONFIGS.glob('*.py'):
        for ref in re.findall(r"'\./([\w/]+\.py)'", path.read_text()):
            assert (CONFIGS / ref).is_file(), (path.name, ref)


def test_thesis_perceptual_criterion_config(tmp_path):
    """2lev_1res_wS_gan_l2percep: eq. 4.20 (mean of squares), the rest as 2lev_1res_wS_gan."""
    init_default_scope('mmagic')
    cfg, base = load('2lev_1res_wS_gan_l2percep'), load('2lev_1res_wS_gan')
    assert cfg.model.perceptual_loss.criterion == 'mse'
    assert cfg.model.generator == base.model.generator
    assert cfg.load_from == base.load_from
    vgg, _ = random_vgg19_file(tmp_path)
    l2 = MODELS.build(dict(cfg.model.perceptual_loss, pretrained=vgg))
    l1 = MODELS.build(dict(base.model.perceptual_loss, pretrained=vgg))
    x = torch.rand(1, 3, 32, 32)
    y = x + 0.3 * torch.randn_like(x)
    # the squared criterion weighs large feature differences more: ratio differs from 1
    assert not torch.isclose(l2(x, y)[0], l1(x, y)[0])
    assert l2(x, x)[0] == 0


DEFAULT_LITE = [f'default_lite_stage{i}' for i in range(1, 7)]


def test_default_lite_has_one_config_per_stage():
    """The default model's training: each stage inherits the previous one and starts from
    its result (load_from or init_from: our own checkpoints; realbasicvsr_pretrained is
    for RealBasicVSR's weights, unused here); only the last stage's header says 'last'."""
    for i, name in enumerate(DEFAULT_LITE):
        text = (CONFIGS / f'{name}.py').read_text()
        base = re.search(r"^_base_ = '\./(\w+)\.py'$", text, re.M).group(1)
        assert base == (DEFAULT_LITE[i - 1] if i else '2lev_1res_wS'), name
        header = text[:text.index('_base_')]
        assert bool(re.search(r'\blast\b', header)) == (name == DEFAULT_LITE[-1]), name
        cfg = load(name)
        assert cfg.work_dir == f'./work_dirs/{name}'
        gen = cfg.model.generator
        assert gen.realbasicvsr_pretrained is None, name  # none is available for it
        if i:
            start = cfg.load_from or gen.init_from
            assert f'/work_dirs/{DEFAULT_LITE[i - 1]}/' in start, (name, start)
