"""Image sequences: name patterns (``shot_%05d.dpx``, ``shot_####.dpx``), frame numbers,
and how restored frames are written as one (:func:`choose_image_settings`,
:func:`output_frame_names`).

A pattern names one frame-number field: printf style (``%d``, ``%05d``) as FFmpeg's
image2 muxer, or a run of ``#`` (one per digit, as Nuke and many render tools), so
``shot_####.dpx`` is ``shot_%04d.dpx``. Numbers wider than the padding are allowed
(``%04d`` matches ``shot_12345.dpx``), other paddings are not (``shot_012.dpx`` is not
frame 12 of ``%04d``).
"""
import os
import os.path as osp
import re
from dataclasses import dataclass

import av

from mmrestore.errors import VideoIOError

from .formats import IMAGE_FORMAT_OF_EXT, OUTPUT_IMAGE_FORMATS
from .images import ImageSettings

_FIELD = re.compile(r'%(0\d+)?d|#+')


def is_pattern(path):
    """Whether the file name of ``path`` holds a frame-number field (%05d, %d, ####)."""
    return bool(_FIELD.search(osp.basename(str(path))))


@dataclass
class SequencePattern:
    """A file-name pattern in a folder: ``prefix`` + number (``width`` digits at least,
    zero-padded; 0 = unpadded) + ``suffix``."""
    folder: str
    prefix: str
    suffix: str
    width: int

    @classmethod
    def parse(cls, path):
        path = str(path)
        folder, name = osp.split(path)
        fields = list(_FIELD.finditer(name))
        if len(fields) != 1:
            raise VideoIOError(f'{path}: a sequence pattern needs exactly one frame-number '
                               'field (shot_%05d.dpx or shot_#####.dpx)')
        m = fields[0]
        token = m.group(0)
        width = len(token) if token.startswith('#') else int(m.group(1) or 0)
        return cls(folder or '.', name[:m.start()], name[m.end():], width)

    def name(self, number):
        return f'{self.prefix}{number:0{self.width}d}{self.suffix}'

    def number(self, name):
        """The frame number of file ``name``, or None if it does not match."""
        if not (name.startswith(self.prefix) and name.endswith(self.suffix)):
            return None
        digits = name[len(self.prefix):len(name) - len(self.suffix)]
        if not digits.isdigit() or not digits.isascii():
            return None
        value = int(digits)
        return value if digits == f'{value:0{self.width}d}' else None

    def display(self):
        return osp.join(self.folder, f'{self.prefix}%0{self.width}d{self.suffix}'
                        if self.width else f'{self.prefix}%d{self.suffix}')


def find_frames(pattern_path):
    """``(pattern, [(number, file name)])`` of the files matching a pattern, in frame
    order. Raises :class:`VideoIOError` if none match or numbers are missing between the
    first and the last (a gap means a broken copy: frames would be mistimed)."""
    pattern = SequencePattern.parse(pattern_path)
    if not osp.isdir(pattern.folder):
        raise VideoIOError(f'input not found: {pattern.folder} (folder of {pattern_path})')
    found = sorted((n, name) for name in os.listdir(pattern.folder)
                   if not name.startswith('.') and (n := pattern.number(name)) is not None)
    if not found:
        raise VideoIOError(f'no files match {pattern_path}')
    numbers = [n for n, _ in found]
    missing = (numbers[-1] - numbers[0] + 1) - len(numbers)
    if missing:
        gap = next(a + 1 for a, b in zip(numbers, numbers[1:]) if b != a + 1)
        raise VideoIOError(f'{pattern_path}: {missing} frame(s) missing between '
                           f'{numbers[0]} and {numbers[-1]} (first: {pattern.name(gap)}); '
                           'restore each run of frames separately')
    return pattern, found


def folder_numbers(names):
    """Frame numbers of a folder's files: the numbers in their names when all names
    are one prefix + number + suffix (shot_1001.dpx ...), else 0, 1, 2 ..."""
    if not names:
        return []
    match = re.match(r'^(.*?)(\d+)(\D*)$', names[0])
    if match:
        prefix, _, suffix = match.groups()
        numbers = []
        for name in names:
            m = re.match(r'^(.*?)(\d+)(\D*)$', name)
            if not m or m.group(1) != prefix or m.group(3) != suffix:
                break
            numbers.append(int(m.group(2)))
        else:
            if len(set(numbers)) == len(numbers) and numbers == sorted(numbers):
                return numbers
    return list(range(len(names)))


# ----------------------------------------------------------------- writing
IMAGE_PIX_FMTS = {  # RGB, then RGB with alpha, as FFmpeg's encoders name them
    'png': ('rgb24', 'rgb48be', 'rgba', 'rgba64be'),
    'tiff': ('rgb24', 'rgb48le', 'rgba', 'rgba64le'),
    'dpx': ('gbrp10le', 'gbrp12le', 'rgb48le', 'rgb24', 'rgba', 'rgba64le'),
    'exr': ('gbrpf32le', 'gbrapf32le')}
# With an alpha channel in the source: (8-bit, deeper) formats that keep it.
ALPHA_PIX_FMTS = {'png': ('rgba', 'rgba64be'), 'tiff': ('rgba', 'rgba64le'),
                  'dpx': ('rgba', 'rgba64le'), 'exr': ('gbrapf32le', 'gbrapf32le')}


def image_output(output, image_format=None):
    """``(format, pattern or None)`` of an image-sequence OUTPUT: a pattern
    (``out/shot_%05d.dpx``) or a folder with ``--image-format`` (default png)."""
    if is_pattern(output):
        ext = osp.splitext(str(output))[1].lower()
        fmt = IMAGE_FORMAT_OF_EXT.get(ext)
        if fmt is None:
            raise VideoIOError(f'OUTPUT {output}: image sequences are written as '
                               f'{", ".join(OUTPUT_IMAGE_FORMATS)} (lossless), not {ext}')
        if image_format and _format_name(image_format) != fmt:
            raise VideoIOError(f'--image-format {image_format} contradicts OUTPUT {output}')
        SequencePattern.parse(output)
        return fmt, osp.basename(str(output))
    return _format_name(image_format or 'png'), None


def _format_name(name):
    fmt = {'tif': 'tiff'}.get(name.lower(), name.lower())
    if fmt not in OUTPUT_IMAGE_FORMATS:
        raise VideoIOError(f'--image-format {name}: choose from '
                           f'{", ".join(OUTPUT_IMAGE_FORMATS)}')
    return fmt


def choose_image_settings(info, image_format='png', pix_fmt=None, options=None,
                          pattern=None):
    """How frames of ``info`` are written as ``image_format`` files: the source's depth.

    Defaults: PNG and TIFF 8-bit for 8-bit sources, else 16-bit; DPX 10-bit (the
    source's 12 or 16 bits when deeper); EXR half float, or float for a float EXR
    source. A source with alpha keeps it: RGBA of 8 bits for 8-bit sources, else 16
    (DPX has no 10-bit RGBA here), EXR with an A channel. ``pix_fmt`` and ``options``
    (FFmpeg encoder options) are checked against the encoder. Raises
    :class:`VideoIOError`.
    """
    fmt = _format_name(image_format)
    options = dict(options or {})
    allowed = IMAGE_PIX_FMTS[fmt]
    deep = info.bit_depth > 8
    if pix_fmt is None and info.has_alpha:
        pix_fmt = ALPHA_PIX_FMTS[fmt][deep]
    elif pix_fmt is None:
        pix_fmt = {'png': 'rgb48be' if deep else 'rgb24',
                   'tiff': 'rgb48le' if deep else 'rgb24',
                   'dpx': ('gbrp10le' if info.bit_depth <= 10 else 'gbrp12le'
                           if info.bit_depth <= 12 else 'rgb48le'),
                   'exr': 'gbrpf32le'}[fmt]
    elif pix_fmt not in allowed:
        raise VideoIOError(f'--pix-fmt {pix_fmt}: {fmt.upper()} frames take '
                           f'{", ".join(allowed)}')
    if fmt == 'png':
        if options:
            raise VideoIOError('--encoder-opt does not apply to PNG frames (lossless, '
                               'written by OpenCV); use tiff, dpx or exr for options')
    else:
        check_encoder_options(fmt, options)
    if fmt == 'exr':
        options.setdefault('format', 'float' if info.sample_format == 'float' else 'half')
    return ImageSettings(fmt, pix_fmt, options, pattern)


def check_encoder_options(codec, options):
    """Refuse ``--encoder-opt`` values an encoder's own options cannot take (named
    choices); unknown keys are found by the trial encode (FFmpeg leaves them unused)."""
    descriptor = av.codec.Codec(codec, 'w').descriptor
    known = {o.name: o for o in (descriptor.options if descriptor else [])}
    for key, value in options.items():
        option = known.get(key)
        if option is None or not option.choices:
            continue
        names = [c.name for c in option.choices]
        if str(value) not in names and not str(value).lstrip('-').isdigit():
            raise VideoIOError(f'--encoder-opt {key}={value}: {codec} takes {key}= '
                               f'{", ".join(names)}')


def output_frame_names(info, settings):
    """File names of the restored frames, in order (pattern OUTPUT: its numbering of
    the input's frame numbers; folder OUTPUT: the input's file names with the new
    extension for a sequence or folder, else the frame numbers with 8 digits)."""
    numbers = info.numbers
    if settings.pattern:
        pattern = SequencePattern.parse(settings.pattern)
        return [pattern.name(n) for n in numbers]
    if info.frame_names:
        names = [osp.splitext(n)[0] + settings.ext for n in info.frame_names]
        if len(set(names)) == len(names):
            return names
    width = max(8, len(str(max(numbers, default=0))))
    return [f'{n:0{width}d}{settings.ext}' for n in numbers]
