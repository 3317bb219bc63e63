"""Ma (NRQM): features against an independent implementation, forest evaluation by hand."""
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import bundled_clip, read_frames
from PIL import Image
from scipy.io import savemat

from mmrestore.evaluation.metrics import ma
from mmrestore.evaluation.metrics.video_metric import pirm_y

DATA = Path(__file__).parent / 'data' / 'ma_features'
SOURCES = {k: v for k, v in json.loads((DATA / 'sources.json').read_text()).items()
           if not k.startswith('_')}
# f2 entries touched by the finest scale's last orientation (index 5): its GGD shape, its
# cross-scale shape, and its 5 orientation similarities (f2[30:45] are the pairs i < j)
_PAIRS = [(i, j) for i in range(6) for j in range(i + 1, 6)]
PARENT_ENTRIES = {5, 17} | {30 + k for k, (i, j) in enumerate(_PAIRS) if 5 in (i, j)}


def reference_y(name):
    src = SOURCES[name]
    if src['frame'] is None:
        rgb = np.asarray(Image.open(DATA / src['source']).convert('RGB'))
    else:
        top, left, h, w = src['crop']
        rgb = read_frames(bundled_clip(src['source']), 1, start=src['frame'])[0]
        rgb = rgb[top:top + h, left:left + w]
    return pirm_y(rgb)


@pytest.fixture(scope='module', params=sorted(SOURCES))
def case(request):
    ref = np.load(DATA / f'{request.param}.npz')
    y = reference_y(request.param)
    assert y.sum() == ref['y_sum'], 'frame decoded differently from the reference'
    return y, ref


def test_local_frequency_and_svd_features_match_reference(case):
    y, ref = case
    f1, _, f3 = ma.ma_features(y)
    assert f1.shape == (18, ) and f3.shape == (75, )
    np.testing.assert_allclose(f1, ref['f1'], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(f3, ref['f3'], rtol=1e-6)
    # MATLAB's pooling is not pyiqa's: the stored pyiqa values must differ somewhere
    assert np.abs(f1 - ref['f1_pyiqa']).max() > 1e-4


def test_gsm_features_match_reference_under_its_conventions(case, monkeypatch):
    y, ref = case
    # pyiqa's two departures from MATLAB (see tests/data/ma_features/README.md)
    plain_cs = ma.ssim_cs_map
    monkeypatch.setattr(ma, 'ssim_cs_map', lambda a, b: np.maximum(plain_cs(a, b), 0))
    f2 = ma.global_gsm_features(y, parents=[[True] * 6, [False] * 6])
    assert f2.shape == (45, )
    np.testing.assert_allclose(f2, ref['f2'], rtol=0, atol=2e-6)


def test_gsm_features_follow_matlab_parent_rule(case):
    y, ref = case
    f2 = ma.global_gsm_features(y)
    assert ma.parent_flags() == [[True] * 5 + [False], [False] * 6]
    diff = np.abs(f2 - ref['f2']) > 2e-6
    # the band without parent moves its entries; the other shapes stay; the similarities
    # f2[18:30] may move only where pyiqa clamps negative cs (covered by the test above)
    assert diff[[5, 17]].all()
    assert not diff[:5].any() and not diff[6:17].any()
    assert set(np.nonzero(diff[30:])[0] + 30) <= PARENT_ENTRIES


def test_ggd_shape_is_the_nearest_tabulated_ratio():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.laplace(size=(50, 48)), rng.normal(size=(50, 48)),
                        rng.standard_t(3, size=(50, 48))])
    mean = x.mean(1, keepdims=True)
    rho = x.var(1, ddof=1) / (np.abs(x - mean).mean(1)**2 + 1e-7)
    brute = ma._GGD_SHAPES[np.argmin(np.abs(rho[:, None] - ma._GGD_RATIOS[None]), axis=1)]
    np.testing.assert_array_equal(ma.ggd_shape(x), brute)
    # Laplacian data fit a shape near 1, Gaussian near 2
    assert abs(np.median(ma.ggd_shape(rng.laplace(size=(20, 4000)))) - 1) < 0.1
    assert abs(np.median(ma.ggd_shape(rng.normal(size=(20, 4000)))) - 2) < 0.2


def test_bicubic_enlargement_matches_mmagic_matlab_resize():
    from mmagic.datasets.transforms import MATLABLikeResize
    img = np.random.default_rng(1).uniform(0, 1, (17, 23))
    ours = ma.imresize_bicubic(img, (34, 46))
    theirs = MATLABLikeResize(keys=None, scale=2)._resize(img[..., None])[..., 0]
    np.testing.assert_allclose(ours, theirs, atol=1e-5)  # theirs is float32
    np.testing.assert_allclose(ma.imresize_bicubic(img, img.shape), img, atol=1e-12)


def hand_forest_fields():
    """Tree 1: x1 <= .5 -> 1; else x2 <= 2 -> 3, else 5. Tree 2: a single leaf, 10."""
    n = 5
    f = {k: np.zeros((n, 2)) for k in ('lDau', 'rDau', 'nodestatus', 'upper', 'avnode',
                                       'mbest')}
    f['lDau'][:, 0] = [2, 0, 4, 0, 0]
    f['rDau'][:, 0] = [3, 0, 5, 0, 0]
    f['nodestatus'][:, 0] = [-3, -1, -3, -1, -1]
    f['mbest'][:, 0] = [1, 0, 2, 0, 0]
    f['upper'][:, 0] = [0.5, 0, 2.0, 0, 0]
    f['avnode'][:, 0] = [2.7, 1, 4.2, 3, 5]
    f['nodestatus'][0, 1] = -1
    f['avnode'][0, 1] = 10
    return f


def forest_from(fields):
    return ma.RegressionForest(fields['lDau'], fields['rDau'], fields['mbest'],
                               fields['upper'], fields['avnode'], fields['nodestatus'])


def write_ma_model(path, linear=(0.5, 1.0, 0.1, 0.01)):
    """A model file in the layout of the authors' model.mat (struct with rf cell, linear)."""
    rf = np.empty((3, 1), dtype=object)
    for i in range(3):
        rf[i, 0] = hand_forest_fields()
    savemat(str(path), {'model': {'rf': rf, 'linear': np.array(linear, float)[:, None]}})
    return path


def test_forest_predictions_by_hand():
    forest = forest_from(hand_forest_fields())
    x = np.array([[0.2, 9.0], [0.5, 2.0], [0.7, 2.0], [0.7, 2.1]])
    np.testing.assert_allclose(forest.predict(x), [5.5, 5.5, 6.5, 7.5])


def test_model_file_round_trip_and_linear_combination(tmp_path):
    model = ma.MaModel.from_mat(write_ma_model(tmp_path / 'model.mat'))
    feats = (np.array([0.7, 2.1]), np.array([0.2, 0.0]), np.array([0.9, 1.0]))
    # s = (7.5, 5.5, 6.5): 0.5 + 7.5 + 0.55 + 0.065
    assert model.predict(feats) == pytest.approx(8.615)


def test_ma_score_on_a_real_frame_uses_its_features(tmp_path):
    path = write_ma_model(tmp_path / 'NRQM_model.mat')
    y = reference_y('carphone_f10')
    f1, f2, f3 = ma.ma_features(y)

    def tree(f):
        return 1.0 if f[0] <= 0.5 else (3.0 if f[1] <= 2.0 else 5.0)

    s = [(tree(f) + 10) / 2 for f in (f1, f2, f3)]
    assert ma.ma_score(y, path) == pytest.approx(0.5 + s[0] + 0.1 * s[1] + 0.01 * s[2])


def test_missing_model_names_the_file_and_the_variable(monkeypatch, tmp_path):
    monkeypatch.delenv(ma.MA_MODEL_ENV, raising=False)
    with pytest.raises(FileNotFoundError, match='model.mat.*MMRESTORE_MA_MODEL'):
        ma.load_ma_model()
    with pytest.raises(FileNotFoundError, match='not found'):
        ma.load_ma_model(tmp_path / 'absent.mat')
    monkeypatch.setenv(ma.MA_MODEL_ENV, str(write_ma_model(tmp_path / 'm.mat')))
    assert ma.load_ma_model().linear.tolist() == [0.5, 1.0, 0.1, 0.01]


def test_bad_model_file_is_a_clear_error(tmp_path):
    savemat(str(tmp_path / 'other.mat'), {'weights': np.ones(3)})
    with pytest.raises(ValueError, match='not a Ma/NRQM model'):
        ma.MaModel.from_mat(tmp_path / 'other.mat')


def test_too_small_image_is_rejected():
    with pytest.raises(ValueError, match='at least 64x64'):
        ma.ma_features(np.zeros((48, 200)))
