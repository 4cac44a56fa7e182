#include "stage_fixture.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace prospector;

TEST_CASE("pipeline.learn: without training deposits it records that nothing was learned", "[stages]") {
  const auto& run = test::TinyRun::get();
  const Stage& learn = test::stage_named("learn");
  const auto outs = learn.outputs(run.plan, kGlobalUnit);
  REQUIRE(outs.size() == 1);
  const auto j = nlohmann::json::parse(std::ifstream(outs[0]));
  CHECK(j.at("note").get<std::string>().find("no training deposits") != std::string::npos);
  CHECK(j.at("grids").empty());
  const auto base = test::params_with("learn", kGlobalUnit, {});
  CHECK(test::params_with("learn", kGlobalUnit, {"anomaly.local_radius=4"}) == base);
}
