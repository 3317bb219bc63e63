from . import transforms  # noqa: F401
from .frame_pair_dataset import FramePairDataset

__all__ = ['FramePairDataset']
