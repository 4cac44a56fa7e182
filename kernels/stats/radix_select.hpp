#pragma once
/// \file radix_select.hpp
/// Kernel family `stats.radix_select`: exact order statistics of values held in blocks (the tiles of a
/// layer), without sorting them. Each pass builds a 65536-bin histogram of one 16-bit digit of an
/// order-preserving key (per thread, merged in a fixed order), which fixes that digit of the wanted key; once
/// the chosen bin holds few enough values they are gathered and selected directly. Counts are integers, so
/// results do not depend on the blocks, their order or the thread count, and equal what stats.merged gives on
/// the same values sorted:
/// - the k-th smallest value in float order, a zero returned as -0.0 (as stats.merged's search over bit
///   patterns returns it);
/// - the median (the mean of the two middle values for even counts, in double) and the MAD, the median of
///   |x - median| computed in double (numpy's and stats.merged's definition);
/// - the top-fraction threshold and the counts of values at or above thresholds.
/// NaN is no value; +-inf are values.

#include "kernels/stats/robust.hpp"
#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// Values in `count` blocks; block b holds size[b] floats at data[b]. NaN = no value.
struct ValueBlocks {
  const float* const* data = nullptr;
  const std::int64_t* size = nullptr;
  std::int64_t count = 0;
};

/// Parameters of the selection.
struct RadixSelectParams {
  std::int64_t gather_limit = 1 << 20; ///< a bin with at most this many values is gathered and selected
};

/// Summary of the valid values: count, minimum and maximum (NaN when there is none).
struct ValueSummary {
  std::int64_t count = 0;
  float min = 0.0f, max = 0.0f;
};
ValueSummary summarize(const ValueBlocks& v);

/// The k-th smallest valid value (0-based; a zero as -0.0). Invalid when k is out of range.
[[nodiscard]] Status radix_kth_smallest(const ValueBlocks& v, std::int64_t k, const RadixSelectParams& p,
                                        float& out);

/// Exact median and MAD of the valid values (see the file comment); scale = 1.4826 * MAD.
[[nodiscard]] Status radix_robust_location(const ValueBlocks& v, const RadixSelectParams& p,
                                           RobustLocation& out);

/// The threshold with the top fraction of the valid values at or above it: the k-th largest value,
/// k = top_fraction_rank(top_fraction, count) (stats.merged's rule).
[[nodiscard]] Status radix_top_fraction_threshold(const ValueBlocks& v, double top_fraction,
                                                  const RadixSelectParams& p, double& threshold);

/// For ascending `thresholds`, the number of valid values x with double(x) >= thresholds[i].
std::vector<std::int64_t> count_at_or_above(const ValueBlocks& v, const std::vector<double>& thresholds);

/// The smallest valid value above 0 (+inf when there is none).
float smallest_positive(const ValueBlocks& v);

} // namespace prospector::kernels
