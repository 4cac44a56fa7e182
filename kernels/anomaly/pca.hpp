#pragma once
/// \file pca.hpp
/// Kernel family `anomaly.pca`: principal component analysis of a band stack and component score grids.
///
/// Method: mean and covariance of the cells where every band is finite (double precision, two passes,
/// per-block partial sums combined in block order: bit-identical for any thread count), or a given
/// BandStatistics (e.g. the robust FAST-MCD estimate of mcd_statistics, which gives robust PCA). With
/// `matrix = Correlation` every band is first divided by its standard deviation, so the matrix analysed is
/// the correlation matrix. Eigen's SelfAdjointEigenSolver gives the eigenpairs; they are ordered by
/// decreasing eigenvalue.
///
/// Sign convention: eigenvectors are only defined up to sign. Each one is flipped so that its entry of
/// largest absolute value is positive; when two entries tie in absolute value (to 1e-12 relative) the one
/// with the lower band index decides. Scores: score_k = sum_b v_bk (x_b - mean_b) / scale_b, with scale_b = 1
/// (covariance) or the band's standard deviation (correlation). A cell with any band not finite gets NaN in
/// every score grid.

#include "kernels/anomaly/rx.hpp"
#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// Which matrix is decomposed.
enum class PcaMatrix {
  Covariance,  ///< bands in their own units: bands with large variance dominate
  Correlation, ///< bands standardised first: for bands in different units (default)
};

/// Parameters of `anomaly.pca`.
struct PcaParams {
  PcaMatrix matrix = PcaMatrix::Correlation;
  std::int64_t components = 3; ///< score grids the caller computes with pca_scores (at most the bands)
};

/// A fitted PCA.
struct PcaModel {
  std::int64_t bands = 0;
  std::int64_t count = 0;          ///< cells used (every band finite), or the statistics' count
  std::vector<double> mean;        ///< per band
  std::vector<double> scale;       ///< per band: 1 or the standard deviation
  std::vector<double> eigenvalues; ///< decreasing: variance of each component's scores
  std::vector<double> explained;   ///< eigenvalue / sum of eigenvalues
  std::vector<double> vectors;     ///< bands x bands row-major: vectors[b * bands + k] = v_bk
};

/// Fits the PCA on the cells where every band is finite (covariance divisor count - 1, as band_statistics).
/// Returns Invalid for bad arguments, fewer than 2 valid cells or (Correlation) a band with zero variance.
Status pca_fit(const ConstGridView* bands, std::int64_t n_bands, const PcaParams& params, PcaModel& out);

/// Fits the PCA from given statistics (mean and cov of `stats`), e.g. the robust MCD estimate.
Status pca_fit_statistics(const BandStatistics& stats, const PcaParams& params, PcaModel& out);

/// Writes the scores of the first `n_out` components (n_out <= bands) into `out[0..n_out)`, each a grid of
/// the bands' shape. OpenMP-parallel over cells; no scratch needed. out must not alias the bands.
Status pca_scores(const ConstGridView* bands, std::int64_t n_bands, const PcaModel& model,
                  const GridView* out, std::int64_t n_out);

} // namespace prospector::kernels
