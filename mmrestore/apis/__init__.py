"""Inference APIs: stream-restore long videos and frame folders (tools/restore_video.py)."""
from mmrestore.errors import ModelLoadError, RestoreError
from .model_loader import DEFAULT_CHECKPOINT, DEFAULT_CONFIG, load_generator
from .progress import Progress
from .restorer import RestoreSettings, VideoRestorer, restore_video
from .sequence_runner import SequenceRunner

__all__ = [
    'DEFAULT_CHECKPOINT', 'DEFAULT_CONFIG', 'load_generator', 'ModelLoadError', 'Progress',
    'RestoreError', 'RestoreSettings', 'VideoRestorer', 'restore_video', 'SequenceRunner'
]
