"""SPyNet without downloaded weights: the normal-flow initialisation, real frame pairs,
self-supervised training through tools/train.py, export, loading into the generator."""
import math

import cv2
import numpy as np
import pytest
import torch
from conftest import REPO, bundled_clip, read_frames
from mmengine.config import Config
from mmengine.registry import init_default_scope
from test_training import check, run

import mmrestore.registry  # noqa: F401  (registers the dataset and the model)
from mmagic.models.editors.basicvsr.basicvsr_net import SPyNet
from mmagic.models.utils import flow_warp
from mmagic.registry import DATASETS, MODELS
from mmrestore.models import init_spynet_normal_flow, init_spynet_zero_flow

CONFIG = REPO / 'configs' / 'default_lite_spynet.py'


def to_tensor(frames):
    """(t, h, w, 3) uint8 -> (t, 3, h, w) float in [0, 1]."""
    return torch.from_numpy(np.asarray(frames)).permute(0, 3, 1, 2).float() / 255


def known_warp(frame, shift, angle):
    """``(ref, supp, flow)`` with ``flow_warp(supp, flow) == ref``: a real frame
    ``supp`` and its warp by a translation plus a rotation about the centre."""
    supp = to_tensor(frame[None])
    h, w = supp.shape[-2:]
    y, x = torch.meshgrid(torch.arange(h) - (h - 1) / 2, torch.arange(w) - (w - 1) / 2,
                          indexing='ij')
    c, s = math.cos(angle), math.sin(angle)
    flow = torch.stack([c * x - s * y - x + shift[0], s * x + c * y - y + shift[1]])[None]
    ref = flow_warp(supp, flow.permute(0, 2, 3, 1), padding_mode='border')
    return ref, supp, flow


def end_point_error(flow, gt, border=4):
    return float((flow - gt)[..., border:-border, border:-border].norm(dim=1).mean())


@pytest.fixture(scope='module')
def spynets():
    torch.manual_seed(0)
    zero, normal = init_spynet_zero_flow(SPyNet(None)), init_spynet_normal_flow(SPyNet(None))
    return dict(zero=zero.eval(), random=SPyNet(None).eval(), normal_flow=normal.eval())


@pytest.mark.parametrize('shift, angle', [((1.5, -0.7), 0.), ((-3., 2.), 0.01),
                                          ((0.4, 0.3), -0.02)])
def test_normal_flow_init_estimates_a_known_warp_of_a_real_frame(spynets, shift, angle):
    frame = read_frames(bundled_clip('bikes.mp4'), 1, size=(136, 320), start=60)[0]
    ref, supp, gt = known_warp(frame[4:132, 32:288], shift, angle)  # 128x256
    with torch.no_grad():
        epe = {k: end_point_error(net(ref, supp), gt) for k, net in spynets.items()}
    none = end_point_error(torch.zeros_like(gt), gt)
    assert epe['zero'] == pytest.approx(none)
    assert epe['random'] > 0.9 * none  # untrained SPyNet: no better than no flow
    assert epe['normal_flow'] < 0.4 * none, epe  # works before any training


def test_normal_flow_init_aligns_consecutive_real_frames(spynets):
    frames = to_tensor(read_frames(bundled_clip('bikes.mp4'), 4, size=(68, 160), start=100))
    errors = {}
    for name, net in (('none', None), ('normal_flow', spynets['normal_flow'])):
        ref, supp = frames[:-1], frames[1:]
        with torch.no_grad():
            flow = torch.zeros_like(ref[:, :2]) if net is None else net(ref, supp)
            warped = flow_warp(supp, flow.permute(0, 2, 3, 1), padding_mode='border')
        errors[name] = float((warped - ref).abs().mean())
    assert errors['normal_flow'] < 0.75 * errors['none'], errors


def write_scenes(root, lengths=(6, 5)):
    """Sequence folders of real frames (bikes at 136x320), named like prepare_dataset."""
    frames = read_frames(bundled_clip('bikes.mp4'), sum(lengths), size=(136, 320),
                         start=100)
    names, i = [], 0
    for s, n in enumerate(lengths):
        folder = root / f'bikes_{s:03d}'
        folder.mkdir(parents=True)
        for j in range(n):
            cv2.imwrite(str(folder / f'{j:08d}.png'), frames[i][..., ::-1])
            names.append((folder.name, j))
            i += 1
    return names


def test_frame_pair_dataset_gives_consecutive_crops_and_excludes(tmp_path):
    write_scenes(tmp_path)
    init_default_scope('mmagic')
    dataset = DATASETS.build(dict(type='FramePairDataset', data_root=str(tmp_path),
                                  crop_size=64, shrink=(1., 4.),
                                  exclude=dict(bikes_000=(2, 4))))
    # 5 + 4 pairs, minus those touching frames 2-3 of the first scene: (1,2) (2,3) (3,4)
    assert len(dataset.pairs) == 6
    assert all(int(b[-12:-4]) == int(a[-12:-4]) + 1 and a.split('/')[-2] == b.split('/')[-2]
               for a, b in dataset.pairs)
    np.random.seed(0)
    for i in range(4):
        pair = dataset[i]['inputs']
        assert pair.shape == (2, 3, 64, 64) and 0 <= pair.min() and pair.max() <= 1
        assert (pair[0] - pair[1]).abs().mean() > 0  # two frames, not one
    with pytest.raises(ValueError, match='not in'):
        DATASETS.build(dict(type='FramePairDataset', data_root=str(tmp_path),
                            exclude=dict(nowhere=(0, 1))))
    with pytest.raises(FileNotFoundError, match='no consecutive frames'):
        DATASETS.build(dict(type='FramePairDataset', data_root=str(tmp_path / 'empty')))


def test_estimator_photometric_loss_is_lower_with_the_true_flow(tmp_path):
    frame = read_frames(bundled_clip('bikes.mp4'), 1, size=(136, 320), start=60)[0]
    ref, supp, gt = known_warp(frame[4:132, 32:288], (2., -1.), 0.)
    model = MODELS.build(dict(type='SPyNetFlowEstimator'))
    with torch.no_grad():
        right = model.photometric_error(ref, supp, gt)
        zero = model.photometric_error(ref, supp, torch.zeros_like(gt))
        wrong = model.photometric_error(ref, supp, -gt)
        losses = model(torch.stack([ref, supp], 1), mode='loss')
    assert right < 0.3 * zero and wrong > zero
    # the training starts: the hand-set estimator, zero flow, or SPyNet's random weights
    pair = torch.stack([ref, supp], 1)
    flows = {}
    for init in ('normal_flow', 'zero', 'random'):
        estimator = MODELS.build(dict(type='SPyNetFlowEstimator', init=init))
        estimator.init_weights()
        with torch.no_grad():
            flows[init] = estimator(pair)
    assert torch.count_nonzero(flows['zero']) == 0
    assert end_point_error(flows['normal_flow'], gt) < 0.4 * end_point_error(flows['zero'], gt)
    assert end_point_error(flows['random'], gt) > 0.9 * end_point_error(flows['zero'], gt)
    with pytest.raises(ValueError, match='init must be'):
        MODELS.build(dict(type='SPyNetFlowEstimator', init='pretrained'))
    assert set(losses) == {'loss_photo', 'loss_smooth', 'photo_zero'}
    assert float(losses['photo_zero']) == pytest.approx(float(zero), rel=1e-5)


def test_train_export_and_load_into_the_generator(tmp_path):
    """tools/train.py on real frame pairs, export --spynet, spynet_pretrained loads it,
    and it takes precedence over the SPyNet of realbasicvsr_pretrained."""
    data = tmp_path / 'frames'
    write_scenes(data)
    work = tmp_path / 'work'
    out = check(run([
        'python', 'tools/train.py', str(CONFIG), '--work-dir', str(work), '--cfg-options',
        f'train_dataloader.dataset.data_root={data}', 'train_dataloader.batch_size=2',
        'train_dataloader.dataset.exclude=None', 'train_cfg.max_iters=3',
        'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=3',
        'randomness.seed=0']))
    assert 'loss_photo' in out
    spynet_file = tmp_path / 'spynet.pth'
    check(run(['python', 'tools/export_generator.py', str(work / 'iter_3.pth'),
               str(spynet_file), '--spynet']))
    trained = torch.load(spynet_file)
    assert len(trained) == 60 and not {'mean', 'std'} & set(trained)  # 6 levels x 5 x 2
    init = init_spynet_normal_flow(SPyNet(None)).state_dict()
    assert any(not torch.equal(trained[k], init[k]) for k in trained)  # it trained

    gen = dict(type='UNetRealBasicVSRNet', mid_channels=8, num_propagation_blocks=1,
               cleaning_channels=8, cleaning_levels=2, is_fix_spynet=True)
    model = MODELS.build(dict(gen, spynet_pretrained=str(spynet_file)))
    for k, v in trained.items():
        assert torch.equal(model.basicvsr.spynet.state_dict()[k], v), k
    # a generator checkpoint (e.g. the previous stage) with another SPyNet: the named
    # SPyNet file wins, everything else comes from the checkpoint
    other = MODELS.build(gen)
    ckpt = tmp_path / 'generator.pth'
    torch.save(other.state_dict(), ckpt)
    model = MODELS.build(dict(gen, spynet_pretrained=str(spynet_file),
                              realbasicvsr_pretrained=str(ckpt)))
    model.init_weights()
    state = model.state_dict()
    for k, v in other.state_dict().items():
        if k.startswith('basicvsr.spynet.basic_module'):
            assert torch.equal(state[k], trained[k[len('basicvsr.spynet.'):]]), k
        else:
            assert torch.equal(state[k], v), k


def test_stage4_config_uses_the_trained_spynet_frozen():
    cfg = Config.fromfile(str(REPO / 'configs' / 'default_lite_stage4.py'))
    gen = cfg.model.generator
    assert gen.spynet_pretrained.endswith('default_lite_spynet/spynet.pth')
    assert gen.init_from.endswith('default_lite_stage3/ema.pth')  # our own weights
    assert gen.realbasicvsr_pretrained is None  # RealBasicVSR's only, none here
    assert gen.is_fix_spynet and cfg.load_from is None
    spynet_cfg = Config.fromfile(str(CONFIG))
    assert spynet_cfg.model.init == 'normal_flow'
    assert spynet_cfg.train_dataloader.dataset.data_root == cfg.train_data_root


def test_train_reports_missing_frames_in_one_line(tmp_path):
    proc = run(['python', 'tools/train.py', str(CONFIG), '--work-dir', str(tmp_path),
                '--cfg-options', f'train_dataloader.dataset.data_root={tmp_path / "none"}'])
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith('error: train_dataloader.dataset.'
                                                           'data_root: no frame folders in')
    assert 'Traceback' not in proc.stderr
