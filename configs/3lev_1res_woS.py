# Thesis variant 3lev_1res_woS (table 5.3.1), stage 1:
# no skip connection over the cleaning module.
_base_ = './_base_/stage1.py'

experiment_name = '3lev_1res_woS'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(cleaning_levels=3, cleaning_blocks=1, cleaning_skip=False))
