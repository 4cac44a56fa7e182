#include "kernels/potential_field/transforms.hpp"

#include "kernels/fastmath.hpp"
#include "kernels/potential_field/plan_impl.hpp"
#include "kernels/potential_field/prepare.hpp"
#include "kernels/potential_field/spectral.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <string>

namespace prospector::kernels {

using namespace potential_field_detail;

namespace {

constexpr double kGravitationalConstant = 6.6743e-11; // CODATA 2018, m^3 kg^-1 s^-2

// exp(-x) for x >= 0, vectorisable (fastmath.hpp); 0 past x = 87.3, where it would leave the normal range.
inline float exp_neg(float x) { return fastmath::exp_f(-x); }

using fastmath::atan2_nonneg_x;

Status invalid(const char* name, const char* what) {
  return Status::Invalid(std::string("potential_field.") + name + ": " + what);
}

Status check(const char* name, ConstGridView in, double dx, double dy, const PotentialFieldPlan& plan,
             GridView out) {
  if (!plan.ready()) return invalid(name, "plan not initialised");
  if (in.data == nullptr || out.data == nullptr) return invalid(name, "null grid");
  if (in.nx != plan.nx() || in.ny != plan.ny() || out.nx != plan.nx() || out.ny != plan.ny())
    return invalid(name, "grid size does not match the plan");
  if (!(dx > 0.0) || !(dy > 0.0) || !std::isfinite(dx) || !std::isfinite(dy))
    return invalid(name, "cell size dx, dy must be finite and > 0");
  return Status::Ok();
}

// One operator: out = inverse(H * forward(in - trend)) + H(0) trend, the trend being the plane or the mean.
template <class Filter>
Status single(const char* name, ConstGridView in, double dx, double dy, PotentialFieldPlan& plan,
              GridView out, bool plane, const Filter& filter) {
  Status st = check(name, in, dx, dy, plan, out);
  if (!st.ok) return st;
  Impl& w = *plan.impl();
  Trend trend;
  if (!prepare(w, in, w.work.get(), plane, trend)) {
    finish(w, out, 0.0, trend); // every cell is a hole
    return Status::Ok();
  }
  columns_filtered(w, w.work.get(), w.work.get(), true, dx, dy, filter);
  const double h0 = filter(Wavenumber{0.0f, 0.0f, 0.0f}).real();
  rows_inverse(w, w.work.get(),
               [&](std::int64_t r, const float* row) { finish_row(w, r, row, out, h0, trend); });
  return Status::Ok();
}

enum class Axis { X, Y, Z };

// Spectral first derivatives: i kx, i ky and |k| (z down).
template <Axis A> struct D {
  static constexpr Axis axis = A;
  std::complex<float> operator()(const Wavenumber& k) const {
    return A == Axis::X   ? std::complex<float>(0.0f, k.kx)
           : A == Axis::Y ? std::complex<float>(0.0f, k.ky)
                          : std::complex<float>(k.k, 0.0f);
  }
  void column(float kx, const float* ky, std::int64_t n, float* re, float* im) const {
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) {
      re[i] = A == Axis::Z ? std::sqrt(kx * kx + ky[i] * ky[i]) : 0.0f;
      im[i] = A == Axis::X ? kx : A == Axis::Y ? ky[i] : 0.0f;
    }
  }
};

// First derivatives along several axes from one forward spectrum (kept in spec); `steps` combine them into
// out. The removed plane contributes its constant gradient to d/dx and d/dy and nothing to d/dz.
template <class Steps>
Status derivatives(const char* name, ConstGridView in, double dx, double dy, PotentialFieldPlan& plan,
                   GridView out, const Steps& steps) {
  Status st = check(name, in, dx, dy, plan, out);
  if (!st.ok) return st;
  Impl& w = *plan.impl();
  Trend trend;
  if (!prepare(w, in, w.spec.get(), true, trend)) {
    finish(w, out, 0.0, trend); // every cell is a hole
    return Status::Ok();
  }
  columns_forward(w, w.spec.get());
  const auto gx = static_cast<float>(trend.bu / dx), gy = static_cast<float>(-trend.bv / dy);
  // run(D<axis>{}, last, op): the last derivative filters spec in place instead of copying it.
  auto run = [&](auto derivative, bool last, auto op) {
    fftwf_complex* dst = last ? w.spec.get() : w.work.get();
    columns_filtered(w, w.spec.get(), dst, false, dx, dy, derivative);
    const Axis axis = decltype(derivative)::axis;
    const float g = axis == Axis::X ? gx : axis == Axis::Y ? gy : 0.0f;
    rows_inverse(w, dst, [&](std::int64_t r, const float* row) {
      const std::int64_t i0 = r * w.nx;
      for (std::int64_t c = 0; c < w.nx; ++c)
        op(i0 + c, row[c] + g);
    });
  };
  steps(w, run);
  finish(w, out, 0.0, trend);
  return Status::Ok();
}

// RTP operator (see reduce_to_pole in the header), as a filter.
struct RtpFilter {
  float sin_i, cos_i, sin_d, cos_d, sin_a2, cos_a2;
  explicit RtpFilter(const RtpParams& p) {
    const double deg = kPi / 180.0;
    const double ia = std::max(std::fabs(p.inclination_deg), p.amplitude_inclination_deg) * deg;
    sin_i = static_cast<float>(std::sin(p.inclination_deg * deg));
    cos_i = static_cast<float>(std::cos(p.inclination_deg * deg));
    sin_d = static_cast<float>(std::sin(p.declination_deg * deg));
    cos_d = static_cast<float>(std::cos(p.declination_deg * deg));
    sin_a2 = static_cast<float>(std::sin(ia) * std::sin(ia));
    cos_a2 = static_cast<float>(std::cos(ia) * std::cos(ia));
  }
  std::complex<float> operator()(const Wavenumber& k) const {
    if (k.k == 0.0f) return 1.0f;
    const float c = (k.kx * sin_d + k.ky * cos_d) / k.k; // cosine between k and the field's horizontal part
    const float a = sin_i, b = cos_i * c;
    const float t2 = a * a + b * b;
    const float amplitude = sin_a2 + cos_a2 * c * c;
    // conj(theta)^2 / |theta|^2 is a unit phase factor; at theta = 0 (I = 0, k perpendicular to D) its
    // limit is -1.
    const std::complex<float> phase =
        t2 > 0.0f ? std::complex<float>(a * a - b * b, -2.0f * a * b) / t2 : std::complex<float>(-1.0f, 0.0f);
    return phase / amplitude;
  }
  // The same arithmetic as operator() with selects instead of branches, over a column; `gain_over_k`
  // multiplies by gain / |k| (pseudo-gravity, 0 at k = 0) instead of leaving the gain 1 (1 at k = 0).
  void column(float kx, const float* ky, std::int64_t n, float* re, float* im, bool gain_over_k = false,
              float gain = 1.0f) const {
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) {
      const float k = std::sqrt(kx * kx + ky[i] * ky[i]);
      const bool dc = k == 0.0f;
      const float c = (kx * sin_d + ky[i] * cos_d) / (dc ? 1.0f : k);
      const float a = sin_i, b = cos_i * c;
      const float t2 = a * a + b * b;
      const float amplitude = sin_a2 + cos_a2 * c * c;
      const bool zero = !(t2 > 0.0f);
      const float pr = zero ? -1.0f : (a * a - b * b) / t2, pi = zero ? 0.0f : (-2.0f * a * b) / t2;
      const float g = gain_over_k ? gain / (dc ? 1.0f : k) : 1.0f;
      re[i] = dc ? (gain_over_k ? 0.0f : 1.0f) : pr / amplitude * g;
      im[i] = dc ? 0.0f : pi / amplitude * g;
    }
  }
};

Status check_rtp(const char* name, const RtpParams& p) {
  if (!std::isfinite(p.inclination_deg) || std::fabs(p.inclination_deg) > 90.0)
    return invalid(name, "inclination_deg must be in [-90, 90]");
  if (!std::isfinite(p.declination_deg)) return invalid(name, "declination_deg must be finite");
  if (!(p.amplitude_inclination_deg >= 0.0) || p.amplitude_inclination_deg > 90.0)
    return invalid(name, "amplitude_inclination_deg must be in [0, 90]");
  if (p.amplitude_inclination_deg == 0.0 && p.inclination_deg == 0.0)
    return invalid(name, "at inclination 0, amplitude_inclination_deg must be > 0");
  return Status::Ok();
}

} // namespace

Status reduce_to_pole(ConstGridView in, double dx, double dy, const RtpParams& params,
                      PotentialFieldPlan& plan, GridView out) {
  Status st = check_rtp("rtp", params);
  if (!st.ok) return st;
  return single("rtp", in, dx, dy, plan, out, false, RtpFilter(params));
}

Status upward_continuation(ConstGridView in, double dx, double dy, const UpwardContinuationParams& params,
                           PotentialFieldPlan& plan, GridView out) {
  if (!(params.height >= 0.0) || !std::isfinite(params.height))
    return invalid("upward_continuation", "height must be finite and >= 0");
  struct Upward {
    float h;
    std::complex<float> operator()(const Wavenumber& k) const { return exp_neg(k.k * h); }
    // ky of row n and of row nyp - n differ only in sign (exactly), so half the column is computed and
    // mirrored: the same bits, half the exponentials.
    void column(float kx, const float* __restrict ky, std::int64_t n, float* __restrict re,
                float* __restrict im) const {
      const std::int64_t half = n / 2 + 1;
      const float height = h; // a local: stores to re[] could otherwise alias the member
#pragma omp simd
      for (std::int64_t i = 0; i < half; ++i)
        re[i] = exp_neg(std::sqrt(kx * kx + ky[i] * ky[i]) * height);
#pragma omp simd
      for (std::int64_t i = half; i < n; ++i)
        re[i] = re[n - i];
      for (std::int64_t i = 0; i < n; ++i)
        im[i] = 0.0f;
    }
  };
  return single("upward_continuation", in, dx, dy, plan, out, true,
                Upward{static_cast<float>(params.height)});
}

Status vertical_derivative(ConstGridView in, double dx, double dy, const VerticalDerivativeParams& params,
                           PotentialFieldPlan& plan, GridView out) {
  if (!(params.order > 0.0) || params.order > 4.0)
    return invalid("vertical_derivative", "order must be in (0, 4]");
  const auto order = static_cast<float>(params.order);
  if (params.order == 1.0) return single("vertical_derivative", in, dx, dy, plan, out, true, D<Axis::Z>{});
  return single("vertical_derivative", in, dx, dy, plan, out, true,
                [order](const Wavenumber& k) { return std::complex<float>(std::pow(k.k, order), 0.0f); });
}

Status total_horizontal_gradient(ConstGridView in, double dx, double dy, PotentialFieldPlan& plan,
                                 GridView out) {
  float* o = out.data;
  return derivatives("total_horizontal_gradient", in, dx, dy, plan, out, [o](Impl&, auto& run) {
    run(D<Axis::X>{}, false, [o](std::int64_t i, float v) { o[i] = v * v; });
    run(D<Axis::Y>{}, true, [o](std::int64_t i, float v) { o[i] = std::sqrt(o[i] + v * v); });
  });
}

Status derivative_x(ConstGridView in, double dx, double dy, PotentialFieldPlan& plan, GridView out) {
  float* o = out.data;
  return derivatives("derivative_x", in, dx, dy, plan, out, [o](Impl&, auto& run) {
    run(D<Axis::X>{}, true, [o](std::int64_t i, float v) { o[i] = v; });
  });
}

Status derivative_y(ConstGridView in, double dx, double dy, PotentialFieldPlan& plan, GridView out) {
  float* o = out.data;
  return derivatives("derivative_y", in, dx, dy, plan, out, [o](Impl&, auto& run) {
    run(D<Axis::Y>{}, true, [o](std::int64_t i, float v) { o[i] = v; });
  });
}

Status tilt_derivative(ConstGridView in, double dx, double dy, PotentialFieldPlan& plan, GridView out) {
  float* o = out.data;
  return derivatives("tilt_derivative", in, dx, dy, plan, out, [o](Impl& w, auto& run) {
    float* vdr = w.aux.data();
    run(D<Axis::Z>{}, false, [vdr](std::int64_t i, float v) { vdr[i] = v; });
    run(D<Axis::X>{}, false, [o](std::int64_t i, float v) { o[i] = v * v; });
    run(D<Axis::Y>{}, true,
        [o, vdr](std::int64_t i, float v) { o[i] = atan2_nonneg_x(vdr[i], std::sqrt(o[i] + v * v)); });
  });
}

Status analytic_signal(ConstGridView in, double dx, double dy, PotentialFieldPlan& plan, GridView out) {
  float* o = out.data;
  return derivatives("analytic_signal", in, dx, dy, plan, out, [o](Impl&, auto& run) {
    run(D<Axis::Z>{}, false, [o](std::int64_t i, float v) { o[i] = v * v; });
    run(D<Axis::X>{}, false, [o](std::int64_t i, float v) { o[i] += v * v; });
    run(D<Axis::Y>{}, true, [o](std::int64_t i, float v) { o[i] = std::sqrt(o[i] + v * v); });
  });
}

Status pseudo_gravity(ConstGridView in, double dx, double dy, const PseudoGravityParams& params,
                      PotentialFieldPlan& plan, GridView out) {
  Status st = check_rtp("pseudo_gravity", params.rtp);
  if (!st.ok) return st;
  if (!std::isfinite(params.density_magnetisation_ratio))
    return invalid("pseudo_gravity", "density_magnetisation_ratio must be finite");
  // nT -> T (1e-9), m/s^2 -> mGal (1e5), divided by mu0 / 4 pi = 1e-7: 1e3 G ratio.
  const auto gain = static_cast<float>(1e3 * kGravitationalConstant * params.density_magnetisation_ratio);
  struct PseudoGravity {
    RtpFilter rtp;
    float gain;
    std::complex<float> operator()(const Wavenumber& k) const {
      if (k.k == 0.0f) return std::complex<float>(0.0f, 0.0f);
      return rtp(k) * (gain / k.k);
    }
    void column(float kx, const float* ky, std::int64_t n, float* re, float* im) const {
      rtp.column(kx, ky, n, re, im, true, gain);
    }
  };
  return single("pseudo_gravity", in, dx, dy, plan, out, false, PseudoGravity{RtpFilter(params.rtp), gain});
}

} // namespace prospector::kernels
