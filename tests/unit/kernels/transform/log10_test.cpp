#include "kernels/transform/log10.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
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

TEST_CASE("log10_transform: the baseline and vector builds give the same bits", "[transform.log10]") {
  // Special values first, then log-uniform values over the float range, past one 16384-cell block and not a
  // multiple of any vector width.
  std::vector<float> in = {0.0f,
                           -0.0f,
                           -1.0f,
                           kNaN,
                           std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::denorm_min(),
                           1e-40f,
                           1.0f,
                           0.999999f,
                           1.000001f,
                           std::numeric_limits<float>::max()};
  std::mt19937 g(7);
  std::uniform_real_distribution<float> e(-44.0f, 38.0f);
  while (in.size() < 40013)
    in.push_back(std::pow(10.0f, e(g)) * (g() % 17 == 0 ? -1.0f : 1.0f));
  const auto n = static_cast<std::int64_t>(in.size());
  INFO("widest build on this CPU: " << static_cast<int>(cpu::widest()));
  for (double offset : {0.0, 2.5}) {
    std::vector<float> a(in.size()), b(in.size());
    std::int64_t bad_a = -1, bad_b = -2;
    LogParams p;
    p.offset = offset;
    REQUIRE(detail::log10_transform_isa(in.data(), a.data(), n, p, bad_a, cpu::Isa::baseline).ok);
    REQUIRE(detail::log10_transform_isa(in.data(), b.data(), n, p, bad_b, cpu::Isa::avx512).ok);
    CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
    CHECK(bad_a == bad_b);
  }
}
