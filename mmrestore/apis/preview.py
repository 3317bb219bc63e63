"""``--preview N``: restore N frames spread over the clip (or the ``--start``/``--end``
range) into one before/after picture, to check settings before a long render.

Each frame is restored with its K (``--overlap``) context frames on each side, as at
a segment border of the full render; a full render, whose passes hold up to L frames,
may differ slightly (more propagation context). OUTPUT is not written.
"""
import logging
import os
import os.path as osp

import numpy as np

from mmrestore.video import FrameSource, encode_image, frames_window, to_uint8
from mmrestore.video.timecode import offset_timecode
from mmrestore.visualization import comparison_figure
from .restorer import VideoRestorer
from .sequence_runner import SequenceRunner
from .settings import preview_path

logger = logging.getLogger('mmrestore.restore')


def preview_positions(num_frames, count):
    """Positions of ``count`` frames spread evenly over ``num_frames`` (ends included)."""
    return sorted({int(round(x)) for x in np.linspace(0, num_frames - 1,
                                                       min(count, num_frames))})


def render_preview(input_path, output, settings, progress=None):
    """Write the preview picture of ``settings.preview`` frames; returns a summary dict
    (``path``, ``frames``: the frame numbers shown)."""
    restorer = VideoRestorer(input_path, output, settings, progress)
    s, info = restorer.s, restorer.info
    path = preview_path(output, s)
    restorer.load_model()
    for line in restorer.plan_lines():
        if line.split(':')[0].strip() in ('input', 'model', 'noise', 'device', 'output'):
            logger.info(line)
    if restorer.model_info['random_weights']:
        logger.warning('RANDOM WEIGHTS: no --checkpoint for this model; the preview shows '
                       'an untrained network, not a restoration')
    k = s.overlap
    runner = SequenceRunner(restorer.model, restorer.device, max(s.max_seq_len, 2 * k + 1),
                            k, s.dtype, s.downscale)
    numbers = info.numbers
    blocks, shown = [], []
    for pos in preview_positions(info.num_frames, s.preview):
        a, b = max(0, pos - k), min(info.num_frames, pos + k + 1)
        source = FrameSource(frames_window(info, a, b))
        try:
            frames = source.window(0, b - a)
        finally:
            source.close()
        restored = next(iter(runner.run(frames, pos - a, pos - a + 1)))
        label = f'frame {numbers[pos]}'
        if info.timecode:
            label += f' {offset_timecode(info.timecode, pos, info.fps)}'
        blocks.append(comparison_figure(
            [to_uint8(frames[pos - a]), to_uint8(restored)],
            [f'{label} input', f'{label} restored'], zoom_windows=1))
        shown.append(numbers[pos])
        logger.info('preview: frame %d restored (%d/%d)', numbers[pos], len(shown),
                    min(s.preview, info.num_frames))
    width = max(b.shape[1] for b in blocks)
    gap = np.full((max(4, width // 160), width, 3), 255, np.uint8)
    rows = []
    for block in blocks:
        if block.shape[1] < width:
            block = np.pad(block, ((0, 0), (0, width - block.shape[1]), (0, 0)))
        rows += [block, gap]
    picture = np.concatenate(rows[:-1], axis=0)
    part = f'{path}.part{osp.splitext(path)[1]}'
    with open(part, 'wb') as f:
        f.write(encode_image(picture, osp.splitext(path)[1].lower()))
    os.replace(part, path)
    logger.info('preview: %d frames (%s) with %d context frames each side -> %s '
                '(OUTPUT not written)', len(shown), ', '.join(map(str, shown)), k, path)
    return dict(path=path, frames=shown)
