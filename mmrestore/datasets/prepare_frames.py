"""Turn videos into MMagic ``BasicFramesDataset`` frame folders, split at scene cuts.

Layout written under ``out`` (``data_root`` of the dataset, ``data_prefix`` ''): one
folder per training sequence, ``<clip>_<scene>[_s<sub-image>]/00000000.png, ...``,
the frame names ``GenerateSegmentIndices`` expects (``'{:08d}.png'``).
"""
import os
import os.path as osp
import re
import shutil
from pathlib import Path

import cv2
import numpy as np

from mmrestore.errors import DataError
from mmrestore.video import (IMAGE_EXTS, VIDEO_EXTS, iter_frames, natural_key, read_image,
                             to_uint8)

def find_sources(inputs):
    """List the clips named by ``inputs``: video files, or folders of videos or frames.

    Args:
        inputs (list[str]): Video files and folders. A folder contributes the videos
            under it (recursively) and, if it holds images, itself as one clip.

    Returns:
        list[tuple[str, str | list[str]]]: ``(name, video path or frame paths)``, with
        unique folder-safe names.
    """
    sources = []
    for item in inputs:
        path = Path(item)
        if path.is_file():
            if path.suffix.lower() not in VIDEO_EXTS:
                raise DataError(f'not a video file (by its extension): {item}')
            sources.append((path.stem, str(path)))
        elif path.is_dir():
            found = []
            images = sorted((str(p) for p in path.iterdir()
                             if p.is_file() and p.suffix.lower() in IMAGE_EXTS),
                            key=natural_key)
            if images:
                found.append((path.resolve().name, images))
            found += [(p.stem, str(p)) for p in sorted(path.rglob('*'))
                      if p.is_file() and p.suffix.lower() in VIDEO_EXTS]
            if not found:
                raise DataError(f'no video or image in folder: {item}')
            sources += found
        else:
            raise DataError(f'no such video or folder: {item}')
    named, used = [], set()
    for name, src in sources:
        base = re.sub(r'[^A-Za-z0-9_-]+', '_', name).strip('_') or 'clip'
        name, k = base, 1
        while name in used:
            k += 1
            name = f'{base}_{k}'
        used.add(name)
        named.append((name, src))
    return named


def source_frames(source):
    """Yield the RGB uint8 frames ``(h, w, 3)`` of a video file or a list of images,
    decoded as the restorer decodes them (colour matrix and range of the source)."""
    if isinstance(source, str):
        for _, frame in iter_frames(source, dtype=np.uint8):
            yield frame
    else:
        for path in source:
            yield to_uint8(read_image(path))


class SceneCutDetector:
    """Detect hard cuts from the change of content between consecutive frames.

    The score of a frame is the mean absolute difference of its HSV values with the
    previous frame, on copies at most 128 pixels wide (PySceneDetect's content
    score). A cut needs a score above ``threshold`` and ``ratio`` times the mean of
    the ``window`` previous scores, so that fast but continuous motion is no cut.

    Args:
        threshold (float): Smallest score of a cut (0-255 scale). Default: 30.
        ratio (float): Smallest ratio to the recent mean score. Default: 2.
        window (int): Number of previous scores in that mean. Default: 5.
    """

    def __init__(self, threshold=30., ratio=2., window=5):
        self.threshold = threshold
        self.ratio = ratio
        self.window = window
        self.reset()

    def reset(self):
        """Forget the previous frames (a new clip starts)."""
        self.prev = None
        self.scores = []

    @staticmethod
    def _small_hsv(frame):
        h, w = frame.shape[:2]
        s = min(1., 128 / max(h, w))
        small = cv2.resize(frame, (max(1, round(w * s)), max(1, round(h * s))),
                           interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_RGB2HSV).astype(np.float32)

    def __call__(self, frame):
        """Whether ``frame`` (RGB uint8) starts a new scene."""
        cur = self._small_hsv(frame)
        prev, self.prev = self.prev, cur
        if prev is None or prev.shape != cur.shape:
            self.scores = []
            return prev is not None
        score = float(np.abs(cur - prev).mean())
        recent = self.scores[-self.window:]
        is_cut = score > self.threshold and (
            not recent or score > self.ratio * float(np.mean(recent)))
        self.scores = [] if is_cut else self.scores + [score]
        return is_cut


def sub_image_boxes(h, w, size, step):
    """Top-left corners of ``size`` crops every ``step`` pixels, the last flush to the
    border (as BasicSR's ``extract_subimages``); the whole frame if it is smaller."""
    if size is None or (h <= size and w <= size):
        return [(0, 0, h, w)]
    size_h, size_w = min(size, h), min(size, w)

    def starts(length, crop):
        pos = list(range(0, length - crop + 1, step))
        if pos[-1] + crop < length:
            pos.append(length - crop)
        return pos

    return [(y, x, size_h, size_w) for y in starts(h, size_h) for x in starts(w, size_w)]


def prepare_frames(inputs, out, min_frames=100, scale=None, sub_size=None,
                   sub_step=None, cut_threshold=30., log=print):
    """Write the frame folders of a ``BasicFramesDataset`` made of ``inputs``.

    Clips are split at hard scene cuts, so that no sequence spans one; scenes shorter
    than ``min_frames`` are skipped. The folder is built beside ``out`` and renamed
    at the end: ``out`` never holds a partial dataset.

    Args:
        inputs (list[str]): Video files, folders of videos or of frames.
        out (str): Output folder; must not exist yet (or be empty).
        min_frames (int): Shortest scene kept. Default: 100.
        scale (float, optional): Resize frames by this factor (area interpolation
            when shrinking, bicubic when enlarging). Default: None.
        sub_size (int, optional): Cut frames into sub-images of this size, each
            position being its own sequence (fast loading). Default: None.
        sub_step (int, optional): Step between sub-images. Default: ``sub_size``.
        cut_threshold (float): Scene-cut score threshold. Default: 30.
        log (callable): Called with one line per scene. Default: print.

    Returns:
        dict: ``sequences`` ({folder: frames}) and ``skipped`` ({scene: frames}).
    """
    if min_frames < 1:
        raise DataError(f'--min-frames must be >= 1, got {min_frames}')
    if scale is not None and scale <= 0:
        raise DataError(f'--scale must be > 0, got {scale}')
    if sub_size is not None and sub_size < 1:
        raise DataError(f'--sub-size must be >= 1, got {sub_size}')
    if sub_step is not None and sub_step < 1:
        raise DataError(f'--sub-step must be >= 1, got {sub_step}')
    sources = find_sources(inputs)
    out = osp.abspath(out)
    if osp.exists(out) and (not osp.isdir(out) or os.listdir(out)):
        raise DataError(f'output exists and is not empty: {out}')
    os.makedirs(osp.dirname(out), exist_ok=True)
    _remove_stale_partials(out)
    tmp = osp.join(osp.dirname(out), f'.{osp.basename(out)}.partial-{os.getpid()}')
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    detector = SceneCutDetector(cut_threshold)
    result = dict(sequences={}, skipped={})
    try:
        for name, source in sources:
            detector.reset()
            scene, count, folders = -1, 0, []
            for frame in source_frames(source):
                if detector(frame) or scene < 0:
                    _close_scene(tmp, name, scene, count, folders, min_frames, result,
                                 log)
                    scene, count, folders = scene + 1, 0, []
                if scale is not None and scale != 1:
                    h, w = frame.shape[:2]
                    frame = cv2.resize(
                        frame, (max(1, round(w * scale)), max(1, round(h * scale))),
                        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
                boxes = sub_image_boxes(*frame.shape[:2], sub_size,
                                        sub_step or sub_size)
                if not folders:
                    folders = [f'{name}_{scene:03d}' + (f'_s{k:03d}' if len(boxes) > 1
                                                         else '')
                               for k in range(len(boxes))]
                for folder, (y, x, bh, bw) in zip(folders, boxes):
                    os.makedirs(osp.join(tmp, folder), exist_ok=True)
                    crop = np.ascontiguousarray(frame[y:y + bh, x:x + bw, ::-1])
                    if not cv2.imwrite(osp.join(tmp, folder, f'{count:08d}.png'), crop,
                                       [cv2.IMWRITE_PNG_COMPRESSION, 1]):
                        raise OSError(f'cannot write frames under {tmp}')
                count += 1
            _close_scene(tmp, name, scene, count, folders, min_frames, result, log)
        if not result['sequences']:
            raise DataError(f'no scene of at least {min_frames} frames in the input')
        if osp.isdir(out):
            os.rmdir(out)
        os.rename(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def _remove_stale_partials(out):
    """Remove partial folders of ``out`` left by runs that were killed (their process is
    gone); a partial folder of a live run is left alone."""
    prefix = f'.{osp.basename(out)}.partial-'
    for name in os.listdir(osp.dirname(out)):
        pid = name[len(prefix):]
        if not (name.startswith(prefix) and pid.isdigit()):
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(osp.join(osp.dirname(out), name), ignore_errors=True)
        except PermissionError:  # another user's live process
            pass


def _close_scene(tmp, name, scene, count, folders, min_frames, result, log):
    """Keep the finished scene's folders, or remove them if it is too short."""
    if scene < 0:
        return
    label = f'{name} scene {scene}'
    if count < min_frames:
        for folder in folders:
            shutil.rmtree(osp.join(tmp, folder), ignore_errors=True)
        result['skipped'][f'{name}_{scene:03d}'] = count
        log(f'skip {label}: {count} frames < {min_frames}')
    else:
        for folder in folders:
            result['sequences'][folder] = count
        log(f'keep {label}: {count} frames -> {len(folders)} sequence folder(s)')
