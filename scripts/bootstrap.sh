#!/usr/bin/env bash
# Installs the Debian 12 packages tokencast builds with, when they are missing.
# Usage: scripts/bootstrap.sh [--with-browser] [--with-fuzzing]
set -euo pipefail

packages=(g++ cmake make pkg-config libtbb-dev libboost-dev libboost-math-dev libtomlplusplus-dev catch2
          libbenchmark-dev libcli11-dev nlohmann-json3-dev libfmt-dev zlib1g-dev libzstd-dev libopenmpi-dev openmpi-bin)
for arg in "$@"; do
  case "$arg" in
    --with-browser) packages+=(chromium python3) ;;
    --with-fuzzing) packages+=(clang libclang-rt-14-dev) ;;
    --with-python) packages+=(python3 python3-numpy) ;;
    *) echo "bootstrap: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "bootstrap: installing ${missing[*]}" >&2
$sudo apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
