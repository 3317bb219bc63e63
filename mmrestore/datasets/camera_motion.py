"""Video from a still photograph: a synthetic camera pans, zooms and rolls over it."""
import math

import cv2
import numpy as np


def random_camera_path(rng, num_frames, max_speed=3.0, max_zoom=0.006, max_roll=0.15,
                       shake=0.3):
    """Draw a smooth camera path, one affine pose per frame.

    A constant pan velocity (up to ``max_speed`` output pixels per frame, any direction),
    zoom rate (up to ``max_zoom`` relative per frame) and roll rate (up to ``max_roll``
    degrees per frame), plus hand-held shake: a random walk of std ``shake`` pixels per
    frame. Speeds are drawn log-uniformly down to 1/20 of the maximum, so sub-pixel
    motion (the hard case of temporal denoisers) is as frequent as fast pans.

    Returns:
        ndarray: ``(num_frames, 4)``: x shift, y shift (output pixels), scale, angle
        (degrees) of each frame relative to the first.
    """
    def rate(limit):
        return limit * math.exp(rng.uniform(math.log(0.05), 0)) * rng.choice([-1, 1])

    angle = rng.uniform(0, 2 * math.pi)
    speed = rate(max_speed)
    vx, vy = speed * math.cos(angle), speed * math.sin(angle)
    zoom, roll = rate(max_zoom), rate(max_roll)
    walk = np.cumsum(rng.normal(0, shake, (num_frames, 2)), axis=0)
    walk -= walk[0]
    i = np.arange(num_frames)
    return np.stack([vx * i + walk[:, 0], vy * i + walk[:, 1], (1 + zoom)**i, roll * i],
                    axis=1)


def render_camera_motion(image, path, out_size, shrink=1.0, centre=None):
    """Render the frames a camera following ``path`` would film of ``image``.

    The output scale is ``image`` shrunk by ``shrink``. Each frame is warped from the
    photo at its own resolution (Lanczos interpolation), then area-downsampled by
    ``shrink``, so frames stay sharp and free of aliasing and consecutive frames differ
    by the drawn motion only.

    Args:
        image (ndarray): ``(H, W, 3)`` uint8 photograph.
        path (ndarray): ``(t, 4)`` poses from :func:`random_camera_path`.
        out_size (int): Side of the square output frames.
        shrink (float): Photo pixels per output pixel (>= 1).
        centre (tuple[float], optional): ``(x, y)`` of the first frame's centre, in
            output pixels of the shrunk photo; default its centre.

    Returns:
        ndarray: ``(t, out_size, out_size, 3)`` uint8. Parts of the path that leave the
        image are filled by reflection.
    """
    if shrink < 1:
        raise ValueError(f'shrink must be >= 1 (no upsampling), got {shrink}')
    size = int(round(out_size * shrink))  # rendering grid, at the photo's resolution
    h, w = image.shape[:2]
    cx, cy = (centre[0] * shrink, centre[1] * shrink) if centre is not None else (w / 2, h / 2)
    frames = []
    for dx, dy, scale, angle in path:
        # maps the frame's centre to (cx, cy) + the pan, in photo pixels
        m = cv2.getRotationMatrix2D((size / 2, size / 2), angle, scale)
        m[:, 2] += np.array([cx + dx * shrink, cy + dy * shrink]) - size / 2
        warped = cv2.warpAffine(image, m, (size, size),
                                flags=cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP,
                                borderMode=cv2.BORDER_REFLECT_101)
        frames.append(warped if size == out_size else cv2.resize(
            warped, (out_size, out_size), interpolation=cv2.INTER_AREA))
    return np.stack(frames)
