#include "kernels/geochem/robust_standardise.hpp"
#include "kernels/registry.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace prospector::kernels;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

} // namespace

TEST_CASE("compositional: robust standardisation per variable", "[compositional]") {
  // Variable 0: 1, 2, 3, 4, 100 -> median 3, |dev| 2, 1, 0, 1, 97 -> MAD 1, scale 1.4826.
  // Variable 1: 10, NaN, 30, 20, 50 -> valid 10, 20, 30, 50: median 25, |dev| 15, 5, 5, 25 -> MAD 10.
  // Variable 2: constant 7 -> scale 0 -> 0 everywhere.
  const std::vector<float> x = {1, 10, 7, 2, kNaN, 7, 3, 30, 7, 4, 20, 7, 100, 50, 7};
  RobustStandardiseScratch sc;
  RobustStandardiseResult res;
  std::vector<float> out(x.size());
  REQUIRE(robust_standardise(VariablesView::row_major(x.data(), 5, 3), {}, sc,
                             VariablesOut::row_major(out.data(), 5, 3), res)
              .ok);
  CHECK(res.median[0] == 3.0);
  CHECK(res.mad[0] == 1.0);
  CHECK(res.scale[0] == Approx(1.4826));
  CHECK(res.median[1] == 25.0);
  CHECK(res.mad[1] == 10.0);
  CHECK(res.count[1] == 4);
  CHECK(res.scale[2] == 0.0);
  CHECK(out[0] == Approx((1.0 - 3.0) / 1.4826).epsilon(1e-6));
  CHECK(out[12] == Approx(97.0 / 1.4826).epsilon(1e-6));
  CHECK(out[1] == Approx(-15.0 / 14.826).epsilon(1e-6));
  CHECK(std::isnan(out[4]));
  for (int i = 0; i < 5; ++i)
    CHECK(out[i * 3 + 2] == 0.0f);

  // All-NaN variable: NaN statistics and outputs, count 0.
  const std::vector<float> y = {kNaN, kNaN};
  std::vector<float> oy(2);
  REQUIRE(robust_standardise(VariablesView::part_major(y.data(), 2, 1), {}, sc,
                             VariablesOut::part_major(oy.data(), 2, 1), res)
              .ok);
  CHECK(res.count[0] == 0);
  CHECK(std::isnan(res.median[0]));
  CHECK(std::isnan(oy[0]));
}

TEST_CASE("compositional: registry record of geochem.robust_standardise", "[compositional]") {
  const KernelInfo* r = find_kernel("geochem.robust_standardise");
  REQUIRE(r != nullptr);
  REQUIRE(r->params.size() == 1);
  CHECK(std::stod(r->params[0].default_value) == RobustStandardiseParams{}.min_scale);
}
