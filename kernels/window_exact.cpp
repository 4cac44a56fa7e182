#include "kernels/window_exact.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prospector::kernels {

double fixed_point_scale(double max_abs_deviation) {
  if (!(max_abs_deviation > 0.0) || !std::isfinite(max_abs_deviation)) return 1.0;
  return std::ldexp(1.0, 24 - std::ilogb(max_abs_deviation) - 1);
}

Status exact_window_stats(ConstGridView in, const ExactWindowParams& p, ExactWindowScratch& s, float* mean,
                          float* std, float* z) {
  if (in.nx < 0 || in.ny < 0 || (in.data == nullptr && in.size() > 0))
    return Status::Invalid("exact_window_stats: invalid grid view");
  if (p.radius < 1) return Status::Invalid("exact_window_stats: radius must be >= 1");
  if (!(p.scale > 0.0) || !std::isfinite(p.shift)) return Status::Invalid("exact_window_stats: bad shift/scale");
  const std::int64_t nx = in.nx, ny = in.ny, w = nx + 1;
  const std::size_t table = static_cast<std::size_t>((ny + 1) * w);
  if (s.count.size() < table) s.count.resize(table);
  if (s.sum.size() < table) s.sum.resize(table);
  if (s.sumsq.size() < table) s.sumsq.resize(table);
  std::int64_t* tc = s.count.data();
  std::int64_t* ts = s.sum.data();
  __int128* tq = s.sumsq.data();
  std::fill(tc, tc + w, 0);
  std::fill(ts, ts + w, 0);
  std::fill(tq, tq + w, static_cast<__int128>(0));
  const double limit = std::ldexp(1.0, 30);
  bool overflow = false;

#pragma omp parallel for schedule(static) reduction(|| : overflow)
  for (std::int64_t r = 0; r < ny; ++r) {
    const float* row = in.data + r * nx;
    std::int64_t* c = tc + (r + 1) * w;
    std::int64_t* sm = ts + (r + 1) * w;
    __int128* q = tq + (r + 1) * w;
    c[0] = 0;
    sm[0] = 0;
    q[0] = 0;
    for (std::int64_t col = 0; col < nx; ++col) {
      const float v = row[col];
      std::int64_t qi = 0, ci = 0;
      if (!std::isnan(v)) {
        const double d = (static_cast<double>(v) - p.shift) * p.scale;
        if (std::fabs(d) > limit) overflow = true;
        else {
          qi = std::llround(d);
          ci = 1;
        }
      }
      c[col + 1] = c[col] + ci;
      sm[col + 1] = sm[col] + qi;
      q[col + 1] = q[col] + static_cast<__int128>(qi) * qi;
    }
  }
  if (overflow) return Status::Invalid("exact_window_stats: a value lies outside the fixed-point range");
  // Column prefix sums in blocks of columns, walking rows inside a block so memory access stays contiguous.
  constexpr std::int64_t kBlock = 256;
  const std::int64_t nblocks = (nx + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static)
  for (std::int64_t blk = 0; blk < nblocks; ++blk) {
    const std::int64_t c0 = 1 + blk * kBlock, c1 = std::min(nx, blk * kBlock + kBlock);
    for (std::int64_t r = 1; r <= ny; ++r)
      for (std::int64_t col = c0; col <= c1; ++col) {
        tc[r * w + col] += tc[(r - 1) * w + col];
        ts[r * w + col] += ts[(r - 1) * w + col];
        tq[r * w + col] += tq[(r - 1) * w + col];
      }
  }

  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::int64_t rad = p.radius;
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < ny; ++r) {
    const std::int64_t r0 = std::max<std::int64_t>(0, r - rad), r1 = std::min(ny, r + rad + 1);
    for (std::int64_t col = 0; col < nx; ++col) {
      const std::int64_t i = r * nx + col;
      const float v = in.data[i];
      if (std::isnan(v)) {
        if (mean) mean[i] = nan;
        if (std) std[i] = nan;
        if (z) z[i] = nan;
        continue;
      }
      const std::int64_t c0 = std::max<std::int64_t>(0, col - rad), c1 = std::min(nx, col + rad + 1);
      const std::int64_t a = r0 * w + c0, b = r0 * w + c1, c = r1 * w + c0, d = r1 * w + c1;
      const std::int64_t n = tc[d] - tc[b] - tc[c] + tc[a];
      if (n < p.min_count || n <= 0) {
        if (mean) mean[i] = nan;
        if (std) std[i] = nan;
        if (z) z[i] = nan;
        continue;
      }
      const std::int64_t s1 = ts[d] - ts[b] - ts[c] + ts[a];
      const __int128 s2 = tq[d] - tq[b] - tq[c] + tq[a];
      // n * S2 - S1^2 is exact in 128-bit integers: the variance numerator has no cancellation error.
      const __int128 num = static_cast<__int128>(n) * s2 - static_cast<__int128>(s1) * s1;
      const double nd = static_cast<double>(n);
      const double var = static_cast<double>(num) / (nd * nd) / (p.scale * p.scale);
      const double m = static_cast<double>(s1) / nd / p.scale + p.shift;
      const double sd = std::sqrt(std::max(0.0, var));
      if (mean) mean[i] = static_cast<float>(m);
      if (std) std[i] = static_cast<float>(sd);
      if (z) z[i] = sd < p.min_std ? 0.0f : static_cast<float>((static_cast<double>(v) - m) / sd);
    }
  }
  return Status::Ok();
}

} // namespace prospector::kernels
