#include "bench_support.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace prospector::bench {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time (seconds) the whole machine spent busy, from /proc/stat (all CPUs: user, nice, system, irq,
// softirq, steal), and CPU time of this process (user + system).
double machine_busy() {
  FILE* f = std::fopen("/proc/stat", "r");
  if (!f) return 0.0;
  unsigned long long v[8] = {};
  const int got = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                              &v[4], &v[5], &v[6], &v[7]);
  std::fclose(f);
  if (got < 8) return 0.0;
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  return static_cast<double>(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
}

double self_busy() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Waits until the machine has been nearly idle (other processes below 10% of the CPUs) for half a second, or
// max_s seconds have passed. Returns whether it found the machine quiet.
bool wait_quiet(double max_s) {
  const double start = now();
  const double cpus = std::max(1, omp_get_num_procs());
  while (true) {
    const double m0 = machine_busy(), t0 = now();
    usleep(500000);
    if ((machine_busy() - m0) / ((now() - t0) * cpus) < 0.10) return true;
    if (now() - start >= max_s) return false;
  }
}

// Times fn at every thread count: one untimed warm-up call per count (sizes and touches scratch), then `reps`
// rounds that each time one call per thread count, keeping the best per count. Interleaving the counts gives
// each the same chance of a quiet moment on a machine that other jobs share. `others` receives the share of
// the machine's CPU time (all CPUs) that other processes used while this ran, 0 on a quiet machine.
std::map<int, double> time_threads(const std::vector<int>& threads, int reps, const std::function<void()>& fn,
                                   double& others) {
  std::map<int, double> best;
  for (int t : threads) {
    omp_set_num_threads(t);
    fn();
    best[t] = 1e300;
  }
  const double m0 = machine_busy(), s0 = self_busy(), w0 = now();
  for (int r = 0; r < reps; ++r)
    for (int t : threads) {
      omp_set_num_threads(t);
      const double t0 = now();
      fn();
      best[t] = std::min(best[t], now() - t0);
    }
  const double wall = (now() - w0) * std::max(1, omp_get_num_procs());
  others = wall > 0.0 ? std::max(0.0, ((machine_busy() - m0) - (self_busy() - s0)) / wall) : 0.0;
  return best;
}

void check(const k::Status& s, const char* what) {
  if (!s.ok) {
    std::fprintf(stderr, "kernel_bench: %s failed: %s\n", what, s.message.c_str());
    std::exit(1);
  }
}

// Deterministic pseudo-random value in [0, 1) from an index (splitmix64), so the fields are the same for any
// thread count.
double hash01(std::uint64_t i) {
  std::uint64_t z = i + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
}

// A smooth field plus noise: `offset` + amplitude * (a few long waves) + noise * (uniform noise).
void fill_field(std::vector<float>& g, std::int64_t n, std::uint64_t seed, double offset, double amplitude,
                double noise) {
  float* p = g.data();
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < n; ++r)
    for (std::int64_t c = 0; c < n; ++c) {
      const double u = static_cast<double>(c) / static_cast<double>(n), v = static_cast<double>(r) / n;
      const double s = std::sin(6.1 * u + 0.3 * seed) * std::cos(4.3 * v) + 0.5 * std::sin(17.0 * (u + v)) +
                       0.25 * std::cos(41.0 * u - 29.0 * v + seed);
      const double e = hash01(seed * 0x100000000ull + static_cast<std::uint64_t>(r * n + c)) - 0.5;
      p[r * n + c] = static_cast<float>(offset + amplitude * s + noise * e);
    }
}

// ---------------------------------------------------------------------------------------------------------
// STREAM triad

// GB/s per thread count, STREAM convention: 24 B per element (read b and c, write a; no write-allocate).
std::map<int, double> stream_triad(std::int64_t n_elems, const std::vector<int>& threads, int reps,
                                   double& others) {
  std::vector<double> a(static_cast<std::size_t>(n_elems)), b(a.size()), c(a.size());
  touch(a, 0.0);
  touch(b, 1.0);
  touch(c, 2.0);
  double* pa = a.data();
  const double* pb = b.data();
  const double* pc = c.data();
  const double s = 3.0;
  std::map<int, double> gbs = time_threads(
      threads, reps,
      [&] {
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < n_elems; ++i)
          pa[i] = pb[i] + s * pc[i];
      },
      others);
  if (pa[n_elems / 3] != 7.0) std::fprintf(stderr, "kernel_bench: STREAM triad check failed\n");
  for (auto& kv : gbs)
    kv.second = 3.0 * 8.0 * static_cast<double>(n_elems) / kv.second / 1e9;
  return gbs;
}

bool wanted(const Options& o, const std::string& name) {
  if (o.only.empty()) return true;
  std::stringstream ss(o.only);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty() && name.compare(0, item.size(), item) == 0) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------------------
// Reference timings from reference_bench.py

// Only the Mahalanobis reference uses threads (BLAS matmul); uniform_filter, numpy.fft and numpy's ufuncs are
// single-threaded, so at the other thread counts only it is run again and the rest reuse the first timing.
void run_references(const Options& o, std::int64_t nxp, std::int64_t nyp, RefTable& refs) {
  bool first = true;
  for (int t : o.threads) {
    std::string only = o.only;
    if (!first) {
      if (!o.only.empty() && !wanted(o, "anomaly.rx")) continue;
      only = "anomaly.rx";
    }
    std::ostringstream cmd;
    cmd << "OMP_NUM_THREADS=" << t << " OPENBLAS_NUM_THREADS=" << t << " MKL_NUM_THREADS=" << t << " '"
        << o.python << "' '" << o.reference_script << "' --size " << o.n << " --threads " << t << " --reps "
        << o.ref_reps << " --fft-reps " << o.ref_fft_reps << " --padded " << nxp << " " << nyp;
    if (!only.empty()) cmd << " --only '" << only << "'";
    if (o.quiet_wait > 0.0) wait_quiet(o.quiet_wait);
    std::fprintf(stderr, "kernel_bench: reference timings at %d thread(s): %s\n", t, cmd.str().c_str());
    FILE* p = popen(cmd.str().c_str(), "r");
    if (!p) {
      std::fprintf(stderr, "kernel_bench: cannot start the reference script\n");
      continue;
    }
    char line[512];
    while (std::fgets(line, sizeof line, p)) {
      char key[256];
      int th = 0;
      double sec = 0.0;
      if (std::sscanf(line, "REF %255s %d %lf", key, &th, &sec) == 3) refs[key][th] = sec;
    }
    const int rc = pclose(p);
    if (rc != 0) std::fprintf(stderr, "kernel_bench: reference script exited with status %d\n", rc);
    if (first)
      for (auto& kv : refs)
        for (int other : o.threads)
          kv.second.emplace(other, kv.second.at(t));
    first = false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Kernel rows

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

} // namespace prospector::bench
