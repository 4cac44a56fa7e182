#include "stage_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace prospector;

TEST_CASE("pipeline.fft: the RTP of the planted high peaks near it, on every valid cell", "[stages]") {
  const auto& run = test::TinyRun::get();
  const std::vector<float> rtp = test::work_layer(run.plan, "tmi_rtp");
  const std::vector<float> tmi = test::work_layer(run.plan, "tmi");
  REQUIRE(rtp.size() == tmi.size());
  std::int64_t mismatched = 0;
  for (size_t i = 0; i < rtp.size(); ++i)
    mismatched += std::isnan(rtp[i]) != std::isnan(tmi[i]) ? 1 : 0;
  CHECK(mismatched == 0);
  size_t peak = 0;
  for (size_t i = 0; i < rtp.size(); ++i)
    if (!std::isnan(rtp[i]) && (std::isnan(rtp[peak]) || rtp[i] > rtp[peak])) peak = i;
  const auto px = static_cast<std::int64_t>(peak) % run.nx, py = static_cast<std::int64_t>(peak) / run.nx;
  CHECK(std::abs(px - 12) <= 3);
  CHECK(std::abs(py - 20) <= 3);
}

TEST_CASE("pipeline.fft: its key follows the field direction", "[stages]") {
  const auto base = test::params_with("fft", kGlobalUnit, {});
  CHECK(test::params_with("fft", kGlobalUnit, {"inputs[0].inclination=-60"}) != base);
  CHECK(test::params_with("fft", kGlobalUnit, {"anomaly.local_radius=4"}) == base);
}
