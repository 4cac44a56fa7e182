#pragma once
/// \file log_ratio.hpp
/// Kernels `geochem.log`, `geochem.clr` and `geochem.ilr`: logs and log-ratio transforms (CLR, ILR and its
/// inverse) of geochemical compositions, in the layouts of variables.hpp.
///
/// Nodata. A sample with any NaN, infinite or non-positive part among the parts used gives NaN in every
/// output variable of that sample (for the inverse ILR: any non-finite coordinate).
///
/// References: Aitchison (1986) The Statistical Analysis of Compositional Data; Egozcue et al. (2003)
/// Isometric logratio transformations for compositional data analysis, Math. Geol. 35:279-300; Egozcue &
/// Pawlowsky-Glahn (2005) Groups of parts and their balances, Math. Geol. 37:795-828; Filzmoser, Hron &
/// Templ (2018) Applied Compositional Data Analysis, Springer.

#include "kernels/cpu_dispatch.hpp"
#include "kernels/geochem/variables.hpp"
#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

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

namespace detail {
/// clr and ilr with their vector builds limited to `allowed` (tests compare the builds' bits).
Status clr_isa(const VariablesView& in, const PartSubset& subset, CompositionScratch& scratch,
               const VariablesOut& out, cpu::Isa allowed);
Status ilr_isa(const VariablesView& in, const PartSubset& subset, const IlrBasis& basis,
               CompositionScratch& scratch, const VariablesOut& out, cpu::Isa allowed);
} // namespace detail

} // namespace prospector::kernels
