#pragma once
/// \file fuzzy.hpp
/// Kernel family `fuzzy`: fuzzy membership functions, weighted overlay and fuzzy operators (AND, OR, product,
/// sum, gamma) for knowledge-driven prospectivity.

#include "kernels/cpu_dispatch.hpp"
#include "kernels/views.hpp"

namespace prospector::kernels {

/// Membership function shapes (as in ArcGIS Fuzzy Membership / Bonham-Carter 1994).
enum class MembershipShape {
  Linear,   ///< 0 at or below `low`, 1 at or above `high`, linear between (low > high reverses it)
  Large,    ///< 1 / (1 + (x / midpoint)^-spread) for x > 0 (sigmoid favouring large values); 0 for x <= 0
  Small,    ///< 1 / (1 + (x / midpoint)^spread) for x > 0 (favours small values); 1 for x <= 0
  Logistic, ///< 1 / (1 + exp(-spread * (x - midpoint))): smooth step for z-scores, which may be negative
  Gaussian, ///< exp(-spread * (x - midpoint)^2)
};

/// Parameters of one membership function.
struct MembershipParams {
  MembershipShape shape = MembershipShape::Logistic;
  double low = 0.0, high = 1.0;        ///< Linear
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

/// Fuzzy operators of Bonham-Carter (1994) / An et al. (1991) that combine n membership layers cell by cell.
enum class FuzzyOperator {
  And,     ///< minimum of the memberships
  Or,      ///< maximum of the memberships
  Product, ///< algebraic product prod_k m_k (decreasive: never above the smallest membership)
  Sum,     ///< algebraic sum 1 - prod_k (1 - m_k) (increasive: never below the largest membership)
  Gamma,   ///< (algebraic sum)^gamma * (algebraic product)^(1 - gamma)
};

/// How fuzzy_combine treats NaN (nodata) memberships.
enum class FuzzyNodata {
  Propagate, ///< a cell where any layer is NaN gives NaN
  Ignore,    ///< combine the layers valid at the cell; NaN only where no layer is valid
};

/// Parameters of `fuzzy.and`, `fuzzy.or`, `fuzzy.product`, `fuzzy.sum` and `fuzzy.gamma`.
struct FuzzyCombineParams {
  double gamma = 0.9; ///< Gamma only, in [0, 1]: 0 gives the product, 1 the algebraic sum
  FuzzyNodata nodata = FuzzyNodata::Propagate;
};

/// out[i] = op(memberships[0][i], ..., memberships[n_layers-1][i]) over n_layers arrays of length n.
/// Memberships are clamped to [0, 1] first; the combination is evaluated in double in layer order and
/// written as float, so results do not depend on the thread count. NaN handling per params.nodata (with
/// Ignore, skipping a layer leaves it out of the min/max/product/sum, which for the product and the
/// algebraic sum is the same as a membership of 1 and of 0 respectively). out may alias any input.
/// O(n * n_layers), OpenMP-parallel.
Status fuzzy_combine(const float* const* memberships, std::int64_t n_layers, std::int64_t n, FuzzyOperator op,
                     const FuzzyCombineParams& params, float* out);

/// Parameters of `fuzzy.category`: a favourability table over class indices.
struct CategoryParams {
  const double* table = nullptr; ///< membership of class k at table[k], in [0, 1] or NaN (no evidence)
  std::int64_t size = 0;         ///< entries of the table
  double other = 0.0;            ///< membership of a class index outside the table (or NaN)
};

/// Membership of a categorical layer (class indices as floats): out[i] = table[k] where in[i] is the integer
/// k in [0, size), `other` for any other finite value; NaN stays NaN. in and out may alias. Element-wise,
/// O(n), OpenMP-parallel.
Status category_membership(const float* in, float* out, std::int64_t n, const CategoryParams& params);

namespace detail {
/// membership with its vector build limited to `allowed` (tests compare the builds' bits).
Status membership_isa(const float* in, float* out, std::int64_t n, const MembershipParams& params,
                      cpu::Isa allowed);
/// weighted_overlay with its vector build limited to `allowed`.
Status weighted_overlay_isa(const float* const* memberships, const double* weights, std::int64_t n_layers,
                            std::int64_t n, const OverlayParams& params, float* out, cpu::Isa allowed);
} // namespace detail

} // namespace prospector::kernels
