# Stage 2 of the shipped default model: the stage-1 result (2,400 iterations on 64-pixel
# crops) trained on 128-pixel crops, i.e. 32x32 on the 1/4 grid where the generator works.
_base_ = './default_lite_stage1.py'

experiment_name = 'default_lite_stage2'
work_dir = f'./work_dirs/{experiment_name}'
load_from = './work_dirs/default_lite_stage1/iter_2400.pth'

crop_size = 128
train_pipeline = [
    dict(_base_.train_pipeline[2], crop_size=(crop_size, crop_size))
    if step['type'] == 'FixedCrop' else step for step in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

max_iters = 1500
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(generator=dict(optimizer=dict(lr=3e-4)))
param_scheduler = dict(T_max=max_iters, eta_min=1e-6)
