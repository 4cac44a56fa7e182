#pragma once
/// \file rx.hpp
/// Kernel family `anomaly.rx`: multivariate Mahalanobis distance (Reed-Xiaoli anomaly detector).

#include "kernels/cpu_dispatch.hpp"
#include "kernels/views.hpp"

#include <vector>

namespace prospector::kernels {

/// Mean vector and covariance matrix of a band stack (band-major: cov[i*bands+j]).
struct BandStatistics {
  std::int64_t bands = 0;
  std::int64_t count = 0; ///< cells where every band is valid
  std::vector<double> mean;
  std::vector<double> cov;     ///< sample covariance (divisor count - 1)
  std::vector<double> inv_cov; ///< inverse of cov (from a Cholesky factorisation)
};

/// Parameters of `anomaly.rx`.
struct RxParams {
  double ridge = 1e-9; ///< added to the diagonal, relative to the mean variance, to keep cov invertible
};

/// Estimates mean and covariance over cells where all bands are valid, in double precision with a reduction
/// order that does not depend on the thread count. Returns Invalid when fewer than bands+1 cells are valid
/// or the covariance is singular even after the ridge.
Status band_statistics(const ConstGridView* bands, std::int64_t n_bands, const RxParams& params,
                       BandStatistics& out);

/// out = squared Mahalanobis distance (x - mean)^T inv_cov (x - mean) per cell; NaN where any band is NaN.
/// For multivariate normal data this follows a chi-square distribution with `bands` degrees of freedom.
/// Computed as |L^T (x - mean)|^2 with inv_cov = L L^T (Cholesky, in double; the differences x - mean
/// against the mean split into two floats, as precise as in double), the triangular product and the sum of
/// squares in float, sixteen cells at a time in vector registers (an AVX2 build of that loop is chosen at run
/// time where the CPU has it; without fused multiply-adds it gives the same bits as the baseline one):
/// relative error about 1e-7 times the condition number of L. Bit-identical for any thread count and tiling.
/// Allocates a small buffer per thread (bands x 256 bytes) per call. Invalid when inv_cov is not positive
/// definite. The bands are read side by side: bands whose starts are equal modulo 4 KiB (separate
/// page-aligned allocations) share first-level cache sets and run about 1.4x slower with 8 bands; lay them
/// out a few cache lines apart modulo 4 KiB (the pipeline's score stage does).
Status mahalanobis_apply(const ConstGridView* bands, std::int64_t n_bands, const BandStatistics& stats,
                         GridView out);

namespace detail {
/// mahalanobis_apply with its inner loop built for at most `allowed` (it has a baseline and an AVX2 build);
/// for the test that both builds give the same bits.
Status mahalanobis_apply_isa(const ConstGridView* bands, std::int64_t n_bands, const BandStatistics& stats,
                             GridView out, cpu::Isa allowed);
} // namespace detail

} // namespace prospector::kernels
