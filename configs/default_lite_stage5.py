# Stage 5 of the shipped default model: a noise-aware temporal denoise head
# (TemporalDenoiseHead: 1/2-size, sees the LQ frame, its two SPyNet-warped LQ neighbours,
# the 1/4-pipeline's output and the blind noise map) trained on top of the frozen stage-4
# model, on heavier and more varied noise (input PSNR down to ~13 dB, plain Gaussian,
# H.264-compressed) and on the still-photo videos of tools/prepare_stills.py as well as
# the clips' training heads. docs/default_model.md, "Stages 5 and 6".
_base_ = './default_lite_stage4.py'

experiment_name = 'default_lite_stage5'
work_dir = f'./work_dirs/{experiment_name}'
model = dict(
    generator=dict(
        spynet_pretrained=None,
        # the stage-4 model, exported: the default model before the head
        # (docs/default_model.md, "Stages 5 and 6")
        init_from='./work_dirs/default_lite_stage4/generator.pth',
        is_fix_cleaning=True,
        is_fix_basicvsr=True,
        denoise_head=dict(channels=32, num_blocks=4)))

# The held-out test recipe of this model (tests/test_default_model.py, make demo):
# Poisson-Gaussian noise per pixel in linear light, about 20 dB on mid-grey footage.
eval_noise = dict(
    type='RandomLowLightGrain',
    params=dict(shot_noise=[2.4e-2, 2.4e-2], read_noise=[4e-2, 4e-2], gamma=2.2,
                grain_size=1),
    keys=['img'])

stills_data_root = 'data/stills/frames'
crop_size = 128
# stage 4's pipeline with larger crops, milder shrinking, heavier and more varied noise
_grain = dict(
    type='RandomLowLightGrain',
    params=dict(
        shot_noise=[3e-4, 6e-2],  # mostly per pixel, from barely visible to ~13 dB
        read_noise=[2e-3, 8e-2],
        shot_noise_step=0.05,
        read_noise_step=0.05,
        gamma=2.2,
        gray_noise_prob=0.2,
        grain_size=[1, 1, 1, 2, 3, 4],
        prob=0.75),
    keys=['img'])
# plain Gaussian noise (alone or on top), as in published benchmarks
_gauss = dict(
    type='RandomNoise',
    params=dict(noise_type=['gaussian'], noise_prob=[1], gaussian_sigma=[1, 50],
                gaussian_sigma_step=0.5, gaussian_gray_noise_prob=0.1, prob=0.4),
    keys=['img'])
# camera-like H.264 (1 fps streams: the bitrate is bits per frame, 0.1-1.5 bpp at
# 128 x 128), which makes the noise blotchy
_h264 = dict(
    type='RandomVideoCompression',
    params=dict(codec=['libx264'], codec_prob=[1], bitrate=[1600, 25000], prob=0.25),
    keys=['img'])
train_pipeline = []
for _step in _base_.train_pipeline:
    if _step['type'] == 'RandomDownscale':
        _step = dict(_step, max_factor=3., min_size=crop_size, prob=0.5)
    elif _step['type'] == 'FixedCrop':
        _step = dict(_step, crop_size=(crop_size, crop_size))
    elif _step['type'] == 'RandomLowLightGrain':
        train_pipeline += [_grain, _gauss]
        continue
    elif _step['type'] == 'Clip':
        train_pipeline += [_step, _h264]
    train_pipeline.append(_step)
_clips = dict(_base_.train_dataloader.dataset, num_input_frames=5,
              pipeline=train_pipeline)
train_dataloader = dict(
    batch_size=2,
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[_clips, dict(_clips, data_root=stills_data_root)]))

max_iters = 3000
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(generator=dict(optimizer=dict(lr=4e-4)))
param_scheduler = dict(T_max=max_iters, eta_min=1e-6)
