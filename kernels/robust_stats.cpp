#include "kernels/robust_stats.hpp"

#include <algorithm>
#include <cmath>

namespace prospector::kernels {

namespace {

constexpr double kMadToSigma = 1.4826;

// Median of v (reorders v). Even counts take the mean of the two middle values: after nth_element the lower
// middle is the largest element of the left partition.
double median_inplace(std::vector<float>& v) {
  const std::size_t n = v.size();
  const std::size_t mid = n / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (n % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lower + upper);
}

bool valid_view(ConstGridView g) { return g.nx >= 0 && g.ny >= 0 && (g.data != nullptr || g.size() == 0); }

} // namespace

Status robust_location(ConstGridView in, std::vector<float>& scratch, RobustLocation& out) {
  if (!valid_view(in)) return Status::Invalid("robust_location: invalid grid view");
  const std::int64_t n = in.size();
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < n; ++i)
    count += std::isnan(in.data[i]) ? 0 : 1;
  if (count == 0) return Status::Invalid("robust_location: no valid cell");

  // Sized exactly to the valid count so the caller's buffer never grows beyond what the data need.
  scratch.resize(static_cast<std::size_t>(count));
  std::size_t k = 0;
  for (std::int64_t i = 0; i < n; ++i)
    if (!std::isnan(in.data[i])) scratch[k++] = in.data[i];

  const double med = median_inplace(scratch);
  // Deviations are formed in double and only then rounded to float, so a large offset (e.g. 58000 nT) does
  // not cost more than float's relative precision on the deviation itself.
  for (auto& v : scratch)
    v = static_cast<float>(std::abs(static_cast<double>(v) - med));
  const double mad = median_inplace(scratch);

  out.median = med;
  out.mad = mad;
  out.scale = kMadToSigma * mad;
  out.count = count;
  return Status::Ok();
}

Status robust_z(ConstGridView in, const RobustLocation& loc, const RobustZParams& params, GridView out) {
  if (!valid_view(in) || !valid_view(out)) return Status::Invalid("robust_z: invalid grid view");
  if (in.nx != out.nx || in.ny != out.ny) return Status::Invalid("robust_z: input and output shapes differ");
  if (!std::isfinite(loc.median) || !std::isfinite(loc.scale) || loc.scale < 0.0)
    return Status::Invalid("robust_z: location has a non-finite median or scale");
  if (std::isnan(params.min_scale) || params.min_scale < 0.0)
    return Status::Invalid("robust_z: min_scale must be >= 0");

  const std::int64_t n = in.size();
  const float* src = in.data;
  float* dst = out.data;
  const double med = loc.median;
  const bool flat = loc.scale < params.min_scale;
  // One multiplication instead of a division per cell: the loop stays at memory speed. A NaN cell stays NaN
  // through the arithmetic, so the loop needs no branch and vectorises.
  const double inv_scale = flat ? 0.0 : 1.0 / loc.scale;
#pragma omp parallel for simd schedule(static)
  for (std::int64_t i = 0; i < n; ++i)
    dst[i] = static_cast<float>((static_cast<double>(src[i]) - med) * inv_scale);
  return Status::Ok();
}

} // namespace prospector::kernels
