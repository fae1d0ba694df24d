#!/usr/bin/env bash
# Regenerates the golden results tests/golden/NAME.json, one per shipped scenario
# scenarios/NAME.toml, from the tokencast binary of BUILD_DIR (built first).
#
# Usage: scripts/refresh-golden.sh BUILD_DIR
#
# When: only when a change is MEANT to alter simulation results (a new model of costs, a fixed
# bug in sampling, a changed default). Then run this, read `git diff tests/golden` to check that
# only the numbers you expected moved, and commit the new references together with the change,
# saying in the commit message why the results changed. Never refresh to make tests/test_golden
# pass after a change that should not have moved any number: that failure is the finding.
#
# Each reference is `tokencast run scenarios/NAME.toml --trials 500 --seed 1 --format json`
# (run from the repository root, so scenario.file reads "scenarios/NAME.toml") with run.elapsed_s
# and run.threads removed; tests/test_golden.cpp uses the same settings (keep them in step).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:?usage: scripts/refresh-golden.sh BUILD_DIR}"
build="$(cd "$build" && pwd)"
trials=500
seed=1

cmake --build "$build" --target tokencast --parallel 2
cd "$root"
rm -f tests/golden/*.json
for scenario in scenarios/*.toml; do
  name="$(basename "$scenario" .toml)"
  "$build/tokencast" run "$scenario" --trials "$trials" --seed "$seed" --format json --threads 1 |
    python3 -c '
import json, sys
result = json.load(sys.stdin)
del result["run"]["elapsed_s"]
del result["run"]["threads"]
del result["run"]["phases_s"]
json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
print()
' > "tests/golden/$name.json"
  echo "refresh-golden: tests/golden/$name.json"
done
