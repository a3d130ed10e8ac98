"""How far the phantom is from real scans: texture features for a two-sample test.

Both sides are compared as ingest stores them (224-px clean views). Patch features describe
24 x 24 patches inside the field of view (brightness, contrast, shape of the histogram, speckle
grain as autocorrelation at 1, 2 and 4 px on both axes, edge energy, dark share); image features
describe the whole field of view. A classifier that cannot tell the two sides apart on held-out
images (accuracy near 0.5) means the phantom matches real scans in what these features see.
"""

from __future__ import annotations

import numpy as np

from usqc.fov import field_of_view

PATCH = 24
LAGS = (1, 2, 4)
DARK_LEVEL = 16  # uint8 grey below which a pixel counts as dark (fluid, shadow, background)
PATCH_FEATURES = (
    "mean",
    "contrast",
    "skew",
    "kurtosis",
    *(f"autocorr_{axis}{lag}" for axis in "xy" for lag in LAGS),
    "gradient_energy",
    "dark_fraction",
)
IMAGE_FEATURES = (
    "mean",
    "contrast",
    "p05",
    "p50",
    "p95",
    "dark_fraction",
    "fov_fraction",
    "gradient_energy",
    "grain_px",
)


def patches_in_fov(view: np.ndarray, fov: np.ndarray | None = None, size: int = PATCH) -> np.ndarray:
    """The non-overlapping `size` x `size` patches of a grid centred on the view that lie wholly
    inside its field of view (found if not given), as float32 (n, size, size)."""
    fov = field_of_view(view) if fov is None else fov
    rows, cols = (np.arange((n % size) // 2, n - size + 1, size) for n in view.shape)
    kept = [view[r : r + size, c : c + size] for r in rows for c in cols if fov[r : r + size, c : c + size].all()]
    return np.asarray(kept, dtype=np.float32).reshape(-1, size, size)


def _autocorr(centred: np.ndarray, var: np.ndarray, lag: int, axis: int) -> np.ndarray:
    """Normalised autocorrelation of each patch at `lag` px along `axis` (0 where flat)."""
    n = centred.shape[axis + 1]
    a = np.take(centred, np.arange(n - lag), axis=axis + 1)
    b = np.take(centred, np.arange(lag, n), axis=axis + 1)
    cov = (a * b).mean(axis=(1, 2))
    return np.divide(cov, var, out=np.zeros_like(cov), where=var > 0)


def patch_features(patches: np.ndarray) -> np.ndarray:
    """(n, len(PATCH_FEATURES)) for float patches in uint8 grey units."""
    mean = patches.mean(axis=(1, 2))
    centred = patches - mean[:, None, None]
    var = (centred**2).mean(axis=(1, 2))
    std = np.sqrt(var)
    safe = np.where(std > 0, std, 1.0)
    skew = np.where(std > 0, (centred**3).mean(axis=(1, 2)) / safe**3, 0.0)
    kurtosis = np.where(std > 0, (centred**4).mean(axis=(1, 2)) / safe**4 - 3, 0.0)
    autocorr = [_autocorr(centred, var, lag, axis) for axis in (1, 0) for lag in LAGS]  # x: columns, y: rows
    gx, gy = np.diff(patches, axis=2), np.diff(patches, axis=1)
    gradient = ((gx**2).mean(axis=(1, 2)) + (gy**2).mean(axis=(1, 2))) / 255**2
    dark = (patches < DARK_LEVEL).mean(axis=(1, 2))
    return np.stack([mean / 255, std / 255, skew, kurtosis, *autocorr, gradient, dark], axis=1).astype(np.float32)


def view_features(view: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Patch features (k, len(PATCH_FEATURES)) and image features of one view, its field of view found once."""
    fov = field_of_view(view)
    return patch_features(patches_in_fov(view, fov)), image_features(view, fov)


def grain_px(view: np.ndarray, fov: np.ndarray, max_lag: int = 12) -> float:
    """Speckle grain: the lag (px, interpolated) at which the horizontal autocorrelation inside
    the field of view falls to 0.5."""
    x = view.astype(np.float32)
    inside = fov.astype(np.float32)
    mean = (x * inside).sum() / max(inside.sum(), 1)
    centred = (x - mean) * inside
    var = (centred**2).sum() / max(inside.sum(), 1)
    if var == 0:
        return 0.0
    previous = 1.0
    for lag in range(1, max_lag + 1):
        pairs = inside[:, :-lag] * inside[:, lag:]
        r = (centred[:, :-lag] * centred[:, lag:]).sum() / max(pairs.sum(), 1) / var
        if r <= 0.5:
            return float(lag - 1 + (previous - 0.5) / (previous - r))
        previous = r
    return float(max_lag)


def image_features(view: np.ndarray, fov: np.ndarray | None = None) -> np.ndarray:
    """(len(IMAGE_FEATURES),) whole field-of-view statistics of a uint8 view (field of view found if not given)."""
    fov = field_of_view(view) if fov is None else fov
    pixels = view[fov].astype(np.float32)
    x = view.astype(np.float32)
    gx, gy = np.diff(x, axis=1), np.diff(x, axis=0)
    gradient = ((gx**2)[fov[:, 1:] & fov[:, :-1]].mean() + (gy**2)[fov[1:] & fov[:-1]].mean()) / 255**2
    p05, p50, p95 = np.percentile(pixels, [5, 50, 95]) / 255
    return np.array(
        [
            pixels.mean() / 255,
            pixels.std() / 255,
            p05,
            p50,
            p95,
            (pixels < DARK_LEVEL).mean(),
            fov.mean(),
            gradient,
            grain_px(view, fov),
        ],
        dtype=np.float32,
    )
