"""The `usqc` command line: clean an image folder with a trained model, and quick looks by hand."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

from usqc import __version__, phantom, stage, streams
from usqc.errors import UsqcError

EXIT_UNREADABLE = 1  # clean: the run finished but some files could not be read or moved
WORKSPACE = "workspace"  # diff: the metrics files on disk, as `dvc metrics diff` names them

CLEAN_EPILOG = """\
decisions: keep (P(corrupted) < --threshold), flag (>= --threshold), out_of_domain (domain_score > 1:
unlike the model's training images; reported, never copied or moved), error (unreadable).

exit status: 0 every file was read (flagged and out_of_domain files are not an error); 1 some files
could not be read, copied or moved (see the report's error column); 2 nothing was done (bad
folder, model or option).

example:
  usqc clean scans/ --out report.csv --move quarantine/ --recursive   # the baseline: models/baseline.pkl
"""


def _phantom(args: argparse.Namespace) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    for i in range(args.start, args.start + args.n):
        path = args.out / f"{args.plane}_{i:05d}.png"
        Image.fromarray(phantom.generate(args.plane, i, args.seed)).save(path)
        print(path)


def _corrupt(args: argparse.Namespace) -> None:
    from usqc import corruptions as C
    from usqc.clean import clean_view
    from usqc.corrupted_sets import originals_at
    from usqc.similarity import ssim

    clean = clean_view(args.image, args.clean_size)
    rng = streams.generator(args.seed, "cli_corrupt")
    corrupted = C.to_uint8(C.REGISTRY[args.kind].apply(C.to_float(clean), args.intensity, rng, args.size))
    original = originals_at(clean[None], args.size)[0]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(corrupted).save(args.output)
    score = ssim(C.to_float(original), C.to_float(corrupted))
    print(f"{args.output}: {args.kind} at {args.intensity} ({C.REGISTRY[args.kind].unit}), SSIM {score:.4f}")


def _clean(args: argparse.Namespace) -> None:
    from usqc import clean, inference
    from usqc.outputs import atomic_outputs

    if not 0 < args.threshold <= 1:
        raise UsqcError(f"--threshold must be in (0, 1], got {args.threshold}")
    if args.batch_size < 1 or args.clean_size < 32 or (args.readers or 0) < 0:
        raise UsqcError("--batch-size must be >= 1, --clean-size >= 32 and --readers >= 0")
    dest = args.copy or args.move
    if dest is not None and dest.resolve() == args.src.resolve():
        raise UsqcError(f"{dest}: the quarantine cannot be the source folder; give another folder")
    paths = _images_of(args, exclude=dest)
    model = inference.load(args.model, args.batch_size)
    _say_if_unguarded(model, args.model)
    table = clean.classify(
        paths, args.src, model.predict, args.clean_size, model.image_size, args.batch_size, args.mask_outside_fov,
        clean.READERS if args.readers is None else args.readers,
    )  # fmt: skip
    table["decision"] = clean.decide(table, args.threshold)
    sheet = clean.sheet_images(table, args.src, args.clean_size, args.mask_outside_fov) if args.sheet else None
    if sheet is not None and not sheet[0]:
        print(f"{args.sheet}: not written, no file was flagged or out_of_domain")
        sheet = None
    table["action"], table["error"] = clean.quarantine(table, args.src, dest, args.move is not None, args.dry_run)
    with atomic_outputs(args.out, *([args.sheet] if sheet else [])) as (out, *sheet_path):
        table[clean.COLUMNS].round(4).to_csv(out, index=False)
        if sheet:
            from usqc.figures import image_grid

            image_grid(sheet[0], sheet_path[0], titles=sheet[1])
    print(clean.summary(table).to_string())
    outside = int((table["decision"] == "out_of_domain").sum())
    if outside:
        print(
            f"{outside} file(s) out_of_domain: unlike anything the model was trained on, so neither kept nor flagged "
            "with confidence, never copied or moved. If they are scans, train the classifiers on your own clean "
            "images: dvc exp run -S unlabelled.source=folder -S unlabelled.folder.path=/path/to/scans (README: "
            "'Train on your own database')"
        )
    print(f"report: {args.out}" + (" (dry run: no file copied or moved)" if args.dry_run and dest else ""))
    if (table["error"] != "").any():
        sys.exit(EXIT_UNREADABLE)


def _images_of(args: argparse.Namespace, exclude: Path | None = None) -> list[Path]:
    """The files of args.src that clean and evaluate take (--pattern, --recursive); none is an error."""
    from usqc.clean import DEFAULT_PATTERNS, find_images

    patterns = args.pattern or DEFAULT_PATTERNS
    paths = find_images(args.src, patterns, args.recursive, exclude=exclude)
    if not paths:
        raise UsqcError(f"{args.src}: no files match {' '.join(patterns)}; check --pattern or add --recursive")
    return paths


def _say_if_unguarded(model, path: Path) -> None:
    if not model.guarded:
        print(f"{path} has no domain guard: every file is classified as a scan (no domain_score, no out_of_domain)")


def _add_image_options(p: argparse.ArgumentParser) -> None:
    """The options clean and evaluate share: the model, which files, and how they are read."""
    p.add_argument(
        "--model", type=Path, default=Path("models/baseline.pkl"),
        help="the classical baseline's .pkl (no Keras: it starts in about a second; the best measured on real "
        "scans, README: Which model) or a .keras corruption classifier; default: %(default)s",
    )  # fmt: skip
    p.add_argument("-r", "--recursive", action="store_true", help="descend into sub-folders")
    p.add_argument(
        "--pattern", action="append", metavar="GLOB", help="file names to take, repeatable (default: image suffixes)"
    )
    p.add_argument("--batch-size", type=int, default=64, help="default: 64")
    p.add_argument("--mask-outside-fov", action="store_true", help="as ingest.mask_outside_fov: blank text outside")


def _evaluate(args: argparse.Namespace) -> None:
    from usqc import params

    p = params.load(args.params, "base", "ssim_eval", "real_eval")
    base, grid, real = p["base"], p["ssim_eval"], p["real_eval"]
    copies = real.copies if args.copies is None else args.copies
    if copies < 1 or args.batch_size < 1:
        raise UsqcError("--copies and --batch-size must be >= 1")
    from usqc import evaluate_folder as ef
    from usqc import inference
    from usqc.corrupted_sets import originals_at
    from usqc.label_rule import full_range
    from usqc.outputs import atomic_outputs, write_json
    from usqc.real_eval import levels_from_threshold
    from usqc.ssim_eval import curve

    thresholds, full_levels = full_range(args.sweep_metrics, args.sweep_plots, grid)
    levels = levels_from_threshold(full_levels, thresholds, copies)
    paths = _images_of(args)
    clean, groups, unreadable = ef.read_scans(
        paths, args.src, args.group_by, args.group_pattern, base.clean_size, args.mask_outside_fov
    )
    model = inference.load(args.model, args.batch_size)
    _say_if_unguarded(model, args.model)
    table = ef.scored_table(clean, originals_at(clean, model.image_size), levels, thresholds, model.predict, base.seed)
    metrics = {
        "scans": len(clean),
        "subjects": len(set(groups)),
        "unreadable": len(unreadable),
        "corrupted_copies": int((table["corruption"] != ef.NONE).sum()),
        "thresholds": thresholds,
        **ef.folder_metrics(table, groups, real.bootstrap, base.seed),
    }
    outputs = [p for p in (args.json, args.curves) if p is not None]
    with atomic_outputs(*outputs) as written:
        temporary = dict(zip(outputs, written, strict=True))
        if args.json is not None:
            write_json(temporary[args.json], metrics)
        if args.curves is not None:
            temporary[args.curves].mkdir()
            for corruption in levels:  # as real_eval's plots/real_eval/hc18_<model>_<corruption>.csv
                table_c = curve(table, ef.PREDICTED, corruption)
                table_c.round(6).to_csv(temporary[args.curves] / f"{corruption}.csv", index=False)
    described = ", ".join(f"{name} {value:.4g}" for name, value in thresholds.items() if value is not None)
    print(
        f"{metrics['scans']} scans of {metrics['subjects']} subjects, {metrics['corrupted_copies']} corrupted copies "
        f"from the thresholds up ({described}), model {args.model}"
    )
    print("\n".join(ef.summary_lines(metrics)))
    for relative in unreadable:
        print(f"unreadable, not counted: {relative}", file=sys.stderr)
    if unreadable:
        sys.exit(EXIT_UNREADABLE)


def _seed_noise(path: Path) -> dict:
    import json

    try:
        return json.loads(path.read_text())["metrics"]
    except (OSError, ValueError, KeyError) as exc:
        raise UsqcError(f"cannot read seed noise from {path} ({exc}); run scripts/seeds.sh N to measure it") from None


def _reader(ref: str):
    from usqc import seed_noise

    return seed_noise.workspace_reader if ref == WORKSPACE else seed_noise.git_reader(ref)


def _headline(ref: str) -> dict[str, float]:
    from usqc import seed_noise

    values = seed_noise.headline(_reader(ref))
    if not values:
        raise UsqcError(f"no metrics at {ref}; is it a commit or experiment of this repository?")
    return values


def _diff(args: argparse.Namespace) -> None:
    from usqc import seed_noise

    noise = _seed_noise(args.noise)
    runs = [_headline(ref) for ref in (args.before, args.after)]
    print(seed_noise.differences_markdown(seed_noise.differences(*runs, noise)), end="")


def _targets(args: argparse.Namespace) -> None:
    from usqc import targets

    run = {**_headline(args.ref), **targets.realism_values(_reader(args.ref))}
    table = targets.markdown(targets.check(run, _seed_noise(args.noise)))
    if args.readme is None:
        print(table, end="")
        return
    try:
        text = args.readme.read_text()
    except OSError as exc:
        raise UsqcError(f"cannot read {args.readme} ({exc.strerror}); give the README's path") from None
    try:
        text = targets.replace_block(text, table)
    except ValueError as exc:
        raise UsqcError(f"{args.readme}: {exc}; add the two marker lines where the table belongs") from None
    args.readme.write_text(text)
    print(f"{args.readme}: targets table rewritten")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="usqc",
        description="Find corrupted fetal ultrasound images (scale-up, blur, noise) with a trained classifier.",
    )
    top.add_argument("--version", action="version", version=f"usqc {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "clean",
        help="classify every image of a folder; report, and copy or move the corrupted ones aside",
        description="Classify every image of SRC as original / scale_up / blur / noise and write a CSV report "
        "(path, predicted, one calibrated probability per class, domain_score, decision, action, error). A file "
        "is flagged when 1 - P(original) >= --threshold, and out_of_domain when its domain_score exceeds 1. "
        "Originals are never modified; they leave SRC only with --move.",
        epilog=CLEAN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("src", type=Path, help="folder of images")
    _add_image_options(p)
    p.add_argument("--out", type=Path, default=Path("clean_report.csv"), help="CSV report (default: %(default)s)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--copy", type=Path, metavar="DIR", help="copy flagged files to DIR, keeping relative paths")
    where.add_argument("--move", type=Path, metavar="DIR", help="move flagged files to DIR, keeping relative paths")
    p.add_argument("--threshold", type=float, default=0.5, help="flag at P(corrupted) >= this (default: 0.5)")
    p.add_argument(
        "--readers", type=int, default=None, metavar="N",
        help="threads reading the next batch of files while the model classifies this one; 0 reads in turn "
        "(default: the cores, at most 4)",
    )  # fmt: skip
    p.add_argument("--clean-size", type=int, default=224, help="base.clean_size the model was trained with (224)")
    p.add_argument(
        "--sheet", type=Path, metavar="PNG",
        help="also draw the flagged files (the surest 8 per predicted class) and the out_of_domain ones, "
        "captioned by report row, for a look before moving anything",
    )  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="report what would be copied or moved; touch no image")
    p.set_defaults(run=_clean)

    p = sub.add_parser(
        "evaluate",
        help="how a model does on a folder of your own clean scans and their corrupted copies",
        description="Score a model on SRC's scans, taken as uncorrupted, and on seeded corrupted copies of each at "
        "ssim_eval's intensities from each threshold up (as real_eval scores the shipped real-eval heads): false "
        "alarms, detection, 4-class accuracy, per-class recall and the out-of-domain share, with 95 %% intervals, "
        "then what `usqc clean --threshold T` would flag at several T. Thresholds and intensities come from "
        "this repository's threshold_sweep results and params.yaml; run it in the repository that trained the model.",
        epilog="exit status: 0 every file was read; 1 some files could not be read (named on stderr, not counted); "
        "2 nothing was done (bad folder, model, option or missing sweep results).",
    )
    p.add_argument("src", type=Path, help="folder of clean scans (no corrupted ones)")
    _add_image_options(p)
    p.add_argument(
        "--group-by", choices=("file", "subfolder", "pattern"), default="file",
        help="one patient = each file (default), its first sub-folder, or --group-pattern's match: the intervals "
        "resample whole patients",
    )  # fmt: skip
    p.add_argument(
        "--group-pattern", default=r"^(\d+)_", help="regex on the file name; its first group names the patient"
    )
    p.add_argument("--copies", type=int, help="seeded copies per scan and intensity (default: real_eval.copies)")
    p.add_argument("--json", type=Path, metavar="PATH", help="also write the metrics as JSON (counts and shares only)")
    p.add_argument(
        "--curves", type=Path, metavar="DIR",
        help="also write, per corruption, accuracy and detection against intensity (real_eval's curve columns)",
    )  # fmt: skip
    p.add_argument("--params", type=Path, default=Path("params.yaml"), help="default: %(default)s")
    p.add_argument(
        "--sweep-metrics", type=Path, default=Path("metrics/threshold_sweep.json"), help="default: %(default)s"
    )
    p.add_argument("--sweep-plots", type=Path, default=Path("plots/threshold_sweep"), help="default: %(default)s")
    p.set_defaults(run=_evaluate)

    p = sub.add_parser(
        "corrupt",
        help="apply one corruption to one image, as the pipeline does, and print its SSIM",
        description="Read IMAGE as ingest does, corrupt it as the corrupt stage does, write a PNG.",
    )
    p.add_argument("image", type=Path)
    p.add_argument("--kind", choices=("scale_up", "blur", "noise"), required=True)
    p.add_argument(
        "--intensity", type=float, required=True, help="scale_up: area lost (0-1); blur: radius px; noise: sigma"
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="PNG to write")
    p.add_argument("--size", type=int, default=174, help="output side, the model size (default: 174)")
    p.add_argument("--clean-size", type=int, default=224, help="default: 224")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=_corrupt)

    p = sub.add_parser("phantom", help="write synthetic B-mode images of one plane as PNG files")
    p.add_argument("out", type=Path, help="folder to write into (created if missing)")
    p.add_argument("--plane", choices=phantom.PLANES, required=True)
    p.add_argument("-n", type=int, default=8, help="how many images (default 8)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=int, default=0, help="first image index")
    p.set_defaults(run=_phantom)

    p = sub.add_parser(
        "diff",
        help="the headline metrics of two commits or experiments, each difference against the seed noise",
        description="A `dvc metrics diff` of the headline metrics (results/seed_noise.md's rows) that marks "
        "each difference beyond the band two runs differing only in base.seed stay within (95 %).",
    )
    p.add_argument("before", nargs="?", default="HEAD", help="a commit or experiment ref (default: HEAD)")
    p.add_argument("after", nargs="?", default=WORKSPACE, help="another, or the workspace (default)")
    p.add_argument("--noise", type=Path, default=Path("results/seed_noise.json"), help="default: %(default)s")
    p.set_defaults(run=_diff)

    p = sub.add_parser(
        "targets",
        help="the open issues' acceptance targets: met or not by a run, and at how many seed runs",
        description="Each acceptance target of the open issues against a run's headline metrics and "
        "results/realism.json, with how many of the seed runs (--noise) met it.",
    )
    p.add_argument("ref", nargs="?", default=WORKSPACE, help="a commit or experiment ref (default: the workspace)")
    p.add_argument("--noise", type=Path, default=Path("results/seed_noise.json"), help="default: %(default)s")
    p.add_argument("--readme", type=Path, help="rewrite the table between the markers of this file instead")
    p.set_defaults(run=_targets)

    p = sub.add_parser(
        "plots",
        help="render `dvc plots show` with no network: inlined vega, and a PNG of every plot",
        description="Write OUT/index.html (vega bundled in the page, no CDN) and OUT/png/*.png.",
    )
    p.add_argument("-o", "--out", type=Path, default=Path("dvc_plots_offline"), help="default: dvc_plots_offline")
    p.add_argument("--repo", type=Path, default=Path("."), help="DVC repository (default: here)")
    p.add_argument("--no-png", action="store_true", help="only the HTML page")
    p.set_defaults(run=_plots)
    return top


def _plots(args: argparse.Namespace) -> None:
    from usqc.offline_plots import render  # vl-convert loads only for this command

    for path in render(args.repo, args.out, png=not args.no_png):
        print(path)


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    stage.run(lambda: args.run(args))


if __name__ == "__main__":
    main(sys.argv[1:])
