#pragma once
/// \file transform.hpp
/// Stage pipeline.transform: ratio, centred log-ratio and balance layers.

#include "pipeline/engine/stage.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace prospector::stages {

/// A derived layer the transform stage computes.
struct DerivedLayerParams {
  std::string name, num, den;
  bool log_ratio = false;
  std::int64_t clr_group = -1, balance = -1;
};
PROSPECTOR_PARAMS_JSON(DerivedLayerParams, name, num, den, log_ratio, clr_group, balance)

/// What a transform unit reads besides its ingest tile and the fft unit.
struct TransformParams {
  std::vector<DerivedLayerParams> derived;
  std::vector<std::vector<std::string>> clr_groups;
  std::vector<std::vector<std::string>> balances; ///< numerator parts, "/", denominator parts
};
PROSPECTOR_PARAMS_JSON(TransformParams, derived, clr_groups, balances)

/// pipeline.transform.
class TransformStage final : public StageWith<TransformParams> {
public:
  const StageInfo& info() const override;
  std::vector<Upstream> upstream(const Plan& plan, std::int64_t unit) const override;
  std::vector<std::string> outputs(const Plan& plan, std::int64_t unit) const override;

protected:
  TransformParams params(StageContext& ctx, std::int64_t unit) const override;
  std::string compute(StageContext& ctx, std::int64_t unit, const TransformParams& params) const override;
};

} // namespace prospector::stages
