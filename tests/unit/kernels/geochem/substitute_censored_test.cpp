#include "kernels/geochem/substitute_censored.hpp"
#include "kernels/registry.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace prospector::kernels;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

} // namespace

TEST_CASE("compositional: censored substitution DL/2 and DL*sqrt(2)/2", "[compositional]") {
  // Detected 3.5; censored with DL 0.5 and 0.3; NaN; detected 0 (not a concentration); censored with
  // an invalid limit -1.
  const std::vector<float> v = {3.5f, 0.5f, 0.3f, kNaN, 0.0f, -1.0f};
  const std::vector<std::uint8_t> c = {0, 1, 1, 0, 0, 1};
  CensoredScratch sc;
  CensoredReport rep;
  std::vector<float> out(6);
  CensoredParams p;
  REQUIRE(substitute_censored(v.data(), c.data(), 6, p, sc, out.data(), rep).ok);
  CHECK(out[0] == 3.5f);
  CHECK(out[1] == static_cast<float>(0.5 * 0.5));
  CHECK(out[2] == static_cast<float>(static_cast<double>(0.3f) * 0.5));
  for (int i = 3; i < 6; ++i)
    CHECK(std::isnan(out[i]));
  CHECK(rep.detected == 1);
  CHECK(rep.censored == 2);
  CHECK(rep.invalid == 3);
  CHECK_FALSE(rep.ros_used);

  p.method = CensoredMethod::DlSqrt2Over2;
  REQUIRE(substitute_censored(v.data(), c.data(), 6, p, sc, out.data(), rep).ok);
  CHECK(out[0] == 3.5f);
  CHECK(out[1] == static_cast<float>(0.5 * (std::sqrt(2.0) / 2.0)));
  CHECK(out[1] == Approx(0.35355339).epsilon(1e-7));
  CHECK(out[2] == static_cast<float>(static_cast<double>(0.3f) * (std::sqrt(2.0) / 2.0)));

  // In place.
  std::vector<float> w = v;
  REQUIRE(substitute_censored(w.data(), c.data(), 6, p, sc, w.data(), rep).ok);
  CHECK(w[1] == out[1]);

  // ROS with too few detected values falls back to DL / 2.
  p.method = CensoredMethod::Ros;
  REQUIRE(substitute_censored(v.data(), c.data(), 6, p, sc, out.data(), rep).ok);
  CHECK(rep.ros_fallback);
  CHECK_FALSE(rep.ros_used);
  CHECK(out[1] == 0.25f);

  CHECK_FALSE(substitute_censored(nullptr, c.data(), 6, p, sc, out.data(), rep).ok);
}

TEST_CASE("compositional: censored substitution by robust ROS against scipy", "[compositional]") {
  // Two detection limits, 1 and 5. By hand (see kernels/geochem/substitute_censored.hpp):
  //   A_0 = 1 (0.7), A_1 = 3 (1.2, 2.0, 3.3), A_2 = 4 (5.5, 6.5, 9.0, 15.0); B_1 = 1 + 2 = 3, B_2 = 4 + 4 =
  //   8; pe_2 = 4/12 = 1/3, pe_1 = 1/3 + 3/6 * 2/3 = 2/3, pe_0 = 1. detected p: 1/6; 1/3 + r/12 (r = 1..3);
  //   2/3 + r/15 (r = 1..4); censored p: r/9 at DL 1, 2r/9 at DL 5.
  // Reference with /usr/bin/python3 (numpy 1.24, scipy 1.10), values rounded to float32 as the kernel sees
  // them (f = lambda a: np.array(a, dtype=np.float32).astype(np.float64)):
  //   det = f([0.7,1.2,2.0,3.3,5.5,6.5,9.0,15.0]); pdet = [1/6,5/12,6/12,7/12,11/15,12/15,13/15,14/15]
  //   r = scipy.stats.linregress(norm.ppf(pdet), np.log(det))
  //   np.minimum(f([1,1,5,5]), np.exp(r.intercept + r.slope * norm.ppf([1/9,2/9,2/9,4/9])))
  const std::vector<float> v = {2.0f, 1.0f, 6.5f, 5.0f, 1.2f, 9.0f, 1.0f, 3.3f, 15.0f, 5.0f, 0.7f, 5.5f};
  const std::vector<std::uint8_t> c = {0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0};
  CensoredScratch sc;
  CensoredReport rep;
  CensoredParams p;
  p.method = CensoredMethod::Ros;
  std::vector<float> out(v.size());
  REQUIRE(substitute_censored(v.data(), c.data(), 12, p, sc, out.data(), rep).ok);
  CHECK(rep.ros_used);
  CHECK(rep.detected == 8);
  CHECK(rep.censored == 4);
  CHECK(rep.ros_intercept == Approx(0.7673924155238065).epsilon(1e-9));
  CHECK(rep.ros_slope == Approx(1.304414354908871).epsilon(1e-9));
  CHECK(out[1] == Approx(0.43831020981938323).epsilon(1e-6)); // first <1
  CHECK(out[6] == Approx(0.794449497388923).epsilon(1e-6));   // second <1
  CHECK(out[3] == Approx(0.794449497388923).epsilon(1e-6));   // first <5
  CHECK(out[9] == Approx(1.7952643766447016).epsilon(1e-6));  // second <5
  for (int i : {0, 2, 4, 5, 7, 8, 10, 11})
    CHECK(out[i] == v[i]);

  // One limit, all detected values above it (Weibull-type positions): scipy as above with
  //   pdet = 3/9 + (6/9) r/7, pcen = (3/9) r/4, det = f([1.5,2.0,3.1,4.7,8.2,12.0]).
  const std::vector<float> v1 = {1.0f, 8.2f, 1.5f, 1.0f, 3.1f, 12.0f, 2.0f, 1.0f, 4.7f};
  const std::vector<std::uint8_t> c1 = {1, 0, 0, 1, 0, 0, 0, 1, 0};
  std::vector<float> o1(v1.size());
  REQUIRE(substitute_censored(v1.data(), c1.data(), 9, p, sc, o1.data(), rep).ok);
  CHECK(rep.ros_slope == Approx(1.4666240178631282).epsilon(1e-9));
  CHECK(o1[0] == Approx(0.2589649108001691).epsilon(1e-6));
  CHECK(o1[3] == Approx(0.476363525654141).epsilon(1e-6));
  CHECK(o1[7] == Approx(0.7320158076765647).epsilon(1e-6));
}

TEST_CASE("compositional: registry record of geochem.substitute_censored", "[compositional]") {
  const KernelInfo* k = find_kernel("geochem.substitute_censored");
  REQUIRE(k != nullptr);
  REQUIRE(k->params.size() == 2);
  CHECK(k->params[0].name == "method");
  CHECK(k->params[0].default_value == "half_dl");
  CHECK(CensoredParams{}.method == CensoredMethod::HalfDl);
  CHECK(std::stod(k->params[1].default_value) == static_cast<double>(CensoredParams{}.min_detected));
}
