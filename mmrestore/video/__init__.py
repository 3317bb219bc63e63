"""Video and image-sequence I/O through PyAV (FFmpeg), the ground floor of mmrestore.

Layered as PyAV itself (container -> stream -> codec context):

- :mod:`.formats` file kinds (one list of image and of video extensions);
- :mod:`.source` probing an input (:class:`SourceInfo`);
- :mod:`.reader` decoding with the source's colour matrix, range and bit depth;
- :mod:`.writer` encoding (:func:`choose_encoder`, :class:`VideoWriter`,
  :class:`SegmentWriter`), :mod:`.join` joining segments with timestamps and audio;
- :mod:`.background` decoding ahead / encoding behind in threads;
- :mod:`.images` single image files, :mod:`.clips` the bundled real test footage.

PyAV is imported by this package only; it never imports torch or mmagic.
"""
from mmrestore.errors import VideoIOError

from .background import BackgroundWorker, FramePrefetcher
from .clips import BUNDLED_CLIPS, bundled_clip
from .extras import dropped_properties
from .formats import (IMAGE_EXTS, OUTPUT_VIDEO_EXTS, VIDEO_EXTS, is_image_path,
                      is_video_path, natural_key)
from .images import encode_image, list_images, read_image, write_image
from .join import check_output, join_segments
from .reader import FrameSource, iter_frames, read_frames, to_uint8
from .source import SourceInfo, list_streams, probe_source, read_packets
from .writer import (CRF_CODECS, EncoderSettings, SegmentWriter, VideoWriter,
                     choose_encoder, write_video)

__all__ = [
    'VideoIOError', 'BackgroundWorker', 'FramePrefetcher', 'BUNDLED_CLIPS', 'bundled_clip',
    'dropped_properties', 'IMAGE_EXTS', 'OUTPUT_VIDEO_EXTS', 'VIDEO_EXTS', 'is_image_path', 'is_video_path', 'natural_key',
    'encode_image', 'list_images', 'read_image', 'write_image', 'check_output', 'join_segments',
    'FrameSource', 'iter_frames', 'read_frames', 'to_uint8', 'SourceInfo', 'list_streams',
    'probe_source', 'read_packets',
    'CRF_CODECS', 'EncoderSettings', 'SegmentWriter', 'VideoWriter', 'choose_encoder',
    'write_video'
]
