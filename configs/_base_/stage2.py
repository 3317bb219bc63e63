# Stage 2 of the thesis (appendix 8.1): adds the VGG19 perceptual loss and the UNet
# discriminator with spectral norm (weight 5e-2), cleaning module frozen, 2,000
# iterations, batch 1, lr 5e-5, starting from the stage-1 result (load_from).
_base_ = [
    'mmagic::real_basicvsr/realbasicvsr_c64b20-1x30x8_8xb1-lr5e-5-150k_reds.py',
    './unet_realbasicvsr.py',
]

model = dict(
    generator=dict(_base_.unet_generator, _delete_=True, is_fix_cleaning=True),
    pixel_loss=_base_.charbonnier_loss,
    cleaning_loss=_base_.charbonnier_loss,
    # layers {2: 0.1, 7: 0.1, 16: 1, 25: 1, 34: 1} and the L1 criterion from MMagic's
    # config; only the VGG19 weights come from a local file.
    perceptual_loss=dict(type='OfflinePerceptualLoss',
                         pretrained=_base_.vgg19_checkpoint))

train_pipeline = [
    *_base_.train_pipeline[:-2], _base_.same_size_resize, *_base_.train_pipeline[-2:]
]
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))

train_cfg = dict(max_iters=2_000)

val_dataloader = None
val_cfg = None
val_evaluator = None
default_hooks = dict(checkpoint=dict(interval=1000, out_dir=None, save_best=None))
visualizer = dict(vis_backends=_base_.tensorboard_vis_backends)

test_dataloader = dict(dataset=dict(
    metainfo=dict(dataset_type='lowlight', task_name='vsr'),
    data_root=_base_.lowlight_test_data_root))
test_evaluator = dict(metrics=_base_.lowlight_test_metrics)
