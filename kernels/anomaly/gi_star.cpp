#include "kernels/anomaly/gi_star.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prospector::kernels {

namespace {

constexpr std::int64_t kBlockCells = 16384;
// Columns per task in the column pass; every table element still gets one fixed addition.
constexpr std::int64_t kColumnBlock = 256;

template <typename T> void ensure_size(std::vector<T>& v, std::size_t n) {
  if (v.size() < n) v.resize(n);
}

} // namespace

Status gi_star(ConstGridView in, const GiStarParams& params, GiStarScratch& scratch, GridView out,
               GiStarInfo& info) {
  if (in.nx < 0 || in.ny < 0 || (in.data == nullptr && in.size() > 0))
    return Status::Invalid("gi_star: invalid input view");
  if (out.nx != in.nx || out.ny != in.ny || (out.data == nullptr && out.size() > 0))
    return Status::Invalid("gi_star: output shape differs from the input");
  if (params.radius < 1) return Status::Invalid("gi_star: radius must be >= 1");

  const std::int64_t nx = in.nx, ny = in.ny, n_cells = in.size();
  const float* src = in.data;
  const std::int64_t blocks = (n_cells + kBlockCells - 1) / kBlockCells;

  // Global mean, then centred sum of squares (two passes keep S exact for offset fields).
  ensure_size(scratch.partial, static_cast<std::size_t>(2 * blocks));
  double* part = scratch.partial.data();
#pragma omp parallel for schedule(static)
  for (std::int64_t b = 0; b < blocks; ++b) {
    double s = 0.0, c = 0.0;
    for (std::int64_t i = b * kBlockCells; i < std::min(n_cells, (b + 1) * kBlockCells); ++i)
      if (!std::isnan(src[i])) {
        s += src[i];
        c += 1.0;
      }
    part[2 * b] = s;
    part[2 * b + 1] = c;
  }
  double sum = 0.0, cnt = 0.0;
  for (std::int64_t b = 0; b < blocks; ++b) {
    sum += part[2 * b];
    cnt += part[2 * b + 1];
  }
  if (cnt < 2.0) return Status::Invalid("gi_star: fewer than 2 valid cells");
  const double mean = sum / cnt;
#pragma omp parallel for schedule(static)
  for (std::int64_t b = 0; b < blocks; ++b) {
    double q = 0.0;
    for (std::int64_t i = b * kBlockCells; i < std::min(n_cells, (b + 1) * kBlockCells); ++i)
      if (!std::isnan(src[i])) {
        const double d = src[i] - mean;
        q += d * d;
      }
    part[b] = q;
  }
  double ss = 0.0;
  for (std::int64_t b = 0; b < blocks; ++b)
    ss += part[b];
  const double S = std::sqrt(ss / cnt);
  const auto n = static_cast<std::int64_t>(cnt);
  info.n = n;
  info.mean = mean;
  info.std = S;

  // Summed-area tables; table row r+1 / column c+1 hold the sums over grid rows <= r and columns <= c.
  const std::int64_t w = nx + 1;
  const std::size_t table = static_cast<std::size_t>((ny + 1) * w);
  ensure_size(scratch.sum, table);
  ensure_size(scratch.count, table);
  double* ts = scratch.sum.data();
  std::int64_t* tc = scratch.count.data();
  std::fill(ts, ts + w, 0.0);
  std::fill(tc, tc + w, std::int64_t{0});
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < ny; ++r) {
    const float* row = src + r * nx;
    double* s = ts + (r + 1) * w;
    std::int64_t* c = tc + (r + 1) * w;
    s[0] = 0.0;
    c[0] = 0;
    for (std::int64_t col = 0; col < nx; ++col) {
      const bool ok = !std::isnan(row[col]);
      s[col + 1] = s[col] + (ok ? static_cast<double>(row[col]) - mean : 0.0);
      c[col + 1] = c[col] + (ok ? 1 : 0);
    }
  }
  const std::int64_t col_blocks = (nx + kColumnBlock - 1) / kColumnBlock;
#pragma omp parallel for schedule(static)
  for (std::int64_t b = 0; b < col_blocks; ++b) {
    const std::int64_t c0 = 1 + b * kColumnBlock, c1 = std::min(nx, c0 + kColumnBlock - 1);
    for (std::int64_t r = 1; r <= ny; ++r) {
      double* s = ts + r * w;
      std::int64_t* c = tc + r * w;
      for (std::int64_t col = c0; col <= c1; ++col) {
        s[col] += s[col - w];
        c[col] += c[col - w];
      }
    }
  }

  const std::int64_t rad = std::min(params.radius, std::max(nx, ny));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const double dn = static_cast<double>(n);
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < ny; ++r) {
    const std::int64_t top = std::max<std::int64_t>(0, r - rad) * w;
    const std::int64_t bot = std::min(ny, r + rad + 1) * w;
    for (std::int64_t col = 0; col < nx; ++col) {
      const std::int64_t i = r * nx + col;
      if (std::isnan(src[i])) {
        out.data[i] = nan;
        continue;
      }
      const std::int64_t c0 = std::max<std::int64_t>(0, col - rad);
      const std::int64_t c1 = std::min(nx, col + rad + 1);
      const double wi = static_cast<double>(tc[bot + c1] - tc[top + c1] - tc[bot + c0] + tc[top + c0]);
      const double num = ts[bot + c1] - ts[top + c1] - ts[bot + c0] + ts[top + c0];
      const double var_term = (dn * wi - wi * wi) / (dn - 1.0);
      out.data[i] = (S > 0.0 && var_term > 0.0) ? static_cast<float>(num / (S * std::sqrt(var_term))) : 0.0f;
    }
  }
  return Status::Ok();
}

} // namespace prospector::kernels
