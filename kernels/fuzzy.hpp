#pragma once
/// \file fuzzy.hpp
/// Kernel family `fuzzy`: fuzzy membership functions and weighted overlay for knowledge-driven prospectivity.

#include "kernels/views.hpp"

namespace prospector::kernels {

/// Membership function shapes (as in ArcGIS Fuzzy Membership / Bonham-Carter 1994).
enum class MembershipShape {
  Linear, ///< 0 at or below `low`, 1 at or above `high`, linear between (low > high reverses it)
  Large,  ///< 1 / (1 + (x / midpoint)^-spread) for x > 0 (sigmoid favouring large values); 0 for x <= 0
  Small,  ///< 1 / (1 + (x / midpoint)^spread) for x > 0 (favours small values); 1 for x <= 0
  Logistic, ///< 1 / (1 + exp(-spread * (x - midpoint))): smooth step for z-scores, which may be negative
  Gaussian, ///< exp(-spread * (x - midpoint)^2)
};

/// Parameters of one membership function.
struct MembershipParams {
  MembershipShape shape = MembershipShape::Logistic;
  double low = 0.0, high = 1.0;      ///< Linear
  double midpoint = 0.0, spread = 1.0; ///< Large, Small, Logistic, Gaussian
};

/// out[i] = membership(in[i]) in [0, 1]; NaN stays NaN. in and out may alias. OpenMP-parallel.
Status membership(const float* in, float* out, std::int64_t n, const MembershipParams& params);

/// Weighted fuzzy overlay: out = gamma-combination of the weighted mean ("fuzzy sum of weights") of the
/// memberships. With gamma = 1 (default) out = sum_k w_k m_k / sum_k w_k over the layers valid at the cell.
/// A cell is NaN when the valid layers there carry less than `min_weight_fraction` of the total weight.
struct OverlayParams {
  double min_weight_fraction = 0.5;
};

/// Combines n_layers membership arrays of length n with the given non-negative weights.
Status weighted_overlay(const float* const* memberships, const double* weights, std::int64_t n_layers,
                        std::int64_t n, const OverlayParams& params, float* out);

} // namespace prospector::kernels
