#pragma once
/// \file layer_outputs.hpp
/// How publish writes a grid of prospectivity.h5: units, and for categorical layers (geological units,
/// categorical rasters) the CF-1.8 flag attributes that carry the class table.

#include "pipeline/io/h5_writer.hpp"
#include "pipeline/plan/plan.hpp"

#include <string>

namespace prospector::detail {

/// The variable for grid `name`: units "1", except input layers with their own units (distances in grid
/// units); a categorical layer gets flag_values (its class codes, float32 like the variable) and
/// flag_meanings (the class names, blanks replaced by '_', in the same order), as CF 1.8 section 3.5 writes
/// a class table.
GridVariable layer_variable(const Plan& p, const std::string& name, const std::string& long_name);

} // namespace prospector::detail
