#include "pipeline/stages/ingest.hpp"

#include "kernels/transform/log10.hpp"
#include "pipeline/base/errors.hpp"
#include "pipeline/io/gdal_util.hpp"
#include "pipeline/io/vector_ingest.hpp"
#include "pipeline/stages/tile_store.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>

namespace prospector::stages {

using nlohmann::json;

namespace {

// Opened inputs, their footprints and prepared points, shared by the ingest units of one run.
struct IngestState {
  IngestState(const Plan& p, FileDigests& digests)
      : footprints(p.job.inputs.size()), points(p.job.inputs.size()), vectors(p.job.inputs.size()),
        vector_keys(p.job.inputs.size()), method(p.job.inputs.size()), aligned(p.job.inputs.size(), false),
        open(p.job.inputs.size()) {
    for (size_t i = 0; i < p.job.inputs.size(); ++i) {
      const InputSpec& in = p.job.inputs[i];
      if (is_vector_kind(in.kind)) {
        // Whole-grid layers (exact distances and densities for any tiling); tiles are cut from them.
        vectors[i] = std::make_unique<VectorLayers>(prepare_vector(in, p.grid, classes_of(p, i)));
        for (const auto& l : vectors[i]->log)
          log.push_back(l);
        Hash64 h;
        for (const auto& g : vectors[i]->grids)
          h.add(g.data(), g.size() * sizeof(float));
        for (const auto& name : classes_of(p, i).names)
          h.add(name);
        vector_keys[i] = h.hex();
      } else if (in.kind == "geochem_points") {
        points[i] = std::make_unique<PreparedPoints>(prepare_points(in, p.grid));
        for (const auto& l : points[i]->log)
          log.push_back(l);
      } else {
        footprints[i] = source_footprints(in, p.grid);
        if (in.kind == "categorical_raster") check_raster_classes(in, classes_of(p, i));
      }
    }
    // Every file of every input in one call, so that they are read in parallel.
    std::vector<std::string> files;
    for (const auto& fs : footprints)
      for (const auto& f : fs)
        files.insert(files.end(), f.files.begin(), f.files.end());
    const std::vector<std::string> sha = digests.sha256_all(files);
    std::size_t k = 0;
    for (auto& fs : footprints)
      for (auto& f : fs)
        for (std::size_t j = 0; j < f.files.size(); ++j, ++k)
          f.digests += j == 0 ? sha[k] : " " + f.files[j] + "=" + sha[k];
  }
  static ClassTable classes_of(const Plan& p, std::size_t i) {
    ClassTable t;
    for (const auto& l : p.input_layers)
      if (l.input == static_cast<int>(i) && l.categorical()) t.names = l.classes;
    return t;
  }
  gdal::Dataset& dataset(const Plan& p, std::size_t i) {
    if (!open[i]) {
      const InputSpec& in = p.job.inputs[i];
      open[i] = open_input_raster(in);
      aligned[i] = aligned_with_grid(in, open[i].get(), p.grid);
      if (aligned[i]) {
        log.push_back(in.id + ": read " + in.path_as_written + " directly: its cells are the grid's");
      } else {
        method[i] = resampling_for(in, open[i].get(), p.grid);
        log.push_back(in.id + ": warped " + in.path_as_written + " with " + method[i] + " resampling");
      }
    }
    return open[i];
  }
  std::vector<std::vector<SourceFootprint>> footprints;
  std::vector<std::unique_ptr<PreparedPoints>> points;
  std::vector<std::unique_ptr<VectorLayers>> vectors;
  std::vector<std::string> vector_keys; // content hash of a vector input's whole-grid layers and classes
  std::vector<std::string> method;
  std::vector<char> aligned;    // read straight into tiles, no warping
  std::vector<std::string> log; // lines for the run log, moved out by drain_log
  std::vector<gdal::Dataset> open;
  void drain_log(std::vector<std::string>& to) {
    for (auto& l : log)
      to.push_back(std::move(l));
    log.clear();
  }
};

IngestState& state(StageContext& ctx) {
  IngestState& s = ctx.state<IngestState>(
      "ingest", [&] { return std::make_unique<IngestState>(ctx.plan, file_digests(ctx)); });
  s.drain_log(ctx.log);
  return s;
}

bool reaches(const SourceFootprint& f, const Window& w) {
  return f.row0 < w.row0 + w.rows && w.row0 < f.row0 + f.rows && f.col0 < w.col0 + w.cols &&
         w.col0 < f.col0 + f.cols;
}

} // namespace

void to_json(json& j, const IngestParams& p) {
  j = json::object();
  j["grid"] = {{"crs", p.crs_wkt},
               {"x0", p.x0},
               {"y0", p.y0},
               {"cell", p.cell},
               {"window", {p.window.row0, p.window.col0, p.window.rows, p.window.cols}}};
  for (const auto& in : p.inputs)
    j["input:" + in.id] = {{"options", in.options}, {"sources", in.sources}};
}

const StageInfo& IngestStage::info() const {
  static const StageInfo i{
      "pipeline.ingest", "Resample every input onto the analysis grid, tile by tile",
      "Rasters (a file, a folder or list of survey tiles mosaicked through a VRT) are reprojected and "
      "resampled "
      "with GDAL's warper using an exact per-cell transformation (bilinear for fields, average when "
      "coarsening by "
      "more than 1.5x, or the input's resampling option); geochemical point CSVs are read with their "
      "below-detection conventions, log10-transformed and gridded with GDAL's gridding API; geochemical "
      "grids are "
      "log10-transformed. A tile depends only on the source files and samples that reach it.",
      true};
  return i;
}

std::vector<Upstream> IngestStage::upstream(const Plan&, std::int64_t) const { return {}; }

std::vector<std::string> IngestStage::outputs(const Plan& p, std::int64_t t) const {
  std::vector<std::string> out;
  for (const auto& l : p.input_layers)
    out.push_back(p.work.layer_tile(l.name, t));
  return out;
}

IngestParams IngestStage::params(StageContext& ctx, std::int64_t t) const {
  const Plan& p = ctx.plan;
  IngestState& s = state(ctx);
  IngestParams out;
  out.crs_wkt = p.grid.crs_wkt;
  out.x0 = p.grid.x0;
  out.y0 = p.grid.y0;
  out.cell = p.grid.cell;
  out.window = p.tiles.window(t);
  for (size_t i = 0; i < p.job.inputs.size(); ++i) {
    const InputSpec& in = p.job.inputs[i];
    IngestParams::Input pi;
    pi.id = in.id;
    // The input's options that ingest reads; of its files only those that reach this tile, by content, so
    // a new survey tile touches only its tiles.
    pi.options = in;
    for (const char* k : {"path", "pattern", "units", "inclination", "declination", "upward_height"})
      pi.options.erase(k); // the file names count by content; the rest is read by fft and publish
    if (pi.options.contains("elements"))
      for (auto& e : pi.options["elements"])
        e.erase("units");
    if (s.vectors[i]) {
      pi.sources.push_back(s.vector_keys[i]);
    } else if (s.points[i]) {
      pi.sources.push_back(points_key(*s.points[i], p.tiles.subgrid(out.window)));
    } else {
      for (const auto& f : s.footprints[i])
        if (reaches(f, out.window)) pi.sources.push_back(f.path + " " + f.digests);
    }
    out.inputs.push_back(std::move(pi));
  }
  return out;
}

std::string IngestStage::compute(StageContext& ctx, std::int64_t t, const IngestParams& params) const {
  const Plan& p = ctx.plan;
  IngestState& s = state(ctx);
  file_digests(ctx).save();
  Hash64 h;
  const Window w = params.window;
  const GridSpec sub = p.tiles.subgrid(w);
  std::vector<float> buf;
  for (const auto& l : p.input_layers) {
    const auto i = static_cast<size_t>(l.input);
    const InputSpec& in = p.job.inputs[i];
    if (s.vectors[i]) {
      const std::vector<float>& g = s.vectors[i]->grids[static_cast<size_t>(l.element_index)];
      buf.resize(static_cast<size_t>(w.size()));
      for (std::int64_t r = 0; r < w.rows; ++r)
        std::copy_n(g.begin() + (w.row0 + r) * p.grid.nx + w.col0, w.cols, buf.begin() + r * w.cols);
    } else if (in.kind == "geochem_points") {
      grid_points_window(in, *s.points[i], static_cast<size_t>(l.element_index), sub, buf);
    } else {
      bool any = false;
      for (const auto& f : s.footprints[i])
        any = any || reaches(f, w);
      if (!any) {
        buf.assign(static_cast<size_t>(w.size()), NAN);
      } else {
        gdal::Dataset& ds = s.dataset(p, i);
        std::int64_t dummies = 0;
        if (s.aligned[i])
          read_aligned_window(in, ds.get(), sub, buf, dummies);
        else
          warp_to_window(in, ds.get(), s.method[i], sub, buf, dummies);
        if (dummies)
          ctx.log.push_back(in.id + " tile " + p.tiles.label(t) + ": " + std::to_string(dummies) +
                            " cells with non-finite or dummy (|v| >= 1e29) values set to nodata");
        if (in.kind == "geochem_grid") {
          std::int64_t nonpos = 0;
          const kernels::Status st = kernels::log10_transform(
              buf.data(), buf.data(), static_cast<std::int64_t>(buf.size()), {}, nonpos);
          if (!st.ok)
            throw_runtime("ingest tile " + p.tiles.label(t) + " input " + in.id + ": " + st.message);
        }
      }
    }
    s.drain_log(ctx.log);
    put_tile(p.work.layer_tile(l.name, t), buf, h);
  }
  return h.hex();
}

} // namespace prospector::stages
