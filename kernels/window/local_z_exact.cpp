#include "kernels/window/local_z_exact.hpp"

#include "kernels/cpu_dispatch.hpp"
#include "kernels/window/exact_engine.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

namespace prospector::kernels {

using namespace exact_engine;

namespace {

struct Finish {
  double shift, inv_scale, inv_scale2, min_std;
  // Narrow windows: 1 / n for every count n, NaN below min_count (a lookup, not a division).
  const double* inv;
};

// Mean, standard deviation and z of one cell from its window sums, computed unconditionally and selected
// afterwards (no branch in the loops). The mean and variance are formed in double (the mean sits on the
// layer's offset); the square root and the division of z in float, which is the precision of the outputs.
PROSPECTOR_ALWAYS_INLINE inline void stats_cell(float v, bool enough, double inv, double s1, double num,
                                                const Finish& f, float& mean, float& sd, float& z) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const bool ok = (v == v) & enough;
  const double m = s1 * inv * f.inv_scale + f.shift;
  // A variance past float's range (standard deviations above ~1.8e19) takes the root in double; the float
  // root is kept below it, so ordinary layers give the same bits as before.
  const double var = num * inv * inv * f.inv_scale2;
  const float sdev = var < 1e38 ? std::sqrt(static_cast<float>(var)) : static_cast<float>(std::sqrt(var));
  const bool flat = sdev < static_cast<float>(f.min_std);
  const float zz = static_cast<float>(static_cast<double>(v) - m) / (flat ? 1.0f : sdev);
  mean = ok ? static_cast<float>(m) : nan;
  sd = ok ? sdev : nan;
  z = ok ? (flat ? 0.0f : zz) : nan;
}

PROSPECTOR_ALWAYS_INLINE inline void stats_row_narrow(const float* __restrict in, std::int64_t nx,
                                                      std::int64_t rad, const Prefix& p, const Finish& f,
                                                      float* __restrict mean, float* __restrict sd,
                                                      float* __restrict z) {
  const std::int64_t w = 2 * rad + 1;
#pragma omp simd
  for (std::int64_t c = 0; c < nx; ++c) {
    const NarrowCell k = narrow_cell(p, c, w);
    const double inv = f.inv[k.count];
    stats_cell(in[c], inv == inv, inv, k.s1, k.num, f, mean[c], sd[c], z[c]);
  }
}

PROSPECTOR_ALWAYS_INLINE inline void stats_row_wide(const float* __restrict in, std::int64_t nx,
                                                    const RowOut& o, const Finish& f, float* __restrict mean,
                                                    float* __restrict sd, float* __restrict z) {
#pragma omp simd
  for (std::int64_t c = 0; c < nx; ++c) {
    const double inv = o.inv[c];
    stats_cell(in[c], inv == inv, inv, o.s1d[c], o.numd[c], f, mean[c], sd[c], z[c]);
  }
}

} // namespace

double fixed_point_scale(double max_abs_deviation) {
  if (!(max_abs_deviation > 0.0) || !std::isfinite(max_abs_deviation)) return 1.0;
  return std::ldexp(1.0, 24 - std::ilogb(max_abs_deviation) - 1);
}

Status detail::exact_window_stats_isa(ConstGridView in, const ExactWindowParams& p,
                                      ExactWindowScratch& scratch, float* mean, float* std, float* z,
                                      cpu::Isa allowed) {
  if (Status st = check_params("exact_window_stats", in, p, {mean, std, z}); !st.ok) return st;
  if (in.size() == 0 || (mean == nullptr && std == nullptr && z == nullptr)) return Status::Ok();
  Finish f{};
  f.shift = p.shift;
  f.inv_scale = 1.0 / p.scale; // exact: the scale is a power of two in practice, and 1/scale is used alike
  f.inv_scale2 = f.inv_scale * f.inv_scale;
  f.min_std = p.min_std;
  const std::int64_t nx = in.nx;
  const std::int64_t rad = window_radius(in, p);
  f.inv = count_table(scratch, p, rad, [](double n) { return 1.0 / n; });
  return run_engine("exact_window_stats", in, p, scratch, allowed,
                    [&](auto narrow, std::int64_t r, const ThreadBuffers& b) PROSPECTOR_ALWAYS_INLINE {
                      const std::int64_t o = r * nx;
                      float* m = mean ? mean + o : b.dummy;
                      float* s = std ? std + o : b.dummy;
                      float* zz = z ? z + o : b.dummy;
                      if constexpr (decltype(narrow)::value)
                        stats_row_narrow(in.data + o, nx, rad, b.prefix, f, m, s, zz);
                      else
                        stats_row_wide(in.data + o, nx, b.row, f, m, s, zz);
                    });
}

Status exact_window_stats(ConstGridView in, const ExactWindowParams& p, ExactWindowScratch& scratch,
                          float* mean, float* std, float* z) {
  return detail::exact_window_stats_isa(in, p, scratch, mean, std, z, cpu::Isa::avx512);
}

} // namespace prospector::kernels
