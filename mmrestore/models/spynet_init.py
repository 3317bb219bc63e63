"""SPyNet initialised as a coarse-to-fine normal-flow estimator, so it can be trained
from scratch without pre-trained weights."""
import torch

__all__ = ['init_spynet_normal_flow', 'init_spynet_zero_flow']


def _gaussian(sigma, size=7):
    """1-D Gaussian taps, summing to 1."""
    x = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-x**2 / (2 * sigma**2))
    return g / g.sum()


def _derivatives(sigma, size=7):
    """7x7 derivative-of-Gaussian kernels ``(d/dx, d/dy)`` with unit response to a ramp
    of slope 1 (PyTorch convolutions are cross-correlations)."""
    x = torch.arange(size, dtype=torch.float32) - size // 2
    g = _gaussian(sigma, size)
    d = x * g
    d = d / (d * x).sum()
    return g[:, None] * d[None, :], d[:, None] * g[None, :]


@torch.no_grad()
def init_spynet_zero_flow(spynet):
    """Zero the last convolution of every SPyNet level: it predicts zero flow (identity
    alignment) instead of the random flow of an untrained network. Returns ``spynet``."""
    for level in spynet.basic_module:
        last = level.basic_module[-1].conv
        last.weight.zero_()
        last.bias.zero_()
    return spynet


@torch.no_grad()
def init_spynet_normal_flow(spynet, gain=4., gate=20., rest_scale=0.1):
    """Set the layers of every SPyNet level so that, untrained, it estimates flow.

    SPyNet trained from scratch stalls at zero flow: random features do not correlate
    with the flow, so the optimiser silences them (the 4th convolution of each level
    dies within ~100 Adam steps) and the network keeps predicting zero. Here the first
    channels of each of the five convolutions of a level
    (``SPyNetBasicModule``: 8 -> 32 -> 64 -> 32 -> 16 -> 2, 7x7, ReLU) are set to
    compute a sign-gated normal flow, the direction a gradient step of brightness
    constancy points to: with ``I_t = warped_supp - ref`` and ``I_x = d/dx`` of their
    mean,

    1. ``relu(+-I_x), relu(+-I_y), relu(+-I_t)`` (derivative-of-Gaussian and Gaussian
       filters of the grey image, sigma 1);
    2. ``relu(I_t^+ - gate * I_x^-)`` and the three other sign combinations, which are
       ``I_t^+-`` where ``I_x`` has the given sign and 0 elsewhere (likewise for y);
    3. their signed sum ``-sign(I_x) * I_t`` (~ ``u * |I_x|``) smoothed by a Gaussian
       of sigma 2, split into positive and negative parts;
    4. passed through;
    5. ``flow = gain * (u^+ - u^-, v^+ - v^-)``, the residual added to the upsampled
       flow of the coarser level.

    Applied at all six levels it cuts the end-point error of zero flow by 72-85% on
    known warps of a real frame before any training (tests/test_spynet_pretraining.py). The
    other channels keep their random initialisation scaled by ``rest_scale``, and are
    not read by the hand-set ones, so training refines from a working estimator.

    Args:
        spynet (SPyNet): MMagic's SPyNet (``basic_module``: six levels).
        gain (float): Flow per unit of the smoothed ``-sign(I_x) I_t`` (normalised
            input units). Default: 4 (the least-squares fit on smooth warps of the
            training frames).
        gate (float): Steepness of the sign gates. Default: 20.
        rest_scale (float): Scale of the remaining random weights. Default: 0.1.

    Returns:
        SPyNet: ``spynet``, changed in place.
    """
    dx, dy = _derivatives(1.)
    g1 = _gaussian(1.)
    g1 = g1[:, None] * g1[None, :]
    g2 = _gaussian(2.)
    g2 = g2[:, None] * g2[None, :]
    c = 3  # centre tap of a 7x7 kernel
    for level in spynet.basic_module:
        convs = [layer.conv for layer in level.basic_module]
        for conv in convs:
            conv.weight.mul_(rest_scale)
            conv.bias.zero_()
        w1, w2, w3, w4, w5 = (conv.weight for conv in convs)
        # 1. channels 0-5: I_x^+, I_x^-, I_y^+, I_y^-, I_t^+, I_t^- (inputs: ref 0-2,
        # warped supp 3-5, upsampled flow 6-7; grey = mean of the 3 normalised colours)
        w1[:6] = 0
        for ch in range(3):
            for out, kernel in ((0, dx), (1, -dx), (2, dy), (3, -dy)):
                w1[out, ch] = kernel / 6
                w1[out, 3 + ch] = kernel / 6
            for out, sign in ((4, 1.), (5, -1.)):
                w1[out, 3 + ch] = sign * g1 / 3
                w1[out, ch] = -sign * g1 / 3
        # 2. channels 0-3 (x) and 4-7 (y): I_t^+ [I_x >= 0], I_t^- [I_x <= 0],
        # I_t^+ [I_x <= 0], I_t^- [I_x >= 0]
        w2[:8] = 0
        for base, pos, neg in ((0, 0, 1), (4, 2, 3)):
            for j, (it, ix) in enumerate(((4, neg), (5, pos), (4, pos), (5, neg))):
                w2[base + j, it, c, c] = 1.
                w2[base + j, ix, c, c] = -gate
        # 3. channels 0-3: u^+, u^-, v^+, v^- with u ~ -sign(I_x) I_t, smoothed
        w3[:4] = 0
        for base, src in ((0, 0), (2, 4)):
            for sign, out in ((1., base), (-1., base + 1)):
                for j, term in enumerate((-1., -1., 1., 1.)):
                    w3[out, src + j] = sign * term * g2
        # 4. pass-through; 5. read out the flow residual
        w4[:4] = 0
        w5.zero_()
        for j in range(4):
            w4[j, j, c, c] = 1.
        w5[0, 0, c, c], w5[0, 1, c, c] = gain, -gain
        w5[1, 2, c, c], w5[1, 3, c, c] = gain, -gain
    return spynet
