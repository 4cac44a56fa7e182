#include "kernels/log_transform.hpp"

#include "kernels/fastmath.hpp"

#include <cmath>
#include <limits>

namespace prospector::kernels {

Status log10_transform(const float* in, float* out, std::int64_t n, const LogParams& params,
                       std::int64_t& n_nonpositive) {
  n_nonpositive = 0;
  if (n < 0) return Status::Invalid("log10_transform: negative length");
  if (n > 0 && (in == nullptr || out == nullptr)) return Status::Invalid("log10_transform: null array");
  if (!std::isfinite(params.offset)) return Status::Invalid("log10_transform: offset must be finite");

  // In float with fastmath's log (vectorises; libm's log10 kept this loop scalar): the outputs are float, and
  // the error stays within a couple of float ulps.
  const auto offset = static_cast<float>(params.offset);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float log10e = 0.43429448190325182f;
  const float fmax = std::numeric_limits<float>::max();
  std::int64_t bad = 0;
  // Integer reduction: exact, so the count does not depend on the thread count.
#pragma omp parallel for simd schedule(static) reduction(+ : bad)
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = in[i];
    const float x = v + offset;
    const bool ok = x > 0.0f;
    out[i] = ok ? fastmath::log_f(x) * log10e : nan;
    bad += (!ok && std::fabs(v) <= fmax) ? 1 : 0;
  }
  n_nonpositive = bad;
  return Status::Ok();
}

} // namespace prospector::kernels
