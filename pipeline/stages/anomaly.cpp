#include "pipeline/stages/anomaly.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/stages/multivariate.hpp"
#include "pipeline/stages/tile_store.hpp"

#include "kernels/anomaly/gi_star_exact.hpp"
#include "kernels/stats/robust.hpp"
#include "kernels/window/local_z_exact.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prospector::stages {

using detail::rx_tile_partial;
using nlohmann::json;

const StageInfo& AnomalyStage::info() const {
  static const StageInfo i{
      "pipeline.anomaly", "Robust and local z-scores per layer, tile by tile with a halo",
      "Robust z-score with the global median/MAD; moving-window z-score with exact fixed-point window sums "
      "over "
      "the tile plus a halo of anomaly.local_radius cells (kernel window.local_z_exact), so tiles equal an "
      "untiled run bit for bit; Getis-Ord Gi* over the same window for layers recipes read with transform "
      "gi_star (kernel anomaly.gi_star_exact); moments of the RX bands for the model stage, and for "
      "anomaly.rx_covariance = mcd a sample of them (every k-th cell of the grid).",
      true};
  return i;
}

std::vector<Upstream> AnomalyStage::upstream(const Plan& p, std::int64_t t) const {
  std::vector<Upstream> up = {{"stats", kGlobalUnit}, {"fft", kGlobalUnit}};
  for (std::int64_t n : p.tiles.tiles_in(p.tiles.halo_window(t, p.halo))) {
    up.push_back({"transform", n});
    up.push_back({"ingest", n});
  }
  return up;
}

std::vector<std::string> AnomalyStage::outputs(const Plan& p, std::int64_t t) const {
  std::vector<std::string> out;
  for (const auto& name : p.anomaly_layers())
    out.push_back(p.work.layer_tile(name, t));
  if (p.rx_bands.size() >= 2) out.push_back(p.work.rx_partial(t));
  return out;
}

AnomalyParams AnomalyStage::params(StageContext& ctx, std::int64_t) const {
  const Plan& p = ctx.plan;
  AnomalyParams out;
  out.radius = p.halo;
  for (const auto& l : p.anomaly_sources())
    out.layers.push_back(l.name);
  out.grids = p.anomaly_layers();
  out.gi_layers = p.gi_layers;
  out.rx_bands = p.rx_bands;
  if (p.rx_bands.size() >= 2) {
    out.rx_covariance = p.job.anomaly.rx_covariance;
    if (out.rx_covariance == "mcd") out.robust_sample = p.job.anomaly.robust_sample; // the sampled cells
  }
  return out;
}

std::string AnomalyStage::compute(StageContext& ctx, std::int64_t t, const AnomalyParams& params) const {
  const Plan& p = ctx.plan;
  Hash64 h;
  const json stats = load_json(p.work.global("stats.json"));
  const Window w = p.tiles.window(t);
  const Window hw = p.tiles.halo_window(t, params.radius);
  std::vector<float> tile, halo, z(static_cast<size_t>(hw.size())), out;
  kernels::ExactWindowScratch scratch;
  const auto wanted = [&](const std::string& name) {
    return std::find(params.grids.begin(), params.grids.end(), name) != params.grids.end();
  };
  for (const auto& l : p.anomaly_sources()) {
    const std::string robust = "anomaly_" + l.name + "_robust_z", local = "anomaly_" + l.name + "_local_z",
                      gi = "anomaly_" + l.name + "_gi_star";
    if (!wanted(robust) && !wanted(local) && !wanted(gi)) continue;
    const json& s = stats.at(l.name);
    kernels::RobustLocation loc;
    loc.median = s["median"];
    loc.mad = s["mad"];
    loc.scale = s["scale"];
    loc.count = s["count"];
    if (wanted(robust)) {
      read_tile(p.work.layer_tile(l.name, t), w, tile);
      out.resize(tile.size());
      const kernels::Status zs =
          kernels::robust_z({tile.data(), w.cols, w.rows}, loc, {}, {out.data(), w.cols, w.rows});
      if (!zs.ok) throw_runtime("anomaly tile " + p.tiles.label(t) + " layer " + l.name + ": " + zs.message);
      put_tile(p.work.layer_tile(robust, t), out, h);
    }
    if (!wanted(local) && !wanted(gi)) continue;

    read_window(p, l.name, hw, halo);
    out.resize(static_cast<size_t>(w.size()));
    kernels::ExactWindowParams wp = window_params(loc.median, s["min"], s["max"], params.radius);
    // A window flat to float32's rounding of the layer's level has no z-score spread to divide by; the floor
    // follows the level (an absolute 1e-12 flattened layers in small units, such as values scaled by 1e-20).
    wp.min_std = std::max(1.1754943508222875e-38, 0x1p-22 * std::fabs(loc.median));
    const bool degenerate = s.value("degenerate", false);
    z.resize(halo.size());
    auto crop = [&](const std::string& name) {
      for (std::int64_t r = 0; r < w.rows; ++r)
        std::copy(z.begin() + (r + w.row0 - hw.row0) * hw.cols + (w.col0 - hw.col0),
                  z.begin() + (r + w.row0 - hw.row0) * hw.cols + (w.col0 - hw.col0) + w.cols,
                  out.begin() + r * w.cols);
      put_tile(p.work.layer_tile("anomaly_" + l.name + "_" + name, t), out, h);
    };
    kernels::Status st = kernels::Status::Ok();
    if (wanted(local)) {
      if (degenerate) { // no spread over the layer (stats logged the warning): nodata, not a grid of zeros
        std::fill(z.begin(), z.end(), std::numeric_limits<float>::quiet_NaN());
      } else {
        st = kernels::exact_window_stats({halo.data(), hw.cols, hw.rows}, wp, scratch, nullptr, nullptr,
                                         z.data());
        if (!st.ok)
          throw_runtime("anomaly tile " + p.tiles.label(t) + " layer " + l.name + ": " + st.message);
      }
      crop("local_z");
    }
    if (wanted(gi)) {
      kernels::GiStarGlobal g;
      g.n = s["count"];
      g.mean = s["mean"];
      g.std = s["std"];
      st = kernels::exact_window_gi_star({halo.data(), hw.cols, hw.rows}, wp, g, scratch, z.data());
      if (!st.ok)
        throw_runtime("anomaly tile " + p.tiles.label(t) + " layer " + l.name + " Gi*: " + st.message);
      crop("gi_star");
    }
  }
  if (p.rx_bands.size() >= 2) {
    // Moments of the robust z bands over cells where all are valid, merged in tile order by the model stage.
    const size_t k = p.rx_bands.size();
    std::vector<std::vector<float>> bands(k);
    for (size_t b = 0; b < k; ++b)
      read_tile(p.work.layer_tile("anomaly_" + p.rx_bands[b] + "_robust_z", t), w, bands[b]);
    const std::string text = rx_tile_partial(p, t, bands).dump();
    write_file_atomic(p.work.rx_partial(t), text.data(), text.size(), false);
    h.add(text);
  }
  return h.hex();
}

} // namespace prospector::stages
