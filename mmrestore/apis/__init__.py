"""Inference APIs: stream-restore long videos and frame folders (tools/restore_video.py)."""
from .model_loader import DEFAULT_CHECKPOINT, DEFAULT_CONFIG, load_generator
from .progress import Progress
from .restorer import RestoreError, RestoreSettings, VideoRestorer, restore_video
from .sequence_runner import SequenceRunner
from .video_io import (FrameSource, SegmentWriter, SourceInfo, VideoIOError, choose_encoder,
                       join_segments, probe_source)

__all__ = [
    'DEFAULT_CHECKPOINT', 'DEFAULT_CONFIG', 'load_generator', 'Progress', 'RestoreError',
    'RestoreSettings', 'VideoRestorer', 'restore_video', 'SequenceRunner', 'FrameSource',
    'SegmentWriter', 'SourceInfo', 'VideoIOError', 'choose_encoder', 'join_segments',
    'probe_source'
]
