#include "kernels/geochem/substitute_censored.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prospector::kernels {

namespace {

const float kNaNf = std::numeric_limits<float>::quiet_NaN();

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Inverse standard normal CDF for p in (0, 1). Newton steps on Phi(x) - p (Phi via erfc keeps relative
// accuracy in the lower tail), falling back to bisection whenever a step leaves the bracket.
double normal_quantile(double p) {
  if (p > 0.5) return -normal_quantile(1.0 - p);
  if (p == 0.5) return 0.0;
  double lo = -40.0, hi = 0.0;
  double x = -std::sqrt(-2.0 * std::log(p));
  for (int it = 0; it < 200; ++it) {
    const double f = normal_cdf(x) - p;
    if (f < 0.0)
      lo = x;
    else
      hi = x;
    const double dens = std::exp(-0.5 * x * x) / 2.5066282746310002 /* sqrt(2 pi) */;
    double next = dens > 0.0 ? x - f / dens : 0.5 * (lo + hi);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (std::abs(next - x) <= 1e-15 * std::max(1.0, std::abs(x))) return next;
    x = next;
  }
  return x;
}

} // namespace

Status substitute_censored(const float* values, const std::uint8_t* censored, std::int64_t n,
                           const CensoredParams& params, CensoredScratch& scratch, float* out,
                           CensoredReport& report) {
  if (n < 0 || (n > 0 && (values == nullptr || censored == nullptr || out == nullptr)))
    return Status::Invalid("substitute_censored: invalid arrays");
  if (params.method != CensoredMethod::HalfDl && params.method != CensoredMethod::DlSqrt2Over2 &&
      params.method != CensoredMethod::Ros)
    return Status::Invalid("substitute_censored: unknown method");
  report = CensoredReport{};

  auto valid = [&](std::int64_t i) { return std::isfinite(values[i]) && values[i] > 0.0f; };
  for (std::int64_t i = 0; i < n; ++i) {
    if (!valid(i))
      ++report.invalid;
    else if (censored[i] != 0)
      ++report.censored;
    else
      ++report.detected;
  }

  bool ros = params.method == CensoredMethod::Ros;
  if (ros && (report.detected < std::max<std::int64_t>(2, params.min_detected))) {
    ros = false;
    report.ros_fallback = true;
  }

  if (!ros) {
    const double factor = params.method == CensoredMethod::DlSqrt2Over2 ? std::sqrt(2.0) / 2.0 : 0.5;
    for (std::int64_t i = 0; i < n; ++i) {
      if (!valid(i))
        out[i] = kNaNf;
      else if (censored[i] != 0)
        out[i] = static_cast<float>(static_cast<double>(values[i]) * factor);
      else
        out[i] = values[i];
    }
    return Status::Ok();
  }

  // ---- Robust ROS. order = detected indices sorted by (value, index), then censored by (limit, index).
  const std::int64_t nd = report.detected, nc = report.censored;
  auto& order = scratch.order;
  order.clear();
  for (std::int64_t i = 0; i < n; ++i)
    if (valid(i) && censored[i] == 0) order.push_back(i);
  for (std::int64_t i = 0; i < n; ++i)
    if (valid(i) && censored[i] != 0) order.push_back(i);
  auto by_value = [&](std::int64_t a, std::int64_t b) {
    return values[a] < values[b] || (values[a] == values[b] && a < b);
  };
  std::sort(order.begin(), order.begin() + nd, by_value);
  std::sort(order.begin() + nd, order.end(), by_value);

  // Distinct limits DL_1..DL_m in dl[1..m]; dl[0] = 0 and dl[m+1] = +inf bound the intervals.
  auto& dl = scratch.dl;
  dl.assign(1, 0.0);
  for (std::int64_t k = nd; k < nd + nc; ++k) {
    const double v = values[order[k]];
    if (dl.size() == 1 || dl.back() != v) dl.push_back(v);
  }
  const std::int64_t m = static_cast<std::int64_t>(dl.size()) - 1;
  dl.push_back(std::numeric_limits<double>::infinity());

  // counts: A_j at [j], B_j at [m+1+j], C_j at [2(m+1)+j] for j = 0..m.
  auto& cnt = scratch.counts;
  cnt.assign(static_cast<std::size_t>(3 * (m + 1)), 0);
  std::int64_t* A = cnt.data();
  std::int64_t* B = A + (m + 1);
  std::int64_t* C = B + (m + 1);
  {
    std::int64_t j = 0;
    for (std::int64_t k = 0; k < nd; ++k) { // detected ascending: advance the interval index
      const double v = values[order[k]];
      while (j < m && v >= dl[j + 1])
        ++j;
      ++A[j];
    }
    std::int64_t below_det = 0, cens_le = 0, kd = 0, kc = nd;
    for (std::int64_t jj = 1; jj <= m; ++jj) {
      while (kd < nd && values[order[kd]] < dl[jj]) {
        ++below_det;
        ++kd;
      }
      while (kc < nd + nc && values[order[kc]] <= dl[jj]) {
        ++cens_le;
        if (values[order[kc]] == dl[jj]) ++C[jj];
        ++kc;
      }
      B[jj] = below_det + cens_le;
    }
  }

  // Exceedance probabilities pe_j, j = m+1 down to 0, stored after the limits in the same buffer.
  std::vector<double>& z = scratch.z;
  z.assign(static_cast<std::size_t>(nd + nc), 0.0);
  dl.resize(static_cast<std::size_t>(2 * (m + 2)));
  double* pe = dl.data() + (m + 2);
  pe[m + 1] = 0.0;
  for (std::int64_t j = m; j >= 0; --j) {
    const double ab = static_cast<double>(A[j] + B[j]);
    const double ratio = ab > 0.0 ? static_cast<double>(A[j]) / ab : 0.0;
    pe[j] = pe[j + 1] + ratio * (1.0 - pe[j + 1]);
  }

  // Plotting positions -> normal quantiles. Detected, interval by interval in ascending order.
  {
    std::int64_t k = 0;
    for (std::int64_t j = 0; j <= m; ++j)
      for (std::int64_t r = 1; r <= A[j]; ++r, ++k) {
        const double p =
            (1.0 - pe[j]) + (pe[j] - pe[j + 1]) * static_cast<double>(r) / static_cast<double>(A[j] + 1);
        z[static_cast<std::size_t>(k)] = normal_quantile(p);
      }
    for (std::int64_t j = 1; j <= m; ++j)
      for (std::int64_t r = 1; r <= C[j]; ++r, ++k) {
        const double p = (1.0 - pe[j]) * static_cast<double>(r) / static_cast<double>(C[j] + 1);
        z[static_cast<std::size_t>(k)] = normal_quantile(p);
      }
  }

  // OLS of ln(detected) on z, two-pass.
  double mz = 0.0, my = 0.0;
  for (std::int64_t k = 0; k < nd; ++k) {
    mz += z[k];
    my += std::log(static_cast<double>(values[order[k]]));
  }
  mz /= static_cast<double>(nd);
  my /= static_cast<double>(nd);
  double szz = 0.0, szy = 0.0;
  for (std::int64_t k = 0; k < nd; ++k) {
    const double dz = z[k] - mz;
    szz += dz * dz;
    szy += dz * (std::log(static_cast<double>(values[order[k]])) - my);
  }
  const double slope = szz > 0.0 ? szy / szz : 0.0;
  const double intercept = my - slope * mz;
  report.ros_used = true;
  report.ros_intercept = intercept;
  report.ros_slope = slope;

  // Censored outputs are computed before any write because out may alias values.
  for (std::int64_t k = nd; k < nd + nc; ++k) {
    const double limit = values[order[k]];
    z[k] = std::min(limit, std::exp(intercept + slope * z[k]));
  }
  for (std::int64_t i = 0; i < n; ++i)
    if (!valid(i))
      out[i] = kNaNf;
    else if (censored[i] == 0)
      out[i] = values[i];
  for (std::int64_t k = nd; k < nd + nc; ++k)
    out[order[k]] = static_cast<float>(z[k]);
  return Status::Ok();
}

} // namespace prospector::kernels
