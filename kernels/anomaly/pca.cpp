// The eigen-decomposition is of a tiny bands x bands matrix outside any parallel region; keep Eigen
// sequential so its blocking never depends on the thread count.
#ifndef EIGEN_DONT_PARALLELIZE
#define EIGEN_DONT_PARALLELIZE
#endif

#include "kernels/anomaly/pca.hpp"

#include <Eigen/Core>
#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <limits>

namespace prospector::kernels {

namespace {

constexpr std::int64_t kBlockCells = 16384;

Status check_bands(const ConstGridView* bands, std::int64_t n_bands, const char* who) {
  if (n_bands < 1 || bands == nullptr) return Status::Invalid(std::string(who) + ": need at least one band");
  for (std::int64_t b = 0; b < n_bands; ++b) {
    if (bands[b].nx != bands[0].nx || bands[b].ny != bands[0].ny || bands[b].nx < 0 || bands[b].ny < 0)
      return Status::Invalid(std::string(who) + ": bands differ in shape");
    if (bands[b].data == nullptr && bands[b].size() > 0)
      return Status::Invalid(std::string(who) + ": null band data");
  }
  return Status::Ok();
}

inline bool all_finite(const ConstGridView* bands, std::int64_t nb, std::int64_t i) {
  for (std::int64_t b = 0; b < nb; ++b)
    if (!std::isfinite(bands[b].data[i])) return false;
  return true;
}

Status decompose(std::int64_t nb, std::int64_t count, const std::vector<double>& mean,
                 const std::vector<double>& cov, const PcaParams& params, PcaModel& out) {
  if (params.matrix != PcaMatrix::Covariance && params.matrix != PcaMatrix::Correlation)
    return Status::Invalid("pca: unknown matrix");
  for (double c : cov)
    if (!std::isfinite(c)) return Status::Invalid("pca: non-finite covariance");
  std::vector<double> scale(static_cast<std::size_t>(nb), 1.0);
  if (params.matrix == PcaMatrix::Correlation)
    for (std::int64_t b = 0; b < nb; ++b) {
      const double var = cov[b * nb + b];
      if (!(var > 0.0)) return Status::Invalid("pca: a band has zero variance (use the covariance matrix)");
      scale[b] = std::sqrt(var);
    }
  Eigen::MatrixXd a(nb, nb);
  for (std::int64_t r = 0; r < nb; ++r)
    for (std::int64_t c = 0; c < nb; ++c)
      a(r, c) = cov[r * nb + c] / (scale[r] * scale[c]);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(a);
  if (es.info() != Eigen::Success) return Status::Invalid("pca: eigen-decomposition failed");

  out.bands = nb;
  out.count = count;
  out.mean = mean;
  out.scale = scale;
  out.eigenvalues.assign(static_cast<std::size_t>(nb), 0.0);
  out.explained.assign(static_cast<std::size_t>(nb), 0.0);
  out.vectors.assign(static_cast<std::size_t>(nb * nb), 0.0);
  double total = 0.0;
  for (std::int64_t k = 0; k < nb; ++k) {
    // Eigen sorts ascending; component k is column nb - 1 - k. Rounding can leave a tiny negative value
    // for a rank-deficient matrix, which is clamped to 0.
    const std::int64_t src = nb - 1 - k;
    out.eigenvalues[k] = std::max(0.0, es.eigenvalues()(src));
    total += out.eigenvalues[k];
    std::int64_t pivot = 0;
    double best = -1.0;
    for (std::int64_t b = 0; b < nb; ++b) {
      const double v = std::abs(es.eigenvectors()(b, src));
      if (v > best * (1.0 + 1e-12)) {
        best = v;
        pivot = b;
      }
    }
    const double sign = es.eigenvectors()(pivot, src) < 0.0 ? -1.0 : 1.0;
    for (std::int64_t b = 0; b < nb; ++b)
      out.vectors[b * nb + k] = sign * es.eigenvectors()(b, src);
  }
  for (std::int64_t k = 0; k < nb; ++k)
    out.explained[k] = total > 0.0 ? out.eigenvalues[k] / total : 0.0;
  return Status::Ok();
}

} // namespace

Status pca_fit(const ConstGridView* bands, std::int64_t n_bands, const PcaParams& params, PcaModel& out) {
  if (Status s = check_bands(bands, n_bands, "pca_fit"); !s.ok) return s;
  const std::int64_t nb = n_bands, n = bands[0].size();
  const std::int64_t blocks = (n + kBlockCells - 1) / kBlockCells;
  const std::int64_t pairs = nb * (nb + 1) / 2;

  std::vector<double> part(static_cast<std::size_t>(blocks * std::max(nb, pairs)), 0.0);
  std::vector<std::int64_t> part_count(static_cast<std::size_t>(blocks), 0);
#pragma omp parallel for schedule(static)
  for (std::int64_t blk = 0; blk < blocks; ++blk) {
    double* acc = part.data() + blk * nb;
    std::int64_t c = 0;
    for (std::int64_t i = blk * kBlockCells; i < std::min(n, (blk + 1) * kBlockCells); ++i) {
      if (!all_finite(bands, nb, i)) continue;
      ++c;
      for (std::int64_t b = 0; b < nb; ++b)
        acc[b] += bands[b].data[i];
    }
    part_count[static_cast<std::size_t>(blk)] = c;
  }
  std::int64_t count = 0;
  std::vector<double> mean(static_cast<std::size_t>(nb), 0.0);
  for (std::int64_t blk = 0; blk < blocks; ++blk) {
    count += part_count[static_cast<std::size_t>(blk)];
    for (std::int64_t b = 0; b < nb; ++b)
      mean[b] += part[blk * nb + b];
  }
  if (count < 2) return Status::Invalid("pca_fit: fewer than 2 cells with every band valid");
  for (auto& m : mean)
    m /= static_cast<double>(count);

  std::fill(part.begin(), part.end(), 0.0);
#pragma omp parallel for schedule(static)
  for (std::int64_t blk = 0; blk < blocks; ++blk) {
    double* acc = part.data() + blk * pairs;
    for (std::int64_t i = blk * kBlockCells; i < std::min(n, (blk + 1) * kBlockCells); ++i) {
      if (!all_finite(bands, nb, i)) continue;
      std::int64_t k = 0;
      for (std::int64_t a = 0; a < nb; ++a) {
        const double da = bands[a].data[i] - mean[a];
        for (std::int64_t b = a; b < nb; ++b)
          acc[k++] += da * (bands[b].data[i] - mean[b]);
      }
    }
  }
  std::vector<double> cov(static_cast<std::size_t>(nb * nb), 0.0);
  std::int64_t k = 0;
  for (std::int64_t a = 0; a < nb; ++a)
    for (std::int64_t b = a; b < nb; ++b, ++k) {
      double sum = 0.0;
      for (std::int64_t blk = 0; blk < blocks; ++blk)
        sum += part[blk * pairs + k];
      cov[a * nb + b] = sum / static_cast<double>(count - 1);
      cov[b * nb + a] = cov[a * nb + b];
    }
  return decompose(nb, count, mean, cov, params, out);
}

Status pca_fit_statistics(const BandStatistics& stats, const PcaParams& params, PcaModel& out) {
  const std::int64_t nb = stats.bands;
  if (nb < 1 || static_cast<std::int64_t>(stats.mean.size()) != nb ||
      static_cast<std::int64_t>(stats.cov.size()) != nb * nb)
    return Status::Invalid("pca_fit_statistics: inconsistent statistics");
  for (double m : stats.mean)
    if (!std::isfinite(m)) return Status::Invalid("pca_fit_statistics: non-finite mean");
  return decompose(nb, stats.count, stats.mean, stats.cov, params, out);
}

Status pca_scores(const ConstGridView* bands, std::int64_t n_bands, const PcaModel& model,
                  const GridView* out, std::int64_t n_out) {
  if (Status s = check_bands(bands, n_bands, "pca_scores"); !s.ok) return s;
  const std::int64_t nb = n_bands;
  if (model.bands != nb || static_cast<std::int64_t>(model.mean.size()) != nb ||
      static_cast<std::int64_t>(model.scale.size()) != nb ||
      static_cast<std::int64_t>(model.vectors.size()) != nb * nb)
    return Status::Invalid("pca_scores: model does not match the band count");
  if (n_out < 0 || n_out > nb || (n_out > 0 && out == nullptr))
    return Status::Invalid("pca_scores: n_out must be in [0, bands]");
  for (std::int64_t k = 0; k < n_out; ++k)
    if (out[k].nx != bands[0].nx || out[k].ny != bands[0].ny || (out[k].data == nullptr && out[k].size() > 0))
      return Status::Invalid("pca_scores: output shape differs from the bands");

  const std::int64_t n = bands[0].size();
  const double* mean = model.mean.data();
  const double* scale = model.scale.data();
  const double* v = model.vectors.data();
  const float nan = std::numeric_limits<float>::quiet_NaN();
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    if (!all_finite(bands, nb, i)) {
      for (std::int64_t k = 0; k < n_out; ++k)
        out[k].data[i] = nan;
      continue;
    }
    for (std::int64_t k = 0; k < n_out; ++k) {
      double s = 0.0;
      for (std::int64_t b = 0; b < nb; ++b)
        s += v[b * nb + k] * ((static_cast<double>(bands[b].data[i]) - mean[b]) / scale[b]);
      out[k].data[i] = static_cast<float>(s);
    }
  }
  return Status::Ok();
}

} // namespace prospector::kernels
