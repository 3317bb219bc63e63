from .low_light_grain import RandomLowLightGrain
from .low_light_noise import RandomLowLightNoise
from .random_downscale import RandomDownscale
from .same_size_resize import SameSizeResize

__all__ = ['RandomLowLightGrain', 'RandomLowLightNoise', 'RandomDownscale', 'SameSizeResize']
