#pragma once
/// \file ingest.hpp
/// Stage pipeline.ingest: every input resampled onto the analysis grid, one tile per unit.

#include "pipeline/engine/stage.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace prospector::stages {

/// What an ingest unit reads: the tile's place on the grid and, per input, its options and the content of
/// the source files (or point samples) that reach the tile.
struct IngestParams {
  std::string crs_wkt;
  double x0 = 0, y0 = 0, cell = 0;
  Window window;
  struct Input {
    std::string id;
    nlohmann::json options; ///< the input's declared options, without its file names
    std::vector<std::string>
        sources; ///< "path sha256" of each source file reaching the tile, or the points key
  };
  std::vector<Input> inputs;
};
void to_json(nlohmann::json& j, const IngestParams& p);

/// pipeline.ingest.
class IngestStage final : public StageWith<IngestParams> {
public:
  const StageInfo& info() const override;
  std::vector<Upstream> upstream(const Plan& plan, std::int64_t unit) const override;
  std::vector<std::string> outputs(const Plan& plan, std::int64_t unit) const override;

protected:
  IngestParams params(StageContext& ctx, std::int64_t unit) const override;
  std::string compute(StageContext& ctx, std::int64_t unit, const IngestParams& params) const override;
};

} // namespace prospector::stages
