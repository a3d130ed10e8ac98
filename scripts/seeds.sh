#!/usr/bin/env bash
# Seed noise: the pipeline rerun with N more values of base.seed as DVC experiments, one at a time, each
# in its own temporary copy of the repository (about 20 minutes each on 2 cores with the reference
# profile), and mean ± sd of the headline metrics over those runs and the committed one (HEAD's own
# seed, when no -S is given). Writes results/seed_noise.json and results/seed_noise.md; prints the table;
# without -S, rewrites the README's targets table (*Where it stands*) with the new seed counts.
# An experiment seed-S already run on this commit is kept, so an interrupted run resumes; remove one
# with `dvc exp remove seed-S` to rerun it.
# (`dvc exp run --temp`, not `--queue` + `--run-all`: here the queue's Celery worker died after the
# first of three runs on a JSONDecodeError of kombu's filesystem broker; --temp runs the same isolated
# experiment in the foreground, with no broker.)
#
# Usage: scripts/seeds.sh N [-S key=value ...]
#   N    seeds to add: params.yaml's base.seed + 1 ... + N
#   -S   overrides for every run (then HEAD's run, made without them, is left out of the summary)
# Long: run it in the background, e.g.  nohup scripts/seeds.sh 3 > seeds.log 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: scripts/seeds.sh N [-S key=value ...]: N, the number of seeds, is missing" >&2; exit 2; }
n=$1
shift
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "seeds.sh: N must be a positive integer, got '$n'" >&2; exit 2; }
overrides=("$@")
# An experiment runs in a copy of the repository: its stages must import that copy's usqc, not the
# editable install's (the workspace's, which may change while the runs go on).
export PYTHONPATH=.

seed0=$(python -c "import yaml; print(yaml.safe_load(open('params.yaml'))['base']['seed'])")
base=$(git rev-parse HEAD)
runs=()
if [[ ${#overrides[@]} -eq 0 ]]; then
  runs+=("$seed0=HEAD")
fi
for i in $(seq 1 "$n"); do
  seed=$((seed0 + i))
  ref="refs/exps/${base:0:2}/${base:2}/seed-$seed"
  if git rev-parse -q --verify "$ref" >/dev/null; then
    echo "seed $seed: kept experiment seed-$seed, already run on this commit"
  else
    dvc exp run --temp -n "seed-$seed" -S "base.seed=$seed" "${overrides[@]}"
  fi
  runs+=("$seed=$ref")
done
mkdir -p results
python -m usqc.seed_noise "${runs[@]}" --json results/seed_noise.json --markdown results/seed_noise.md
if [[ ${#overrides[@]} -eq 0 ]]; then
  # the profile's own seeds: README's "Where it stands" counts them
  python -m usqc.cli targets --readme README.md
fi
