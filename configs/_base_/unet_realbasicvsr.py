# Pieces shared by the stage-1 and stage-2 configs of the thesis (chapter 5, appendix 8.1).
# Only names that MMagic's RealBasicVSR configs do not define, so it can be a second _base_.
custom_imports = dict(imports=['mmrestore.registry'], allow_failed_imports=False)

# User-supplied weights (nothing is downloaded; tools/train.py checks them at start-up).
# Released RealBasicVSR: fills the BasicVSR part (and SPyNet) of the generator.
realbasicvsr_checkpoint = ('checkpoints/realbasicvsr_c64b20_1x30x8_lr5e-5_150k_reds_'
                           '20211104-52f77c2c.pth')
# torchvision's ImageNet VGG19 (download.pytorch.org/models/vgg19-dcbb9e9d.pth).
vgg19_checkpoint = 'checkpoints/vgg19-dcbb9e9d.pth'

# Generator of the thesis; the variant configs set the cleaning_* arguments.
# Stage 1 starts from realbasicvsr_checkpoint (SPyNet included, so spynet_pretrained
# stays None; set it to 'checkpoints/spynet_20210409-c6c1bd09.pth' when training without
# RealBasicVSR weights). No dynamic refinement (thesis 5.3.4, theta = 255 in 8.1).
unet_generator = dict(
    type='UNetRealBasicVSRNet',
    mid_channels=64,
    num_propagation_blocks=20,
    cleaning_levels=3,
    cleaning_blocks=1,
    cleaning_skip=True,
    dynamic_refine_thres=None,
    spynet_pretrained=None,
    realbasicvsr_pretrained=None,
    is_fix_cleaning=False)

# Output and cleaning losses (eqs. 4.16, 4.17): sqrt((x - y)^2 + epsilon^2) with
# epsilon = 1e-8. MMagic's CharbonnierLoss computes sqrt((x - y)^2 + eps), so
# eps = epsilon^2 = 1e-16 (still a normal float32).
charbonnier_loss = dict(type='CharbonnierLoss', loss_weight=1.0, reduction='mean',
                        eps=1e-16)

# Same-size pairs (thesis 5.3.2): appended to MMagic's random degradation chain, it
# upsamples the degraded LQ (1/4 of the crop) bilinearly back to the GT size.
same_size_resize = dict(type='SameSizeResize', keys=['img'], ref_key='gt',
                        interpolation='bilinear')

# Logs also go to TensorBoard (work_dir/<timestamp>/vis_data).
tensorboard_vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend'),
]

# Test on one's own low-light footage (frame folders made by tools/prepare_dataset.py):
# no ground truth, so no-reference metrics (thesis 5.3.3). PI needs the user's Ma model.
lowlight_test_data_root = 'data/lowlight_test'
lowlight_test_metrics = [dict(type='PI'), dict(type='MSEToInput')]
