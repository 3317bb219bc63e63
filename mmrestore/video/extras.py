"""What an input carries beyond RGB frames, timing, colour and audio, which the restorer
does not keep: alpha, interlacing, pixel aspect ratio, rotation. Listed in the plan so
nothing is lost without a word."""
import os.path as osp

import av

from mmrestore.errors import VideoIOError

from .images import has_alpha


def dropped_properties(info):
    """What the restored output will not carry, as short phrases (empty if nothing).

    Args:
        info (SourceInfo): the probed input.
    """
    if info.is_folder:
        path = osp.join(info.path, info.frame_names[0])
        return ['alpha channel (frames are restored as RGB)'] if has_alpha(path) else []
    dropped = []
    try:
        with av.open(info.path) as container:
            stream = container.streams.video[0]
            ctx = stream.codec_context
            fmt = av.VideoFormat(info.pix_fmt)
            if any(c.is_alpha for c in fmt.components):
                dropped.append(f'alpha channel of {info.pix_fmt} (restored as RGB)')
            sar = ctx.sample_aspect_ratio
            if sar is not None and sar != 1 and sar.numerator:
                dropped.append(f'pixel aspect ratio {sar.numerator}:{sar.denominator} '
                               '(the output has square pixels: set it in your editor)')
            rotate = (stream.metadata or {}).get('rotate')
            if rotate not in (None, '0'):
                dropped.append(f'rotation {rotate} degrees (display metadata)')
            frame = next(container.decode(stream), None)
            if frame is not None and frame.interlaced_frame:
                dropped.append('interlacing (fields are restored as progressive frames; '
                               'deinterlace first for best results)')
    except (av.error.FFmpegError, StopIteration) as exc:
        raise VideoIOError(f'cannot read {info.path}: {exc}') from None
    return dropped
