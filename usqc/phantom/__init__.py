"""Synthetic B-mode ultrasound phantom of fetal standard planes (BPD, CRL, NT).

Pipeline per image: a randomised probe and anatomy -> tissue labels drawn in millimetres ->
sampled on the probe's polar grid -> complex Gaussian scatterers weighted by echogenicity and
attenuated along each beam (shadowing, enhancement) -> separable pulse-echo PSF -> envelope ->
noise floor, time-gain compensation, log compression -> scan conversion into the sector.
Deterministic for (seed, plane, index).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from usqc import streams
from usqc.phantom.acoustics import Gain, envelope, log_compress, tissue_texture
from usqc.phantom.anatomy import PLANES, draw_plane
from usqc.phantom.probe import NATIVE_SHAPE, ConvexProbe, PolarGrid, polar_grid, scan_convert, world_coordinates

__all__ = ["NATIVE_SHAPE", "PLANES", "Simulation", "generate", "random_probe", "simulate"]


def random_probe(rng: np.random.Generator) -> ConvexProbe:
    depth = rng.uniform(80, 150)
    return ConvexProbe(
        radius_mm=rng.uniform(40, 60),
        sector_deg=rng.uniform(60, 75),
        depth_mm=depth,
        center_mhz=rng.uniform(3.0, 5.0),
        bandwidth=rng.uniform(0.5, 0.7),
        focus_mm=rng.uniform(0.4, 0.7) * depth,
        lateral_fwhm_mm=rng.uniform(1.0, 1.5),
    )


def random_gain(rng: np.random.Generator) -> Gain:
    return Gain(
        tgc_fraction=rng.uniform(0.6, 0.95),
        headroom_db=rng.uniform(6, 16),
        dynamic_range_db=rng.uniform(40, 60),
        noise_db=rng.uniform(-100, -90),
    )


@dataclass(frozen=True)
class Simulation:
    image: np.ndarray  # uint8 NATIVE_SHAPE, black outside the sector
    field_of_view: np.ndarray  # bool NATIVE_SHAPE
    envelope: np.ndarray  # float32 polar envelope before gain and log compression
    labels: np.ndarray  # uint8 polar tissue labels
    probe: ConvexProbe
    grid: PolarGrid


def image_rng(seed: int, plane: str, index: int) -> np.random.Generator:
    return streams.generator(seed, "phantom", plane, index)


def simulate(plane: str, index: int, seed: int, texture: bool = True) -> Simulation:
    if plane not in PLANES:
        raise ValueError(f"unknown plane {plane!r}; expected one of {PLANES}")
    rng = image_rng(seed, plane, index)
    probe, gain = random_probe(rng), random_gain(rng)
    grid = polar_grid(probe)
    labels = draw_plane(plane, probe, rng).sample(*world_coordinates(probe, grid))
    modulation = tissue_texture(labels.shape, rng) if texture else None
    env = envelope(labels, probe, grid, rng, modulation)
    polar = log_compress(env, probe, grid, gain, rng)
    image, fov = scan_convert(probe, grid, polar)
    return Simulation(image, fov, env, labels, probe, grid)


def generate(plane: str, index: int, seed: int) -> np.ndarray:
    """One native-size (227 x 337) uint8 B-mode image of `plane`."""
    return simulate(plane, index, seed).image
