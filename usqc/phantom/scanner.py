"""Scanner and display settings: the ranges an image draws from, and one image's draw.

The default ranges (params.yaml's `ingest.phantom.scanner` must match them, a test checks it):
- centre frequency 2.5-5.5 MHz, fractional bandwidth 0.6-0.9: curvilinear abdominal probes in
  obstetrics (e.g. 2-6 MHz C5-1/RAB probes); the lateral beam width scales as 1/f (lambda x F#);
- dynamic range 40-80 dB: the log-compression window scanners offer for B-mode;
- headroom 17-27 dB: the overall gain, how far below white the 90th percentile sits;
- grey-map exponent 1.3-2.0: the post-processing curve (scanners' grey maps darken mid-tones);
- speckle reduction 0.2-1: edge-blind smoothing standing in for speckle-reduction filtering,
  spatial compounding and persistence (an image-domain approximation: the filters are proprietary);
- fill 0.30-0.68: share of the image width the plane's anatomy fills once the sonographer has
  set depth and write zoom (BPD: the head's mean diameter, HC / pi; CRL: the fetus; NT: head and
  upper thorax). Calibrated on the HC18 real-train part, where the head's mean diameter fills
  0.26-0.68 of the width (10th-90th percentile 0.36-0.62): a summary statistic of that part,
  never of one image;
- JPEG quality 60-100 (100: stored losslessly): real databases are lossy screenshots;
- on-screen text in 70 % of the images, calipers in half of those;
- a measurement-results box (a dark rectangle over a corner, usqc/phantom/display.py) in
  `result_box_share` of the images: real databases are screenshots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from usqc.params import PhantomScanner

DEFAULT_SCANNER = PhantomScanner(
    center_mhz=(2.5, 5.5),
    bandwidth=(0.6, 0.9),
    dynamic_range_db=(40.0, 80.0),
    headroom_db=(17.0, 27.0),
    gray_gamma=(1.3, 2.0),
    speckle_reduction=(0.2, 1.0),
    fill=(0.3, 0.68),
    jpeg_quality=(60.0, 100.0),
    annotation_share=0.7,
    result_box_share=0.6,
)


@dataclass(frozen=True)
class Settings:
    """One image's draw from the ranges."""

    center_mhz: float
    bandwidth: float
    dynamic_range_db: float
    headroom_db: float
    gray_gamma: float
    speckle_reduction: float
    fill: float
    jpeg_quality: int
    text: bool
    calipers: bool


def draw_settings(ranges: PhantomScanner, rng: np.random.Generator) -> Settings:
    def uniform(pair: tuple[float, ...]) -> float:
        return float(rng.uniform(pair[0], pair[1]))

    text = bool(rng.random() < ranges.annotation_share)
    return Settings(
        center_mhz=uniform(ranges.center_mhz),
        bandwidth=uniform(ranges.bandwidth),
        dynamic_range_db=uniform(ranges.dynamic_range_db),
        headroom_db=uniform(ranges.headroom_db),
        gray_gamma=uniform(ranges.gray_gamma),
        speckle_reduction=uniform(ranges.speckle_reduction),
        fill=uniform(ranges.fill),
        jpeg_quality=int(round(uniform(ranges.jpeg_quality))),
        text=text,
        calipers=text and bool(rng.random() < 0.5),
    )
