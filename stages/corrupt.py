"""DVC stage `corrupt`: data/clean + data/unlabelled -> data/corrupted (thesis §4.2).

Each clean image gives `labelled_copies` (ingest's) or `unlabelled_copies` (ingest_unlabelled's)
corrupted sets of four rows, one per class in the order original, scale_up, blur, noise, with the
sampled intensity, the corruption applied and the SSIM against the stored original; the split is
the source's. label_rule threshold labels as ssim_eval does, from threshold_sweep's thresholds
(usqc.label_rule); thesis replays the thesis' sampling, every copy labelled corrupted.
"""

import usqc  # noqa: F401  (first: pins OpenBLAS's kernels before numpy loads them, usqc/__init__.py)

# isort: split
import logging

import pandas as pd

from usqc import corruptions, dataset, params, stage
from usqc.corrupt import Plan, Source, check_sizes, example_sources, summary, threshold_ranges, write_corrupted
from usqc.figures import image_grid
from usqc.label_rule import sweep_limits
from usqc.outputs import atomic_outputs, write_json

log = logging.getLogger("corrupt")


def main() -> None:
    args = stage.parse_args(
        __doc__,
        clean="data/clean",
        unlabelled="data/unlabelled",
        out="data/corrupted",
        metrics="metrics/corrupt.json",
        examples="plots/corrupt/examples.png",
        ssim_table="plots/corrupt/ssim_by_label.csv",
        sweep_metrics="metrics/threshold_sweep.json",
        sweep_plots="plots/threshold_sweep",
    )

    p = params.load(args.params, "base", "corrupt", "ssim_eval")
    base, cfg, levels_cfg = p["base"], p["corrupt"], p["ssim_eval"]
    check_sizes(base.clean_size, base.image_size, cfg.thesis.crop_total_px)
    sources = [
        Source(args.clean, dataset.require(args.clean, "ingest"), cfg.labelled_copies),
        Source(args.unlabelled, dataset.require(args.unlabelled, "ingest_unlabelled"), cfg.unlabelled_copies),
    ]
    ranges = None
    if cfg.label_rule == "threshold":
        limits = sweep_limits(args.sweep_metrics, args.sweep_plots, levels_cfg.flat_tolerance)
        ranges = threshold_ranges(limits, levels_cfg.start)
        for name, r in ranges.items():
            log.info("%s: corrupted from %.4g to %.4g, original below %s", name, *r.above, r.below)
    plan = Plan(base.seed, base.image_size, cfg.thesis, ranges, cfg.below_threshold_share, cfg.threshold_concentration)
    n_labels = len(corruptions.LABELS)

    with atomic_outputs(args.out, args.metrics, args.examples, args.ssim_table) as (out, metrics, examples, table):
        manifest = write_corrupted(sources, plan, out, stage.workers(), cfg.split)
        write_json(metrics, summary(manifest))
        corrupted = manifest[manifest["label"] != "original"]
        corrupted[["label", "intensity", "ssim"]].to_csv(table, index=False, float_format="%.6g")
        images = dataset.open_images(out)
        grid, titles = {}, {}
        for row in example_sources(manifest, cfg.examples):
            name = f"{manifest.plane[row]} {manifest.source_id[row]}"
            grid[name] = [images[row + k] for k in range(n_labels)]
            titles[name] = [_title(manifest.iloc[row + k]) for k in range(n_labels)]
        image_grid(grid, examples, titles)
    log.info("wrote %s: %d images", args.out, len(manifest))


def _title(row: pd.Series) -> str:
    if row.applied == corruptions.NONE:
        return row.label
    shown = row.label if row.label == row.applied else f"{row.label} ({row.applied})"
    return f"{shown} {row.intensity:.3g}\nSSIM {row.ssim:.3f}"


if __name__ == "__main__":
    stage.run(main)
