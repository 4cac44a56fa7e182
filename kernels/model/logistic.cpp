// Eigen only solves the small (features + 1)^2 Newton systems; its own threading would tie the blocking of
// larger products to the thread count, so keep it sequential.
#ifndef EIGEN_DONT_PARALLELIZE
#define EIGEN_DONT_PARALLELIZE
#endif

#include "kernels/model/logistic.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>

namespace prospector::kernels {

namespace {

// Rows per reduction block: boundaries depend only on the sample count and partials are combined in block
// order, which fixes the floating-point summation order for every thread count.
constexpr std::int64_t kBlockRows = 4096;

inline bool row_valid(const double* row, std::int64_t p) {
  for (std::int64_t f = 0; f < p; ++f)
    if (std::isnan(row[f])) return false;
  return true;
}

// log(1 + exp(eta)) without overflow.
inline double softplus(double eta) {
  return eta > 0.0 ? eta + std::log1p(std::exp(-eta)) : std::log1p(std::exp(eta));
}

inline double sigmoid(double eta) {
  if (eta >= 0.0) return 1.0 / (1.0 + std::exp(-eta));
  const double e = std::exp(eta);
  return e / (1.0 + e);
}

struct Problem {
  const double* x;
  const std::uint8_t* labels;
  std::int64_t p;    // features
  std::int64_t rows; // all rows, including skipped ones
  std::int64_t used;
  const double* mean;
  const double* inv_scale;
  double lambda;
};

inline double linear(const Problem& pr, const double* row, const double* beta) {
  double eta = beta[0];
  for (std::int64_t f = 0; f < pr.p; ++f)
    eta += beta[f + 1] * ((row[f] - pr.mean[f]) * pr.inv_scale[f]);
  return eta;
}

double penalty(const Problem& pr, const double* beta) {
  double s = 0.0;
  for (std::int64_t f = 1; f <= pr.p; ++f)
    s += beta[f] * beta[f];
  return 0.5 * pr.lambda * s;
}

// Penalised objective; with grad/hess non-null also its gradient and Hessian (dense, (p+1)^2).
// `part` is the per-block scratch.
double evaluate(const Problem& pr, const double* beta, std::vector<double>& part, double* grad,
                double* hess) {
  const std::int64_t q = pr.p + 1;
  const bool derivs = grad != nullptr;
  const std::int64_t width = derivs ? 1 + q + q * q : 1;
  const std::int64_t n_blocks = (pr.rows + kBlockRows - 1) / kBlockRows;
  part.assign(static_cast<std::size_t>(n_blocks * width), 0.0);
#pragma omp parallel for schedule(static)
  for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
    const std::int64_t r0 = blk * kBlockRows, r1 = std::min(pr.rows, r0 + kBlockRows);
    double* acc = part.data() + blk * width;
    for (std::int64_t r = r0; r < r1; ++r) {
      const double* row = pr.x + r * pr.p;
      if (!row_valid(row, pr.p)) continue;
      const double y = pr.labels[r] != 0 ? 1.0 : 0.0;
      const double eta = linear(pr, row, beta);
      acc[0] += softplus(eta) - y * eta;
      if (!derivs) continue;
      const double mu = sigmoid(eta);
      const double res = mu - y, w = mu * (1.0 - mu);
      double* g = acc + 1;
      double* h = acc + 1 + q;
      // Upper triangle only; mirrored after the reduction.
      for (std::int64_t a = 0; a < q; ++a) {
        const double za = a == 0 ? 1.0 : (row[a - 1] - pr.mean[a - 1]) * pr.inv_scale[a - 1];
        g[a] += res * za;
        const double wza = w * za;
        for (std::int64_t b = a; b < q; ++b) {
          const double zb = b == 0 ? 1.0 : (row[b - 1] - pr.mean[b - 1]) * pr.inv_scale[b - 1];
          h[a * q + b] += wza * zb;
        }
      }
    }
  }
  double loss = 0.0;
  if (derivs) {
    std::fill(grad, grad + q, 0.0);
    std::fill(hess, hess + q * q, 0.0);
  }
  for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
    const double* acc = part.data() + blk * width;
    loss += acc[0];
    if (!derivs) continue;
    for (std::int64_t a = 0; a < q; ++a)
      grad[a] += acc[1 + a];
    for (std::int64_t a = 0; a < q; ++a)
      for (std::int64_t b = a; b < q; ++b)
        hess[a * q + b] += acc[1 + q + a * q + b];
  }
  const double inv_n = 1.0 / static_cast<double>(pr.used);
  if (derivs) {
    for (std::int64_t a = 0; a < q; ++a) {
      grad[a] *= inv_n;
      if (a > 0) grad[a] += pr.lambda * beta[a];
      for (std::int64_t b = a; b < q; ++b) {
        hess[a * q + b] *= inv_n;
        hess[b * q + a] = hess[a * q + b];
      }
      if (a > 0) hess[a * q + a] += pr.lambda;
    }
  }
  return loss * inv_n + penalty(pr, beta);
}

} // namespace

Status logistic_gather(const ConstGridView* grids, std::int64_t n_features, const std::int64_t* cells,
                       std::int64_t n_samples, double* x) {
  if (n_features < 1 || grids == nullptr) return Status::Invalid("logistic_gather: need at least one grid");
  if (n_samples < 0) return Status::Invalid("logistic_gather: negative sample count");
  if (n_samples > 0 && (cells == nullptr || x == nullptr))
    return Status::Invalid("logistic_gather: null array");
  const std::int64_t n = grids[0].size();
  for (std::int64_t f = 0; f < n_features; ++f)
    if (grids[f].nx != grids[0].nx || grids[f].ny != grids[0].ny || (grids[f].data == nullptr && n > 0))
      return Status::Invalid("logistic_gather: grids differ in shape or are null");
  for (std::int64_t s = 0; s < n_samples; ++s)
    if (cells[s] < 0 || cells[s] >= n)
      return Status::Invalid("logistic_gather: cell index outside the grids");
  for (std::int64_t s = 0; s < n_samples; ++s)
    for (std::int64_t f = 0; f < n_features; ++f)
      x[s * n_features + f] = static_cast<double>(grids[f].data[cells[s]]);
  return Status::Ok();
}

Status logistic_fit(const double* x, std::int64_t n_features, std::int64_t n_samples,
                    const std::uint8_t* labels, const LogisticParams& params, LogisticModel& out) {
  if (n_features < 1) return Status::Invalid("logistic_fit: need at least one feature");
  if (n_samples < 1 || x == nullptr || labels == nullptr) return Status::Invalid("logistic_fit: no samples");
  if (!(params.lambda >= 0.0) || !std::isfinite(params.lambda))
    return Status::Invalid("logistic_fit: lambda must be finite and >= 0");
  if (!(params.tolerance > 0.0) || !std::isfinite(params.tolerance))
    return Status::Invalid("logistic_fit: tolerance must be finite and > 0");
  if (params.max_iterations < 1) return Status::Invalid("logistic_fit: max_iterations must be >= 1");

  const std::int64_t p = n_features, q = p + 1;
  std::int64_t used = 0, positives = 0;
  for (std::int64_t r = 0; r < n_samples; ++r) {
    if (labels[r] > 1) return Status::Invalid("logistic_fit: labels must be 0 or 1");
    const double* row = x + r * p;
    for (std::int64_t f = 0; f < p; ++f)
      if (std::isinf(row[f])) return Status::Invalid("logistic_fit: infinite feature value");
    if (!row_valid(row, p)) continue;
    ++used;
    positives += labels[r];
  }
  if (positives == 0 || positives == used)
    return Status::Invalid("logistic_fit: both labels (0 and 1) must occur among the rows without NaN");

  // Standardisation: block partial sums in block order (two passes: mean, then centred squares).
  const std::int64_t n_blocks = (n_samples + kBlockRows - 1) / kBlockRows;
  std::vector<double> part(static_cast<std::size_t>(n_blocks * p), 0.0);
  std::vector<double> mean(static_cast<std::size_t>(p), 0.0), scale(static_cast<std::size_t>(p), 0.0);
  for (int pass = 0; pass < 2; ++pass) {
    std::fill(part.begin(), part.end(), 0.0);
#pragma omp parallel for schedule(static)
    for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
      const std::int64_t r0 = blk * kBlockRows, r1 = std::min(n_samples, r0 + kBlockRows);
      double* acc = part.data() + blk * p;
      for (std::int64_t r = r0; r < r1; ++r) {
        const double* row = x + r * p;
        if (!row_valid(row, p)) continue;
        for (std::int64_t f = 0; f < p; ++f) {
          const double v = pass == 0 ? row[f] : (row[f] - mean[f]) * (row[f] - mean[f]);
          acc[f] += v;
        }
      }
    }
    std::vector<double>& dst = pass == 0 ? mean : scale;
    for (std::int64_t blk = 0; blk < n_blocks; ++blk)
      for (std::int64_t f = 0; f < p; ++f)
        dst[f] += part[blk * p + f];
    for (auto& v : dst)
      v /= static_cast<double>(used);
  }
  std::vector<double> inv_scale(static_cast<std::size_t>(p));
  for (std::int64_t f = 0; f < p; ++f) {
    scale[f] = std::sqrt(scale[f]);
    // A constant feature (up to rounding) carries no information; scale 1 keeps its centred value at ~0.
    if (!(scale[f] > 1e-12 * std::max(1.0, std::fabs(mean[f])))) scale[f] = 1.0;
    inv_scale[f] = 1.0 / scale[f];
  }

  const Problem pr{x, labels, p, n_samples, used, mean.data(), inv_scale.data(), params.lambda};
  // Start from the intercept-only model: the log-odds of the label frequency.
  std::vector<double> beta(static_cast<std::size_t>(q), 0.0), trial(static_cast<std::size_t>(q));
  beta[0] = std::log(static_cast<double>(positives) / static_cast<double>(used - positives));
  std::vector<double> grad(static_cast<std::size_t>(q)), hess(static_cast<std::size_t>(q * q)), scratch;
  Eigen::VectorXd step(q);

  double obj = evaluate(pr, beta.data(), scratch, grad.data(), hess.data());
  std::int32_t it = 0;
  bool converged = false;
  while (it < params.max_iterations) {
    const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> h(
        hess.data(), q, q);
    const Eigen::Map<const Eigen::VectorXd> g(grad.data(), q);
    Eigen::LDLT<Eigen::MatrixXd> ldlt(h);
    if (ldlt.info() != Eigen::Success || !(ldlt.vectorD().array() > 0.0).all())
      return Status::Invalid("logistic_fit: singular Hessian (collinear features? use lambda > 0)");
    step = -ldlt.solve(g);
    if (!step.allFinite()) return Status::Invalid("logistic_fit: singular Hessian (use lambda > 0)");
    ++it;

    const double max_step = step.cwiseAbs().maxCoeff();
    double t = 1.0, obj_new = obj;
    bool accepted = false;
    if (max_step < params.tolerance) {
      for (std::int64_t a = 0; a < q; ++a)
        beta[a] += step[a];
      converged = true;
    } else {
      // Backtracking (Armijo) line search; the descent slope g.step is negative for a positive-definite H.
      const double slope = g.dot(step);
      for (int halvings = 0; halvings < 60; ++halvings) {
        for (std::int64_t a = 0; a < q; ++a)
          trial[a] = beta[a] + t * step[a];
        obj_new = evaluate(pr, trial.data(), scratch, nullptr, nullptr);
        if (obj_new <= obj + 1e-4 * t * slope) {
          accepted = true;
          break;
        }
        t *= 0.5;
      }
      if (!accepted) {
        // No decrease representable in double: the current point is optimal to rounding.
        converged = true;
      } else {
        beta.swap(trial);
        if (t * max_step < params.tolerance) converged = true;
      }
    }
    obj = evaluate(pr, beta.data(), scratch, grad.data(), hess.data());
    if (converged) break;
  }

  out.n_features = p;
  out.mean = mean;
  out.scale = scale;
  out.coef_std = beta;
  out.coefficients.assign(static_cast<std::size_t>(q), 0.0);
  out.coefficients[0] = beta[0];
  for (std::int64_t f = 0; f < p; ++f) {
    out.coefficients[f + 1] = beta[f + 1] * inv_scale[f];
    out.coefficients[0] -= beta[f + 1] * inv_scale[f] * mean[f];
  }
  out.samples = used;
  out.skipped = n_samples - used;
  out.iterations = it;
  out.converged = converged;
  out.objective = obj;
  for (double c : out.coefficients)
    if (!std::isfinite(c)) return Status::Invalid("logistic_fit: coefficients diverged (use lambda > 0)");
  return Status::Ok();
}

Status logistic_predict(const ConstGridView* grids, std::int64_t n_features, const LogisticModel& model,
                        GridView out) {
  if (n_features < 1 || grids == nullptr) return Status::Invalid("logistic_predict: need at least one grid");
  if (model.n_features != n_features || static_cast<std::int64_t>(model.mean.size()) != n_features ||
      static_cast<std::int64_t>(model.scale.size()) != n_features ||
      static_cast<std::int64_t>(model.coef_std.size()) != n_features + 1)
    return Status::Invalid("logistic_predict: model does not match the number of grids");
  const std::int64_t n = out.size();
  if (out.nx < 0 || out.ny < 0 || (out.data == nullptr && n > 0))
    return Status::Invalid("logistic_predict: invalid output grid");
  for (std::int64_t f = 0; f < n_features; ++f)
    if (grids[f].nx != out.nx || grids[f].ny != out.ny || (grids[f].data == nullptr && n > 0))
      return Status::Invalid("logistic_predict: grids differ in shape from the output");

  const double* beta = model.coef_std.data();
  const double* mean = model.mean.data();
  const double* scale = model.scale.data();
  const float nan = std::numeric_limits<float>::quiet_NaN();
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    double eta = beta[0];
    bool ok = true;
    for (std::int64_t f = 0; f < n_features; ++f) {
      const float v = grids[f].data[i];
      if (std::isnan(v)) {
        ok = false;
        break;
      }
      eta += beta[f + 1] * ((static_cast<double>(v) - mean[f]) * (1.0 / scale[f])); // as in the fit
    }
    out.data[i] = ok ? static_cast<float>(sigmoid(eta)) : nan;
  }
  return Status::Ok();
}

} // namespace prospector::kernels
