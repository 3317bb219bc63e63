"""Before/after pictures: frames side by side with their labels and scores, then zoomed
crops of the most detailed regions, the same crop of every frame in one row."""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

# Width of one panel in the picture: small clips are enlarged (pixels stay square
# blocks), large ones reduced, so labels and crops read at any source size.
MIN_PANEL, MAX_PANEL = 360, 960
_COLOURS = ((255, 64, 64), (64, 200, 255), (255, 220, 0), (120, 255, 120))


def detailed_windows(gray: np.ndarray, size: Tuple[int, int],
                     count: int = 2) -> List[Tuple[int, int]]:
    """Top-left corners of the ``count`` most textured, non-overlapping windows.

    Args:
        gray (np.ndarray): (h, w) image whose Laplacian energy ranks the windows.
        size (tuple[int, int]): (height, width) of a window.
        count (int): number of windows. Default: 2.
    """
    h, w = gray.shape
    wh, ww = size
    lap = np.abs(cv2.Laplacian(gray.astype(np.float32), cv2.CV_32F))
    energy = cv2.boxFilter(lap, -1, (ww, wh), normalize=True)
    energy = energy[wh // 2:h - wh + wh // 2 + 1, ww // 2:w - ww + ww // 2 + 1].copy()
    corners = []
    for _ in range(count):
        y, x = np.unravel_index(np.argmax(energy), energy.shape)
        corners.append((int(y), int(x)))
        energy[max(0, y - wh):y + wh, max(0, x - ww):x + ww] = -1
    return corners


def _banner(text: str, width: int, height: int) -> np.ndarray:
    """A dark strip of ``width`` x ``height`` with ``text`` as large as fits."""
    strip = np.full((height, width, 3), 32, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), _ = cv2.getTextSize(text, font, 1.0, 1)
    scale = min(0.62 * height / th, (width - 12) / max(tw, 1))
    thick = max(1, round(scale * 1.6))
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    cv2.putText(strip, text, (6, (height + th) // 2), font, scale, (255, 255, 255), thick,
                cv2.LINE_AA)
    return strip


def _fit(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize to (width, height): nearest when enlarging (honest pixels), area else."""
    interp = cv2.INTER_NEAREST if width >= img.shape[1] else cv2.INTER_AREA
    return cv2.resize(img, (width, height), interpolation=interp)


def comparison_figure(frames: Sequence[np.ndarray], labels: Sequence[str],
                      scores: Optional[Sequence[Optional[str]]] = None,
                      zoom_windows: int = 2, guide: int = 0) -> np.ndarray:
    """One picture comparing frames of the same shot (input, restored, clean ...).

    Top row: every frame whole, under a banner with its label and score (e.g.
    ``'restored · PSNR 31.2 dB'``), with the zoomed regions outlined. Then one row per
    region: the same crop of every frame, enlarged to the panel size. Crops are a
    quarter of the frame on each side (at least 16 pixels), the most textured ones of
    frame ``guide``, so a 64-pixel clip and a 4K one both give readable crops.

    Args:
        frames (list[np.ndarray]): (h, w, 3) RGB uint8 frames of one size.
        labels (list[str]): a caption per frame.
        scores (list[str | None], optional): text appended to each caption.
        zoom_windows (int): number of zoomed regions. Default: 2.
        guide (int): index of the frame whose detail picks the regions (the clean
            reference when there is one). Default: 0.

    Returns:
        np.ndarray: RGB uint8 picture.
    """
    if not frames or len(frames) != len(labels):
        raise ValueError('comparison_figure: one label per frame')
    h, w = frames[0].shape[:2]
    if any(f.shape[:2] != (h, w) for f in frames):
        raise ValueError('comparison_figure: frames of different sizes')
    pw = int(np.clip(w, MIN_PANEL, MAX_PANEL))
    ph = max(1, round(h * pw / w))
    bh = max(20, pw // 18)
    ch = min(h, max(16, h // 4))
    cw = min(w, max(16, round(ch * w / h)))
    corners = detailed_windows(cv2.cvtColor(frames[guide], cv2.COLOR_RGB2GRAY), (ch, cw),
                               zoom_windows)
    sx, sy = pw / w, ph / h
    top = []
    for i, (img, label) in enumerate(zip(frames, labels)):
        panel = _fit(img, pw, ph)
        for (y, x), c in zip(corners, _COLOURS):
            cv2.rectangle(panel, (int(x * sx), int(y * sy)),
                          (int((x + cw) * sx) - 1, int((y + ch) * sy) - 1), c,
                          max(1, pw // 240))
        text = label if not scores or not scores[i] else f'{label} - {scores[i]}'
        top.append(np.concatenate([_banner(text, pw, bh), panel], axis=0))
    rows = [np.concatenate(top, axis=1)]
    gap = np.zeros((max(2, pw // 120), pw * len(frames), 3), np.uint8)
    for (y, x), c in zip(corners, _COLOURS):
        crops = []
        for img in frames:
            crop = _fit(img[y:y + ch, x:x + cw], pw, ph)
            cv2.rectangle(crop, (0, 0), (pw - 1, ph - 1), c, max(2, pw // 160))
            crops.append(crop)
        rows += [gap, np.concatenate(crops, axis=1)]
    return np.ascontiguousarray(np.concatenate(rows, axis=0))
