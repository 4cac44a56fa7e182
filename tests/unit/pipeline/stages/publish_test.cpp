#include "stage_fixture.hpp"

#include <catch2/catch.hpp>

#include "pipeline/stages/publish.hpp"

#include <filesystem>
#include <set>

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

TEST_CASE("pipeline.publish: output.layers chooses the groups of grids", "[stages]") {
  const auto& run = test::TinyRun::get();
  const auto names = [](const Plan& p) {
    std::set<std::string> out;
    for (const auto& g : stages::published_grids(p, nlohmann::json::object()))
      out.insert(g.first);
    return out;
  };
  // Default: prospectivity and the anomaly grids the recipe reads (each binding's layer and base).
  const std::set<std::string> def = names(run.plan);
  CHECK(def.count("prospectivity_cu") == 1);
  std::set<std::string> read;
  for (const auto& b : run.plan.evidence.at(0))
    if (!b.layer.empty()) read.insert("anomaly_" + b.layer + "_" + b.base);
  REQUIRE(!read.empty());
  for (const auto& r : read)
    CHECK(def.count(r) == 1);
  std::size_t anomalies = 0;
  for (const auto& n : def)
    anomalies += n.rfind("anomaly_", 0) == 0 && n != "anomaly_rx";
  CHECK(anomalies == read.size());

  Plan all = run.plan;
  all.job.output.layers = {"prospectivity", "anomalies"};
  const std::set<std::string> every = names(all);
  for (const auto& l : run.plan.all_layers()) {
    CHECK(every.count("anomaly_" + l.name + "_robust_z") == 1);
    CHECK(every.count("anomaly_" + l.name + "_local_z") == 1);
  }
  CHECK(every.size() > def.size());
  CHECK(every.count("anomaly_rx") == 0); // multivariate not asked for

  Plan only = run.plan;
  only.job.output.layers = {"evidence"};
  const std::set<std::string> ev = names(only);
  CHECK(ev.count("prospectivity_cu") == 0);
  CHECK(ev.size() == read.size());
  // A different selection is a different publish unit.
  CHECK(test::params_with("publish", kGlobalUnit, {"output.layers=[\"prospectivity\"]"}) !=
        test::params_with("publish", kGlobalUnit, {}));
}
