#include "pipeline/stages/model.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/stages/multivariate.hpp"
#include "pipeline/stages/tile_store.hpp"

namespace prospector::stages {

using nlohmann::json;

const StageInfo& ModelStage::info() const {
  static const StageInfo i{
      "pipeline.model", "Global models fitted from per-tile partials (RX mean and covariance, PCA)",
      "Merges the per-tile moments of the RX bands in tile order into their mean and covariance, or fits the "
      "robust FAST-MCD estimate (kernel anomaly.mcd) to the sampled cells in grid order; the PCA "
      "(anomaly.pca_components, kernel anomaly.pca) decomposes the correlation matrix of that estimate.",
      false};
  return i;
}

std::vector<Upstream> ModelStage::upstream(const Plan&, std::int64_t) const {
  return {{"anomaly", kEveryTile}};
}

std::vector<std::string> ModelStage::outputs(const Plan& p, std::int64_t) const {
  return {p.work.global("model.json")};
}

ModelParams ModelStage::params(StageContext& ctx, std::int64_t) const {
  const Plan& p = ctx.plan;
  const AnomalyOptions& a = p.job.anomaly;
  return {p.rx_bands, a.rx_covariance, a.rx_covariance == "mcd" ? a.robust_sample : 0, a.pca_components};
}

std::string ModelStage::compute(StageContext& ctx, std::int64_t, const ModelParams&) const {
  const Plan& p = ctx.plan;
  std::vector<std::string>& log = ctx.log;
  const json model = detail::fit_multivariate(
      p, [&](std::int64_t t) { return load_json(p.work.rx_partial(t)); }, log);
  const std::string text = model.dump(1);
  write_text_atomic(p.work.global("model.json"), text);
  return Hash64().add(text).hex();
}

} // namespace prospector::stages
