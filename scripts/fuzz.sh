#!/usr/bin/env bash
# Builds the fuzz targets of fuzz/ with clang, libFuzzer, ASan and UBSan into ./build-fuzz and runs
# each for a fixed time. Exit status 1 if any target found a crash, a leak, undefined behaviour, a
# timeout or a broken invariant.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  per target (default 30); TARGET: npy npz csv keras_archive keras_config session
#            (default all: the list in fuzz/FuzzTargets.cmake)
#
# Each target starts from its seeds in fuzz/corpus/<target>/ (kept small, in git) and grows its
# working corpus in build-fuzz/corpus/<target>/ (kept between runs, not in git). A finding is
# written to build-fuzz/artifacts/<target>/crash-… (or leak-, timeout-, oom-); to make it a
# regression test, fix the bug, then copy the file into fuzz/corpus/<target>/ (the ctest test
# fuzz_corpus_<target> replays that folder in every build) and add a named check to the unit test
# of the loader. Reproduce one input: build-fuzz/fuzz/fuzz_<target> FILE
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
seconds="${1:-30}"
shift || true
if [ $# -gt 0 ]; then
  targets=("$@")
else
  read -r -a targets <<<"$(sed -n 's/^set(RNNSCOPE_FUZZ_TARGETS \(.*\))$/\1/p' fuzz/FuzzTargets.cmake)"
fi

# -O1 -g without -DNDEBUG: assertions (Eigen's index checks among them) stay on while fuzzing.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DRNNSCOPE_FUZZ=ON -DRNNSCOPE_GUI=OFF -DRNNSCOPE_TESTS=OFF
cmake --build build-fuzz --target fuzzers -j"$(nproc)"

# Leaks inside third-party libraries (HDF5's H5LTopen_file_image) are suppressed as in the tests.
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
passed=0
failed=()
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/artifacts/$t"
  dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=("-dict=fuzz/dict/$t.dict")
  echo "fuzz.sh: fuzz_$t for $seconds s"
  # -timeout: one input may take 10 s at most; -rss_limit_mb/-malloc_limit_mb: no input may make a
  # loader take more than 2 GiB. The first corpus folder receives new inputs, the second is read only.
  if build-fuzz/fuzz/"fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t/" "${dict[@]}" \
      "build-fuzz/corpus/$t" "fuzz/corpus/$t" >"build-fuzz/fuzz_$t.log" 2>&1; then
    passed=$((passed + 1))
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+ +DONE" "build-fuzz/fuzz_$t.log" | tr '\n' ' ' | sed 's/^/  /'
    echo
  else
    failed+=("$t")
    echo "fuzz.sh: fuzz_$t FOUND A PROBLEM (log: build-fuzz/fuzz_$t.log):" >&2
    grep -E "ERROR|SUMMARY|invariant|Test unit written|Base64" "build-fuzz/fuzz_$t.log" | head -20 >&2 || true
  fi
done
echo "fuzz: ${passed} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
