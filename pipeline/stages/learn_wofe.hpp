#pragma once
/// \file learn_wofe.hpp
/// Internal to the `learn` stage: ArcSDM-style weights of evidence on the layers of models.wofe_evidence
/// (weights tables, generalisation, the response with its deviations, the conditional-independence
/// tests), the tables as JSON for learn.json, and their CSV files for the output folder.

#include "kernels/wofe/table.hpp"
#include "pipeline/plan/plan.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace prospector::detail {

/// One models.wofe_evidence layer, classified once per run.
struct WofeEvidence {
  const WofeEvidenceSpec* spec = nullptr;
  std::vector<std::int32_t> classes; ///< per cell: class code, -1 = missing data
  std::int32_t n_classes = 0;
  std::vector<std::string> labels; ///< per code: value range, pattern or unit name
  std::vector<double> breaks;      ///< ascending / descending: the class breaks used
  std::vector<float> values;       ///< ascending / descending: the layer's values (logistic features)
  std::string error;               ///< classification failed (the layer is left out)
};

/// Reads and classifies every models.wofe_evidence layer (whole grid).
std::vector<WofeEvidence> classify_wofe_evidence(const Plan& p, std::vector<std::string>& log);

/// The weights-tables model of one commodity.
struct WofeTablesFit {
  std::vector<size_t> layers;             ///< indices into the evidence list used for the commodity
  std::vector<kernels::WofeTable> tables; ///< one per entry of `layers`
  std::vector<std::string> table_errors;  ///< "" or why the table could not be built
  std::vector<size_t> in_response;        ///< entries of `layers` whose table entered the response
  kernels::WofeResponseSummary summary;
  std::vector<float> posterior, std_weights, md_variance, total_std, confidence;
  std::string error; ///< no response (no valid table, no points)
};

/// Builds the tables of commodity `c` from training `points` (cell indices; repeated per point in
/// "points" counting) inside `study` (nonzero = study area) and, when a table is valid, the response.
/// With grids false only the posterior is kept (cross-validation refits).
WofeTablesFit fit_wofe_tables(const Plan& p, const std::string& c, const std::vector<WofeEvidence>& ev,
                              const std::vector<std::uint8_t>& study, const std::vector<std::int64_t>& points,
                              bool grids);

/// Predictors of the logistic regression on the same layers for commodity `c`: the values of ascending and
/// descending layers, the 0/1 pattern of binary ones, and one-hot indicators of categorical and unique
/// layers (every class present but the largest, the reference; missing data 0 in every indicator). NaN
/// where a continuous layer has no data. `names` gets "<layer>" or "<layer>=<class label>".
void logistic_features(const std::vector<WofeEvidence>& ev, const std::string& c,
                       std::vector<std::string>& names, std::vector<std::vector<float>>& grids);

/// learn.json's "wofe" object of a fit: tables, response summary, Agterberg-Cheng and pairwise tests.
nlohmann::json wofe_tables_json(const Plan& p, const std::vector<WofeEvidence>& ev, const WofeTablesFit& f,
                                const std::vector<std::int64_t>& points);

/// CSV text of one table of learn.json (ArcSDM's columns).
std::string wofe_table_csv(const nlohmann::json& table);

} // namespace prospector::detail
