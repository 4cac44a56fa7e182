// Eigen's own OpenMP parallelisation of large products picks its blocking from the thread count, which would
// make the inverse depend on it; the matrices here are tiny (bands x bands), so keep Eigen sequential.
#ifndef EIGEN_DONT_PARALLELIZE
#define EIGEN_DONT_PARALLELIZE
#endif

#include "kernels/mahalanobis.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace prospector::kernels {

namespace {

// Cells per reduction block. Block boundaries depend only on the grid size, and the per-block partial sums
// are combined in block order, so the result is the same for every thread count.
constexpr std::int64_t kBlockCells = 16384;

Status check_bands(const ConstGridView* bands, std::int64_t n_bands, const char* who) {
  if (n_bands < 1 || bands == nullptr) return Status::Invalid(std::string(who) + ": need at least one band");
  const std::int64_t nx = bands[0].nx, ny = bands[0].ny;
  if (nx < 0 || ny < 0) return Status::Invalid(std::string(who) + ": invalid grid view");
  for (std::int64_t b = 0; b < n_bands; ++b) {
    if (bands[b].nx != nx || bands[b].ny != ny)
      return Status::Invalid(std::string(who) + ": bands differ in shape");
    if (bands[b].data == nullptr && bands[b].size() > 0)
      return Status::Invalid(std::string(who) + ": null band data");
  }
  return Status::Ok();
}

inline bool all_valid(const ConstGridView* bands, std::int64_t n_bands, std::int64_t i) {
  for (std::int64_t b = 0; b < n_bands; ++b)
    if (std::isnan(bands[b].data[i])) return false;
  return true;
}

} // namespace

Status band_statistics(const ConstGridView* bands, std::int64_t n_bands, const RxParams& params,
                       BandStatistics& out) {
  if (Status s = check_bands(bands, n_bands, "band_statistics"); !s.ok) return s;
  if (!std::isfinite(params.ridge) || params.ridge < 0.0)
    return Status::Invalid("band_statistics: ridge must be finite and >= 0");

  const std::int64_t nb = n_bands;
  const std::int64_t n = bands[0].size();
  const std::int64_t n_blocks = (n + kBlockCells - 1) / kBlockCells;
  const std::int64_t n_pairs = nb * (nb + 1) / 2;

  // Pass 1: per-block sums and counts, then the mean.
  std::vector<double> part_sum(static_cast<std::size_t>(n_blocks * nb), 0.0);
  std::vector<std::int64_t> part_count(static_cast<std::size_t>(n_blocks), 0);
#pragma omp parallel for schedule(static)
  for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
    const std::int64_t i0 = blk * kBlockCells;
    const std::int64_t i1 = std::min(n, i0 + kBlockCells);
    double* acc = part_sum.data() + blk * nb;
    std::int64_t cnt = 0;
    for (std::int64_t i = i0; i < i1; ++i) {
      if (!all_valid(bands, nb, i)) continue;
      ++cnt;
      for (std::int64_t b = 0; b < nb; ++b)
        acc[b] += bands[b].data[i];
    }
    part_count[static_cast<std::size_t>(blk)] = cnt;
  }
  std::int64_t count = 0;
  std::vector<double> mean(static_cast<std::size_t>(nb), 0.0);
  for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
    count += part_count[static_cast<std::size_t>(blk)];
    for (std::int64_t b = 0; b < nb; ++b)
      mean[b] += part_sum[blk * nb + b];
  }
  if (count < nb + 1)
    return Status::Invalid("band_statistics: fewer than bands+1 cells with all bands valid");
  for (auto& m : mean)
    m /= static_cast<double>(count);

  // Pass 2: centred cross products (two-pass for accuracy on data with a large offset), upper triangle.
  std::vector<double> part_cross(static_cast<std::size_t>(n_blocks * n_pairs), 0.0);
#pragma omp parallel for schedule(static)
  for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
    const std::int64_t i0 = blk * kBlockCells;
    const std::int64_t i1 = std::min(n, i0 + kBlockCells);
    double* acc = part_cross.data() + blk * n_pairs;
    for (std::int64_t i = i0; i < i1; ++i) {
      if (!all_valid(bands, nb, i)) continue;
      std::int64_t p = 0;
      for (std::int64_t a = 0; a < nb; ++a) {
        const double da = bands[a].data[i] - mean[a];
        for (std::int64_t b = a; b < nb; ++b)
          acc[p++] += da * (bands[b].data[i] - mean[b]);
      }
    }
  }
  std::vector<double> cross(static_cast<std::size_t>(n_pairs), 0.0);
  for (std::int64_t blk = 0; blk < n_blocks; ++blk)
    for (std::int64_t p = 0; p < n_pairs; ++p)
      cross[p] += part_cross[blk * n_pairs + p];

  std::vector<double> cov(static_cast<std::size_t>(nb * nb), 0.0);
  {
    const double denom = static_cast<double>(count - 1);
    std::int64_t p = 0;
    for (std::int64_t a = 0; a < nb; ++a)
      for (std::int64_t b = a; b < nb; ++b) {
        const double c = cross[p++] / denom;
        cov[a * nb + b] = c;
        cov[b * nb + a] = c;
      }
  }
  for (double c : cov)
    if (!std::isfinite(c)) return Status::Invalid("band_statistics: non-finite covariance (infinite input?)");

  // The ridge is scaled by the mean variance so it means the same thing whatever the units of the bands.
  Eigen::MatrixXd a =
      Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(cov.data(), nb,
                                                                                               nb);
  const double mean_var = a.trace() / static_cast<double>(nb);
  a.diagonal().array() += params.ridge * mean_var;
  Eigen::LLT<Eigen::MatrixXd> llt(a);
  if (mean_var <= 0.0 || llt.info() != Eigen::Success)
    return Status::Invalid("band_statistics: covariance is singular even after the ridge");
  Eigen::MatrixXd inv = llt.solve(Eigen::MatrixXd::Identity(nb, nb));
  inv = 0.5 * (inv + inv.transpose()); // exact symmetry
  if (!inv.allFinite())
    return Status::Invalid("band_statistics: covariance is singular even after the ridge");

  out.bands = nb;
  out.count = count;
  out.mean = std::move(mean);
  out.cov = std::move(cov);
  out.inv_cov.assign(static_cast<std::size_t>(nb * nb), 0.0);
  for (std::int64_t r = 0; r < nb; ++r)
    for (std::int64_t c = 0; c < nb; ++c)
      out.inv_cov[r * nb + c] = inv(r, c);
  return Status::Ok();
}

Status mahalanobis_apply(const ConstGridView* bands, std::int64_t n_bands, const BandStatistics& stats,
                         GridView out) {
  if (Status s = check_bands(bands, n_bands, "mahalanobis_apply"); !s.ok) return s;
  const std::int64_t nb = n_bands;
  if (stats.bands != nb || static_cast<std::int64_t>(stats.mean.size()) != nb ||
      static_cast<std::int64_t>(stats.inv_cov.size()) != nb * nb)
    return Status::Invalid("mahalanobis_apply: statistics do not match the band count");
  if (out.nx != bands[0].nx || out.ny != bands[0].ny || (out.data == nullptr && out.size() > 0))
    return Status::Invalid("mahalanobis_apply: output shape differs from the bands");

  const std::int64_t n = out.size();
  int max_threads = 1;
#ifdef _OPENMP
  max_threads = omp_get_max_threads();
#endif
  // One difference vector per thread, allocated here because nothing may throw inside the parallel region.
  std::vector<double> work(static_cast<std::size_t>(max_threads) * static_cast<std::size_t>(nb));
  const double* mean = stats.mean.data();
  const double* ic = stats.inv_cov.data();
  const float nan = std::numeric_limits<float>::quiet_NaN();

#pragma omp parallel num_threads(max_threads)
  {
    int t = 0;
#ifdef _OPENMP
    t = omp_get_thread_num();
#endif
    double* d = work.data() + static_cast<std::size_t>(t) * static_cast<std::size_t>(nb);
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      bool ok = true;
      for (std::int64_t b = 0; b < nb; ++b) {
        const float v = bands[b].data[i];
        if (std::isnan(v)) {
          ok = false;
          break;
        }
        d[b] = static_cast<double>(v) - mean[b];
      }
      if (!ok) {
        out.data[i] = nan;
        continue;
      }
      double acc = 0.0;
      for (std::int64_t r = 0; r < nb; ++r) {
        double row = 0.0;
        for (std::int64_t c = 0; c < nb; ++c)
          row += ic[r * nb + c] * d[c];
        acc += d[r] * row;
      }
      out.data[i] = static_cast<float>(std::max(0.0, acc));
    }
  }
  return Status::Ok();
}

} // namespace prospector::kernels
