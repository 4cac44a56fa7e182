#pragma once
/// \file table.hpp
/// Kernel family `wofe` (continued): ArcSDM-style weights tables of any evidence layer and the response
/// (posterior probability, its standard deviations and confidence) built from their generalised weights.
///
/// Conventions (ArcSDM 5, "Calculate Weights" and "Calculate Response"; Bonham-Carter 1994, ch. 9):
/// - areas are in unit cells: a grid cell counts `unit_cells` = cell area / unit area (1 = one grid cell);
/// - training points are counted as points, each deposit index once (pass a cell twice to count two
///   points in it; deduplicate first to count deposit cells instead, as EIS Toolkit does);
/// - class codes are int32 0..n_classes-1; a negative code is missing data: its cells and points leave the
///   layer's totals, it gets weight 0 and deviation 0, and it adds missing-data variance in the response;
/// - a row of a table is a class present in the layer (at least one valid cell), in table order:
///   ascending codes, except for Descending (descending codes).
///
/// Everything is exact-integer counting plus O(rows) arithmetic, so results do not depend on threads.

#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// How the rows of a table form patterns.
enum class WofeTableType {
  /// Two classes, 0 (pattern absent) and 1 (present): W+ and W- of class 1; generalised class 2 = class 1
  /// (weight W+), 1 = class 0 (weight W-).
  Binary,
  /// Each class against every other class; classes whose |C / s(C)| reaches the confidence keep their W+,
  /// the others are pooled into one generalised class (99, or 99 + 100 k above the largest code) whose
  /// weight is the W+ of the pooled counts.
  Categorical,
  /// Pattern of row k = classes with code <= row k's code (low values favourable, e.g. distances).
  Ascending,
  /// Pattern of row k = classes with code >= row k's code (high values favourable, e.g. anomalies).
  Descending,
  /// Each class against the rest, weight = its W+, no confidence gate and no pooling (EIS Toolkit's
  /// "unique"; ArcSDM's Unique writes weight 0, which is of no use to a response).
  Unique,
};

/// Which row of a cumulative (Ascending / Descending) table becomes the binary pattern.
enum class WofeGeneralise {
  /// ArcSDM: the first row of largest contrast among rows whose C / s(C) reaches the confidence.
  MaxContrast,
  /// The first row of largest C / s(C) (which must reach the confidence).
  MaxStudentized,
  /// The row of class code `cutoff_class` (whose C / s(C) must reach the confidence).
  Manual,
};

/// Zero-count traps of the 2x2 table (where ArcSDM and EIS Toolkit differ).
enum class WofeTraps {
  /// ArcSDM MakeWts: no point in the pattern -> every weight 0; every point in the pattern -> 0.99 of a
  /// point moved out (db - 0.99); pattern area too large for the points outside -> b = s + db - ds - 0.01;
  /// still no non-deposit area in the pattern -> every weight 0.
  ArcSdm,
  /// EIS Toolkit: no point in the pattern, or no non-deposit area at all -> every weight 0; no point
  /// outside -> 0.99 of a point moved out; no non-deposit area outside -> 0.99 unit moved out.
  EisToolkit,
};

/// Flags of one row (bits of WofeTableRow::flags).
enum WofeTableFlags : std::uint32_t {
  kWofeRowNoPoints = 1u,     ///< no training point in the pattern: weights 0
  kWofeRowAllPoints = 2u,    ///< every point in the pattern: 0.99 of a point moved out
  kWofeRowAreaAdjusted = 4u, ///< a non-deposit area was adjusted (ArcSDM's b fix, EIS's D = 0.99)
  kWofeRowNoArea = 8u,       ///< more points than unit cells in the pattern: weights 0
  kWofeRowConfident = 16u,   ///< |C / s(C)| (categorical) or C / s(C) reaches the confidence
  kWofeRowCutoff = 32u,      ///< the cumulative row chosen by the generalisation
};

/// Parameters of `wofe.table`.
struct WofeTableParams {
  WofeTableType type = WofeTableType::Categorical;
  WofeGeneralise generalise = WofeGeneralise::MaxContrast;
  std::int32_t cutoff_class = -1; ///< Manual: class code of the last row inside the pattern
  double confidence = 2.0;        ///< gate on the studentized contrast (ArcSDM's default 2), >= 0
  double unit_cells = 1.0;        ///< unit cells per grid cell (cell area / unit area), > 0
  WofeTraps traps = WofeTraps::ArcSdm;
};

/// Per-class counts of one layer, from wofe_count_classes.
struct WofeClassCounts {
  std::vector<std::int64_t> cells;  ///< valid study-area cells per class code
  std::vector<std::int64_t> points; ///< training points per class code
  std::int64_t missing_cells = 0;   ///< study-area cells with a negative code
  std::int64_t missing_points = 0;  ///< training points on them
  std::int64_t outside_points = 0;  ///< training points outside the study area (not counted)
};

/// One row of a weights table (ArcSDM's columns).
struct WofeTableRow {
  std::int32_t cls = 0;    ///< class code
  std::int64_t cells = 0;  ///< cells of the class itself
  double area = 0;         ///< its area in unit cells
  std::int64_t points = 0; ///< training points in the class itself
  double pattern_area = 0; ///< area of the row's pattern (accumulated for Ascending / Descending)
  std::int64_t pattern_points = 0;
  double w_plus = 0, s_w_plus = 0, w_minus = 0, s_w_minus = 0;
  double contrast = 0, s_contrast = 0, studentized = 0;
  std::int32_t gen_class = 0; ///< generalised class (2 / 1, the code, 99.., -1 for rows of invalid tables)
  double weight = 0;          ///< generalised weight added to the logit at this class's cells
  double w_std = 0;           ///< its standard deviation
  std::uint32_t flags = 0;    ///< WofeTableFlags
};

/// A generalised class: the cells that share one weight.
struct WofeGenClass {
  std::int32_t gen_class = 0;
  double area = 0; ///< unit cells
  std::int64_t points = 0;
  double weight = 0, w_std = 0;
};

/// A weights table.
struct WofeTable {
  std::vector<WofeTableRow> rows;
  std::vector<WofeGenClass> gen; ///< generalised classes of a valid table
  double total_area = 0;         ///< s: valid study-area cells of the layer, in unit cells
  std::int64_t total_points = 0; ///< ds: training points on them
  double missing_area = 0;       ///< unit cells of missing data in the study area
  std::int32_t cutoff_row = -1;  ///< cumulative / binary: index of the pattern's row
  bool valid = false;            ///< the generalisation succeeded: the table may enter a response
  std::int32_t n_classes = 0;    ///< codes 0..n_classes-1 (lookups in the response)
};

/// Counts cells and training points per class code. classes (length n): codes < n_classes or negative
/// (missing); study_area (nullptr = every cell) nonzero inside; points: cell indices of the training
/// points, a cell repeated once per point. Invalid for a code >= n_classes or a point index outside
/// [0, n). OpenMP-parallel exact counts.
Status wofe_count_classes(const std::int32_t* classes, std::int64_t n, std::int32_t n_classes,
                          const std::uint8_t* study_area, const std::int64_t* points, std::int64_t n_points,
                          WofeClassCounts& out);

/// Weights of one 2x2 table in unit cells (ArcSDM's MakeWts and EIS's metrics): s = total area, b =
/// pattern area, ds = total points, db = pattern points. Writes w_plus .. studentized and the flags
/// kWofeRowNoPoints, kWofeRowAllPoints, kWofeRowAreaAdjusted, kWofeRowNoArea of `row`.
void wofe_pattern_weights(double s, double b, double ds, double db, WofeTraps traps, WofeTableRow& row);

/// Builds the weights table of a layer from its counts: rows, pattern weights, generalisation and the
/// generalised classes. Invalid for a layer without valid cells or points, for a Binary layer whose
/// codes are not {0, 1} with both present, or for a Manual cutoff class that is not a row. A table whose
/// generalisation fails the confidence gate is returned with valid = false (Status Ok).
Status wofe_table(const WofeClassCounts& counts, const WofeTableParams& params, WofeTable& out);

/// How wofe_response turns the logit variance into a probability deviation.
enum class WofeStd {
  /// ArcSDM and EIS Toolkit: s(P) = sqrt(P^2 (1/N(D) + sum s2(W))) (Bonham-Carter's odds approximation).
  ArcSdm,
  /// Delta method on the logistic: s(P) = P (1 - P) sqrt(1/N(D) + sum s2(W)).
  Delta,
};

/// One layer of a response: its class codes and its (valid) table.
struct WofeResponseLayer {
  const std::int32_t* classes = nullptr;
  const WofeTable* table = nullptr;
};

/// Parameters of `wofe.response`.
struct WofeResponseParams {
  WofeStd std_method = WofeStd::ArcSdm;
  double unit_cells = 1.0;      ///< unit cells per grid cell (as in the tables)
  bool missing_variance = true; ///< add ArcSDM's missing-data variance to the total deviation
};

/// Summary of a response.
struct WofeResponseSummary {
  double study_area = 0;        ///< N(T) in unit cells
  std::int64_t points = 0;      ///< N(D): training points in the study area
  double prior_probability = 0; ///< N(D) / N(T)
  double prior_logit = 0;
  double expected_points = 0; ///< T = sum over cells of P * unit_cells (for the CI test)
  double s_expected = 0;      ///< s(T) = sqrt(sum over unique conditions of (A_k s(P_k))^2)
  double ci_z = 0;            ///< (T - N(D)) / s(T)
  double ci_p_value = 0;      ///< one-sided P(Z >= z)
  double ci_ratio = 0;        ///< N(D) / T
  std::int64_t unique_conditions = 0;
};

/// Response of layers whose tables are valid (Calculate Response): per study-area cell,
///   logit = ln(p0 / (1 - p0)) + sum_k weight_k(class), p0 = N(D) / N(T), P = 1 / (1 + exp(-logit));
///   std_weights = s(P) from 1/N(D) + sum_k w_std_k^2 (params.std_method);
///   md_variance = sum over layers k missing at the cell of sum over k's generalised classes g of
///                 (P_g - P)^2 A_g / A_k, with P_g the posterior had the cell been in g (logit + W_g) and
///                 A_k the layer's data area (Bonham-Carter 1994; ArcSDM's MissingDataVar);
///   total_std = sqrt(std_weights^2 + md_variance) (md_variance 0 when params.missing_variance is off);
///   confidence = P / total_std.
/// Outputs (length n, each may be nullptr) get NaN outside the study area. n_points: training points in
/// the study area (N(D), as counted for the tables). Also computes the Agterberg-Cheng (2002) test over
/// unique conditions (identical generalised-class combinations) into the summary. Invalid for an invalid
/// table or no layers. Per-cell work is OpenMP-parallel; the CI grouping sorts condition codes.
Status wofe_response(const WofeResponseLayer* layers, std::int64_t n_layers, std::int64_t n,
                     const std::uint8_t* study_area, std::int64_t n_points, const WofeResponseParams& params,
                     float* posterior, float* std_weights, float* md_variance, float* total_std,
                     float* confidence, WofeResponseSummary& summary);

/// Pairwise conditional-independence test of two binary patterns over the training points (Bonham-Carter
/// 1994, ch. 9): the 2x2 table of points by pattern presence (rows: layer a in/out, columns: layer b
/// in/out, points missing in either layer left out) against the counts expected under independence,
/// chi2 = sum (O - E)^2 / E with 1 degree of freedom.
struct WofePairTest {
  std::int64_t table[2][2] = {{0, 0}, {0, 0}}; ///< [a in][b in] observed points (index 0 = in pattern)
  double chi_square = 0;
  double p_value = 1;      ///< P(chi2_1 >= chi_square)
  std::int64_t points = 0; ///< points in the table
};

/// `in_a`, `in_b`: per point, 1 = in the pattern (generalised class 2 / a confident class), 0 = outside,
/// negative = missing. Invalid when a row or column of the table is empty (the statistic is undefined).
Status wofe_pair_test(const std::int8_t* in_a, const std::int8_t* in_b, std::int64_t n_points,
                      WofePairTest& out);

} // namespace prospector::kernels
