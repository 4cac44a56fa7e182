#include "stage_fixture.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace prospector;

TEST_CASE("pipeline.publish: the deliverables exist and no temporary file is left", "[stages]") {
  const auto& run = test::TinyRun::get();
  for (const auto& f : test::stage_named("publish").outputs(run.plan, kGlobalUnit)) {
    INFO(f);
    CHECK(std::filesystem::file_size(f) > 0);
  }
  for (const auto& e : std::filesystem::directory_iterator(run.plan.out))
    CHECK(e.path().filename().string().find(".partial") == std::string::npos);
  const auto base = test::params_with("publish", kGlobalUnit, {});
  CHECK(test::params_with("publish", kGlobalUnit, {"output.deflate_level=4"}) != base);
}
