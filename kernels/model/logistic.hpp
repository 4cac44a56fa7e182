#pragma once
/// \file logistic.hpp
/// Kernel family `model.logistic`: L2-regularised logistic regression fitted by Newton's method (IRLS) on
/// training samples, and its prediction over a stack of grids (data-driven prospectivity).

#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// Parameters of `model.logistic_fit`.
struct LogisticParams {
  /// L2 penalty. The objective minimised is
  ///   (1/N) sum_i [log(1 + exp(eta_i)) - y_i eta_i] + (lambda / 2) sum_{f>=1} beta_f^2
  /// over the N used samples, with eta = beta_0 + sum_f beta_f z_f and z the standardised features, so
  /// lambda acts on standardised coefficients and does not scale with N; the intercept beta_0 is not
  /// penalised. lambda > 0 keeps the coefficients finite on separable data. Must be >= 0.
  double lambda = 1e-4;
  double tolerance = 1e-8; ///< converged when the largest change of a standardised coefficient is below
  std::int32_t max_iterations = 100; ///< Newton iterations at most (>= 1)
};

/// A fitted model.
///
/// Features are standardised internally: z_f = (x_f - mean_f) / scale_f with the mean and the population
/// standard deviation of feature f over the used samples (scale 1 for a constant feature, whose centred
/// value is then 0 and whose coefficient is 0 when lambda > 0). `coef_std` are the coefficients on z;
/// `coefficients` the same model on the raw features: p = 1 / (1 + exp(-(c_0 + sum_f c_f x_f))).
struct LogisticModel {
  std::int64_t n_features = 0;
  std::vector<double> mean;         ///< n_features
  std::vector<double> scale;        ///< n_features
  std::vector<double> coef_std;     ///< 1 + n_features: intercept, then one per feature (standardised)
  std::vector<double> coefficients; ///< 1 + n_features: intercept, then one per feature (raw units)
  std::int64_t samples = 0;         ///< samples used (rows without NaN)
  std::int64_t skipped = 0;         ///< rows skipped because a feature was NaN
  std::int32_t iterations = 0;      ///< Newton iterations done
  bool converged = false;           ///< tolerance reached within max_iterations
  double objective = 0.0;           ///< final value of the penalised objective above
};

/// Gathers training rows from a stack of n_features grids (same shape) at the given cell indices:
/// x[s * n_features + f] = grids[f] at cells[s]. Returns Invalid for an index outside the grids.
Status logistic_gather(const ConstGridView* grids, std::int64_t n_features, const std::int64_t* cells,
                       std::int64_t n_samples, double* x);

/// Fits the model on n_samples rows: x is row-major, one row of n_features values per sample
/// (x[s * n_features + f]); labels[s] is 0 or 1 (else Invalid). Rows with a NaN feature are skipped; both
/// labels must occur among the used rows. Newton's method with a backtracking line search on the
/// objective (halving the step until it decreases), solving each Newton system with an LDLT factorisation.
/// Sums over samples are taken per fixed block of rows and combined in block order: results are
/// deterministic and bit-identical for any thread count. Returns Invalid on bad arguments or when the
/// Hessian is singular (only possible with lambda = 0); a fit that reaches max_iterations returns Ok with
/// converged = false. O(iterations * N * n_features^2).
Status logistic_fit(const double* x, std::int64_t n_features, std::int64_t n_samples,
                    const std::uint8_t* labels, const LogisticParams& params, LogisticModel& out);

/// out = predicted probability at every cell of a stack of n_features grids (the model's feature order);
/// NaN where any feature is NaN. OpenMP-parallel per cell.
Status logistic_predict(const ConstGridView* grids, std::int64_t n_features, const LogisticModel& model,
                        GridView out);

} // namespace prospector::kernels
