#include "kernels/fuzzy/fuzzy.hpp"

#include "kernels/openmp_util.hpp"

#include "kernels/fastmath.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace prospector::kernels {

namespace {

// As min and max (the same values, NaN kept): GCC vectorises those in the AVX2/AVX-512 builds, and the nested
// select of a computed value there not.
PROSPECTOR_ALWAYS_INLINE inline double clamp01(double v) { return std::min(std::max(v, 0.0), 1.0); }
PROSPECTOR_ALWAYS_INLINE inline float clamp01f(float v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); }

// Cells per block of the layer loops; each thread keeps its block's running sums in a small buffer.
constexpr std::int64_t kBlock = 512;

// Cells per block of the elementwise loops: the unit of the parallel loop and of the ISA dispatch.
constexpr std::int64_t kApplyBlock = 16384;

// out[i] = clamp01(f(in[i])), NaN kept, in float with fastmath's exp/log: branch-free, so it vectorises, in
// the widest build `isa` allows (f must be a PROSPECTOR_ALWAYS_INLINE lambda). Elementwise, so every build
// gives the same bits.
template <typename F> void apply(const float* in, float* out, std::int64_t n, cpu::Isa isa, F f) {
  const std::int64_t blocks = (n + kApplyBlock - 1) / kApplyBlock;
#pragma omp parallel for schedule(static)
  for (std::int64_t b = 0; b < blocks; ++b)
    cpu::run(isa, b * kApplyBlock, std::min(n, (b + 1) * kApplyBlock),
             [=](std::int64_t i0, std::int64_t i1) PROSPECTOR_ALWAYS_INLINE {
               // Local restrict copies: stores through out could otherwise alias the closures' members.
               const float* __restrict src = in;
               float* __restrict dst = out;
               const F g = f;
#pragma omp simd
               for (std::int64_t i = i0; i < i1; ++i) {
                 const float v = src[i];
                 const float r = clamp01f(g(v == v ? v : 0.0f));
                 dst[i] = v == v ? r : v;
               }
             });
}

} // namespace

Status membership(const float* in, float* out, std::int64_t n, const MembershipParams& p) {
  return detail::membership_isa(in, out, n, p, cpu::Isa::avx512);
}

Status detail::membership_isa(const float* in, float* out, std::int64_t n, const MembershipParams& p,
                              cpu::Isa allowed) {
  const cpu::Isa isa = cpu::widest(allowed);
  if (n < 0) return Status::Invalid("membership: negative length");
  if (n > 0 && (in == nullptr || out == nullptr)) return Status::Invalid("membership: null array");

  switch (p.shape) {
  case MembershipShape::Linear: {
    if (!std::isfinite(p.low) || !std::isfinite(p.high) || p.low == p.high)
      return Status::Invalid("membership: linear needs finite low != high");
    // One formula covers both directions: with low > high the slope is negative and the clamp flips the ramp.
    const auto low = static_cast<float>(p.low), inv = static_cast<float>(1.0 / (p.high - p.low));
    apply(in, out, n, isa, [=](float x) PROSPECTOR_ALWAYS_INLINE { return (x - low) * inv; });
    return Status::Ok();
  }
  case MembershipShape::Large: {
    if (!(p.midpoint > 0.0) || !std::isfinite(p.midpoint) || !(p.spread > 0.0) || !std::isfinite(p.spread))
      return Status::Invalid("membership: large needs midpoint > 0 and spread > 0");
    const auto inv_mid = static_cast<float>(1.0 / p.midpoint), s = static_cast<float>(p.spread);
    // (x / mid)^-s = exp(-s ln(x / mid)); exp_f saturates to 0 / inf, so the sigmoid ends at 1 / 0.
    apply(in, out, n, isa,
          [=](float x) PROSPECTOR_ALWAYS_INLINE { // evaluated for every x, selected after: no branch
            const float y =
                1.0f / (1.0f + fastmath::exp_f(-s * fastmath::log_f((x > 0.0f ? x : 1.0f) * inv_mid)));
            return x > 0.0f ? y : 0.0f;
          });
    return Status::Ok();
  }
  case MembershipShape::Small: {
    if (!(p.midpoint > 0.0) || !std::isfinite(p.midpoint) || !(p.spread > 0.0) || !std::isfinite(p.spread))
      return Status::Invalid("membership: small needs midpoint > 0 and spread > 0");
    const auto inv_mid = static_cast<float>(1.0 / p.midpoint), s = static_cast<float>(p.spread);
    apply(in, out, n, isa, [=](float x) PROSPECTOR_ALWAYS_INLINE {
      const float y = 1.0f / (1.0f + fastmath::exp_f(s * fastmath::log_f((x > 0.0f ? x : 1.0f) * inv_mid)));
      return x > 0.0f ? y : 1.0f;
    });
    return Status::Ok();
  }
  case MembershipShape::Logistic: {
    if (!std::isfinite(p.midpoint) || !std::isfinite(p.spread))
      return Status::Invalid("membership: logistic needs finite midpoint and spread");
    const auto mid = static_cast<float>(p.midpoint), s = static_cast<float>(p.spread);
    apply(in, out, n, isa,
          [=](float x) PROSPECTOR_ALWAYS_INLINE { return 1.0f / (1.0f + fastmath::exp_f(-s * (x - mid))); });
    return Status::Ok();
  }
  case MembershipShape::Gaussian: {
    if (!std::isfinite(p.midpoint) || !(p.spread > 0.0) || !std::isfinite(p.spread))
      return Status::Invalid("membership: gaussian needs finite midpoint and spread > 0");
    const auto mid = static_cast<float>(p.midpoint), s = static_cast<float>(p.spread);
    apply(in, out, n, isa,
          [=](float x) PROSPECTOR_ALWAYS_INLINE { return fastmath::exp_f(-s * (x - mid) * (x - mid)); });
    return Status::Ok();
  }
  }
  return Status::Invalid("membership: unknown shape");
}

Status weighted_overlay(const float* const* memberships, const double* weights, std::int64_t n_layers,
                        std::int64_t n, const OverlayParams& params, float* out) {
  return detail::weighted_overlay_isa(memberships, weights, n_layers, n, params, out, cpu::Isa::avx512);
}

Status detail::weighted_overlay_isa(const float* const* memberships, const double* weights,
                                    std::int64_t n_layers, std::int64_t n, const OverlayParams& params,
                                    float* out, cpu::Isa allowed) {
  if (n_layers < 1 || memberships == nullptr || weights == nullptr)
    return Status::Invalid("weighted_overlay: need at least one layer and its weight");
  if (n < 0) return Status::Invalid("weighted_overlay: negative length");
  if (n > 0 && out == nullptr) return Status::Invalid("weighted_overlay: null output");
  if (!(params.min_weight_fraction >= 0.0 && params.min_weight_fraction <= 1.0))
    return Status::Invalid("weighted_overlay: min_weight_fraction must be in [0, 1]");
  double total = 0.0;
  for (std::int64_t k = 0; k < n_layers; ++k) {
    if (!std::isfinite(weights[k]) || weights[k] < 0.0)
      return Status::Invalid("weighted_overlay: weights must be finite and >= 0");
    if (n > 0 && memberships[k] == nullptr) return Status::Invalid("weighted_overlay: null layer");
    total += weights[k];
  }
  if (!(total > 0.0)) return Status::Invalid("weighted_overlay: total weight is zero");

  // A hair of tolerance so that a valid fraction exactly at the limit is not lost to the rounding of the
  // sums.
  const double need = params.min_weight_fraction * total * (1.0 - 1e-12);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Layer by layer over blocks of cells, the running sums in the thread's block buffer: loops over
  // contiguous floats with selects instead of a branch per cell and layer, which vectorise. Each cell still
  // adds its layers in layer order, so the result does not depend on the blocking or the thread count.
  const int threads = max_threads();
  std::vector<double> buf(static_cast<std::size_t>(threads) * 2 * kBlock);
  const std::int64_t blocks = (n + kBlock - 1) / kBlock;
  const cpu::Isa isa = cpu::widest(allowed);
#pragma omp parallel num_threads(threads)
  {
    double* sw_t = buf.data() + static_cast<std::size_t>(thread_id()) * 2 * kBlock;
#pragma omp for schedule(static)
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t i0 = b * kBlock, len = std::min(kBlock, n - i0);
      // The block in the widest vector build; elementwise, layers in order, so every build gives the same
      // bits.
      cpu::run(isa, 0, len, [=](std::int64_t j0, std::int64_t j1) PROSPECTOR_ALWAYS_INLINE {
        double* __restrict sw = sw_t;
        double* __restrict swm = sw_t + kBlock;
        float* __restrict dst = out + i0;
        for (std::int64_t j = j0; j < j1; ++j)
          sw[j] = swm[j] = 0.0;
        for (std::int64_t k = 0; k < n_layers; ++k) {
          const float* __restrict m = memberships[k] + i0;
          const double w = weights[k];
#pragma omp simd
          for (std::int64_t j = j0; j < j1; ++j) {
            const float v = m[j];
            const bool ok = v == v;
            sw[j] += ok ? w : 0.0;
            swm[j] += ok ? w * static_cast<double>(v) : 0.0;
          }
        }
        // The weighted mean in double, then its conversion to float in a loop of its own: GCC vectorises
        // neither the select of a computed value nor, in the AVX2/AVX-512 builds, this loop with the
        // conversion in it. Constant selects and arithmetic instead (swm is never -0, so adding 0 changes
        // no bit).
        for (std::int64_t j = j0; j < j1; ++j) {
          const bool ok = (sw[j] > 0.0) & (sw[j] >= need);
          const double keep = ok ? 1.0 : 0.0;
          swm[j] = clamp01(swm[j] / (sw[j] * keep + (1.0 - keep))) + (ok ? 0.0 : static_cast<double>(nan));
        }
        for (std::int64_t j = j0; j < j1; ++j)
          dst[j] = static_cast<float>(swm[j]);
      });
    }
  }
  return Status::Ok();
}

Status fuzzy_combine(const float* const* memberships, std::int64_t n_layers, std::int64_t n, FuzzyOperator op,
                     const FuzzyCombineParams& params, float* out) {
  if (n_layers < 1 || memberships == nullptr)
    return Status::Invalid("fuzzy_combine: need at least one layer");
  if (n < 0) return Status::Invalid("fuzzy_combine: negative length");
  if (n > 0 && out == nullptr) return Status::Invalid("fuzzy_combine: null output");
  for (std::int64_t k = 0; k < n_layers; ++k)
    if (n > 0 && memberships[k] == nullptr) return Status::Invalid("fuzzy_combine: null layer");
  if (op != FuzzyOperator::And && op != FuzzyOperator::Or && op != FuzzyOperator::Product &&
      op != FuzzyOperator::Sum && op != FuzzyOperator::Gamma)
    return Status::Invalid("fuzzy_combine: unknown operator");
  if (op == FuzzyOperator::Gamma && !(params.gamma >= 0.0 && params.gamma <= 1.0))
    return Status::Invalid("fuzzy_combine: gamma must be in [0, 1]");
  const bool ignore = params.nodata == FuzzyNodata::Ignore;
  const double gamma = params.gamma;
  const float nan = std::numeric_limits<float>::quiet_NaN();
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    // All five operators follow from the min, max, product and product of complements of the valid layers.
    double lo = 1.0, hi = 0.0, prod = 1.0, coprod = 1.0;
    std::int64_t valid = 0;
    bool any_nan = false;
    for (std::int64_t k = 0; k < n_layers; ++k) {
      const float v = memberships[k][i];
      if (std::isnan(v)) {
        any_nan = true;
        continue;
      }
      const double m = clamp01(static_cast<double>(v));
      ++valid;
      lo = std::min(lo, m);
      hi = std::max(hi, m);
      prod *= m;
      coprod *= 1.0 - m;
    }
    if (valid == 0 || (any_nan && !ignore)) {
      out[i] = nan;
      continue;
    }
    double r = 0.0;
    switch (op) {
    case FuzzyOperator::And:
      r = lo;
      break;
    case FuzzyOperator::Or:
      r = hi;
      break;
    case FuzzyOperator::Product:
      r = prod;
      break;
    case FuzzyOperator::Sum:
      r = 1.0 - coprod;
      break;
    case FuzzyOperator::Gamma:
      r = std::pow(1.0 - coprod, gamma) * std::pow(prod, 1.0 - gamma);
      break;
    }
    out[i] = static_cast<float>(clamp01(r));
  }
  return Status::Ok();
}

Status category_membership(const float* in, float* out, std::int64_t n, const CategoryParams& params) {
  if (n < 0) return Status::Invalid("fuzzy.category: negative length");
  if (params.size < 0 || (params.size > 0 && !params.table))
    return Status::Invalid("fuzzy.category: the table is missing");
  for (std::int64_t k = 0; k < params.size; ++k)
    if (!(std::isnan(params.table[k]) || (params.table[k] >= 0 && params.table[k] <= 1)))
      return Status::Invalid("fuzzy.category: table entry " + std::to_string(k) + " is outside [0, 1]");
  if (!(std::isnan(params.other) || (params.other >= 0 && params.other <= 1)))
    return Status::Invalid("fuzzy.category: `other` is outside [0, 1]");
  if (n == 0) return Status::Ok();
  if (!in || !out) return Status::Invalid("fuzzy.category: null buffer");
  const double* table = params.table;
  const std::int64_t size = params.size;
  const double other = params.other;
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = in[i];
    if (std::isnan(v)) {
      out[i] = v;
      continue;
    }
    const double r = std::nearbyint(static_cast<double>(v));
    const bool hit = r == static_cast<double>(v) && r >= 0 && r < static_cast<double>(size);
    out[i] = static_cast<float>(hit ? table[static_cast<std::int64_t>(r)] : other);
  }
  return Status::Ok();
}

} // namespace prospector::kernels
