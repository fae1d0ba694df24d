#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, then configures, builds and runs
# examples/run_in_code against it with find_package(tokencast), as another project would.
# Usage: installed_example_test.sh BUILD_DIR SOURCE_DIR [SANITIZE=ON|OFF]
set -euo pipefail
build=$1 source=$2 sanitize=${3:-OFF}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
flags=()
if [[ $sanitize == ON ]]; then
  # The installed libraries were built with the sanitizers: the program must link their runtimes.
  flags=(-DCMAKE_CXX_FLAGS="-fsanitize=address,undefined" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined")
fi
cmake -S "$source/examples/run_in_code" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release "${flags[@]}" > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
"$work/build/run_in_code" | tee "$work/output.txt"
grep -q "^refused as TOML would be: <run_in_code>: error: workload\[0\].traffic.burstiness: " "$work/output.txt"
grep -q "^5000 trials, " "$work/output.txt"
grep -q "^per-trial: dedicated is cheaper in " "$work/output.txt"
grep -q "^    dedicated " "$work/output.txt"
# The installed headers hold no internals and no JSON library.
! grep -rl "nlohmann\|namespace detail" "$work/prefix/include/tokencast"
