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


def polar_grid(probe: ConvexProbe) -> PolarGrid:
    dz = probe.axial_fwhm_mm / SAMPLES_PER_FWHM
    depth = np.arange(0.0, probe.depth_mm + dz, dz, dtype=np.float32)
    # Line spacing: the narrowest beam, in radians, sampled SAMPLES_PER_FWHM times.
    radius = probe.radius_mm + depth
    dtheta = float(np.min(probe.lateral_fwhm_at(depth) / radius)) / SAMPLES_PER_FWHM
    n_lines = int(math.ceil(2 * probe.half_angle / dtheta)) + 1
    angle = np.linspace(-probe.half_angle, probe.half_angle, n_lines, dtype=np.float32)
    return PolarGrid(depth, angle)


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
    """Where the sector sits in the native image: mm per pixel and the pixel of world (0, z_top)."""

    mm_per_px: float
    col0: float
    row0: float
    z_top: float


def display_for(probe: ConvexProbe, shape=NATIVE_SHAPE, fill: float = 0.96) -> Display:
    z_top = probe.radius_mm * (math.cos(probe.half_angle) - 1)
    height = probe.depth_mm - z_top
    width = 2 * (probe.radius_mm + probe.depth_mm) * math.sin(probe.half_angle)
    mm_per_px = max(height / (shape[0] * fill), width / (shape[1] * fill))
    row0 = (shape[0] - height / mm_per_px) / 2
    return Display(mm_per_px, (shape[1] - 1) / 2, row0, z_top)


def world_extent(probe: ConvexProbe) -> tuple[float, float, float, float]:
    """Bounding box (x_min, x_max, z_min, z_max) of the field of view in mm."""
    half_width = (probe.radius_mm + probe.depth_mm) * math.sin(probe.half_angle)
    return -half_width, half_width, probe.radius_mm * (math.cos(probe.half_angle) - 1), probe.depth_mm


def scan_convert(
    probe: ConvexProbe, grid: PolarGrid, polar: np.ndarray, shape=NATIVE_SHAPE
) -> tuple[np.ndarray, np.ndarray]:
    """Resample a polar uint8 image into the sector on a black background.

    Returns the image and the boolean field-of-view mask. The polar image is first decimated
    along depth to the display's pixel size (INTER_AREA), as a scanner low-passes the detected
    envelope before scan conversion, so speckle is not aliased.
    """
    display = display_for(probe, shape)
    n_axial = max(2, int(round(probe.depth_mm / (display.mm_per_px * 0.5))))
    if n_axial < polar.shape[0]:
        polar = cv2.resize(polar, (polar.shape[1], n_axial), interpolation=cv2.INTER_AREA)
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    x = (cols - display.col0) * display.mm_per_px
    z = display.z_top + (rows - display.row0) * display.mm_per_px
    rho = np.hypot(x, z + probe.radius_mm)
    theta = np.arctan2(x, z + probe.radius_mm)
    depth = rho - probe.radius_mm
    inside = (depth >= 0) & (depth <= probe.depth_mm) & (np.abs(theta) <= probe.half_angle)
    map_y = (depth / probe.depth_mm * (polar.shape[0] - 1)).astype(np.float32)
    map_x = ((theta - grid.angle_rad[0]) / grid.dtheta).astype(np.float32)
    image = cv2.remap(polar, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    image[~inside] = 0
    return image, inside
