"""Seed noise: the headline metrics of pipeline runs that differ only in `base.seed`, as mean ± sd.

`scripts/seeds.sh` runs the experiments; this module reads each run's committed metrics files
(through a `read(path) -> dict` the caller supplies, e.g. `git show REF:PATH`) and summarises them.
Two single runs that differ only in their seeds differ by noise alone with a sd of sqrt(2) sd; a
`dvc metrics diff` of two commits is within noise below 2.8 sd (95 %, for normal noise):
`differences` marks the headline differences beyond that band (`usqc diff`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable

import numpy as np

MODELS = ("vgg16", "xception", "baseline")
CNNS = ("vgg16", "xception")  # the two models the issues' acceptance targets name
DIFF_NOISE = 1.96 * 2**0.5  # 95 % band of the difference of two runs, in units of one run's sd

# (name, metrics file, dotted key); a key a run lacks (e.g. no real scans) is left out of its row.
HEADLINE: tuple[tuple[str, str, str], ...] = (
    ("plane classifier clean accuracy", "metrics/threshold_sweep.json", "clean_accuracy"),
    *(
        (f"threshold {c}", "metrics/threshold_sweep.json", f"thresholds.{c}.floor")
        for c in ("scale_up", "blur", "noise")
    ),
    *((f"{m} test accuracy", f"metrics/train_{m}.json", "test.accuracy") for m in MODELS),
    *((f"{m} full-range accuracy", "metrics/ssim_eval.json", f"{m}.accuracy") for m in MODELS),
    *((f"{m} off-threshold accuracy", "metrics/ssim_eval.json", f"{m}.accuracy_off_threshold") for m in MODELS),
    *((f"{m} HC18 false alarms", "metrics/real_eval.json", f"hc18.{m}.false_alarms.value") for m in MODELS),
    *((f"{m} HC18 detection", "metrics/real_eval.json", f"hc18.{m}.detection.value") for m in MODELS),
    *((f"{m} HC18 4-class accuracy", "metrics/real_eval.json", f"hc18.{m}.accuracy.value") for m in MODELS),
    *((f"{m} pydicom false alarms", "metrics/real_eval.json", f"dicom.{m}.false_alarms.value") for m in MODELS),
    *(  # the domain guard's rejections (runs made before the baseline had one lack its rows)
        (f"{m} guard: {what} rejected", "metrics/real_eval.json", key)
        for m in MODELS
        for what, key in (
            ("non-ultrasound", f"guard.{m}.non_ultrasound.value"),
            ("phantom test", f"guard.{m}.phantom_test.value"),
            ("HC18", f"hc18.{m}.out_of_domain.value"),
        )
    ),
)


def lookup(data: dict, dotted: str) -> float | None:
    """data["a"]["b"] for "a.b"; None where a key is missing or the value is not a number."""
    for key in dotted.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return float(data) if isinstance(data, int | float) and not isinstance(data, bool) else None


def headline(read: Callable[[str], dict]) -> dict[str, float]:
    """One run's headline metrics; `read` returns a metrics file's JSON ({} when it is missing)."""
    files: dict[str, dict] = {}
    values = {}
    for name, path, key in HEADLINE:
        if path not in files:
            files[path] = read(path)
        value = lookup(files[path], key)
        if value is not None:
            values[name] = value
    return values


def summary(runs: dict[int, dict[str, float]]) -> dict[str, dict]:
    """Per headline metric over the runs (keyed by seed): mean, sd (n - 1), min, max, n, the values."""
    out = {}
    for name, _, _ in HEADLINE:
        seeds = [seed for seed, values in runs.items() if name in values]
        if not seeds:
            continue
        x = np.array([runs[seed][name] for seed in seeds])
        out[name] = {
            "mean": round(float(x.mean()), 4),
            "sd": round(float(x.std(ddof=1)), 4) if len(x) > 1 else None,
            "min": round(float(x.min()), 4),
            "max": round(float(x.max()), 4),
            "n": len(x),
            "values": {str(seed): round(runs[seed][name], 4) for seed in seeds},
        }
    return out


def runs_of(table: dict[str, dict]) -> dict[int, dict[str, float]]:
    """A summary's per-seed values back as runs (the inverse of `summary` on what it kept)."""
    runs: dict[int, dict[str, float]] = {}
    for name, row in table.items():
        for seed, value in row["values"].items():
            runs.setdefault(int(seed), {})[name] = value
    return runs


def add_values(runs: dict[int, dict[str, float]], seed: int, values: dict[str, float]) -> list[str]:
    """Adds a rerun's values that `runs[seed]` lacks; refuses (adds nothing, returns their names) when
    a value it has differs at the summary's 4 decimals: then the rerun is not the same run."""
    known = runs.setdefault(seed, {})
    differ = sorted(name for name in known.keys() & values.keys() if round(values[name], 4) != round(known[name], 4))
    if not differ:
        for name, value in values.items():
            known.setdefault(name, round(value, 4))
    return differ


def markdown(table: dict[str, dict]) -> str:
    """The summary as a Markdown table: metric | mean ± sd | min–max | diff noise | one column per seed."""
    seeds = sorted({seed for row in table.values() for seed in row["values"]}, key=int)
    lines = [
        "| metric | mean ± sd | min – max | a diff is noise below | " + " | ".join(f"seed {s}" for s in seeds) + " |",
        "|---|---|---|---|" + "---|" * len(seeds),
    ]
    for name, row in table.items():
        sd, band = ("–", "–") if row["sd"] is None else (f"{row['sd']:.3f}", f"{DIFF_NOISE * row['sd']:.3f}")
        cells = [f"{row['values'][s]:.3f}" if s in row["values"] else "" for s in seeds]
        lines.append(
            f"| {name} | {row['mean']:.3f} ± {sd} | {row['min']:.3f} – {row['max']:.3f} | {band} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines) + "\n"


def differences(before: dict[str, float], after: dict[str, float], noise: dict[str, dict]) -> list[dict]:
    """Per headline metric in both runs: the two values, their difference, the band under which it is
    noise (from a `summary` of seed runs; None where the seeds gave no spread or lack the metric) and
    whether the difference is beyond it."""
    rows = []
    for name, _, _ in HEADLINE:
        if name not in before or name not in after:
            continue
        spread = noise.get(name, {})
        band = DIFF_NOISE * spread["sd"] if spread.get("sd") else None  # 3 equal seeds: spread unknown, not 0
        difference = after[name] - before[name]
        rows.append({"metric": name, "before": before[name], "after": after[name], "difference": difference,
                     "noise_band": band, "beyond": band is not None and abs(difference) > band,
                     "seeds": (spread["min"], spread["max"]) if spread else None})  # fmt: skip
    return rows


def differences_markdown(rows: list[dict]) -> str:
    lines = [
        "| metric | before | after | difference | a diff is noise below | seeds min – max |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        band = "–" if row["noise_band"] is None else f"{row['noise_band']:.3f}"
        seeds = "–" if row["seeds"] is None else f"{row['seeds'][0]:.3f} – {row['seeds'][1]:.3f}"
        flag = " **beyond**" if row["beyond"] else ""
        lines.append(
            f"| {row['metric']} | {row['before']:.3f} | {row['after']:.3f} | {row['difference']:+.3f}{flag} | "
            f"{band} | {seeds} |"
        )
    return "\n".join(lines) + "\n"


def compare_profiles(before: dict[str, dict], after: dict[str, dict], alpha: float = 0.05) -> list[dict]:
    """Two profiles, each measured over several seeds (`summary` tables): per headline metric in both,
    the means, their difference and Welch's two-sided p-value; `beyond` where p < alpha. None where
    a side has one seed or neither side varied: the spread is unknown, not 0. With ~28 metrics at
    alpha 0.05, one or two are expected beyond by chance alone."""
    from scipy.stats import ttest_ind_from_stats  # scikit-learn's dependency; only this function needs it

    rows = []
    for name, _, _ in HEADLINE:
        if name not in before or name not in after:
            continue
        a, b = before[name], after[name]
        known = a["sd"] is not None and b["sd"] is not None and (a["sd"] > 0 or b["sd"] > 0)
        p = (
            float(ttest_ind_from_stats(a["mean"], a["sd"], a["n"], b["mean"], b["sd"], b["n"], equal_var=False).pvalue)
            if known
            else None
        )
        rows.append({"metric": name, "before": a, "after": b, "difference": b["mean"] - a["mean"],
                     "p": p, "beyond": p is not None and p < alpha})  # fmt: skip
    return rows


def compare_markdown(rows: list[dict]) -> str:
    def side(row: dict) -> str:
        sd = "–" if row["sd"] is None else f"{row['sd']:.3f}"
        return f"{row['mean']:.3f} ± {sd} ({row['n']})"

    lines = [
        "| metric | before: mean ± sd (seeds) | after: mean ± sd (seeds) | difference | Welch p |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        p = "–" if row["p"] is None else f"{row['p']:.2f}"
        flag = " **beyond**" if row["beyond"] else ""
        lines.append(
            f"| {row['metric']} | {side(row['before'])} | {side(row['after'])} | {row['difference']:+.3f}{flag} | {p} |"
        )
    return "\n".join(lines) + "\n"


def workspace_reader(path: str) -> dict:
    """Reads a metrics file of the workspace ({} when it is missing)."""
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def git_reader(ref: str) -> Callable[[str], dict]:
    """Reads a metrics file as committed at `ref` (a commit or an experiment's ref)."""

    def read(path: str) -> dict:
        shown = subprocess.run(["git", "show", f"{ref}:{path}"], capture_output=True, text=True)
        return json.loads(shown.stdout) if shown.returncode == 0 else {}

    return read


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Mean ± sd of the headline metrics of seed runs.")
    parser.add_argument("runs", nargs="*", metavar="SEED=REF", help="a seed and the git ref holding its metrics")
    parser.add_argument("--json", help="write the summary here")
    parser.add_argument("--markdown", help="write the Markdown table here")
    parser.add_argument(
        "--compare", nargs=2, metavar=("BEFORE.json", "AFTER.json"),
        help="instead: two profiles' summaries (--json outputs), each metric's mean difference and Welch p",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.compare:
        if args.runs or args.json:
            parser.error("--compare reads two summaries: give no SEED=REF runs and no --json with it")
        before, after = (_summary_file(path) for path in args.compare)
        text = compare_markdown(compare_profiles(before, after))
    else:
        if not args.runs:
            parser.error("give at least one SEED=REF run (or --compare BEFORE.json AFTER.json)")
        runs = {}
        for run in args.runs:
            seed, _, ref = run.partition("=")
            values = headline(git_reader(ref))
            if not values:
                sys.exit(f"seed_noise: no metrics at {ref} (seed {seed}); did its experiment run?")
            runs[int(seed)] = values
        table = summary(runs)
        text = markdown(table)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"seeds": sorted(runs), "metrics": table}, f, indent=2)
                f.write("\n")
    print(text, end="")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)


def _summary_file(path: str) -> dict[str, dict]:
    try:
        with open(path) as f:
            return json.load(f)["metrics"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        sys.exit(f"seed_noise: {path} is not a seed-noise summary ({error}); write one with --json")


if __name__ == "__main__":
    main()
