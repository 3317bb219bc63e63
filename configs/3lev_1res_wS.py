# Thesis variant 3lev_1res_wS (table 5.3.1), stage 1:
# the basic model of the contribution (figure 5.1).
_base_ = './_base_/stage1.py'

experiment_name = '3lev_1res_wS'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(cleaning_levels=3, cleaning_blocks=1, cleaning_skip=True))
