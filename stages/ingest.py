"""DVC stage `ingest`: raw images -> data/clean (images.npy + manifest.csv), metrics, samples.

Thesis §4.1-4.2: grayscale, resized to 224 x 224. The train/test split is decided here once,
by group, so no patient or source image is ever on both sides.
"""

import argparse
import logging
from pathlib import Path

from usqc import dataset, params, stage
from usqc.figures import image_grid
from usqc.ingest import build_manifest, list_items, load_into, summary
from usqc.outputs import atomic_outputs, write_json

SAMPLES_PER_PLANE = 6
log = logging.getLogger("ingest")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--out", type=Path, default=Path("data/clean"))
    parser.add_argument("--metrics", type=Path, default=Path("metrics/ingest.json"))
    parser.add_argument("--samples", type=Path, default=Path("plots/ingest/samples.png"))
    args = parser.parse_args()

    p = params.load(args.params, "base", "ingest")
    base, cfg = p["base"], p["ingest"]
    items = list_items(base, cfg)
    log.info("%d images from the %s source", len(items), cfg.source)

    with atomic_outputs(args.out, args.metrics, args.samples) as (out, metrics, samples):
        with dataset.ImageWriter(out, len(items), base.clean_size) as writer:
            digests = load_into(items, writer, base.clean_size, stage.workers())
        manifest = build_manifest(items, digests, cfg.test_fraction, base.seed)
        dataset.write_manifest(out, manifest)
        write_json(metrics, summary(manifest))
        images = dataset.open_images(out)
        rows = {
            plane: [images[i] for i in manifest.index[manifest["plane"] == plane][:SAMPLES_PER_PLANE]]
            for plane in cfg.planes
        }
        image_grid(rows, samples)
    log.info("wrote %s: %s", args.out, summary(manifest)["split"])


if __name__ == "__main__":
    stage.run(main)
