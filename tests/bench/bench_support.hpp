#pragma once
/// \file bench_support.hpp
/// Timing, machine-load, STREAM and reference-script support of kernel_bench.cpp.

#include "kernels/views.hpp"

#include <omp.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace prospector::bench {

namespace k = prospector::kernels;

/// Command-line options of kernel_bench.
struct Options {
  std::int64_t n = 4096;
  std::vector<int> threads = {1, 2};
  int reps = 5;
  int fft_reps = 3;
  int ref_reps = 3;
  int ref_fft_reps = 2;
  std::int64_t stream_mib = 256; // per array; three arrays
  std::string python = "/usr/bin/python3";
  std::string reference_script; // empty: no reference timings
  std::string only;             // comma-separated kernel-name prefixes
  double quiet_wait = 0.0;      // seconds to wait, before each row, for other processes to leave the CPUs
  bool explain = false;
};

// key -> threads -> seconds
using RefTable = std::map<std::string, std::map<int, double>>;

struct Row {
  std::string kernel;
  std::string ref_key;      // reference_bench.py key, empty when none
  bool issue_ref = false;   // reference named by issue 3 (uniform_filter, numpy Mahalanobis, numpy.fft)
  bool streaming = false;   // issue 3's 50%-of-STREAM target applies
  std::string window_group; // rows whose time must vary < 1.5x across radii
  double algo_bytes = 0.0;  // per grid cell
  double min_bytes = 0.0;   // per grid cell
  int reps = 5;
  std::function<void()> fn;
  std::string bytes_note;
};

struct Result {
  const Row* row = nullptr;
  int threads = 1;
  double seconds = 0.0;
  double others = 0.0; // share of the machine's CPU time used by other processes while the row was timed
};

/// Touches freshly allocated memory once, in parallel, so no timed loop pays for page faults.
template <class T> void touch(std::vector<T>& v, T value) {
  T* p = v.data();
  const std::int64_t n = static_cast<std::int64_t>(v.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i)
    p[i] = value;
}

/// Seconds on the steady clock.
double now();

/// CPU time (seconds) the whole machine spent busy, from /proc/stat (all CPUs: user, nice, system, irq,
/// softirq, steal), and CPU time of this process (user + system).
double machine_busy();

/// CPU time (seconds) of this process, user + system.
double self_busy();

/// Waits until the machine has been nearly idle (other processes below 10% of the CPUs) for half a second, or
/// max_s seconds have passed. Returns whether it found the machine quiet.
bool wait_quiet(double max_s);

/// Times fn at every thread count: one untimed warm-up call per count (sizes and touches scratch), then
/// `reps` rounds that each time one call per thread count, keeping the best per count. Interleaving the
/// counts gives each the same chance of a quiet moment on a machine that other jobs share. `others` receives
/// the share of the machine's CPU time (all CPUs) that other processes used while this ran, 0 on a quiet
/// machine.
std::map<int, double> time_threads(const std::vector<int>& threads, int reps, const std::function<void()>& fn,
                                   double& others);

/// Exits with a message when a kernel call failed.
void check(const k::Status& s, const char* what);

/// Deterministic pseudo-random value in [0, 1) from an index (splitmix64), so the fields are the same for any
/// thread count.
double hash01(std::uint64_t i);

/// A smooth field plus noise: `offset` + amplitude * (a few long waves) + noise * (uniform noise).
void fill_field(std::vector<float>& g, std::int64_t n, std::uint64_t seed, double offset, double amplitude,
                double noise);

/// GB/s per thread count, STREAM convention: 24 B per element (read b and c, write a; no write-allocate).
std::map<int, double> stream_triad(std::int64_t n_elems, const std::vector<int>& threads, int reps,
                                   double& others);

/// Whether --only selects the kernel `name` (a prefix match; all when empty).
bool wanted(const Options& o, const std::string& name);

/// Only the Mahalanobis reference uses threads (BLAS matmul); uniform_filter, numpy.fft and numpy's ufuncs
/// are single-threaded, so at the other thread counts only it is run again and the rest reuse the first
/// timing.
void run_references(const Options& o, std::int64_t nxp, std::int64_t nyp, RefTable& refs);

/// printf-formats one number.
std::string fmt(const char* f, double v);

} // namespace prospector::bench
