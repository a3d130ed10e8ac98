#!/usr/bin/env bash
# Render `dvc plots show` with vega inlined (usqc plots) and screenshot it in headless Chromium
# with no network at all (a fresh network namespace). Needs Debian's chromium and unshare (root).
# Usage: scripts/check_offline_plots.sh [screenshot.png]
set -euo pipefail
cd "$(dirname "$0")/.."
shot="$(realpath -m "${1:-dvc_plots_offline/screenshot.png}")"
usqc plots -o dvc_plots_offline --no-png
profile="$(mktemp -d)"
unshare -n chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
  --window-size=1400,2400 --virtual-time-budget=10000 --screenshot="$shot" \
  "file://$PWD/dvc_plots_offline/index.html" 2>/dev/null
rm -rf "$profile"
echo "$shot"
