"""A label map in world millimetres: anatomy is drawn as filled shapes of tissue classes."""

from __future__ import annotations

import math

import cv2
import numpy as np

from usqc.phantom.tissues import Tissue

_SHIFT = 4  # cv2 fixed-point bits: sub-pixel placement of every shape
_SCALE = 1 << _SHIFT


class Canvas:
    """uint8 tissue labels over a world box, `mm_per_px` resolution; shapes take mm arguments."""

    def __init__(self, extent: tuple[float, float, float, float], mm_per_px: float, fill: Tissue):
        self.x_min, x_max, self.z_min, z_max = extent
        self.mm_per_px = mm_per_px
        shape = (
            int(math.ceil((z_max - self.z_min) / mm_per_px)) + 1,
            int(math.ceil((x_max - self.x_min) / mm_per_px)) + 1,
        )
        self.labels = np.full(shape, int(fill), dtype=np.uint8)

    def _px(self, points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        px = np.empty_like(points)
        px[:, 0] = (points[:, 0] - self.x_min) / self.mm_per_px
        px[:, 1] = (points[:, 1] - self.z_min) / self.mm_per_px
        return np.round(px * _SCALE).astype(np.int32)

    def _len(self, mm: float) -> int:
        return int(round(mm / self.mm_per_px * _SCALE))

    def ellipse(self, center, axes, angle_deg: float, tissue: Tissue, thickness_mm: float | None = None) -> None:
        """Filled ellipse, or its outline `thickness_mm` thick. axes are semi-axes in mm."""
        c = self._px(center)[0]
        thick = -1 if thickness_mm is None else max(1, int(round(thickness_mm / self.mm_per_px)))
        cv2.ellipse(
            self.labels,
            (int(c[0]), int(c[1])),
            (self._len(axes[0]), self._len(axes[1])),
            angle_deg,
            0,
            360,
            int(tissue),
            thick,
            cv2.LINE_8,
            _SHIFT,
        )

    def polygon(self, points, tissue: Tissue) -> None:
        cv2.fillPoly(self.labels, [self._px(points)], int(tissue), cv2.LINE_8, _SHIFT)

    def polyline(self, points, tissue: Tissue, thickness_mm: float, closed: bool = False) -> None:
        thick = max(1, int(round(thickness_mm / self.mm_per_px)))
        cv2.polylines(self.labels, [self._px(points)], closed, int(tissue), thick, cv2.LINE_8, _SHIFT)

    def sample(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Labels at world points (nearest neighbour); outside the canvas: the border label."""
        map_x = ((x - self.x_min) / self.mm_per_px).astype(np.float32)
        map_y = ((z - self.z_min) / self.mm_per_px).astype(np.float32)
        return cv2.remap(self.labels, map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)


class Pose:
    """Places a local anatomical frame (mm, origin at the structure's centre) in the world."""

    def __init__(self, cx: float, cz: float, angle_deg: float, scale: float = 1.0, mirror: bool = False):
        self.cx, self.cz, self.angle_deg, self.scale, self.mirror = cx, cz, angle_deg, scale, mirror
        a = math.radians(angle_deg)
        flip = np.diag([1.0, -1.0 if mirror else 1.0])  # mirror across the local x axis first
        self._rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) @ flip * scale

    def points(self, local) -> np.ndarray:
        local = np.asarray(local, dtype=np.float64).reshape(-1, 2)
        return local @ self._rot.T + np.array([self.cx, self.cz])

    def ellipse(self, canvas: Canvas, center, axes, angle_deg: float, tissue: Tissue, thickness_mm=None) -> None:
        thick = None if thickness_mm is None else thickness_mm * self.scale
        local_angle = -angle_deg if self.mirror else angle_deg
        canvas.ellipse(
            self.points(center)[0],
            (axes[0] * self.scale, axes[1] * self.scale),
            self.angle_deg + local_angle,
            tissue,
            thick,
        )

    def polygon(self, canvas: Canvas, local, tissue: Tissue) -> None:
        canvas.polygon(self.points(local), tissue)

    def polyline(self, canvas: Canvas, local, tissue: Tissue, thickness_mm: float, closed: bool = False) -> None:
        canvas.polyline(self.points(local), tissue, thickness_mm * self.scale, closed)


def ellipse_points(
    cx: float, cz: float, a: float, b: float, t0: float = 0.0, t1: float = 2 * math.pi, n: int = 48
) -> np.ndarray:
    """Points of an axis-aligned elliptical arc from angle t0 to t1 (radians), local frame."""
    t = np.linspace(t0, t1, n)
    return np.stack([cx + a * np.cos(t), cz + b * np.sin(t)], axis=1)


def smooth(points, closed: bool, iterations: int = 3) -> np.ndarray:
    """Chaikin corner cutting: a polygon's corners rounded into a smooth curve (open curves keep
    their end points)."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    for _ in range(iterations):
        q = np.roll(p, -1, axis=0) if closed else p[1:]
        a, b = (p if closed else p[:-1]), q
        cut = np.empty((2 * len(a), 2))
        cut[0::2], cut[1::2] = 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b
        p = cut if closed else np.vstack([p[:1], cut, p[-1:]])
    return p


class Contour:
    """A closed, smoothly deformed ellipse: low-order Fourier wobble of the radius, the same shape
    at every size so that nested layers (scalp, skull, brain) stay nested."""

    def __init__(self, rng: np.random.Generator, amplitude: float = 0.04, orders: int = 4):
        self.k = np.arange(2, 2 + orders)
        self.amp = amplitude * rng.uniform(0.3, 1.0, orders) / (self.k - 1)
        self.phase = rng.uniform(0, 2 * math.pi, orders)

    def points(self, a: float, b: float, center=(0.0, 0.0), n: int = 72) -> np.ndarray:
        t = np.linspace(0, 2 * math.pi, n, endpoint=False)
        r = 1 + (self.amp[:, None] * np.cos(self.k[:, None] * t + self.phase[:, None])).sum(axis=0)
        return np.stack([center[0] + a * r * np.cos(t), center[1] + b * r * np.sin(t)], axis=1)
