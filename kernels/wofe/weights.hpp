#pragma once
/// \file weights.hpp
/// Kernel family `wofe`: weights of evidence (Bonham-Carter 1994) on grids: class weights, posterior
/// probability and the Agterberg-Cheng conditional-independence test.
///
/// Conventions of this family:
/// - the unit cell is one grid cell: every count below is a number of cells (unit area = 1 cell), and a
///   cell holds at most one deposit (the deposit mask is 0/1; several occurrences in one cell count once);
/// - evidence is a class grid of int32 codes 0..n_classes-1, negative = nodata (see classes_from_grid and
///   classes_from_mask to build it from a float grid or a 0/1 mask); binary evidence is the 2-class case
///   (0 = pattern absent ~B, 1 = pattern present B);
/// - an optional study-area mask (nonzero = inside, nullptr = every cell) restricts all counts; the study
///   area T of a layer's weights is the study area minus the layer's nodata cells;
/// - a class without deposits gets W+ = 0 by default, flagged, as in ArcSDM (WofeZeroClass; see there for
///   the symmetric case of a class holding every deposit and for the continuity alternative);
/// - all counts are exact integers, so results do not depend on the thread count.

#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// Flags of one class's weights (bit mask in WofeClassWeights::flags). Bits 1-16 say which count of the
/// class's 2x2 table is zero; bits 32-128 say what was done about it.
enum WofeFlags : std::uint32_t {
  kWofeNoDeposits = 1u,     ///< N(B ∩ D) = 0: no deposit in the class
  kWofeAllDeposits = 2u,    ///< N(~B ∩ D) = 0: every deposit is in the class
  kWofeOnlyDeposits = 4u,   ///< N(B ∩ ~D) = 0: every cell of the class holds a deposit (W+ corrected)
  kWofeAllNonDeposits = 8u, ///< N(~B ∩ ~D) = 0: the class holds every non-deposit cell (W- corrected)
  kWofeEmptyClass = 16u,    ///< the class has no valid cell: all weights and deviations are set to 0
  kWofeZeroWPlus = 32u,     ///< WofeZeroClass::ArcSdm, no deposit: W+ = s(W+) = 0 and C = s(C) = C/s(C) = 0
  kWofeZeroWMinus = 64u,    ///< WofeZeroClass::ArcSdm, all deposits: W- = s(W-) = 0 and C = s(C) = C/s(C) = 0
  kWofeCorrected = 128u,    ///< a zero count was replaced by the continuity correction
};

/// What wofe_weights does with a class whose deposit count N(B ∩ D) is zero (and, symmetrically, with a
/// class that holds every deposit, N(~B ∩ D) = 0). A weight can only be estimated from deposits: with none,
/// ln(0) has no value and any replacement count decides the weight by itself.
enum class WofeZeroClass {
  /// ArcSDM's convention (default): the weight that has no deposit to estimate it is 0 with deviation 0,
  /// so the class adds nothing to the posterior logit, and the contrast, its deviation and the studentized
  /// contrast are 0 (flags kWofeZeroWPlus / kWofeZeroWMinus). The other weight is computed as usual.
  ArcSdm,
  /// Every zero count is replaced by `continuity` (the totals of the table recomputed), which gives the
  /// class a finite weight of either sign; flagged kWofeCorrected.
  Continuity,
};

/// Parameters of `wofe.weights`.
struct WofeParams {
  /// Treatment of zero deposit counts; see WofeZeroClass.
  WofeZeroClass zero_class = WofeZeroClass::ArcSdm;
  /// Continuity correction: a zero count of N(B∩D), N(B∩~D), N(~B∩D), N(~B∩~D) that zero_class does not
  /// handle is replaced by this value (the totals N(D), N(~D) of that class's table are then recomputed
  /// from the corrected counts), so no weight takes log(0) and every variance is finite. Under ArcSdm only
  /// the non-deposit counts N(B∩~D) and N(~B∩~D) use it. Must be finite and > 0.
  double continuity = 0.5;
};

/// Weights of one class B_j of an evidence layer, treating B = B_j and ~B = every other valid class.
/// Counts are cells of the layer's study area T (study area minus nodata).
struct WofeClassWeights {
  std::int64_t cells = 0;    ///< N(B): valid cells in the class
  std::int64_t deposits = 0; ///< N(B ∩ D): deposit cells in the class
  double w_plus = 0.0;       ///< W+ = ln[P(B|D) / P(B|~D)]; also the generalised weight of the class
  double w_minus = 0.0;      ///< W- = ln[P(~B|D) / P(~B|~D)]
  double contrast = 0.0;     ///< C = W+ - W-
  double s_w_plus = 0.0;     ///< s(W+) = sqrt(1/N(B∩D) + 1/N(B∩~D))
  double s_w_minus = 0.0;    ///< s(W-) = sqrt(1/N(~B∩D) + 1/N(~B∩~D))
  double s_contrast = 0.0;   ///< s(C) = sqrt(s2(W+) + s2(W-))
  double studentized = 0.0;  ///< C / s(C)
  std::uint32_t flags = 0;   ///< WofeFlags bits
};

/// Weights of every class of one evidence layer.
///
/// For binary evidence (classes 0 = ~B, 1 = B) the binary weights are classes[1].w_plus (W+),
/// classes[1].w_minus (W-), classes[1].contrast etc.; classes[0].w_plus equals classes[1].w_minus.
/// For multi-class evidence, classes[j].w_plus is the generalised weight W_j = ln[P(B_j|D) / P(B_j|~D)] of
/// class j against all other classes, with variance s_w_plus^2 = 1/N(B_j∩D) + 1/N(B_j∩~D). The posterior
/// adds classes[j].w_plus at every cell of class j, which for two classes is exactly W+ inside B and W-
/// outside.
struct WofeWeights {
  std::int32_t n_classes = 0;
  std::int64_t cells = 0;                ///< N(T): study-area cells where the layer is valid
  std::int64_t deposits = 0;             ///< N(D): deposit cells among them
  std::vector<WofeClassWeights> classes; ///< n_classes entries (resized, reused)
};

/// Builds a 0/1 deposit mask (length n) from deposit cell indices. Several indices in one cell give one
/// deposit cell; their surplus is counted in `duplicates`. Returns Invalid for an index outside [0, n).
Status deposit_mask_from_indices(const std::int64_t* cells, std::int64_t n_cells, std::int64_t n,
                                 std::uint8_t* mask, std::int64_t& duplicates);

/// Converts a float grid of class codes to int32 classes: NaN or a negative value becomes nodata (-1); any
/// other value must be an integer below 2^20 (else Invalid). n_classes receives the largest code + 1 (0 when
/// every cell is nodata). in and classes are length n.
Status classes_from_grid(const float* in, std::int64_t n, std::int32_t* classes, std::int32_t& n_classes);

/// Converts a binary evidence mask to classes: 0 -> class 0 (~B), 1 -> class 1 (B), any other byte (e.g.
/// 255) -> nodata (-1).
Status classes_from_mask(const std::uint8_t* mask, std::int64_t n, std::int32_t* classes);

/// Weights of evidence of one layer. classes (length n) hold codes 0..n_classes-1 or a negative value for
/// nodata; deposits is a 0/1 mask (nonzero = deposit cell); study_area may be nullptr. Cells outside the
/// study area or with nodata are ignored. Returns Invalid for a code >= n_classes, n_classes < 1, or when
/// the layer's study area holds no deposit or only deposits. Counting is OpenMP-parallel (exact integers),
/// O(n + n_classes).
Status wofe_weights(const std::int32_t* classes, std::int64_t n, std::int32_t n_classes,
                    const std::uint8_t* deposits, const std::uint8_t* study_area, const WofeParams& params,
                    WofeWeights& out);

/// One evidence layer of a posterior: its classes and the weights computed from them.
struct WofeLayer {
  const std::int32_t* classes = nullptr; ///< length n; negative = nodata (adds weight 0 and variance 0)
  const WofeWeights* weights = nullptr;  ///< from wofe_weights on these classes
};

/// Summary of a posterior computation.
struct WofePosteriorSummary {
  std::int64_t cells = 0;      ///< N(T): study-area cells
  std::int64_t deposits = 0;   ///< N(D): deposit cells in the study area
  double prior_logit = 0.0;    ///< ln(N(D) / (N(T) - N(D)))
  double prior_variance = 0.0; ///< 1 / N(D), the variance of the prior logit (Bonham-Carter 1994)
};

/// Posterior probability per cell under conditional independence:
///   logit = prior_logit + sum_k W_k(class of the cell in layer k),  posterior = 1 / (1 + exp(-logit)),
/// with W_k(j) = layers[k].weights->classes[j].w_plus (the generalised weight; W+ / W- for binary layers)
/// and weight 0 where layer k is nodata. The prior is taken over the study area (all cells when study_area
/// is nullptr).
///
/// variance (optional, may be nullptr) receives the variance of the posterior probability due to the
/// weights and the prior: in logit space var(logit) = 1/N(D) + sum_k s2(W_k(class)) (layers treated as
/// independent, nodata layers contribute 0), propagated to probability by the delta method:
/// var(P) = (P (1 - P))^2 var(logit). Cells outside the study area get NaN in both outputs. Computed in
/// double per cell, OpenMP-parallel, bit-identical for any thread count.
Status wofe_posterior(const WofeLayer* layers, std::int64_t n_layers, std::int64_t n,
                      const std::uint8_t* deposits, const std::uint8_t* study_area, float* posterior,
                      float* variance, WofePosteriorSummary& summary);

/// Result of the Agterberg-Cheng conditional-independence test.
struct WofeCiTest {
  std::int64_t deposits = 0;          ///< n = N(D), observed deposit cells in the study area
  double expected = 0.0;              ///< T = sum over study-area cells of posterior probability (unit area)
  double s_expected = 0.0;            ///< s(T), see wofe_ci_test
  double z = 0.0;                     ///< (T - n) / s(T)
  double p_value = 0.0;               ///< one-sided P(Z >= z) for a standard normal Z
  double ratio = 0.0;                 ///< n / T; below about 0.85 suggests conditional dependence
  std::int64_t unique_conditions = 0; ///< distinct class combinations in the study area
};

/// Scratch of wofe_ci_test (reused between calls; grows to one int64 per study-area cell).
struct WofeCiScratch {
  std::vector<std::int64_t> codes;
};

/// Agterberg-Cheng (2002) conditional-independence test of a posterior built from `layers` (same meaning as
/// in wofe_posterior). Cells are grouped into unique conditions (identical class combination, nodata being
/// its own state); with A_k cells, posterior P_k and var(P_k) (as in wofe_posterior) per condition:
///   T = sum_k A_k P_k,   s2(T) = sum_k A_k^2 var(P_k),
/// i.e. cells of one condition are treated as perfectly correlated and conditions as independent, as in
/// Agterberg & Cheng's test. z = (T - n) / s(T), p_value = P(Z >= z) (small p: T significantly exceeds n,
/// the sign of conditional dependence), ratio = n / T. Conditions are encoded as mixed-radix integers and
/// sorted; Invalid when the number of possible combinations exceeds 2^62. Sequential, O(N log N).
Status wofe_ci_test(const WofeLayer* layers, std::int64_t n_layers, std::int64_t n,
                    const std::uint8_t* deposits, const std::uint8_t* study_area, WofeCiScratch& scratch,
                    WofeCiTest& out);

} // namespace prospector::kernels
