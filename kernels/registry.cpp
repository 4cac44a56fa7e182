#include "kernels/registry.hpp"

#include <algorithm>

namespace prospector::kernels {

// Defaults below mirror the default member initialisers of the Params structs in the kernel headers;
// registry_test.cpp checks that they agree.
const std::vector<KernelInfo>& kernel_registry() {
  static const std::vector<KernelInfo> registry = [] {
    std::vector<KernelInfo> r = {
        {"anomaly.rx",
         "Squared Mahalanobis distance of a band stack from its mean (Reed-Xiaoli anomaly detector).",
         "Estimates the mean vector and sample covariance (divisor count - 1) over the cells where every "
         "band "
         "is valid, in double precision with two passes (mean, then centred cross products) and per-block "
         "partial sums combined in a fixed order, so results are bit-identical for any thread count. A ridge "
         "of `ridge` times the mean variance is added to the diagonal before a Cholesky (LLT) factorisation "
         "gives the inverse. Each cell then receives (x - mean)^T inv_cov (x - mean), which follows a "
         "chi-square distribution with `bands` degrees of freedom for multivariate normal data. A cell where "
         "any band is NaN gives NaN. Fails when fewer than bands+1 cells are complete or the covariance is "
         "singular. Cost O(cells * bands^2) plus O(bands^3) for the inverse.",
         {{"ridge", "number", "1e-9", "diagonal load relative to the mean variance, keeps cov invertible"}}},
        {"fuzzy.membership",
         "Maps evidence values to fuzzy membership in [0, 1] with a linear, large, small, logistic or "
         "gaussian function.",
         "Shapes as in ArcGIS Fuzzy Membership / Bonham-Carter (1994): linear ramps from 0 at `low` to 1 at "
         "`high` (reversed when low > high); large = 1 / (1 + (x / midpoint)^-spread) for x > 0, else 0; "
         "small = 1 / (1 + (x / midpoint)^spread) for x > 0, else 1; logistic = 1 / (1 + exp(-spread * "
         "(x - midpoint))), suited to z-scores; gaussian = exp(-spread * (x - midpoint)^2). Results are "
         "evaluated in double and clamped to [0, 1]. NaN in gives NaN out. Element-wise, O(n), "
         "OpenMP-parallel.",
         {{"shape", "string", "logistic", "one of linear, large, small, logistic, gaussian"},
          {"low", "number", "0", "linear: value with membership 0"},
          {"high", "number", "1", "linear: value with membership 1"},
          {"midpoint", "number", "0", "large, small, logistic, gaussian: centre of the function"},
          {"spread", "number", "1", "large, small, logistic, gaussian: steepness"}}},
        {"fuzzy.overlay",
         "Weighted mean of fuzzy membership layers over the layers valid at each cell.",
         "out = sum_k w_k m_k / sum_k w_k, the sums running over the layers whose membership is not NaN at "
         "the cell; weights are non-negative and given per layer. A cell whose valid layers carry less than "
         "`min_weight_fraction` of the total weight (or no weight at all) is NaN. The result is clamped to "
         "[0, 1]. Layers are combined in their given order, so results do not depend on the thread count. "
         "O(n * layers), OpenMP-parallel.",
         {{"min_weight_fraction", "number", "0.5",
           "minimum share of the total weight that must be valid at a cell"}}},
        {"stats.robust_location",
         "Median and median absolute deviation (MAD) of the valid cells of a grid.",
         "Copies the valid (non-NaN) cells into a scratch buffer and selects the median with nth_element "
         "(the mean of the two middle values for an even count), then the median of the absolute deviations "
         "the same way. Reports median, raw MAD, scale = 1.4826 * MAD (consistent with the standard "
         "deviation for normal data) and the valid count. NaN cells are ignored; a grid without valid cells "
         "is an error. O(n) expected time, O(valid) scratch.",
         {}},
        {"stats.robust_z",
         "Robust z-score (x - median) / (1.4826 * MAD) per cell.",
         "Uses the median and scale from stats.robust_location. Where the scale is below `min_scale` (a "
         "constant field) every valid cell gets 0. NaN in gives NaN out. Element-wise in double, O(n), "
         "OpenMP-parallel and bit-identical for any thread count.",
         {{"min_scale", "number", "1e-12", "scale below this is treated as zero spread (output 0)"}}},
        {"targets.label_components",
         "Labels 8-connected components of the cells at or above a threshold.",
         "Cells with value >= threshold qualify; NaN never does. A raster-order union-find pass (path "
         "halving, the smallest cell index as root) joins each cell to its west, north-west, north and "
         "north-east neighbours, then a second pass numbers components 1..n in the raster order of their "
         "first cell, so the labelling is deterministic. Background is 0. O(n * alpha(n)) time, O(n) memory.",
         {}},
        {"targets.top_fraction_threshold",
         "Threshold that keeps a given top fraction of the valid cells.",
         "With k = max(1, ceil(top_fraction * valid count)) (nearest rank), returns the k-th largest valid "
         "value, so at least a fraction top_fraction of the valid cells are >= it; ties at the threshold are "
         "all included. NaN cells are ignored. Fails when no cell is valid or top_fraction is outside (0, "
         "1]. "
         "O(n) expected time by selection, O(valid) scratch.",
         {{"top_fraction", "number", "0.02", "fraction of valid cells to keep, in (0, 1]"}}},
        {"transform.log10",
         "Base-10 logarithm of values plus an offset, for log-normal geochemical concentrations.",
         "out = log10(x + offset) in double where x + offset > 0. NaN and non-positive values give NaN, and "
         "the number of finite non-positive values is reported so censored or zero assays can be flagged. "
         "Works on any contiguous array (grid cells or point values). O(n), OpenMP-parallel.",
         {{"offset", "number", "0", "added before the log, for data that contain zeros"}}},
        {"window.local_z",
         "Moving-window mean, standard deviation and z-score in constant time per cell.",
         "Builds summed-area tables of count, sum and sum of squares of (value - shift) in double, shift "
         "being the first valid value, so fields on a large offset keep their variance precision. Row prefix "
         "sums are built in parallel over rows, then column prefix sums in parallel over columns, which "
         "fixes "
         "the arithmetic of every table element and makes results bit-identical for any thread count. Each "
         "cell reads its (2 radius + 1)^2 window, clipped at the edges, from four lookups per table: "
         "O(cells) "
         "whatever the radius. Only valid cells are counted; a NaN cell or a window with fewer than "
         "`min_count` valid cells gives NaN; a window whose population standard deviation is below `min_std` "
         "gives z = 0.",
         {{"radius", "integer", "10", "half-width of the square window in cells (>= 1)"},
          {"min_count", "integer", "3", "fewer valid cells in the window gives NaN"},
          {"min_std", "number", "1e-12", "window standard deviation below this gives z = 0"}}},
    };
    std::sort(r.begin(), r.end(), [](const KernelInfo& a, const KernelInfo& b) { return a.name < b.name; });
    return r;
  }();
  return registry;
}

const KernelInfo* find_kernel(const std::string& name) {
  const auto& r = kernel_registry();
  auto it = std::lower_bound(r.begin(), r.end(), name,
                             [](const KernelInfo& k, const std::string& n) { return k.name < n; });
  return (it != r.end() && it->name == name) ? &*it : nullptr;
}

} // namespace prospector::kernels
