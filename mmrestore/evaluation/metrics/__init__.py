"""Metrics of mmrestore, registered into ``mmagic.registry.METRICS``: PI (NIQE, Ma, PI),
MSEToInput and TemporalConsistency, plus the plain functions behind them."""
from .ma import MaModel, RegressionForest, load_ma_model, ma_features, ma_score
from .mse_to_input import MSEToInput, mse_to_input
from .pi import PI, perceptual_index, pirm_scores
from .temporal_consistency import TemporalConsistency, temporal_consistency
from .video_metric import VideoFrameMetric, pirm_y, sample_frame_indices

__all__ = [
    'PI', 'MSEToInput', 'TemporalConsistency', 'VideoFrameMetric', 'MaModel',
    'RegressionForest', 'load_ma_model', 'ma_features', 'ma_score', 'mse_to_input',
    'perceptual_index', 'pirm_scores', 'temporal_consistency', 'pirm_y',
    'sample_frame_indices'
]
