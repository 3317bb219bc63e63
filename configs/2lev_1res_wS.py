# Thesis variant 2lev_1res_wS (table 5.3.1), stage 1:
# the final model (best NIQE and PI, table 5.2).
_base_ = './_base_/stage1.py'

experiment_name = '2lev_1res_wS'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(generator=dict(cleaning_levels=2, cleaning_blocks=1, cleaning_skip=True))
