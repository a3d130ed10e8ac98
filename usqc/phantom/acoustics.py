"""Echo formation on the polar grid: scatterers, point-spread function, envelope, gain, log.

The simulation runs at baseband (IQ): circular complex Gaussian scatterer amplitudes convolved
with the complex envelope of a Gaussian-modulated pulse. That is what quadrature demodulation
of the RF echo of the same pulse gives, without sampling the 3-5 MHz carrier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from usqc.phantom.probe import ConvexProbe, PolarGrid
from usqc.phantom.tissues import ATTENUATION, ECHOGENICITY

_LATERAL_BAND_ROWS = 32  # rows sharing one lateral kernel (the beam width changes slowly with depth)
_TISSUE_ATTENUATION = 0.5  # dB/cm/MHz that time-gain compensation assumes


@dataclass(frozen=True)
class Gain:
    tgc_fraction: float  # share of the assumed tissue attenuation that TGC compensates
    headroom_db: float  # how far below white the 90th percentile of the image sits (the operator's gain)
    dynamic_range_db: float  # log-compression window
    noise_db: float  # electronic noise floor relative to a unit scatterer
    clutter_db: float  # side-lobe clutter: echo power spread sideways, relative to its source
    reverberation_db: float  # a second bounce between an interface and the probe face, at twice its depth


def gaussian_kernel(sigma_samples: float) -> np.ndarray:
    """A 1-D Gaussian with unit energy (sum of squares 1): speckle keeps the local power."""
    half = max(1, int(math.ceil(3 * sigma_samples)))
    t = np.arange(-half, half + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / max(sigma_samples, 1e-3)) ** 2)
    return (k / np.sqrt(np.sum(k**2))).astype(np.float32)


def round_trip_transmission(attenuation: np.ndarray, probe: ConvexProbe, dz_mm: float) -> np.ndarray:
    """Amplitude surviving the way down to each sample and back, given per-sample dB/cm/MHz."""
    db = np.cumsum(attenuation, axis=0, dtype=np.float32) * np.float32(2 * probe.center_mhz * dz_mm / 10)
    return np.power(np.float32(10), -db / 20)


def tissue_texture(shape: tuple[int, int], rng: np.random.Generator, strength: float = 0.35) -> np.ndarray:
    """Smooth log-normal modulation of echogenicity: tissue is not perfectly homogeneous."""
    coarse = rng.standard_normal((max(2, shape[0] // 24), max(2, shape[1] // 12)), dtype=np.float32)
    smooth = cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)
    return np.exp(strength * smooth).astype(np.float32)


def envelope(
    labels: np.ndarray, probe: ConvexProbe, grid: PolarGrid, rng: np.random.Generator, texture: np.ndarray | None = None
) -> np.ndarray:
    """Detected echo amplitude (before gain and log compression) for a polar label map."""
    amplitude = np.sqrt(ECHOGENICITY[labels])
    if texture is not None:
        amplitude *= np.sqrt(texture)
    amplitude *= round_trip_transmission(ATTENUATION[labels], probe, grid.dz)
    # circular complex Gaussian scatterers, E|s|^2 = echogenicity * transmission^2
    field = rng.standard_normal((*labels.shape, 2), dtype=np.float32)
    field *= (amplitude * np.float32(math.sqrt(0.5)))[..., None]
    one = np.ones(1, dtype=np.float32)
    field = cv2.sepFilter2D(
        field, -1, one, gaussian_kernel(probe.axial_sigma_mm / grid.dz), borderType=cv2.BORDER_REFLECT
    )
    for start in range(0, labels.shape[0], _LATERAL_BAND_ROWS):
        rows = slice(start, start + _LATERAL_BAND_ROWS)
        mid = grid.depth_mm[rows].mean()
        sigma_mm = float(probe.lateral_fwhm_at(mid)) / (2 * math.sqrt(2 * math.log(2)))
        sigma_lines = sigma_mm / ((probe.radius_mm + mid) * grid.dtheta)
        field[rows] = cv2.sepFilter2D(field[rows], -1, gaussian_kernel(sigma_lines), one, borderType=cv2.BORDER_REFLECT)
    return cv2.magnitude(np.ascontiguousarray(field[..., 0]), np.ascontiguousarray(field[..., 1]))


def clutter_power(env: np.ndarray, probe: ConvexProbe, grid: PolarGrid, gain: Gain) -> np.ndarray:
    """Incoherent haze over the image: side lobes smear every echo a few degrees sideways and a
    few mm along the beam, and near-field reverberation repeats shallow echoes at twice their
    depth. Computed on an 8x coarser grid: the haze is smooth."""
    power = env * env
    small = cv2.resize(power, (max(4, power.shape[1] // 8), max(4, power.shape[0] // 8)), interpolation=cv2.INTER_AREA)
    # The bounce seen at depth d comes from the interface at d / 2 and has travelled as far as an
    # echo from d: the extra way down and back attenuates it like tissue.
    echoes = small[np.arange(small.shape[0]) // 2]
    half_depth_cm = np.linspace(0, float(grid.depth_mm[-1]), small.shape[0], dtype=np.float32) / 20
    extra_db = gain.reverberation_db - 2 * _TISSUE_ATTENUATION * probe.center_mhz * half_depth_cm
    source = (
        small * np.float32(10 ** (gain.clutter_db / 10)) + echoes * np.power(np.float32(10), extra_db / 10)[:, None]
    )
    lateral = math.radians(3.0) / (grid.dtheta * 8)
    axial = 3.0 / (grid.dz * 8)
    haze = cv2.GaussianBlur(source, (0, 0), sigmaX=max(lateral, 0.5), sigmaY=max(axial, 0.5))
    return cv2.resize(haze, (power.shape[1], power.shape[0]), interpolation=cv2.INTER_LINEAR)


def log_compress(
    env: np.ndarray, probe: ConvexProbe, grid: PolarGrid, gain: Gain, rng: np.random.Generator
) -> np.ndarray:
    """Add clutter and the noise floor, apply time-gain compensation and map the dynamic range to uint8."""
    floor = np.float32(10 ** (gain.noise_db / 10))
    sigma = np.sqrt((clutter_power(env, probe, grid, gain) + floor) * np.float32(0.5))
    re = env + sigma * rng.standard_normal(env.shape, dtype=np.float32)
    im = sigma * rng.standard_normal(env.shape, dtype=np.float32)
    detected = cv2.magnitude(re, im)
    tgc_db = gain.tgc_fraction * 2 * _TISSUE_ATTENUATION * probe.center_mhz * grid.depth_mm / 10
    detected *= np.power(np.float32(10), tgc_db / 20).astype(np.float32)[:, None]
    # The sonographer sets the overall gain by eye: a bright part of the image sits just below white.
    reference = np.percentile(detected[::4, ::4], 90) * 10 ** (gain.headroom_db / 20)
    db = 20 * np.log10(np.maximum(detected / np.float32(reference), 1e-12))
    scale = np.float32(255.0 / gain.dynamic_range_db)
    return np.clip((db + np.float32(gain.dynamic_range_db)) * scale, 0, 255).astype(np.uint8)
