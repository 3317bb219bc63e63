"""Blind noise profile of a clip: noise std as a function of brightness (no learning)."""
import torch
import torch.nn.functional as F

# Immerkaer's (1996) operator: the difference of two Laplacians, which cancels locally
# linear image content. For white noise of std s, its response has std 6 s.
_IMMERKAER = torch.tensor([[1., -2., 1.], [-2., 4., -2.], [1., -2., 1.]]) / 6.


class NoiseProfile:
    """Noise level function of a clip, as Neat Video's automatic noise profile.

    Estimated from the noisy frames alone (blind), once per clip:

    1. each channel is filtered with Immerkaer's operator (3x3, zero response to locally
       linear content, scaled so that white noise keeps its std);
    2. the pixels are binned by their local brightness (3x3 mean of the channel mean);
    3. in each bin, only the flattest ``flat_quantile`` of the pixels (smallest gradient
       of the 5x5-smoothed frame) are kept, so texture and edges do not count as noise;
    4. the noise std of the bin is the median of the channel-mean ``|response|`` over
       those pixels, scaled to a std as for Gaussian noise; bins with fewer than
       ``min_count`` pixels take the value of the nearest filled bin.

    The result is ``sigma[b]`` for ``num_bins`` brightness bins of [0, 1]: signal-dependent
    noise (shot noise grows with the signal, gamma makes it strongest in the dark) gives a
    curve, plain Gaussian noise a flat line. :meth:`noise_map` evaluates it per pixel.

    Measured error on known noise (``tests/test_noise_profile.py``, 4 real frames of
    bikes / bigbuckbunny): Gaussian std 2-30 levels and Poisson-Gaussian in linear light,
    every bin but the darkest and brightest within 12% of the true std (most within 3%;
    the steep dark end of shot noise and std 2 over texture are the worst), the clip's
    mean within 6%; clean frames read under 1 level. Heavy noise clipped at black/white
    has a lower std there, and the estimate follows it. Compressed noise (H.264) is
    underestimated, as compression removes its finest part: the estimate is of the noise
    the frames show, not of the sensor's.

    Args:
        num_bins (int): Brightness bins. Default: 8.
        flat_quantile (float): Share of the flattest pixels of each bin kept. Default: 0.5.
        min_count (int): Fewest pixels for a bin to be estimated. Default: 256.
        max_pixels (int): Pixels sampled per clip (the same number from each frame, at
            random, seeded), bounding memory and the per-bin sort on 4K footage.
            Default: 2 ** 21.
        coarse_margin (float): how much larger the 2x2-scale estimate must be to be
            taken (non-white noise, :meth:`estimate`); 0 disables it. Default: 0.25.
    """

    def __init__(self, num_bins=8, flat_quantile=0.5, min_count=256, max_pixels=2**21,
                 coarse_margin=0.25):
        self.coarse_margin = coarse_margin
        self.num_bins = num_bins
        self.flat_quantile = flat_quantile
        self.min_count = min_count
        self.max_pixels = max_pixels

    @staticmethod
    def _brightness(frames):
        return F.avg_pool2d(frames.mean(1, keepdim=True), 3, 1, 1, count_include_pad=False)

    def estimate(self, frames):
        """Estimate the profile.

        Noise that is not white (grain spots of a few pixels, demosaicing, compression)
        has little energy at the finest scale, where the operator looks. The profile is
        therefore also estimated on the frames 2x2-averaged (which halves white noise;
        4x4 read texture as noise in tests):
        where that estimate, scaled back, exceeds the finer one by more than
        ``coarse_margin`` and 4 levels,
        it is taken instead, as the std of such noise is mostly at the coarser scale.

        Args:
            frames (Tensor): ``(N, 3, H, W)`` in [0, 1], frames of one clip (H, W >= 16).

        Returns:
            Tensor: ``(num_bins,)`` noise std per brightness bin, on the [0, 1] scale.
        """
        sigma = self._estimate(frames)
        if not self.coarse_margin:
            return sigma
        for scale in (2, ):
            if min(frames.shape[-2:]) < 16 * scale:
                break
            coarse = scale * self._estimate(F.avg_pool2d(frames.float(), scale))
            # the margin, plus 4 levels: texture weighs more at coarse scales, which must
            # not pass for noise when the noise is light
            better = coarse > sigma * (1 + self.coarse_margin) + 4 / 255
            sigma = torch.where(better, coarse, sigma)
        return sigma

    def coarseness(self, frames):
        """How much of the noise is coarser than a pixel: the 2x2-scale estimate
        (scaled back) over the finest-scale one, summed over the brightness bins.

        About 1 for white noise (1.02-1.26 measured on the clips' training parts, light
        to heavy Gaussian and Poisson-Gaussian noise), well above for grain of a few
        pixels (7.2-8.0) and compressed noise (1.9-4.6, H.264 at 0.4 bits per pixel).

        Args:
            frames (Tensor): ``(N, 3, H, W)`` in [0, 1] (H, W >= 32, else 1 is returned).

        Returns:
            float: the ratio.
        """
        if min(frames.shape[-2:]) < 32:
            return 1.
        fine = self._estimate(frames).sum()
        coarse = 2 * self._estimate(F.avg_pool2d(frames.float(), 2)).sum()
        return float(coarse / fine.clamp(min=1e-6))

    def _estimate(self, frames):
        frames = frames.float()
        n, c = frames.shape[:2]
        kernel = _IMMERKAER.to(frames).view(1, 1, 3, 3).repeat(c, 1, 1, 1)
        keep = max(1, self.max_pixels // n)  # pixels sampled per frame (seeded)
        gen = torch.Generator().manual_seed(0)
        grads, resps, brights = [], [], []
        for frame in frames.split(1):
            resp = F.conv2d(frame, kernel, groups=c).abs().mean(1).flatten()
            gray = frame.mean(1, keepdim=True)
            smooth = F.avg_pool2d(gray, 5, 1, 2, count_include_pad=False)[..., 1:-1, 1:-1]
            gy, gx = torch.gradient(smooth, dim=(-2, -1))
            grad = (gx.abs() + gy.abs()).flatten()
            bright = self._brightness(frame)[..., 1:-1, 1:-1].flatten()
            if len(resp) > keep:
                idx = torch.randperm(len(resp), generator=gen)[:keep]
                resp, grad, bright = resp[idx], grad[idx], bright[idx]
            resps.append(resp)
            grads.append(grad)
            brights.append(bright)
        resp, grad, bright = torch.cat(resps), torch.cat(grads), torch.cat(brights)
        scale = _median_to_std(c)  # median of the channel mean of |N(0, s)| -> s
        bins = (bright * self.num_bins).long().clamp(0, self.num_bins - 1)
        sigma = torch.full((self.num_bins,), float('nan'))
        for b in range(self.num_bins):
            sel = bins == b
            if int(sel.sum()) < self.min_count:
                continue
            g, r = grad[sel], resp[sel]
            k = max(1, int(len(g) * self.flat_quantile))
            flat = torch.topk(g, k, largest=False).indices
            sigma[b] = scale * r[flat].median()
        return _fill_nearest(sigma)

    def noise_map(self, frames, sigma):
        """Per-pixel noise std of ``frames`` under the profile ``sigma``.

        Args:
            frames (Tensor): ``(N, 3, H, W)`` in [0, 1].
            sigma (Tensor): ``(num_bins,)`` as returned by :meth:`estimate`.

        Returns:
            Tensor: ``(N, 1, H, W)``, linear interpolation of the profile at each
            pixel's local brightness (bin centres).
        """
        pos = (self._brightness(frames) * self.num_bins - 0.5).clamp(0, self.num_bins - 1)
        lo = pos.floor().long()
        hi = (lo + 1).clamp(max=self.num_bins - 1)
        frac = pos - lo
        sigma = sigma.to(frames)
        return sigma[lo] * (1 - frac) + sigma[hi] * frac

    @staticmethod
    def summary(sigma, frames=None):
        """One number for the plan line: the mean std in 8-bit levels (0-255).

        Weighted by the brightness histogram of ``frames`` when given, else flat.
        """
        if frames is None:
            return float(sigma.mean()) * 255
        bins = (NoiseProfile._brightness(frames.float()) * len(sigma)).long().clamp(
            0, len(sigma) - 1)
        weights = torch.bincount(bins.flatten(), minlength=len(sigma)).float()
        return float((sigma * weights).sum() / weights.sum()) * 255


def _fill_nearest(sigma):
    """Fill NaN bins with the nearest estimated bin (all NaN: zero noise)."""
    valid = torch.nonzero(~torch.isnan(sigma)).flatten()
    if len(valid) == 0:
        return torch.zeros_like(sigma)
    idx = torch.arange(len(sigma))
    nearest = valid[(idx[:, None] - valid[None]).abs().argmin(1)]
    return sigma[nearest]


_RATIO = {}


def _median_to_std(c, samples=200_000):
    """``s / median(mean_c |N(0, s)|)`` for ``c`` independent channels (seeded, cached).

    ``1.4826`` for one channel; the mean over channels is less spread, so larger.
    """
    if c not in _RATIO:
        g = torch.Generator().manual_seed(0)
        _RATIO[c] = float(1 / torch.randn(samples, c, generator=g).abs().mean(1).median())
    return _RATIO[c]
