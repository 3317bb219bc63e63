"""Low-light sensor noise (signal-dependent Poisson-Gaussian), drifting frame to frame."""
import numpy as np

from mmagic.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomLowLightNoise:
    """Apply the grain of footage shot in low light: Poisson-Gaussian sensor noise.

    Each frame (values in [0, 255]) is linearised with ``x = (y / 255) ** gamma``;
    photon shot noise (Poisson, variance ``shot_noise * x``) and read noise (Gaussian,
    standard deviation ``read_noise``) are added in linear light, and the gamma is
    applied again. As the gamma curve is steep near black, the noise is strongest in
    the dark regions, the defect of the footage of thesis chapter 3 (and 5.2.1).

    ``shot_noise`` and ``read_noise`` are drawn log-uniformly in their ranges for the
    first frame, then drift as a random walk, ``log p_{i+1} = log p_i + dp`` with
    ``dp ~ U(-step, step)`` (thesis 4.2.3), clipped to the ranges, like MMagic's
    ``RandomNoise``. Output frames are float32 and may leave [0, 255] by rounding
    only; the pipeline's ``Clip`` bounds them.

    Modified keys are the attributes specified in ``keys``.

    Args:
        params (dict): The degradation settings:

            - shot_noise (list[float]): [min, max] variance of the shot noise per
              unit of linear signal (``a`` of ``var = a * x + b ** 2``).
            - read_noise (list[float]): [min, max] standard deviation of the read
              noise in linear units (``b``).
            - shot_noise_step (float): Largest change of ``log(shot_noise)`` from a
              frame to the next. Default: 0 (constant).
            - read_noise_step (float): Same for ``log(read_noise)``. Default: 0.
            - gamma (float): Exponent of the display gamma. Default: 2.2.
            - gray_noise_prob (float): Probability that one noise field is shared by
              the three channels (luma grain). Default: 0 (colour grain, as the
              sensor's photosites are independent).
            - prob (float): Probability to apply the noise to a sequence. Default: 1.
        keys (list[str]): Keys of the frames to degrade (image or list of images).
    """

    def __init__(self, params, keys):
        for name in ('shot_noise', 'read_noise'):
            low, high = params[name]
            if not 0 < low <= high:
                raise ValueError(f'params[{name!r}] must be [min, max] with '
                                 f'0 < min <= max, got {params[name]}')
        self.params = params
        self.keys = keys

    def sample_params(self, num_frames):
        """Draw the per-frame noise levels as a random walk in log space.

        Args:
            num_frames (int): Number of frames.

        Returns:
            list[tuple[float, float]]: ``(shot_noise, read_noise)`` per frame.
        """
        walks = []
        for name in ('shot_noise', 'read_noise'):
            low, high = np.log(self.params[name])
            step = self.params.get(f'{name}_step', 0)
            value = np.random.uniform(low, high)
            walk = []
            for _ in range(num_frames):
                walk.append(float(np.exp(value)))
                value = np.clip(value + np.random.uniform(-step, step), low, high)
            walks.append(walk)
        return list(zip(*walks))

    def _apply(self, img, shot, read, is_gray):
        gamma = self.params.get('gamma', 2.2)
        linear = np.clip(img.astype(np.float64) / 255., 0, 1)**gamma
        signal = linear.mean(axis=2, keepdims=True) if is_gray else linear
        noise = np.random.poisson(signal / shot) * shot - signal
        noise = noise + np.random.standard_normal(signal.shape) * read
        noisy = np.clip(linear + noise, 0, 1)**(1 / gamma) * 255.
        return noisy.astype(np.float32)

    def _apply_low_light_noise(self, imgs):
        is_single_image = isinstance(imgs, np.ndarray)
        if is_single_image:
            imgs = [imgs]
        levels = self.sample_params(len(imgs))
        is_gray = np.random.uniform() < self.params.get('gray_noise_prob', 0)
        outputs = [
            self._apply(img, shot, read, is_gray)
            for img, (shot, read) in zip(imgs, levels)
        ]
        return outputs[0] if is_single_image else outputs

    def __call__(self, results):
        """Call this transform."""
        if np.random.uniform() > self.params.get('prob', 1):
            return results
        for key in self.keys:
            results[key] = self._apply_low_light_noise(results[key])
        return results

    def __repr__(self):
        """Print the basic information of the transform."""
        return f'{self.__class__.__name__}(params={self.params}, keys={self.keys})'
