#include "kernels/stats/merged.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace prospector::kernels {

namespace {

// Inverse of the order-preserving map from float bits to unsigned keys (negative values reversed).
float float_of(std::uint32_t k) {
  const std::uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

std::int64_t count_le(const SortedRun* runs, std::int64_t n_runs, float v) {
  std::int64_t c = 0;
  for (std::int64_t r = 0; r < n_runs; ++r)
    c += std::upper_bound(runs[r].data, runs[r].data + runs[r].n, v) - runs[r].data;
  return c;
}

// Number of values x with |x - m| <= t, the deviation computed in double as |x - m|. Rounded subtraction is
// monotone, so on each side of m the values within t form one contiguous range of the sorted run.
std::int64_t count_within(const SortedRun* runs, std::int64_t n_runs, double m, double t) {
  std::int64_t c = 0;
  for (std::int64_t r = 0; r < n_runs; ++r) {
    const float* b = runs[r].data;
    const float* e = b + runs[r].n;
    const float* mid =
        std::lower_bound(b, e, m, [](float x, double v) { return static_cast<double>(x) < v; });
    const float* lo = std::partition_point(b, mid, [&](float x) { return m - static_cast<double>(x) > t; });
    const float* hi = std::partition_point(mid, e, [&](float x) { return static_cast<double>(x) - m <= t; });
    c += hi - lo;
  }
  return c;
}

// Smallest non-negative double t with count_within(t) >= k + 1: the k-th smallest |x - m|.
double kth_deviation(const SortedRun* runs, std::int64_t n_runs, double m, std::int64_t k) {
  // Non-negative doubles order like their bit patterns.
  std::uint64_t lo = 0, hi = 0x7ff0000000000000ull; // +inf
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    double t;
    std::memcpy(&t, &mid, sizeof t);
    if (count_within(runs, n_runs, m, t) >= k + 1)
      hi = mid;
    else
      lo = mid + 1;
  }
  double t;
  std::memcpy(&t, &lo, sizeof t);
  return t;
}

} // namespace

std::int64_t total_count(const SortedRun* runs, std::int64_t n_runs) {
  std::int64_t n = 0;
  for (std::int64_t r = 0; r < n_runs; ++r)
    n += runs[r].n;
  return n;
}

Status kth_smallest(const SortedRun* runs, std::int64_t n_runs, std::int64_t k, float& out) {
  const std::int64_t n = total_count(runs, n_runs);
  if (k < 0 || k >= n) return Status::Invalid("kth_smallest: rank out of range");
  // Keys below -inf's and above +inf's decode to NaNs, which no comparison counts: search between the
  // infinities.
  std::uint32_t lo = 0x007fffffu, hi = 0xff800000u;
  while (lo < hi) {
    const std::uint32_t mid = lo + (hi - lo) / 2;
    if (count_le(runs, n_runs, float_of(mid)) >= k + 1)
      hi = mid;
    else
      lo = mid + 1;
  }
  out = float_of(lo);
  return Status::Ok();
}

Status merged_robust_location(const SortedRun* runs, std::int64_t n_runs, RobustLocation& out) {
  const std::int64_t n = total_count(runs, n_runs);
  if (n == 0) return Status::Invalid("merged_robust_location: no valid value");
  float a = 0, b = 0;
  if (Status st = kth_smallest(runs, n_runs, n / 2, b); !st.ok) return st;
  double med = b;
  if (n % 2 == 0) {
    if (Status st = kth_smallest(runs, n_runs, n / 2 - 1, a); !st.ok) return st;
    med = 0.5 * (static_cast<double>(a) + static_cast<double>(b));
  }
  double mad = kth_deviation(runs, n_runs, med, n / 2);
  if (n % 2 == 0) mad = 0.5 * (kth_deviation(runs, n_runs, med, n / 2 - 1) + mad);
  out.median = med;
  out.mad = mad;
  out.scale = 1.4826 * mad;
  out.count = n;
  return Status::Ok();
}

std::int64_t top_fraction_rank(double top_fraction, std::int64_t count) {
  const double p = top_fraction * static_cast<double>(count);
  const double nearest = std::round(p);
  const double kd = std::abs(p - nearest) <= 1e-9 * std::max(1.0, p) ? nearest : std::ceil(p);
  return std::clamp<std::int64_t>(static_cast<std::int64_t>(kd), 1, std::max<std::int64_t>(count, 1));
}

Status merged_top_fraction_threshold(const SortedRun* runs, std::int64_t n_runs, double top_fraction,
                                     double& threshold) {
  if (!(top_fraction > 0.0 && top_fraction <= 1.0))
    return Status::Invalid("merged_top_fraction_threshold: top_fraction must be in (0, 1]");
  const std::int64_t n = total_count(runs, n_runs);
  if (n == 0) return Status::Invalid("merged_top_fraction_threshold: no valid value");
  const std::int64_t k = top_fraction_rank(top_fraction, n);
  float v = 0;
  if (Status st = kth_smallest(runs, n_runs, n - k, v); !st.ok) return st;
  threshold = v;
  return Status::Ok();
}

} // namespace prospector::kernels
