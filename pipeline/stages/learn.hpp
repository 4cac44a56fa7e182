#pragma once
/// \file learn.hpp
/// Stage pipeline.learn: data-driven models and validation against known deposits.

#include "pipeline/engine/stage.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace prospector::stages {

/// What the learn unit reads besides every score tile.
struct LearnParams {
  nlohmann::json training;                ///< the job's training options
  std::vector<std::string> deposit_files; ///< sha256 of the training and test files
  nlohmann::json models;                  ///< the job's model options
  std::vector<std::string> evidence;      ///< per commodity "c:id,id,..." of the evidence memberships
};
PROSPECTOR_PARAMS_JSON(LearnParams, training, deposit_files, models, evidence)

/// pipeline.learn.
class LearnStage final : public StageWith<LearnParams> {
public:
  const StageInfo& info() const override;
  std::vector<Upstream> upstream(const Plan& plan, std::int64_t unit) const override;
  std::vector<std::string> outputs(const Plan& plan, std::int64_t unit) const override;

protected:
  LearnParams params(StageContext& ctx, std::int64_t unit) const override;
  std::string compute(StageContext& ctx, std::int64_t unit, const LearnParams& params) const override;
};

} // namespace prospector::stages
