#include "pipeline/stages/targets.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/stages/score.hpp"
#include "pipeline/stages/target_extraction.hpp"
#include "pipeline/stages/tile_store.hpp"

#include <cstdio>

namespace prospector::stages {

using nlohmann::json;

const StageInfo& TargetsStage::info() const {
  static const StageInfo i{
      "pipeline.targets", "Threshold, 8-connected components across tiles, ranking",
      "The exact top targets.top_fraction threshold of the score tiles (kernel stats.radix_select), or "
      "(targets.threshold = "
      "concentration_area) the break of a concentration-area fractal fit of exact area counts; components "
      "labelled per tile and joined across tile edges and corners with union-find; statistics in exact "
      "fixed-point sums; ranked by peak, then mean score, then area; outlined with GDAL's polygonizer; "
      "evidence "
      "shares per target.",
      false};
  return i;
}

std::vector<Upstream> TargetsStage::upstream(const Plan&, std::int64_t) const {
  // The anomaly grids give each target's evidence shares (evidence_contribution).
  return {{"score", kEveryTile}, {"anomaly", kEveryTile}, {"ingest", kEveryTile}, {"transform", kEveryTile}};
}

std::vector<std::string> TargetsStage::outputs(const Plan& p, std::int64_t) const {
  return {p.work.global("targets.json")};
}

TargetsParams TargetsStage::params(StageContext& ctx, std::int64_t) const {
  const Plan& p = ctx.plan;
  TargetsParams out;
  out.threshold = p.job.targets.threshold;
  out.min_cells = p.job.targets.min_cells;
  out.max_targets = p.job.targets.max_targets;
  for (const auto& rc : p.recipes) {
    CommodityTargetParams c;
    c.commodity = rc.commodity;
    for (const auto& ev : rc.evidence)
      c.evidence.push_back(ev.id);
    c.top_fraction = p.job.targets.top_fraction;
    auto ov = p.job.recipes.find(rc.commodity);
    if (ov != p.job.recipes.end() && ov->second.top_fraction) c.top_fraction = *ov->second.top_fraction;
    out.commodities.push_back(c);
  }
  return out;
}

std::string TargetsStage::compute(StageContext& ctx, std::int64_t, const TargetsParams& params) const {
  const Plan& p = ctx.plan;
  std::vector<std::string>& log = ctx.log;
  json all = json::array();
  for (size_t r = 0; r < params.commodities.size(); ++r) {
    const CommodityTargetParams& rc = params.commodities[r];
    const std::string layer = "prospectivity_" + rc.commodity;
    TargetOptions opts;
    opts.threshold = params.threshold;
    opts.min_cells = params.min_cells;
    opts.max_targets = params.max_targets;
    opts.top_fraction = rc.top_fraction;
    double threshold = 0;
    {
      const LayerBlocks blocks(p, layer);
      kernels::Status st =
          kernels::radix_top_fraction_threshold(blocks.view(), opts.top_fraction, {}, threshold);
      if (!st.ok)
        throw_input(rc.commodity + ": the prospectivity grid has no valid cell; no targets can be ranked");
      if (opts.threshold == "concentration_area") {
        double ca = 0, fraction = 0;
        std::string detail;
        if (concentration_area_threshold(blocks.view(), ca, fraction, detail)) {
          threshold = ca;
          opts.top_fraction = fraction;
          log.push_back(rc.commodity + ": threshold from the " + detail);
        } else {
          log.push_back(rc.commodity + ": concentration-area threshold not found (" + detail +
                        "); using the top fraction");
        }
      }
    }
    TiledTargetSources src;
    src.score_tile = [&](std::int64_t t) { return p.work.layer_tile(layer, t); };
    for (size_t e = 0; e < rc.evidence.size(); ++e)
      if (!p.evidence[r][e].layer.empty())
        src.evidence.push_back({rc.evidence[e], [&p, r, e](std::int64_t t, std::vector<float>& out) {
                                  evidence_contribution(p, r, e, t, out);
                                }});
    src.label_dir = p.work.target_labels(rc.commodity);
    CommodityTargets ct = extract_targets_tiled(rc.commodity, p.tiles, threshold, opts, src);
    log.push_back(rc.commodity + ": " + std::to_string(ct.targets.size()) + " targets above " +
                  std::to_string(threshold) + " (top " + std::to_string(100 * opts.top_fraction) +
                  "% of valid cells)");
    for (size_t i = 0; i < ct.targets.size() && i < 3; ++i) {
      const Target& tg = ct.targets[i];
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "%s target %d: peak %.3f mean %.3f area %.3f km2 at (%.1f, %.1f); evidence %s",
                    rc.commodity.c_str(), tg.rank, tg.peak_score, tg.mean_score, tg.area / 1e6, tg.centroid_x,
                    tg.centroid_y, tg.evidence.c_str());
      log.push_back(buf);
    }
    all.push_back(to_json(ct));
  }
  const std::string text = all.dump();
  write_text_atomic(p.work.global("targets.json"), text);
  return Hash64().add(text).hex();
}

} // namespace prospector::stages
