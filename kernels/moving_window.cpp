#include "kernels/moving_window.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prospector::kernels {

namespace {

// Columns handled together in the column pass: rows are walked in order inside a block so memory access
// stays contiguous, while every table element still gets exactly one fixed addition.
constexpr std::int64_t kColumnBlock = 256;

template <typename T> void ensure_size(std::vector<T>& v, std::size_t n) {
  if (v.size() < n) v.resize(n);
}

} // namespace

Status moving_window_stats(ConstGridView in, const LocalZParams& params, WindowScratch& scratch,
                           WindowOutputs out) {
  if (in.nx < 0 || in.ny < 0 || (in.data == nullptr && in.size() > 0))
    return Status::Invalid("moving_window_stats: invalid grid view");
  if (params.radius < 1) return Status::Invalid("moving_window_stats: radius must be >= 1");
  if (params.min_count < 0) return Status::Invalid("moving_window_stats: min_count must be >= 0");
  if (std::isnan(params.min_std) || params.min_std < 0.0)
    return Status::Invalid("moving_window_stats: min_std must be >= 0");

  const std::int64_t nx = in.nx;
  const std::int64_t ny = in.ny;
  const std::int64_t n = in.size();
  if (n == 0 || (out.mean == nullptr && out.std == nullptr && out.z == nullptr)) return Status::Ok();

  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float* src = in.data;

  std::int64_t first = 0;
  while (first < n && std::isnan(src[first]))
    ++first;
  if (first == n) {
    // All nodata: every output is nodata.
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      if (out.mean) out.mean[i] = nan;
      if (out.std) out.std[i] = nan;
      if (out.z) out.z[i] = nan;
    }
    return Status::Ok();
  }
  // Sums of (value - shift) stay near zero for fields on a large offset, which keeps sum of squares minus
  // squared sum free of catastrophic cancellation.
  const double shift = src[first];

  const std::int64_t w = nx + 1;
  const std::size_t table = static_cast<std::size_t>((ny + 1) * w);
  ensure_size(scratch.sum, table);
  ensure_size(scratch.sumsq, table);
  ensure_size(scratch.count, table);
  double* ts = scratch.sum.data();
  double* tq = scratch.sumsq.data();
  std::int64_t* tc = scratch.count.data();

  std::fill(ts, ts + w, 0.0);
  std::fill(tq, tq + w, 0.0);
  std::fill(tc, tc + w, std::int64_t{0});

  // Pass 1: prefix sums along each row (table row r+1 holds grid row r).
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < ny; ++r) {
    const float* row = src + r * nx;
    double* s = ts + (r + 1) * w;
    double* q = tq + (r + 1) * w;
    std::int64_t* c = tc + (r + 1) * w;
    s[0] = 0.0;
    q[0] = 0.0;
    c[0] = 0;
    for (std::int64_t col = 0; col < nx; ++col) {
      const float v = row[col];
      const bool ok = !std::isnan(v);
      const double d = ok ? static_cast<double>(v) - shift : 0.0;
      s[col + 1] = s[col] + d;
      q[col + 1] = q[col] + d * d;
      c[col + 1] = c[col] + (ok ? 1 : 0);
    }
  }

  // Pass 2: prefix sums down each column, parallel over blocks of columns.
  const std::int64_t n_blocks = (nx + kColumnBlock - 1) / kColumnBlock;
#pragma omp parallel for schedule(static)
  for (std::int64_t b = 0; b < n_blocks; ++b) {
    const std::int64_t c0 = 1 + b * kColumnBlock;
    const std::int64_t c1 = std::min(nx, c0 + kColumnBlock - 1);
    for (std::int64_t r = 1; r <= ny; ++r) {
      double* s = ts + r * w;
      double* q = tq + r * w;
      std::int64_t* c = tc + r * w;
      const double* sp = s - w;
      const double* qp = q - w;
      const std::int64_t* cp = c - w;
      for (std::int64_t col = c0; col <= c1; ++col) {
        s[col] += sp[col];
        q[col] += qp[col];
        c[col] += cp[col];
      }
    }
  }

  // A radius beyond the grid is the whole grid; clamping also keeps row +/- radius from overflowing.
  const std::int64_t rad = std::min(params.radius, std::max(nx, ny));
  const std::int64_t min_count = params.min_count;
  const double min_std = params.min_std;

#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < ny; ++r) {
    const std::int64_t r0 = std::max<std::int64_t>(0, r - rad);
    const std::int64_t r1 = std::min(ny, r + rad + 1);
    const std::int64_t top = r0 * w;
    const std::int64_t bot = r1 * w;
    for (std::int64_t col = 0; col < nx; ++col) {
      const std::int64_t i = r * nx + col;
      const float v = src[i]; // read before any write: an output may alias the input
      float m = nan, sd = nan, z = nan;
      if (!std::isnan(v)) {
        const std::int64_t c0 = std::max<std::int64_t>(0, col - rad);
        const std::int64_t c1 = std::min(nx, col + rad + 1);
        const std::int64_t cnt = tc[bot + c1] - tc[top + c1] - tc[bot + c0] + tc[top + c0];
        if (cnt >= min_count && cnt > 0) {
          const double s = ts[bot + c1] - ts[top + c1] - ts[bot + c0] + ts[top + c0];
          const double q = tq[bot + c1] - tq[top + c1] - tq[bot + c0] + tq[top + c0];
          const double inv = 1.0 / static_cast<double>(cnt);
          const double mean_d = s * inv;
          const double var = std::max(0.0, q * inv - mean_d * mean_d);
          const double sdev = std::sqrt(var);
          m = static_cast<float>(shift + mean_d);
          sd = static_cast<float>(sdev);
          z = sdev < min_std ? 0.0f : static_cast<float>(((static_cast<double>(v) - shift) - mean_d) / sdev);
        }
      }
      if (out.mean) out.mean[i] = m;
      if (out.std) out.std[i] = sd;
      if (out.z) out.z[i] = z;
    }
  }
  return Status::Ok();
}

} // namespace prospector::kernels
