#!/usr/bin/env bash
# Runs the scenario loader fuzzer for SECONDS (default 60), seeded from the shipped scenarios and
# the bad-scenario catalogue copied into a fresh temporary corpus (no corpus is kept in the repo).
# Usage: tests/fuzzing/run.sh BUILD_DIR [SECONDS]   (BUILD_DIR configured with TOKENCAST_FUZZ=ON)
# A finding is left in BUILD_DIR/fuzz-artifacts/ (crash-*, leak-*, timeout-*, oom-*); reproduce
# it with BUILD_DIR/tests/fuzzing/scenario_loader_fuzzer FILE.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:?usage: run.sh BUILD_DIR [SECONDS]}" && pwd)"
seconds="${2:-60}"
fuzzer="$build/tests/fuzzing/scenario_loader_fuzzer"

corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
cp "$root"/scenarios/*.toml "$root"/tests/bad_scenarios/*.toml "$corpus"/
mkdir -p "$build/fuzz-artifacts"

ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
  "$fuzzer" "$corpus" -dict="$root/tests/fuzzing/toml.dict" -max_total_time="$seconds" \
  -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/"
