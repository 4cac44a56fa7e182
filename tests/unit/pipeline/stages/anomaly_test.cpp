#include "stage_fixture.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

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
  const std::vector<float> lz = test::work_layer(run.plan, "anomaly_tmi_rtp_local_z");
  float peak = -1e30f; // over the planted body at (12, 20), which the RTP may move by a cell or two
  for (std::int64_t y = 17; y <= 23; ++y)
    for (std::int64_t x = 9; x <= 15; ++x)
      peak = std::max(peak, lz[static_cast<size_t>(y * run.nx + x)]);
  CHECK(peak > 1.0f);
  const auto base = test::params_with("anomaly", 4, {});
  CHECK(test::params_with("anomaly", 4, {"anomaly.local_radius=4"}) != base);
  CHECK(test::params_with("anomaly", 4, {"targets.top_fraction=0.1"}) == base);
}

TEST_CASE("pipeline.anomaly: only the grids that recipes, RX or output.layers read are computed",
          "[stages]") {
  const auto& run = test::TinyRun::get();
  // The Cu recipe reads the RTP's local z-score; RX takes the robust z-scores of tmi, k and th.
  for (const char* name : {"anomaly_tmi_rtp_local_z", "anomaly_tmi_robust_z", "anomaly_k_robust_z"}) {
    INFO(name);
    CHECK(run.plan.computes(name));
  }
  CHECK(!run.plan.computes("anomaly_tmi_local_z"));
  CHECK(!std::filesystem::exists(run.plan.work.layer_tile("anomaly_tmi_local_z", 0)));
  for (const auto& f : test::stage_named("anomaly").outputs(run.plan, 0)) {
    INFO(f);
    CHECK(std::filesystem::exists(f));
  }
  Plan all = run.plan;
  all.job.output.layers.push_back("anomalies");
  for (const auto& l : run.plan.all_layers()) {
    CHECK(all.computes("anomaly_" + l.name + "_robust_z"));
    CHECK(all.computes("anomaly_" + l.name + "_local_z"));
  }
  CHECK(test::params_with("anomaly", 0, {"output.layers=[\"prospectivity\", \"anomalies\"]"}) !=
        test::params_with("anomaly", 0, {}));
}
