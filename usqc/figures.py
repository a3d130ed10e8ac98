"""Matplotlib figures written as PNG (headless)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def image_grid(rows: dict[str, list[np.ndarray]], path: str | Path, titles: dict[str, list[str]] | None = None) -> None:
    """One row of grayscale images per key (thesis Figure 1 style), saved to `path` as PNG."""
    n_cols = max(len(images) for images in rows.values())
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(2.2 * n_cols, 2.3 * len(rows)), squeeze=False)
    for r, (name, images) in enumerate(rows.items()):
        for c in range(n_cols):
            ax = axes[r, c]
            ax.axis("off")
            if c < len(images):
                ax.imshow(images[c], cmap="gray", vmin=0, vmax=255)
                if titles:
                    ax.set_title(titles[name][c], fontsize=8)
        axes[r, 0].text(
            -0.08, 0.5, name, transform=axes[r, 0].transAxes, rotation=90, va="center", ha="right", fontsize=11
        )
    fig.tight_layout()
    fig.savefig(path, dpi=90, format="png", metadata={"Software": None})
    plt.close(fig)
