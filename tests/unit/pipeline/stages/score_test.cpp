#include "stage_fixture.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace prospector;

TEST_CASE("pipeline.score: prospectivity in [0, 1], highest over the planted body", "[stages]") {
  const auto& run = test::TinyRun::get();
  const std::vector<float> s = test::work_layer(run.plan, "prospectivity_cu");
  std::int64_t outside = 0, valid = 0;
  for (float v : s) {
    if (std::isnan(v)) continue;
    ++valid;
    outside += (v < 0.0f || v > 1.0f) ? 1 : 0;
  }
  CHECK(outside == 0);
  CHECK(valid > run.nx * run.ny / 2);
  const float at_body = s[static_cast<size_t>(20 * run.nx + 12)];
  std::int64_t above = 0;
  for (float v : s)
    above += (!std::isnan(v) && v > at_body) ? 1 : 0;
  CHECK(above < valid / 10);
  const auto base = test::params_with("score", 0, {});
  CHECK(test::params_with("score", 0, {"recipes.cu.min_weight_fraction=0.2"}) != base);
  CHECK(test::params_with("score", 0, {"targets.top_fraction=0.1"}) == base);
}
