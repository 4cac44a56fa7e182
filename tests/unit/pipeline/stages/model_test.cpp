#include "stage_fixture.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace prospector;

TEST_CASE("pipeline.model: the RX covariance is symmetric with a positive diagonal", "[stages]") {
  const auto& run = test::TinyRun::get();
  const auto rx = test::work_json(run.plan, "model.json").at("rx");
  REQUIRE(rx.at("enabled").get<bool>());
  const auto bands = rx.at("bands").get<std::vector<std::string>>();
  REQUIRE(!bands.empty());
  const auto cov = rx.at("cov").get<std::vector<double>>();
  const size_t b = bands.size();
  REQUIRE(cov.size() == b * b);
  for (size_t i = 0; i < b; ++i) {
    CHECK(cov[i * b + i] > 0.0);
    for (size_t j = 0; j < b; ++j)
      CHECK(cov[i * b + j] == Approx(cov[j * b + i]));
  }
  CHECK(test::params_with("model", kGlobalUnit, {"anomaly.rx_covariance=mcd"}) !=
        test::params_with("model", kGlobalUnit, {}));
}
