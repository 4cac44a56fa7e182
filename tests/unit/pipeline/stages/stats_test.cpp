#include "stage_fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace prospector;

namespace {
double exact_median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
} // namespace

TEST_CASE("pipeline.stats: median, MAD, min and max of the layer's valid cells", "[stages]") {
  const auto& run = test::TinyRun::get();
  const auto stats = test::work_json(run.plan, "stats.json");
  for (const char* layer : {"tmi", "k", "ratio_k_th", "tmi_rtp"}) {
    INFO(layer);
    std::vector<double> v;
    for (float f : test::work_layer(run.plan, layer))
      if (!std::isnan(f)) v.push_back(f);
    const double m = exact_median(v);
    std::vector<double> dev;
    for (double x : v)
      dev.push_back(std::fabs(x - m));
    const auto& s = stats.at(layer);
    CHECK(s.at("count").get<std::int64_t>() == static_cast<std::int64_t>(v.size()));
    CHECK(s.at("median").get<double>() == m);
    const double mad = s.at("mad").get<double>(), want_mad = exact_median(dev);
    CHECK(mad == want_mad);
    CHECK(s.at("min").get<double>() == *std::min_element(v.begin(), v.end()));
    CHECK(s.at("max").get<double>() == *std::max_element(v.begin(), v.end()));
  }
}
