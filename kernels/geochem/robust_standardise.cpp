#include "kernels/geochem/robust_standardise.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prospector::kernels {

namespace {

const float kNaNf = std::numeric_limits<float>::quiet_NaN();

template <typename T> void ensure_size(std::vector<T>& v, std::size_t n) {
  if (v.size() < n) v.resize(n);
}

// Median of v[0..n) (reorders it); even counts take the mean of the two middle values.
double median_inplace(double* v, std::size_t n) {
  const std::size_t mid = n / 2;
  std::nth_element(v, v + mid, v + n);
  const double upper = v[mid];
  if (n % 2 == 1) return upper;
  return 0.5 * (*std::max_element(v, v + mid) + upper);
}

} // namespace

Status robust_standardise(const VariablesView& in, const RobustStandardiseParams& params,
                          RobustStandardiseScratch& scratch, const VariablesOut& out,
                          RobustStandardiseResult& result) {
  const std::int64_t m = in.vars();
  if (Status s = detail::check_variables_io(in, out, m, "robust_standardise"); !s.ok) return s;
  if (std::isnan(params.min_scale) || params.min_scale < 0.0)
    return Status::Invalid("robust_standardise: min_scale must be >= 0");
  const std::int64_t n = in.n;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  result.median.assign(static_cast<std::size_t>(m), nan);
  result.mad.assign(static_cast<std::size_t>(m), nan);
  result.scale.assign(static_cast<std::size_t>(m), nan);
  result.count.assign(static_cast<std::size_t>(m), 0);
  ensure_size(scratch.values, static_cast<std::size_t>(n));

  for (std::int64_t j = 0; j < m; ++j) {
    const float* src = in.var[static_cast<std::size_t>(j)];
    const std::int64_t st = in.stride;
    double* buf = scratch.values.data();
    std::size_t cnt = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const float v = src[i * st];
      if (std::isfinite(v)) buf[cnt++] = v;
    }
    result.count[j] = static_cast<std::int64_t>(cnt);
    if (cnt > 0) {
      const double med = median_inplace(buf, cnt);
      for (std::size_t k = 0; k < cnt; ++k)
        buf[k] = std::abs(buf[k] - med);
      const double mad = median_inplace(buf, cnt);
      result.median[j] = med;
      result.mad[j] = mad;
      result.scale[j] = 1.4826 * mad;
    }
    const double med = result.median[j], scale = result.scale[j];
    const bool flat = cnt > 0 && scale < params.min_scale;
    float* dst = out.var[static_cast<std::size_t>(j)];
    const std::int64_t ost = out.stride;
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      const float v = src[i * st];
      if (!std::isfinite(v))
        dst[i * ost] = kNaNf;
      else
        dst[i * ost] = flat ? 0.0f : static_cast<float>((static_cast<double>(v) - med) / scale);
    }
  }
  return Status::Ok();
}

} // namespace prospector::kernels
