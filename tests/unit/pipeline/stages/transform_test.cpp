#include "stage_fixture.hpp"

#include <catch2/catch.hpp>

using namespace prospector;

TEST_CASE("pipeline.transform: the K/Th ratio layer is K / Th cell by cell", "[stages]") {
  const auto& run = test::TinyRun::get();
  const std::vector<float> ratio = test::work_layer(run.plan, "ratio_k_th");
  REQUIRE(ratio.size() == run.k.size());
  std::int64_t off = 0;
  for (size_t i = 0; i < ratio.size(); ++i)
    off += std::fabs(ratio[i] - run.k[i] / run.th[i]) > 1e-6f * std::fabs(run.k[i] / run.th[i]) ? 1 : 0;
  CHECK(off == 0);
}

TEST_CASE("pipeline.transform: its key lists the derived layers", "[stages]") {
  const auto j = test::params_with("transform", 0, {});
  CHECK(j.dump().find("ratio_k_th") != std::string::npos);
  CHECK(test::params_with("transform", 0, {"anomaly.local_radius=4"}) == j);
}
