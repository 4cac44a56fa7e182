// libFuzzer target: arbitrary bytes as the CSV of a geochem_points input with a fixed InputSpec. Only
// prospector::Error may escape read_geochem_csv; anything else (or a sanitizer report) is a finding.
#include "pipeline/base/errors.hpp"
#include "pipeline/io/geochem_csv.hpp"
#include "tests/fuzz/fuzz_util.hpp"

#include <cstdint>

namespace {
prospector::InputSpec make_spec(const std::string& path) {
  prospector::InputSpec in;
  in.id = "soil";
  in.kind = "geochem_points";
  in.path = path;
  in.path_as_written = "soil.csv";
  in.crs = "EPSG:28350";
  in.x_column = "x";
  in.y_column = "y";
  in.delimiter = ',';
  in.elements = {{"Cu", "Cu_ppm", "ppm"}, {"Au", "Au_ppb", "ppb"}};
  in.below_detection.negative_values = true;
  in.below_detection.zero_means_missing = true;
  in.below_detection.substitute = "dl_sqrt2_over_2";
  return in;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  static const prospector::InputSpec spec = make_spec(prospector::fuzz::scratch_file("soil.csv"));
  prospector::fuzz::write_scratch("soil.csv", data, size);
  try {
    const prospector::GeochemSamples s = prospector::read_geochem_csv(spec);
    if (s.x.size() != s.y.size()) __builtin_trap();
    for (const auto& v : s.values)
      if (v.size() != s.x.size()) __builtin_trap();
    (void)prospector::describe_counts(spec, s);
  } catch (const prospector::Error&) {
  }
  return 0;
}
