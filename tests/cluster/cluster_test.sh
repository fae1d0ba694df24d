#!/usr/bin/env bash
# Split runs against one process, through the real CLI: --shard I/N then merge (in any order),
# and mpirun -n 4 at 1 and 2 threads a rank, for run, breakeven, sensitivity and sweep; merge's
# refusals. Outputs are compared with cmp, the timing fields left out.
# Usage: cluster_test.sh TOKENCAST SOURCE_DIR [mpi]
set -euo pipefail
bin=$1
src=$2
mpi=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

# The fields that time the run (they differ between any two runs).
untimed() {
  sed -E '/"(elapsed_s|one_draw_s|runs_equivalent|threads)":/d; /"phases_s": \{/,/\}/d' "$1"
}
same_numbers() {
  cmp <(untimed "$1") <(untimed "$2") || fail "$3: $1 and $2 differ (timing fields left out)"
}

quick="$src/scenarios/quickstart.toml"
auto="$src/scenarios/chat-assistant-dedicated.toml"
months="$src/scenarios/multi-tenant-12-month.toml"

# The commands compared: name, then the command line.
declare -A jobs=(
  [run]="run $quick --trials 3000 --seed 11"
  [run_auto]="run $auto --trials 2000 --seed 5"
  [run_months]="run $months --trials 600 --seed 3 --group-by tenant"
  [breakeven]="breakeven $auto --trials 1000 --seed 2 --grid 8"
  [sensitivity]="sensitivity $quick --trials 400 --seed 4"
  [sweep]="sweep $quick --trials 300 --seed 6 --vary workload[0].requests_per_month=1e5,2e5,4e5,8e5 --vary workload[1].requests_per_month=1e6,3e6 --objective p95(total)"
  [sweep_replay]="sweep $auto --trials 500 --seed 8 --vary dedicated[0].replicas=2..7"
)

for name in "${!jobs[@]}"; do
  read -r -a cmd <<< "${jobs[$name]}"
  "$bin" "${cmd[@]}" --threads 2 --format json -o "$name.one.json"
  for i in 1 2 3; do
    "$bin" "${cmd[@]}" --threads 2 --format json --shard "$i/3" -o "$name.$i.part"
  done
  "$bin" merge "$name.1.part" "$name.2.part" "$name.3.part" -o "$name.merged.json"
  "$bin" merge "$name.3.part" "$name.1.part" "$name.2.part" -o "$name.reordered.json"
  cmp "$name.merged.json" "$name.reordered.json" || fail "$name: merging in another order changed the bytes"
  same_numbers "$name.one.json" "$name.merged.json" "$name: shards 1/3 2/3 3/3 merged"
  echo "ok: $name: --shard 1/3, 2/3, 3/3 then merge = one process; any order, same bytes"
done

# A sweep's CSV (no timing field in it): the same bytes.
read -r -a cmd <<< "${jobs[sweep]}"
"$bin" "${cmd[@]}" --threads 2 --format csv -o sweep.one.csv
"$bin" merge sweep.2.part sweep.3.part sweep.1.part --format csv -o sweep.merged.csv
cmp sweep.one.csv sweep.merged.csv || fail "sweep: the merged CSV differs from one process's"
echo "ok: sweep: merge --format csv = one process's CSV, byte for byte"

# The table and the report come from the merge too.
"$bin" merge run.2.part run.1.part run.3.part --format table --report run.html > run.table
grep -q "3,000 trials" run.table || fail "merge --format table"
grep -q "<html" run.html || fail "merge --report"

# Progress: on a terminal (script(1) gives the command a pseudo-terminal), a line with the count
# and an ETA on standard error; nothing when standard error is a file; never in the output. The
# job takes several seconds: the line, drawn after one, shows on a faster machine too.
long=(sweep "$auto" --trials 1200 --threads 1 --draws resimulate --vary "scenario.months=1..12" --format json)
if command -v script > /dev/null; then
  script -qec "$(printf '%q ' "$bin" "${long[@]}") -o tty.json" /dev/null > tty.txt
  grep -q "of 12 combinations" tty.txt && grep -q "left" tty.txt || fail "no progress line on a terminal: $(cat tty.txt)"
  echo "ok: progress on a terminal: $(tr '\r' '\n' < tty.txt | grep combinations | tail -1)"
fi
"$bin" "${long[@]}" -o notty.json 2> notty.err
[ ! -s notty.err ] || fail "progress written when standard error is not a terminal: $(cat notty.err)"
[ -z "$(command -v script)" ] || same_numbers tty.json notty.json "the output under a terminal"
echo "ok: no progress when standard error is a file, and none in the output"

# Refusals: exit 2, the part named, nothing written.
refused() {
  local what=$1 file=$2; shift 2
  set +e
  "$bin" merge "$@" -o refused.json 2> refused.err
  local code=$?
  set -e
  [ "$code" -eq 2 ] || fail "$what: exit $code, expected 2"
  grep -qF "$file" refused.err || fail "$what: the message does not name $file: $(cat refused.err)"
  [ ! -e refused.json ] || fail "$what: an output was written"
  echo "ok: merge refuses $what: $(head -c 200 refused.err)"
}
read -r -a cmd <<< "${jobs[run]/--seed 11/--seed 12}"
"$bin" "${cmd[@]}" --shard 2/3 -o seed12.2.part
read -r -a cmd <<< "${jobs[run]}"
refused "parts of different seeds" seed12.2.part run.1.part seed12.2.part run.3.part
"$bin" "${cmd[@]}" --set workload[0].requests_per_month=123456 --shard 2/3 -o other.2.part
refused "parts of different scenarios" other.2.part run.1.part other.2.part run.3.part
refused "a missing shard" "shard 2/3 is missing" run.1.part run.3.part
refused "a duplicated shard" "duplicated" run.1.part run.2.part run.2.part run.3.part
head -c 300 run.2.part > truncated.part
refused "a truncated part" truncated.part run.1.part truncated.part run.3.part
cp run.2.part corrupted.part
printf '\x5a' | dd of=corrupted.part bs=1 seek=120 conv=notrunc status=none
refused "a corrupted part" corrupted.part run.1.part corrupted.part run.3.part
refused "a file that is not a part" run.one.json run.1.part run.one.json run.3.part
read -r -a cmd <<< "${jobs[sweep]}"
refused "parts of different commands" run.2.part sweep.1.part run.2.part sweep.3.part

[ "$mpi" = mpi ] || { echo "MPI: not built with TOKENCAST_MPI; skipped"; exit 0; }
command -v mpirun > /dev/null || fail "mpirun not found (install openmpi-bin)"
# Open MPI refuses root unless told; CI containers run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
for name in run run_auto run_months breakeven sweep sweep_replay sensitivity; do
  read -r -a cmd <<< "${jobs[$name]}"
  for threads in 1 2; do
    mpirun -n 4 --oversubscribe "$bin" "${cmd[@]}" --threads "$threads" --format json -o "$name.mpi$threads.json"
    same_numbers "$name.one.json" "$name.mpi$threads.json" "$name: mpirun -n 4 at $threads thread(s) a rank"
    echo "ok: $name: mpirun -n 4 --oversubscribe, $threads thread(s) a rank = one process"
  done
done

# A failed rank: a clear message, a non-zero exit, no output.
read -r -a cmd <<< "${jobs[sweep]}"
set +e
TOKENCAST_FAIL_RANK=2 mpirun -n 4 --oversubscribe -x TOKENCAST_FAIL_RANK "$bin" "${cmd[@]}" --threads 1 --format json \
  -o failed.json > failed.out 2> failed.err
code=$?
set -e
[ "$code" -ne 0 ] || fail "a failed rank: exit 0"
grep -q "rank 2 failed" failed.err || fail "a failed rank: no message naming it: $(cat failed.err)"
[ ! -e failed.json ] || fail "a failed rank: an output was written"
echo "ok: a failed rank ends the job (exit $code), says so, writes nothing"

# Progress under mpirun: rank 0 draws on the terminal mpirun runs in.
if command -v script > /dev/null; then
  script -qec "mpirun -n 2 --oversubscribe $(printf '%q ' "$bin" "${long[@]}") -o mpitty.json" /dev/null > mpitty.txt
  grep -q "of 12 combinations" mpitty.txt || fail "no progress under mpirun on a terminal: $(cat mpitty.txt)"
  same_numbers notty.json mpitty.json "mpirun on a terminal"
  echo "ok: progress under mpirun on a terminal: $(tr '\r' '\n' < mpitty.txt | grep combinations | tail -1)"
fi

# An error every rank meets (a missing scenario) ends the job at once: rank 0's message, exit 2.
set +e
timeout 60 mpirun -n 3 --oversubscribe "$bin" run missing.toml -o missing.json > /dev/null 2> missing.err
code=$?
set -e
[ "$code" -eq 2 ] && grep -q "missing.toml" missing.err || fail "an error on every rank: exit $code: $(cat missing.err)"
[ ! -e missing.json ] || fail "an error on every rank: an output was written"
echo "ok: an error every rank meets ends the job with exit 2: $(grep missing.toml missing.err | head -1)"

# Commands that do not split are refused under several ranks.
set +e
mpirun -n 2 --oversubscribe "$bin" validate "$quick" > /dev/null 2> validate.err
code=$?
set -e
[ "$code" -ne 0 ] && grep -q "one process" validate.err || fail "validate under mpirun: exit $code"
echo "ok: validate under mpirun -n 2 is refused"
