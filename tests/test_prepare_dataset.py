"""tools/prepare_dataset.py: real videos -> BasicFramesDataset folders split at cuts."""
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import REPO, bundled_clip, read_frames

from mmrestore import video
from mmrestore.errors import DataError
from mmrestore.datasets.prepare_frames import (SceneCutDetector, prepare_frames,
                                               source_frames, sub_image_boxes)

SIZE = (144, 176)  # carphone's size (h, w)


def write_video(path, frames, fps=25):
    """Encode RGB uint8 frames (t, h, w, 3) to an H.264 file."""
    video.write_video(path, frames, fps, video.EncoderSettings('libx264', 'yuv420p', 12))


def cli(*args):
    return subprocess.run([sys.executable, 'tools/prepare_dataset.py', *map(str, args)],
                          cwd=REPO, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONWARNINGS='ignore'))


@pytest.fixture(scope='module')
def clips(tmp_path_factory):
    """A clip made of two different real videos back to back, and a short clip."""
    root = tmp_path_factory.mktemp('videos')
    bunny = read_frames(bundled_clip('bigbuckbunny.mp4'), 24, size=SIZE, start=30)
    carphone = read_frames(bundled_clip('carphone_pristine.mp4'), 24)
    write_video(root / 'joined.mp4', np.concatenate([bunny, carphone]))
    write_video(root / 'short.mp4', read_frames(bundled_clip('bikes.mp4'), 6, size=SIZE))
    return root, bunny, carphone


def folder_frames(folder):
    return sorted(os.listdir(folder))


def test_cli_splits_at_the_cut_and_skips_short_clips(clips, tmp_path):
    root, bunny, carphone = clips
    out = tmp_path / 'data' / 'mine'
    proc = cli(root / 'joined.mp4', root / 'short.mp4', '--out', out, '--min-frames', 10)
    assert proc.returncode == 0, proc.stderr
    assert sorted(os.listdir(out)) == ['joined_000', 'joined_001']  # short.mp4 skipped
    assert 'skip short scene 0: 6 frames < 10' in proc.stdout
    for scene, source in (('joined_000', bunny), ('joined_001', carphone)):
        names = folder_frames(out / scene)
        assert names == [f'{i:08d}.png' for i in range(24)]
        for i in (0, 23):  # each folder holds one video only, up to the cut
            img = cv2.imread(str(out / scene / names[i]))[..., ::-1].astype(float)
            assert np.abs(img - source[i]).mean() < 6
            other = carphone if source is bunny else bunny
            assert np.abs(img - other[i]).mean() > 30
    assert not [p for p in os.listdir(out.parent) if p.startswith('.')]  # no leftovers


def test_cli_bad_input_is_one_line_and_writes_nothing(clips, tmp_path):
    out = tmp_path / 'out'
    proc = cli(tmp_path / 'missing.mp4', '--out', out)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f'prepare_dataset.py: error: no such video or folder: {tmp_path / "missing.mp4"}']
    assert not out.exists()


def test_errors_leave_the_output_untouched(clips, tmp_path):
    root = clips[0]
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'keep.txt').write_text('mine')
    with pytest.raises(DataError, match='not empty'):
        prepare_frames([str(root / 'joined.mp4')], str(out), min_frames=10)
    assert os.listdir(out) == ['keep.txt']
    with pytest.raises(DataError, match='no scene of at least 100 frames'):
        prepare_frames([str(root / 'short.mp4')], str(tmp_path / 'new'), log=lambda line: None)
    assert sorted(os.listdir(tmp_path)) == ['out']  # no partial folder either
    with pytest.raises(DataError, match='not a video'):
        prepare_frames([str(out / 'keep.txt')], str(tmp_path / 'new'))


def test_frame_folder_input_scaled_into_sub_images(bunny_frames, tmp_path):
    frames_dir = tmp_path / 'shot 1'
    frames_dir.mkdir()
    for i, img in enumerate(bunny_frames):  # 8 frames, 64 x 112
        cv2.imwrite(str(frames_dir / f'f{i:03d}.jpg'), img[..., ::-1])
    out = tmp_path / 'subs'
    result = prepare_frames([str(frames_dir)], str(out), min_frames=8, scale=0.5,
                            sub_size=24, sub_step=16, log=lambda line: None)
    # 32 x 56 frames -> rows at 0, 8 and columns at 0, 16, 32 (the last flush right)
    assert sub_image_boxes(32, 56, 24, 16) == [(y, x, 24, 24) for y in (0, 8)
                                                for x in (0, 16, 32)]
    assert sorted(result['sequences']) == [f'shot_1_000_s{k:03d}' for k in range(6)]
    assert set(result['sequences'].values()) == {8}
    last = cv2.imread(str(out / 'shot_1_000_s005' / '00000007.png'))[..., ::-1]
    small = cv2.resize(bunny_frames[7], (56, 32), interpolation=cv2.INTER_AREA)
    assert last.shape == (24, 24, 3)
    assert np.abs(last.astype(float) - small[8:32, 32:56]).mean() < 4  # JPEG loss only


def test_scene_cuts_of_a_real_montage():
    """bikes.mp4 is a montage: cuts found where the shot changes, none on fast motion."""
    detector = SceneCutDetector()
    cuts = [i for i, frame in enumerate(source_frames(str(bundled_clip('bikes.mp4'))))
            if detector(frame)]
    assert cuts == [30, 76, 137, 187, 242]


def test_output_is_a_basic_frames_dataset(clips, tmp_path):
    from mmengine.registry import init_default_scope

    from mmagic.registry import DATASETS
    out = tmp_path / 'finetune'
    prepare_frames([str(clips[0] / 'joined.mp4')], str(out), min_frames=10,
                   log=lambda line: None)
    init_default_scope('mmagic')
    dataset = DATASETS.build(dict(type='BasicFramesDataset', data_root=str(out),
                                  data_prefix=dict(img='', gt=''), depth=1,
                                  num_input_frames=15))
    assert len(dataset) == 2
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert {d['key']: d['sequence_length'] for d in infos} == {
        'joined_000': 24, 'joined_001': 24}


def test_audio_only_input_and_stale_partials(tmp_path):
    """An audio-only file is one named line (exit 2); a partial folder of a killed run
    (its process gone) is removed by the next run, a live one's is left."""
    import wave
    audio = tmp_path / 'voice.mp4'  # FFmpeg probes the content: a WAV file, no video
    with wave.open(str(audio), 'wb') as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes((np.sin(np.arange(8000) / 5) * 3000).astype('<i2').tobytes())
    out = tmp_path / 'set'
    stale = tmp_path / '.set.partial-999999999'
    stale.mkdir()
    live = tmp_path / f'.set.partial-{os.getpid()}x'
    live.mkdir()
    proc = cli(audio, '--out', out)
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and 'no video stream' in err[0] and str(audio) in err[0], err
    assert not stale.exists() and live.exists() and not out.exists()
