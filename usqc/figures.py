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


def sweep_figures(curves: dict, thresholds: dict, units: dict, paths: dict[str, Path]) -> None:
    """Thesis Figures 20-22, one panel per corruption, the accuracy-floor threshold marked.

    curves: name -> DataFrame(intensity, mean_ssim, accuracy); thresholds: name -> intensity or None.
    paths: keys 'accuracy_vs_intensity', 'accuracy_vs_ssim', 'ssim_vs_intensity'.
    """
    views = {
        "accuracy_vs_intensity": ("intensity", "accuracy", "Figure 20: accuracy against intensity"),
        "accuracy_vs_ssim": ("mean_ssim", "accuracy", "Figure 21: accuracy against SSIM"),
        "ssim_vs_intensity": ("intensity", "mean_ssim", "Figure 22: SSIM against intensity"),
    }
    for key, (x, y, title) in views.items():
        fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.4), squeeze=False)
        for ax, (name, curve) in zip(axes[0], curves.items(), strict=True):
            ax.plot(curve[x], curve[y], marker="o", markersize=3)
            t = thresholds.get(name)
            if t is not None:
                at = curve.loc[(curve["intensity"] - t).abs().idxmin()]
                ax.axvline(at[x], color="tab:red", linestyle="--", label=f"threshold {t:.3g}")
                ax.legend(fontsize=8)
            ax.set_title(name)
            ax.set_xlabel("mean SSIM" if x == "mean_ssim" else f"intensity ({units[name]})")
            ax.set_ylabel("plane accuracy" if y == "accuracy" else "mean SSIM")
            ax.grid(alpha=0.3)
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(paths[key], dpi=90, format="png", metadata={"Software": None})
        plt.close(fig)


def confusion_figure(matrix: np.ndarray, classes, title: str, path: str | Path) -> None:
    """Row-normalised confusion matrix (true class per row), as the thesis' Figures 26 and 32."""
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(4.6, 4.0))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(classes)):
        for j in range(len(classes)):
            color = "white" if shares[i, j] > 0.5 else "black"
            ax.text(j, i, f"{shares[i, j]:.2f}\n({matrix[i, j]})", ha="center", va="center", fontsize=8, color=color)
    ax.set_xticks(range(len(classes)), classes, rotation=30)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90, format="png", metadata={"Software": None})
    plt.close(fig)
