#pragma once
/// \file geochem_csv.hpp
/// Reader of geochemical point samples from CSV: coordinates, element concentrations, censored values.
///
/// Conventions (documented in the README):
/// - a value "<DL" (e.g. "<0.5") is below detection limit DL;
/// - with below_detection.negative_values, a negative value -v is below detection limit v;
/// - censored values are replaced by kernel geochem.substitute_censored: DL/2 (half_dl), DL*sqrt(2)/2
///   (dl_sqrt2_over_2) or regression on order statistics over the input's samples (ros, Helsel 2005);
/// - with below_detection.zero_means_missing, 0 means "not analysed" and is skipped;
/// - empty, "NA", "nan", non-numeric, or (without negative_values) negative values are missing;
/// - rows whose x or y is empty, non-numeric, non-finite or |v| > 1e300 (e.g. -1.79769e308 used as a
///   missing marker) are skipped.
/// Every category is counted and reported, never silently dropped.

#include "pipeline/job/job.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace prospector {

/// Counts of how each element column was read.
struct ElementCounts {
  std::string element;
  std::int64_t measured = 0;          ///< plain positive values
  std::int64_t censored_lt = 0;       ///< "<DL" strings
  std::int64_t censored_negative = 0; ///< negative values read as below detection
  std::int64_t not_analysed_zero = 0; ///< zeros read as not analysed
  std::int64_t missing = 0;           ///< empty / NA / unparsable
  std::int64_t invalid_negative = 0;  ///< negative values without negative_values (treated as missing)
  std::int64_t invalid_zero = 0; ///< zero without zero_means_missing (cannot be log-transformed: missing)
  bool ros_used = false;         ///< substitute = ros and the regression was fitted
  bool ros_fallback = false;     ///< substitute = ros with too few measured values: DL/2 used
  double ros_intercept = 0.0, ros_slope = 0.0; ///< ln(x) = intercept + slope z, when ros_used
};

/// Samples read from a CSV, coordinates in the CSV's CRS.
struct GeochemSamples {
  std::vector<double> x, y;
  std::vector<std::vector<float>> values; ///< per element, per sample; NaN = missing
  std::int64_t rows = 0;
  std::int64_t bad_coordinates = 0;
  std::vector<ElementCounts> counts;
};

/// Reads the CSV of a geochem_points input. Throws Error(InputData) naming the file, line and column
/// for a missing file, a missing column or a file without data rows.
GeochemSamples read_geochem_csv(const InputSpec& in);

/// One log line per element and one for the coordinates, for the run log.
std::vector<std::string> describe_counts(const InputSpec& in, const GeochemSamples& s);

} // namespace prospector
