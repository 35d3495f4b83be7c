#!/usr/bin/env bash
# Builds rnnscope with AddressSanitizer + UndefinedBehaviorSanitizer into ./build-asan
# (RelWithDebInfo, RNNSCOPE_SANITIZE=ON) and runs every test there, offscreen. A finding — a
# memory error, a leak, undefined behaviour — fails its test. The sanitizers' options and the
# leak suppressions (tests/lsan.supp: third-party libraries only) are compiled into every
# executable of that build (tests/sanitizer_defaults.cpp), so `ctest --test-dir build-asan` by
# hand behaves the same. Extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRNNSCOPE_SANITIZE=ON "$@"
cmake --build build-asan -j"$(nproc)"
export QT_QPA_PLATFORM=offscreen
ctest --test-dir build-asan --output-on-failure -j"$(nproc)"
