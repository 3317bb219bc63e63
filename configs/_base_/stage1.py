# Stage 1 of the thesis (appendix 8.1): output + cleaning Charbonnier losses, 10,000
# iterations, batch 3, Adam lr 1e-4 with cosine annealing, same-size LQ/GT pairs.
_base_ = [
    'mmagic::real_basicvsr/realbasicvsr_wogan-c64b20-2x30x8_8xb2-lr1e-4-300k_reds.py',
    './unet_realbasicvsr.py',
]

model = dict(
    generator=dict(
        _base_.unet_generator,
        _delete_=True,
        realbasicvsr_pretrained=_base_.realbasicvsr_checkpoint),
    pixel_loss=_base_.charbonnier_loss,
    cleaning_loss=_base_.charbonnier_loss)

# MMagic's chain ends with DegradationsWithShuffle, Clip, PackInputs.
train_pipeline = [
    *_base_.train_pipeline[:-2], _base_.same_size_resize, *_base_.train_pipeline[-2:]
]
train_dataloader = dict(batch_size=3, dataset=dict(pipeline=train_pipeline))

train_cfg = dict(max_iters=10_000)
param_scheduler = dict(
    type='CosineAnnealingLR', by_epoch=False, T_max=10_000, eta_min=1e-7)

# No validation (PSNR is not the thesis's criterion, 5.3.3); checkpoints in work_dir.
val_dataloader = None
val_cfg = None
val_evaluator = None
default_hooks = dict(checkpoint=dict(out_dir=None, save_best=None))
visualizer = dict(vis_backends=_base_.tensorboard_vis_backends)

test_dataloader = dict(dataset=dict(
    metainfo=dict(dataset_type='lowlight', task_name='vsr'),
    data_root=_base_.lowlight_test_data_root))
test_evaluator = dict(metrics=_base_.lowlight_test_metrics)
