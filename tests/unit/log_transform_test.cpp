#include "kernels/log_transform.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

using namespace prospector::kernels;

namespace {
const float kNaN = std::numeric_limits<float>::quiet_NaN();
}

TEST_CASE("log10_transform: exact powers of ten, nodata and non-positive values", "[transform.log10]") {
  std::vector<float> in = {1.0f, 10.0f, 100.0f, 1000.0f, 0.0f, -5.0f, kNaN, 0.5f};
  std::vector<float> out(in.size());
  std::int64_t bad = -1;
  REQUIRE(log10_transform(in.data(), out.data(), 8, {}, bad).ok);
  CHECK(out[0] == 0.0f);
  CHECK(out[1] == 1.0f);
  CHECK(out[2] == 2.0f);
  CHECK(out[3] == 3.0f);
  CHECK(std::isnan(out[4]));
  CHECK(std::isnan(out[5]));
  CHECK(std::isnan(out[6]));
  CHECK(out[7] == Approx(-0.30102999566398120).epsilon(1e-7)); // log10(0.5)
  CHECK(bad == 2); // 0 and -5; NaN is nodata, not a non-positive value
}

TEST_CASE("log10_transform: offset, aliasing and infinities", "[transform.log10]") {
  std::vector<float> v = {0.0f, 9.0f, -1.0f, 99.0f, -std::numeric_limits<float>::infinity()};
  std::int64_t bad = -1;
  LogParams p;
  p.offset = 1.0;
  REQUIRE(log10_transform(v.data(), v.data(), 5, p, bad).ok);
  CHECK(v[0] == 0.0f);
  CHECK(v[1] == 1.0f);
  CHECK(std::isnan(v[2])); // -1 + 1 = 0 is not positive
  CHECK(v[3] == 2.0f);
  CHECK(std::isnan(v[4]));
  CHECK(bad == 1); // -inf is not finite, so it is not counted
}

TEST_CASE("log10_transform: argument checks", "[transform.log10]") {
  std::vector<float> v = {1.0f};
  std::int64_t bad = 0;
  CHECK(log10_transform(nullptr, nullptr, 0, {}, bad).ok);
  CHECK_FALSE(log10_transform(nullptr, v.data(), 1, {}, bad).ok);
  CHECK_FALSE(log10_transform(v.data(), v.data(), -1, {}, bad).ok);
  LogParams p;
  p.offset = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(log10_transform(v.data(), v.data(), 1, p, bad).ok);
}
