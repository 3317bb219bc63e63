"""Which swscale matrix and range convert a source's YUV to RGB and back.

PyAV 13's swscale wrapper has no BT.2020 matrix: BT.2020 sources are converted with
BT.709 coefficients both ways (their tags are still carried over).
"""
# AVColorSpace -> swscale matrix (PyAV 13 names); BT.2020 (9, 10) falls back to BT.709.
_SWS_MATRIX = {1: 'ITU709', 4: 'FCC', 5: 'ITU601', 6: 'SMPTE170M', 7: 'SMPTE240M',
               9: 'ITU709', 10: 'ITU709'}


def sws_matrix(colour, height):
    """swscale matrix of a source: its own, or BT.709 for unspecified HD, BT.601 else.

    Args:
        colour (dict): the source's FFmpeg colour tags (``colorspace`` is read).
        height (int): frame height.
    """
    name = _SWS_MATRIX.get(colour.get('colorspace') or 2)
    if name is None:
        name = 'ITU709' if height >= 720 else 'ITU601'
    return name


def sws_range(colour):
    """swscale range of a source: full ('JPEG') only when tagged so, else limited."""
    return 'JPEG' if colour.get('color_range') == 2 else 'MPEG'
