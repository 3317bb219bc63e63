# Thesis variant 3lev_1res_wS, stage 2 (GAN + perceptual), from its stage-1 result.
_base_ = './_base_/stage2.py'

experiment_name = '3lev_1res_wS_gan'
work_dir = f'./work_dirs/{experiment_name}'
load_from = './work_dirs/3lev_1res_wS/iter_10000.pth'

model = dict(generator=dict(cleaning_levels=3, cleaning_blocks=1, cleaning_skip=True))
