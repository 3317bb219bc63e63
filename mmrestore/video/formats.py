"""File kinds the video package knows: one list of image and one of video extensions."""
import os.path as osp
import re

# Frame files read in folders and patterns (PNG, JPEG, TIFF, BMP through OpenCV; DPX and
# OpenEXR through FFmpeg).
IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp', '.dpx', '.exr')
# Image sequences written (--image-format NAME -> file extension); lossless only.
OUTPUT_IMAGE_FORMATS = {'png': '.png', 'tiff': '.tif', 'dpx': '.dpx', 'exr': '.exr'}
IMAGE_FORMAT_OF_EXT = {'.png': 'png', '.tif': 'tiff', '.tiff': 'tiff', '.dpx': 'dpx',
                       '.exr': 'exr'}
# Video files recognised by name (e.g. the clips in a dataset folder); the first ones are
# also the containers an OUTPUT may name (the extension picks the muxer). MXF is read,
# not written: its operational patterns constrain codec, size and rate.
VIDEO_EXTS = ('.mp4', '.mov', '.mkv', '.m4v', '.avi', '.webm', '.ts', '.nut', '.mxf',
              '.mts', '.m2ts', '.mpg', '.mpeg', '.wmv', '.flv')
OUTPUT_VIDEO_EXTS = VIDEO_EXTS[:8]
# QuickTime/MP4 muxers: a track timescale, a timecode track, 'pasp', a display matrix
QUICKTIME_EXTS = ('.mp4', '.mov', '.m4v')


def natural_key(name):
    """Sort key putting 'f2.png' before 'f10.png'."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r'(\d+)', name)]


def is_video_path(path, output=False):
    """Whether ``path`` names a video file (with ``output``: one we write) by its
    extension."""
    return osp.splitext(str(path))[1].lower() in (OUTPUT_VIDEO_EXTS if output else VIDEO_EXTS)


def is_image_path(path):
    """Whether ``path`` names an image file by its extension."""
    return osp.splitext(str(path))[1].lower() in IMAGE_EXTS
