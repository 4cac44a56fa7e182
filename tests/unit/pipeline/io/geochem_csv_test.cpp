#include "pipeline/io/geochem_csv.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

using namespace prospector;

namespace {

// A CSV with 8 measured Cu values, two "<DL" strings and one negative (below detection) value.
InputSpec soil(const std::string& substitute) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "prospector_geochem_csv_test.csv").string();
  std::ofstream f(path, std::ios::binary);
  f << "x,y,cu\n";
  const char* cu[] = {"12", "15", "9", "30", "22", "18", "11", "40", "<4", "<8", "-2"};
  for (int i = 0; i < 11; ++i)
    f << i << "," << 2 * i << "," << cu[i] << "\n";
  InputSpec in;
  in.id = "soil";
  in.kind = "geochem_points";
  in.path = path;
  in.x_column = "x";
  in.y_column = "y";
  in.elements = {{"Cu", "cu"}};
  in.below_detection.negative_values = true;
  in.below_detection.substitute = substitute;
  return in;
}

} // namespace

TEST_CASE("geochem CSV: censored values go through geochem.substitute_censored", "[geochem_csv]") {
  SECTION("half_dl: DL / 2, measured values unchanged") {
    const GeochemSamples s = read_geochem_csv(soil("half_dl"));
    REQUIRE(s.values.size() == 1);
    REQUIRE(s.values[0].size() == 11);
    CHECK(s.values[0][0] == 12.0f);
    CHECK(s.values[0][8] == 2.0f);
    CHECK(s.values[0][9] == 4.0f);
    CHECK(s.values[0][10] == 1.0f);
    CHECK(s.counts[0].censored_lt == 2);
    CHECK(s.counts[0].censored_negative == 1);
    CHECK(s.counts[0].measured == 8);
  }
  SECTION("dl_sqrt2_over_2") {
    const GeochemSamples s = read_geochem_csv(soil("dl_sqrt2_over_2"));
    CHECK(s.values[0][9] == static_cast<float>(8.0 * (std::sqrt(2.0) / 2.0)));
  }
  SECTION("ros: a regression fill below each limit, logged") {
    const InputSpec in = soil("ros");
    const GeochemSamples s = read_geochem_csv(in);
    REQUIRE(s.counts[0].ros_used);
    CHECK(s.counts[0].ros_slope > 0.0);
    for (int i : {8, 9, 10}) {
      const float dl = i == 8 ? 4.0f : i == 9 ? 8.0f : 2.0f;
      CHECK(s.values[0][static_cast<size_t>(i)] > 0.0f);
      CHECK(s.values[0][static_cast<size_t>(i)] <= dl);
    }
    CHECK(s.values[0][0] == 12.0f);
    const auto lines = describe_counts(in, s);
    REQUIRE(lines.size() == 2);
    CHECK(lines[1].find("regression on order statistics") != std::string::npos);
  }
}
