#!/usr/bin/env bash
# End-to-end benchmark of issue 4: an N x N x 8-layer synthetic survey (default 8192), `prospector run` with
# 1024 x 1024 tiles on 2 threads under /usr/bin/time -v (peak RSS, wall time), next to the I/O floor measured
# in the same script: reading the 8 inputs with GDAL and writing the same number of float32 N x N grids, with
# the same HDF5 layout and the pipeline's own data, as prospectivity.nc holds. Not part of CI.
#
#   tests/bench/run_pipeline_bench.sh [--size N] [--dir DIR] [--threads T] [--tile-size S] [--radius R]
#                                     [--build BUILD_DIR] [--keep]
#
# Everything goes under DIR (default /tmp/prospector-pipeline-bench-N), which is deleted at the end unless
# --keep; the run log and the RSS samples are kept as DIR.log and DIR.rss.txt. Needs about
# 12 x (N^2 x 4 B x 8 layers) of free disk there (~25 GiB at 8192): the survey, the run's work folder
# (per-tile layers and sorted runs), the output and the floor's copy of it. Extra environment for the run
# (e.g. GDAL_CACHEMAX=64) is passed through to prospector.
# Environment: PYTHON (default /usr/bin/python3: numpy, h5py, osgeo), JOBS (ninja -j, default 1).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
size=8192 threads=2 tile=1024 radius=10 keep=0 dir="" build=/tmp/prospector-bench-build
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --tile-size) tile="$2"; shift 2 ;;
    --radius) radius="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "run_pipeline_bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
dir="${dir:-/tmp/prospector-pipeline-bench-$size}"
python="${PYTHON:-/usr/bin/python3}"
"$python" -c 'import numpy, h5py; from osgeo import gdal' || { echo "run_pipeline_bench: $python lacks numpy/h5py/osgeo" >&2; exit 1; }

need_gib=$(( size * size * 4 * 8 * 12 / 1024 / 1024 / 1024 + 1 ))
mkdir -p "$dir"
log_copy="${dir%/}.log"
# The run log (per-stage times, /usr/bin/time -v figures) outlives the folder.
trap 'cp -f "$dir/rss.txt" "${dir%/}.rss.txt" 2>/dev/null || true; cp -f "$dir/run.log" "$log_copy" 2>/dev/null || true; [[ $keep == 1 ]] || rm -rf "$dir"' EXIT
echo "== disk (need ~${need_gib} GiB)"
df -h "$dir"
avail_gib=$(df -P -BG "$dir" | awk 'NR==2 {sub("G","",$4); print $4}')
if (( avail_gib < need_gib )); then echo "run_pipeline_bench: only ${avail_gib} GiB free under $dir" >&2; exit 1; fi

echo "== build (Release, $build)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPROSPECTOR_BUILD_BENCHMARKS=ON \
  -DPROSPECTOR_BUILD_TESTS=OFF >/dev/null
ninja -C "$build" -j "${JOBS:-1}" prospector >/dev/null
bin="$build/prospector"

echo "== survey ${size} x ${size} x 8 layers"
t0=$(date +%s.%N)
"$python" "$here/make_survey.py" "$dir/survey" --size "$size" --tile-size "$tile" --radius "$radius" >/dev/null
echo "generated in $(echo "$(date +%s.%N) - $t0" | bc) s: $(du -sh "$dir/survey" | cut -f1)"
job="$dir/survey/job.json"
"$bin" validate "$job" | tee "$dir/validate.txt" | grep -iE 'tile|memory|disk|grid' || true

echo "== I/O floor: read the inputs with GDAL"
read_line=$("$python" "$here/io_floor.py" read "$dir"/survey/*.tif 2>/dev/null)
echo "$read_line"

echo "== prospector run --threads $threads (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
stat0=$(head -1 /proc/stat)
/usr/bin/time -v "$bin" run "$job" --threads "$threads" >"$dir/run.log" 2>&1 &
tpid=$!
# Resident memory of the prospector process (the child of time) twice a second, to attribute the peak to a stage.
(
  while kill -0 "$tpid" 2>/dev/null; do
    child=$(pgrep -P "$tpid" | head -1 || true)
    if [[ -n "$child" ]]; then
      rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$child/status" 2>/dev/null || true)
      [[ -n "$rss" ]] && echo "$(date +%s.%N) $rss" >>"$dir/rss.txt"
    fi
    sleep 0.5
  done
) &
spid=$!
rc=0
wait "$tpid" || rc=$?
wait "$spid" || true
stat1=$(head -1 /proc/stat)
if (( rc != 0 )); then tail -30 "$dir/run.log"; exit 1; fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
out="$dir/survey/out"
grids=$(h5ls "$out/prospectivity.nc" | grep -c "{$size, $size}" || true)
echo "prospectivity.nc: $grids grids of ${size} x ${size}, $(du -h "$out/prospectivity.nc" | cut -f1); work folder $(du -sh "$out/work" | cut -f1)"

echo "== I/O floor: write $grids grids to HDF5 (same layout and data)"
write_line=$("$python" "$here/io_floor.py" write "$out/prospectivity.nc" "$dir/floor.h5" 2>/dev/null)
echo "$write_line"

wall=$(grep 'Elapsed (wall clock)' "$dir/run.log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
rss_kb=$(grep 'Maximum resident set size' "$dir/run.log" | awk '{print $NF}')
user=$(grep 'User time' "$dir/run.log" | awk '{print $NF}')
sys=$(grep 'System time' "$dir/run.log" | awk '{print $NF}')
fsin=$(grep 'File system inputs' "$dir/run.log" | awk '{print $NF}')
fsout=$(grep 'File system outputs' "$dir/run.log" | awk '{print $NF}')
read_s=$(echo "$read_line" | awk '{print $3}')
write_s=$(echo "$write_line" | awk '{print $3}')

echo
echo "== per-stage times (from the run log) and peak resident memory sampled during each stage"
"$python" - "$dir/run.log" "$dir/rss.txt" <<'EOF'
import re, sys, time
samples = []
try:
    for line in open(sys.argv[2]):
        t, kb = line.split()
        samples.append((float(t), int(kb)))
except OSError:
    pass
stages, total = [], None
for line in open(sys.argv[1]):
    m = re.match(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \[info\] stage (\w+): (.*) in ([\d.]+) s", line)
    if m:
        end = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")) + 1.0  # log stamps are truncated
        stages.append((m.group(2), m.group(3), float(m.group(4)), end))
    m = re.search(r"run finished in ([\d.]+) s", line)
    if m:
        total = float(m.group(1))
print("  %-10s %9s %6s %12s  %s" % ("stage", "seconds", "share", "peak RSS", "units"))
for name, units, sec, end in stages:
    peak = max((kb for t, kb in samples if end - sec - 1.0 <= t <= end), default=0)
    share = "%5.1f%%" % (100 * sec / total) if total else "-"
    print("  %-10s %9.2f %6s %8.0f MiB  %s" % (name, sec, share, peak / 1024, units))
if total:
    print("  %-10s %9.2f" % ("total", total))
EOF
echo
"$python" - "$size" "$threads" "$tile" "$wall" "$rss_kb" "$user" "$sys" "$read_s" "$write_s" "$grids" "$fsin" "$fsout" \
  "$stat0" "$stat1" "$(getconf CLK_TCK)" "$(nproc)" <<'EOF'
import sys
size, threads, tile = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
wall, rss_kb, user, sys_t, rd, wr = (float(v) for v in sys.argv[4:10])
grids, fsin, fsout = int(sys.argv[10]), int(sys.argv[11]), int(sys.argv[12])
floor = rd + wr
rss_gib = rss_kb / 1024 / 1024
print("End-to-end benchmark: %d x %d x 8 layers, tile %d, %d thread(s)" % (size, size, tile, threads))
print("%-44s %10s" % ("figure", "value"))
print("%-44s %10.1f s" % ("prospector run wall time", wall))
print("%-44s %10.1f s" % ("  user + system CPU", user + sys_t))
print("%-44s %10.2f GiB  (target < 2 GiB: %s)" % ("peak RSS (/usr/bin/time -v)", rss_gib, "MET" if rss_gib < 2 else "NOT MET"))
print("%-44s %10.1f s" % ("I/O floor: read 8 inputs with GDAL", rd))
print("%-44s %10.1f s" % ("I/O floor: write %d grids to HDF5 (deflate 4)" % grids, wr))
print("%-44s %10.1f s" % ("I/O floor total", floor))
print("%-44s %10.2fx (target <= 3x: %s)" % ("end-to-end / floor", wall / floor, "MET" if wall <= 3 * floor else "NOT MET"))
print("%-44s %10.1f / %.1f GiB" % ("block I/O in / out (time -v, 512 B units)", fsin * 512 / 2**30, fsout * 512 / 2**30))
# Share of all CPUs that other processes used during the run (user, nice, system, irq, softirq, steal).
busy = lambda line: sum(int(v) for i, v in enumerate(line.split()[1:9]) if i in (0, 1, 2, 5, 6, 7))
hz, ncpu = float(sys.argv[15]), int(sys.argv[16])
others = ((busy(sys.argv[14]) - busy(sys.argv[13])) / hz - (user + sys_t)) / (wall * ncpu)
print("%-44s %10.0f%%  (of %d CPUs)" % ("other processes during the run", max(0.0, 100 * others), ncpu))
EOF
