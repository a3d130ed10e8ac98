"""What the scanner does to the image after scan conversion, and how it is stored.

Grey map (a power curve), speckle reduction (a blend with a Gaussian-smoothed copy: an
image-domain stand-in for the scanners' proprietary filters, spatial compounding and
persistence), on-screen text, depth ticks and calipers (real databases are screenshots), the
measurement-results box, and lossy JPEG storage. Every step is drawn from the image's own
`Settings` (the results box from its own `ResultBox`).
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class ResultBox:
    """The scanner's measurement-results box: a dark rectangle over one corner of the image, with
    the read-outs of the measurements taken (none where a database blanked them, as HC18 did)."""

    corner: str  # two letters: t|b, then l|r
    width: float  # share of the image width
    height: float  # share of the image height
    margin_px: int  # from the image border
    lines: tuple[str, ...]
    shade: int  # grey of the text


# Corners scanners put the box in: bottom right most often (HC18's real-train part: 36 of its 38 images),
# else top or bottom left, sometimes top right.
_BOX_CORNERS = ("br", "tl", "bl", "tr")
_BOX_CORNER_SHARES = (0.55, 0.25, 0.1, 0.1)


def draw_result_box(share: float, rng: np.random.Generator) -> ResultBox | None:
    """A results box in `share` of the images; None in the others. Read-outs are generic distances
    (never a plane's measurement name: it would leak the label)."""
    if rng.random() >= share:
        return None
    corner = _BOX_CORNERS[int(rng.choice(len(_BOX_CORNERS), p=_BOX_CORNER_SHARES))]
    lines = tuple(f"{k + 1} D {rng.uniform(0.5, 12):.2f} cm" for k in range(int(rng.integers(0, 4))))
    return ResultBox(
        corner=corner,
        width=float(rng.uniform(0.18, 0.3)),
        height=float(rng.uniform(0.12, 0.35)),
        margin_px=int(rng.integers(0, 5)),
        lines=lines,
        shade=int(rng.integers(170, 256)),
    )


def result_box(image: np.ndarray, box: ResultBox | None) -> None:
    """Draws `box` over the image in place: black, its read-outs clipped to it."""
    if box is None:
        return
    rows, cols = image.shape
    h, w = max(1, round(box.height * rows)), max(1, round(box.width * cols))
    top = box.margin_px if box.corner[0] == "t" else rows - h - box.margin_px
    left = box.margin_px if box.corner[1] == "l" else cols - w - box.margin_px
    inner = np.zeros((h, w), dtype=image.dtype)  # a copy: cv2 draws on contiguous arrays only
    for k, line in enumerate(box.lines):
        cv2.putText(inner, line, (3, 11 + 11 * k), _FONT, 0.6, box.shade, 1, cv2.LINE_AA)
    image[top : top + h, left : left + w] = inner


def store(image: np.ndarray, quality: int) -> np.ndarray:
    """The image as a JPEG of `quality` would hold it (100: lossless storage)."""
    if quality >= 100:
        return image
    _, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE)
