"""Video and image-sequence I/O through PyAV (FFmpeg), the ground floor of mmrestore.

Layered as PyAV itself (container -> stream -> codec context):

- :mod:`.formats` file kinds (one list of image and of video extensions);
- :mod:`.source` probing an input (:class:`SourceInfo`);
- :mod:`.reader` decoding with the source's colour matrix, range and bit depth;
- :mod:`.writer` encoding (:func:`choose_encoder`, :class:`VideoWriter`,
  :class:`SegmentWriter`), :mod:`.join` joining segments with timestamps and audio;
- :mod:`.background` decoding ahead / encoding behind in threads;
- :mod:`.alpha` alpha planes (read beside the RGB, written where the format has
  alpha), :mod:`.extras` what beyond RGB is kept or dropped (alpha, pixel aspect
  ratio, rotation, interlacing);
- :mod:`.images` single image files (OpenCV; DPX and EXR through FFmpeg),
  :mod:`.sequence` image sequences (patterns, numbering, output settings),
  :mod:`.timecode` SMPTE timecode arithmetic, :mod:`.clips` the bundled real test footage.

PyAV is imported by this package only; it never imports torch or mmagic.
"""
from mmrestore.errors import VideoIOError

from .background import BackgroundWorker, FramePrefetcher
from .clips import BUNDLED_CLIPS, bundled_clip
from .extras import dropped_properties, keeps_alpha, kept_properties
from .formats import (IMAGE_EXTS, OUTPUT_IMAGE_FORMATS, OUTPUT_VIDEO_EXTS, VIDEO_EXTS,
                      is_image_path, is_video_path, natural_key)
from .images import (ImageSettings, encode_image, has_alpha, image_header, list_images,
                     load_image, load_image_alpha, read_image, read_image_alpha,
                     write_frame, write_image, encode_frame)
from .join import check_output, join_segments
from .reader import FrameSource, FrameWindow, iter_frames, read_frames, to_uint8
from .sequence import (SequencePattern, choose_image_settings, image_output, is_pattern,
                       output_frame_names)
from .source import (SourceInfo, codec_profile, frames_window, list_streams, probe_source,
                     read_packets, select_range)
from .timecode import (frames_to_timecode, is_timecode, offset_timecode,
                       timecode_to_frames)
from .writer import (CRF_CODECS, EncoderSettings, SegmentWriter, VideoWriter,
                     choose_encoder, write_video)

__all__ = [
    'VideoIOError', 'BackgroundWorker', 'FramePrefetcher', 'BUNDLED_CLIPS', 'bundled_clip',
    'dropped_properties', 'keeps_alpha', 'kept_properties', 'IMAGE_EXTS', 'OUTPUT_IMAGE_FORMATS', 'OUTPUT_VIDEO_EXTS',
    'VIDEO_EXTS', 'is_image_path', 'is_video_path', 'natural_key', 'ImageSettings',
    'encode_image', 'has_alpha', 'image_header', 'list_images', 'load_image',
    'load_image_alpha', 'read_image', 'read_image_alpha', 'write_frame', 'write_image',
    'encode_frame', 'check_output', 'join_segments', 'FrameSource', 'FrameWindow',
    'iter_frames', 'read_frames', 'to_uint8',
    'SequencePattern', 'choose_image_settings', 'image_output', 'is_pattern',
    'output_frame_names', 'SourceInfo', 'codec_profile', 'frames_window', 'list_streams',
    'probe_source', 'read_packets', 'select_range', 'frames_to_timecode', 'is_timecode',
    'offset_timecode', 'timecode_to_frames',
    'CRF_CODECS', 'EncoderSettings', 'SegmentWriter', 'VideoWriter', 'choose_encoder',
    'write_video'
]
