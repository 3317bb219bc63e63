# Inference config of the shipped default model (default_lite.pth, docs/default_model.md):
# the generator only, no training data or initial weights. Trained by
# configs/default_lite_stage1.py ... default_lite_stage6.py; tests/test_default_model.py
# checks that stage 6's generator is this one.

# The thesis's final generator (2lev_1res_wS, table 5.2) at its own widths: what a
# --checkpoint given without --config fills (mmrestore.apis.model_loader).
thesis_generator = dict(
    type='UNetRealBasicVSRNet', cleaning_levels=2, cleaning_blocks=1, cleaning_skip=True)

# The default model: that generator at half width and a fifth of the depth, with a
# full-resolution LQ-aware upsampler head, SPyNet on 1/8 frames and the blind temporal
# denoise head (5-frame DCT shrinkage). The shrinkage's Wiener pass for white noise
# (threshold 2.4 before it) was added after training: no learned weights, chosen on the
# clips' training parts (docs/default_model.md, "The Wiener pass").
model = dict(
    thesis_generator,
    mid_channels=32,
    num_propagation_blocks=4,
    cleaning_channels=16,
    hr_channels=16,
    hr_lq_input=True,
    flow_downscale=2,
    denoise_head=dict(channels=32, num_blocks=4, radius=2,
                      shrinkage=dict(wiener='auto', wiener_threshold=2.4)))
