# Stage 3 of the shipped default model: the stage-2 result trained on the same scenes
# shrunk by a random factor of 1-4 (RandomDownscale before the crop), so the model also
# sees the dense detail of low-resolution footage (docs/default_model.md).
_base_ = './default_lite_stage2.py'

experiment_name = 'default_lite_stage3'
work_dir = f'./work_dirs/{experiment_name}'
load_from = './work_dirs/default_lite_stage2/iter_1500.pth'

train_pipeline = _base_.train_pipeline[:2] + [
    dict(type='RandomDownscale', keys=['gt'], max_factor=4., min_size=_base_.crop_size,
         prob=0.75)
] + _base_.train_pipeline[2:]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

max_iters = 2000
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(generator=dict(optimizer=dict(lr=2e-4)))
param_scheduler = dict(T_max=max_iters, eta_min=1e-6)
