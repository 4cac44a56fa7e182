#include "kernels/targets/components.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

using namespace prospector::kernels;

namespace {
const float kNaN = std::numeric_limits<float>::quiet_NaN();
}

TEST_CASE("top_fraction_threshold: nearest rank with ties and NaNs", "[targets.top_fraction_threshold]") {
  // Valid values sorted descending: 5, 3, 3, 3, 2, 1 (6 valid).
  std::vector<float> g = {3, 5, kNaN, 3, 1, 3, 2, kNaN};
  std::vector<float> scratch;
  double t = 0.0;
  const ConstGridView v{g.data(), 4, 2};
  REQUIRE(top_fraction_threshold(v, 1.0 / 6.0, scratch, t).ok); // k = 1
  CHECK(t == 5.0);
  REQUIRE(top_fraction_threshold(v, 0.01, scratch, t).ok); // k = max(1, ceil(0.06)) = 1
  CHECK(t == 5.0);
  REQUIRE(top_fraction_threshold(v, 0.2, scratch, t).ok); // k = ceil(1.2) = 2
  CHECK(t == 3.0);
  REQUIRE(top_fraction_threshold(v, 0.5, scratch, t).ok); // k = 3: the tie at 3 keeps 4 cells
  CHECK(t == 3.0);
  REQUIRE(top_fraction_threshold(v, 0.7, scratch, t).ok); // k = ceil(4.2) = 5
  CHECK(t == 2.0);
  REQUIRE(top_fraction_threshold(v, 1.0, scratch, t).ok); // k = 6
  CHECK(t == 1.0);
}

TEST_CASE("top_fraction_threshold: a product rounding above an integer does not add a rank",
          "[targets.top_fraction_threshold]") {
  // Values 1..100. In double 0.07 * 100 = 7.000000000000001 and 0.14 * 100 = 14.000000000000002 (checked with
  // /usr/bin/python3); k must be 7 and 14, so the thresholds are 94 and 87, not 93 and 86.
  std::vector<float> g(100);
  for (int i = 0; i < 100; ++i)
    g[i] = static_cast<float>(i + 1);
  std::vector<float> scratch;
  double t = 0.0;
  REQUIRE(top_fraction_threshold({g.data(), 10, 10}, 0.07, scratch, t).ok);
  CHECK(t == 94.0);
  REQUIRE(top_fraction_threshold({g.data(), 10, 10}, 0.14, scratch, t).ok);
  CHECK(t == 87.0);
  // 0.29 * 100 = 28.999999999999996 rounds below: k = 29 either way.
  REQUIRE(top_fraction_threshold({g.data(), 10, 10}, 0.29, scratch, t).ok);
  CHECK(t == 72.0);
}

TEST_CASE("top_fraction_threshold: invalid arguments", "[targets.top_fraction_threshold]") {
  std::vector<float> g = {1, 2};
  std::vector<float> nan = {kNaN, kNaN};
  std::vector<float> scratch;
  double t = 0.0;
  CHECK_FALSE(top_fraction_threshold({g.data(), 2, 1}, 0.0, scratch, t).ok);
  CHECK_FALSE(top_fraction_threshold({g.data(), 2, 1}, 1.5, scratch, t).ok);
  CHECK_FALSE(top_fraction_threshold({g.data(), 2, 1}, std::nan(""), scratch, t).ok);
  CHECK_FALSE(top_fraction_threshold({nan.data(), 2, 1}, 0.5, scratch, t).ok);
}

TEST_CASE("label_components: 8-connectivity and raster-order labels", "[targets.label_components]") {
  // 1 = above threshold, 0 = below, N = NaN.
  //   c: 0 1 2 3 4 5 6
  //  r0: 0 0 0 0 0 1 1    component A starts at (0,5)
  //  r1: 1 1 0 0 0 0 0    component B starts at (1,0)
  //  r2: 0 0 1 0 0 0 N    (2,2) touches (1,1) only diagonally -> B
  //  r3: 0 0 0 0 1 0 1    (3,4) starts C, (3,6) starts D
  //  r4: 1 0 0 1 0 0 1    (4,3) touches (3,4) only anti-diagonally -> C; (4,6) -> D; (4,0) starts E
  const std::vector<float> g = {0, 0, 0, 0, 0, 1, 1,    //
                                1, 1, 0, 0, 0, 0, 0,    //
                                0, 0, 1, 0, 0, 0, kNaN, //
                                0, 0, 0, 0, 1, 0, 1,    //
                                1, 0, 0, 1, 0, 0, 1};
  std::vector<std::int32_t> labels;
  std::int32_t n = -1;
  REQUIRE(label_components({g.data(), 7, 5}, 0.5, labels, n).ok);
  CHECK(n == 5);
  const std::vector<std::int32_t> expected = {0, 0, 0, 0, 0, 1, 1, //
                                              2, 2, 0, 0, 0, 0, 0, //
                                              0, 0, 2, 0, 0, 0, 0, //
                                              0, 0, 0, 0, 3, 0, 4, //
                                              5, 0, 0, 3, 0, 0, 4};
  CHECK(labels == expected);
}

TEST_CASE("label_components: arms that merge later share the label of the first cell",
          "[targets.label_components]") {
  // A "U": the right arm's cell (0,4) comes first in raster order, so the whole U is 1, and the
  // isolated cell (1,2) in the middle, which comes later, is 2. Values equal to the threshold qualify.
  const std::vector<float> g = {0, 0, 0, 0, 2, //
                                2, 0, 2, 0, 2, //
                                2, 0, 0, 0, 2, //
                                2, 2, 2, 2, 0};
  std::vector<std::int32_t> labels;
  std::int32_t n = -1;
  REQUIRE(label_components({g.data(), 5, 4}, 2.0, labels, n).ok);
  CHECK(n == 2);
  const std::vector<std::int32_t> expected = {0, 0, 0, 0, 1, //
                                              1, 0, 2, 0, 1, //
                                              1, 0, 0, 0, 1, //
                                              1, 1, 1, 1, 0};
  CHECK(labels == expected);
}

TEST_CASE("label_components: NaN never qualifies, empty result, bad threshold",
          "[targets.label_components]") {
  const std::vector<float> g = {kNaN, kNaN, 1, kNaN};
  std::vector<std::int32_t> labels;
  std::int32_t n = -1;
  REQUIRE(label_components({g.data(), 2, 2}, -std::numeric_limits<double>::infinity(), labels, n).ok);
  CHECK(n == 1);
  CHECK(labels == std::vector<std::int32_t>{0, 0, 1, 0});
  REQUIRE(label_components({g.data(), 2, 2}, 5.0, labels, n).ok);
  CHECK(n == 0);
  CHECK(labels == std::vector<std::int32_t>{0, 0, 0, 0});
  CHECK_FALSE(label_components({g.data(), 2, 2}, std::nan(""), labels, n).ok);
}
