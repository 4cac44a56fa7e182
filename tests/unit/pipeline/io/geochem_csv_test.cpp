#include "pipeline/io/geochem_csv.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

using namespace prospector;

namespace {

// A point-sample input reading `text` (columns x, y, cu) from a temporary file `name`.
InputSpec points_file(const std::string& name, const std::string& text) {
  const std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  InputSpec in;
  in.id = "soil";
  in.kind = "geochem_points";
  in.path = path;
  in.x_column = "x";
  in.y_column = "y";
  in.elements = {{"Cu", "cu"}};
  in.below_detection.substitute = "half_dl";
  return in;
}

// A CSV with 8 measured Cu values, two "<DL" strings and one negative (below detection) value.
InputSpec soil(const std::string& substitute) {
  std::string text = "x,y,cu\n";
  const char* cu[] = {"12", "15", "9", "30", "22", "18", "11", "40", "<4", "<8", "-2"};
  for (int i = 0; i < 11; ++i)
    text += std::to_string(i) + "," + std::to_string(2 * i) + "," + cu[i] + "\n";
  InputSpec in = points_file("prospector_geochem_csv_test.csv", text);
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

TEST_CASE("geochem CSV: a quoted field may hold newlines; a record has a length cap", "[geochem_csv]") {
  SECTION("an embedded newline keeps the record whole (it used to be dropped as bad coordinates)") {
    const GeochemSamples s = read_geochem_csv(points_file(
        "prospector_csv_quoted.csv", "id,x,y,cu\n\"first\nsample\",1,2,10\r\n\"a \"\"b\"\"\",3,4,20\n"));
    CHECK(s.rows == 2);
    CHECK(s.bad_coordinates == 0);
    REQUIRE(s.x.size() == 2);
    CHECK(s.x[0] == 1.0);
    CHECK(s.y[1] == 4.0);
    CHECK(s.values[0][1] == 20.0f);
  }
  SECTION("a file of no newline stops at 1 MiB with the line named") {
    const InputSpec in = points_file("prospector_csv_long.csv", "x,y,cu\n1,2," + std::string(3u << 20, '7'));
    CHECK_THROWS_WITH(read_geochem_csv(in),
                      Catch::Contains("line 2") && Catch::Contains("longer than 1 MiB"));
  }
  SECTION("an unclosed quote is named, not read to the end as one field") {
    const InputSpec in = points_file("prospector_csv_open.csv", "x,y,cu\n1,2,\"3\n4,5,6\n");
    CHECK_THROWS_WITH(read_geochem_csv(in), Catch::Contains("quoted field is still open"));
  }
}
