#include "kernels/log_transform.hpp"

#include <cmath>
#include <limits>

namespace prospector::kernels {

Status log10_transform(const float* in, float* out, std::int64_t n, const LogParams& params,
                       std::int64_t& n_nonpositive) {
  n_nonpositive = 0;
  if (n < 0) return Status::Invalid("log10_transform: negative length");
  if (n > 0 && (in == nullptr || out == nullptr)) return Status::Invalid("log10_transform: null array");
  if (!std::isfinite(params.offset)) return Status::Invalid("log10_transform: offset must be finite");

  const double offset = params.offset;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::int64_t bad = 0;
  // Integer reduction: exact, so the count does not depend on the thread count.
#pragma omp parallel for schedule(static) reduction(+ : bad)
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = in[i];
    const double x = static_cast<double>(v) + offset;
    if (x > 0.0) {
      out[i] = static_cast<float>(std::log10(x));
    } else {
      if (std::isfinite(v)) ++bad;
      out[i] = nan;
    }
  }
  n_nonpositive = bad;
  return Status::Ok();
}

} // namespace prospector::kernels
