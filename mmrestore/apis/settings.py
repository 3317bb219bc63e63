"""Settings of a restoration and every check that needs no model: paths, numbers, input,
encoder. Light (no torch, no mmagic), so a command line answers a mistake at once.
"""
import math
import os
import os.path as osp
import re
import stat
import tempfile
from dataclasses import dataclass

import numpy as np

from mmrestore.errors import RestoreError
from mmrestore.video import (IMAGE_EXTS, check_output, choose_encoder, choose_image_settings,
                             image_output, is_pattern, is_video_path, output_frame_names,
                             probe_source, select_range, write_frame)

from .output_safety import foreign_files

DTYPE_NAMES = ('fp32', 'fp16', 'bf16')


@dataclass
class RestoreSettings:
    """Settings of one restoration (see ``mmrestore-restore --help``).

    Args:
        config (str, optional): model config; None: ``DEFAULT_CONFIG``.
        checkpoint (str, optional): weights; None: ``DEFAULT_CHECKPOINT``.
        cfg_options (dict, optional): config overrides.
        device (str): 'auto', 'cpu', 'cuda' or 'cuda:N'. Default: 'auto'.
        max_seq_len (int): L, frames per forward pass (with context). Default: 30.
        chunk_frames (int): Q, decoded frames held in memory (with context). Default: 100.
        overlap (int): K, context frames each side of a pass/segment. Default: 4.
        dtype (str): 'fp32', 'fp16', 'bf16' (autocast). Default: 'fp32'.
        codec (str, optional): video encoder; None: libx264 (8-bit) / libx265 (deeper).
        crf (int, optional): constant rate factor; None: visually lossless default (16).
        preset (str, optional): x264/x265 preset; None: 'medium'.
        downscale (int): resize input by 1/S first (x S super-resolution baselines).
        fps (float, optional): frame rate of a frame-folder input. Default: 25.
        overwrite (bool): replace an existing OUTPUT. Default: False.
        keep_work (bool): keep the work folder after success. Default: False.
        background_io (bool): decode ahead and encode behind the model in background
            threads (same output; at most Q decoded frames). Default: True.
        reuse (bool): reuse cleaned frames and SPyNet flows of overlapping passes within
            a segment (see ``SequenceRunner``). Default: True.
        compile (bool): ``torch.compile`` the generator's sub-networks (CUDA only).
            Default: False.
        strength (float): denoising strength of a noise-aware model (the default
            model): 0 = the input unchanged, 1 = as trained, above 1 = stronger; the
            output changes monotonically with it. Default: 1.
        start (int | str, optional): first frame to restore: a frame number (a
            sequence's file number, a video's frame index from 0) or a timecode
            ``HH:MM:SS:FF``. Default: the first.
        end (int | str, optional): last frame to restore, included. Default: the last.
        pix_fmt (str, optional): FFmpeg pixel format of the output (``--pix-fmt``).
        encoder_options (dict, optional): FFmpeg encoder options (``--encoder-opt``).
        image_format (str, optional): 'png', 'tiff', 'dpx' or 'exr' for a folder OUTPUT
            (a pattern OUTPUT takes its extension). Default: png.
        preview (int): restore this many frames spread over the clip into one
            before/after picture instead of rendering OUTPUT (0: render). Default: 0.
        preview_out (str, optional): the preview picture. Default: next to OUTPUT.
        strict (bool): abort on damaged input instead of concealing the frames that
            cannot be decoded (see ``FrameSource``). Default: False.
    """
    config: str = None
    checkpoint: str = None
    cfg_options: dict = None
    device: str = 'auto'
    max_seq_len: int = 30
    chunk_frames: int = 100
    overlap: int = 4
    dtype: str = 'fp32'
    codec: str = None
    crf: int = None
    preset: str = None
    downscale: int = 1
    fps: float = None
    overwrite: bool = False
    keep_work: bool = False
    background_io: bool = True
    reuse: bool = True
    compile: bool = False
    strength: float = 1.
    start: object = None
    end: object = None
    pix_fmt: str = None
    encoder_options: dict = None
    image_format: str = None
    preview: int = 0
    preview_out: str = None
    strict: bool = False


def output_kind(output):
    """'video' or 'folder' (a folder or an image-sequence pattern) for an OUTPUT path,
    or raise."""
    if is_video_path(output, output=True):
        return 'video'
    ext = osp.splitext(output.rstrip('/'))[1].lower()
    if ext in IMAGE_EXTS:
        if is_pattern(output):
            return 'folder'
        raise RestoreError(f'OUTPUT {output} names one image; give a pattern '
                           f'(shot_%05d{ext}) or a folder for the frames')
    if ext and not osp.isdir(output):
        raise RestoreError(f'OUTPUT {output}: unknown video container {ext!r}')
    return 'folder'


def check_paths(input_path, output, kind, overwrite):
    """Refuse OUTPUT == INPUT, an OUTPUT folder holding the INPUT, an existing OUTPUT
    without overwrite, a folder --overwrite would delete that is not a previous output
    of this tool, unwritable folders. (A pattern OUTPUT's files are checked by
    :func:`check_frame_names`.)"""
    if not osp.exists(input_path) and not is_pattern(input_path):
        raise RestoreError(f'input not found: {input_path}')
    if osp.exists(input_path) and stat.S_ISFIFO(os.stat(input_path).st_mode):
        raise RestoreError(f'INPUT {input_path} is a pipe: the restorer reads its input '
                           'more than once (probe, noise profile, resume); save it to a '
                           'file first')
    out = osp.abspath(output)
    if osp.realpath(out) == osp.realpath(input_path) or (
            osp.exists(out) and osp.samefile(out, input_path)):
        raise RestoreError('OUTPUT is the INPUT; write the result elsewhere')
    if osp.realpath(input_path).startswith(osp.join(osp.realpath(out), '')):
        raise RestoreError(f'OUTPUT {output} contains the INPUT {input_path}; write the '
                           'result elsewhere')
    parent = osp.dirname(out)
    if not osp.isdir(parent):
        raise RestoreError(f'output folder does not exist: {parent}')
    try:  # a real write: os.access() says yes to root on read-only mounts
        fd, probe = tempfile.mkstemp(prefix='.restore-probe-', dir=parent)
        os.close(fd)
        os.remove(probe)
    except OSError as exc:
        raise RestoreError(f'output folder is not writable: {parent} ({exc.strerror})'
                           ) from None
    if osp.exists(out) and not is_pattern(out):
        if kind == 'video' and osp.isdir(out):
            raise RestoreError(f'OUTPUT {output} is a folder, not a video file')
        if kind == 'folder' and not osp.isdir(out):
            raise RestoreError(f'OUTPUT {output} is a file, not a folder')
        empty_dir = osp.isdir(out) and not os.listdir(out)
        if not overwrite and not empty_dir:
            raise RestoreError(f'OUTPUT exists: {output} (use --overwrite to replace it)')
        reason = foreign_files(out) if kind == 'folder' and not empty_dir else ''
        if reason:  # --overwrite deletes a previous output of this tool, nothing else
            raise RestoreError(f'--overwrite will not replace the folder {output}: '
                               f'{reason}; delete or move it yourself, or choose another '
                               'OUTPUT')
    return out


def check_numbers(s):
    """Numbers that cannot work whatever the input: sizes, rate, strength, dtype."""
    if s.max_seq_len < 1 or s.chunk_frames < 1 or s.overlap < 0 or s.downscale < 1:
        raise RestoreError('--max-seq-len, --chunk-frames, --downscale must be >= 1 and '
                           '--overlap >= 0')
    if s.max_seq_len <= 2 * s.overlap:
        raise RestoreError(f'--max-seq-len {s.max_seq_len} must exceed 2 x --overlap '
                           f'{s.overlap} (context frames are part of every pass)')
    if s.chunk_frames <= 2 * s.overlap:
        raise RestoreError(f'--chunk-frames {s.chunk_frames} must exceed 2 x --overlap '
                           f'{s.overlap}')
    if s.dtype not in DTYPE_NAMES:
        raise RestoreError(f'--dtype {s.dtype}: choose from {", ".join(DTYPE_NAMES)}')
    if s.fps is not None and not (math.isfinite(s.fps) and s.fps > 0):
        raise RestoreError(f'--fps {s.fps}: need a finite number > 0')
    if not (s.strength >= 0 and math.isfinite(s.strength)):
        raise RestoreError(f'--strength {s.strength}: need a finite number >= 0')
    if s.preview < 0:
        raise RestoreError(f'--preview {s.preview}: need a number of frames >= 1')
    if s.preview_out and not s.preview:
        raise RestoreError('--preview-out needs --preview N')


def check_settings(s, info, kind):
    """Contradictory or impossible options for this input and OUTPUT -> RestoreError."""
    check_numbers(s)
    if kind == 'folder' and (s.codec or s.crf is not None or s.preset):
        raise RestoreError('--codec/--crf/--preset apply to a video OUTPUT, not a folder')
    if kind == 'video' and s.image_format:
        raise RestoreError('--image-format applies to a folder OUTPUT; a video OUTPUT '
                           'takes --codec')
    if s.fps is not None and not info.is_folder:
        raise RestoreError('--fps applies to a frame-folder INPUT; a video keeps its rate')
    if min(info.width, info.height) < s.downscale:
        raise RestoreError(f'--downscale {s.downscale} is larger than the frames')


def check_frame_names(info, out, settings, overwrite):
    """An image-sequence OUTPUT must not replace INPUT frames, nor existing files
    without ``overwrite`` (a pattern OUTPUT writes into a folder that may hold others)."""
    names = output_frame_names(info, settings)
    if len(set(names)) != len(names):
        raise RestoreError(f'OUTPUT {out}: frame numbers repeat in its names')
    folder = osp.dirname(out) if settings.pattern else out
    inputs = {osp.realpath(osp.join(info.path, n)) for n in info.frame_names}
    clash = [n for n in names if osp.realpath(osp.join(folder, n)) in inputs]
    if clash:
        raise RestoreError(f'OUTPUT would replace INPUT frames ({clash[0]}); write the '
                           'result elsewhere')
    if settings.pattern and not overwrite:
        there = [n for n in names if osp.lexists(osp.join(folder, n))]
        if there:
            more = f' and {len(there) - 1} more' if len(there) > 1 else ''
            raise RestoreError(f'OUTPUT exists: {osp.join(folder, there[0])}{more} (use '
                               '--overwrite to replace them)')


def check_image_output(info, out, settings):
    """Write one black frame as the OUTPUT's files will be (format, pixel format,
    encoder options) beside it, so what cannot be written fails now; nothing stays."""
    folder = osp.dirname(out)
    trial = osp.join(folder, f'.restore-trial-{os.getpid()}{settings.ext}')
    try:
        write_frame(trial, np.zeros((info.height, info.width, 3), info.dtype), settings)
    finally:
        if osp.exists(trial):
            os.remove(trial)


def preview_path(output, s):
    """Where ``--preview`` writes its picture: ``--preview-out``, else next to OUTPUT
    (``out.preview.png`` for ``out.mov``, ``out/`` or ``out/shot_%05d.dpx``)."""
    if s.preview_out:
        path = osp.abspath(s.preview_out)
        if osp.splitext(path)[1].lower() not in ('.png', '.jpg', '.jpeg', '.tif', '.tiff'):
            raise RestoreError(f'--preview-out {s.preview_out}: give a .png, .jpg or .tif '
                               'file')
        if not osp.isdir(osp.dirname(path)):
            raise RestoreError(f'--preview-out: folder does not exist: '
                               f'{osp.dirname(path)}')
        return path
    out = osp.abspath(output.rstrip('/') if len(output) > 1 else output)
    if is_pattern(out):
        stem = re.sub(r'%(0\d+)?d|#+', '', osp.splitext(osp.basename(out))[0])
        stem = stem.strip('_.- ') or 'frames'
        return osp.join(osp.dirname(out), f'{stem}.preview.png')
    root = osp.splitext(out)[0] if is_video_path(out, output=True) else out
    return f'{root}.preview.png'


def check_memory(info, s):
    """Refuse a run whose decoded frames alone cannot fit in the free RAM.

    Counts what is certain, not the model's activations: Q decoded frames (``-Q``, RGB
    at the source depth, with their alpha planes) plus the float32 copy of one pass of
    L frames on a CPU device.
    """
    frame = info.width * info.height * 3
    decoded = frame + (info.width * info.height if info.has_alpha else 0)
    need = s.chunk_frames * decoded * (2 if info.bit_depth > 8 else 1)
    if str(s.device).startswith('cpu') or s.device == 'auto':
        need += s.max_seq_len * frame * 4
    free = _available_ram()
    if free is not None and need > free:
        raise RestoreError(
            f'{info.width}x{info.height} frames: -Q {s.chunk_frames} decoded frames and a '
            f'pass of -L {s.max_seq_len} need at least {need / 2**30:.1f} GiB, '
            f'{free / 2**30:.1f} GiB of RAM is available; lower -Q and -L (e.g. '
            f'-Q {max(2 * s.overlap + 2, int(s.chunk_frames * free / need / 2))} '
            f'-L {max(2 * s.overlap + 1, int(s.max_seq_len * free / need / 2))})')


def _available_ram():
    """MemAvailable of /proc/meminfo in bytes (None where there is none)."""
    try:
        with open('/proc/meminfo') as f:
            for line in f:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def preflight(input_path, output, s):
    """Everything about a restoration that can be checked without the model.

    Returns:
        tuple: (kind, absolute OUTPUT, SourceInfo (of the ``start``-``end`` range),
        EncoderSettings for a video OUTPUT or ImageSettings for frames).
    """
    check_numbers(s)
    kind = output_kind(output)
    out = check_paths(input_path, output, kind, s.overwrite or bool(s.preview))
    info = probe_source(input_path, folder_fps=s.fps)
    info = select_range(info, s.start, s.end)
    check_settings(s, info, kind)
    check_memory(info, s)
    if kind == 'video':
        encoder = choose_encoder(info, s.codec, s.crf, s.preset, out, s.pix_fmt,
                                 s.encoder_options)
        check_output(info, encoder, out)
    else:
        fmt, pattern = image_output(out, s.image_format)
        encoder = choose_image_settings(info, fmt, s.pix_fmt, s.encoder_options, pattern)
        check_frame_names(info, out, encoder, s.overwrite or bool(s.preview))
        check_image_output(info, out, encoder)
    if s.preview:
        preview_path(output, s)
    return kind, out, info, encoder
