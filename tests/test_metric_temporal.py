"""Temporal consistency: steady restorations score low, flicker scores high, occlusions masked."""
import numpy as np
import pytest
from conftest import bundled_clip, read_frames

from mmrestore.evaluation.metrics import temporal_consistency
from mmrestore.evaluation.metrics.temporal_consistency import flow_and_mask


@pytest.fixture(scope='module')
def clip():
    """6 real frames of bikes.mp4 (moving camera) at 136x320, float in [0, 255]."""
    return read_frames(bundled_clip('bikes.mp4'), 6, size=(136, 320), start=60).astype(float)


def test_flicker_raises_the_error_and_a_steady_copy_does_not(clip):
    steady = temporal_consistency(clip, clip, border=4)
    # a restoration that equals its input is exactly as steady as the input
    assert steady['TemporalError'] == pytest.approx(steady['TemporalErrorInput'])
    assert steady['TemporalError'] < 10
    gains = np.where(np.arange(len(clip)) % 2 == 0, 1.0, 0.8)[:, None, None, None]
    flicker = temporal_consistency(np.clip(clip * gains, 0, 255), clip, border=4)
    assert flicker['TemporalError'] > steady['TemporalError'] + 5
    noisy = clip + np.random.default_rng(0).normal(0, 10, clip.shape)
    assert temporal_consistency(noisy, clip)['TemporalError'] > steady['TemporalError'] + 4


def test_known_translation_is_followed_and_occlusion_masked():
    rng = np.random.default_rng(1)
    base = cv_smooth(rng.uniform(0, 255, (96, 160, 3)))
    prev, cur = base.copy(), np.roll(base, 3, axis=1)  # everything moves 3 px right
    cur[30:60, 60:90] = 255 - cur[30:60, 60:90]  # a patch that appears: no match in prev
    flow, mask = flow_and_mask(prev, cur)
    trusted = mask[8:-8, 8:-8]
    assert np.median(flow[8:-8, 8:-8, 0][trusted]) == pytest.approx(-3, abs=0.3)
    assert trusted.mean() > 0.6
    err = temporal_consistency(np.stack([prev, cur]), np.stack([prev, cur]), border=8)
    assert err['TemporalError'] < 8  # the changed patch is masked, the rest matches


def cv_smooth(img):
    import cv2
    return cv2.GaussianBlur(img, (0, 0), 2.0)
