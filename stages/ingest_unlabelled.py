"""DVC stage `ingest_unlabelled`: clean scans without a plane label -> data/unlabelled.

They train the corruption classifiers only (their labels come from the corruption process);
threshold_sweep never sees them. Same on-disk format and reading as `ingest`, plane
`unlabelled`, split by patient group. By default: the real-train part of the shipped HC18 sample.
"""

import usqc  # noqa: F401  (first: pins OpenBLAS's kernels before numpy loads them, usqc/__init__.py)

# isort: split
import logging

from usqc import dataset, params, stage
from usqc.ingest import build_manifest, load_into, summary
from usqc.ingest_unlabelled import unlabelled_items
from usqc.outputs import atomic_outputs, write_json

log = logging.getLogger("ingest_unlabelled")


def main() -> None:
    args = stage.parse_args(__doc__, out="data/unlabelled", metrics="metrics/ingest_unlabelled.json")
    p = params.load(args.params, "base", "unlabelled")
    base, cfg = p["base"], p["unlabelled"]
    items = unlabelled_items(cfg)
    log.info("%d unlabelled images from the %s source", len(items), cfg.source)

    with atomic_outputs(args.out, args.metrics) as (out, metrics):
        with dataset.ImageWriter(out, len(items), base.clean_size) as writer:
            loaded = load_into(items, writer, base.clean_size, stage.workers(), mask_fov=cfg.mask_outside_fov)
        manifest = build_manifest(loaded.items, loaded.digests, cfg.test_fraction, base.seed)
        dataset.write_manifest(out, manifest)
        write_json(metrics, summary(manifest, loaded))
    log.info("wrote %s: %d images in %d groups", args.out, len(manifest), manifest["group_id"].nunique())


if __name__ == "__main__":
    stage.run(main)
