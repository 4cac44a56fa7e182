#include "kernels/potential_field/plan.hpp"
#include "kernels/potential_field/transforms.hpp"

#include <catch2/catch.hpp>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <vector>

using namespace prospector::kernels;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kG = 6.6743e-11;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// A north-up grid of cell centres: x east, y north, both 0 at the grid centre.
struct Grid {
  std::int64_t nx, ny;
  double dx, dy;
  std::vector<float> v;
  Grid(std::int64_t nx_, std::int64_t ny_, double dx_, double dy_)
      : nx(nx_), ny(ny_), dx(dx_), dy(dy_), v(static_cast<std::size_t>(nx_ * ny_), 0.0f) {}
  double x(std::int64_t c) const { return (static_cast<double>(c) - 0.5 * static_cast<double>(nx - 1)) * dx; }
  double y(std::int64_t r) const { return (0.5 * static_cast<double>(ny - 1) - static_cast<double>(r)) * dy; }
  GridView view() { return {v.data(), nx, ny}; }
  ConstGridView cview() const { return {v.data(), nx, ny}; }
};

// Reference fields evaluated in double at every cell.
std::vector<double> evaluate(const Grid& g, const std::function<double(double, double)>& f) {
  std::vector<double> out(g.v.size());
  for (std::int64_t r = 0; r < g.ny; ++r)
    for (std::int64_t c = 0; c < g.nx; ++c)
      out[static_cast<std::size_t>(r * g.nx + c)] = f(g.x(c), g.y(r));
  return out;
}

Grid make(std::int64_t nx, std::int64_t ny, double dx, double dy,
          const std::function<double(double, double)>& f) {
  Grid g(nx, ny, dx, dy);
  const auto ref = evaluate(g, f);
  for (std::size_t i = 0; i < ref.size(); ++i)
    g.v[i] = static_cast<float>(ref[i]);
  return g;
}

// Unit vector (east, north, down) of inclination / declination in degrees.
void direction(double inc, double dec, double u[3]) {
  const double i = inc * kPi / 180.0, d = dec * kPi / 180.0;
  u[0] = std::cos(i) * std::sin(d);
  u[1] = std::cos(i) * std::cos(d);
  u[2] = std::sin(i);
}

// Uniformly magnetised sphere = point dipole of moment `moment` (A m^2) along (mi, md) at depth below
// (x0, y0); total-field anomaly in nT projected on the field direction (fi, fd).
struct Dipole {
  double x0, y0, depth, moment, mi, md, fi, fd;
  double operator()(double x, double y) const {
    double m[3], f[3];
    direction(mi, md, m);
    direction(fi, fd, f);
    const double r[3] = {x - x0, y - y0, -depth};
    const double rr = std::sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    const double mr = (m[0] * r[0] + m[1] * r[1] + m[2] * r[2]) / rr;
    double t = 0.0;
    for (int k = 0; k < 3; ++k)
      t += f[k] * (3.0 * mr * r[k] / rr - m[k]);
    return 1e-7 * moment * t / (rr * rr * rr) * 1e9;
  }
};

// Vertical gravity (mGal) of a sphere of mass `mass` (kg) at depth below (x0, y0), and its derivatives
// (mGal/m): x east, y north, z down.
struct Sphere {
  double x0, y0, depth, mass;
  double r(double x, double y, double d) const {
    return std::sqrt((x - x0) * (x - x0) + (y - y0) * (y - y0) + d * d);
  }
  double gz(double x, double y, double d) const { return 1e5 * kG * mass * d / std::pow(r(x, y, d), 3); }
  double gz(double x, double y) const { return gz(x, y, depth); }
  double dzz(double x, double y) const {
    const double s2 = (x - x0) * (x - x0) + (y - y0) * (y - y0);
    return 1e5 * kG * mass * (2.0 * depth * depth - s2) / std::pow(r(x, y, depth), 5);
  }
  double dzx(double x, double y) const {
    return -3e5 * kG * mass * depth * (x - x0) / std::pow(r(x, y, depth), 5);
  }
  double dzy(double x, double y) const {
    return -3e5 * kG * mass * depth * (y - y0) / std::pow(r(x, y, depth), 5);
  }
};

// Relative RMS error of got against ref over the interior: a border of `border` times each dimension is left
// out, and so are cells where `keep` (when given) is false. Optionally removes each field's mean over those
// cells first.
double rel_rms(const Grid& got, const std::vector<double>& ref, double border = 0.15, bool demean = false,
               const std::vector<bool>* keep = nullptr) {
  const auto bx = static_cast<std::int64_t>(std::ceil(border * static_cast<double>(got.nx)));
  const auto by = static_cast<std::int64_t>(std::ceil(border * static_cast<double>(got.ny)));
  auto used = [&](std::int64_t r, std::int64_t c) {
    return r >= by && r < got.ny - by && c >= bx && c < got.nx - bx &&
           (keep == nullptr || (*keep)[static_cast<std::size_t>(r * got.nx + c)]);
  };
  double mg = 0.0, mr = 0.0, n = 0.0;
  for (std::int64_t r = 0; r < got.ny; ++r)
    for (std::int64_t c = 0; c < got.nx; ++c)
      if (used(r, c)) {
        const auto i = static_cast<std::size_t>(r * got.nx + c);
        mg += got.v[i];
        mr += ref[i];
        n += 1.0;
      }
  if (!demean) mg = mr = 0.0;
  mg /= n;
  mr /= n;
  double num = 0.0, den = 0.0;
  for (std::int64_t r = 0; r < got.ny; ++r)
    for (std::int64_t c = 0; c < got.nx; ++c)
      if (used(r, c)) {
        const auto i = static_cast<std::size_t>(r * got.nx + c);
        const double e = (got.v[i] - mg) - (ref[i] - mr);
        num += e * e;
        den += (ref[i] - mr) * (ref[i] - mr);
      }
  return std::sqrt(num / den);
}

void report(const std::string& what, double value) {
  std::cout << "[potential_field] " << what << ": relative RMS error " << value << "\n";
}

PotentialFieldPlan plan_for(const Grid& g, const PotentialFieldPlanParams& p = {}) {
  PotentialFieldPlan plan;
  const Status st = plan.init(g.nx, g.ny, p);
  REQUIRE(st.ok);
  return plan;
}

// Runs one of the transforms by name, for the tests that loop over all of them.
Status run(const std::string& name, const Grid& in, PotentialFieldPlan& plan, Grid& out) {
  RtpParams rtp;
  rtp.inclination_deg = -55.0;
  rtp.declination_deg = 10.0;
  if (name == "rtp") return reduce_to_pole(in.cview(), in.dx, in.dy, rtp, plan, out.view());
  if (name == "upward") return upward_continuation(in.cview(), in.dx, in.dy, {150.0}, plan, out.view());
  if (name == "vdr") return vertical_derivative(in.cview(), in.dx, in.dy, {}, plan, out.view());
  if (name == "vdr2") return vertical_derivative(in.cview(), in.dx, in.dy, {2.0}, plan, out.view());
  if (name == "thg") return total_horizontal_gradient(in.cview(), in.dx, in.dy, plan, out.view());
  if (name == "tilt") return tilt_derivative(in.cview(), in.dx, in.dy, plan, out.view());
  if (name == "as") return analytic_signal(in.cview(), in.dx, in.dy, plan, out.view());
  PseudoGravityParams pg;
  pg.rtp = rtp;
  return pseudo_gravity(in.cview(), in.dx, in.dy, pg, plan, out.view());
}

const std::vector<std::string> kAll = {"rtp", "upward", "vdr", "vdr2", "thg", "tilt", "as", "pseudo_gravity"};

bool bit_equal(const Grid& a, const Grid& b) {
  return a.v.size() == b.v.size() && std::memcmp(a.v.data(), b.v.data(), a.v.size() * sizeof(float)) == 0;
}

} // namespace

TEST_CASE("potential_field: transforms check the plan, grid sizes, cell size and parameters",
          "[potential_field]") {
  PotentialFieldPlan plan;
  Grid in(32, 24, 50.0, 50.0), out(32, 24, 50.0, 50.0), wrong(24, 32, 50.0, 50.0);
  PotentialFieldPlan none;
  CHECK_FALSE(upward_continuation(in.cview(), 50, 50, {}, none, out.view()).ok);
  REQUIRE(plan.init(32, 24).ok);
  CHECK(upward_continuation(in.cview(), 50, 50, {}, plan, out.view()).ok);
  CHECK_FALSE(upward_continuation(wrong.cview(), 50, 50, {}, plan, out.view()).ok);
  CHECK_FALSE(analytic_signal(in.cview(), 50, 50, plan, wrong.view()).ok);
  CHECK_FALSE(upward_continuation(in.cview(), 0, 50, {}, plan, out.view()).ok);
  CHECK_FALSE(tilt_derivative(in.cview(), 50, -1, plan, out.view()).ok);
  CHECK_FALSE(upward_continuation(in.cview(), 50, 50, {-1.0}, plan, out.view()).ok);
  CHECK_FALSE(vertical_derivative(in.cview(), 50, 50, {0.0}, plan, out.view()).ok);
  CHECK_FALSE(reduce_to_pole(in.cview(), 50, 50, {91.0, 0.0, 20.0}, plan, out.view()).ok);
  CHECK_FALSE(reduce_to_pole(in.cview(), 50, 50, {0.0, 0.0, 0.0}, plan, out.view()).ok);
  CHECK_FALSE(reduce_to_pole(in.cview(), 50, 50, {45.0, kNaN, 20.0}, plan, out.view()).ok);
}

TEST_CASE("potential_field: reduction to the pole of a dipole equals its field at the pole",
          "[potential_field]") {
  // Southern-hemisphere field, induced magnetisation; at the pole (I = +90 or -90, both give the same
  // anomaly) the field and magnetisation are vertical.
  struct Case {
    std::int64_t nx, ny;
    double dx, dy;
  };
  // 249 cells pad to 375 = 3 * 5^3: an odd FFT size, without a Nyquist row or column.
  for (const Case& k : {Case{256, 256, 50.0, 50.0}, Case{240, 200, 50.0, 40.0}, Case{249, 249, 50.0, 50.0}}) {
    const double moment = 4.0 / 3.0 * kPi * std::pow(200.0, 3) * 1.0; // 200 m radius, 1 A/m
    const Dipole field{400.0, -250.0, 500.0, moment, -55.0, 10.0, -55.0, 10.0};
    const Dipole pole{400.0, -250.0, 500.0, moment, 90.0, 0.0, 90.0, 0.0};
    const Dipole south_pole{400.0, -250.0, 500.0, moment, -90.0, 0.0, -90.0, 0.0};
    const Grid in = make(k.nx, k.ny, k.dx, k.dy, field);
    Grid g(k.nx, k.ny, k.dx, k.dy);
    const auto ref = evaluate(g, pole);
    REQUIRE(rel_rms(make(k.nx, k.ny, k.dx, k.dy, south_pole), ref) < 1e-6);
    REQUIRE(rel_rms(in, ref) > 0.5); // the raw anomaly is far from the pole anomaly
    Grid out(k.nx, k.ny, k.dx, k.dy);
    auto plan = plan_for(in);
    if (k.nx == 249) REQUIRE(plan.padded_nx() == 375);
    RtpParams p;
    p.inclination_deg = -55.0;
    p.declination_deg = 10.0;
    REQUIRE(reduce_to_pole(in.cview(), k.dx, k.dy, p, plan, out.view()).ok);
    const double e = rel_rms(out, ref);
    report("RTP I=-55 D=10 " + std::to_string(k.nx) + "x" + std::to_string(k.ny), e);
    CHECK(e < 0.005);
    // The wrong declination sign must be clearly worse: the test sees the orientation conventions.
    p.declination_deg = -10.0;
    REQUIRE(reduce_to_pole(in.cview(), k.dx, k.dy, p, plan, out.view()).ok);
    CHECK(rel_rms(out, ref) > 5 * e);
  }
}

TEST_CASE("potential_field: reduction to the pole stays bounded at low latitude", "[potential_field]") {
  // I = 5 deg with 0.5 nT of noise: the exact operator amplifies wavenumbers perpendicular to the declination
  // up to 1 / sin^2(5 deg) = 132 times; the amplitude floor at 20 deg bounds that at 8.5.
  const double moment = 4.0 / 3.0 * kPi * std::pow(200.0, 3);
  const Dipole field{0.0, 0.0, 500.0, moment, 5.0, 10.0, 5.0, 10.0};
  const Dipole pole{0.0, 0.0, 500.0, moment, 90.0, 0.0, 90.0, 0.0};
  Grid in = make(256, 256, 50.0, 50.0, field);
  std::uint64_t state = 12345;
  for (auto& v : in.v) { // deterministic uniform noise in [-0.5, 0.5] nT (xorshift)
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    v += static_cast<float>(static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5);
  }
  const auto ref = evaluate(in, pole);
  auto plan = plan_for(in);
  auto run_rtp = [&](double floor_deg, double& gain, double& corr) {
    Grid out(256, 256, 50.0, 50.0);
    REQUIRE(reduce_to_pole(in.cview(), 50, 50, {5.0, 10.0, floor_deg}, plan, out.view()).ok);
    double in_ss = 0.0, out_ss = 0.0, dot = 0.0, ref_ss = 0.0;
    for (std::size_t i = 0; i < out.v.size(); ++i) {
      REQUIRE(std::isfinite(out.v[i]));
      in_ss += static_cast<double>(in.v[i]) * in.v[i];
      out_ss += static_cast<double>(out.v[i]) * out.v[i];
      dot += out.v[i] * ref[i];
      ref_ss += ref[i] * ref[i];
    }
    gain = std::sqrt(out_ss / in_ss);
    corr = dot / std::sqrt(out_ss * ref_ss);
    std::cout << "[potential_field] RTP I=5 with 0.5 nT noise, amplitude floor " << floor_deg
              << " deg: rms gain " << gain << ", correlation with the pole field " << corr << "\n";
  };
  double gain, corr, gain_exact, corr_exact;
  run_rtp(20.0, gain, corr);
  run_rtp(0.0, gain_exact, corr_exact); // floor 0: the exact operator 1 / theta^2
  CHECK(gain < 1.0 / std::pow(std::sin(20.0 * kPi / 180.0), 2));
  CHECK(gain_exact > 3.0 * gain); // the noise blown up by the exact operator
  CHECK(corr > 0.7);
  CHECK(corr > corr_exact + 0.3);
}

TEST_CASE("potential_field: upward continuation of a sphere's gravity", "[potential_field]") {
  const Sphere s{300.0, 150.0, 500.0, 4.0 / 3.0 * kPi * std::pow(200.0, 3) * 500.0};
  const Grid in = make(256, 256, 50.0, 50.0, [&](double x, double y) { return s.gz(x, y); });
  Grid out(256, 256, 50.0, 50.0);
  auto plan = plan_for(in);
  for (double dh : {0.0, 250.0, 1000.0}) {
    const auto ref = evaluate(in, [&](double x, double y) { return s.gz(x, y, s.depth + dh); });
    REQUIRE(upward_continuation(in.cview(), 50, 50, {dh}, plan, out.view()).ok);
    const double e = rel_rms(out, ref);
    report("upward continuation dh=" + std::to_string(static_cast<int>(dh)), e);
    // The error is the truncation of the field at the map edge (it falls ~8x per doubling of the map),
    // largest for the broad field 1000 m up.
    CHECK(e < (dh == 0.0 ? 1e-5 : dh < 500.0 ? 0.01 : 0.05));
  }
}

TEST_CASE("potential_field: derivatives of a sphere's gravity", "[potential_field]") {
  const Sphere s{300.0, -150.0, 500.0, 4.0 / 3.0 * kPi * std::pow(200.0, 3) * 500.0};
  // With and without a regional gradient (removed as a plane, whose gradient is added back analytically).
  for (const double ramp : {0.0, 2e-4}) {
    const double ax = ramp, ay = -0.5 * ramp; // mGal/m east, north
    const Grid in =
        make(240, 256, 50.0, 40.0, [&](double x, double y) { return s.gz(x, y) + ax * x + ay * y; });
    Grid out(240, 256, 50.0, 40.0);
    auto plan = plan_for(in);
    const std::string tag = ramp == 0.0 ? "" : " with regional gradient";
    auto gx = [&](double x, double y) { return s.dzx(x, y) + ax; };
    auto gy = [&](double x, double y) { return s.dzy(x, y) + ay; };

    REQUIRE(vertical_derivative(in.cview(), 50, 40, {}, plan, out.view()).ok);
    double e = rel_rms(out, evaluate(in, [&](double x, double y) { return s.dzz(x, y); }));
    report("vertical derivative" + tag, e);
    CHECK(e < 0.01);

    REQUIRE(total_horizontal_gradient(in.cview(), 50, 40, plan, out.view()).ok);
    e = rel_rms(out, evaluate(in, [&](double x, double y) { return std::hypot(gx(x, y), gy(x, y)); }));
    report("total horizontal gradient" + tag, e);
    CHECK(e < 1e-4); // d/dx, d/dy are local: no truncation error

    REQUIRE(analytic_signal(in.cview(), 50, 40, plan, out.view()).ok);
    e = rel_rms(out, evaluate(in, [&](double x, double y) {
                  return std::sqrt(gx(x, y) * gx(x, y) + gy(x, y) * gy(x, y) + s.dzz(x, y) * s.dzz(x, y));
                }));
    report("analytic signal" + tag, e);
    CHECK(e < 0.01);

    REQUIRE(tilt_derivative(in.cview(), 50, 40, plan, out.view()).ok);
    const auto tilt = evaluate(
        in, [&](double x, double y) { return std::atan2(s.dzz(x, y), std::hypot(gx(x, y), gy(x, y))); });
    e = rel_rms(out, tilt);
    report("tilt derivative" + tag, e);
    CHECK(e < (ramp == 0.0 ? 0.1 : 0.05));
    // Far from the source the tilt is the angle of two tiny derivatives and follows the small absolute errors
    // of the vertical derivative there; where the analytic signal is at least 1% of its peak it is accurate.
    const auto as =
        evaluate(in, [&](double x, double y) { return std::hypot(s.dzx(x, y), s.dzy(x, y), s.dzz(x, y)); });
    const double peak = *std::max_element(as.begin(), as.end());
    std::vector<bool> strong(as.size());
    for (std::size_t i = 0; i < as.size(); ++i)
      strong[i] = as[i] >= 0.01 * peak;
    e = rel_rms(out, tilt, 0.15, false, &strong);
    report("tilt derivative where AS >= 1% of its peak" + tag, e);
    CHECK(e < 0.03);
    for (float v : out.v)
      REQUIRE(std::fabs(v) <= static_cast<float>(kPi / 2) + 1e-6f);

    // Upward continuation carries the regional plane through unchanged.
    REQUIRE(upward_continuation(in.cview(), 50, 40, {250.0}, plan, out.view()).ok);
    e = rel_rms(
        out, evaluate(in, [&](double x, double y) { return s.gz(x, y, s.depth + 250.0) + ax * x + ay * y; }));
    report("upward continuation dh=250" + tag, e);
    CHECK(e < 0.01);
  }
}

TEST_CASE("potential_field: the error is the map-edge truncation and falls with the map size",
          "[potential_field]") {
  // The same sources and the same central 180 x 180 cells, on maps of 256 and 512 cells a side: the missing
  // field beyond the map edge falls off as a power of the map size, and so must the error.
  const double volume = 4.0 / 3.0 * kPi * std::pow(200.0, 3);
  const Dipole field{400.0, -250.0, 500.0, volume, -55.0, 10.0, -55.0, 10.0};
  const Dipole pole{400.0, -250.0, 500.0, volume, 90.0, 0.0, 90.0, 0.0};
  const Sphere s{300.0, 150.0, 500.0, volume * 500.0};
  std::vector<double> errors;
  for (std::int64_t n : {256, 512}) {
    const double border = 0.5 - 90.0 / static_cast<double>(n);
    const Grid mag = make(n, n, 50, 50, field);
    const Grid grav = make(n, n, 50, 50, [&](double x, double y) { return s.gz(x, y); });
    Grid out(n, n, 50, 50);
    auto plan = plan_for(mag);
    REQUIRE(reduce_to_pole(mag.cview(), 50, 50, {-55.0, 10.0, 20.0}, plan, out.view()).ok);
    errors.push_back(rel_rms(out, evaluate(mag, pole), border));
    REQUIRE(vertical_derivative(grav.cview(), 50, 50, {}, plan, out.view()).ok);
    errors.push_back(rel_rms(out, evaluate(grav, [&](double x, double y) { return s.dzz(x, y); }), border));
    REQUIRE(upward_continuation(grav.cview(), 50, 50, {1000.0}, plan, out.view()).ok);
    errors.push_back(rel_rms(
        out, evaluate(grav, [&](double x, double y) { return s.gz(x, y, s.depth + 1000.0); }), border));
  }
  report("RTP, central 180x180 of a 256 map", errors[0]);
  report("RTP, central 180x180 of a 512 map", errors[3]);
  report("vertical derivative, central 180x180 of a 256 map", errors[1]);
  report("vertical derivative, central 180x180 of a 512 map", errors[4]);
  report("upward continuation dh=1000, central 180x180 of a 256 map", errors[2]);
  report("upward continuation dh=1000, central 180x180 of a 512 map", errors[5]);
  for (int k = 0; k < 3; ++k)
    CHECK(errors[k + 3] < errors[k] / 4.0);
  CHECK(errors[3] < 5e-4);
  CHECK(errors[4] < 2e-3);
  CHECK(errors[5] < 0.01);
}

TEST_CASE("potential_field: pseudo-gravity of a magnetised sphere is its gravity", "[potential_field]") {
  // Poisson's relation: the same sphere, magnetisation 2 A/m induced at I = -55, D = 10, density 600 kg/m^3.
  const double volume = 4.0 / 3.0 * kPi * std::pow(200.0, 3);
  const Dipole field{-200.0, 300.0, 600.0, volume * 2.0, -55.0, 10.0, -55.0, 10.0};
  const Sphere s{-200.0, 300.0, 600.0, volume * 600.0};
  const Grid in = make(256, 256, 50.0, 50.0, field);
  Grid out(256, 256, 50.0, 50.0);
  auto plan = plan_for(in);
  PseudoGravityParams p;
  p.rtp.inclination_deg = -55.0;
  p.rtp.declination_deg = 10.0;
  p.density_magnetisation_ratio = 600.0 / 2.0;
  REQUIRE(pseudo_gravity(in.cview(), 50, 50, p, plan, out.view()).ok);
  // Pseudo-gravity has no defined mean: compare with the means over the interior removed.
  const double e = rel_rms(out, evaluate(in, [&](double x, double y) { return s.gz(x, y); }), 0.15, true);
  report("pseudo-gravity (demeaned)", e);
  CHECK(e < 0.01);
}

TEST_CASE("potential_field: nodata holes (NaN, inf) are NaN in the output and do not spread",
          "[potential_field]") {
  const Sphere s{300.0, -150.0, 500.0, 4.0 / 3.0 * kPi * std::pow(200.0, 3) * 500.0};
  const Grid full = make(200, 180, 50.0, 50.0, [&](double x, double y) { return s.gz(x, y) + 1e-4 * x; });
  Grid holed = full;
  std::vector<std::uint8_t> hole(full.v.size(), 0);
  for (std::int64_t r = 0; r < full.ny; ++r)
    for (std::int64_t c = 0; c < full.nx; ++c) {
      const double dr = static_cast<double>(r - 80), dc = static_cast<double>(c - 90);
      const bool disk = dr * dr + dc * dc <= 36.0;     // radius 6 cells on the anomaly's flank
      const bool corner = r < 12 && c >= full.nx - 20; // a notch at the north-east corner
      const bool line = r == 140 && c >= 40 && c < 70; // a missing line segment
      const bool inf = r == 20 && c == 30;             // infinities are nodata too
      if (disk || corner || line || inf) {
        hole[static_cast<std::size_t>(r * full.nx + c)] = 1;
        holed.v[static_cast<std::size_t>(r * full.nx + c)] =
            inf ? std::numeric_limits<float>::infinity() : kNaN;
      }
    }
  // Distance (in cells, Chebyshev) from each cell to the nearest hole, by brute force.
  std::vector<std::int64_t> dist(full.v.size(), 1 << 30);
  for (std::int64_t r = 0; r < full.ny; ++r)
    for (std::int64_t c = 0; c < full.nx; ++c) {
      if (!hole[static_cast<std::size_t>(r * full.nx + c)]) continue;
      for (std::int64_t rr = 0; rr < full.ny; ++rr)
        for (std::int64_t cc = 0; cc < full.nx; ++cc) {
          auto& d = dist[static_cast<std::size_t>(rr * full.nx + cc)];
          d = std::min(d, std::max(std::abs(rr - r), std::abs(cc - c)));
        }
    }

  auto plan = plan_for(full);
  for (const auto& name : kAll) {
    Grid a(full.nx, full.ny, 50, 50), b(full.nx, full.ny, 50, 50);
    REQUIRE(run(name, full, plan, a).ok);
    REQUIRE(run(name, holed, plan, b).ok);
    double num = 0.0, den = 0.0;
    for (std::size_t i = 0; i < a.v.size(); ++i) {
      REQUIRE(std::isfinite(a.v[i]));
      REQUIRE(std::isnan(b.v[i]) == (hole[i] == 1));
      if (dist[i] >= 10) {
        num += (static_cast<double>(a.v[i]) - b.v[i]) * (static_cast<double>(a.v[i]) - b.v[i]);
        den += static_cast<double>(a.v[i]) * a.v[i];
      }
    }
    const double e = std::sqrt(num / den);
    report("hole vs no-hole, >= 10 cells from the holes, " + name, e);
    CHECK(e < 0.01);
  }
}

TEST_CASE("potential_field: bit-identical for 1, 2 and 3 threads, across calls and in place",
          "[potential_field]") {
  const Sphere s{300.0, -150.0, 500.0, 4.0 / 3.0 * kPi * std::pow(200.0, 3) * 500.0};
  Grid in = make(300, 260, 50.0, 50.0, [&](double x, double y) { return s.gz(x, y) + 1e-4 * y; });
  // Nodata outside an L-shaped survey outline (large enough for the hole fill to run in parallel) and a hole.
  for (std::int64_t r = 0; r < in.ny; ++r)
    for (std::int64_t c = 0; c < in.nx; ++c)
      if ((r < 220 && c < 160) || (r >= 230 && r < 240 && c >= 200 && c < 215))
        in.v[static_cast<std::size_t>(r * in.nx + c)] = kNaN;
  struct RestoreThreads {
    int saved = omp_get_max_threads();
    ~RestoreThreads() { omp_set_num_threads(saved); }
  } restore;
  auto plan = plan_for(in, {0.25, 16, 30}); // fewer fill sweeps than the default keep the test quick
  for (const auto& name : kAll) {
    INFO(name);
    Grid one(in.nx, in.ny, 50, 50), two = one, three = one, again = one;
    omp_set_num_threads(1);
    REQUIRE(run(name, in, plan, one).ok);
    omp_set_num_threads(2);
    REQUIRE(run(name, in, plan, two).ok);
    omp_set_num_threads(3);
    REQUIRE(run(name, in, plan, three).ok);
    REQUIRE(run("as", in, plan, again).ok); // another transform in between reuses the buffers
    REQUIRE(run(name, in, plan, again).ok);
    CHECK(bit_equal(one, two));
    CHECK(bit_equal(one, three));
    CHECK(bit_equal(one, again));
    Grid inplace = in; // out aliases in
    REQUIRE(run(name, inplace, plan, inplace).ok);
    CHECK(bit_equal(one, inplace));
  }
}

TEST_CASE("potential_field: the baseline and AVX-512 operator loops give the same bits",
          "[potential_field]") {
  const Sphere s{300.0, -150.0, 500.0, 4.0 / 3.0 * kPi * std::pow(200.0, 3) * 500.0};
  Grid in = make(250, 230, 50.0, 50.0, [&](double x, double y) { return s.gz(x, y) + 1e-4 * x; });
  auto vector_plan = plan_for(in, {0.25, 16, 30, true});
  auto baseline_plan = plan_for(in, {0.25, 16, 30, false});
  for (const auto& name : kAll) {
    INFO(name);
    Grid a(in.nx, in.ny, 50, 50), b = a;
    REQUIRE(run(name, in, vector_plan, a).ok);
    REQUIRE(run(name, in, baseline_plan, b).ok);
    CHECK(bit_equal(a, b));
  }
}

TEST_CASE("potential_field: all-nodata input gives all-nodata output, and a constant stays constant",
          "[potential_field]") {
  Grid in(40, 30, 25.0, 25.0), out(40, 30, 25.0, 25.0);
  std::fill(in.v.begin(), in.v.end(), kNaN);
  auto plan = plan_for(in);
  for (const auto& name : kAll) {
    std::fill(out.v.begin(), out.v.end(), 1.0f);
    REQUIRE(run(name, in, plan, out).ok);
    for (float v : out.v)
      REQUIRE(std::isnan(v));
  }
  std::fill(in.v.begin(), in.v.end(), 58000.0f);
  REQUIRE(run("upward", in, plan, out).ok);
  for (float v : out.v)
    REQUIRE(v == Approx(58000.0f).epsilon(1e-6));
  REQUIRE(run("vdr", in, plan, out).ok);
  for (float v : out.v)
    REQUIRE(std::fabs(v) < 1e-6f);
}

TEST_CASE("potential_field: df/dx and df/dy of a sphere's gravity, under every detrend and padding mode",
          "[potential_field]") {
  const Sphere s{300.0, -150.0, 500.0, 4.0 / 3.0 * kPi * std::pow(200.0, 3) * 500.0};
  const double ax = 2e-4, ay = -1e-4; // a regional gradient, mGal/m east and north
  const Grid in =
      make(240, 256, 50.0, 40.0, [&](double x, double y) { return s.gz(x, y) + ax * x + ay * y; });
  Grid out(240, 256, 50.0, 40.0);
  struct Mode {
    PfDetrend detrend;
    PfPadding padding;
    const char* name;
  };
  for (const Mode m : {Mode{PfDetrend::Auto, PfPadding::Mirror, "auto, mirror"},
                       Mode{PfDetrend::Plane, PfPadding::EdgePoint, "plane, edge point (GMT's default)"},
                       Mode{PfDetrend::Mean, PfPadding::EdgePoint, "mean, edge point"},
                       Mode{PfDetrend::None, PfPadding::EdgePoint, "none, edge point"}}) {
    PotentialFieldPlanParams pp;
    pp.detrend = m.detrend;
    pp.padding = m.padding;
    auto plan = plan_for(in, pp);
    REQUIRE(derivative_x(in.cview(), 50, 40, plan, out.view()).ok);
    const double ex = rel_rms(out, evaluate(in, [&](double x, double y) { return s.dzx(x, y) + ax; }));
    REQUIRE(derivative_y(in.cview(), 50, 40, plan, out.view()).ok);
    const double ey = rel_rms(out, evaluate(in, [&](double x, double y) { return s.dzy(x, y) + ay; }));
    report(std::string("d/dx, ") + m.name, ex);
    report(std::string("d/dy, ") + m.name, ey);
    // The edge-point extension continues a regional gradient through the map edge (point symmetry keeps the
    // slope), so even without removing it (mean, none) the derivatives stay close; the taper's kink at the
    // wrap-around is what remains.
    const bool plane = m.detrend == PfDetrend::Auto || m.detrend == PfDetrend::Plane;
    CHECK(ex < (plane ? 1e-4 : 1e-3));
    CHECK(ey < (plane ? 1e-4 : 1e-3));
  }
  // The edge-point pad continues the field through its edge: the upward continuation of the sphere under
  // GMT's default convention is as accurate as under the mirror convention.
  PotentialFieldPlanParams gmt;
  gmt.detrend = PfDetrend::Plane;
  gmt.padding = PfPadding::EdgePoint;
  auto plan = plan_for(in, gmt);
  REQUIRE(upward_continuation(in.cview(), 50, 40, {250.0}, plan, out.view()).ok);
  const double e = rel_rms(
      out, evaluate(in, [&](double x, double y) { return s.gz(x, y, s.depth + 250.0) + ax * x + ay * y; }));
  report("upward continuation dh=250, plane, edge point", e);
  CHECK(e < 0.02);
}
