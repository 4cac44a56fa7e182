#include "pipeline/stages/stats.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/base/strings.hpp"
#include "pipeline/stages/tile_store.hpp"

#include <algorithm>
#include <cmath>

namespace prospector::stages {

using nlohmann::json;

const StageInfo& StatsStage::info() const {
  static const StageInfo i{
      "pipeline.stats", "Exact global median, MAD, minimum and maximum per layer over all its tiles",
      "Exact order statistics of every layer's valid cells by radix selection over the memory-mapped tiles "
      "(kernel stats.radix_select, equal bit for bit to stats.merged's sorted merge): identical for any "
      "tiling.",
      false};
  return i;
}

std::vector<Upstream> StatsStage::upstream(const Plan&, std::int64_t) const {
  // Every layer's tiles are read: ingested, filtered (fft) and derived (transform).
  return {{"ingest", kEveryTile}, {"fft", kGlobalUnit}, {"transform", kEveryTile}};
}

std::vector<std::string> StatsStage::outputs(const Plan& p, std::int64_t) const {
  return {p.work.global("stats.json")};
}

StatsParams StatsStage::params(StageContext& ctx, std::int64_t) const {
  const Plan& p = ctx.plan;
  StatsParams out;
  for (const auto& l : p.anomaly_sources())
    out.layers.push_back(l.name);
  out.gi_layers = p.gi_layers;
  out.radius = p.gi_layers.empty() ? 0 : p.halo; // fixes the quantisation of the Gi* moments only
  return out;
}

std::string StatsStage::compute(StageContext& ctx, std::int64_t, const StatsParams& params) const {
  const Plan& p = ctx.plan;
  std::vector<std::string>& log = ctx.log;
  json out = json::object();
  for (const auto& l : p.anomaly_sources()) {
    const LayerBlocks blocks(p, l.name);
    const kernels::ValueSummary sum = kernels::summarize(blocks.view());
    const std::int64_t n = sum.count;
    if (n == 0)
      throw_input(input_where(p, l) + ": no valid cell on the analysis grid (the layer is all nodata there); "
                                      "check the file's nodata value and its extent");
    kernels::RobustLocation loc;
    const kernels::Status st = kernels::radix_robust_location(blocks.view(), {}, loc);
    if (!st.ok) throw_runtime("stats: layer " + l.name + ": " + st.message);
    const float mn = sum.min, mx = sum.max;
    const bool degenerate = kernels::robust_spread_degenerate(loc, {});
    out[l.name] = {{"median", loc.median},    {"mad", loc.mad}, {"scale", loc.scale},
                   {"count", loc.count},      {"min", mn},      {"max", mx},
                   {"degenerate", degenerate}};
    if (degenerate)
      log.push_back(
          "warning: layer " + l.name + ": no robust spread (MAD " + format_number(loc.mad) + " at median " +
          format_number(loc.median) + " over " + std::to_string(n) + " cells" +
          (mn == mx ? ", every cell " + format_number(mn)
                    : ", values " + format_number(mn) + " to " + format_number(mx)) +
          "): its robust_z and local_z grids are written as nodata, and evidence reading them is left "
          "out of the weights. A binary or categorical layer enters as its own values: give it kind "
          "raster or categorical_raster and use transform value or category");
    if (std::find(params.gi_layers.begin(), params.gi_layers.end(), l.name) != params.gi_layers.end()) {
      // Mean and standard deviation for Gi*, from exact integer sums of the values quantised as the anomaly
      // stage's window sums are: the same for any tiling.
      const kernels::ExactWindowParams wp = window_params(loc.median, mn, mx, params.radius);
      kernels::ExactMoments m;
      const kernels::ValueBlocks v = blocks.view();
      for (std::int64_t b = 0; b < v.count; ++b)
        m.add(v.data[b], v.size[b], wp.shift, wp.scale);
      const kernels::GiStarGlobal g = m.global(wp.shift, wp.scale);
      out[l.name]["mean"] = g.mean;
      out[l.name]["std"] = g.std;
    }
    log.push_back(l.name + ": " + std::to_string(n) + " valid cells, median " + std::to_string(loc.median) +
                  ", MAD " + std::to_string(loc.mad));
  }
  const std::string text = out.dump(1);
  write_text_atomic(p.work.global("stats.json"), text);
  return Hash64().add(text).hex();
}

} // namespace prospector::stages
