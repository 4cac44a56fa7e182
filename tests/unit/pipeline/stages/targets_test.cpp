#include "stage_fixture.hpp"

#include <catch2/catch.hpp>

using namespace prospector;

TEST_CASE("pipeline.targets: ranked by peak score, above the top-fraction threshold", "[stages]") {
  const auto& run = test::TinyRun::get();
  const auto all = test::work_json(run.plan, "targets.json");
  REQUIRE(all.size() == 1);
  const auto& cu = all.at(0);
  CHECK(cu.at("commodity") == "cu");
  const double threshold = cu.at("threshold");
  const auto& t = cu.at("targets");
  REQUIRE(!t.empty());
  std::int64_t cells = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    CHECK(t[i].at("rank").get<size_t>() == i + 1);
    CHECK(t[i].at("peak").get<double>() >= threshold);
    if (i) CHECK(t[i].at("peak").get<double>() <= t[i - 1].at("peak").get<double>());
    cells += t[i].at("cells").get<std::int64_t>();
  }
  // top_fraction 0.05 of the scored cells, ties aside
  CHECK(cells <= run.nx * run.ny / 20 + 5);
  CHECK(test::params_with("targets", kGlobalUnit, {"targets.top_fraction=0.1"}) !=
        test::params_with("targets", kGlobalUnit, {}));
}
