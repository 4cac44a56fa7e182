#pragma once
/// \file publish.hpp
/// Stage pipeline.publish: prospectivity.nc (output.name; netCDF-4/CF-1.8), its GDAL sidecar, targets.gpkg and
/// report.html.

#include "pipeline/engine/stage.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace prospector::stages {

/// The grids publish writes (name, long name), in writing order, as output.layers selects them; `learn` is
/// the learn stage's result (an empty object without one).
std::vector<std::pair<std::string, std::string>> published_grids(const Plan& p, const nlohmann::json& learn);

/// What the publish unit reads besides the targets, learn, stats and model results and every anomaly and
/// score tile.
struct PublishParams {
  std::string job_text; ///< hash of the job file (recorded in the provenance)
  nlohmann::json job;   ///< the resolved options (names, titles, units and long names of the grids)
  std::vector<std::string> grids;
  std::vector<std::string> inputs; ///< "id path sha256" of every input file (provenance)
};
PROSPECTOR_PARAMS_JSON(PublishParams, job_text, job, grids, inputs)

/// pipeline.publish.
class PublishStage final : public StageWith<PublishParams> {
public:
  const StageInfo& info() const override;
  std::vector<Upstream> upstream(const Plan& plan, std::int64_t unit) const override;
  std::vector<std::string> outputs(const Plan& plan, std::int64_t unit) const override;

protected:
  PublishParams params(StageContext& ctx, std::int64_t unit) const override;
  std::string compute(StageContext& ctx, std::int64_t unit, const PublishParams& params) const override;
};

} // namespace prospector::stages
