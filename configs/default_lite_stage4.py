# Stage 4 of the shipped default model: the stage-3 result with the SPyNet trained here
# (configs/default_lite_spynet.py: normal-flow initialisation, then self-supervised on
# frame pairs; frozen here, as in RealBasicVSR and the thesis), on 10-frame sequences
# (twice as many neighbours) of 96-pixel crops, so that frames shrink further
# (RandomDownscale up to 6x; bikes' 272-pixel frames up to 2.8x instead of 2.1x).
# docs/default_model.md, "Stage 4".
_base_ = './default_lite_stage3.py'

experiment_name = 'default_lite_stage4'
work_dir = f'./work_dirs/{experiment_name}'
# Both generators start from stage 3's EMA weights (tools/export_generator.py
# work_dirs/default_lite_stage3/iter_2000.pth work_dirs/default_lite_stage3/ema.pth),
# then SPyNet from its own training (tools/export_generator.py --spynet): init_from, as
# load_from would restore stage 3's generator, EMA and SPyNet as they were.
load_from = None
model = dict(
    generator=dict(
        init_from='./work_dirs/default_lite_stage3/ema.pth',
        spynet_pretrained='./work_dirs/default_lite_spynet/spynet.pth',
        is_fix_spynet=True))

crop_size = 96
train_pipeline = [
    dict(step, crop_size=(crop_size, crop_size)) if step['type'] == 'FixedCrop' else
    dict(step, max_factor=6., min_size=crop_size) if step['type'] == 'RandomDownscale' else
    step for step in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(num_input_frames=10, pipeline=train_pipeline))

max_iters = 2000
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(generator=dict(optimizer=dict(lr=1.5e-4)))
param_scheduler = dict(T_max=max_iters, eta_min=1e-6)
