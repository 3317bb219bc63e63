# Stage 6, the last, of the shipped default model: stage 5's head, whose DCT shrinkage
# used three frames (radius 1), goes on with five (radius 2, the flows composed to reach
# frames i-2 and i+2); exported, it is mmrestore/model_zoo/default_lite.pth. Stage 5 ran as
#   tools/train.py configs/default_lite_stage5.py \
#       --cfg-options model.generator.denoise_head.radius=1
# and was stopped after iteration 1200 (its cosine schedule planned 3000).
# docs/default_model.md, "Stages 5 and 6".
_base_ = './default_lite_stage5.py'

experiment_name = 'default_lite_stage6'
work_dir = f'./work_dirs/{experiment_name}'
load_from = './work_dirs/default_lite_stage5/iter_1200.pth'
model = dict(generator=dict(init_from=None, denoise_head=dict(radius=2)))

max_iters = 1500
train_cfg = dict(max_iters=max_iters)
optim_wrapper = dict(generator=dict(optimizer=dict(lr=2e-4)))
param_scheduler = dict(T_max=max_iters, eta_min=1e-6)
