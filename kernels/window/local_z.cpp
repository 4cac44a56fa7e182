#include "kernels/window/local_z.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prospector::kernels {

Status moving_window_stats(ConstGridView in, const LocalZParams& params, WindowScratch& scratch,
                           WindowOutputs out) {
  if (in.nx < 0 || in.ny < 0 || (in.data == nullptr && in.size() > 0))
    return Status::Invalid("moving_window_stats: invalid grid view");
  if (params.radius < 1) return Status::Invalid("moving_window_stats: radius must be >= 1");
  if (params.min_count < 0) return Status::Invalid("moving_window_stats: min_count must be >= 0");
  if (std::isnan(params.min_std) || params.min_std < 0.0)
    return Status::Invalid("moving_window_stats: min_std must be >= 0");

  const std::int64_t n = in.size();
  const float* src = in.data;
  // min and max are exact, so this reduction does not depend on the thread count.
  float lo = std::numeric_limits<float>::infinity(), hi = -std::numeric_limits<float>::infinity();
#pragma omp parallel for simd schedule(static) reduction(min : lo) reduction(max : hi)
  for (std::int64_t i = 0; i < n; ++i) {
    // A NaN compares false and leaves both unchanged; this form is what minps/maxps compute (vectorised).
    const float v = src[i];
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  if (std::isinf(lo) && lo > 0) lo = hi = 0.0f; // no valid cell: every output is NaN anyway
  if (!std::isfinite(lo) || !std::isfinite(hi))
    return Status::Invalid("moving_window_stats: the grid holds an infinite value (make it nodata first)");

  ExactWindowParams p;
  p.radius = params.radius;
  p.min_count = params.min_count;
  p.min_std = params.min_std;
  // Both exact in double: float sums and halves.
  p.shift = 0.5 * (static_cast<double>(lo) + static_cast<double>(hi));
  p.scale = fixed_point_scale(0.5 * (static_cast<double>(hi) - static_cast<double>(lo)));
  Status s = exact_window_stats(in, p, scratch.exact, out.mean, out.std, out.z);
  if (!s.ok) return Status::Invalid("moving_window_stats: " + s.message);
  return Status::Ok();
}

} // namespace prospector::kernels
