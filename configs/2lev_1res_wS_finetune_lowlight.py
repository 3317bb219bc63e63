# Fine-tuning as 2lev_1res_wS_finetune.py, with the low-light sensor noise switched on:
# full-resolution Poisson-Gaussian grain, strongest in the dark, added once the LQ is
# back at the GT size (the defect of the night footage, thesis chapter 3).
_base_ = './2lev_1res_wS_finetune.py'

experiment_name = '2lev_1res_wS_finetune_lowlight'
work_dir = f'./work_dirs/{experiment_name}'

low_light_noise = dict(
    type='RandomLowLightNoise',
    params=dict(
        shot_noise=[1e-4, 1e-2],  # variance per unit of linear signal
        read_noise=[1e-3, 2e-2],  # std in linear units
        shot_noise_step=0.05,  # random walk in log space, per frame
        read_noise_step=0.05,
        gamma=2.2,
        gray_noise_prob=0.,
        prob=0.8),
    keys=['img'])
train_pipeline = [
    t for step in _base_.train_pipeline
    for t in ([step, low_light_noise] if step['type'] == 'SameSizeResize' else [step])
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
