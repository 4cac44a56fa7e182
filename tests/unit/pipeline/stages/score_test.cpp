#include "stage_fixture.hpp"

#include <catch2/catch.hpp>

#include "kernels/fuzzy/fuzzy.hpp"
#include "pipeline/stages/score.hpp"

#include <cmath>
#include <filesystem>

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

TEST_CASE("pipeline.score: contributions are weight x membership, stored only when output.layers asks",
          "[stages]") {
  const auto& run = test::TinyRun::get();
  const Plan& p = run.plan;
  REQUIRE(!p.recipes.empty());
  bool any = false;
  for (std::size_t e = 0; e < p.recipes[0].evidence.size(); ++e) {
    if (p.evidence[0][e].layer.empty()) continue;
    any = true;
    const Evidence& ev = p.recipes[0].evidence[e];
    INFO(ev.id);
    CHECK(!std::filesystem::exists(p.work.layer_tile("contrib_cu_" + ev.id, 0)));
    std::vector<float> c;
    stages::evidence_contribution(p, 0, e, 0, c);
    // The same membership from the anomaly tile, by hand.
    std::vector<float> z =
        test::work_layer(p, "anomaly_" + p.evidence[0][e].layer + "_" + p.evidence[0][e].base);
    const Window w = p.tiles.window(0);
    REQUIRE(c.size() == static_cast<size_t>(w.size()));
    std::int64_t off = 0;
    for (std::int64_t r = 0; r < w.rows; ++r)
      for (std::int64_t col = 0; col < w.cols; ++col) {
        float v = z[static_cast<size_t>((w.row0 + r) * run.nx + w.col0 + col)];
        if (ev.transform.rfind("neg_", 0) == 0) v = -v;
        if (ev.transform.rfind("abs_", 0) == 0) v = std::fabs(v);
        float m = 0;
        REQUIRE(kernels::membership(&v, &m, 1, ev.membership).ok);
        const float want = static_cast<float>(ev.weight) * m;
        const float got = c[static_cast<size_t>(r * w.cols + col)];
        off += (std::isnan(want) && std::isnan(got)) || want == got ? 0 : 1;
      }
    CHECK(off == 0);
  }
  CHECK(any);
  Plan with = p;
  with.job.output.layers.push_back("contributions");
  const auto outs = test::stage_named("score").outputs(with, 0);
  CHECK(outs.size() > test::stage_named("score").outputs(p, 0).size());
  CHECK(test::params_with("score", 0, {"output.layers=[\"prospectivity\", \"contributions\"]"}) !=
        test::params_with("score", 0, {}));
}
