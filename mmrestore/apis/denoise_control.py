"""Blind noise profile and strength of a noise-aware generator, set once per clip."""
import numpy as np
import torch

SAMPLE_FRAMES = 8  # frames spread over the clip that the noise profile is estimated on


def is_noise_aware(model):
    """True for a generator with a ``denoise_head`` (it takes a noise profile)."""
    return getattr(model, 'denoise_head', None) is not None and hasattr(
        model, 'set_noise_profile')


def configure_denoising(model, frames, strength=1.):
    """Estimate the clip's noise profile from ``frames`` and fix it, with ``strength``.

    Fixing one profile per clip (instead of one per pass) makes every pass, segment and
    process see the same noise map, so resumed and multi-process runs equal a single run.

    Args:
        model (nn.Module): a generator; nothing is done unless :func:`is_noise_aware`.
        frames (list[np.ndarray]): RGB ``(h, w, 3)`` uint8/uint16 frames of the clip.
        strength (float): 0 = input unchanged, 1 = as trained, above 1 = stronger.

    Returns:
        dict | None: ``sigma`` (noise std per brightness bin, 8-bit levels), ``level``
        (brightness-weighted mean, 8-bit levels), ``frames`` (how many were used),
        ``strength``, ``coarseness`` (:meth:`NoiseProfile.coarseness`), ``white``
        (below the shrinkage's ``white_below``) and ``wiener`` (whether its Wiener pass
        runs); None for a generator that is not noise-aware.
    """
    if not is_noise_aware(model):
        return None
    scale = 255. if frames[0].dtype == np.uint8 else 65535.
    x = torch.stack([torch.from_numpy(np.ascontiguousarray(f)).permute(2, 0, 1)
                     for f in frames]).float() / scale
    profile = model.noise_profile
    sigma = profile.estimate(x)
    coarseness = profile.coarseness(x)
    model.set_noise_profile(sigma, coarseness)
    model.strength = float(strength)
    return dict(sigma=[round(float(s) * 255, 2) for s in sigma],
                level=round(profile.summary(sigma, x), 2), frames=len(frames),
                strength=float(strength), coarseness=round(coarseness, 2),
                white=coarseness < model.shrinkage.white_below,
                wiener=bool(model.shrinkage.uses_wiener(coarseness)))


def describe_noise(noise):
    """Plan line text of :func:`configure_denoising`'s result."""
    kind = 'fine (white)' if noise.get('white', True) else 'coarse (grain or compressed)'
    return (f'{noise["level"]:.1f} levels (8-bit std, estimated on {noise["frames"]} '
            f'frames; dark to bright {" ".join(f"{s:.1f}" for s in noise["sigma"])}), '
            f'{kind}, coarseness {noise.get("coarseness", 1):.2f}, '
            f'strength {noise["strength"]:g}')
