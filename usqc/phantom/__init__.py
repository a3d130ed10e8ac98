"""Synthetic B-mode ultrasound phantom of fetal standard planes (BPD, CRL, NT).

Pipeline per image: scanner and display settings drawn from their ranges -> a randomised probe
and anatomy (tissue labels drawn in millimetres) -> the sonographer's depth and write zoom on
the plane's anatomy -> sampled on the probe's polar grid over the zoomed window -> complex
Gaussian scatterers weighted by echogenicity and attenuated along each beam (shadowing,
enhancement) -> separable pulse-echo PSF -> envelope -> side-lobe clutter, reverberation and
noise floor, time-gain compensation, log compression, grey map -> scan conversion -> speckle
reduction, on-screen annotations, results box, JPEG storage. Deterministic for (seed, plane,
index, ranges).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from usqc import streams
from usqc.params import PhantomScanner
from usqc.phantom.acoustics import Gain, envelope, log_compress, tissue_texture
from usqc.phantom.anatomy import PLANES, draw_plane
from usqc.phantom.display import ResultBox, annotate, draw_result_box, gray_map, reduce_speckle, result_box, store
from usqc.phantom.probe import (
    NATIVE_SHAPE,
    ConvexProbe,
    Display,
    PolarGrid,
    polar_grid,
    scan_convert,
    world_coordinates,
    zoomed_display,
)
from usqc.phantom.scanner import DEFAULT_SCANNER, Settings, draw_settings

__all__ = ["DEFAULT_SCANNER", "NATIVE_SHAPE", "PLANES", "Simulation", "generate", "random_probe", "simulate"]


def random_probe(rng: np.random.Generator, settings: Settings) -> ConvexProbe:
    depth = rng.uniform(80, 150)
    return ConvexProbe(
        radius_mm=rng.uniform(40, 60),
        sector_deg=rng.uniform(60, 75),
        depth_mm=depth,
        center_mhz=settings.center_mhz,
        bandwidth=settings.bandwidth,
        focus_mm=rng.uniform(0.4, 0.7) * depth,  # moved onto the anatomy once it is placed
        lateral_fwhm_mm=rng.uniform(1.3, 2.0) * 4.0 / settings.center_mhz,  # lambda x F-number
    )


def random_gain(rng: np.random.Generator, settings: Settings) -> Gain:
    return Gain(
        tgc_fraction=rng.uniform(0.6, 0.95),
        headroom_db=settings.headroom_db,
        dynamic_range_db=settings.dynamic_range_db,
        noise_db=rng.uniform(-100, -90),
        clutter_db=rng.uniform(-54, -44),
        reverberation_db=rng.uniform(-46, -36),
    )


@dataclass(frozen=True)
class Simulation:
    image: np.ndarray  # uint8 NATIVE_SHAPE: the stored image
    field_of_view: np.ndarray  # bool NATIVE_SHAPE: inside the sector (annotations may lie outside)
    envelope: np.ndarray  # float32 polar envelope before clutter, gain and log compression
    labels: np.ndarray  # uint8 polar tissue labels
    probe: ConvexProbe
    grid: PolarGrid
    display: Display
    settings: Settings


def image_rng(seed: int, plane: str, index: int, *part: str) -> np.random.Generator:
    return streams.generator(seed, "phantom", plane, index, *part)


@dataclass
class _Draw:
    """What the steps of one simulation share: its random stream and its drawn settings."""

    rng: np.random.Generator
    settings: Settings
    gain: Gain
    probe: ConvexProbe
    display: Display | None = None
    grid: PolarGrid | None = None
    calipers: tuple = ()
    box: ResultBox | None = None


def anatomy_step(plane: str, index: int, seed: int, scanner: PhantomScanner) -> tuple[_Draw, np.ndarray]:
    """Settings, probe and scene; the sonographer's focus and zoom; the labels on the polar grid."""
    if plane not in PLANES:
        raise ValueError(f"unknown plane {plane!r}; expected one of {PLANES}")
    rng = image_rng(seed, plane, index)
    settings = draw_settings(scanner, rng)
    probe = random_probe(rng, settings)
    draw = _Draw(rng, settings, random_gain(rng, settings), probe)
    # Its own stream: with or without results boxes, every other draw (and pixel) is the same.
    draw.box = draw_result_box(scanner.result_box_share, image_rng(seed, plane, index, "result_box"))
    scene = draw_plane(plane, draw.probe, rng)
    focus = float(np.clip(scene.center[1] * rng.uniform(0.9, 1.15), 10.0, draw.probe.depth_mm))
    draw.probe = dataclasses.replace(draw.probe, focus_mm=focus)  # the sonographer focuses on the anatomy
    draw.display = zoomed_display(draw.probe, scene.center, scene.extent_mm / settings.fill)
    draw.grid = polar_grid(draw.probe, draw.display)
    draw.calipers = scene.calipers
    return draw, scene.canvas.sample(*world_coordinates(draw.probe, draw.grid))


def echo_step(draw: _Draw, labels: np.ndarray, texture: bool = True) -> np.ndarray:
    modulation = tissue_texture(labels.shape, draw.rng) if texture else None
    return envelope(labels, draw.probe, draw.grid, draw.rng, modulation)


def display_step(draw: _Draw, env: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clutter, gain, log compression and grey map; scan conversion; what the scanner and the
    database do to the image after it."""
    settings = draw.settings
    polar = gray_map(log_compress(env, draw.probe, draw.grid, draw.gain, draw.rng), settings.gray_gamma)
    image, fov = scan_convert(draw.probe, draw.grid, polar, draw.display)
    image = reduce_speckle(image, fov, settings.speckle_reduction)
    annotate(image, settings, [draw.display.pixel(*point) for point in draw.calipers], draw.rng)
    result_box(image, draw.box)
    return store(image, settings.jpeg_quality), fov


def simulate(
    plane: str, index: int, seed: int, scanner: PhantomScanner = DEFAULT_SCANNER, texture: bool = True
) -> Simulation:
    draw, labels = anatomy_step(plane, index, seed, scanner)
    env = echo_step(draw, labels, texture)
    image, fov = display_step(draw, env)
    return Simulation(image, fov, env, labels, draw.probe, draw.grid, draw.display, draw.settings)


def generate(plane: str, index: int, seed: int, scanner: PhantomScanner = DEFAULT_SCANNER) -> np.ndarray:
    """One native-size (227 x 337) uint8 B-mode image of `plane`."""
    return simulate(plane, index, seed, scanner).image
