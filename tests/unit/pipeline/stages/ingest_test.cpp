#include "stage_fixture.hpp"

#include <catch2/catch.hpp>

#include <cstring>

using namespace prospector;

TEST_CASE("pipeline.ingest: an aligned raster's cells are the layer's, bit for bit, nodata as NaN",
          "[stages]") {
  const auto& run = test::TinyRun::get();
  const std::vector<float> got = test::work_layer(run.plan, "tmi");
  const std::vector<float> want = test::with_nan(run.tmi, -99999.0f);
  REQUIRE(got.size() == want.size());
  std::int64_t differ = 0, nan = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    nan += std::isnan(got[i]) ? 1 : 0;
    if (std::isnan(got[i]) != std::isnan(want[i]) ||
        (!std::isnan(want[i]) && std::memcmp(&got[i], &want[i], 4)))
      ++differ;
  }
  CHECK(differ == 0);
  CHECK(nan == 24);
  CHECK(test::work_layer(run.plan, "k") == run.k);
}

TEST_CASE("pipeline.ingest: its key follows the input's options and not other stages'", "[stages]") {
  const auto base = test::params_with("ingest", 0, {});
  CHECK(test::params_with("ingest", 0, {"inputs[0].nodata=-1"}) != base);
  CHECK(test::params_with("ingest", 0, {"anomaly.local_radius=4"}) == base);
  CHECK(test::params_with("ingest", 0, {"targets.top_fraction=0.1"}) == base);
}
