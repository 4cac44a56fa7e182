#pragma once
/// \file ingest_detail.hpp
/// Internal to the ingest files (ingest.cpp, points_ingest.cpp, vector_ingest.cpp, class_table.cpp): the
/// helpers they share.

#include "pipeline/base/grid.hpp"
#include "pipeline/io/vector_ingest.hpp"
#include "pipeline/job/job.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace prospector::detail {

/// An axis-aligned box in a CRS.
struct Box {
  double xmin, ymin, xmax, ymax;
};

/// "input 'ID' (PATH)": how every ingest error names an input.
std::string input_where(const InputSpec& in);

/// The grid's outer box in its CRS.
Box grid_box(const GridSpec& g);

/// Counts the valid cells of `v` and maps undeclared dummies (|x| >= 1e29, +-inf) to NaN, counting them in
/// `dummies`; returns the valid count.
std::int64_t sanitize_values(std::vector<float>& v, std::int64_t& dummies);

/// The class table of a categorical_raster from its class_file (CSV value,name) or from the raster's
/// attribute table (class_table.cpp).
ClassTable classes_from_csv(const InputSpec& in);
ClassTable classes_from_rat(const InputSpec& in);

} // namespace prospector::detail
