#include "stage_fixture.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace prospector;

TEST_CASE("pipeline.anomaly: robust z is (x - median) / (1.4826 MAD) of the global statistics", "[stages]") {
  const auto& run = test::TinyRun::get();
  const auto s = test::work_json(run.plan, "stats.json").at("tmi");
  const double med = s.at("median"), scale = 1.4826 * s.at("mad").get<double>();
  const std::vector<float> x = test::work_layer(run.plan, "tmi");
  const std::vector<float> z = test::work_layer(run.plan, "anomaly_tmi_robust_z");
  std::int64_t off = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) {
      off += std::isnan(z[i]) ? 0 : 1;
      continue;
    }
    const double want = (x[i] - med) / scale;
    off += std::fabs(z[i] - want) <= 1e-5 * std::max(1.0, std::fabs(want)) ? 0 : 1;
  }
  CHECK(off == 0);
}

TEST_CASE("pipeline.anomaly: the local z-score is high on the planted body and its key follows the radius",
          "[stages]") {
  const auto& run = test::TinyRun::get();
  const std::vector<float> lz = test::work_layer(run.plan, "anomaly_tmi_local_z");
  CHECK(lz[static_cast<size_t>(20 * run.nx + 12)] > 1.0f);
  const auto base = test::params_with("anomaly", 4, {});
  CHECK(test::params_with("anomaly", 4, {"anomaly.local_radius=4"}) != base);
  CHECK(test::params_with("anomaly", 4, {"targets.top_fraction=0.1"}) == base);
}
