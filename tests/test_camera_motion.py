"""Synthetic camera motion over a still (mmrestore.datasets.camera_motion), real frames."""
import cv2
import numpy as np

from conftest import bundled_clip, read_frames
from mmrestore.datasets.camera_motion import random_camera_path, render_camera_motion


def photo():
    # a detailed real frame (bikes, training part) stands in for a photograph
    return read_frames(bundled_clip('bikes.mp4'), 1, start=60)[0]


def test_integer_pan_is_an_exact_shift():
    path = np.array([[2. * i, -3. * i, 1., 0.] for i in range(4)])
    frames = render_camera_motion(photo(), path, 96, shrink=2.0)
    assert frames.shape == (4, 96, 96, 3) and frames.dtype == np.uint8
    for i in range(1, 4):
        dx, dy = 2 * i, 3 * i  # the camera moves right/up: content moves left/down
        assert np.array_equal(frames[i][dy:, :96 - dx], frames[0][:96 - dy, dx:])


def test_subpixel_pan_is_measured_back():
    speed = np.array([0.4, 0.25])
    path = np.array([[*(speed * i), 1., 0.] for i in range(6)])
    frames = render_camera_motion(photo(), path, 64, shrink=3.0)
    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).astype(np.float64) for f in frames]
    # frames differ (real motion), yet none is blurred: same detail as the first
    lap = [cv2.Laplacian(g, cv2.CV_64F)[8:-8, 8:-8].var() for g in gray]
    assert min(lap) > 0.9 * max(lap)
    window = cv2.createHanningWindow((64, 64), cv2.CV_64F)
    for i in (2, 5):  # (phaseCorrelate windows its inputs in place: copies)
        (dx, dy), _ = cv2.phaseCorrelate(gray[i].copy(), gray[0].copy(), window)
        assert np.allclose([dx, dy], speed * i, atol=0.25), (i, dx, dy)


def test_random_path_spans_slow_and_fast_motion():
    rng = np.random.default_rng(0)
    speeds = []
    for _ in range(200):
        path = random_camera_path(rng, 10, shake=0)
        speeds.append(np.hypot(*path[1, :2]))
        assert path[0].tolist() == [0, 0, 1, 0]
    speeds = np.array(speeds)
    assert speeds.max() <= 3.0 + 1e-9
    assert (speeds < 0.5).mean() > 0.2 and (speeds > 1.5).mean() > 0.2
