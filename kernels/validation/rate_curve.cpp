#include "kernels/validation/rate_curve.hpp"

#include "kernels/openmp_util.hpp"

#include <algorithm>
#include <cmath>

namespace prospector::kernels {

namespace {

// std::lower_bound without data-dependent branches: the scores are random with respect to the deposit
// values, so a branchy search mispredicts about half of its steps, which dominated the cost per cell.
inline std::int64_t lower_bound_branchless(const float* a, std::int64_t len, float v) {
  if (len == 0) return 0;
  const float* base = a;
  while (len > 1) {
    const std::int64_t half = len / 2;
    base += static_cast<std::int64_t>(base[half - 1] < v) * half; // arithmetic, not a branch
    len -= half;
  }
  return (base - a) + (*base < v ? 1 : 0);
}

void push_point(RateCurve& c, double x, double y) {
  if (!c.area_fraction.empty() && c.area_fraction.back() == x && c.deposit_fraction.back() == y) return;
  c.area_fraction.push_back(x);
  c.deposit_fraction.push_back(y);
}

} // namespace

Status rate_curve(const float* score, std::int64_t n, const std::int64_t* deposit_cells,
                  std::int64_t n_deposits, RateCurveScratch& scratch, RateCurve& out) {
  if (n < 0 || n_deposits < 0) return Status::Invalid("rate_curve: negative length");
  if ((n > 0 && score == nullptr) || (n_deposits > 0 && deposit_cells == nullptr))
    return Status::Invalid("rate_curve: null array");

  auto& u = scratch.scores;
  u.clear();
  std::int64_t ignored = 0;
  for (std::int64_t d = 0; d < n_deposits; ++d) {
    const std::int64_t c = deposit_cells[d];
    if (c < 0 || c >= n) return Status::Invalid("rate_curve: deposit cell index outside the grid");
    if (std::isnan(score[c])) {
      ++ignored;
      continue;
    }
    u.push_back(score[c]);
  }
  const std::int64_t m = static_cast<std::int64_t>(u.size());
  if (m == 0) return Status::Invalid("rate_curve: no deposit on a cell with a valid score");
  std::sort(u.begin(), u.end());
  // Deposits per distinct score, then the distinct scores themselves (ascending).
  std::vector<std::int64_t> dep_eq;
  {
    std::int64_t k = 0;
    for (std::int64_t j = 0; j < m;) {
      std::int64_t j1 = j + 1;
      while (j1 < m && u[j1] == u[j])
        ++j1;
      u[k++] = u[j];
      dep_eq.push_back(j1 - j);
      j = j1;
    }
    u.resize(static_cast<std::size_t>(k));
  }
  const std::int64_t n_distinct = static_cast<std::int64_t>(u.size());

  // Bins: 2i = scores strictly between u[i-1] and u[i] (2K = above the largest), 2i+1 = scores equal to u[i].
  const std::int64_t n_bins = 2 * n_distinct + 1;
  const int nt = max_threads();
  scratch.hist.assign(static_cast<std::size_t>(nt) * static_cast<std::size_t>(n_bins), 0);
  const float* ub = u.data();
#pragma omp parallel num_threads(nt)
  {
    const int t = thread_id();
    std::int64_t* h = scratch.hist.data() + static_cast<std::int64_t>(t) * n_bins;
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      const float s = score[i];
      if (std::isnan(s)) continue;
      const std::int64_t pos = lower_bound_branchless(ub, n_distinct, s);
      h[(pos < n_distinct && ub[pos] == s) ? 2 * pos + 1 : 2 * pos] += 1;
    }
  }
  for (int t = 1; t < nt; ++t)
    for (std::int64_t b = 0; b < n_bins; ++b)
      scratch.hist[b] += scratch.hist[t * n_bins + b];
  const std::int64_t* hist = scratch.hist.data();
  std::int64_t valid = 0;
  for (std::int64_t b = 0; b < n_bins; ++b)
    valid += hist[b];

  out.area_fraction.clear();
  out.deposit_fraction.clear();
  out.valid_cells = valid;
  out.deposits = m;
  out.deposits_ignored = ignored;
  const double inv_cells = 1.0 / static_cast<double>(valid), inv_dep = 1.0 / static_cast<double>(m);
  std::int64_t cells = 0, deps = 0;
  push_point(out, 0.0, 0.0);
  for (std::int64_t i = n_distinct - 1; i >= 0; --i) {
    cells += hist[2 * (i + 1)];
    push_point(out, static_cast<double>(cells) * inv_cells, static_cast<double>(deps) * inv_dep);
    cells += hist[2 * i + 1];
    deps += dep_eq[i];
    push_point(out, static_cast<double>(cells) * inv_cells, static_cast<double>(deps) * inv_dep);
  }
  cells += hist[0];
  push_point(out, static_cast<double>(cells) * inv_cells, 1.0);

  double auc = 0.0;
  for (std::size_t j = 1; j < out.area_fraction.size(); ++j)
    auc += (out.area_fraction[j] - out.area_fraction[j - 1]) *
           (0.5 * (out.deposit_fraction[j] + out.deposit_fraction[j - 1]));
  out.auc = auc;
  return Status::Ok();
}

Status capture_efficiency(const RateCurve& curve, const double* area_fractions, std::int64_t n_fractions,
                          double* captured) {
  const auto& x = curve.area_fraction;
  const auto& y = curve.deposit_fraction;
  if (x.size() < 2 || x.size() != y.size()) return Status::Invalid("capture_efficiency: empty curve");
  if (n_fractions < 0 || (n_fractions > 0 && (area_fractions == nullptr || captured == nullptr)))
    return Status::Invalid("capture_efficiency: invalid arrays");
  for (std::int64_t j = 0; j < n_fractions; ++j) {
    const double a = area_fractions[j];
    if (!(a >= 0.0 && a <= 1.0))
      return Status::Invalid("capture_efficiency: area fractions must be in [0, 1]");
    // Last point with x <= a; the curve is linear from there to the next point.
    const std::size_t k = static_cast<std::size_t>(std::upper_bound(x.begin(), x.end(), a) - x.begin()) - 1;
    if (k + 1 >= x.size() || x[k] == a) {
      captured[j] = y[k];
    } else {
      const double f = (a - x[k]) / (x[k + 1] - x[k]);
      captured[j] = y[k] + f * (y[k + 1] - y[k]);
    }
  }
  return Status::Ok();
}

} // namespace prospector::kernels
