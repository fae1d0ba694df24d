#!/usr/bin/env bash
# Regenerates docs/screenshots/: each shipped scenario's HTML report (the break-even report for
# scenarios with a capacity option), rendered by headless Chromium.
# Usage: scripts/report-screenshots.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=docs/screenshots
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
for scenario in scenarios/*.toml; do
  name=$(basename "$scenario" .toml)
  if grep -qE '^\[\[(dedicated|gpu_cluster)\]\]' "$scenario"; then
    "$build/tokencast" breakeven "$scenario" --trials 500 --grid 16 --report "$tmp/$name.html" >/dev/null
  else
    "$build/tokencast" run "$scenario" --trials 1000 --report "$tmp/$name.html" >/dev/null
  fi
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$tmp/profile" --hide-scrollbars \
    --window-size=1280,4800 --screenshot="$out/$name.png" "file://$tmp/$name.html" 2>/dev/null
  echo "$out/$name.png"
done
