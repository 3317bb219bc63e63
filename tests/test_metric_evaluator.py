"""PI, MSEToInput and TemporalConsistency in an MMEngine evaluator on MMagic editor outputs."""
import numpy as np
import pytest
import torch
from conftest import bundled_clip, read_frames
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from test_metric_ma import write_ma_model

import mmrestore.registry  # noqa: F401
from mmrestore.evaluation.metrics import (mse_to_input, pirm_scores, sample_frame_indices,
                                          temporal_consistency)


@pytest.fixture(scope='module')
def editor_outputs():
    """RealBasicVSR editor (tiny random generator) on 5 real frames, as the test loop runs it."""
    init_default_scope('mmagic')
    from mmagic.registry import MODELS
    from mmagic.structures import DataSample
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='RealBasicVSR',
        generator=dict(type='UNetRealBasicVSRNet', mid_channels=8, num_propagation_blocks=1),
        pixel_loss=dict(type='L1Loss', loss_weight=1.0),
        cleaning_loss=dict(type='L1Loss', loss_weight=1.0),
        is_use_sharpened_gt_in_pixel=False,
        data_preprocessor=dict(type='DataPreprocessor', mean=[0., 0., 0.],
                               std=[255., 255., 255.]))).eval()
    frames = read_frames(bundled_clip('bikes.mp4'), 5, size=(208, 304), start=40)
    data = dict(inputs=[torch.from_numpy(frames).permute(0, 3, 1, 2).float()],
                data_samples=[DataSample(metainfo=dict(key='bikes', img_channel_order='rgb'))])
    with torch.no_grad():
        outputs = model.test_step(data)
    return frames, data, outputs


def test_metrics_run_in_an_evaluator_on_editor_outputs(editor_outputs, tmp_path, monkeypatch):
    frames, data, outputs = editor_outputs
    monkeypatch.setenv('MMRESTORE_MA_MODEL', str(write_ma_model(tmp_path / 'model.mat')))
    evaluator = Evaluator([dict(type='PI'), dict(type='MSEToInput'),
                           dict(type='TemporalConsistency')])
    evaluator.process(data_samples=outputs, data_batch=data)
    scores = evaluator.evaluate(1)
    assert set(scores) == {'NIQE', 'Ma', 'PI', 'MSEToInput', 'TemporalError',
                           'TemporalErrorInput'}

    # the same numbers from the plain functions on the frames the thesis sampling picks
    pred = outputs[0].output.pred_img.numpy().transpose(0, 2, 3, 1)[..., ::-1]  # BGR->RGB
    idx = sample_frame_indices(5, 'thesis', 0, 'bikes')
    assert idx[0] < 2 and idx[1] >= 3
    per = [pirm_scores(pred[i]) for i in idx]
    for name in ('NIQE', 'Ma', 'PI'):
        assert scores[name] == pytest.approx(np.mean([p[name] for p in per]), rel=1e-9)
    assert scores['PI'] == pytest.approx(0.5 * (10 - scores['Ma'] + scores['NIQE']))
    # the input the editor hands over is the source video (BGR), so MSE compares with it
    mse = np.mean([mse_to_input(pred[i], frames[i]) for i in idx])
    assert scores['MSEToInput'] == pytest.approx(mse, rel=1e-9) and mse > 0
    tc = temporal_consistency(pred, frames.astype(np.float64), border=4)
    assert scores['TemporalError'] == pytest.approx(tc['TemporalError'], rel=1e-6)
    assert scores['TemporalErrorInput'] == pytest.approx(tc['TemporalErrorInput'], rel=1e-6)


def test_mse_to_input_is_zero_for_an_identity_restoration(editor_outputs):
    frames, data, outputs = editor_outputs
    sample = outputs[0].to_dict()
    sample['output'] = {'pred_img': sample['input'].clone()}
    evaluator = Evaluator([dict(type='MSEToInput', sampling='all'),
                           dict(type='MSEToInput', convert_to=None, prefix='rgb')])
    evaluator.process(data_samples=[sample], data_batch=data)
    assert evaluator.evaluate(1) == {'MSEToInput': 0.0, 'rgb/MSEToInput': 0.0}


def test_pi_without_model_fails_at_construction(monkeypatch):
    monkeypatch.delenv('MMRESTORE_MA_MODEL', raising=False)
    from mmagic.registry import METRICS
    with pytest.raises(FileNotFoundError, match='model.mat'):
        METRICS.build(dict(type='PI'))


def test_thesis_sampling_is_seeded_per_sequence():
    a = sample_frame_indices(100, 'thesis', seed=0, key='seq1')
    assert a == sample_frame_indices(100, 'thesis', seed=0, key='seq1')
    assert a[0] < 25 <= 75 <= a[1] < 100
    draws = {tuple(sample_frame_indices(100, 'thesis', seed=s, key='seq1')) for s in range(20)}
    assert len(draws) > 5
    assert sample_frame_indices(7, 'all') == list(range(7))
    assert sample_frame_indices(11, 3) == [0, 5, 10]
    with pytest.raises(ValueError):
        sample_frame_indices(10, 'some')
