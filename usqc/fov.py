"""Blank what lies outside the ultrasound field of view: burned-in text, rulers, logos, UI.

Scanners draw the image in a sector (or rectangle) of speckle and print annotations around it
on a dark background. The field of view is taken as the bright regions that survive an opening
wide enough to erase text strokes (the largest, and any at least a tenth of its size: dark fluid
or shadow can cut a sector in pieces), filled as their convex hull; everything outside becomes
black. Annotations printed inside the sector itself are left alone.
"""

from __future__ import annotations

import cv2
import numpy as np

PIECE_FRACTION = 0.1  # a bright region this large against the largest belongs to the field of view


def field_of_view(gray: np.ndarray, level: int = 8, stroke_fraction: float = 0.02) -> np.ndarray:
    """Boolean mask of the field of view of a uint8 image (all True if none is found)."""
    side = max(3, int(round(stroke_fraction * min(gray.shape))) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    bright = cv2.morphologyEx((gray > level).astype(np.uint8), cv2.MORPH_CLOSE, kernel)  # join speckle
    bright = cv2.morphologyEx(bright, cv2.MORPH_OPEN, kernel)  # drop strokes thinner than `side`
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=8)
    if count < 2:
        return np.ones(gray.shape, bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    kept = 1 + np.flatnonzero(areas >= PIECE_FRACTION * areas.max())
    points = cv2.findNonZero(np.isin(labels, kept).astype(np.uint8))
    mask = np.zeros(gray.shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(points), 1)
    return mask.astype(bool)


def mask_outside_fov(gray: np.ndarray) -> np.ndarray:
    """The image with everything outside its field of view set to 0."""
    return np.where(field_of_view(gray), gray, 0).astype(np.uint8)
