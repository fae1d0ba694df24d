#!/usr/bin/env bash
# Measures how long each long-running command takes to exit after Ctrl-C (SIGINT), at several
# moments of its run: the trials, the summaries of millions of trials, the break-even grid, the
# pool simulation, one long --exact trial. Prints one line per signal and the largest latency.
# Usage: scripts/measure-interrupt-latency.sh BUILD_DIR        (docs/performance.md, "Interrupts")
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tokencast="$(cd "${1:?usage: measure-interrupt-latency.sh BUILD_DIR}" && pwd)/tokencast"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat >"$work/simulate.toml" <<'EOF'
[scenario]
name = "interrupt latency: a large peak hour to simulate"
trials = 16
[[model]]
id = "test/model"
input_usd_per_mtok = 1.0
output_usd_per_mtok = 2.0
[[workload]]
name = "chat"
model = "test/model"
requests_per_month = 2e10
input_tokens = 1000
output_tokens = 200
[[dedicated]]
name = "ded"
model = "test/model"
usd_per_gpu_hour = 5
prefill_tokens_per_s = 1e6
decode_tokens_per_s = 1e6
replicas = 20
max_concurrency = 64
slo = { ttft_p95_s = 30 }
EOF
sed -e 's/requests_per_month = 2e10/requests_per_month = 2e9/' -e 's/trials = 16/trials = 1/' \
    -e '/^\[\[dedicated\]\]/,$d' "$work/simulate.toml" >"$work/exact.toml"

worst=0
measure() {  # NAME DELAYS COMMAND...
  local name=$1 delays=$2
  shift 2
  for delay in $delays; do
    "$@" >/dev/null 2>"$work/stderr" &
    local pid=$!
    sleep "$delay"
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" || true
      echo "$name, signal at ${delay} s: finished before it"
      continue
    fi
    local start end rc=0
    start=$(date +%s%N)
    kill -INT "$pid"
    wait "$pid" || rc=$?
    end=$(date +%s%N)
    local ms=$(((end - start) / 1000000))
    echo "$name, signal at ${delay} s: exit $rc after $ms ms"
    if [ "$ms" -gt "$worst" ]; then worst=$ms; fi
  done
}

measure "run, 10,000,000 trials (trials, then summaries)" "1 2 3 4 5 6" \
  "$tokencast" run "$root/scenarios/article-example.toml" --trials 10000000 --format json
measure "run, 12 months of hourly capacity" "1 3" \
  "$tokencast" run "$root/scenarios/multi-tenant-12-month.toml" --trials 200000 --format json
measure "breakeven, resimulated grid" "2 5 8" \
  "$tokencast" breakeven "$root/scenarios/quickstart.toml" --trials 20000 --grid-draws resimulate
measure "capacity --simulate" "1 3 5" "$tokencast" capacity "$work/simulate.toml" --simulate --replications 12
measure "run --exact, one trial of 2e9 requests" "1 2" "$tokencast" run "$work/exact.toml" --exact
echo "largest: $worst ms"
