"""The shipped default model: complete small checkpoint, real denoising, CLI default."""
import importlib.util

import numpy as np
import pytest
import torch
from conftest import REPO, bundled_clip, read_frames

CONFIG = REPO / 'configs' / 'default_lite_stage5.py'
CHECKPOINT = REPO / 'checkpoints' / 'default_lite.pth'
CLI = REPO / 'tools' / 'restore_video.py'


def noisy_copy(frames, seed=2024, grain_size=None):
    """The fixed low-light recipe of the config (eval_noise: Poisson-Gaussian per pixel,
    ~20 dB), seeded, back to uint8; ``grain_size=4``: the same noise as grain spots."""
    from mmengine.config import Config

    from mmagic.registry import TRANSFORMS
    recipe = Config.fromfile(str(CONFIG)).eval_noise.to_dict()
    if grain_size is not None:
        recipe['params'] = dict(recipe['params'], grain_size=grain_size)
    transform = TRANSFORMS.build(recipe)
    np.random.seed(seed)
    noisy = transform(dict(img=[f.astype(np.float32) for f in frames]))['img']
    return np.stack([np.clip(np.round(f), 0, 255).astype(np.uint8) for f in noisy])


def mean_psnr(frames, clean):
    from mmagic.evaluation.metrics.psnr import psnr
    return float(np.mean([psnr(a, b, 0, 'HWC') for a, b in zip(frames, clean)]))


def test_checkpoint_is_small_and_fills_every_tensor():
    import mmrestore.registry  # noqa: F401
    from mmagic.registry import MODELS
    from mmrestore.apis.model_loader import generator_config
    from mmrestore.utils import load_checkpoint_file
    assert CHECKPOINT.stat().st_size < 10 * 2**20
    state = load_checkpoint_file(str(CHECKPOINT))
    gen_cfg, _ = generator_config(str(CONFIG))
    assert gen_cfg['realbasicvsr_pretrained'] is None and gen_cfg['spynet_pretrained'] is None
    gen_cfg['init_from'] = None  # the training's start (the stage-4 export)
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
