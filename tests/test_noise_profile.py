"""The blind noise profile (mmrestore.models.noise_profile) on known noise, real frames."""
import pytest
import torch

from conftest import bundled_clip, frames_to_tensor, read_frames
from mmrestore.models.noise_profile import NoiseProfile

# Stated error bounds (docstring of NoiseProfile): every bin but the darkest and the
# brightest within 12% of the true std, the per-clip summary within 6% (clipping at
# black/white lowers the true std of the extreme bins too, which the true std measures).
BIN_TOL = 0.12
REL_TOL = 0.06


@pytest.fixture(scope='module', params=['bikes.mp4', 'bigbuckbunny.mp4'])
def clean(request):
    # training part of both clips (frames before the held-out tails), full size
    return frames_to_tensor(read_frames(bundled_clip(request.param), 4, start=20))[0]


def true_profile(clean, noisy, num_bins=8):
    """Std of (noisy - clean) per brightness bin of the clean frames (NaN: too few)."""
    bins = (NoiseProfile._brightness(clean) * num_bins).long().clamp(0, num_bins - 1)
    diff = (noisy - clean).permute(1, 0, 2, 3)
    out = torch.full((num_bins,), float('nan'))
    for b in range(num_bins):
        sel = bins[:, 0] == b
        if sel.sum() > 5000:
            out[b] = diff[:, sel].std()
    return out


def check(est, true):
    mid = ~torch.isnan(true)
    mid[0] = mid[-1] = False  # black/white bins: clipping, few flat pixels
    rel = ((est[mid] - true[mid]).abs() / true[mid])
    assert rel.max() < BIN_TOL, f'est {est[mid] * 255} true {true[mid] * 255}'


@pytest.mark.parametrize('sigma', [2, 10, 30])
def test_gaussian_noise_flat_profile(clean, sigma):
    g = torch.Generator().manual_seed(sigma)
    noisy = (clean + torch.randn(clean.shape, generator=g) * sigma / 255).clamp(0, 1)
    est = NoiseProfile().estimate(noisy)
    check(est, true_profile(clean, noisy))
    true_all = float((noisy - clean).std()) * 255
    assert NoiseProfile.summary(est, noisy) == pytest.approx(true_all, rel=REL_TOL)


@pytest.mark.parametrize('shot,read', [(2e-3, 5e-3), (1e-2, 2e-2)])
def test_poisson_gaussian_curve(clean, shot, read):
    """Shot noise in linear light: the estimated curve follows the true per-bin std."""
    g = torch.Generator().manual_seed(7)
    lin = clean**2.2
    noisy = (lin + torch.randn(clean.shape, generator=g) * (shot * lin + read**2).sqrt())
    noisy = noisy.clamp(0, 1)**(1 / 2.2)
    est = NoiseProfile().estimate(noisy)
    true = true_profile(clean, noisy)
    check(est, true)
    valid = true[~torch.isnan(true)]
    assert valid[0] > 1.5 * valid[-1]  # the noise really is signal dependent here


def test_clean_frames_and_map(clean):
    est = NoiseProfile().estimate(clean)
    assert NoiseProfile.summary(est, clean) < 1.0  # compressed source: under 1 level
    sigma = torch.linspace(0.01, 0.08, 8)
    nmap = NoiseProfile().noise_map(clean, sigma)
    assert nmap.shape == (clean.shape[0], 1, *clean.shape[-2:])
    assert nmap.min() >= 0.01 - 1e-6 and nmap.max() <= 0.08 + 1e-6
    # brighter pixels get the larger std of this increasing profile
    bright = NoiseProfile._brightness(clean)
    assert torch.corrcoef(torch.stack([bright.flatten(), nmap.flatten()]))[0, 1] > 0.95


@pytest.mark.parametrize('sigma', [5, 25])
def test_coarseness_tells_white_noise_from_grain(clean, sigma):
    """White noise reads ~1, 2-px grain of the same std far above the default model's
    white_below (1.5): its DCT shrinkage takes the Wiener pass only for the first."""
    from mmrestore.models import DCTShrinkage
    g = torch.Generator().manual_seed(sigma)
    white = (clean + torch.randn(clean.shape, generator=g) * sigma / 255).clamp(0, 1)
    spots = torch.randn(clean.shape[0], 3, clean.shape[2] // 2, clean.shape[3] // 2,
                        generator=g)
    grain = torch.nn.functional.interpolate(spots, size=clean.shape[-2:], mode='nearest')
    grain = (clean + grain * sigma / 255).clamp(0, 1)
    profile, shrinkage = NoiseProfile(), DCTShrinkage(wiener='auto')
    c_white, c_grain = profile.coarseness(white), profile.coarseness(grain)
    assert c_white < 1.3 and c_grain > 2.5, (c_white, c_grain)
    assert shrinkage.uses_wiener(c_white) and not shrinkage.uses_wiener(c_grain)
    assert not shrinkage.uses_wiener(None)  # unknown: hard thresholding only
