#pragma once
/// \file robust_standardise.hpp
/// Kernel `geochem.robust_standardise`: per-variable robust standardisation (x - median) / (1.4826 MAD), for
/// log-ratio coordinates (log_ratio.hpp) or logs. Layouts as in variables.hpp.

#include "kernels/geochem/variables.hpp"
#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// Parameters of `geochem.robust_standardise`.
struct RobustStandardiseParams {
  double min_scale = 1e-12; ///< a variable whose scale is below this gets 0 at every valid sample
};

/// Per-variable location and scale found by robust_standardise.
struct RobustStandardiseResult {
  std::vector<double> median;
  std::vector<double> mad;         ///< raw median absolute deviation
  std::vector<double> scale;       ///< 1.4826 * mad
  std::vector<std::int64_t> count; ///< valid (non-NaN) samples per variable
};

/// Reusable buffer (one variable's valid values at a time).
struct RobustStandardiseScratch {
  std::vector<double> values;
};

/// out_j = (x_j - median_j) / (1.4826 * MAD_j) for each variable j independently (this is not a
/// compositional operation: apply it to CLR/ILR coordinates or logs). NaN and infinite values are ignored
/// in the statistics and give NaN; a variable with no valid value is all NaN (median NaN, count 0). The
/// median of an even count is the mean of the two middle values. out has the same number of variables as
/// in and may alias it. Statistics in double, sequential per variable; output OpenMP-parallel.
Status robust_standardise(const VariablesView& in, const RobustStandardiseParams& params,
                          RobustStandardiseScratch& scratch, const VariablesOut& out,
                          RobustStandardiseResult& result);

} // namespace prospector::kernels
