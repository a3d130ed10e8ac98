"""Convex-probe geometry: the polar (depth x angle) simulation grid and scan conversion.

World coordinates are millimetres: x lateral, z depth below the probe face at the centre line.
The probe face is an arc of radius `radius_mm` around a virtual apex at (0, -radius_mm); beam
lines fan out from the apex, so a polar sample (d, theta) lies at radius rho = radius_mm + d.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

NATIVE_SHAPE = (227, 337)  # rows x cols: the size of the thesis' raw images (337 x 227)
SOUND_SPEED_MM_PER_US = 1.54

# The grid is fine enough that every resolution cell (axial FWHM x lateral FWHM) holds at least
# SAMPLES_PER_FWHM**2 > 10 independent complex scatterers: fully developed speckle.
SAMPLES_PER_FWHM = 3.2
RAYLEIGH_RANGE_MM = 45.0  # how fast the focused beam widens away from the focus


@dataclass(frozen=True)
class ConvexProbe:
    radius_mm: float  # curvature of the probe face
    sector_deg: float  # opening angle of the field of view
    depth_mm: float  # imaging depth below the probe face
    center_mhz: float  # centre frequency of the Gaussian-modulated pulse
    bandwidth: float  # fractional -6 dB bandwidth of the pulse
    focus_mm: float  # transmit focus depth
    lateral_fwhm_mm: float  # beam width at the focus

    @property
    def half_angle(self) -> float:
        return math.radians(self.sector_deg) / 2

    @property
    def axial_sigma_mm(self) -> float:
        """Envelope sigma of the pulse-echo along depth (round trip halves the time scale)."""
        sigma_us = math.sqrt(2 * math.log(2)) / (math.pi * self.bandwidth * self.center_mhz)
        return SOUND_SPEED_MM_PER_US * sigma_us / 2

    @property
    def axial_fwhm_mm(self) -> float:
        return 2 * math.sqrt(2 * math.log(2)) * self.axial_sigma_mm

    def lateral_fwhm_at(self, depth_mm: np.ndarray) -> np.ndarray:
        """Gaussian-beam width: narrowest at the focus, widening hyperbolically around it."""
        return self.lateral_fwhm_mm * np.sqrt(1 + ((depth_mm - self.focus_mm) / RAYLEIGH_RANGE_MM) ** 2)


@dataclass(frozen=True)
class PolarGrid:
    depth_mm: np.ndarray  # (n_axial,) sample depths below the probe face
    angle_rad: np.ndarray  # (n_lines,) beam-line angles, 0 = centre line

    @property
    def dz(self) -> float:
        return float(self.depth_mm[1] - self.depth_mm[0])

    @property
    def dtheta(self) -> float:
        return float(self.angle_rad[1] - self.angle_rad[0])


def polar_grid(probe: ConvexProbe, display: Display | None = None, shape=NATIVE_SHAPE) -> PolarGrid:
    """Depth from the probe face down to what `display` shows (all of it if None), beam lines over
    the angles it shows: a zoomed image simulates only its own part of the sector."""
    dz = probe.axial_fwhm_mm / SAMPLES_PER_FWHM
    low, high, bottom = -probe.half_angle, probe.half_angle, probe.depth_mm
    if display is not None:
        theta, depth = _window_polar(display, probe, shape)
        margin = math.radians(2.0)  # the beam's lateral kernel reaches past the window's edge
        low, high = max(low, float(theta.min()) - margin), min(high, float(theta.max()) + margin)
        bottom = min(bottom, float(depth.max()) + 4 * probe.axial_fwhm_mm)
    depth_mm = np.arange(0.0, bottom + dz, dz, dtype=np.float32)
    # Line spacing: the narrowest beam, in radians, sampled SAMPLES_PER_FWHM times.
    radius = probe.radius_mm + depth_mm
    dtheta = float(np.min(probe.lateral_fwhm_at(depth_mm) / radius)) / SAMPLES_PER_FWHM
    n_lines = int(math.ceil((high - low) / dtheta)) + 1
    angle = np.linspace(low, high, max(n_lines, 2), dtype=np.float32)
    return PolarGrid(depth_mm, angle)


def samples_per_resolution_cell(probe: ConvexProbe, grid: PolarGrid) -> np.ndarray:
    """Scatterers per axial x lateral FWHM cell at each depth (documented to be >= 10)."""
    lateral_spacing = (probe.radius_mm + grid.depth_mm) * grid.dtheta
    return (probe.axial_fwhm_mm / grid.dz) * (probe.lateral_fwhm_at(grid.depth_mm) / lateral_spacing)


def world_coordinates(probe: ConvexProbe, grid: PolarGrid) -> tuple[np.ndarray, np.ndarray]:
    """(x, z) in mm of every polar sample, each shaped (n_axial, n_lines)."""
    rho = (probe.radius_mm + grid.depth_mm)[:, None]
    x = rho * np.sin(grid.angle_rad)[None, :]
    z = rho * np.cos(grid.angle_rad)[None, :] - probe.radius_mm
    return x, z


@dataclass(frozen=True)
class Display:
    """Which part of the world the native image shows: mm per pixel and the world point at its centre."""

    mm_per_px: float
    x_center: float
    z_center: float

    def world(self, cols: np.ndarray, rows: np.ndarray, shape=NATIVE_SHAPE) -> tuple[np.ndarray, np.ndarray]:
        """(x, z) in mm of pixel positions of a `shape` image."""
        x = self.x_center + (cols - (shape[1] - 1) / 2) * self.mm_per_px
        z = self.z_center + (rows - (shape[0] - 1) / 2) * self.mm_per_px
        return x, z

    def pixel(self, x: float, z: float, shape=NATIVE_SHAPE) -> tuple[float, float]:
        """(column, row) of a world point."""
        col = (x - self.x_center) / self.mm_per_px + (shape[1] - 1) / 2
        return col, (z - self.z_center) / self.mm_per_px + (shape[0] - 1) / 2


def sector_display(probe: ConvexProbe, shape=NATIVE_SHAPE, fill: float = 0.96) -> Display:
    """The whole sector, centred, `fill` of the frame along its tighter axis."""
    x_min, x_max, z_top, z_bottom = world_extent(probe)
    mm_per_px = max((z_bottom - z_top) / (shape[0] * fill), (x_max - x_min) / (shape[1] * fill))
    return Display(mm_per_px, 0.0, (z_top + z_bottom) / 2)


def zoomed_display(probe: ConvexProbe, center: tuple[float, float], width_mm: float, shape=NATIVE_SHAPE) -> Display:
    """Depth and write zoom: a window `width_mm` wide around `center`, kept inside the sector's
    bounding box; never wider than the whole sector."""
    whole = sector_display(probe, shape)
    mm_per_px = width_mm / shape[1]
    if mm_per_px >= whole.mm_per_px:
        return whole
    x_min, x_max, z_top, z_bottom = world_extent(probe)
    half_w, half_h = width_mm / 2, mm_per_px * shape[0] / 2

    def clamp(value: float, low: float, high: float) -> float:
        return (low + high) / 2 if low > high else min(max(value, low), high)

    x = clamp(center[0], x_min + half_w, x_max - half_w)
    # Lower the window until its top corners are inside the sector (sonographers zoom on tissue,
    # not on the black corners beside the probe), keeping the anatomy's centre in its upper half.
    corners_inside = (abs(x) + half_w) / math.tan(probe.half_angle) - probe.radius_mm + half_h
    z = clamp(max(center[1], min(corners_inside, center[1] + half_h / 2)), z_top + half_h, z_bottom - half_h)
    return Display(mm_per_px, x, z)


def _window_polar(display: Display, probe: ConvexProbe, shape) -> tuple[np.ndarray, np.ndarray]:
    """Beam angle and depth of points along the window's border (the extremes lie on it)."""
    rows, cols = shape
    t = np.linspace(0, 1, 32)
    c = np.concatenate([t * (cols - 1), t * (cols - 1), np.zeros_like(t), np.full_like(t, cols - 1)])
    r = np.concatenate([np.zeros_like(t), np.full_like(t, rows - 1), t * (rows - 1), t * (rows - 1)])
    x, z = display.world(c, r, shape)
    return np.arctan2(x, z + probe.radius_mm), np.hypot(x, z + probe.radius_mm) - probe.radius_mm


def world_extent(probe: ConvexProbe) -> tuple[float, float, float, float]:
    """Bounding box (x_min, x_max, z_min, z_max) of the field of view in mm."""
    half_width = (probe.radius_mm + probe.depth_mm) * math.sin(probe.half_angle)
    return -half_width, half_width, probe.radius_mm * (math.cos(probe.half_angle) - 1), probe.depth_mm


def scan_convert(
    probe: ConvexProbe, grid: PolarGrid, polar: np.ndarray, display: Display, shape=NATIVE_SHAPE
) -> tuple[np.ndarray, np.ndarray]:
    """Resample a polar uint8 image into the sector part that `display` shows, black elsewhere.

    Returns the image and the boolean field-of-view mask. The polar image is first decimated
    along depth to the display's pixel size (INTER_AREA), as a scanner low-passes the detected
    envelope before scan conversion, so speckle is not aliased.
    """
    bottom = float(grid.depth_mm[-1])
    n_axial = max(2, int(round(bottom / (display.mm_per_px * 0.5))))
    if n_axial < polar.shape[0]:
        polar = cv2.resize(polar, (polar.shape[1], n_axial), interpolation=cv2.INTER_AREA)
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    x, z = display.world(cols, rows, shape)
    rho = np.hypot(x, z + probe.radius_mm)
    theta = np.arctan2(x, z + probe.radius_mm)
    depth = rho - probe.radius_mm
    inside = (depth >= 0) & (depth <= min(probe.depth_mm, bottom)) & (np.abs(theta) <= probe.half_angle)
    map_y = (depth / bottom * (polar.shape[0] - 1)).astype(np.float32)
    map_x = ((theta - grid.angle_rad[0]) / grid.dtheta).astype(np.float32)
    image = cv2.remap(polar, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    image[~inside] = 0
    return image, inside
