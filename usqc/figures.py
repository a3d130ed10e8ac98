"""Matplotlib figures written as PNG (headless)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


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


def accuracy_ssim_figure(
    curves: dict[str, dict[str, pd.DataFrame]], y: str, title: str, thresholds: dict, path: str | Path
) -> None:
    """Thesis Figures 33-34: per corruption one panel, `y` against mean SSIM, one line per model.

    curves: corruption -> model -> DataFrame(intensity, mean_ssim, `y`); thresholds: corruption ->
    intensity or None, marked at the mean SSIM of its level. SSIM falls as corruption grows, so
    the x axis runs from 1 downwards.
    """
    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.4), squeeze=False)
    for ax, (name, by_model) in zip(axes[0], curves.items(), strict=True):
        for model, table in by_model.items():
            ax.plot(table["mean_ssim"], table[y], marker="o", markersize=3, label=model)
        t = thresholds.get(name)
        if t is not None:
            table = next(iter(by_model.values()))
            at = table.loc[(table["intensity"] - t).abs().idxmin(), "mean_ssim"]
            ax.axvline(at, color="tab:red", linestyle="--", label=f"threshold {t:.3g}")
        lowest = min(c["mean_ssim"].min() for c in by_model.values())
        ax.set_xlim(1.02, max(0.0, lowest - 0.05))
        ax.set_ylim(-0.03, 1.03)
        ax.set_title(name)
        ax.set_xlabel("mean SSIM against the original")
        ax.set_ylabel("accuracy" if y == "accuracy" else "share called this corruption")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90, format="png", metadata={"Software": None})
    plt.close(fig)


def saliency_figure(images: list[np.ndarray], maps: list[np.ndarray], titles: list[str], rows: int, path) -> None:
    """Image and saliency map side by side, `rows` rows (one per class), thesis annex A.1."""
    per_row = -(-len(images) // rows)
    fig, axes = plt.subplots(rows, 2 * per_row, figsize=(2.0 * 2 * per_row, 2.2 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for k, (image, heat, title) in enumerate(zip(images, maps, titles, strict=True)):
        r, c = divmod(k, per_row)
        axes[r, 2 * c].imshow(image, cmap="gray", vmin=0, vmax=255)
        axes[r, 2 * c].set_title(title, fontsize=7)
        axes[r, 2 * c + 1].imshow(image, cmap="gray", vmin=0, vmax=255)
        axes[r, 2 * c + 1].imshow(heat, cmap="inferno", vmin=0, vmax=1, alpha=0.6)
        axes[r, 2 * c + 1].set_title("saliency", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90, format="png", metadata={"Software": None})
    plt.close(fig)
