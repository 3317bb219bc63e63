"""The shipped default model: package data, complete small checkpoint, real denoising,
CLI default."""
import ast
import fnmatch
import importlib.util
import inspect
import os
import os.path as osp
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import REPO, bundled_clip, read_frames

from mmrestore.apis import DEFAULT_CHECKPOINT, DEFAULT_CONFIG

CONFIG, CHECKPOINT = Path(DEFAULT_CONFIG), Path(DEFAULT_CHECKPOINT)
LAST_STAGE = REPO / 'configs' / 'default_lite_stage6.py'  # its training, and eval_noise
CLI = REPO / 'tools' / 'restore_video.py'


def noisy_copy(frames, seed=2024, grain_size=None):
    """The fixed low-light recipe of the config (eval_noise: Poisson-Gaussian per pixel,
    ~20 dB), seeded, back to uint8; ``grain_size=4``: the same noise as grain spots."""
    from mmengine.config import Config

    from mmagic.registry import TRANSFORMS
    recipe = Config.fromfile(str(LAST_STAGE)).eval_noise.to_dict()
    if grain_size is not None:
        recipe['params'] = dict(recipe['params'], grain_size=grain_size)
    transform = TRANSFORMS.build(recipe)
    np.random.seed(seed)
    noisy = transform(dict(img=[f.astype(np.float32) for f in frames]))['img']
    return np.stack([np.clip(np.round(f), 0, 255).astype(np.uint8) for f in noisy])


def mean_psnr(frames, clean):
    from mmagic.evaluation.metrics.psnr import psnr
    return float(np.mean([psnr(a, b, 0, 'HWC') for a, b in zip(frames, clean)]))


def setup_kwargs():
    """The keyword arguments of ``setup()`` in setup.py, as AST nodes."""
    tree = ast.parse((REPO / 'setup.py').read_text())
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call)
                and getattr(n.func, 'id', None) == 'setup')
    return {k.arg: k.value for k in call.keywords}


def package_of(path):
    """'mmrestore.model_zoo' for a file of the checkout's mmrestore/model_zoo/."""
    return osp.relpath(osp.dirname(path), str(REPO)).replace(osp.sep, '.')


def test_default_model_is_package_data():
    """Config and weights lie inside the package and setup.py installs them: the config
    as a module of one of its packages, the weights as that package's package_data."""
    from functools import partial

    import mmrestore
    from setuptools import find_packages
    root = osp.dirname(osp.abspath(mmrestore.__file__))
    assert root == str(REPO / 'mmrestore')
    for path in (DEFAULT_CONFIG, DEFAULT_CHECKPOINT):
        assert osp.commonpath([root, path]) == root and osp.isfile(path), path
    kwargs = setup_kwargs()
    packages = eval(compile(ast.Expression(kwargs['packages']), 'setup.py', 'eval'),
                    dict(find_packages=partial(find_packages, str(REPO))))
    assert package_of(DEFAULT_CONFIG) in packages and DEFAULT_CONFIG.endswith('.py')
    assert 'package_data' in kwargs, 'setup.py declares no package_data'
    patterns = ast.literal_eval(kwargs['package_data']).get(package_of(DEFAULT_CHECKPOINT), [])
    assert any(fnmatch.fnmatch(osp.basename(DEFAULT_CHECKPOINT), p) for p in patterns)


@pytest.mark.slow
def test_installed_package_finds_the_default_model(tmp_path):
    """A non-editable install, used from outside any checkout, loads the default model
    from its own files."""
    import shutil
    import subprocess
    import sys
    src, site = tmp_path / 'src', tmp_path / 'site'
    shutil.copytree(REPO / 'mmrestore', src / 'mmrestore',
                    ignore=shutil.ignore_patterns('__pycache__'))
    for name in ('setup.py', 'README.md'):
        shutil.copy(REPO / name, src / name)
    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--no-index',
                    '--no-build-isolation', '--target', str(site), str(src)], check=True,
                   capture_output=True)
    shutil.rmtree(src)  # nothing of a source tree is left to find
    code = ('import mmrestore; from mmrestore.apis import load_generator; '
            'model, info = load_generator(); '
            'print(mmrestore.__file__); print(info["message"]); '
            'print(info["random_weights"])')
    env = dict(os.environ, PYTHONPATH=str(site))
    out = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, env=env, check=True,
                         capture_output=True, text=True).stdout.splitlines()
    zoo = str(site / 'mmrestore' / 'model_zoo')
    assert out[0] == str(site / 'mmrestore' / '__init__.py')
    assert f'from {zoo}/default_lite.py' in out[1] and f'{zoo}/default_lite.pth' in out[1]
    assert out[2] == 'False'


def fill_defaults(gen_cfg):
    """A generator config with every argument of the generator stated."""
    from mmrestore.models import UNetRealBasicVSRNet
    params = inspect.signature(UNetRealBasicVSRNet).parameters
    return {k: gen_cfg.get(k, p.default) for k, p in params.items()} | dict(
        type=gen_cfg['type'])


def architecture(gen_cfg):
    """Without training-only arguments (initial weights, frozen parts) and without the
    DCT shrinkage's settings (no learned weights: set after training)."""
    arch = {k: v for k, v in fill_defaults(gen_cfg).items()
            if not (k.endswith('pretrained') or k in ('init_from', 'init_cfg')
                    or k.startswith('is_fix_'))}
    if isinstance(arch.get('denoise_head'), dict):
        arch['denoise_head'] = {k: v for k, v in arch['denoise_head'].items()
                                if k != 'shrinkage'}
    return arch


def test_default_config_is_the_last_training_stage():
    """The shipped config's generator is the one configs/default_lite_stage6.py trained,
    and the built-in generator (a --checkpoint without --config) is the thesis's
    2lev_1res_wS generator of configs/2lev_1res_wS.py."""
    from mmengine.config import Config

    from mmrestore.apis.model_loader import DEFAULT_GENERATOR
    shipped = Config.fromfile(DEFAULT_CONFIG)
    trained = Config.fromfile(str(LAST_STAGE)).model.generator.to_dict()
    assert architecture(shipped.model.to_dict()) == architecture(trained)
    thesis = Config.fromfile(str(REPO / 'configs' / '2lev_1res_wS.py')).model.generator
    assert architecture(DEFAULT_GENERATOR) == architecture(thesis.to_dict())


def test_checkpoint_is_small_and_fills_every_tensor():
    import mmrestore.registry  # noqa: F401
    from mmagic.registry import MODELS
    from mmrestore.apis.model_loader import generator_config
    from mmrestore.utils import load_checkpoint_file
    assert CHECKPOINT.stat().st_size < 10 * 2**20
    state = load_checkpoint_file(str(CHECKPOINT))
    gen_cfg, _ = generator_config(str(CONFIG))
    assert not [k for k, v in gen_cfg.items() if v and (k.endswith('pretrained') or
                                                      k == 'init_from')]  # no file needed
    model = MODELS.build(gen_cfg)
    own = model.state_dict()
    assert set(state) == set(own)  # no tensor missing, none unexpected
    for name, tensor in own.items():
        assert state[name].shape == tensor.shape, name
        assert torch.isfinite(state[name].float()).all(), name
    # trained: SPyNet's last layers left their zero initialisation
    assert state['basicvsr.spynet.basic_module.5.basic_module.4.conv.weight'].abs().sum() > 0


def test_shipped_spynet_aligns_real_frames():
    """Its SPyNet (trained here, configs/default_lite_spynet.py) really aligns: the
    next frame warped by its flow is much closer to the current one than unwarped."""
    from mmagic.models.utils import flow_warp
    from mmrestore.apis import load_generator
    model, _ = load_generator(str(CONFIG), str(CHECKPOINT))
    for clip, start, size in (('bikes.mp4', 100, (68, 160)),
                              ('bigbuckbunny.mp4', 40, (90, 160))):
        frames = torch.from_numpy(read_frames(bundled_clip(clip), 4, size=size,
                                              start=start)).permute(0, 3, 1, 2) / 255.
        ref, supp = frames[:-1], frames[1:]
        with torch.no_grad():
            flow = model.basicvsr.spynet(ref, supp)
        warped = flow_warp(supp, flow.permute(0, 2, 3, 1), padding_mode='border')
        error, none = (ref - warped).abs().mean(), (ref - supp).abs().mean()
        assert error < 0.75 * none, (clip, float(error), float(none))


@pytest.mark.parametrize('grain_size, gain', [(None, 6.0), (4, 0.5)],
                         ids=['per_pixel', 'grain4'])
@pytest.mark.parametrize('clip, start, box', [
    ('bikes.mp4', 205, (72, 220, 128, 192)),  # held-out tail of a training clip
    ('carphone_pristine.mp4', 0, None),  # never seen
])
def test_improves_psnr_on_held_out_frames(clip, start, box, grain_size, gain):
    """A real denoiser: at least +6 dB on ~20 dB Poisson-Gaussian noise per pixel (the
    model shipped before issue 14 gained about 4 dB), blind (its own noise profile).
    Grain spots of 4 px are its known weakness (docs/default_model.md): +0.9 dB
    measured, so only 'better than the input' is asserted there."""
    from mmrestore.apis import SequenceRunner, load_generator
    clean = read_frames(bundled_clip(clip), 6, start=start)
    if box is not None:
        y, x, h, w = box
        clean = clean[:, y:y + h, x:x + w].copy()
    noisy = noisy_copy(clean, grain_size=grain_size)
    from mmrestore.apis.denoise_control import configure_denoising
    model, info = load_generator(str(CONFIG), str(CHECKPOINT))
    assert not info['random_weights']
    configure_denoising(model, list(noisy))
    restored = np.stack(list(SequenceRunner(model, 'cpu', max_seq_len=6, overlap=0)
                             .run(list(noisy))))
    before, after = mean_psnr(noisy, clean), mean_psnr(restored, clean)
    assert after > before + gain, f"PSNR {before:.2f} -> {after:.2f} dB"


def test_restore_video_cli_uses_the_default_model(tmp_path, capsys):
    from mmrestore.video import EncoderSettings, read_frames as decode, write_video
    clean = read_frames(bundled_clip('carphone_pristine.mp4'), 6, start=60)
    noisy = noisy_copy(clean)
    src, out = tmp_path / 'noisy.mkv', tmp_path / 'restored.mkv'
    # lossless, so only the grain differs
    write_video(src, noisy, 25, EncoderSettings('ffv1', 'bgr0'))
    spec = importlib.util.spec_from_file_location('restore_video_cli', CLI)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    assert cli.main([str(src), str(out), '--device', 'cpu', '--progress', 'log']) == 0
    captured = capsys.readouterr()
    model_line = next(line for line in captured.out.splitlines()
                      if line.startswith('model :'))
    assert 'default model' in model_line and str(CHECKPOINT) in model_line
    noise_line = next(line for line in captured.out.splitlines()
                      if line.startswith('noise :'))
    assert 'levels (8-bit std' in noise_line and 'strength 1' in noise_line
    assert 'RANDOM WEIGHTS' not in captured.err
    restored = np.stack(decode(out))
    assert restored.shape == clean.shape
    before, after = mean_psnr(noisy, clean), mean_psnr(restored, clean)
    assert after > before + 6.0, f"PSNR {before:.2f} -> {after:.2f} dB"
