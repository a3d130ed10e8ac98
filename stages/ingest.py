"""DVC stage `ingest`: raw images -> data/clean (images.npy + manifest.csv), metrics, samples.

Thesis §4.1-4.2: grayscale, resized to 224 x 224. The train/test split is decided here once,
by group, so no patient or source image is ever on both sides.
"""

import usqc  # noqa: F401  (first: pins OpenBLAS's kernels before numpy loads them, usqc/__init__.py)

# isort: split
import logging

from usqc import dataset, params, stage
from usqc.figures import image_grid
from usqc.ingest import build_manifest, list_items, load_into, summary
from usqc.outputs import atomic_outputs, write_json

SAMPLES_PER_PLANE = 6
log = logging.getLogger("ingest")


def main() -> None:
    args = stage.parse_args(
        __doc__, out="data/clean", metrics="metrics/ingest.json", samples="plots/ingest/samples.png"
    )

    p = params.load(args.params, "base", "ingest")
    base, cfg = p["base"], p["ingest"]
    items, listed = list_items(base, cfg)
    log.info("%d images from the %s source", len(items), cfg.source)

    with atomic_outputs(args.out, args.metrics, args.samples) as (out, metrics, samples):
        with dataset.ImageWriter(out, len(items), base.clean_size) as writer:
            loaded = load_into(
                items, writer, base.clean_size, stage.workers(),
                mask_fov=cfg.mask_outside_fov, on_error=cfg.on_error, duplicates=cfg.duplicates,
            )  # fmt: skip
        manifest = build_manifest(loaded.items, loaded.digests, cfg.test_fraction, base.seed)
        dataset.write_manifest(out, manifest)
        counts = summary(manifest, loaded, listed)
        write_json(metrics, counts)
        images = dataset.open_images(out)
        rows = {
            plane: [images[i] for i in manifest.index[manifest["plane"] == plane][:SAMPLES_PER_PLANE]]
            for plane in cfg.planes
        }
        image_grid(rows, samples)
    log.info("wrote %s: %s", args.out, {key: counts[key] for key in ("split", "duplicates", "left_out")})


if __name__ == "__main__":
    stage.run(main)
