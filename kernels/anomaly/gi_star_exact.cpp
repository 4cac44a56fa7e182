#include "kernels/anomaly/gi_star_exact.hpp"

#include "kernels/cpu_dispatch.hpp"
#include "kernels/window/exact_engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace prospector::kernels {

using namespace exact_engine;

namespace {

struct GiFinish {
  double shift, inv_scale, mean, std, n;
  const double* den; // narrow windows: gi_denominator of every window count, NaN below min_count
};

// The Gi* denominator std sqrt((N w - w^2) / (N - 1)) of a window of w cells, or 0 where Gi* is undefined
// (std 0, a single cell, or a window holding all N cells).
inline double gi_denominator(double w, const GiFinish& g) {
  const bool defined = g.std > 0.0 && g.n > 1.0;
  const double den2 = (g.n * w - w * w) / (g.n - 1.0);
  const bool zero = !defined || !(den2 > 0.0);
  return zero ? 0.0 : g.std * std::sqrt(den2);
}

// Gi* of one cell from its window count w, sum and denominator: sum_w (x - Xbar) = S1 / scale + W (shift -
// Xbar), exactly the anomaly.gi_star formula otherwise.
PROSPECTOR_ALWAYS_INLINE inline float gi_cell(float v, bool enough, double w, double s1, double den,
                                              const GiFinish& g) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const bool ok = (v == v) & enough;
  const double num = s1 * g.inv_scale + w * (g.shift - g.mean);
  const bool zero = !(den > 0.0);
  const double gi = num / (zero ? 1.0 : den);
  return ok ? (zero ? 0.0f : static_cast<float>(gi)) : nan;
}

// The denominator depends on the count alone, so narrow rows look it up (the division and square root it
// takes would otherwise share the divider with the Gi* division itself).
PROSPECTOR_ALWAYS_INLINE inline void gi_row_narrow(const float* __restrict in, std::int64_t nx,
                                                   std::int64_t rad, const Prefix& p, const GiFinish& g,
                                                   float* __restrict out) {
  const std::int64_t w = 2 * rad + 1;
#pragma omp simd
  for (std::int64_t c = 0; c < nx; ++c) {
    const NarrowCell k = narrow_cell(p, c, w);
    const double den = g.den[k.count];
    out[c] = gi_cell(in[c], den == den, k.n, k.s1, den, g);
  }
}

PROSPECTOR_ALWAYS_INLINE inline void gi_row_wide(const float* __restrict in, std::int64_t nx, const RowOut& o,
                                                 const GiFinish& g, float* __restrict out) {
#pragma omp simd
  for (std::int64_t c = 0; c < nx; ++c) {
    const double inv = o.inv[c];
    out[c] = gi_cell(in[c], inv == inv, o.nd[c], o.s1d[c], gi_denominator(o.nd[c], g), g);
  }
}

} // namespace

Status exact_window_gi_star(ConstGridView in, const ExactWindowParams& p, const GiStarGlobal& global,
                            ExactWindowScratch& scratch, float* out) {
  if (Status st = check_params("exact_window_gi_star", in, p, {out}); !st.ok) return st;
  if (global.n < 0 || !std::isfinite(global.mean) || !(global.std >= 0.0) || !std::isfinite(global.std))
    return Status::Invalid("exact_window_gi_star: global n, mean and std must be finite, n and std >= 0");
  if (in.size() == 0 || out == nullptr) return Status::Ok();
  GiFinish g{};
  g.shift = p.shift;
  g.inv_scale = 1.0 / p.scale;
  g.mean = global.mean;
  g.std = global.std;
  g.n = static_cast<double>(global.n);
  const std::int64_t nx = in.nx;
  const std::int64_t rad = window_radius(in, p);
  g.den = count_table(scratch, p, rad, [&g](double w) { return gi_denominator(w, g); });
  return run_engine("exact_window_gi_star", in, p, scratch, cpu::Isa::avx512,
                    [&](auto narrow, std::int64_t r, const ThreadBuffers& b) PROSPECTOR_ALWAYS_INLINE {
                      const std::int64_t o = r * nx;
                      if constexpr (decltype(narrow)::value)
                        gi_row_narrow(in.data + o, nx, rad, b.prefix, g, out + o);
                      else
                        gi_row_wide(in.data + o, nx, b.row, g, out + o);
                    });
}

void ExactMoments::add(const float* v, std::int64_t n, double shift, double scale) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float x = v[i];
    if (!(std::fabs(x) <= std::numeric_limits<float>::max())) continue; // NaN and +-inf are not counted
    const double d = (static_cast<double>(x) - shift) * scale;
    if (!(std::fabs(d) <= kLimit)) {
      ++outside;
      continue;
    }
    const auto q = static_cast<std::int64_t>((d + kRound) - kRound);
    ++count;
    sum += q;
    sum_sq += static_cast<__int128>(q) * q;
  }
}

GiStarGlobal ExactMoments::global(double shift, double scale) const {
  GiStarGlobal g;
  g.n = count;
  if (count == 0) return g;
  const double nd = static_cast<double>(count);
  g.mean = static_cast<double>(sum) / nd / scale + shift;
  // n S2 - S1^2 exactly, then the population variance.
  const __int128 num = static_cast<__int128>(count) * sum_sq - static_cast<__int128>(sum) * sum;
  g.std = std::sqrt(std::max(0.0, to_double(num))) / nd / scale;
  return g;
}

} // namespace prospector::kernels
