#include "pipeline/stages.hpp"

#include "pipeline/anomaly.hpp"
#include "pipeline/errors.hpp"
#include "pipeline/gpkg_writer.hpp"
#include "pipeline/ingest.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/sha256.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <unistd.h>

namespace prospector {

namespace fs = std::filesystem;

namespace {

void emit(const std::vector<std::string>& log) {
  for (const auto& l : log) spdlog::info("{}", l);
}

void stage_ingest(RunContext& ctx) {
  Progress p("ingest", static_cast<std::int64_t>(ctx.job.inputs.size()));
  std::int64_t done = 0;
  for (const auto& in : ctx.job.inputs) {
    std::vector<std::string> log;
    for (auto& m : ingest_input(in, ctx.grid, *ctx.store, log)) ctx.input_layers.push_back(m);
    emit(log);
    ctx.input_records.push_back({in.id, in.path, sha256_file(in.path)});
    p.update(++done, in.id);
  }
  p.finish();
}

void stage_anomaly(RunContext& ctx) {
  std::vector<std::string> log;
  ctx.anomaly_layers = compute_anomalies(ctx.input_layers, ctx.job.anomaly, *ctx.store, log);
  emit(log);
}

void stage_score(RunContext& ctx) {
  Progress p("score", static_cast<std::int64_t>(ctx.recipes.size()));
  std::int64_t done = 0;
  for (const auto& r : ctx.recipes) {
    std::vector<std::string> log;
    ctx.scores.push_back(score_commodity(r, ctx.input_layers, ctx.job.anomaly.local_radius, *ctx.store, log));
    emit(log);
    p.update(++done, r.commodity);
  }
  p.finish();
}

void stage_targets(RunContext& ctx) {
  Progress p("targets", static_cast<std::int64_t>(ctx.scores.size()));
  std::vector<float> score, contrib;
  std::vector<std::int32_t> cell_target;
  for (size_t k = 0; k < ctx.scores.size(); ++k) {
    const ScoreResult& s = ctx.scores[k];
    const std::string& c = ctx.recipes[k].commodity;
    TargetOptions opts = ctx.job.targets;
    auto ov = ctx.job.recipes.find(c);
    if (ov != ctx.job.recipes.end() && ov->second.top_fraction) opts.top_fraction = *ov->second.top_fraction;
    ctx.store->get(s.layer, score);
    CommodityTargets t = extract_targets(c, ctx.grid, score.data(), opts, cell_target);
    EvidenceTally tally(t);
    for (size_t e = 0; e < s.contribution_layers.size(); ++e) {
      ctx.store->get(s.contribution_layers[e], contrib);
      tally.add(s.contribution_ids[e], contrib.data(), cell_target);
    }
    tally.finish(t);
    spdlog::info("{}: {} targets above {:.4f} (top {:.2f}% of valid cells)", c, t.targets.size(), t.threshold,
                 100 * opts.top_fraction);
    for (size_t i = 0; i < t.targets.size() && i < 3; ++i) {
      const Target& tg = t.targets[i];
      spdlog::info("{} target {}: peak {:.3f} mean {:.3f} area {:.3f} km2 at ({:.1f}, {:.1f}); evidence {}", c, tg.rank,
                   tg.peak_score, tg.mean_score, tg.area / 1e6, tg.centroid_x, tg.centroid_y, tg.evidence);
    }
    ctx.targets.push_back(std::move(t));
    p.update(static_cast<std::int64_t>(k) + 1, c);
  }
  p.finish();
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

void remove_quietly(const std::string& p) {
  std::error_code ec;
  fs::remove(p, ec);
}

void stage_publish(RunContext& ctx) {
  const std::string out = ctx.job.output_folder;
  const std::string h5 = out + "/prospectivity.h5";
  const std::string tmp = out + "/.prospectivity.h5.partial-" + std::to_string(getpid());
  std::vector<std::string> grids;
  for (const auto& s : ctx.scores) grids.push_back(s.layer);
  for (const auto& a : ctx.anomaly_layers) grids.push_back(a);
  Progress p("publish", static_cast<std::int64_t>(grids.size()) + 2);
  try {
    write_targets_gpkg(out + "/targets.gpkg", ctx.grid, ctx.targets);
    {
      H5Writer w(tmp, ctx.grid, "prospector: " + ctx.job.name);
      std::vector<float> buf;
      std::int64_t done = 0;
      for (const auto& name : grids) {
        ctx.store->get(name, buf);
        const LayerMeta& m = ctx.store->meta(name);
        GridVariable v{name, m.long_name, m.units, buf.data(), {}};
        if (!m.source_id.empty()) v.attributes["source_input"] = m.source_id;
        w.write_grid(v);
        p.update(++done, name);
      }
      for (const auto& t : ctx.targets) w.write_targets(t);
      Provenance prov{ctx.job.path, ctx.job.text, PROSPECTOR_VERSION, utc_now(), ctx.input_records};
      w.write_provenance(prov);
      w.close();
    }
    std::error_code ec;
    fs::rename(tmp, h5, ec);
    if (ec) throw_runtime("cannot rename " + tmp + " to " + h5 + ": " + ec.message());
    write_pam_sidecar(h5, ctx.grid, grids);
  } catch (...) {
    remove_quietly(tmp);
    throw;
  }
  p.finish();
  spdlog::info("wrote {} and {}", h5, out + "/targets.gpkg");
}

} // namespace

const std::vector<StageInfo>& stage_registry() {
  static const std::vector<StageInfo> stages = {
      {"pipeline.ingest", "Resample every input onto the analysis grid",
       "Rasters are reprojected and resampled with GDAL's warper (bilinear for fields, average when coarsening by "
       "more than 1.5x, or the input's resampling option); geochemical point CSVs are read with their "
       "below-detection conventions, log10-transformed and gridded with GDAL's gridding API; geochemical grids "
       "are log10-transformed. Each layer is stored in the work folder.",
       stage_ingest},
      {"pipeline.anomaly", "Robust and local z-scores per layer, RX anomaly of the geophysical stack",
       "For each layer: robust z-score (median/MAD) and moving-window z-score (summed-area tables, constant cost "
       "per cell). RX: squared Mahalanobis distance over the robust z-scores of anomaly.rx_layers.",
       stage_anomaly},
      {"pipeline.score", "Fuzzy prospectivity per commodity from its recipe",
       "Each recipe evidence is transformed (robust/local z, sign or absolute value), mapped through its "
       "membership function and combined by weighted fuzzy overlay into a [0, 1] prospectivity grid.",
       stage_score},
      {"pipeline.targets", "Threshold, 8-connected components and ranking",
       "Cells in the top targets.top_fraction of valid cells are grouped into 8-connected targets, outlined with "
       "GDAL's polygonizer and ranked by peak, then mean score, then area; the evidence contributing most to "
       "each target is recorded.",
       stage_targets},
      {"pipeline.publish", "Write prospectivity.h5 (netCDF-4/CF-1.8), its GDAL sidecar and targets.gpkg",
       "Grids, targets (CF-1.8 simple geometries) and provenance go to a temporary file that is renamed to "
       "prospectivity.h5 only when complete; targets.gpkg holds the same targets.",
       stage_publish},
  };
  return stages;
}

nlohmann::json output_layout() {
  using nlohmann::json;
  return json{
      {"file", "OUT/prospectivity.h5"},
      {"format", "HDF5 in netCDF-4 classic-model layout, CF-1.8 conventions; open with GDAL (HDF5:\"f\"://var or "
                 "NETCDF:\"f\":var), QGIS, xarray, h5py, ncdump"},
      {"global_attributes", {{"Conventions", "CF-1.8"}, {"title", "prospector: <job name>"}, {"history", "string"},
                             {"source", "prospector <version>"}}},
      {"dimensions",
       {{"y", "rows, north to south; coordinate variable of pixel-centre y (float64)"},
        {"x", "columns, west to east; coordinate variable of pixel-centre x (float64)"},
        {"target_<c>", "targets of commodity c; coordinate variable holding the rank (int32)"},
        {"node_<c>", "polygon nodes of commodity c's targets"},
        {"part_<c>", "polygon rings of commodity c's targets"}}},
      {"variables",
       {{"crs", "scalar grid mapping: grid_mapping_name, crs_wkt (WKT2), spatial_ref (WKT1), GeoTransform, epsg_code"},
        {"prospectivity_<c>", "float32 (y, x) in [0, 1], c in cu, li, ni, co, sn; chunked, deflated; _FillValue "
                              "-9999; grid_mapping crs; long_name names the recipe"},
        {"anomaly_<layer>_robust_z", "float32 (y, x): robust z-score (median/MAD) of an input layer"},
        {"anomaly_<layer>_local_z", "float32 (y, x): moving-window z-score of an input layer"},
        {"anomaly_rx", "float32 (y, x): squared Mahalanobis distance over the geophysical layers' robust z-scores"},
        {"targets_<c>_polygon", "CF-1.8 geometry container (polygon): node_count, part_node_count, interior_ring, "
                                "node_coordinates targets_<c>_node_x targets_<c>_node_y"},
        {"targets_<c>_point", "CF-1.8 geometry container (point) at target centroids"},
        {"targets_<c>_rank, _peak_score, _mean_score, _area, _centroid_x, _centroid_y",
         "per target fields on dimension target_<c>, geometry targets_<c>_polygon"},
        {"targets_<c>_point_rank, _point_peak_score, _point_area", "per target fields, geometry targets_<c>_point"},
        {"provenance", "scalar; attributes job_path, job_text, prospector_version, created_utc, inputs (id, path, "
                       "SHA-256 per line)"}}},
      {"sidecars",
       {{"OUT/prospectivity.h5.aux.xml", "GDAL PAM: SRS, GeoTransform and nodata per grid for GDAL's HDF5 driver"},
        {"OUT/targets.gpkg", "layers targets_<c> (multipolygon) and target_points_<c> (point) per commodity"}}},
      {"nodata", "-9999 (_FillValue and dataset fill value)"},
  };
}

} // namespace prospector
