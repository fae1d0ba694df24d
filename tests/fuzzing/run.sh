#!/usr/bin/env bash
# Runs the scenario loader fuzzer for SECONDS (default 60), seeded from the shipped scenarios and
# the bad-scenario catalogue copied into a fresh temporary corpus (no corpus is kept in the repo),
# then the request-log fuzzer (the log reader and `fit`) as long, seeded with a few lines of each
# log format.
# Usage: tests/fuzzing/run.sh BUILD_DIR [SECONDS]   (BUILD_DIR configured with TOKENCAST_FUZZ=ON)
# A finding is left in BUILD_DIR/fuzz-artifacts/ (crash-*, leak-*, timeout-*, oom-*); reproduce
# it with BUILD_DIR/tests/fuzzing/scenario_loader_fuzzer FILE.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:?usage: run.sh BUILD_DIR [SECONDS]}" && pwd)"
seconds="${2:-60}"
fuzzer="$build/tests/fuzzing/scenario_loader_fuzzer"

corpus="$(mktemp -d)"
log_corpus="$(mktemp -d)"
trap 'rm -rf "$corpus" "$log_corpus"' EXIT
cp "$root"/scenarios/*.toml "$root"/tests/bad_scenarios/*.toml "$corpus"/
mkdir -p "$build/fuzz-artifacts"

ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
  "$fuzzer" "$corpus" -dict="$root/tests/fuzzing/toml.dict" -max_total_time="$seconds" \
  -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/"

printf 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n' \
  >"$log_corpus/azure.csv"
printf '{"timestamp": 0, "input_length": 10, "output_length": 3}\n{"timestamp": 1500, "input_length": 12, "output_length": 4}\n' \
  >"$log_corpus/mooncake.jsonl"
printf '%s\n%s\n' \
  '{"created": 1700000000, "model": "m", "usage": {"prompt_tokens": 10, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 2}}}' \
  '{"created": 1700000003, "model": "m", "usage": {"prompt_tokens": 14, "completion_tokens": 2}}' >"$log_corpus/openai.jsonl"
printf '%s\n%s\n' \
  '{"startTime": "2026-03-02T08:00:00.5Z", "model": "m", "prompt_tokens": 3, "completion_tokens": 4, "request_tags": ["team:a"]}' \
  '{"startTime": "2026-03-02T10:00:07+02:00", "model": "m", "prompt_tokens": 5, "completion_tokens": 1, "metadata": {"team": "b"}}' \
  >"$log_corpus/litellm.jsonl"
printf 'request_id,startTime,model,prompt_tokens,completion_tokens,spend,team\nr1,2026-03-02T08:00:00Z,m,3,4,0.1,a\nr2,2026-03-02T08:00:09Z,m,7,2,0.1,b\n' \
  >"$log_corpus/litellm.csv"
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
  "$build/tests/fuzzing/request_log_fuzzer" "$log_corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/"
