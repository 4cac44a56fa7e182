// Kernel benchmark (issue 3): every kernel on an N x N float32 grid at each thread count, with cells/s, GB/s,
// the fraction of a STREAM-triad bandwidth measured in the same run, and the speed-up over a numpy/scipy
// reference timed in the same run (tests/bench/reference_bench.py, run through /usr/bin/python3).
//
// Not a test: run it through tests/bench/run_kernel_bench.sh (Release build). Every buffer, including the
// kernels' scratch, is allocated and touched before any timed call (first touch costs ~3 s/GiB on this kind
// of machine); each figure is the best of several calls after one untimed warm-up call, the thread counts
// interleaved call by call. On a machine shared with other jobs, the "others" column gives the share of the
// CPUs that other processes used while a kernel was timed (--quiet-wait waits for them first).
//
// Bytes are counted per grid cell from each kernel's algorithm, pass by pass, as the distinct array elements
// a pass reads plus those it writes (4 B per float, 8 per double or int64, 16 per __int128), without
// write-allocate traffic and assuming a row or block that a pass reuses stays in cache ("algo" column);
// "min" is the compulsory traffic of any implementation: inputs read once and outputs written once. The
// per-kernel counts are explained next to each row in main() below and printed with --explain.

#include "bench_support.hpp"
#include "kernels/anomaly/gi_star.hpp"
#include "kernels/anomaly/gi_star_exact.hpp"
#include "kernels/anomaly/rx.hpp"
#include "kernels/fuzzy/fuzzy.hpp"
#include "kernels/geochem/log_ratio.hpp"
#include "kernels/potential_field/plan.hpp"
#include "kernels/potential_field/transforms.hpp"
#include "kernels/stats/merged.hpp"
#include "kernels/stats/robust.hpp"
#include "kernels/transform/log10.hpp"
#include "kernels/window/local_z.hpp"
#include "kernels/window/local_z_exact.hpp"

#include <fftw3.h>
#include <omp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace prospector::bench;

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "kernel_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--size")
      o.n = std::atoll(next().c_str());
    else if (a == "--reps")
      o.reps = std::atoi(next().c_str());
    else if (a == "--fft-reps")
      o.fft_reps = std::atoi(next().c_str());
    else if (a == "--ref-reps")
      o.ref_reps = std::atoi(next().c_str());
    else if (a == "--ref-fft-reps")
      o.ref_fft_reps = std::atoi(next().c_str());
    else if (a == "--stream-mib")
      o.stream_mib = std::atoll(next().c_str());
    else if (a == "--python")
      o.python = next();
    else if (a == "--reference-script")
      o.reference_script = next();
    else if (a == "--quiet-wait")
      o.quiet_wait = std::atof(next().c_str());
    else if (a == "--only")
      o.only = next();
    else if (a == "--explain")
      o.explain = true;
    else if (a == "--threads") {
      o.threads.clear();
      std::stringstream ss(next());
      std::string t;
      while (std::getline(ss, t, ','))
        o.threads.push_back(std::atoi(t.c_str()));
    } else {
      std::fprintf(
          stderr,
          "usage: kernel_bench [--size N] [--threads 1,2] [--reps R] [--fft-reps R] [--stream-mib M]\n"
          "                    [--quiet-wait SECONDS]\n"
          "                    [--reference-script reference_bench.py [--python /usr/bin/python3]\n"
          "                     [--ref-reps R] [--ref-fft-reps R]] [--only prefix,...] [--explain]\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  const std::int64_t n = o.n, cells = n * n;
  const double dcells = static_cast<double>(cells);
  std::fprintf(stderr, "kernel_bench: grid %lld x %lld, threads", static_cast<long long>(n),
               static_cast<long long>(n));
  for (int t : o.threads)
    std::fprintf(stderr, " %d", t);
  std::fprintf(stderr, ", omp_get_num_procs %d\n", omp_get_num_procs());

  // 1. STREAM triad, arrays far larger than the last-level cache.
  const std::int64_t stream_n = o.stream_mib * 1024 * 1024 / 8;
  if (o.quiet_wait > 0.0) wait_quiet(o.quiet_wait);
  double stream_others = 0.0;
  std::map<int, double> stream = stream_triad(stream_n, o.threads, 10, stream_others);
  double stream_others_end = 0.0;
  for (const auto& [t, g] : stream)
    std::fprintf(stderr, "kernel_bench: STREAM triad %d thread(s): %.1f GB/s (3 x %lld MiB, best of 10)\n", t,
                 g, static_cast<long long>(o.stream_mib));

  // FFT size of the potential-field plan, as documented in potential_field/plan.hpp (default plan
  // parameters).
  const k::PotentialFieldPlanParams pfp;
  const std::int64_t pad =
      std::max<std::int64_t>(pfp.min_pad, static_cast<std::int64_t>(std::ceil(pfp.pad_fraction * n)));
  const std::int64_t nxp = k::fast_fft_size(n + 2 * pad), nyp = nxp;

  // 2. References, before the kernels' buffers exist so the two never compete for memory.
  RefTable refs;
  if (!o.reference_script.empty()) run_references(o, nxp, nyp, refs);

  // 3. Inputs and outputs, allocated and touched once.
  const int max_t = *std::max_element(o.threads.begin(), o.threads.end());
  omp_set_num_threads(max_t);
  const std::size_t sz = static_cast<std::size_t>(cells);
  const int n_bands = 8;
  std::vector<std::vector<float>> band(n_bands, std::vector<float>(sz));
  fill_field(band[0], n, 1, 58000.0, 300.0, 20.0); // magnetics, nT
  fill_field(band[1], n, 2, 980.0, 2.0, 0.2);      // gravity, mGal
  for (int b = 2; b < n_bands; ++b)
    fill_field(band[b], n, static_cast<std::uint64_t>(b) + 1, 10.0 + b, 2.0, 1.0);
  std::vector<float> geochem(sz), zin(sz), out(sz), out2(sz);
  fill_field(geochem, n, 11, 1.5, 0.6, 0.4); // log-normal-ish ppm after 10^x
  {
    float* g = geochem.data();
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < cells; ++i)
      g[i] = std::pow(10.0f, g[i]);
  }
  fill_field(zin, n, 12, 0.0, 1.0, 1.0);
  touch(out, 0.0f);
  touch(out2, 0.0f);
  std::vector<std::vector<float>> clr_out(5, std::vector<float>(sz));
  for (auto& v : clr_out)
    touch(v, 0.0f);

  const k::ConstGridView mag{band[0].data(), n, n};
  const k::GridView vout{out.data(), n, n};

  std::vector<Row> rows;
  auto add = [&](Row r) {
    if (wanted(o, r.kernel)) rows.push_back(std::move(r));
  };

  // stats.robust_location / robust_z
  std::vector<float> robust_scratch(sz);
  touch(robust_scratch, 0.0f);
  k::RobustLocation loc;
  check(k::robust_location(mag, robust_scratch, loc), "robust_location");
  // robust_location: two radix selections (median, then median of |x - median|), each reading the grid in
  // a bounds pass, one histogram pass and a gather pass (the bin's few cells written, then selected in
  // the buffer): 2 * 3 * 4 = 24 B/cell on fields like this one (4 more per selection whose chosen bin stays
  // large after the first digit).
  add({"stats.robust_location", "", false, false, "", 24, 4, o.reps,
       [&] { check(k::robust_location(mag, robust_scratch, loc), "robust_location"); },
       "approx: 6 read passes"});
  add({"stats.robust_z(apply)", "", false, true, "", 8, 8, o.reps,
       [&] { check(k::robust_z(mag, loc, {}, vout), "robust_z"); }, "read 4 + write 4"});
  add({"stats.robust_location+z", "stats.robust_z", false, false, "", 32, 8, o.reps,
       [&] {
         check(k::robust_location(mag, robust_scratch, loc), "robust_location");
         check(k::robust_z(mag, loc, {}, vout), "robust_z");
       },
       "24 + 8"});

  // stats.merged: the pipeline's exact median/MAD over per-tile sorted runs (runs sorted outside the timing).
  const std::int64_t tile = std::min<std::int64_t>(1024, n);
  std::vector<float> sorted_runs(sz);
  std::vector<k::SortedRun> runs;
  for (std::int64_t t0 = 0; t0 < cells; t0 += tile * tile) {
    const std::int64_t len = std::min(tile * tile, cells - t0);
    std::copy(band[0].begin() + t0, band[0].begin() + t0 + len, sorted_runs.begin() + t0);
    std::sort(sorted_runs.begin() + t0, sorted_runs.begin() + t0 + len);
    runs.push_back({sorted_runs.data() + t0, len});
  }
  // Binary searches over the runs: O(runs * log n) per bisection step, a few KB in all.
  add({"stats.merged_robust_location", "", false, false, "", 0, 0, o.reps,
       [&] {
         check(k::merged_robust_location(runs.data(), static_cast<std::int64_t>(runs.size()), loc), "merged");
       },
       "binary searches only"});

  // window.local_z_exact (z only, as the pipeline uses it): per-thread column sums slide down the grid, one
  // input row entering and one leaving per output row (the leaving row quantised earlier and kept in a ring
  // of rows that stays in cache), window sums slide along each row; everything but the input and the output
  // stays in cache: read 4 + write 4 = 8 B/cell. window.local_z adds a min/max pass over the input (4) to
  // choose its fixed-point shift and scale: 12 B/cell. Both are compute-bound (exact integer sums), so their
  // %STREAM is low by design: the summed-area tables they replaced moved 132-172 B/cell.
  k::WindowScratch wscratch;
  k::ExactWindowScratch escratch;
  const double dev = 2000.0;
  for (std::int64_t r : {1, 5, 20, 50}) {
    k::LocalZParams p;
    p.radius = r;
    add({"window.local_z r=" + std::to_string(r), "window.r" + std::to_string(r), true, true,
         "window.local_z", 12, 8, o.reps,
         [&, p] {
           k::WindowOutputs wo;
           wo.z = out.data();
           check(k::moving_window_stats(mag, p, wscratch, wo), "moving_window_stats");
         },
         "min/max 4 + read 4 + write 4"});
  }
  for (std::int64_t r : {1, 5, 20, 50}) {
    k::ExactWindowParams p;
    p.radius = r;
    p.shift = 58000.0;
    p.scale = k::fixed_point_scale(dev);
    add({"window.local_z_exact r=" + std::to_string(r), "window.r" + std::to_string(r), true, true,
         "window.local_z_exact", 8, 8, o.reps,
         [&, p] {
           check(k::exact_window_stats(mag, p, escratch, nullptr, nullptr, out.data()), "exact_window");
         },
         "read 4 + write 4 (row state in cache)"});
  }

  // anomaly.rx: band_statistics (one read of every band, per-block partial moments) and mahalanobis_apply
  // (reads every band once, writes one grid).
  std::vector<k::ConstGridView> bviews;
  for (auto& b : band)
    bviews.push_back({b.data(), n, n});
  // The same bands in one buffer, each starting 320 bytes further along modulo 4 KiB, as the pipeline's score
  // stage lays them out (separate page-aligned vectors start at equal addresses modulo 4 KiB and thrash the
  // first-level cache sets of the apply loop).
  const std::size_t bstride = (sz + 1023) / 1024 * 1024 + 80;
  std::vector<float> staggered(band.size() * bstride);
  std::vector<k::ConstGridView> sviews;
  for (std::size_t b = 0; b < band.size(); ++b) {
    std::copy(band[b].begin(), band[b].end(), staggered.begin() + static_cast<std::ptrdiff_t>(b * bstride));
    sviews.push_back({staggered.data() + b * bstride, n, n});
  }
  std::map<int, k::BandStatistics> bstats;
  for (int nb : {4, 8}) {
    check(k::band_statistics(bviews.data(), nb, {}, bstats[nb]), "band_statistics");
    const double bytes = 4.0 * nb;
    add({"anomaly.rx.band_statistics b=" + std::to_string(nb), "", false, false, "", bytes, bytes, o.reps,
         [&, nb] {
           k::BandStatistics s;
           check(k::band_statistics(bviews.data(), nb, {}, s), "band_statistics");
         },
         "read 4b"});
    add({"anomaly.rx.apply b=" + std::to_string(nb), "anomaly.rx.b" + std::to_string(nb), true, true, "",
         bytes + 4, bytes + 4, o.reps,
         [&, nb] { check(k::mahalanobis_apply(bviews.data(), nb, bstats[nb], vout), "mahalanobis_apply"); },
         "read 4b + write 4"});
    add({"anomaly.rx.apply b=" + std::to_string(nb) + " staggered", "anomaly.rx.b" + std::to_string(nb), true,
         true, "", bytes + 4, bytes + 4, o.reps,
         [&, nb] { check(k::mahalanobis_apply(sviews.data(), nb, bstats[nb], vout), "mahalanobis_apply"); },
         "read 4b + write 4 (bands as the pipeline lays them out)"});
  }

  // transform.log10, fuzzy.membership: read 4 + write 4.
  add({"transform.log10", "transform.log10", false, false, "", 8, 8, o.reps,
       [&] {
         std::int64_t bad = 0;
         check(k::log10_transform(geochem.data(), out.data(), cells, {}, bad), "log10");
       },
       "read 4 + write 4"});
  k::MembershipParams mp;
  mp.shape = k::MembershipShape::Logistic;
  mp.midpoint = 1.5;
  mp.spread = 2.0;
  add({"fuzzy.membership(logistic)", "fuzzy.membership", false, false, "", 8, 8, o.reps,
       [&] { check(k::membership(zin.data(), out.data(), cells, mp), "membership"); }, "read 4 + write 4"});
  // fuzzy.overlay / fuzzy.gamma over 4 layers (memberships made from bands 2..5): read 16 + write 4.
  std::vector<std::vector<float>> memb(4, std::vector<float>(sz));
  for (int l = 0; l < 4; ++l) {
    k::MembershipParams lp;
    lp.midpoint = 10.0 + l + 2;
    check(k::membership(band[l + 2].data(), memb[l].data(), cells, lp), "membership");
  }
  const float* mptr[4] = {memb[0].data(), memb[1].data(), memb[2].data(), memb[3].data()};
  const double weights[4] = {0.34, 0.26, 0.24, 0.16};
  add({"fuzzy.overlay(4 layers)", "fuzzy.overlay", false, false, "", 20, 20, o.reps,
       [&] { check(k::weighted_overlay(mptr, weights, 4, cells, {}, out.data()), "overlay"); },
       "read 16 + write 4"});
  add({"fuzzy.gamma(4 layers)", "", false, false, "", 20, 20, o.reps,
       [&] {
         check(k::fuzzy_combine(mptr, 4, cells, k::FuzzyOperator::Gamma, {}, out.data()), "fuzzy_combine");
       },
       "read 16 + write 4"});

  // geochem.clr / ilr over a stack of 5 part grids (bands 3..7, all positive): read 20, write 20 or 16.
  std::vector<k::ConstGridView> parts;
  std::vector<k::GridView> pout;
  for (int j = 0; j < 5; ++j) {
    parts.push_back({band[3 + j].data(), n, n});
    pout.push_back({clr_out[j].data(), n, n});
  }
  const k::VariablesView pin = k::VariablesView::grids(parts.data(), 5);
  const k::VariablesOut clr_v = k::VariablesOut::grids(pout.data(), 5);
  const k::VariablesOut ilr_v = k::VariablesOut::grids(pout.data(), 4);
  k::CompositionScratch cscratch;
  k::IlrBasis basis;
  check(k::ilr_pivot_basis(5, basis), "ilr_pivot_basis");
  add({"geochem.clr(5 parts)", "geochem.clr", false, false, "", 40, 40, o.reps,
       [&] { check(k::clr(pin, {}, cscratch, clr_v), "clr"); }, "read 20 + write 20"});
  add({"geochem.ilr(5 parts)", "", false, false, "", 36, 36, o.reps,
       [&] { check(k::ilr(pin, {}, basis, cscratch, ilr_v), "ilr"); }, "read 20 + write 16"});

  // anomaly.gi_star: mean pass 4, centred-square pass 4, row pass 4 + 16, column pass 32, output pass
  // 4 + 32 + 4: 100 B/cell.
  k::GiStarScratch gscratch;
  for (std::int64_t r : {3, 20}) {
    k::GiStarParams gp;
    gp.radius = r;
    add({"anomaly.gi_star r=" + std::to_string(r), "anomaly.gi_star.r" + std::to_string(r), false, false, "",
         100, 8, o.reps,
         [&, gp] {
           k::GiStarInfo info;
           check(k::gi_star(mag, gp, gscratch, vout, info), "gi_star");
         },
         "8 + 20 + 32 + 40"});
  }
  // anomaly.gi_star_exact (the Gi* of the gi_star recipe transform): the window engine above with the
  // layer's exact global moments (computed once, as the pipeline's stats stage does): read 4 + write 4.
  k::ExactMoments gmoments;
  const double gshift = 58000.0, gscale = k::fixed_point_scale(dev);
  gmoments.add(mag.data, mag.size(), gshift, gscale);
  const k::GiStarGlobal gglobal = gmoments.global(gshift, gscale);
  for (std::int64_t r : {3, 20}) {
    k::ExactWindowParams p;
    p.radius = r;
    p.min_count = 1;
    p.shift = gshift;
    p.scale = gscale;
    add({"anomaly.gi_star_exact r=" + std::to_string(r), "anomaly.gi_star.r" + std::to_string(r), false,
         false, "", 8, 8, o.reps,
         [&, p] { check(k::exact_window_gi_star(mag, p, gglobal, escratch, out.data()), "gi_star_exact"); },
         "read 4 + write 4 (row state in cache)"});
  }

  // potential_field.*: plan created once, outside every timed loop. Byte estimate per call, per grid cell (g
  // = 1 grid cell, P = padded cells per grid cell, R = nxp * ny / n^2 for the padded rows that hold grid
  // cells; the half spectrum takes about 4P bytes): prepare reads the input twice (8) and writes the padded
  // grid rows, which its row FFTs turn into spectrum rows in cache (4R); the column pass reads and writes the
  // spectrum (8P); the inverse row FFTs read and write the grid rows (8R) and the finish writes the output
  // and reads the hole mask (5). Single-operator transforms: 13 + 12R + 8P. Derivative sets with m inverses:
  // 8 + 4R + 8P (forward column pass) + m (8P + 8R + 8) (each derivative's column pass, inverse rows, and the
  // output read and written).
  std::unique_ptr<k::PotentialFieldPlan> plan;
  const char* pf_names[] = {"potential_field.upward_continuation",
                            "potential_field.vertical_derivative",
                            "potential_field.rtp",
                            "potential_field.pseudo_gravity",
                            "potential_field.total_horizontal_gradient",
                            "potential_field.tilt_derivative",
                            "potential_field.analytic_signal"};
  bool any_pf = false;
  for (const char* name : pf_names)
    any_pf = any_pf || wanted(o, name);
  if (any_pf) {
    plan = std::make_unique<k::PotentialFieldPlan>();
    const double t0 = now();
    check(plan->init(n, n), "PotentialFieldPlan::init");
    std::fprintf(stderr, "kernel_bench: potential-field plan %lld x %lld padded, %.0f MB, init %.2f s\n",
                 static_cast<long long>(plan->padded_nx()), static_cast<long long>(plan->padded_ny()),
                 static_cast<double>(plan->memory_bytes()) / 1e6, now() - t0);
    if (plan->padded_nx() != nxp || plan->padded_ny() != nyp)
      std::fprintf(stderr, "kernel_bench: warning: plan size differs from the size given to the reference\n");
    const double g = 1.0, P = static_cast<double>(nxp) * nyp / dcells, R = static_cast<double>(nxp) / n;
    const double single_b = 13 * g + 12 * R + 8 * P;
    auto deriv_b = [&](int m) { return 8 * g + 4 * R + 8 * P + m * (8 * P + 8 * R + 8 * g); };
    const double dx = 50.0, dy = 50.0;
    k::RtpParams rtp;
    rtp.inclination_deg = -60.0;
    rtp.declination_deg = 2.0;
    k::UpwardContinuationParams up;
    up.height = 100.0;
    k::PseudoGravityParams pg;
    pg.rtp = rtp;
    k::PotentialFieldPlan& pl = *plan;
    const std::string note = "estimate, see source";
    add({"potential_field.upward_continuation", "potential_field.upward_continuation", true, false, "",
         single_b, 8, o.fft_reps, [&] { check(k::upward_continuation(mag, dx, dy, up, pl, vout), "upward"); },
         note});
    add({"potential_field.vertical_derivative", "potential_field.vertical_derivative", true, false, "",
         single_b, 8, o.fft_reps, [&] { check(k::vertical_derivative(mag, dx, dy, {}, pl, vout), "vdr"); },
         note});
    add({"potential_field.rtp", "potential_field.rtp", true, false, "", single_b, 8, o.fft_reps,
         [&] { check(k::reduce_to_pole(mag, dx, dy, rtp, pl, vout), "rtp"); }, note});
    add({"potential_field.pseudo_gravity", "potential_field.pseudo_gravity", true, false, "", single_b, 8,
         o.fft_reps, [&] { check(k::pseudo_gravity(mag, dx, dy, pg, pl, vout), "pseudo_gravity"); }, note});
    add({"potential_field.total_horizontal_gradient", "potential_field.total_horizontal_gradient", true,
         false, "", deriv_b(2), 8, o.fft_reps,
         [&] { check(k::total_horizontal_gradient(mag, dx, dy, pl, vout), "thg"); }, note});
    add({"potential_field.tilt_derivative", "potential_field.tilt_derivative", true, false, "", deriv_b(3), 8,
         o.fft_reps, [&] { check(k::tilt_derivative(mag, dx, dy, pl, vout), "tilt"); }, note});
    add({"potential_field.analytic_signal", "potential_field.analytic_signal", true, false, "", deriv_b(3), 8,
         o.fft_reps, [&] { check(k::analytic_signal(mag, dx, dy, pl, vout), "asa"); }, note});
  }

  // Raw FFTW for comparison: one in-place 2-D single-precision r2c and c2r of the plan's padded size
  // (FFTW_ESTIMATE, FFTW's own single-threaded plan), no padding, filtering or nodata work: what the
  // transforms would cost if they were nothing but two whole-grid FFTs.
  std::vector<float> fft_buf;
  fftwf_plan fft_fwd = nullptr, fft_inv = nullptr;
  if (wanted(o, "fftw.raw")) {
    const std::int64_t ncx = nxp / 2 + 1;
    fft_buf.resize(static_cast<std::size_t>(nyp * 2 * ncx));
    auto* cbuf = reinterpret_cast<fftwf_complex*>(fft_buf.data());
    fft_fwd = fftwf_plan_dft_r2c_2d(static_cast<int>(nyp), static_cast<int>(nxp), fft_buf.data(), cbuf,
                                    FFTW_ESTIMATE);
    fft_inv = fftwf_plan_dft_c2r_2d(static_cast<int>(nyp), static_cast<int>(nxp), cbuf, fft_buf.data(),
                                    FFTW_ESTIMATE);
    touch(fft_buf, 0.0f);
    for (std::int64_t r = 0; r < nyp; ++r)
      for (std::int64_t c = 0; c < nxp; ++c)
        fft_buf[static_cast<std::size_t>(r * 2 * ncx + c)] =
            static_cast<float>(hash01(static_cast<std::uint64_t>(r * nxp + c)));
    add({"fftw.raw r2c+c2r " + std::to_string(nxp) + "^2 (1 thr)", "", false, false, "", 0, 0, o.fft_reps,
         [&] {
           fftwf_execute(fft_fwd);
           fftwf_execute(fft_inv);
         },
         "FFTW only, for comparison"});
  }

  // 4. Timing: every row at every thread count.
  std::vector<Result> results;
  for (const Row& r : rows) {
    if (o.quiet_wait > 0.0 && !wait_quiet(o.quiet_wait))
      std::fprintf(stderr, "kernel_bench: other processes still busy after %.0f s; timing %s anyway\n",
                   o.quiet_wait, r.kernel.c_str());
    double others = 0.0;
    const std::map<int, double> best = time_threads(o.threads, r.reps, r.fn, others);
    for (const auto& [t, sec] : best) {
      results.push_back({&r, t, sec, others});
      std::fprintf(stderr, "kernel_bench: %-42s %d thread(s) %9.4f s (other processes %.0f%% of the CPUs)\n",
                   r.kernel.c_str(), t, sec, 100.0 * others);
    }
  }

  // STREAM again after the kernels: the best of the two measurements per thread count is the reference, so a
  // burst of other work during one of them does not inflate every %STREAM figure.
  {
    if (o.quiet_wait > 0.0) wait_quiet(o.quiet_wait);
    double others_end = 0.0;
    const std::map<int, double> again = stream_triad(stream_n, o.threads, 10, others_end);
    for (const auto& [t, g] : again) {
      std::fprintf(stderr, "kernel_bench: STREAM triad again %d thread(s): %.1f GB/s\n", t, g);
      if (g > stream.at(t)) stream[t] = g;
    }
    stream_others_end = others_end;
  }

  // 5. The table.
  std::printf(
      "\nKernel benchmark: %lld x %lld float32 grid (%.1f Mcells), best of %d (FFT %d), no nodata in the "
      "inputs.\n",
      static_cast<long long>(n), static_cast<long long>(n), dcells / 1e6, o.reps, o.fft_reps);
  std::printf("STREAM triad (a = b + s*c, 3 x %lld MiB doubles, 24 B/element, best of 10, before and after):",
              static_cast<long long>(o.stream_mib));
  for (int t : o.threads)
    std::printf("  %d thread(s) %.1f GB/s", t, stream.at(t));
  std::printf(" (others %.0f%% / %.0f%%)", 100.0 * stream_others, 100.0 * stream_others_end);
  std::printf(
      "\nB/cell: algorithm traffic (min = compulsory in+out); GB/s and %%STREAM use the algorithm count, "
      "%%STR(min) the compulsory one.\nref: numpy/scipy time at the same thread setting "
      "(* = reference named by issue 3); speed-up = ref / kernel; references other than anomaly.rx are\n"
      "single-threaded and timed once. others: share of all CPUs used by other processes while the row ran\n"
      "(on a 2-CPU machine, 50%% means one CPU was taken: 2-thread figures are then not meaningful).\n\n");
  std::printf("%-42s %3s %9s %9s %7s %7s %7s %7s %9s %8s %6s\n", "kernel", "thr", "time ms", "Mcells/s",
              "B/cell", "GB/s", "%STREAM", "%STR(min)", "ref ms", "speed-up", "others");
  for (const Result& res : results) {
    const Row& r = *res.row;
    const double mcs = dcells / res.seconds / 1e6;
    const double gbs = r.algo_bytes * dcells / res.seconds / 1e9;
    const double gbs_min = r.min_bytes * dcells / res.seconds / 1e9;
    std::string ref = "-", sp = "-";
    if (!r.ref_key.empty()) {
      auto it = refs.find(r.ref_key);
      if (it != refs.end() && it->second.count(res.threads)) {
        const double rs = it->second.at(res.threads);
        ref = fmt("%.1f", rs * 1e3) + (r.issue_ref ? "*" : "");
        sp = fmt("%.1fx", rs / res.seconds);
      }
    }
    std::printf("%-42s %3d %9.1f %9.1f %7.0f %7s %7s %7s %9s %8s %5.0f%%\n", r.kernel.c_str(), res.threads,
                res.seconds * 1e3, mcs, r.algo_bytes, r.algo_bytes > 0 ? fmt("%.1f", gbs).c_str() : "-",
                r.algo_bytes > 0 ? fmt("%.0f%%", 100.0 * gbs / stream.at(res.threads)).c_str() : "-",
                r.min_bytes > 0 ? fmt("%.0f%%", 100.0 * gbs_min / stream.at(res.threads)).c_str() : "-",
                ref.c_str(), sp.c_str(), 100.0 * res.others);
  }

  // 6. Issue 3's targets, at the largest thread count measured.
  const int T = max_t;
  std::printf("\nIssue 3 targets at %d thread(s):\n", T);
  int busy_rows = 0, all_rows = 0;
  for (const Result& res : results)
    if (res.threads == T) {
      ++all_rows;
      busy_rows += res.others > 0.2 ? 1 : 0;
    }
  if (busy_rows > 0)
    std::printf("  WARNING: other processes used more than 20%% of the CPUs while %d of %d rows ran; their\n"
                "  %d-thread figures understate the kernels.\n",
                busy_rows, all_rows, T);
  for (const Result& res : results) {
    if (res.threads != T || !res.row->streaming) continue;
    const double frac = res.row->algo_bytes * dcells / res.seconds / 1e9 / stream.at(T);
    const double frac_min = res.row->min_bytes * dcells / res.seconds / 1e9 / stream.at(T);
    std::printf("  streaming >= 50%% STREAM  %-36s algo %4.0f%%  min %4.0f%%  %s\n", res.row->kernel.c_str(),
                100 * frac, 100 * frac_min, frac >= 0.5 ? "MET (algo count)" : "NOT MET");
  }
  std::map<std::string, std::pair<double, double>> spread;
  for (const Result& res : results) {
    if (res.threads != T || res.row->window_group.empty()) continue;
    auto& mm = spread.try_emplace(res.row->window_group, 1e300, 0.0).first->second;
    mm.first = std::min(mm.first, res.seconds);
    mm.second = std::max(mm.second, res.seconds);
  }
  for (const auto& [grp, mm] : spread)
    std::printf("  radius 1..50 spread < 1.5x  %-33s %.2fx  %s\n", grp.c_str(), mm.second / mm.first,
                mm.second / mm.first < 1.5 ? "MET" : "NOT MET");
  for (const Result& res : results) {
    if (res.threads != T || res.row->ref_key.empty()) continue;
    auto it = refs.find(res.row->ref_key);
    if (it == refs.end() || !it->second.count(T)) continue;
    const double ratio = it->second.at(T) / res.seconds;
    std::printf("  >= 10x reference%s %-40s %6.1fx  %s\n", res.row->issue_ref ? "*" : " ",
                res.row->kernel.c_str(), ratio, ratio >= 10.0 ? "MET" : "NOT MET");
  }
  if (fft_fwd) fftwf_destroy_plan(fft_fwd);
  if (fft_inv) fftwf_destroy_plan(fft_inv);
  if (o.explain) {
    std::printf("\nByte counts per cell:\n");
    for (const Row& r : rows)
      std::printf("  %-42s algo %6.1f  min %4.0f  (%s)\n", r.kernel.c_str(), r.algo_bytes, r.min_bytes,
                  r.bytes_note.c_str());
  }
  return 0;
}
