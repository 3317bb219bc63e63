from . import losses  # noqa: F401  (registers the offline perceptual loss)
from .dct_shrinkage import DCTShrinkage
from .lq_skip_basicvsr_net import LQSkipBasicVSRNet
from .noise_profile import NoiseProfile
from .spynet_flow_estimator import SPyNetFlowEstimator
from .streaming import StreamingGenerator
from .temporal_denoise_head import TemporalDenoiseHead
from .spynet_init import init_spynet_normal_flow, init_spynet_zero_flow
from .unet_cleaning import UNetCleaning
from .unet_real_basicvsr_net import UNetRealBasicVSRNet
from .weights import (WeightsMismatchError, extract_generator_state, fit_state_dict,
                      load_generator_weights)

__all__ = [
    'UNetCleaning', 'LQSkipBasicVSRNet', 'UNetRealBasicVSRNet', 'load_generator_weights',
    'extract_generator_state', 'SPyNetFlowEstimator', 'init_spynet_normal_flow',
    'init_spynet_zero_flow', 'NoiseProfile', 'DCTShrinkage', 'TemporalDenoiseHead',
    'StreamingGenerator', 'fit_state_dict', 'WeightsMismatchError'
]
