#pragma once
/// \file mcd.hpp
/// Kernel family `anomaly.mcd`: robust mean and covariance of a band stack by FAST-MCD (Rousseeuw & Van
/// Driessen 1999, Technometrics 41:212-223); its chi-square helpers are in stats/chi_square.hpp.
///
/// The Minimum Covariance Determinant estimator looks for the h cells whose sample covariance has the
/// smallest determinant. Cells far from the bulk (a shifted cluster of anomalous cells, for example) cannot
/// pull it, so the Mahalanobis distances computed from it (mahalanobis_apply) flag them reliably where the
/// classical covariance is inflated by them (masking).
///
/// Algorithm, as run here:
/// 1. Valid cells are those where every band is finite. h = floor(2 n2 - n + 2 alpha (n - n2)) with
///    n2 = floor((n + p + 1) / 2) (n valid cells, p bands), so alpha = 0.5 gives the maximal-breakdown
///    h = n2 and alpha = 1 gives h = n (the robustbase convention).
/// 2. Search set: all valid cells when n <= max_search; otherwise a deterministic stratified random sample
///    of m = max_search valid cells: the valid cells are ranked 0..n-1 in raster order, split into the m
///    strata [floor(k n / m), floor((k + 1) n / m)), and one rank is drawn uniformly in each stratum by the
///    seeded generator. This spreads the sample over the whole grid without aliasing with any regular
///    pattern.
/// 3. `starts` random elemental starts on the search set: p + 1 distinct cells drawn by the generator
///    (a start's stream depends only on `seed` and the start number), extended by one random cell at a time
///    while their covariance is singular; two C-steps each. A C-step takes the h_m cells (h for the search
///    set size) with the smallest Mahalanobis distances under the current (mean, covariance) and replaces
///    them by the mean and covariance of those cells; its determinant never increases.
/// 4. The `keep` starts with the smallest determinant (ties: lower start number) are iterated with C-steps
///    until the determinant decreases by less than 1e-8 relative (ln det by less than 1e-8) or `max_csteps`;
///    the best is the raw solution on the search set.
/// 5. When the search set is a sample, C-steps continue on all valid cells (with h) until the same
///    convergence criterion or `max_csteps` (typically 10-15 steps; each costs about 0.45 s per 4 M cells of
///    5 bands on 2 cores, mostly the distances, the moments and a sequential selection of the h-th distance).
/// 6. Raw estimate: mean and covariance (divisor h) of the final h-subset, the covariance multiplied by the
///    consistency factor c = (h/n) / F_{p+2}(q), q = F_p^-1(h/n) (Croux & Haesbroeck 1999; F_k = chi-square
///    CDF with k degrees of freedom), which makes it unbiased for normal data.
/// 7. Reweighting: cells whose squared distance under the raw estimate is <= F_p^-1(reweight_quantile)
///    (0.975) get weight 1, others 0; the final mean and covariance (divisor: the number of weighted cells)
///    are those of the weighted cells, the covariance multiplied by c = quantile / F_{p+2}(F_p^-1(quantile)),
///    again for consistency at the normal model. Reported in a BandStatistics usable by
///    mahalanobis_apply, with inv_cov from a Cholesky factorisation after the same relative ridge as
///    band_statistics.
///
/// Selecting the h smallest distances: the h-th smallest value t is found by selection; all cells with
/// distance < t are taken and the remaining places go to cells with distance == t in ascending cell order
/// (search set: ascending sample order), so the subset is unique. Sums are per-block partials combined in
/// block order, the search runs each start on its own stream and keeps results per start, so the estimate is
/// bit-identical for any thread count.
///
/// An exact fit (h or more cells on a hyperplane: a singular h-subset covariance, e.g. a band that is
/// constant over half the grid) returns Invalid. Cost: O(starts * m * p^2) for the search plus
/// O(n * p^2) per full-data C-step and for the reweighting; scratch O(n) doubles.

#include "kernels/anomaly/rx.hpp"
#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// Parameters of `anomaly.mcd`.
struct McdParams {
  double alpha = 0.5;               ///< coverage in [0.5, 1]: 0.5 = h = floor((n + p + 1) / 2)
  std::int64_t starts = 500;        ///< random elemental starts
  std::int64_t keep = 10;           ///< best starts iterated to convergence
  std::int64_t max_csteps = 100;    ///< C-step limit per refinement
  std::int64_t max_search = 1500;   ///< search on a deterministic sample of this many valid cells
  std::uint64_t seed = 20240917;    ///< seed of the SplitMix64 generator
  double reweight_quantile = 0.975; ///< chi-square quantile of the reweighting cutoff
  double ridge = 1e-9;              ///< diagonal load for inv_cov, relative to the mean variance
};

/// Diagnostics of an MCD fit.
struct McdInfo {
  std::int64_t valid = 0;        ///< cells with every band finite (n)
  std::int64_t h = 0;            ///< size of the raw subset on all valid cells
  std::int64_t search_cells = 0; ///< m, cells used in the random-start search
  std::int64_t full_csteps = 0;  ///< C-steps run on all valid cells (0 when the search used them all)
  std::int64_t inliers = 0;      ///< cells kept by the reweighting
  double raw_log_det = 0.0;      ///< ln det of the raw h-subset covariance (divisor h, before the factor)
  double raw_factor = 1.0;       ///< consistency factor of the raw covariance
  double reweight_factor = 1.0;  ///< consistency factor of the reweighted covariance
  std::vector<double> raw_mean;  ///< p
  std::vector<double> raw_cov;   ///< p x p, consistency-corrected
};

/// Reusable buffers; they grow to 2 doubles per cell on first use and are reused. Buffers of the search
/// (O(threads * max_search + starts * p^2)) are allocated per call.
struct McdScratch {
  std::vector<double> dist;   ///< per-cell squared distances (NaN for invalid cells)
  std::vector<double> select; ///< copy of the valid distances for selection
  std::vector<double> sample; ///< search set, m x p
};

/// FAST-MCD mean and covariance of the bands (see the file comment). `out` can be passed to
/// mahalanobis_apply; out.count is the number of valid cells, out.cov the reweighted, consistency-corrected
/// covariance. Returns Invalid for bad arguments, fewer than 2 (p + 1) valid cells, or an exact fit.
Status mcd_statistics(const ConstGridView* bands, std::int64_t n_bands, const McdParams& params,
                      McdScratch& scratch, BandStatistics& out, McdInfo& info);

} // namespace prospector::kernels
