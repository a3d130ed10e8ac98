"""The `usqc` command line: quick looks by hand at what the pipeline makes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

from usqc import __version__, phantom, stage


def _phantom(args: argparse.Namespace) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    for i in range(args.start, args.start + args.n):
        path = args.out / f"{args.plane}_{i:05d}.png"
        Image.fromarray(phantom.generate(args.plane, i, args.seed)).save(path)
        print(path)


def _plots(args: argparse.Namespace) -> None:
    from usqc.offline_plots import render  # vl-convert loads only for this command

    for path in render(args.repo, args.out, png=not args.no_png):
        print(path)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="usqc", description="Find corrupted fetal ultrasound images.")
    top.add_argument("--version", action="version", version=f"usqc {__version__}")
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("phantom", help="write synthetic B-mode images of one plane as PNG files")
    p.add_argument("out", type=Path, help="folder to write into (created if missing)")
    p.add_argument("--plane", choices=phantom.PLANES, required=True)
    p.add_argument("-n", type=int, default=8, help="how many images (default 8)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=int, default=0, help="first image index")
    p.set_defaults(run=_phantom)
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


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    stage.run(lambda: args.run(args))


if __name__ == "__main__":
    main(sys.argv[1:])
