#include "pipeline/stages/transform.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/stages/composition_tiles.hpp"
#include "pipeline/stages/tile_store.hpp"

#include <cmath>

namespace prospector::stages {

const StageInfo& TransformStage::info() const {
  static const StageInfo i{
      "pipeline.transform",
      "Derived layers: ratios such as K/Th, centred log-ratios and isometric log-ratio balances",
      "Computes the ratio layers the recipes ask for, the centred log-ratios of the geochemical parts "
      "(geochem.composition = clr, kernel geochem.clr) and the isometric log-ratio balances of "
      "geochem.balances (kernel geochem.ilr).",
      true};
  return i;
}

std::vector<Upstream> TransformStage::upstream(const Plan&, std::int64_t t) const {
  return {{"ingest", t}, {"fft", kGlobalUnit}};
}

std::vector<std::string> TransformStage::outputs(const Plan& p, std::int64_t t) const {
  std::vector<std::string> out;
  for (const auto& d : p.derived_layers)
    if (d.filter.empty()) out.push_back(p.work.layer_tile(d.name, t));
  return out;
}

TransformParams TransformStage::params(StageContext& ctx, std::int64_t) const {
  const Plan& p = ctx.plan;
  TransformParams out;
  for (const auto& d : p.derived_layers)
    if (d.filter.empty()) out.derived.push_back({d.name, d.num, d.den, d.log_ratio, d.clr_group, d.balance});
  out.clr_groups = p.clr_groups;
  for (const auto& b : p.balances) {
    std::vector<std::string> parts = b.numerator;
    parts.push_back("/");
    parts.insert(parts.end(), b.denominator.begin(), b.denominator.end());
    out.balances.push_back(parts);
  }
  return out;
}

std::string TransformStage::compute(StageContext& ctx, std::int64_t t, const TransformParams& params) const {
  const Plan& p = ctx.plan;
  Hash64 h;
  const Window w = p.tiles.window(t);
  std::vector<float> a, b;
  compute_composition_tile(p, t, [&](const std::string& name, const std::vector<float>& v) {
    put_tile(p.work.layer_tile(name, t), v, h);
  });
  for (const auto& d : params.derived) {
    if (d.clr_group >= 0 || d.balance >= 0) continue; // log-ratios above
    read_tile(p.work.layer_tile(d.num, t), w, a);
    read_tile(p.work.layer_tile(d.den, t), w, b);
    for (size_t i = 0; i < a.size(); ++i) {
      // Geochemical layers are log10 already, so their ratio is a difference.
      if (d.log_ratio)
        a[i] = a[i] - b[i];
      else
        a[i] = (b[i] > 0 && std::isfinite(a[i])) ? a[i] / b[i] : NAN;
    }
    put_tile(p.work.layer_tile(d.name, t), a, h);
  }
  return h.hex();
}

} // namespace prospector::stages
