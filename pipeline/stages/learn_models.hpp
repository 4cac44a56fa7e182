#pragma once
/// \file learn_models.hpp
/// Internal: the `learn` stage. With training deposits in the job, fits per commodity a weights-of-evidence
/// posterior and a logistic regression over the recipe's evidence memberships, and validates them
/// (success-rate curve on the training deposits; prediction-rate curve on independent test deposits or by
/// spatially blocked k-fold cross-validation; AUC; capture efficiency). Fitting assembles one commodity's
/// evidence layers whole-grid in memory.

#include "pipeline/plan/plan.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace prospector::detail {

/// Whole-grid assembly of a layer from its tiles: tile_of(t, v) fills tile t's cells (row-major).
void assemble(const Plan& p, const std::function<void(std::int64_t, std::vector<float>&)>& tile_of,
              std::vector<float>& out);
/// Reads work layer `layer` whole-grid (NaN = nodata).
void read_whole(const Plan& p, const std::string& layer, std::vector<float>& out);
/// Writes a whole-grid vector as the tiles of work layer `layer`.
void write_whole(const Plan& p, const std::string& layer, const std::vector<float>& v);

/// Path of the stage's JSON result (weights, curves, diagnostics).
std::string learn_path(const Plan& p);
/// Grid layers the last learn run wrote (posterior_wofe_<c>, ..._std, probability_logistic_<c>).
std::vector<std::string> learned_layers(const Plan& p);
/// Fits and validates the models; writes learn.json and the learned grids. Returns the content hash.
std::string run_learn(const Plan& p, std::vector<std::string>& log);

} // namespace prospector::detail
