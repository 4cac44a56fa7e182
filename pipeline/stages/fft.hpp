#pragma once
/// \file fft.hpp
/// Stage pipeline.fft: potential-field transforms the recipes ask for, on the whole grid or on fixed blocks.

#include "pipeline/engine/stage.hpp"

#include <optional>
#include <string>
#include <vector>

namespace prospector::stages {

/// One derived layer of the fft stage and the field parameters it uses.
struct FftLayerParams {
  std::string name, source, filter;
  std::optional<double> inclination, declination;
  double upward_height = 500.0;
};
PROSPECTOR_PARAMS_JSON(FftLayerParams, name, source, filter, inclination, declination, upward_height)

/// What the fft unit reads besides every ingest tile.
struct FftParams {
  std::int64_t block = 4096;
  std::vector<FftLayerParams> layers;
  std::string detrend = "auto", padding = "mirror"; ///< potential_field conventions
  double pad_fraction = 0.25;
  std::int64_t min_pad = 16;
};
PROSPECTOR_PARAMS_JSON(FftParams, block, layers, detrend, padding, pad_fraction, min_pad)

/// pipeline.fft.
class FftStage final : public StageWith<FftParams> {
public:
  const StageInfo& info() const override;
  std::vector<Upstream> upstream(const Plan& plan, std::int64_t unit) const override;
  std::vector<std::string> outputs(const Plan& plan, std::int64_t unit) const override;

protected:
  FftParams params(StageContext& ctx, std::int64_t unit) const override;
  std::string compute(StageContext& ctx, std::int64_t unit, const FftParams& params) const override;
};

} // namespace prospector::stages
