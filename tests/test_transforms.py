"""Training transforms on real frames: same-size pairs and low-light sensor noise."""
import copy

import cv2
import numpy as np
import pytest
from conftest import REPO, bundled_clip, read_frames
from mmengine import Config
from mmengine.registry import init_default_scope

import mmrestore.registry  # noqa: F401  (registers the transforms)
from mmagic.registry import DATASETS, TRANSFORMS
from mmrestore.datasets.transforms import RandomLowLightNoise, SameSizeResize


@pytest.fixture(scope='module')
def frame():
    """One real 720p frame of bigbuckbunny.mp4, float32 (h, w, 3) in [0, 255]."""
    return read_frames(bundled_clip('bigbuckbunny.mp4'), 1, start=30)[0].astype(np.float32)


def write_sequences(root, size, num_frames=6):
    """Real frames of two clips as BasicFramesDataset folders root/<clip>/%08d.png."""
    for name, start in (('bigbuckbunny', 30), ('bikes', 150)):
        folder = root / name
        folder.mkdir(parents=True)
        frames = read_frames(bundled_clip(f'{name}.mp4'), num_frames, size=size,
                             start=start)
        for i, img in enumerate(frames):
            cv2.imwrite(str(folder / f'{i:08d}.png'), img[..., ::-1])


def test_same_size_resize_matches_gt_size(bunny_frames):
    gt = list(bunny_frames)
    lq = [cv2.resize(f, (28, 16), interpolation=cv2.INTER_AREA) for f in gt]
    t = TRANSFORMS.build(dict(type='SameSizeResize', keys=['img']))
    out = t(dict(img=lq, gt=gt))['img']
    assert [o.shape for o in out] == [g.shape for g in gt]
    np.testing.assert_array_equal(
        out[0], cv2.resize(lq[0], (112, 64), interpolation=cv2.INTER_LINEAR))
    # a single image and a single-channel image keep their layout
    single = t(dict(img=lq[0][..., :1], gt=gt[0]))['img']
    assert single.shape == (64, 112, 1)
    assert 'bilinear' in repr(t) and "ref_key='gt'" in repr(t)
    with pytest.raises(ValueError, match='interpolation'):
        SameSizeResize(keys=['img'], interpolation='lanczos9')


@pytest.mark.parametrize('config, size, crop', [
    ('2lev_1res_wS.py', (72, 128), 64),  # thesis stage 1, tiny crop
    ('2lev_1res_wS_finetune_lowlight.py', (270, 480), None),  # low-light noise, crop 256
])
def test_config_train_pipeline_gives_same_size_pairs(tmp_path, config, size, crop):
    """MMagic's random degradation chain + SameSizeResize: LQ and GT have one size."""
    write_sequences(tmp_path, size)
    cfg = Config.fromfile(str(REPO / 'configs' / config))
    dataset = cfg.train_dataloader.dataset
    dataset.update(data_root=str(tmp_path), data_prefix=dict(img='', gt=''),
                   num_input_frames=3)
    if crop:
        crop_step = [t['type'] for t in dataset.pipeline].index('FixedCrop')
        dataset.pipeline[crop_step]['crop_size'] = (crop, crop)
    init_default_scope('mmagic')
    np.random.seed(0)
    sample = DATASETS.build(dataset)[0]
    lq, gt = sample['inputs'], sample['data_samples'].gt_img
    side = crop or 256
    assert lq.shape == gt.shape == (6, 3, side, side)  # 3 frames, mirrored
    assert (lq.float() - gt.float()).abs().mean() > 1  # really degraded


def test_low_light_noise_is_stronger_in_the_dark(frame):
    t = RandomLowLightNoise(
        dict(shot_noise=[2e-3, 2e-3], read_noise=[1e-2, 1e-2]), keys=['img'])
    np.random.seed(0)
    noisy = t(dict(img=[frame]))['img'][0]
    assert noisy.dtype == np.float32 and noisy.shape == frame.shape
    residual, luma = noisy - frame, frame.mean(axis=2)
    stds = [residual[(luma >= lo) & (luma < hi)].std()
            for lo, hi in ((10, 40), (40, 80), (80, 130), (130, 190), (190, 256))]
    assert all(a > b for a, b in zip(stds, stds[1:])), stds
    assert stds[0] > 2 * stds[-1], stds
    # Poisson-Gaussian: signal-dependent, not additive white noise
    assert abs(residual.mean()) < 1


def test_low_light_noise_levels_drift_as_a_random_walk():
    params = dict(shot_noise=[1e-4, 1e-2], read_noise=[1e-3, 2e-2],
                  shot_noise_step=0.1, read_noise_step=0.05)
    t = RandomLowLightNoise(params, keys=['img'])
    np.random.seed(1)
    levels = np.array(t.sample_params(40))
    for k, name in enumerate(('shot_noise', 'read_noise')):
        low, high = params[name]
        assert (levels[:, k] >= low * (1 - 1e-9)).all()
        assert (levels[:, k] <= high * (1 + 1e-9)).all()
        steps = np.abs(np.diff(np.log(levels[:, k])))
        assert steps.max() <= params[f'{name}_step'] + 1e-9  # small moves ...
        assert (steps > 0).mean() > 0.9  # ... at (almost) every frame
        assert np.log(levels[:, k]).ptp() > 2 * params[f'{name}_step']  # it wanders
    still = RandomLowLightNoise(dict(shot_noise=[1e-3, 1e-2], read_noise=[1e-3, 1e-2]),
                                keys=['img'])
    assert len(set(still.sample_params(5))) == 1  # no step: one level per sequence


def test_low_light_noise_drifts_frame_to_frame_on_real_frames(frame):
    """The same real frame repeated: the measured noise changes a little each frame."""
    crop = frame[200:456, 300:812]
    t = RandomLowLightNoise(
        dict(shot_noise=[1e-4, 2e-2], read_noise=[3e-3, 3e-3], shot_noise_step=0.2),
        keys=['img'])
    np.random.seed(3)
    noisy = t(dict(img=[crop] * 10))['img']
    stds = np.array([(n - crop).std() for n in noisy])
    ratios = stds[1:] / stds[:-1]
    assert stds.max() / stds.min() > 1.03, stds  # levels change over the sequence
    # variance share of the shot noise moves by at most e^0.2 per frame
    assert np.all((ratios < 1.12) & (ratios > 1 / 1.12)), ratios


def test_low_light_noise_options(frame):
    crop = frame[:64, :64]
    gray = RandomLowLightNoise(
        dict(shot_noise=[1e-2, 1e-2], read_noise=[1e-2, 1e-2], gray_noise_prob=1),
        keys=['img'])
    out = gray(dict(img=crop))['img']  # a single image
    linear = lambda x: np.clip(x / 255., 0, 1)**2.2  # noqa: E731
    noise = linear(out) - linear(crop)
    unclipped = (out > 1).all(axis=2) & (out < 254).all(axis=2)
    np.testing.assert_allclose(noise[unclipped][:, 0], noise[unclipped][:, 2], atol=1e-5)
    off = RandomLowLightNoise(
        dict(shot_noise=[1e-2, 1e-2], read_noise=[1e-2, 1e-2], prob=0), keys=['img'])
    assert off(dict(img=crop))['img'] is crop
    assert "'shot_noise': [0.01, 0.01]" in repr(off) and "keys=['img']" in repr(off)
    with pytest.raises(ValueError, match='read_noise'):
        RandomLowLightNoise(dict(shot_noise=[1e-3, 1e-2], read_noise=[0, 1e-2]),
                            keys=['img'])


def test_low_light_grain_is_coarse_and_size_one_is_per_pixel_noise(frame):
    """Grain of 4 px: neighbouring pixels share their noise; size 1 is exactly the
    per-pixel noise of RandomLowLightNoise (same random draws)."""
    params = dict(shot_noise=[6e-3, 6e-3], read_noise=[2e-2, 2e-2], gamma=2.2)
    img = frame[:256, :256]

    def noise(grain_size, cls='RandomLowLightGrain'):
        extra = {} if grain_size is None else dict(grain_size=grain_size)
        t = TRANSFORMS.build(dict(type=cls, params=dict(params, **extra), keys=['img']))
        np.random.seed(3)
        return t(dict(img=[img.copy()]))['img'][0] - img

    np.testing.assert_array_equal(noise(1), noise(None, 'RandomLowLightNoise'))

    def neighbour_correlation(n):
        n = n[..., 1]
        return np.corrcoef(n[:, :-1].ravel(), n[:, 1:].ravel())[0, 1]

    assert abs(neighbour_correlation(noise(1))) < 0.1
    assert neighbour_correlation(noise(4)) > 0.6
    # a list of sizes is drawn from per sequence
    t = TRANSFORMS.build(dict(type='RandomLowLightGrain',
                              params=dict(params, grain_size=[1, 4]), keys=['img']))
    np.random.seed(0)
    drawn = set()
    for _ in range(20):
        t(dict(img=[img[:32, :32].copy()]))
        drawn.add(t._grain)
    assert drawn == {1, 4}


def test_random_downscale_shrinks_whole_sequences_above_the_crop(bunny_frames, frame):
    """One factor per sequence, log-uniform in [1, max_factor], never below min_size;
    area interpolation; more detail per pixel after shrinking."""
    from mmrestore.datasets.transforms import RandomDownscale
    frames = [f.astype(np.float32) for f in bunny_frames]  # real frames, 64x112
    h, w = frames[0].shape[:2]
    t = TRANSFORMS.build(dict(type='RandomDownscale', keys=['gt'], max_factor=4.,
                              min_size=24))
    np.random.seed(1)
    factors = []
    for _ in range(200):
        out = t(dict(gt=list(frames)))
        f = out['downscale_factor']
        factors.append(f)
        assert 1 <= f <= h / 24 + 1e-9
        assert len({o.shape for o in out['gt']}) == 1
        assert min(out['gt'][0].shape[:2]) >= 24
    factors = np.array(factors)
    assert factors.max() == pytest.approx(h / 24)  # clamped to keep 24 rows
    assert 0.2 < np.mean(factors < 1.5) < 0.45  # log-uniform: P(f < 1.5) = 0.29
    np.random.seed(1)
    out = t(dict(gt=list(frames)))
    size = out['gt'][0].shape[1::-1]
    np.testing.assert_array_equal(
        out['gt'][2], cv2.resize(frames[2], size, interpolation=cv2.INTER_AREA))

    def detail(img):  # mean absolute Laplacian per pixel
        return np.abs(cv2.Laplacian(img.mean(-1), cv2.CV_32F)).mean()

    big = RandomDownscale(['gt'], max_factor=4., min_size=1, prob=1.)
    np.random.seed(0)
    shrunk = big(dict(gt=[frame]))  # a 720p frame
    assert shrunk['downscale_factor'] > 1.5
    assert detail(shrunk['gt'][0]) > 1.3 * detail(frame)
    # prob 0 or max_factor 1: untouched; single images and grey frames keep their layout
    assert RandomDownscale(['gt'], prob=0.)(dict(gt=frames[0]))['gt'] is frames[0]
    grey = frames[0][..., :1]
    assert big(dict(gt=grey))['gt'].ndim == 3
    assert RandomDownscale(['gt'], max_factor=1.)(dict(gt=[frames[0]]))['gt'][0] is frames[0]
    with pytest.raises(ValueError, match='max_factor'):
        RandomDownscale(['gt'], max_factor=0.5)


@pytest.mark.parametrize('stage, crop, max_factor', [(3, 128, 4.), (4, 96, 6.)])
def test_default_lite_multiscale_pipelines_crop_shrunk_frames(tmp_path, stage, crop,
                                                              max_factor):
    """The multi-scale stages of the default model: real frames shrunk, cropped,
    degraded (stage 4: smaller crops, so frames shrink further, 10-frame sequences)."""
    write_sequences(tmp_path, (270, 480))
    cfg = Config.fromfile(str(REPO / 'configs' / f'default_lite_stage{stage}.py'))
    dataset = cfg.train_dataloader.dataset
    assert dataset.num_input_frames == (5 if stage == 3 else 10)
    dataset.update(data_root=str(tmp_path), num_input_frames=3)
    steps = dataset.pipeline
    assert [t['type'] for t in steps][2:4] == ['RandomDownscale', 'FixedCrop']
    assert (steps[2]['max_factor'], steps[2]['min_size']) == (max_factor, crop)
    init_default_scope('mmagic')
    np.random.seed(0)
    built = DATASETS.build(dataset)
    factors = []
    for i in range(6):
        sample = built[i % len(built)]
        lq, gt = sample['inputs'], sample['data_samples'].gt_img
        assert lq.shape == gt.shape == (3, 3, crop, crop)
        assert (lq.float() - gt.float()).abs().mean() > 1
        shrunk = copy.deepcopy(built.get_data_info(i % len(built)))
        for transform in built.pipeline.transforms[:3]:  # up to RandomDownscale
            shrunk = transform(shrunk)
        factors.append(shrunk['downscale_factor'])
        assert min(shrunk['gt'][0].shape[:2]) >= crop
    # shrunk, but never below the crop: 270-pixel frames shrink at most 270 / crop
    assert max(factors) > 1.5 and max(factors) <= 270 / crop + 1e-6
