#pragma once
/// \file fastmath.hpp
/// Float exp, log and atan2 in plain arithmetic (no library calls, no branches), so that loops calling them
/// vectorise; the libm functions are opaque calls that keep such loops scalar. Range reductions and
/// polynomials are those of the Cephes library (S. L. Moshier), accurate to about 1-2 ulp over the ranges
/// below. The results are a fixed function of the input (no fused multiply-adds, -ffp-contract=off), the
/// same on every machine and in every build of a kernel.

#include "kernels/cpu_dispatch.hpp"

#include <cstdint>
#include <cstring>
#include <limits>

namespace prospector::kernels::fastmath {

/// e^x for float x; 0 below -87.3 (where e^x leaves the normal range), +inf above 88.7, NaN for NaN.
PROSPECTOR_ALWAYS_INLINE inline float exp_f(float x) {
  const bool nan = !(x == x);
  const float lo = -87.33654f, hi = 88.72283f;
  const float xc = nan ? 0.0f : (x < lo ? lo : (x > hi ? hi : x));
  const float fx = xc * 1.44269504088896341f + 0.5f;
  const auto ti = static_cast<std::int32_t>(fx);                     // truncation toward zero ...
  const std::int32_t n = ti - (static_cast<float>(ti) > fx ? 1 : 0); // ... made a floor
  const float nf = static_cast<float>(n);
  const float r = (xc - nf * 0.693359375f) - nf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  // 2^n in two factors, so that n = 128 (x near 88.7) stays representable.
  const std::int32_t n1 = n / 2, n2 = n - n1;
  const std::int32_t b1 = (n1 + 127) << 23, b2 = (n2 + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, sizeof s1);
  std::memcpy(&s2, &b2, sizeof s2);
  const float y = p * s1 * s2;
  const float inf = std::numeric_limits<float>::infinity();
  // Selects of constants and a product rather than selects of y: GCC if-converts these in AVX2/AVX-512
  // builds too (it would not vectorise the nested select of y there). Bit-identical for non-NaN x.
  const float keep = x < lo ? 0.0f : (x > hi ? inf : 1.0f);
  const float bad = nan ? x : 0.0f;
  return y * keep + bad;
}

/// Natural logarithm of float x: NaN for x < 0, x = 0 or NaN (the kernels treat all of them as invalid),
/// +inf for +inf; subnormal x handled.
PROSPECTOR_ALWAYS_INLINE inline float log_f(float x) {
  const float tiny = 1.17549435e-38f; // FLT_MIN
  const bool sub = x < tiny;
  const float xs = sub ? x * 8388608.0f : x; // 2^23
  std::int32_t bits;
  std::memcpy(&bits, &xs, sizeof bits);
  std::int32_t e = ((bits >> 23) & 0xff) - 127 - (sub ? 23 : 0);
  const std::int32_t mb = (bits & 0x007fffff) | 0x3f800000;
  float m;
  std::memcpy(&m, &mb, sizeof m); // [1, 2)
  const bool big = m > 1.41421356f;
  m = big ? m * 0.5f : m; // [sqrt(1/2), sqrt(2))
  e += big ? 1 : 0;
  const float t = m - 1.0f, z = t * t;
  float p = 7.0376836292e-2f;
  p = p * t - 1.1514610310e-1f;
  p = p * t + 1.1676998740e-1f;
  p = p * t - 1.2420140846e-1f;
  p = p * t + 1.4249322787e-1f;
  p = p * t - 1.6668057665e-1f;
  p = p * t + 2.0000714765e-1f;
  p = p * t - 2.4999993993e-1f;
  p = p * t + 3.3333331174e-1f;
  const float ef = static_cast<float>(e);
  float y = t * z * p + ef * -2.12194440e-4f - 0.5f * z;
  y = t + y + ef * 0.693359375f;
  // As in exp_f, selects of constants and a product and sum: y (finite for every x) times inf at +inf, plus
  // NaN where x <= 0 or NaN.
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const float keep = x == inf ? inf : 1.0f;
  const float bad = x > 0.0f ? 0.0f : nan;
  return y * keep + bad;
}

/// atan2(y, x) for x >= 0, in [-pi/2, pi/2]; atan2(0, 0) = 0.
PROSPECTOR_ALWAYS_INLINE inline float atan2_nonneg_x(float y, float x) {
  const float ay = y < 0.0f ? -y : y;
  const bool big = ay > 2.414213562373095f * x; // |y / x| > tan(3 pi / 8)
  const bool mid = !big && ay > 0.4142135623730950f * x;
  const float num = big ? -x : (mid ? ay - x : ay);
  const float den = big ? ay : (mid ? ay + x : x);
  const float t = num / (den > 0.0f ? den : 1.0f);
  const float y0 = big ? 1.5707963267948966f : (mid ? 0.7853981633974483f : 0.0f);
  const float z = t * t;
  const float p =
      (((8.05374449538e-2f * z - 1.38776856032e-1f) * z + 1.99777106478e-1f) * z - 3.33329491539e-1f) * z *
          t +
      t;
  const float r = y0 + p;
  return y < 0.0f ? -r : r;
}

} // namespace prospector::kernels::fastmath
