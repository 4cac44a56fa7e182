#pragma once
/// \file multivariate.hpp
/// Internal: the multivariate anomalies of the RX layer stack (the robust z-scores of anomaly.rx_layers):
/// per-tile moments and samples (anomaly stage), the RX statistics, classical or FAST-MCD, and the PCA
/// (model stage), and the anomaly_rx and anomaly_pc<k> grids (score stage). Used by units.cpp.

#include "pipeline/base/tiles.hpp"
#include "pipeline/plan/plan.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace prospector::detail {

/// Moments over the tile's cells where every band is valid, and for anomaly.rx_covariance = mcd the sample
/// cells of the tile: every k-th cell of the whole grid in row-major order (k = cells / robust_sample), so
/// the sample does not depend on the tiling. `bands`: the stack's robust z tiles.
nlohmann::json rx_tile_partial(const Plan& p, std::int64_t t, const std::vector<std::vector<float>>& bands);

/// The model stage's "rx" and "pca" entries from the tiles' partials (partial(t) loads tile t's).
nlohmann::json fit_multivariate(const Plan& p, const std::function<nlohmann::json(std::int64_t)>& partial,
                                std::vector<std::string>& log);

/// anomaly_rx and anomaly_pc<k> tiles of tile t for the fitted model (nothing when disabled); `put` writes a
/// tile and adds it to the unit's hash.
void apply_multivariate(const Plan& p, const nlohmann::json& model, std::int64_t t,
                        const std::function<void(const std::string&, const std::vector<float>&)>& put);

/// Names and long names of the published multivariate grids.
void multivariate_grids(const Plan& p, const nlohmann::json& model,
                        std::vector<std::pair<std::string, std::string>>& grids);

} // namespace prospector::detail
