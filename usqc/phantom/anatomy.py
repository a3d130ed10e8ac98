"""Anatomy of the three standard planes, drawn in millimetres as tissue labels.

Every scene shares the maternal side (abdominal wall, uterus, optional placenta, loose fetal
parts and cord loops, all with the same random distributions) so that a plane is told apart by
its fetal anatomy, not by how much fluid or tissue surrounds it. Contours are smooth (deformed
ellipses, corner-cut polygons); sizes follow biometry by gestational age. Bone reflects
specularly: a skull is bright where it faces the beam and fades where the beam grazes it.
Each plane also says where the sonographer would zoom (its anatomy's centre and extent) and
where its calipers go.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from usqc.phantom.canvas import Canvas, Contour, Pose, ellipse_points, smooth
from usqc.phantom.probe import ConvexProbe, world_extent
from usqc.phantom.tissues import Tissue as T

CANVAS_MM_PER_PX = 0.25
# Biparietal diameter (outer-inner, mm) by gestational age (weeks): Hadlock-type chart.
BPD_CHART = ((12, 20.0), (14, 27.0), (16, 34.0), (20, 47.0), (24, 59.0), (28, 71.0), (32, 81.0), (36, 88.0), (40, 93.0))
BPD_WEEKS = (14.0, 40.0)  # the BPD plane across the 2nd and 3rd trimesters
CRL_MM = (45.0, 84.0)  # 11-14 weeks, the window of the CRL and NT planes
NT_MM = (1.0, 3.0)


@dataclass(frozen=True)
class Scene:
    canvas: Canvas
    center: tuple[float, float]  # world mm: where the sonographer zooms
    extent_mm: float  # width of the plane's anatomy, filled to the scanner's `fill`
    calipers: tuple[tuple[float, float], tuple[float, float]]  # the plane's measurement, world mm


def bone_contour(canvas: Canvas, points: np.ndarray, probe: ConvexProbe, thickness_mm: float) -> None:
    """A closed bone outline (world mm) whose echo depends on incidence: full thickness where the
    surface faces the beam, half where it is oblique, a faint line where the beam grazes it."""
    tangent = np.roll(points, -1, axis=0) - np.roll(points, 1, axis=0)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    beam = points + [0.0, probe.radius_mm]  # from the virtual apex
    cosine = np.abs((normal * beam).sum(axis=1)) / (np.linalg.norm(normal, axis=1) * np.linalg.norm(beam, axis=1))
    kind = np.digitize(cosine, [0.3, 0.6])  # 0 grazing, 1 oblique, 2 facing
    closed = np.vstack([points, points[:1]])
    for level, tissue, thick in ((0, T.MEMBRANE, 0.5), (1, T.BONE, thickness_mm / 2), (2, T.BONE, thickness_mm)):
        for run in _runs(kind == level):
            canvas.polyline(closed[run[0] : run[1] + 2], tissue, thick)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) indices of the runs of True in `mask`."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def _wall_polygon(probe: ConvexProbe, thickness_mm: float, wobble: tuple[float, float, float]) -> np.ndarray:
    """Region between the apex and a slightly wavy arc `thickness_mm` below the probe face."""
    theta = np.linspace(-probe.half_angle - 0.2, probe.half_angle + 0.2, 64)
    amp, freq, phase = wobble
    rho = probe.radius_mm + thickness_mm * (1 + amp * np.sin(freq * theta + phase))
    arc = np.stack([rho * np.sin(theta), rho * np.cos(theta) - probe.radius_mm], axis=1)
    return np.vstack([[0.0, -probe.radius_mm], arc])


def _uterus(probe: ConvexProbe, rng: np.random.Generator) -> dict:
    """Abdominal wall layers and the posterior uterine wall's depth: where the fetus may go."""
    wall = {"fat": rng.uniform(3, 14), "muscle": rng.uniform(3, 9), "myometrium": rng.uniform(4, 10)}
    wall_mm = sum(wall.values())
    floor = wall_mm + rng.uniform(0.75, 1.05) * (probe.depth_mm - wall_mm)  # posterior uterine wall at the centre
    return {"wall_mm": wall_mm, "floor_mm": floor, "layers": wall}


def _cavity(canvas: Canvas, center: tuple[float, float], extent_mm: float, rng: np.random.Generator) -> tuple:
    """Amniotic fluid around the fetus, a few mm to a few cm beyond it, uterine wall (the canvas'
    fill) beyond that, placenta on one side in most scans. Returns the cavity's frame and semi-axes."""
    axes = (extent_mm / 2 + rng.uniform(3, 30), extent_mm / 2 + rng.uniform(3, 20))
    pose = Pose(center[0] + rng.uniform(-0.1, 0.1) * extent_mm, center[1], rng.uniform(-20, 20))
    pose.polygon(canvas, Contour(rng, 0.12).points(*axes), T.AMNIOTIC_FLUID)
    if rng.random() < 0.7:  # the placenta lines the wall above or below, straddling the cavity's edge
        side = 1 if rng.random() < 0.5 else -1
        thickness = rng.uniform(8, 16)
        at = (rng.uniform(-0.5, 0.5) * axes[0], side * (axes[1] + thickness * rng.uniform(-0.2, 0.6)))
        pose.polygon(canvas, Contour(rng, 0.15).points(rng.uniform(30, 60), thickness, at), T.PLACENTA)
    return pose, axes


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


def _loose_parts(canvas: Canvas, cavity: tuple[Pose, tuple[float, float]], rng: np.random.Generator) -> None:
    """Limb cross-sections and cord loops floating in the fluid, in every plane alike."""
    frame, (a_mm, b_mm) = cavity

    def somewhere() -> Pose:
        radius, angle = 0.9 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        x, z = frame.points([(radius * a_mm * math.cos(angle), radius * b_mm * math.sin(angle))])[0]
        return Pose(x, z, rng.uniform(0, 180))

    for _ in range(rng.integers(1, 5)):
        pose = somewhere()
        a, b = rng.uniform(5, 14), rng.uniform(3, 7)
        pose.ellipse(canvas, (0, 0), (a, b), 0, T.SOFT_TISSUE)
        pose.ellipse(canvas, (0, 0), (a, b), 0, T.SKIN, thickness_mm=0.5)
        pose.ellipse(canvas, (0, 0), (0.25 * a, 0.3 * b), 0, T.BONE)  # long bone in cross-section
    for _ in range(rng.integers(0, 3)):
        pose = somewhere()
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


def _biparietal(rng: np.random.Generator) -> tuple[float, float]:
    """Gestational age (weeks) and BPD (mm): the chart's value with +-7 % biological spread."""
    weeks = rng.uniform(*BPD_WEEKS)
    return weeks, float(np.interp(weeks, *zip(*BPD_CHART, strict=True))) * rng.uniform(0.93, 1.07)


def _head_bpd(
    canvas: Canvas, pose: Pose, weeks: float, bpd: float, probe: ConvexProbe, rng: np.random.Generator
) -> tuple[float, tuple]:
    """Axial trans-thalamic head: skull (thicker with age), falx, cavum septi pellucidi, thalami,
    choroid plexus. Returns the head's mean diameter (HC / pi) and its BPD calipers (local mm)."""
    b = bpd / 2
    a = b / rng.uniform(0.75, 0.85)  # cephalic index: BPD / OFD
    skull = 1.0 + 2.0 * (weeks - BPD_WEEKS[0]) / (BPD_WEEKS[1] - BPD_WEEKS[0]) * rng.uniform(0.8, 1.2)
    shape = Contour(rng, 0.03)
    pose.polygon(canvas, shape.points(a + 3, b + 3), T.SOFT_TISSUE)  # scalp
    pose.polyline(canvas, shape.points(a + 3, b + 3), T.SKIN, 0.6, closed=True)
    pose.polygon(canvas, shape.points(a - skull / 2, b - skull / 2), T.CSF)
    pose.polygon(canvas, shape.points(a - skull - 1.2, b - skull - 1.2), T.BRAIN)
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
    pose.ellipse(canvas, (-0.33 * a, 0), (0.14 * a, 0.055 * b), 0, T.CSF)  # cavum septi pellucidi
    pose.polyline(canvas, [(-0.16 * a, 0), (0.2 * a, 0)], T.CSF, 0.8)  # third ventricle between the thalami
    bone_contour(canvas, pose.points(shape.points(a - skull / 2, b - skull / 2)), probe, skull)
    return a + b, ((0.0, -b), (0.0, b - skull))


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


def _fetus_crl(canvas: Canvas, pose: Pose, crl: float, probe: ConvexProbe, rng: np.random.Generator) -> tuple:
    """Mid-sagittal fetus at 11-14 weeks in neutral posture: curved body, head, spine, heart,
    limb buds, cord, amnion around it. Returns its width and the CRL calipers (local mm)."""
    pose.ellipse(canvas, (crl * 0.5, crl * 0.1), (crl * 0.95, crl * 0.72), 0, T.COELOMIC_FLUID)
    pose.ellipse(canvas, (crl * 0.5, crl * 0.12), (crl * 0.78, crl * 0.6), rng.uniform(-10, 10), T.AMNIOTIC_FLUID)
    pose.ellipse(canvas, (crl * 0.5, crl * 0.12), (crl * 0.78, crl * 0.6), 0, T.MEMBRANE, thickness_mm=0.5)
    centre, outline = _curved_body(crl, rng.uniform(0.6, 1.3))
    outline = smooth(outline, closed=True, iterations=2)
    pose.polygon(canvas, outline, T.SOFT_TISSUE)
    pose.polyline(canvas, outline, T.SKIN, 0.5, closed=True)
    head_c, head_r = centre[6], crl * 0.24
    head = Contour(rng, 0.03)
    pose.polygon(canvas, head.points(head_r * 1.05, head_r, head_c), T.SOFT_TISSUE)
    pose.polygon(canvas, head.points(head_r * 0.85, head_r * 0.8, head_c), T.BRAIN)
    pose.ellipse(canvas, head_c + [head_r * 0.1, 0], (head_r * 0.35, head_r * 0.22), 30, T.CHOROID)
    bone_contour(canvas, pose.points(head.points(head_r * 0.98, head_r * 0.93, head_c)), probe, 0.7)
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
        angle = math.degrees(math.atan2(tip[1] - base[1], tip[0] - base[0]))
        half = float(np.hypot(*(tip - base))) / 2
        pose.ellipse(canvas, (base + tip) / 2, (half, crl * 0.025), angle, T.SOFT_TISSUE)
        pose.ellipse(canvas, base + (tip - base) * 0.45, (half * 0.7, 0.3), angle, T.BONE)
    cord = centre[26] + [0, crl * 0.14]
    bend = [crl * rng.uniform(-0.1, 0.15), crl * 0.18]
    pose.polyline(
        canvas, smooth([cord, cord + bend, cord + [crl * 0.1, crl * 0.35]], closed=False), T.SOFT_TISSUE, crl * 0.06
    )
    return crl * 1.1, (tuple(centre[0] - [crl * 0.02, 0]), tuple(centre[-1]))


def _neck_nt(canvas: Canvas, pose: Pose, crl: float, nt_mm: float, probe: ConvexProbe, rng: np.random.Generator):
    """Mid-sagittal head and upper thorax: profile, nasal bone, palate, nuchal translucency.
    Returns the width of head and upper thorax and the NT calipers (local mm)."""
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
    pose.polygon(canvas, smooth(trunk, closed=True), T.SOFT_TISSUE)
    head = Contour(rng, 0.03)
    pose.polygon(canvas, head.points(r * 1.05, r), T.SOFT_TISSUE)
    face = [
        (-r * 0.85, -r * 0.3),
        (-r * 1.2, r * 0.05),
        (-r * 1.05, r * 0.25),
        (-r * 1.0, r * 0.55),
        (-r * 0.7, r * 0.85),
        (-r * 0.2, r * 0.85),
        (r * 0.3, r * 0.7),
    ]
    pose.polygon(canvas, smooth(face, closed=True), T.SOFT_TISSUE)
    pose.polyline(canvas, smooth(face[1:], closed=False), T.SKIN, 0.35)
    pose.polyline(canvas, head.points(r * 1.05, r), T.SKIN, 0.35, closed=True)
    pose.polygon(canvas, head.points(r * 0.88, r * 0.82), T.BRAIN)
    pose.ellipse(canvas, (r * 0.05, r * 0.1), (r * 0.3, r * 0.22), 10, T.THALAMUS)
    pose.ellipse(canvas, (r * 0.45, r * 0.35), (r * 0.25, r * 0.12), 40, T.THALAMUS)  # brain stem
    pose.ellipse(canvas, (r * 0.55, r * 0.12), (r * 0.12, r * 0.08), 40, T.CSF)  # intracranial translucency
    pose.ellipse(canvas, (r * 0.2, -r * 0.3), (r * 0.35, r * 0.2), 20, T.CHOROID)
    bone_contour(canvas, pose.points(head.points(r * 0.95, r * 0.9)), probe, 0.45)
    pose.polyline(canvas, [(-r * 1.12, r * 0.0), (-r * 1.02, r * 0.22)], T.BONE, 0.5)  # nasal bone
    pose.polyline(canvas, [(-r * 1.2, -r * 0.02), (-r * 1.08, r * 0.26)], T.SKIN, 0.35)  # skin over the nose
    pose.polyline(canvas, smooth([(-r * 0.95, r * 0.42), (-r * 0.6, r * 0.5), (-r * 0.2, r * 0.5)], False), T.BONE, 0.7)
    pose.polyline(
        canvas, smooth([(-r * 0.85, r * 0.78), (-r * 0.5, r * 0.8), (-r * 0.15, r * 0.72)], False), T.BONE, 0.6
    )
    # Nuchal translucency: fluid between the soft tissue of the neck and the skin behind it.
    neck = smooth(
        [(r * 0.55, -r * 0.82), (r * 1.0, -r * 0.62), (r * 1.4, -r * 0.78), (r * 2.0, -r * 0.74), (r * 2.7, -r * 0.72)],
        closed=False,
        iterations=2,
    )
    behind = neck - [0, nt_mm]
    pose.polygon(canvas, np.vstack([neck, behind[::-1]]), T.CSF)
    pose.polyline(canvas, behind, T.SKIN, 0.4)
    for k in range(9):  # cervical and thoracic spine
        pose.ellipse(canvas, (r * (0.9 + 0.2 * k), -r * 0.45), (0.45, 0.45), 0, T.BONE)
    pose.ellipse(canvas, (r * 2.2, r * 0.35), (r * 0.3, r * 0.25), 0, T.BLOOD)  # heart
    amnion_gap = rng.uniform(1.5, 5.0)
    pose.polyline(
        canvas,
        ellipse_points(r * 1.2, 0, r * 2.2, r * 1.6 + amnion_gap, math.pi * 1.15, math.pi * 1.85, 24),
        T.MEMBRANE,
        0.4,
    )
    widest = len(neck) // 2
    return r * 4.3, (tuple(neck[widest]), tuple(behind[widest]))


PLANES = ("BPD", "CRL", "NT")


def draw_plane(plane: str, probe: ConvexProbe, rng: np.random.Generator) -> Scene:
    """One randomised scene of `plane` over the probe's field of view, and where to zoom."""
    if plane not in PLANES:
        raise ValueError(f"unknown plane {plane!r}; expected one of {PLANES}")
    canvas = Canvas(world_extent(probe), CANVAS_MM_PER_PX, T.MYOMETRIUM)
    uterus = _uterus(probe, rng)
    angle = rng.uniform(-20, 20) + (180 if rng.random() < 0.5 else 0)  # standard planes are taken near horizontal
    mirror = bool(rng.random() < 0.5)
    if plane == "BPD":
        weeks, bpd = _biparietal(rng)
        size = bpd * 1.25 + 6  # occipito-frontal diameter and scalp
    else:
        crl = rng.uniform(*CRL_MM)
        size = crl * (1.1 if plane == "CRL" else 0.86)
    cx, cz = _fetal_pose(probe, uterus, rng, size * 0.85)
    _loose_parts(canvas, _cavity(canvas, (cx, cz), size, rng), rng)
    pose = Pose(cx, cz, angle, 1.0, mirror)
    if plane == "BPD":
        extent, calipers = _head_bpd(canvas, pose, weeks, bpd, probe, rng)
        center = (0.0, 0.0)
    elif plane == "CRL":
        extent, calipers = _fetus_crl(canvas, pose, crl, probe, rng)
        center = (0.0, crl * 0.1)
    else:
        extent, calipers = _neck_nt(canvas, pose, crl, rng.uniform(*NT_MM), probe, rng)
        center = (crl * 0.2 * 0.85, 0.0)
    _draw_wall(canvas, probe, uterus["layers"], rng)
    world_center = tuple(pose.points(center)[0])
    ends = pose.points(calipers)
    return Scene(canvas, world_center, extent, (tuple(ends[0]), tuple(ends[1])))
