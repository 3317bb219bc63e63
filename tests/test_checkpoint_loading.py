"""One strict loading path for our models, whatever loads them.

Checkpoint shapes: a bare generator state dict, a runner checkpoint (``generator.*`` and
``generator_ema.*``), an EMA checkpoint (``generator_ema.*`` only, or MMEngine's
``EMAHook`` layout). Loaders: MMEngine's ``load_checkpoint`` (``tools/test.py``,
``load_from``, ``MMagicInferencer``) and ``load_generator`` (``tools/restore_video.py``).
Weights that do not fill the generator are refused in one line, unless asked for.
"""
import json
import os
import subprocess
import sys

import cv2
import pytest
import torch
from conftest import REPO, bundled_clip, read_frames
from mmengine import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

import mmrestore.registry  # noqa: F401  (registers the models, patches MMEngine's loading)
from mmagic.models.editors import RealBasicVSRNet
from mmagic.registry import MODELS
from mmrestore.apis.model_loader import ModelLoadError, load_generator
from mmrestore.models import UNetRealBasicVSRNet
from mmrestore.models.weights import WeightsMismatchError, fit_state_dict
from mmrestore.utils import allow_partial_weights

TINY = dict(mid_channels=8, num_propagation_blocks=1, cleaning_channels=8)
TINY_RBVSR = dict(mid_channels=8, num_propagation_blocks=1)
N_GENERATOR = len(UNetRealBasicVSRNet(**TINY, cleaning_levels=2).state_dict())


def generator(seed, **kw):
    torch.manual_seed(seed)
    return UNetRealBasicVSRNet(**{**TINY, 'cleaning_levels': 2, **kw})


@pytest.fixture(scope='module')
def cfg_file(tmp_path_factory):
    """The real 2lev_1res_wS config, tiny, tested on one folder of real frames."""
    root = tmp_path_factory.mktemp('cfg') / 'lowlight_test'
    (root / 'bikes').mkdir(parents=True)
    for i, img in enumerate(read_frames(bundled_clip('bikes.mp4'), 3, size=(64, 112))):
        cv2.imwrite(str(root / 'bikes' / f'{i:08d}.png'), img[..., ::-1])
    path = root.parent / 'tiny_cfg.py'
    path.write_text(
        f"_base_ = {str(REPO / 'configs' / '2lev_1res_wS.py')!r}\n"
        f"model = dict(generator=dict(realbasicvsr_pretrained=None, **{TINY!r}))\n"
        f"test_dataloader = dict(num_workers=0, dataset=dict(data_root={str(root)!r}))\n"
        "test_evaluator = dict(metrics=[dict(type='MSEToInput', sampling='all')])\n")
    return str(path)


def editor(cfg_file, seed=100):
    init_default_scope('mmagic')
    torch.manual_seed(seed)
    return MODELS.build(Config.fromfile(cfg_file).model)


def prefixed(prefix, module):
    state = module if isinstance(module, dict) else module.state_dict()
    return {f'{prefix}{k}': v for k, v in state.items()}


@pytest.fixture(scope='module')
def ckpts(tmp_path_factory):
    """Checkpoint files of every shape; ``a`` is the EMA generator, ``b`` the raw one."""
    a, b = generator(1), generator(2)
    folder = tmp_path_factory.mktemp('ckpts')
    files = {
        'bare': a.state_dict(),
        'runner': dict(meta=dict(iter=10), state_dict={
            **prefixed('generator.', b), **prefixed('generator_ema.', a),
            'discriminator.conv.weight': torch.zeros(1)}, optimizer={}),
        'ema_only': dict(state_dict=prefixed('generator_ema.', a)),
        'mmengine_ema': dict(meta={}, state_dict=prefixed('generator.', a),
                             ema_state_dict={**prefixed('module.generator.', b),
                                             'steps': torch.tensor(3)}),
        'ddp': {f'module.{k}': v for k, v in prefixed('generator.', a).items()},
        # released RealBasicVSR weights: basicvsr.* fits, image_cleaning.* is not ours
        'wrong': RealBasicVSRNet(num_cleaning_blocks=1, **TINY_RBVSR).state_dict(),
    }
    paths = {}
    for name, ckpt in files.items():
        paths[name] = str(folder / f'{name}.pth')
        torch.save(ckpt, paths[name])
    return paths, a.state_dict(), b.state_dict()


def assert_equal(module, expected):
    got = module.state_dict()
    assert got.keys() == expected.keys()
    for key, tensor in expected.items():
        assert torch.equal(got[key], tensor), key


# shape -> (generator, generator_ema) of the editor after loading ('a' or 'b')
EDITOR_EXPECTED = {'bare': 'aa', 'runner': 'ba', 'ema_only': 'aa', 'mmengine_ema': 'aa',
                   'ddp': 'aa'}


@pytest.mark.parametrize('shape', list(EDITOR_EXPECTED))
def test_mmengine_load_checkpoint_into_editor(shape, ckpts, cfg_file):
    """What tools/test.py, load_from and MMagicInferencer do: every shape loads."""
    paths, a, b = ckpts
    model = editor(cfg_file)
    load_checkpoint(model, paths[shape], map_location='cpu')
    gen, ema = ({'a': a, 'b': b}[c] for c in EDITOR_EXPECTED[shape])
    assert_equal(model.generator, gen)
    assert_equal(model.generator_ema, ema)


@pytest.mark.parametrize('shape', list(EDITOR_EXPECTED))
def test_mmengine_load_checkpoint_into_generator(shape, ckpts):
    """A generator gets the EMA tensors where there are both."""
    paths, a, _ = ckpts
    model = generator(9)
    load_checkpoint(model, paths[shape], map_location='cpu')
    assert_equal(model, a)


def test_distributed_editor(ckpts, cfg_file, tmp_path):
    """MMagic's distributed wrapper puts each generator in a DDP (``generator.module.*``
    in its state dict): the same checkpoints load (resume on several ranks)."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    paths, a, b = ckpts
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/pg', rank=0,
                            world_size=1)
    try:
        model = editor(cfg_file)
        model.generator = DistributedDataParallel(model.generator)
        model.generator_ema = DistributedDataParallel(model.generator_ema)
        load_checkpoint(model, paths['runner'], map_location='cpu')
        assert_equal(model.generator.module, b)
        assert_equal(model.generator_ema.module, a)
    finally:
        dist.destroy_process_group()


def test_mismatch_is_refused_in_one_line(ckpts, cfg_file):
    paths, _, _ = ckpts
    model = editor(cfg_file)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(WeightsMismatchError) as err:
        load_checkpoint(model, paths['wrong'], map_location='cpu')
    msg = str(err.value)
    assert '\n' not in msg and msg.startswith('bare state dict (-> generator, generator_ema)')
    assert f'of {2 * N_GENERATOR} generator tensors missing (e.g. generator.cleaning.' in msg
    assert 'generator tensors unexpected (e.g. generator.image_cleaning.' in msg
    assert 'generator_ema.cleaning.* x' in msg and 'generator_ema.image_cleaning.* x' in msg
    assert_equal(model, before)  # nothing half-loaded


def test_shape_mismatch_is_refused():
    other = generator(4, mid_channels=16).state_dict()
    with pytest.raises(WeightsMismatchError, match=r'^bare state dict: \d+ tensors of '
                       r'another shape \(e\.g\. basicvsr\.\S+ \(16, '):
        fit_state_dict(generator(5), other)


def test_partial_only_when_asked(ckpts, cfg_file, caplog):
    paths, _, _ = ckpts
    model = editor(cfg_file)
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    wrong = torch.load(paths['wrong'], weights_only=True)
    with allow_partial_weights():
        load_checkpoint(model, paths['wrong'], map_location='cpu')
    state = model.state_dict()
    shared = [k for k in wrong if f'generator.{k}' in state
              and wrong[k].shape == state[f'generator.{k}'].shape]
    assert shared and all(torch.equal(state[f'generator.{k}'], wrong[k]) for k in shared)
    kept = [k for k in state if k.startswith('generator.cleaning.')
            and k[len('generator.'):] not in shared]
    assert kept and all(torch.equal(state[k], fresh[k]) for k in kept)
    with pytest.raises(WeightsMismatchError):  # the opt-in does not outlive its block
        load_checkpoint(editor(cfg_file), paths['wrong'], map_location='cpu')


def test_other_models_load_as_mmengine_does(tmp_path):
    """Models without our modules keep MMEngine's lenient loading."""
    path = tmp_path / 'linear.pth'
    torch.save({'weight': torch.ones(1, 2)}, path)
    model = torch.nn.Linear(2, 1)
    load_checkpoint(model, str(path))  # bias missing: a warning, as before
    assert torch.equal(model.weight, torch.ones(1, 2))


def test_runner_checkpoint_keeps_other_parts(ckpts, cfg_file):
    """A GAN editor loaded from a generator-only checkpoint keeps its discriminator."""
    paths, a, _ = ckpts
    cfg = Config.fromfile(cfg_file)
    cfg.model.discriminator = dict(type='UNetDiscriminatorWithSpectralNorm', in_channels=3,
                                   mid_channels=8)
    init_default_scope('mmagic')
    model = MODELS.build(cfg.model)
    disc = {k: v.clone() for k, v in model.discriminator.state_dict().items()}
    state, report = fit_state_dict(model, torch.load(paths['bare'], weights_only=True))
    assert not report['problems'] and set(report['kept']) == {
        f'discriminator.{k}' for k in disc}
    assert 'not in the checkpoint, kept: discriminator.* x' in report['message']
    model.load_state_dict(state)
    assert_equal(model.discriminator, disc)
    assert_equal(model.generator_ema, a)


@pytest.mark.parametrize('shape', ['bare', 'runner', 'ema_only', 'mmengine_ema'])
def test_load_generator_every_shape(shape, ckpts, cfg_file):
    """tools/restore_video.py's loader: the EMA generator of every shape."""
    paths, a, _ = ckpts
    model, info = load_generator(cfg_file, paths[shape])
    assert not info['random_weights']
    assert_equal(model, a)


def test_load_generator_refuses_in_one_line(ckpts, cfg_file):
    paths, _, _ = ckpts
    with pytest.raises(ModelLoadError) as err:
        load_generator(cfg_file, paths['wrong'])
    msg = str(err.value)
    assert '\n' not in msg and 'does not fit UNetRealBasicVSRNet: bare state dict:' in msg
    assert f'of {N_GENERATOR} tensors missing' in msg


@pytest.mark.filterwarnings('ignore::UserWarning')  # MMagic's notes on overridden files
def test_mmagic_inferencer(ckpts, cfg_file):
    """MMagic's own inferencer with our config: loaded, or refused."""
    from mmagic.apis import MMagicInferencer
    paths, a, b = ckpts
    inferencer = MMagicInferencer('real_basicvsr', model_config=cfg_file,
                                  model_ckpt=paths['runner'], device='cpu')
    model = inferencer.inferencer.inferencer.model
    assert_equal(model.generator_ema, a)  # what it runs (is_use_ema)
    assert_equal(model.generator, b)
    with pytest.raises(WeightsMismatchError, match='generator tensors missing'):
        MMagicInferencer('real_basicvsr', model_config=cfg_file,
                         model_ckpt=paths['wrong'], device='cpu')


@pytest.mark.filterwarnings('ignore::UserWarning')
def test_mmagic_inferencer_without_weights_is_refused(cfg_file):
    """MMagic's video-restoration inferencer with our config and no checkpoint would
    run the random initialisation silently: refused, unless random init is asked for."""
    from mmagic.apis.inferencers.video_restoration_inferencer import \
        VideoRestorationInferencer

    from mmrestore.utils import allow_partial_weights
    with pytest.raises(WeightsMismatchError, match='no model_ckpt'):
        VideoRestorationInferencer(config=cfg_file, ckpt=None, device='cpu')
    with allow_partial_weights():
        inferencer = VideoRestorationInferencer(config=cfg_file, ckpt=None, device='cpu')
    assert type(inferencer.model.generator).__name__ == 'UNetRealBasicVSRNet'


def tools_test(cfg_file, *args, tmp_path):
    out = tmp_path / 'metrics.json'
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', cfg_file, *args, '--work-dir',
         str(tmp_path / 'wd'), '--out', str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    return proc, out


@pytest.mark.slow
def test_tools_test_loads_bare_checkpoint(ckpts, cfg_file, tmp_path):
    paths, _, _ = ckpts
    proc, out = tools_test(cfg_file, paths['bare'], tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (f'Loaded {2 * N_GENERATOR}/{2 * N_GENERATOR} tensors of RealBasicVSR from a '
            'bare state dict (-> generator, generator_ema)') in proc.stdout
    assert 'MSEToInput' in json.dumps(json.loads(out.read_text()))


@pytest.mark.slow
def test_tools_test_refuses_and_random_init_opts_in(ckpts, cfg_file, tmp_path):
    paths, _, _ = ckpts
    proc, out = tools_test(cfg_file, paths['wrong'], tmp_path=tmp_path)
    assert proc.returncode == 2 and not out.exists()
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f'error: checkpoint {paths["wrong"]} does not fit the model of {cfg_file}: bare '
        'state dict'), proc.stderr
    assert 'generator tensors missing' in lines[0] and '--random-init' in lines[0]

    proc, out = tools_test(cfg_file, paths['wrong'], '--random-init', tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'PARTIAL, the rest keeps its initialisation' in proc.stdout
    assert out.is_file()
