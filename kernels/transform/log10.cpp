#include "kernels/transform/log10.hpp"

#include "kernels/fastmath.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prospector::kernels {

namespace {
// Cells per block: the unit of the parallel loop and of the ISA dispatch.
constexpr std::int64_t kBlock = 16384;
} // namespace

Status log10_transform(const float* in, float* out, std::int64_t n, const LogParams& params,
                       std::int64_t& n_nonpositive) {
  return detail::log10_transform_isa(in, out, n, params, n_nonpositive, cpu::Isa::avx512);
}

Status detail::log10_transform_isa(const float* in, float* out, std::int64_t n, const LogParams& params,
                                   std::int64_t& n_nonpositive, cpu::Isa allowed) {
  n_nonpositive = 0;
  if (n < 0) return Status::Invalid("log10_transform: negative length");
  if (n > 0 && (in == nullptr || out == nullptr)) return Status::Invalid("log10_transform: null array");
  if (!std::isfinite(params.offset)) return Status::Invalid("log10_transform: offset must be finite");

  // In float with fastmath's log (vectorises; libm's log10 kept this loop scalar): the outputs are float, and
  // the error stays within a couple of float ulps. Elementwise, so every build gives the same bits.
  const auto offset = static_cast<float>(params.offset);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float log10e = 0.43429448190325182f;
  const float fmax = std::numeric_limits<float>::max();
  const cpu::Isa isa = cpu::widest(allowed);
  const std::int64_t blocks = (n + kBlock - 1) / kBlock;
  std::int64_t bad = 0;
  // Integer reduction: exact, so the count does not depend on the thread count.
#pragma omp parallel for schedule(static) reduction(+ : bad)
  for (std::int64_t b = 0; b < blocks; ++b) {
    std::int64_t block_bad = 0;
    cpu::run(isa, b * kBlock, std::min(n, (b + 1) * kBlock),
             [=, &block_bad](std::int64_t i0, std::int64_t i1) PROSPECTOR_ALWAYS_INLINE {
               // Local restrict copies: stores through out could otherwise alias the closure's members.
               const float* __restrict src = in;
               float* __restrict dst = out;
               std::int64_t count = 0;
#pragma omp simd reduction(+ : count)
               for (std::int64_t i = i0; i < i1; ++i) {
                 const float v = src[i];
                 const float x = v + offset;
                 const bool ok = x > 0.0f;
                 dst[i] = ok ? fastmath::log_f(x) * log10e : nan;
                 count += (!ok && std::fabs(v) <= fmax) ? 1 : 0;
               }
               block_bad = count;
             });
    bad += block_bad;
  }
  n_nonpositive = bad;
  return Status::Ok();
}

} // namespace prospector::kernels
