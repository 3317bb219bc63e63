# 2lev_1res_wS, stage 2 with the thesis's perceptual criterion (eq. 4.20: squared L2,
# the mean of squares over the VGG features) instead of MMagic's L1.
_base_ = './2lev_1res_wS_gan.py'

experiment_name = '2lev_1res_wS_gan_l2percep'
work_dir = f'./work_dirs/{experiment_name}'

model = dict(perceptual_loss=dict(criterion='mse'))
