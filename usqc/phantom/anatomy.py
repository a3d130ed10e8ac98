"""Anatomy of the three standard planes, drawn in millimetres as tissue labels.

Every scene shares the maternal side (abdominal wall, uterus, optional placenta, loose fetal
parts and cord loops, all with the same random distributions) so that a plane is told apart by
its fetal anatomy, not by how much fluid or tissue surrounds it.
"""

from __future__ import annotations

import math

import numpy as np

from usqc.phantom.canvas import Canvas, Pose, ellipse_points
from usqc.phantom.probe import ConvexProbe, world_extent
from usqc.phantom.tissues import Tissue as T

CANVAS_MM_PER_PX = 0.25


def _wall_polygon(probe: ConvexProbe, thickness_mm: float, wobble: tuple[float, float, float]) -> np.ndarray:
    """Region between the apex and a slightly wavy arc `thickness_mm` below the probe face."""
    theta = np.linspace(-probe.half_angle - 0.2, probe.half_angle + 0.2, 64)
    amp, freq, phase = wobble
    rho = probe.radius_mm + thickness_mm * (1 + amp * np.sin(freq * theta + phase))
    arc = np.stack([rho * np.sin(theta), rho * np.cos(theta) - probe.radius_mm], axis=1)
    return np.vstack([[0.0, -probe.radius_mm], arc])


def _maternal_scene(canvas: Canvas, probe: ConvexProbe, rng: np.random.Generator) -> dict:
    """Uterine cavity full of amniotic fluid under the wall; returns where the fetus may go."""
    depth, half_w = probe.depth_mm, canvas_half_width(probe)
    wall = {"fat": rng.uniform(3, 14), "muscle": rng.uniform(3, 9), "myometrium": rng.uniform(4, 10)}
    wall_mm = sum(wall.values())
    floor = wall_mm + rng.uniform(0.75, 1.05) * (depth - wall_mm)  # posterior uterine wall at the centre
    cavity_center = (rng.uniform(-0.2, 0.2) * half_w, (wall_mm + floor) / 2)
    cavity_axes = (rng.uniform(1.0, 1.6) * half_w, (floor - wall_mm) / 2 + rng.uniform(6, 25))
    canvas.ellipse(cavity_center, cavity_axes, rng.uniform(-10, 10), T.AMNIOTIC_FLUID)
    if rng.random() < 0.6:  # placenta on the anterior or posterior wall
        anterior = rng.random() < 0.5
        z = wall_mm + rng.uniform(2, 6) if anterior else floor - rng.uniform(0, 6)
        canvas.ellipse(
            (rng.uniform(-0.6, 0.6) * half_w, z),
            (rng.uniform(30, 60), rng.uniform(8, 16)),
            rng.uniform(-15, 15),
            T.PLACENTA,
        )
    return {"wall_mm": wall_mm, "floor_mm": floor, "layers": wall}


def _draw_wall(canvas: Canvas, probe: ConvexProbe, layers: dict, rng: np.random.Generator) -> None:
    """Abdominal wall last: it covers whatever lies shallower than the uterus."""
    total = sum(layers.values())
    for tissue, thickness in (
        (T.MYOMETRIUM, total),
        (T.MUSCLE, layers["fat"] + layers["muscle"]),
        (T.FAT, layers["fat"]),
    ):
        wobble = (rng.uniform(0, 0.12), rng.uniform(1, 4), rng.uniform(0, 2 * math.pi))
        canvas.polygon(_wall_polygon(probe, thickness, wobble), tissue)
    canvas.polyline(_wall_polygon(probe, total, (0, 1, 0))[1:], T.MEMBRANE, 0.6)  # serosa: a bright line
    canvas.polyline(_wall_polygon(probe, layers["fat"], (0, 1, 0))[1:], T.MEMBRANE, 0.4)  # fascia


def canvas_half_width(probe: ConvexProbe) -> float:
    return (probe.radius_mm + probe.depth_mm) * math.sin(probe.half_angle)


def _loose_parts(canvas: Canvas, probe: ConvexProbe, scene: dict, rng: np.random.Generator) -> None:
    """Limb cross-sections and cord loops floating in the fluid, in every plane alike."""
    half_w = canvas_half_width(probe)
    for _ in range(rng.integers(0, 3)):
        pose = Pose(
            rng.uniform(-0.8, 0.8) * half_w, rng.uniform(scene["wall_mm"], scene["floor_mm"]), rng.uniform(0, 180)
        )
        a, b = rng.uniform(5, 14), rng.uniform(3, 7)
        pose.ellipse(canvas, (0, 0), (a, b), 0, T.SOFT_TISSUE)
        pose.ellipse(canvas, (0, 0), (a, b), 0, T.SKIN, thickness_mm=0.5)
        pose.polyline(canvas, [(-0.7 * a, 0), (0.7 * a, 0)], T.BONE, rng.uniform(0.8, 1.6))
    for _ in range(rng.integers(0, 3)):
        pose = Pose(
            rng.uniform(-0.8, 0.8) * half_w, rng.uniform(scene["wall_mm"], scene["floor_mm"]), rng.uniform(0, 180)
        )
        r = rng.uniform(3, 6)
        pose.ellipse(canvas, (0, 0), (r * rng.uniform(1, 2.5), r), 0, T.SOFT_TISSUE)
        pose.ellipse(canvas, (-r * 0.5, 0), (r * 0.35, r * 0.35), 0, T.BLOOD)
        pose.ellipse(canvas, (r * 0.5, 0), (r * 0.4, r * 0.4), 0, T.BLOOD)


def _fetal_pose(probe: ConvexProbe, scene: dict, rng: np.random.Generator, extent_mm: float) -> tuple[float, float]:
    """A centre inside the cavity that keeps most of a structure of `extent_mm` in view."""
    top, bottom = scene["wall_mm"] + extent_mm / 2, min(scene["floor_mm"], probe.depth_mm) - extent_mm / 2
    z = rng.uniform(top, bottom) if bottom > top else (top + bottom) / 2
    max_x = max(0.0, (probe.radius_mm + z) * math.sin(probe.half_angle) - extent_mm / 2)
    return rng.uniform(-0.5, 0.5) * max_x, z


def _head_bpd(canvas: Canvas, pose: Pose, bpd: float, rng: np.random.Generator) -> None:
    """Axial trans-thalamic head: skull ellipse, falx, cavum septi pellucidi, thalami."""
    b = bpd / 2
    a = b / rng.uniform(0.75, 0.85)  # cephalic index: BPD / OFD
    skull = rng.uniform(1.5, 3.0)
    pose.ellipse(canvas, (0, 0), (a + 3, b + 3), 0, T.SOFT_TISSUE)  # scalp
    pose.ellipse(canvas, (0, 0), (a + 3, b + 3), 0, T.SKIN, thickness_mm=0.6)
    pose.ellipse(canvas, (0, 0), (a, b), 0, T.BONE)
    pose.ellipse(canvas, (0, 0), (a - skull, b - skull), 0, T.CSF)
    pose.ellipse(canvas, (0, 0), (a - skull - 1.2, b - skull - 1.2), 0, T.BRAIN)
    for side in (-1, 1):  # x < 0 is anterior
        pose.ellipse(canvas, (0.02 * a, side * 0.2 * b), (0.2 * a, 0.14 * b), side * 18, T.THALAMUS)
        pose.polyline(
            canvas,
            ellipse_points(0.05 * a, side * 0.62 * b, 0.18 * a, 0.08 * b, math.pi, 2 * math.pi, 12) * [1, side],
            T.MEMBRANE,
            0.8,
        )
        pose.ellipse(canvas, (0.58 * a, side * 0.33 * b), (0.12 * a, 0.07 * b), side * 15, T.CSF)
        pose.ellipse(canvas, (0.6 * a, side * 0.33 * b), (0.08 * a, 0.045 * b), side * 15, T.CHOROID)
        pose.ellipse(canvas, (-0.55 * a, side * 0.13 * b), (0.1 * a, 0.035 * b), side * 25, T.CSF)
    pose.polyline(canvas, [(-0.95 * a, 0), (-0.5 * a, 0)], T.MEMBRANE, 0.8)
    pose.polyline(canvas, [(-0.16 * a, 0), (0.95 * a, 0)], T.MEMBRANE, 0.7)
    pose.polygon(
        canvas, [(-0.47 * a, -0.05 * b), (-0.2 * a, -0.06 * b), (-0.2 * a, 0.06 * b), (-0.47 * a, 0.05 * b)], T.CSF
    )
    pose.polyline(canvas, [(-0.16 * a, 0), (0.2 * a, 0)], T.CSF, 0.8)  # third ventricle between the thalami


def _curved_body(crl: float, curvature: float, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Crown-to-rump centre line on a circular arc and the body's outline polygon (local mm)."""
    radius = crl / curvature
    t = np.linspace(-curvature / 2, curvature / 2, n)
    centre = np.stack([radius * np.sin(t), radius * (1 - np.cos(t))], axis=1)
    normal = np.stack([-np.sin(t), np.cos(t)], axis=1)
    s = np.linspace(0, 1, n)  # 0 = crown, 1 = rump
    width = crl * np.interp(s, [0, 0.15, 0.32, 0.4, 0.7, 1.0], [0.16, 0.24, 0.18, 0.14, 0.17, 0.08])
    outline = np.vstack([centre + normal * width[:, None], (centre - normal * width[:, None])[::-1]])
    return centre, outline


def _fetus_crl(canvas: Canvas, pose: Pose, crl: float, rng: np.random.Generator) -> None:
    """Mid-sagittal fetus at 11-14 weeks: curved body, head, spine, heart, amnion around it."""
    pose.ellipse(canvas, (crl * 0.5, crl * 0.1), (crl * 0.95, crl * 0.72), 0, T.COELOMIC_FLUID)
    pose.ellipse(canvas, (crl * 0.5, crl * 0.12), (crl * 0.78, crl * 0.6), rng.uniform(-10, 10), T.AMNIOTIC_FLUID)
    pose.ellipse(canvas, (crl * 0.5, crl * 0.12), (crl * 0.78, crl * 0.6), 0, T.MEMBRANE, thickness_mm=0.5)
    centre, outline = _curved_body(crl, rng.uniform(0.6, 1.3))
    pose.polygon(canvas, outline, T.SOFT_TISSUE)
    pose.polyline(canvas, np.vstack([outline, outline[:1]]), T.SKIN, 0.5)
    head_c, head_r = centre[6], crl * 0.24
    pose.ellipse(canvas, head_c, (head_r * 1.05, head_r), 0, T.SOFT_TISSUE)
    pose.ellipse(canvas, head_c, (head_r * 1.05, head_r), 0, T.BONE, thickness_mm=0.7)
    pose.ellipse(canvas, head_c, (head_r * 0.85, head_r * 0.8), 0, T.BRAIN)
    pose.ellipse(canvas, head_c + [head_r * 0.1, 0], (head_r * 0.35, head_r * 0.22), 30, T.CHOROID)
    tangent = np.gradient(centre, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    dorsal = centre - np.stack([-tangent[:, 1], tangent[:, 0]], axis=1) * (crl * 0.1)
    for point in dorsal[12:36:2]:  # vertebral bodies: bright dots along the back
        pose.ellipse(canvas, point, (0.5, 0.5), 0, T.BONE)
    pose.ellipse(canvas, centre[17] + [0, crl * 0.04], (crl * 0.05, crl * 0.04), 0, T.BLOOD)  # heart
    pose.ellipse(canvas, centre[24] + [0, crl * 0.05], (crl * 0.03, crl * 0.02), 0, T.CSF)  # stomach
    for idx, length in ((16, 0.12), (31, 0.14)):  # limb buds on the ventral side
        base = centre[idx] + [0, crl * 0.1]
        tip = base + [crl * 0.07, length * crl]
        pose.polyline(canvas, [base, tip], T.SOFT_TISSUE, crl * 0.04)
        pose.polyline(canvas, [base, base + (tip - base) * 0.8], T.BONE, 0.5)
    cord = centre[26] + [0, crl * 0.14]
    pose.polyline(canvas, [cord, cord + [crl * 0.1, crl * 0.35]], T.SOFT_TISSUE, crl * 0.06)


def _neck_nt(canvas: Canvas, pose: Pose, crl: float, nt_mm: float, rng: np.random.Generator) -> None:
    """Mid-sagittal head and upper thorax: profile, nasal bone, palate, nuchal translucency."""
    r = crl * 0.2  # head radius; the local frame faces -x (profile to the left), dorsal at -z
    trunk = [
        (r * 0.2, r * 0.6),
        (r * 0.6, r * 0.9),
        (r * 2.6, r * 1.0),
        (r * 2.9, r * 0.2),
        (r * 2.7, -r * 0.7),
        (r * 1.4, -r * 0.75),
        (r * 0.8, -r * 0.55),
    ]
    pose.polygon(canvas, trunk, T.SOFT_TISSUE)
    pose.ellipse(canvas, (0, 0), (r * 1.05, r), 0, T.SOFT_TISSUE)
    face = [
        (-r * 0.85, -r * 0.3),
        (-r * 1.2, r * 0.05),
        (-r * 1.05, r * 0.25),
        (-r * 1.0, r * 0.55),
        (-r * 0.7, r * 0.85),
        (-r * 0.2, r * 0.85),
        (r * 0.3, r * 0.7),
    ]
    pose.polygon(canvas, face, T.SOFT_TISSUE)
    pose.polyline(canvas, face[1:], T.SKIN, 0.35)
    pose.ellipse(canvas, (0, 0), (r * 1.05, r), 0, T.SKIN, thickness_mm=0.35)
    pose.ellipse(canvas, (0, 0), (r * 0.95, r * 0.9), 0, T.BONE, thickness_mm=0.45)
    pose.ellipse(canvas, (0, 0), (r * 0.88, r * 0.82), 0, T.BRAIN)
    pose.ellipse(canvas, (r * 0.05, r * 0.1), (r * 0.3, r * 0.22), 10, T.THALAMUS)
    pose.ellipse(canvas, (r * 0.45, r * 0.35), (r * 0.25, r * 0.12), 40, T.THALAMUS)  # brain stem
    pose.ellipse(canvas, (r * 0.55, r * 0.12), (r * 0.12, r * 0.08), 40, T.CSF)  # intracranial translucency
    pose.ellipse(canvas, (r * 0.2, -r * 0.3), (r * 0.35, r * 0.2), 20, T.CHOROID)
    pose.polyline(canvas, [(-r * 1.12, r * 0.0), (-r * 1.02, r * 0.22)], T.BONE, 0.5)  # nasal bone
    pose.polyline(canvas, [(-r * 1.2, -r * 0.02), (-r * 1.08, r * 0.26)], T.SKIN, 0.35)  # skin over the nose
    pose.polyline(canvas, [(-r * 0.95, r * 0.42), (-r * 0.2, r * 0.5)], T.BONE, 0.7)  # palate
    pose.polyline(canvas, [(-r * 0.85, r * 0.78), (-r * 0.15, r * 0.72)], T.BONE, 0.6)  # mandible
    # Nuchal translucency: fluid between the soft tissue of the neck and the skin behind it.
    neck = np.array(
        [(r * 0.55, -r * 0.82), (r * 1.0, -r * 0.62), (r * 1.4, -r * 0.78), (r * 2.0, -r * 0.74), (r * 2.7, -r * 0.72)]
    )
    offset = nt_mm / pose.scale
    behind = neck - [0, offset]
    pose.polygon(canvas, np.vstack([neck, behind[::-1]]), T.CSF)
    pose.polyline(canvas, behind, T.SKIN, 0.4)
    for k in range(9):  # cervical and thoracic spine
        pose.ellipse(canvas, (r * (0.9 + 0.2 * k), -r * 0.45), (0.45, 0.45), 0, T.BONE)
    pose.ellipse(canvas, (r * 2.2, r * 0.35), (r * 0.3, r * 0.25), 0, T.BLOOD)  # heart
    amnion_gap = rng.uniform(1.5, 5.0) / pose.scale
    pose.polyline(
        canvas,
        ellipse_points(r * 1.2, 0, r * 2.2, r * 1.6 + amnion_gap, math.pi * 1.15, math.pi * 1.85, 24),
        T.MEMBRANE,
        0.4,
    )


PLANES = ("BPD", "CRL", "NT")


def draw_plane(plane: str, probe: ConvexProbe, rng: np.random.Generator) -> Canvas:
    """Label map of one randomised scene of `plane` over the probe's field of view."""
    canvas = Canvas(world_extent(probe), CANVAS_MM_PER_PX, T.MYOMETRIUM)
    scene = _maternal_scene(canvas, probe, rng)
    _loose_parts(canvas, probe, scene, rng)
    angle = rng.uniform(-20, 20) + (180 if rng.random() < 0.5 else 0)  # standard planes are taken near horizontal
    mirror = bool(rng.random() < 0.5)
    if plane == "BPD":
        bpd = rng.uniform(35, 60)
        cx, cz = _fetal_pose(probe, scene, rng, bpd * 1.1)
        _head_bpd(canvas, Pose(cx, cz, angle, 1.0, mirror), bpd, rng)
    elif plane == "CRL":
        crl = rng.uniform(45, 84)
        cx, cz = _fetal_pose(probe, scene, rng, crl * 0.8)
        _fetus_crl(canvas, Pose(cx, cz, angle, 1.0, mirror), crl, rng)
    elif plane == "NT":
        crl, zoom = rng.uniform(45, 84), rng.uniform(1.3, 2.0)
        cx, cz = _fetal_pose(probe, scene, rng, crl * 0.6 * zoom)
        _neck_nt(canvas, Pose(cx, cz, angle, zoom, mirror), crl, rng.uniform(1.0, 3.0) * zoom, rng)
    else:
        raise ValueError(f"unknown plane {plane!r}; expected one of {PLANES}")
    _draw_wall(canvas, probe, scene["layers"], rng)
    return canvas
