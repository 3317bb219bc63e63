# Thesis variant 3lev_2res_wS (table 5.3.1), stage 1:
# two residual blocks per level.
_base_ = './_base_/stage1.py'

experiment_name = '3lev_2res_wS'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(cleaning_levels=3, cleaning_blocks=2, cleaning_skip=True))
