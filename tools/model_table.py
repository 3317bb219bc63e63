"""Write docs/models.md: trainable parameters of the five variants vs RealBasicVSR.

    python tools/model_table.py [--out docs/models.md]
"""
import argparse
import sys
from pathlib import Path

import mmrestore.registry  # noqa: F401
from mmagic.models.editors import RealBasicVSRNet
from mmrestore.models import UNetRealBasicVSRNet

VARIANTS = {  # name: (levels, residual blocks, skip)
    '3lev_1res_wS': (3, 1, True),
    '2lev_1res_wS': (2, 1, True),
    '4lev_1res_wS': (4, 1, True),
    '3lev_2res_wS': (3, 2, True),
    '3lev_1res_woS': (3, 1, False),
}
THESIS = {'RealBasicVSRNet(64, 20)': 4_854_534, '2lev_1res_wS': 3_502_462}


def trainable(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def total(module):
    return sum(p.numel() for p in module.parameters())


def rows():
    ref = RealBasicVSRNet(64, 20, 20)
    yield ('RealBasicVSRNet(64, 20)', trainable(ref), trainable(ref.image_cleaning),
           total(ref.basicvsr.spynet))
    for name, (levels, blocks, skip) in VARIANTS.items():
        model = UNetRealBasicVSRNet(cleaning_levels=levels, cleaning_blocks=blocks,
                                    cleaning_skip=skip)
        yield name, trainable(model), trainable(model.cleaning), total(model.basicvsr.spynet)


# Every place where the thesis configs (configs/_base_/stage1.py, stage2.py,
# unet_realbasicvsr.py and the variants), or the code they build, differ from the
# thesis's text: (what, thesis, configs, why / effect). The only copy: docs/models.md is
# generated from it.
DEVIATIONS = [
    ('source of the degraded input',
     'the GT frames (4.2.3, "Datasets"; 5.3.2)',
     "the unsharp-masked GT: MMagic's pipeline copies `gt_unsharp` (`UnsharpMasking`, "
     'kernel 51, weight 0.5, threshold 10) to `img` before the degradations',
     "inherited from MMagic's RealBasicVSR configs, from which the thesis trains; the "
     'degradations start from a slightly sharpened frame'),
    ('targets of the output, cleaning and perceptual losses',
     'the GT `z`, for the cleaning loss `d(z)`, `d` = area downsampling (eqs. 4.16, '
     '4.17 and footnote 6, 4.19)',
     'the unsharp-masked GT (`is_use_sharpened_gt_in_pixel=True`, stage 2 also '
     '`is_use_sharpened_gt_in_percep=True`); the cleaning target is its x1/4 area '
     'downsampling (MMagic takes it from the pixel-loss GT); only the discriminator '
     'sees the plain GT',
     'inherited; the model learns to sharpen a little beyond the GT. The default model '
     'uses the plain GT (`is_use_sharpened_gt_in_pixel=False`)'),
    ('perceptual criterion',
     'squared L2 norm of `phi_k(SR) - phi_k(z)` over `N_k` (eq. 4.20)',
     "L1, the mean of absolute differences (MMagic's `PerceptualLoss` default)",
     "inherited; the thesis's criterion is `configs/2lev_1res_wS_gan_l2percep.py` "
     "(`criterion='mse'`, the mean of squares: eq. 4.20 exactly)"),
    ('reduction over frames',
     'sums over the L frames of per-frame means (eqs. 4.16, 4.17, 4.19); the '
     'adversarial term a mean over the B images (eq. 4.21)',
     "means over frames and pixels (`reduction='mean'`), for every term",
     "MMagic's losses. Stage 1: the same up to the factor L, which Adam's update "
     'ignores (up to its epsilon). Stage 2: against the summed terms, the adversarial '
     'term weighs L times more than in the thesis (L = 30 frames in training)'),
    ('Charbonnier epsilon',
     '`sqrt(d^2 + epsilon^2)`, epsilon = 1e-8 (eqs. 4.8, 4.16; 4.1.3)',
     "MMagic's `CharbonnierLoss` with `eps=1e-16`",
     'MMagic adds `eps` unsquared: the same loss'),
    ('adversarial loss',
     'one realness value per image, BCE over the batch, generator with swapped labels '
     '(eqs. 4.21-4.23), the Real-ESRGAN discriminator',
     "`UNetDiscriminatorWithSpectralNorm` (Real-ESRGAN's U-net): one logit per pixel; "
     "`GANLoss(gan_type='vanilla')`, BCE with logits averaged over pixels and frames, "
     'generator against the real label',
     "inherited; Real-ESRGAN's discriminator is this per-pixel one, so eq. 4.21 reads "
     'as its per-image simplification; the generator side is eq. 4.23'),
    ('learning-rate schedule of stage 2',
     'eta_max = 5e-5 (appendix 8.1), the peak of a cosine annealing (4.1.3, eq. 4.9)',
     "constant 5e-5 (MMagic's stage-2 config has no scheduler); stage 1 anneals from "
     '1e-4 to 1e-7 over its 10,000 iterations',
     'inherited; 8.1 also gives eta_max for RealBasicVSR, whose configs use constant '
     'rates, so the thesis does not say that stage 2 anneals'),
    ('discriminator optimiser',
     'not mentioned (eta_max 5e-5 for stage 2; Adam, 4.1.3)',
     'Adam lr 1e-4, betas (0.9, 0.99); the generator Adam with betas (0.9, 0.99) too',
     "inherited from MMagic's stage-2 config"),
    ('EMA of the generator',
     'not mentioned',
     '`ExponentialMovingAverageHook`, momentum 0.001; the EMA weights are the ones '
     'evaluated and exported (`generator_ema`)',
     "inherited from MMagic's configs; it averages over ~1,000 iterations, so after "
     "stage 2's 2,000 the EMA still holds 0.999^2000 = 14% of stage 1's"),
    ('lowest U-net level of 3lev',
     '1/32 of the input (Fig. 5.1, 5.2.1)',
     '1/16 (1/4 after the two strided convs, then two stride-2 levels)',
     'the text gives 1/4 for the top level and x2 per level, which makes 1/16 for three '
     'levels; 1/32 would need a fourth level (`4lev_1res_wS` has it)'),
    ('U-net widths',
     'two input convs that divide the size by 4 and multiply the channels by 4 '
     '(5.2.3); level widths only in Fig. 5.1; 3,502,462 trainable parameters for '
     '2lev_1res_wS (5.6, footnote 5)',
     '3 -> 10 -> 20 channels, level i 20 * 2^i (`cleaning_channels=20`): 3,484,894 '
     'trainable, 0.5% fewer',
     'reconstructed from the parameter count (above): 3 -> 6 -> 12 would give a '
     "40,251-parameter U-net, a third of the thesis's 128,571"),
    ('skip connection over the cleaning module',
     'links the input to the output (5.2.3, Fig. 5.1), whose sizes differ (`H x W` '
     'and `H/4 x W/4`)',
     'the output plus the 4x4 area mean of the input (`UNetCleaning`, code)',
     'the text does not say how the input is brought to 1/4; the area mean is the `d` '
     'of the cleaning loss (footnote 6)'),
]


def deviation_lines():
    return ['## Deviations from the thesis', '',
            'Where the thesis configs (`configs/_base_/stage1.py`, `stage2.py`, '
            "`unet_realbasicvsr.py`, inheriting MMagic's RealBasicVSR configs, and the "
            'variants), or the code they build, differ from the thesis\'s text. Configs '
            'beyond the thesis (the default model, `*_finetune_lowlight.py`) say so '
            'where they are defined.', '',
            '| what | thesis | configs | why / effect |', '|---|---|---|---|'
            ] + [f'| {" | ".join(row)} |' for row in DEVIATIONS] + ['']


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='docs/models.md')
    args = parser.parse_args(argv)
    lines = [
        '# Model sizes', '',
        'Generated by `python tools/model_table.py` (do not edit by hand). Trainable '
        'parameters exclude SPyNet, which is frozen as in RealBasicVSR and the thesis; '
        'SPyNet is counted separately. BasicVSR part: `mid_channels=64`, 20 blocks per '
        'propagation branch; U-net top width `cleaning_channels=20`.', '',
        '| model | trainable | cleaning module | SPyNet (frozen) | thesis (trainable) |',
        '|---|---:|---:|---:|---:|'
    ]
    for name, n_train, n_clean, n_spy in rows():
        thesis = f'{THESIS[name]:,}' if name in THESIS else ''
        lines.append(f'| {name} | {n_train:,} | {n_clean:,} | {n_spy:,} | {thesis} |')
    lines += [
        '', 'The thesis quotes 3,502,462 trainable parameters for 2lev_1res_wS, i.e. a '
        '128,571-parameter cleaning U-net; its figures (the exact widths) are not in the '
        'text. Our reconstruction (two stride-2 convs 3 -> 10 -> 20 channels, levels of '
        '20 * 2^i channels, one residual block before and after each sum, PixelShufflePack '
        'upsampling, 3x3 output conv) has a 111,003-parameter U-net at width 20: the whole '
        'generator is 0.5% smaller than the thesis\'s. Widths 22/24 would overshoot '
        '(+4% / +24% on the U-net); 20 keeps channel counts friendly to vectorised '
        'kernels.', ''
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text('\n'.join(lines + deviation_lines()))
    print('\n'.join(lines[4:-2]))
    print(f'written to {args.out}')


if __name__ == '__main__':
    sys.exit(main())
