#pragma once
/// \file components.hpp
/// Kernel family `targets`: threshold by quantile and label 8-connected components.

#include "kernels/views.hpp"

#include <vector>

namespace prospector::kernels {

/// Value such that a fraction `top_fraction` of the valid cells are >= it (nearest rank on the sorted valid
/// values; ties included). Returns Invalid when no cell is valid or top_fraction is outside (0, 1].
Status top_fraction_threshold(ConstGridView in, double top_fraction, std::vector<float>& scratch,
                              double& threshold);

/// Labels 8-connected components of cells with value >= threshold (NaN never qualifies). labels receives
/// 0 for background and 1..n_components in raster scan order of each component's first cell, which makes
/// the labelling deterministic. Uses union-find with path compression.
Status label_components(ConstGridView in, double threshold, std::vector<std::int32_t>& labels,
                        std::int32_t& n_components);

} // namespace prospector::kernels
