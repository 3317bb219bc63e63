"""What an input carries beyond RGB frames, timing, colour and audio: alpha, pixel aspect
ratio, rotation, interlacing. Which of it the output keeps, and which it drops, said in
the plan so nothing is lost without a word.

- Alpha is kept where the output's pixel format has alpha (see :mod:`.alpha`).
- The pixel aspect ratio is kept where the output stores it: QuickTime/MP4 beside the
  codec ('pasp', from the codec parameters) and H.264/HEVC in their bitstream (VUI, any
  container). Matroska/WebM, AVI and NUT take it from the stream itself, whose field
  PyAV 13 cannot set; image files are written with square pixels.
- Rotation is kept from a QuickTime/MP4 source into a QuickTime/MP4 OUTPUT: the
  track header's display matrix is copied after the join (:mod:`.rotation`), since
  FFmpeg 7 writes one from a stream's side data only (the 'rotate' tag is no longer read
  by its muxers) and PyAV 13 cannot set side data. Other containers drop it.
- Interlacing is dropped: PyAV 13 cannot set a frame's interlaced/top-field-first
  flags nor a stream's field order, and libx264 takes the field order from each frame
  (with ``flags=+ildct+ilme`` its output would be bottom field first whatever the
  source), so the fields are restored and written as progressive frames.
"""
import os.path as osp

import av

from mmrestore.errors import VideoIOError

from .alpha import alpha_twin, format_has_alpha
from .formats import QUICKTIME_EXTS
from .images import ImageSettings

SAR_BITSTREAM = ('libx264', 'libx265')
ALPHA_HINT = ('write a PNG, TIFF, DPX or EXR sequence, or a .mov with --codec prores_ks '
              '--encoder-opt profile=4444 (also --codec qtrle), or a .mkv with '
              '--codec ffv1')


def keeps_alpha(info, settings):
    """Whether the output of ``settings`` (EncoderSettings or ImageSettings) keeps the
    alpha channel of ``info``."""
    return info.has_alpha and format_has_alpha(settings.pix_fmt)


def keeps_sample_aspect(info, settings, output):
    """Whether the output keeps the non-square pixel aspect ratio of ``info``."""
    if not info.sample_aspect_ratio or isinstance(settings, ImageSettings):
        return False
    ext = osp.splitext(str(output))[1].lower()
    return ext in QUICKTIME_EXTS or settings.codec in SAR_BITSTREAM


def keeps_rotation(info, settings, output):
    """Whether the output keeps the display matrix (rotation) of ``info``."""
    return (info.display_matrix is not None and not isinstance(settings, ImageSettings)
            and osp.splitext(str(output))[1].lower() in QUICKTIME_EXTS)


def kept_properties(info, settings, output):
    """What beyond RGB the output keeps, as short phrases (for the plan)."""
    kept = ['alpha kept'] if keeps_alpha(info, settings) else []
    if keeps_rotation(info, settings, output):
        kept.append('rotation kept')
    if keeps_sample_aspect(info, settings, output):
        sar = info.sample_aspect_ratio
        kept.append(f'pixel aspect ratio {sar.numerator}:{sar.denominator} kept')
    return kept


def dropped_properties(info, settings, output):
    """What the restored output will not carry, as short phrases (empty if nothing).

    Args:
        info (SourceInfo): the probed input.
        settings (EncoderSettings | ImageSettings): how the output is written.
        output (str): the OUTPUT path.
    """
    dropped = []
    if info.has_alpha and not keeps_alpha(info, settings):
        dropped.append(_alpha_dropped(info, settings))
    if info.is_folder:  # image files: no pixel aspect, rotation or fields read
        return dropped
    sar = info.sample_aspect_ratio
    if sar and not keeps_sample_aspect(info, settings, output):
        where = ('image files' if isinstance(settings, ImageSettings)
                 else f'{settings.codec} in {osp.splitext(str(output))[1] or output}')
        dropped.append(f'pixel aspect ratio {sar.numerator}:{sar.denominator} ({where} '
                       'cannot carry it here: the output has square pixels; set it in '
                       'your editor, or write .mov/.mp4, or H.264/HEVC)')
    try:
        with av.open(info.path) as container:
            stream = container.streams.video[0]
            if stream.codec_context.name == 'vp9' and str(
                    stream.metadata.get('alpha_mode', '0')) == '1':
                dropped.append('alpha channel of the VP9 stream (FFmpeg\'s vp9 decoder '
                               'reads the colour only; restored as RGB)')
            rotate = stream.side_data.get('DISPLAYMATRIX')
            if rotate is None:
                rotate = (stream.metadata or {}).get('rotate')
            if (rotate not in (None, '0') and float(rotate) % 360
                    and not keeps_rotation(info, settings, output)):
                dropped.append(f'rotation {float(rotate):g} degrees (display metadata: '
                               'kept only from .mov/.mp4 into .mov/.mp4; rotate in your '
                               'editor)')
            frame = next(container.decode(stream), None)
            if frame is not None and frame.interlaced_frame:
                dropped.append('interlacing (fields are restored as progressive frames; '
                               'deinterlace first for best results)')
    except (av.error.FFmpegError, StopIteration) as exc:
        raise VideoIOError(f'cannot read {info.path}: {exc}') from None
    return dropped


def _alpha_dropped(info, settings):
    """Why the alpha channel is not kept, and which output choices keep it."""
    if isinstance(settings, ImageSettings):
        from .sequence import ALPHA_PIX_FMTS
        what = f'{settings.format.upper()} {settings.pix_fmt}'
        hint = f'use --pix-fmt {ALPHA_PIX_FMTS[settings.format][info.bit_depth > 8]}'
    else:
        what = f'{settings.codec} {settings.pix_fmt}'
        codec = av.codec.Codec(settings.codec, 'w')
        formats = [f.name for f in (codec.video_formats or []) if format_has_alpha(f.name)]
        twin = alpha_twin(settings.pix_fmt)
        if settings.codec == 'prores_ks' and formats:
            hint = ('use --encoder-opt profile=4444 (ProRes 4:2:2 has no alpha)'
                    if settings.options.get('profile') not in (None, '4444', '4444xq')
                    else f'use --pix-fmt {formats[0]}')
        elif formats:
            hint = f'use --pix-fmt {twin if twin in formats else formats[0]}'
        else:
            hint = ALPHA_HINT
    source = 'alpha channel' if info.is_folder else f'alpha channel of {info.pix_fmt}'
    return f'{source} ({what} has none; restored as RGB): to keep it, {hint}'
