#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS.
#   tests/fuzz/run_fuzzers.sh SECONDS [BUILD_DIR] [TARGET...]
# BUILD_DIR defaults to build-fuzz in the repository root (or $FUZZ_BUILD_DIR). Committed seeds in
# tests/fuzz/corpus/<target>/ are only read; new corpus entries go to BUILD_DIR/fuzz-work/<target>/corpus and
# crash reproducers to BUILD_DIR/fuzz-work/<target>/. Exits non-zero if any target finds a crash, leak,
# timeout or sanitizer report (or fails to build).
set -u
if [[ $# -lt 1 || ! "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS [BUILD_DIR] [TARGET...]" >&2
  exit 2
fi
seconds=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-${FUZZ_BUILD_DIR:-$root/build-fuzz}}
shift $(( $# >= 2 ? 2 : 1 ))
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(fuzz_job_parser fuzz_geochem_csv fuzz_geosoft_grd)

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DPROSPECTOR_BUILD_FUZZERS=ON -DPROSPECTOR_BUILD_TESTS=OFF >/dev/null || exit 1
cmake --build "$build" --target "${targets[@]}" -- -j"${FUZZ_JOBS:-1}" || exit 1

status=0
for t in "${targets[@]}"; do
  work=$build/fuzz-work/$t
  mkdir -p "$work/corpus"
  echo "== $t: ${seconds}s"
  start=$(date +%s)
  # -rss_limit_mb: a declared size must never make a reader allocate gigabytes; -timeout: no hangs.
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -max_len=16384 \
    -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$root/tests/fuzz/corpus/$t" \
    >"$work/log.txt" 2>&1
  rc=$?
  end=$(date +%s)
  grep -E "^stat::number_of_executed_runs|^#[0-9]+.*DONE" "$work/log.txt" | tail -2
  if [[ $rc -ne 0 ]]; then
    echo "!! $t: finding after $((end - start))s (exit $rc); see $work/log.txt and $work/crash-* / leak-* / timeout-*"
    grep -E "ERROR:|runtime error|SUMMARY|terminate called|what\(\)" "$work/log.txt" | head -5
    status=1
  else
    echo "ok $t: no finding in $((end - start))s"
  fi
done
exit $status
