#pragma once
/// \file report.hpp
/// OUT/report.html: a self-contained report (no network, no script): per commodity a quicklook PNG of the
/// prospectivity with targets and known deposits drawn, the ranked target table, success- and
/// prediction-rate curves (inline SVG), the evidence weights table, and provenance.

#include "pipeline/io/h5_writer.hpp"
#include "pipeline/plan/plan.hpp"
#include "pipeline/stages/targets.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace prospector {

/// Writes the report atomically to `path`. `learn` is the learn stage's JSON (may be empty).
void write_report(const Plan& p, const std::vector<CommodityTargets>& targets, const nlohmann::json& learn,
                  const std::vector<InputRecord>& inputs, const std::string& path);

/// Why the report draws no prediction-rate curve (or no curve at all) for a commodity whose learn-stage JSON
/// is `commodity` (`learn` is the whole learn JSON); "" when the curve is drawn. Also logged by publish.
std::string missing_curves(const nlohmann::json& learn, const nlohmann::json& commodity);

} // namespace prospector
