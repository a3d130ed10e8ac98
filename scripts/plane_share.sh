#!/usr/bin/env bash
# Issue 13's plane-classifier check over seeds: for each SEED, `ingest` and `threshold_sweep` rerun with
# base.seed=SEED on the workspace's code and params, outputs in a temporary folder (the repository and
# DVC's cache are not touched), then `bench_realism.py --plane-share-only` on that seed's plane classifier. Prints,
# per seed, the clean accuracy, the thresholds and the share of the HC18 real-eval heads called each
# plane; then the mean BPD share. About 3.5 minutes a seed on 2 cores (AMD EPYC Zen 5), 6.6 on a Zen 4.
#
# Usage: scripts/plane_share.sh SEED [SEED ...]     e.g.  scripts/plane_share.sh 2020 2021 2022
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: scripts/plane_share.sh SEED [SEED ...]: give at least one seed" >&2; exit 2; }
for seed in "$@"; do
  [[ $seed =~ ^[0-9]+$ ]] || { echo "plane_share.sh: a seed must be a non-negative integer, got '$seed'" >&2; exit 2; }
done
export PYTHONPATH=.  # the workspace's usqc, whatever is installed
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() {  # a step's output goes to the seed's log; on failure its last lines, and stop
  "$@" >> "$out/log" 2>&1 || { tail -5 "$out/log" >&2; exit 1; }
}
for seed in "$@"; do
  out="$work/$seed"
  mkdir -p "$out"
  run python -c "import sys, yaml; p = yaml.safe_load(open('params.yaml')); p['base']['seed'] = int(sys.argv[1]); \
yaml.safe_dump(p, open(sys.argv[2], 'w'), sort_keys=False)" "$seed" "$out/params.yaml"
  run python stages/ingest.py --params "$out/params.yaml" --out "$out/clean" --metrics "$out/ingest.json" \
    --samples "$out/samples.png"
  run python stages/threshold_sweep.py --params "$out/params.yaml" --clean "$out/clean" --model "$out/plane.keras" \
    --metrics "$out/threshold_sweep.json" --plots "$out/plots"
  run python benchmarks/bench_realism.py --plane-share-only --model "$out/plane.keras" --json "$out/realism.json"
done
python - "$work" "$@" <<'EOF'
import json, sys
from pathlib import Path

work, seeds = Path(sys.argv[1]), sys.argv[2:]
bpd = []
for seed in seeds:
    sweep = json.loads((work / seed / "threshold_sweep.json").read_text())
    shares = json.loads((work / seed / "realism.json").read_text())["plane_classifier_on_real_eval"]
    thresholds = ", ".join(f"{k} {v['floor']:.3g}" for k, v in sweep["thresholds"].items())
    calls = ", ".join(f"{k} {v:.2f}" for k, v in shares.items())
    print(f"seed {seed}: clean accuracy {sweep['clean_accuracy']:.3f}; thresholds {thresholds}; real-eval heads called {calls}")
    bpd.append(shares["BPD"])
print(f"BPD share, {len(bpd)} seed(s): mean {sum(bpd) / len(bpd):.2f}, range {min(bpd):.2f}-{max(bpd):.2f}")
EOF
