# SPyNet of the shipped default model, trained here (no SPyNet weights are downloaded):
# MMagic's SPyNet, initialised as a coarse-to-fine normal-flow estimator
# (mmrestore/models/spynet_init.py), then trained to align consecutive frames of the
# default model's training scenes (photometric loss, no ground truth needed). Exported
# with tools/export_generator.py --spynet for configs/default_lite_stage4.py
# (docs/default_model.md, "SPyNet").
_base_ = 'mmagic::_base_/default_runtime.py'
custom_imports = dict(imports=['mmrestore.registry'], allow_failed_imports=False)

experiment_name = 'default_lite_spynet'
work_dir = f'./work_dirs/{experiment_name}'
randomness = dict(seed=20221, deterministic=False)

model = dict(type='SPyNetFlowEstimator', init='normal_flow', smooth_weight=0.05)

train_dataloader = dict(
    num_workers=0,
    batch_size=8,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='FramePairDataset',
        data_root='data/default_lite/train',  # tools/prepare_default_lite.py
        crop_size=64,
        shrink=(1., 8.),
        # validation windows of benchmarks/eval_default_model.py (--alignment,
        # --by-scale): bigbuckbunny frames 40-63 and bikes 100-129 (scene 2 from 76)
        exclude=dict(bigbuckbunny_000=(40, 64), bikes_002=(24, 54))))

max_iters = 1000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters + 1)
val_cfg = None
val_dataloader = None
val_evaluator = None
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=3e-5))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=False, T_max=max_iters,
                       eta_min=1e-6)

default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=250, max_keep_ckpts=4, save_optimizer=True, out_dir=None,
                    save_best=None))
custom_hooks = []
visualizer = dict(_delete_=True, type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
