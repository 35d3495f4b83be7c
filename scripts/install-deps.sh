#!/usr/bin/env bash
# Installs the Debian packages rnnscope needs to build, test and take screenshots — and what CI's
# extra steps need: the sanitizer build (gcc's ASan/UBSan runtimes come with g++), the fuzzers
# (clang, libFuzzer), the package (cpack's dpkg-shlibdeps and file, the validators) — when missing.
# Uses sudo when not root. Safe to run again: it does nothing when everything is there.
set -euo pipefail

packages=(
  g++ make cmake pkg-config ccache libopenblas-dev
  qt6-base-dev libqt6opengl6-dev qt6-charts-dev qt6-svg-dev libeigen3-dev
  libhdf5-dev libzip-dev nlohmann-json3-dev libgif-dev
  fontconfig fonts-dejavu-core xvfb xauth xdotool libx11-6
  python3-numpy python3-h5py python3-torch python3-threadpoolctl
  clang libclang-rt-14-dev
  dpkg-dev file desktop-file-utils appstream
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
