"""What the scanner does to the image after scan conversion, and how it is stored.

Grey map (a power curve), speckle reduction (a blend with a Gaussian-smoothed copy: an
image-domain stand-in for the scanners' proprietary filters, spatial compounding and
persistence), on-screen text, depth ticks and calipers (real databases are screenshots), and
lossy JPEG storage. Every step is drawn from the image's own `Settings`.
"""

from __future__ import annotations

import cv2
import numpy as np

from usqc.phantom.scanner import Settings

_FONT = cv2.FONT_HERSHEY_PLAIN


def gray_map(polar: np.ndarray, gamma: float) -> np.ndarray:
    lut = np.clip(255 * (np.arange(256) / 255) ** gamma + 0.5, 0, 255).astype(np.uint8)
    return cv2.LUT(polar, lut)


def reduce_speckle(image: np.ndarray, fov: np.ndarray, strength: float) -> np.ndarray:
    if strength <= 0:
        return image
    smooth = cv2.GaussianBlur(image, (0, 0), 0.6 + 1.4 * strength)
    mixed = cv2.addWeighted(image, 1 - strength, smooth, strength, 0)
    mixed[~fov] = 0
    return mixed


def _text_lines(rng: np.random.Generator) -> list[str]:
    """Scanner read-outs of the kind printed beside every image (no plane names: they would leak the label)."""
    lines = [
        f"MI {rng.uniform(0.2, 1.4):.1f}",
        f"TIs {rng.uniform(0.1, 0.9):.1f}",
        f"{rng.integers(8, 40)} Hz",
        f"D {rng.uniform(4, 16):.1f} cm",
        f"G {rng.integers(20, 80)}",
        f"{rng.uniform(2, 6):.1f} MHz",
        f"DR {rng.integers(40, 80)}",
        f"{rng.integers(10, 28):02d}:{rng.integers(0, 59):02d}:{rng.integers(0, 59):02d}",
    ]
    return list(rng.choice(lines, size=int(rng.integers(2, 6)), replace=False))


def annotate(image: np.ndarray, settings: Settings, calipers_px, rng: np.random.Generator) -> None:
    """Text in the top corners, depth ticks along one side, and the plane's two calipers with a
    dotted line between them; drawn in place."""
    if not settings.text:
        return
    rows, cols = image.shape
    scale = float(rng.uniform(0.55, 0.8))
    shade = int(rng.integers(170, 256))
    left = bool(rng.random() < 0.5)
    for k, line in enumerate(_text_lines(rng)):
        width = cv2.getTextSize(line, _FONT, scale, 1)[0][0]
        x = 2 if left else cols - width - 2
        cv2.putText(image, line, (x, 10 + int(11 * scale / 0.7) * k), _FONT, scale, shade, 1, cv2.LINE_AA)
    tick_col = cols - 4 if left else 3
    step = int(rng.integers(12, 24))
    for row in range(int(rng.integers(4, 12)), rows - 4, step):
        cv2.line(image, (tick_col, row), (tick_col + (2 if left else -2), row), shade, 1)
    if settings.calipers:
        (x0, y0), (x1, y1) = calipers_px
        n = max(2, int(np.hypot(x1 - x0, y1 - y0) / 4))
        for t in np.linspace(0, 1, n)[1:-1]:
            cv2.circle(image, (int(round(x0 + t * (x1 - x0))), int(round(y0 + t * (y1 - y0)))), 0, shade, -1)
        for x, y in calipers_px:
            c = (int(round(x)), int(round(y)))
            cv2.line(image, (c[0] - 3, c[1]), (c[0] + 3, c[1]), shade, 1)
            cv2.line(image, (c[0], c[1] - 3), (c[0], c[1] + 3), shade, 1)


def store(image: np.ndarray, quality: int) -> np.ndarray:
    """The image as a JPEG of `quality` would hold it (100: lossless storage)."""
    if quality >= 100:
        return image
    _, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE)
