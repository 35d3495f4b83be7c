#!/usr/bin/env bash
# Builds rnnscope and runs every test (CTest): core, command line, NumPy interoperability, window.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
export QT_QPA_PLATFORM=offscreen
ctest --test-dir build --output-on-failure -j"$(nproc)"
