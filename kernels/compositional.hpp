#pragma once
/// \file compositional.hpp
/// Kernel family `geochem`: censored-value substitution, logs, log-ratio transforms (CLR, ILR) and robust
/// standardisation of geochemical compositions.
///
/// Data layout. A set of n samples of m variables (parts of a composition, or coordinates) is described by
/// VariablesView / VariablesOut: variable j of sample i lives at `var[j][i * stride]`. This one description
/// covers the three layouts in use:
/// - row-major sample arrays (n x D, sample after sample): `VariablesView::row_major(data, n, D)`;
/// - part-major arrays (D x n, one contiguous block per part): `VariablesView::part_major(data, n, D)`;
/// - stacks of D grids of the same shape (one GridView per part): `VariablesView::grids(views, D)`, where a
///   sample is a grid cell (n = nx * ny).
///
/// Nodata. In the compositional kernels (log, CLR, ILR and its inverse) a sample with any NaN, infinite or
/// non-positive part among the parts used gives NaN in every output variable of that sample. All kernels
/// here are element-wise over samples (OpenMP-parallel) or use a fixed sequential order, so results are
/// bit-identical for any thread count.
///
/// References: Aitchison (1986) The Statistical Analysis of Compositional Data; Egozcue et al. (2003)
/// Isometric logratio transformations for compositional data analysis, Math. Geol. 35:279-300; Egozcue &
/// Pawlowsky-Glahn (2005) Groups of parts and their balances, Math. Geol. 37:795-828; Filzmoser, Hron &
/// Templ (2018) Applied Compositional Data Analysis, Springer; Helsel (2005) Nondetects and Data Analysis,
/// Wiley (regression on order statistics).

#include "kernels/cpu_dispatch.hpp"
#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// Read-only view of n samples of m variables: variable j of sample i is `var[j][i * stride]`.
struct VariablesView {
  std::vector<const float*> var; ///< one base pointer per variable
  std::int64_t n = 0;            ///< number of samples (cells for grid stacks); negative marks a bad view
  std::int64_t stride = 1;       ///< distance between consecutive samples of one variable, in floats

  std::int64_t vars() const { return static_cast<std::int64_t>(var.size()); }
  float at(std::int64_t i, std::int64_t j) const { return var[static_cast<std::size_t>(j)][i * stride]; }

  /// n x m row-major array: sample i, variable j at data[i * m + j].
  static VariablesView row_major(const float* data, std::int64_t n, std::int64_t m);
  /// m x n part-major array: sample i, variable j at data[j * n + i].
  static VariablesView part_major(const float* data, std::int64_t n, std::int64_t m);
  /// Stack of m grids; a sample is a cell. Grids of different shapes give a view with n = -1, which every
  /// kernel rejects.
  static VariablesView grids(const ConstGridView* g, std::int64_t m);
};

/// Writable view with the same addressing as VariablesView.
struct VariablesOut {
  std::vector<float*> var;
  std::int64_t n = 0;
  std::int64_t stride = 1;

  std::int64_t vars() const { return static_cast<std::int64_t>(var.size()); }
  float& at(std::int64_t i, std::int64_t j) const { return var[static_cast<std::size_t>(j)][i * stride]; }

  static VariablesOut row_major(float* data, std::int64_t n, std::int64_t m);
  static VariablesOut part_major(float* data, std::int64_t n, std::int64_t m);
  static VariablesOut grids(const GridView* g, std::int64_t m);
};

// ---------------------------------------------------------------------------------------------------------
// geochem.substitute_censored

/// How censored (below detection limit) values are replaced.
enum class CensoredMethod {
  HalfDl,       ///< DL / 2
  DlSqrt2Over2, ///< DL * sqrt(2) / 2 (= DL / sqrt(2)), Hornung & Reed (1990), for data not highly skewed
  Ros,          ///< robust regression on order statistics of the log values (Helsel 2005), see below
};

/// Parameters of `geochem.substitute_censored`.
struct CensoredParams {
  CensoredMethod method = CensoredMethod::HalfDl;
  /// Ros only: fewer detected values than this (and never fewer than 2) fall back to DL / 2.
  std::int64_t min_detected = 3;
};

/// Reusable buffers for ROS; sized on first use.
struct CensoredScratch {
  std::vector<double> dl;           ///< distinct detection limits, then exceedance probabilities
  std::vector<std::int64_t> counts; ///< A_j, B_j, C_j per limit
  std::vector<std::int64_t> order;  ///< value indices sorted for ranking
  std::vector<double> z;            ///< normal quantiles of the plotting positions
};

/// What substitute_censored did.
struct CensoredReport {
  std::int64_t detected = 0;  ///< valid uncensored values (finite, > 0), copied unchanged
  std::int64_t censored = 0;  ///< censored values with a valid detection limit, substituted
  std::int64_t invalid = 0;   ///< NaN, infinite or non-positive values or limits: NaN out
  bool ros_used = false;      ///< Ros requested and the regression was fitted
  bool ros_fallback = false;  ///< Ros requested but too few detected values: DL / 2 used instead
  double ros_intercept = 0.0; ///< ln-scale regression ln(x) = intercept + slope * z (when ros_used)
  double ros_slope = 0.0;
};

/// Replaces censored values of one variable (contiguous array of n values, e.g. one element's assays or
/// one grid). `censored[i] != 0` flags value i as below detection; its `values[i]` is then the detection
/// limit DL (limits may differ between values). Uncensored values that are finite and > 0 are copied
/// unchanged; any other uncensored value, and a censored value whose DL is not finite and > 0, gives NaN.
///
/// - HalfDl: out = float(DL * 0.5) (computed in double).
/// - DlSqrt2Over2: out = float(DL * (sqrt(2) / 2)) (computed in double).
/// - Ros: robust ROS for one or several detection limits (Helsel 2005, ch. 6; Hirsch & Stedinger 1987
///   plotting positions). With the distinct limits DL_1 < ... < DL_m (DL_0 = 0, DL_{m+1} = +inf), A_j the
///   number of detected values in [DL_j, DL_{j+1}), B_j the number of values known to be below DL_j
///   (detected values < DL_j and censored values with limit <= DL_j) and C_j the number censored at DL_j,
///   the exceedance probabilities are pe_{m+1} = 0, pe_j = pe_{j+1} + A_j / (A_j + B_j) * (1 - pe_{j+1})
///   (the ratio taken as 0 when A_j + B_j = 0). Detected values in [DL_j, DL_{j+1}), sorted ascending with
///   rank r = 1..A_j, get plotting position p = (1 - pe_j) + (pe_j - pe_{j+1}) r / (A_j + 1); values censored
///   at DL_j, ranked r = 1..C_j in array order, get p = (1 - pe_j) r / (C_j + 1). Ordinary least squares of
///   ln(detected value) on the standard normal quantile z = Phi^-1(p) gives intercept a and slope b; each
///   censored value becomes float(min(DL, exp(a + b z))). Ties among detected values keep array order.
///   With fewer than `min_detected` detected values (at least 2 are always required) DL / 2 is used and
///   `ros_fallback` is set. Phi^-1 is computed by safeguarded Newton iteration on erfc to ~1e-15.
///
/// out may alias values. Sequential, O(n) for HalfDl / DlSqrt2Over2 and O(n log n) for Ros.
Status substitute_censored(const float* values, const std::uint8_t* censored, std::int64_t n,
                           const CensoredParams& params, CensoredScratch& scratch, float* out,
                           CensoredReport& report);

// ---------------------------------------------------------------------------------------------------------
// geochem.log, geochem.clr, geochem.ilr

/// Parts used by the compositional kernels: indices into the input's variables, in output order. Empty
/// means all variables in their order. Indices must be distinct and in range.
struct PartSubset {
  std::vector<std::int64_t> parts;
};

/// Per-thread buffers for the compositional kernels; sized on first use and reused.
struct CompositionScratch {
  std::vector<double> work;
};

/// out variable k = ln(x_{subset[k]}), NaN for the whole sample when any used part is invalid. out has
/// as many variables as the subset. out may alias in when both use the same layout.
Status log_parts(const VariablesView& in, const PartSubset& subset, CompositionScratch& scratch,
                 const VariablesOut& out);

/// Centred log-ratio: clr_k = ln x_k - (1/D) sum_l ln x_l over the D parts of the subset; every output row
/// sums to zero. Closure-invariant (multiplying a sample by a constant does not change it). out has D
/// variables and may alias in when both use the same layout.
Status clr(const VariablesView& in, const PartSubset& subset, CompositionScratch& scratch,
           const VariablesOut& out);

/// Orthonormal basis of the ILR: contrast matrix V (D x (D-1)) with V^T V = I and V^T 1 = 0, so that
/// ilr(x) = V^T clr(x) = V^T ln(x) and clr(x) = V ilr(x).
struct IlrBasis {
  std::int64_t parts = 0; ///< D
  std::vector<double> v;  ///< row-major D x (D-1): v[k * (D-1) + j] multiplies ln x_k in coordinate j
};

/// Pivot coordinates (Filzmoser et al. 2018, sec. 4.4; the sequential binary partition that splits off one
/// part at a time, Egozcue & Pawlowsky-Glahn 2005): for j = 1..D-1,
///   z_j = sqrt((D - j) / (D - j + 1)) * ln( x_j / geometric_mean(x_{j+1}, ..., x_D) ),
/// so z_1 holds all relative information about the first part of the subset. D >= 2.
Status ilr_pivot_basis(std::int64_t parts, IlrBasis& out);

/// Basis from a user sequential binary partition (Egozcue & Pawlowsky-Glahn 2005): `sbp` is (D-1) x D,
/// row-major, entries +1, -1 or 0; row j gives the balance z_j = sqrt(r s / (r + s)) ln(g(x+) / g(x-)) of
/// the r parts marked +1 against the s parts marked -1 (g = geometric mean). Returns Invalid unless the
/// rows form an orthonormal basis (checked on V to 1e-9), which holds exactly for a valid partition.
Status ilr_sbp_basis(const std::vector<int>& sbp, std::int64_t parts, IlrBasis& out);

/// Isometric log-ratio coordinates: out (D-1 variables) = V^T ln(x_subset). Aitchison distances between
/// samples equal Euclidean distances between their coordinates. basis.parts must equal the subset size.
/// out must not alias in.
Status ilr(const VariablesView& in, const PartSubset& subset, const IlrBasis& basis,
           CompositionScratch& scratch, const VariablesOut& out);

/// Parameters of the inverse ILR.
struct IlrInverseParams {
  double total = 1.0; ///< closure constant: output parts sum to this (1, 100 for %, 1e6 for ppm)
};

/// Inverse ILR: x = C[exp(V z)], the composition closed to `total` (D output variables from D-1
/// coordinates). A sample with any non-finite coordinate gives NaN. out must not alias in.
Status ilr_inverse(const VariablesView& coords, const IlrBasis& basis, const IlrInverseParams& params,
                   CompositionScratch& scratch, const VariablesOut& out);

// ---------------------------------------------------------------------------------------------------------
// geochem.robust_standardise

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

namespace detail {
/// clr and ilr with their vector builds limited to `allowed` (tests compare the builds' bits).
Status clr_isa(const VariablesView& in, const PartSubset& subset, CompositionScratch& scratch,
               const VariablesOut& out, cpu::Isa allowed);
Status ilr_isa(const VariablesView& in, const PartSubset& subset, const IlrBasis& basis,
               CompositionScratch& scratch, const VariablesOut& out, cpu::Isa allowed);
} // namespace detail

} // namespace prospector::kernels
