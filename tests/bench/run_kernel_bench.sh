#!/usr/bin/env bash
# Kernel benchmark of issue 3: builds kernel_bench (Release, PROSPECTOR_BUILD_BENCHMARKS=ON, in its own build
# folder) and runs it with the numpy/scipy references of reference_bench.py timed in the same run. Prints one
# table: kernel, threads, time, cells/s, bytes/cell, GB/s, % of STREAM triad, reference time, speed-up; then
# the issue's targets, met or not. Not part of CI (needs ~4 GB of memory and a few minutes).
#
#   tests/bench/run_kernel_bench.sh [BUILD_DIR] [-- extra kernel_bench options, e.g. --only window --size 2048]
#
# Environment: PYTHON (default /usr/bin/python3, which must have numpy and scipy), JOBS (ninja -j, default 1),
# QUIET_WAIT (seconds to wait before each kernel for other processes to leave the CPUs, default 120: on a
# shared machine the 2-thread figures mean nothing while another job holds a CPU; the "others" column says).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:-/tmp/prospector-bench-build}"
[[ $# -gt 0 ]] && shift
[[ "${1:-}" == "--" ]] && shift
python="${PYTHON:-/usr/bin/python3}"

"$python" -c 'import numpy, scipy' || { echo "run_kernel_bench: $python lacks numpy/scipy" >&2; exit 1; }
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPROSPECTOR_BUILD_BENCHMARKS=ON \
  -DPROSPECTOR_BUILD_TESTS=OFF >/dev/null
ninja -C "$build" -j "${JOBS:-1}" kernel_bench >/dev/null

echo "host: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/tests/bench/kernel_bench" --reference-script "$here/reference_bench.py" --python "$python" --explain \
  --quiet-wait "${QUIET_WAIT:-120}" "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
