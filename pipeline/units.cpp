#include "pipeline/units.hpp"

#include "kernels/components.hpp"
#include "kernels/fuzzy.hpp"
#include "kernels/log_transform.hpp"
#include "kernels/mahalanobis.hpp"
#include "kernels/order_stats.hpp"
#include "kernels/potential_field.hpp"
#include "kernels/robust_stats.hpp"
#include "kernels/window_exact.hpp"
#include "pipeline/composition.hpp"
#include "pipeline/errors.hpp"
#include "pipeline/gpkg_writer.hpp"
#include "pipeline/h5_writer.hpp"
#include "pipeline/learn.hpp"
#include "pipeline/multivariate.hpp"
#include "pipeline/report.hpp"
#include "pipeline/sha256.hpp"
#include "pipeline/targets.hpp"

#include <fcntl.h>
#include <csignal>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace prospector::detail {

using nlohmann::json;

std::string layer_tile_path(const Plan& p, const std::string& layer, std::int64_t t) {
  return p.work + "/layers/" + layer + "/" + p.tiles.label(t) + ".f32";
}
std::string partial_path(const Plan& p, const std::string& layer, std::int64_t t) {
  return p.work + "/partials/" + layer + "/" + p.tiles.label(t) + ".sorted";
}
std::string stats_path(const Plan& p) { return p.work + "/global/stats.json"; }
std::string model_path(const Plan& p) { return p.work + "/global/model.json"; }
std::string targets_path(const Plan& p) { return p.work + "/global/targets.json"; }

namespace {

// Window parameters of a layer, the same in every tile: shift = its median, scale from its largest deviation.
kernels::ExactWindowParams window_params(double median, double min, double max, std::int64_t radius) {
  kernels::ExactWindowParams wp;
  wp.radius = radius;
  wp.shift = median;
  wp.scale = kernels::fixed_point_scale(std::max(std::fabs(min - median), std::fabs(max - median)));
  return wp;
}

std::string rx_partial_path(const Plan& p, std::int64_t t) {
  return p.work + "/partials/rx_moments/" + p.tiles.label(t) + ".json";
}

// Writes a tile and its content into the unit hash.
void put_tile(const std::string& path, const std::vector<float>& v, Hash64& h) {
  write_tile(path, v);
  h.add(path.substr(path.rfind("/layers/"))).add(v.data(), v.size() * sizeof(float));
}

void put_partial(const std::string& path, const std::vector<float>& tile, std::vector<float>& sorted, Hash64& h) {
  sorted.clear();
  for (float v : tile)
    if (!std::isnan(v)) sorted.push_back(v);
  std::sort(sorted.begin(), sorted.end());
  write_file_atomic(path, sorted.data(), sorted.size() * sizeof(float), false);
  h.add(sorted.data(), sorted.size() * sizeof(float));
}

// Read-only mapping of a sorted partial; unmapped on destruction.
class MappedRun {
public:
  explicit MappedRun(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY);
    if (fd_ < 0) throw_runtime("cannot open partial " + path + " (rerun the stage that writes it)");
    struct stat st;
    ::fstat(fd_, &st);
    n_ = static_cast<std::int64_t>(st.st_size) / static_cast<std::int64_t>(sizeof(float));
    if (n_ > 0) {
      void* m = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd_, 0);
      if (m == MAP_FAILED) throw_runtime("cannot map partial " + path);
      data_ = static_cast<const float*>(m);
    }
  }
  ~MappedRun() {
    if (data_) ::munmap(const_cast<float*>(data_), static_cast<size_t>(n_) * sizeof(float));
    if (fd_ >= 0) ::close(fd_);
  }
  MappedRun(const MappedRun&) = delete;
  MappedRun& operator=(const MappedRun&) = delete;
  kernels::SortedRun run() const { return {data_, n_}; }

private:
  int fd_ = -1;
  const float* data_ = nullptr;
  std::int64_t n_ = 0;
};

std::vector<kernels::SortedRun> map_runs(const Plan& p, const std::string& layer,
                                         std::vector<std::unique_ptr<MappedRun>>& keep) {
  std::vector<kernels::SortedRun> runs;
  for (std::int64_t t = 0; t < p.tiles.count(); ++t) {
    keep.push_back(std::make_unique<MappedRun>(partial_path(p, layer, t)));
    runs.push_back(keep.back()->run());
  }
  return runs;
}

std::string input_where(const Plan& p, const LayerDef& l) {
  if (l.input < 0) return "derived layer " + l.name;
  const auto& in = p.job.inputs[static_cast<size_t>(l.input)];
  return "input '" + in.id + "' (" + in.path + ")";
}

// Reads the halo window of a layer, assembled from the tiles it overlaps.
void read_window(const Plan& p, const std::string& layer, const Window& w, std::vector<float>& out) {
  out.assign(static_cast<size_t>(w.size()), NAN);
  for (std::int64_t t : p.tiles.tiles_in(w)) {
    const Window tw = p.tiles.window(t);
    const std::int64_t r0 = std::max(w.row0, tw.row0), r1 = std::min(w.row0 + w.rows, tw.row0 + tw.rows);
    const std::int64_t c0 = std::max(w.col0, tw.col0), c1 = std::min(w.col0 + w.cols, tw.col0 + tw.cols);
    if (r1 <= r0 || c1 <= c0) continue;
    read_tile_block(layer_tile_path(p, layer, t), tw.cols, r0 - tw.row0, r1 - r0, c0 - tw.col0, c1 - c0,
                    out.data() + (r0 - w.row0) * w.cols + (c0 - w.col0), w.cols);
  }
}

json load_json(const std::string& path) {
  try {
    return json::parse(read_file(path));
  } catch (const json::exception&) {
    throw_runtime(path + " is corrupt; rerun with --force");
  }
}

} // namespace

IngestCache::IngestCache(const Plan& p)
    : footprints(p.job.inputs.size()), points(p.job.inputs.size()), method(p.job.inputs.size()),
      open_(p.job.inputs.size()) {
  for (size_t i = 0; i < p.job.inputs.size(); ++i) {
    const InputSpec& in = p.job.inputs[i];
    if (in.kind == "geochem_points") {
      points[i] = std::make_unique<PreparedPoints>(prepare_points(in, p.grid));
      for (const auto& l : points[i]->log) log.push_back(l);
    } else {
      footprints[i] = source_footprints(in, p.grid);
    }
  }
}

gdal::Dataset& IngestCache::dataset(const Plan& p, std::size_t i) {
  if (!open_[i]) {
    open_[i] = open_input_raster(p.job.inputs[i]);
    method[i] = resampling_for(p.job.inputs[i], open_[i].get(), p.grid);
    log.push_back(p.job.inputs[i].id + ": warped " + p.job.inputs[i].path_as_written + " with " + method[i] +
                  " resampling");
  }
  return open_[i];
}

std::map<std::string, std::string> ingest_key_parts(const Plan& p, std::int64_t t, IngestCache& cache) {
  std::map<std::string, std::string> parts;
  const Window w = p.tiles.window(t);
  Hash64 g;
  g.add(p.grid.crs_wkt).add(p.grid.x0).add(p.grid.y0).add(p.grid.cell).add(w.row0).add(w.col0).add(w.rows).add(w.cols);
  parts["grid"] = g.hex();
  for (size_t i = 0; i < p.job.inputs.size(); ++i) {
    const InputSpec& in = p.job.inputs[i];
    Hash64 h;
    h.add(in.kind).add(in.element).add(in.resampling).add(static_cast<std::int64_t>(in.band)).add(in.crs);
    h.add(in.nodata ? std::to_string(*in.nodata) : std::string("none"));
    if (cache.points[i]) {
      for (const auto& e : in.elements) h.add(e.element).add(e.column);
      h.add(std::to_string(in.gridding.power) + in.gridding.method + std::to_string(in.gridding.max_points) +
            std::to_string(in.gridding.min_points));
      h.add(points_key(*cache.points[i], p.tiles.subgrid(w)));
    } else {
      // Only the source files that reach this tile count, so a new survey tile touches only its tiles.
      for (const auto& f : cache.footprints[i]) {
        const bool hit = f.row0 < w.row0 + w.rows && w.row0 < f.row0 + f.rows && f.col0 < w.col0 + w.cols &&
                         w.col0 < f.col0 + f.cols;
        if (hit) h.add(f.path).add(f.sha256);
      }
    }
    parts["input:" + in.id] = h.hex();
  }
  return parts;
}

std::string run_ingest_tile(const Plan& p, std::int64_t t, IngestCache& cache) {
  Hash64 h;
  const Window w = p.tiles.window(t);
  const GridSpec sub = p.tiles.subgrid(w);
  std::vector<float> buf;
  for (const auto& l : p.input_layers) {
    const InputSpec& in = p.job.inputs[static_cast<size_t>(l.input)];
    if (in.kind == "geochem_points") {
      grid_points_window(in, *cache.points[static_cast<size_t>(l.input)], static_cast<size_t>(l.element_index), sub,
                         buf);
    } else {
      bool any = false;
      for (const auto& f : cache.footprints[static_cast<size_t>(l.input)])
        any = any || (f.row0 < w.row0 + w.rows && w.row0 < f.row0 + f.rows && f.col0 < w.col0 + w.cols &&
                      w.col0 < f.col0 + f.cols);
      if (!any) {
        buf.assign(static_cast<size_t>(w.size()), NAN);
      } else {
        gdal::Dataset& ds = cache.dataset(p, static_cast<size_t>(l.input));
        std::int64_t dummies = 0;
        warp_to_window(in, ds.get(), cache.method[static_cast<size_t>(l.input)], sub, buf, dummies);
        if (dummies)
          cache.log.push_back(in.id + " tile " + p.tiles.label(t) + ": " + std::to_string(dummies) +
                              " cells with non-finite or dummy (|v| >= 1e29) values set to nodata");
        if (in.kind == "geochem_grid") {
          std::int64_t nonpos = 0;
          kernels::log10_transform(buf.data(), buf.data(), static_cast<std::int64_t>(buf.size()), {}, nonpos);
        }
      }
    }
    put_tile(layer_tile_path(p, l.name, t), buf, h);
  }
  return h.hex();
}

std::string run_fft(const Plan& p, std::vector<std::string>& log) {
  // FFTs need whole blocks of the grid: blocks of kBlock cells fixed from the grid origin (so results do not
  // depend on the tile size), each transformed with a margin of kMargin cells of real data around it. A grid
  // of at most kBlock x kBlock cells is one block: the transform of the whole grid.
  const std::int64_t kBlock = p.job.fft_block, kMargin = p.job.fft_block / 4;
  Hash64 h;
  kernels::PotentialFieldPlan plan;
  std::int64_t planned_nx = -1, planned_ny = -1;
  std::vector<float> in, out, tile;
  const std::int64_t nbx = (p.grid.nx + kBlock - 1) / kBlock, nby = (p.grid.ny + kBlock - 1) / kBlock;
  for (const auto& d : p.derived_layers) {
    if (d.filter.empty()) continue;
    const std::string raw = p.work + "/fft/" + d.name + ".raw";
    std::filesystem::create_directories(p.work + "/fft");
    const int fd = ::open(raw.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(p.grid.size() * 4)) != 0)
      throw_runtime("fft: cannot create " + raw + " (check free disk space)");
    const InputSpec* src = nullptr;
    for (const auto& l : p.input_layers)
      if (l.name == d.num) src = &p.job.inputs[static_cast<size_t>(l.input)];
    kernels::RtpParams rtp;
    if (src && src->inclination) rtp.inclination_deg = *src->inclination;
    if (src && src->declination) rtp.declination_deg = *src->declination;
    for (std::int64_t by = 0; by < nby; ++by)
      for (std::int64_t bx = 0; bx < nbx; ++bx) {
        const Window core{by * kBlock, bx * kBlock, std::min(kBlock, p.grid.ny - by * kBlock),
                          std::min(kBlock, p.grid.nx - bx * kBlock)};
        Window w;
        w.row0 = std::max<std::int64_t>(0, core.row0 - (nby > 1 ? kMargin : 0));
        w.col0 = std::max<std::int64_t>(0, core.col0 - (nbx > 1 ? kMargin : 0));
        w.rows = std::min(p.grid.ny, core.row0 + core.rows + (nby > 1 ? kMargin : 0)) - w.row0;
        w.cols = std::min(p.grid.nx, core.col0 + core.cols + (nbx > 1 ? kMargin : 0)) - w.col0;
        read_window(p, d.num, w, in);
        if (planned_nx != w.cols || planned_ny != w.rows) {
          kernels::Status st = plan.init(w.cols, w.rows);
          if (!st.ok) throw_runtime("fft: " + st.message);
          planned_nx = w.cols;
          planned_ny = w.rows;
        }
        out.assign(in.size(), NAN);
        const kernels::ConstGridView iv{in.data(), w.cols, w.rows};
        const kernels::GridView ov{out.data(), w.cols, w.rows};
        const double dx = p.grid.cell, dy = p.grid.cell;
        kernels::Status st;
        if (d.filter == "rtp") st = kernels::reduce_to_pole(iv, dx, dy, rtp, plan, ov);
        else if (d.filter == "pseudo_gravity") {
          kernels::PseudoGravityParams pg;
          pg.rtp = rtp;
          st = kernels::pseudo_gravity(iv, dx, dy, pg, plan, ov);
        } else if (d.filter == "upward_continuation") {
          kernels::UpwardContinuationParams up;
          up.height = src ? src->upward_height : 500.0;
          st = kernels::upward_continuation(iv, dx, dy, up, plan, ov);
        } else if (d.filter == "vertical_derivative") st = kernels::vertical_derivative(iv, dx, dy, {}, plan, ov);
        else if (d.filter == "total_horizontal_gradient") st = kernels::total_horizontal_gradient(iv, dx, dy, plan, ov);
        else if (d.filter == "tilt_derivative") st = kernels::tilt_derivative(iv, dx, dy, plan, ov);
        else st = kernels::analytic_signal(iv, dx, dy, plan, ov);
        if (!st.ok) {
          ::close(fd);
          throw_input("fft: " + d.filter + " of layer " + d.num + ": " + st.message);
        }
        for (std::int64_t r = 0; r < core.rows; ++r) {
          const float* row = out.data() + (core.row0 - w.row0 + r) * w.cols + (core.col0 - w.col0);
          const off_t off = static_cast<off_t>(((core.row0 + r) * p.grid.nx + core.col0) * 4);
          if (::pwrite(fd, row, static_cast<size_t>(core.cols) * 4, off) != static_cast<ssize_t>(core.cols * 4)) {
            ::close(fd);
            throw_runtime("fft: cannot write " + raw + " (check free disk space)");
          }
        }
      }
    ::close(fd);
    for (std::int64_t t = 0; t < p.tiles.count(); ++t) {
      const Window w = p.tiles.window(t);
      tile.resize(static_cast<size_t>(w.size()));
      read_tile_block(raw, p.grid.nx, w.row0, w.rows, w.col0, w.cols, tile.data(), w.cols);
      put_tile(layer_tile_path(p, d.name, t), tile, h);
    }
    std::error_code ec;
    std::filesystem::remove(raw, ec);
    log.push_back(d.name + ": " + d.filter + " of " + d.num +
                  (nbx * nby == 1 ? std::string(" on the whole grid")
                                  : " in " + std::to_string(nbx * nby) + " blocks of " + std::to_string(kBlock) +
                                        " cells with " + std::to_string(kMargin) + "-cell margins"));
  }
  return h.hex();
}

std::string run_transform_tile(const Plan& p, std::int64_t t) {
  Hash64 h;
  const Window w = p.tiles.window(t);
  std::vector<float> a, b, sorted;
  compute_composition_tile(p, t, [&](const std::string& name, const std::vector<float>& v) {
    put_tile(layer_tile_path(p, name, t), v, h);
  });
  for (const auto& d : p.derived_layers) {
    if (!d.filter.empty() || d.clr_group >= 0 || d.balance >= 0) continue; // fft stage; log-ratios above
    read_tile(layer_tile_path(p, d.num, t), w, a);
    read_tile(layer_tile_path(p, d.den, t), w, b);
    for (size_t i = 0; i < a.size(); ++i) {
      // Geochemical layers are log10 already, so their ratio is a difference.
      if (d.log_ratio) a[i] = a[i] - b[i];
      else a[i] = (b[i] > 0 && std::isfinite(a[i])) ? a[i] / b[i] : NAN;
    }
    put_tile(layer_tile_path(p, d.name, t), a, h);
  }
  for (const auto& l : p.all_layers()) {
    read_tile(layer_tile_path(p, l.name, t), w, a);
    put_partial(partial_path(p, l.name, t), a, sorted, h);
  }
  return h.hex();
}

std::string run_stats(const Plan& p, std::vector<std::string>& log) {
  json out = json::object();
  for (const auto& l : p.all_layers()) {
    std::vector<std::unique_ptr<MappedRun>> keep;
    auto runs = map_runs(p, l.name, keep);
    const std::int64_t n = kernels::total_count(runs.data(), static_cast<std::int64_t>(runs.size()));
    if (n == 0)
      throw_input(input_where(p, l) + ": no valid cell on the analysis grid (the layer is all nodata there); "
                                      "check the file's nodata value and its extent");
    kernels::RobustLocation loc;
    kernels::merged_robust_location(runs.data(), static_cast<std::int64_t>(runs.size()), loc);
    float mn = INFINITY, mx = -INFINITY;
    for (const auto& r : runs)
      if (r.n > 0) {
        mn = std::min(mn, r.data[0]);
        mx = std::max(mx, r.data[r.n - 1]);
      }
    out[l.name] = {{"median", loc.median}, {"mad", loc.mad}, {"scale", loc.scale}, {"count", loc.count},
                   {"min", mn}, {"max", mx}};
    if (std::find(p.gi_layers.begin(), p.gi_layers.end(), l.name) != p.gi_layers.end()) {
      // Mean and standard deviation for Gi*, from exact integer sums of the values quantised as the anomaly
      // stage's window sums are: the same for any tiling.
      const kernels::ExactWindowParams wp = window_params(loc.median, mn, mx, p.halo);
      kernels::ExactMoments m;
      for (const auto& r : runs)
        m.add(r.data, r.n, wp.shift, wp.scale);
      const kernels::GiStarGlobal g = m.global(wp.shift, wp.scale);
      out[l.name]["mean"] = g.mean;
      out[l.name]["std"] = g.std;
    }
    log.push_back(l.name + ": " + std::to_string(n) + " valid cells, median " + std::to_string(loc.median) +
                  ", MAD " + std::to_string(loc.mad));
  }
  const std::string text = out.dump(1);
  write_text_atomic(stats_path(p), text);
  return Hash64().add(text).hex();
}

std::string run_anomaly_tile(const Plan& p, std::int64_t t) {
  Hash64 h;
  const json stats = load_json(stats_path(p));
  const Window w = p.tiles.window(t);
  const Window hw = p.tiles.halo_window(t, p.halo);
  std::vector<float> tile, halo, z(static_cast<size_t>(hw.size())), out;
  kernels::ExactWindowScratch scratch;
  for (const auto& l : p.all_layers()) {
    const json& s = stats.at(l.name);
    kernels::RobustLocation loc;
    loc.median = s["median"];
    loc.mad = s["mad"];
    loc.scale = s["scale"];
    loc.count = s["count"];
    read_tile(layer_tile_path(p, l.name, t), w, tile);
    out.resize(tile.size());
    kernels::robust_z({tile.data(), w.cols, w.rows}, loc, {}, {out.data(), w.cols, w.rows});
    put_tile(layer_tile_path(p, "anomaly_" + l.name + "_robust_z", t), out, h);

    read_window(p, l.name, hw, halo);
    const kernels::ExactWindowParams wp = window_params(loc.median, s["min"], s["max"], p.halo);
    z.resize(halo.size());
    auto crop = [&](const std::string& name) {
      for (std::int64_t r = 0; r < w.rows; ++r)
        std::copy(z.begin() + (r + w.row0 - hw.row0) * hw.cols + (w.col0 - hw.col0),
                  z.begin() + (r + w.row0 - hw.row0) * hw.cols + (w.col0 - hw.col0) + w.cols,
                  out.begin() + r * w.cols);
      put_tile(layer_tile_path(p, "anomaly_" + l.name + "_" + name, t), out, h);
    };
    kernels::Status st = kernels::exact_window_stats({halo.data(), hw.cols, hw.rows}, wp, scratch, nullptr, nullptr, z.data());
    if (!st.ok) throw_runtime("anomaly tile " + p.tiles.label(t) + " layer " + l.name + ": " + st.message);
    crop("local_z");
    if (std::find(p.gi_layers.begin(), p.gi_layers.end(), l.name) != p.gi_layers.end()) {
      kernels::GiStarGlobal g;
      g.n = s["count"];
      g.mean = s["mean"];
      g.std = s["std"];
      st = kernels::exact_window_gi_star({halo.data(), hw.cols, hw.rows}, wp, g, scratch, z.data());
      if (!st.ok) throw_runtime("anomaly tile " + p.tiles.label(t) + " layer " + l.name + " Gi*: " + st.message);
      crop("gi_star");
    }
  }
  if (p.rx_bands.size() >= 2) {
    // Moments of the robust z bands over cells where all are valid, merged in tile order by the model stage.
    const size_t k = p.rx_bands.size();
    std::vector<std::vector<float>> bands(k);
    for (size_t b = 0; b < k; ++b) read_tile(layer_tile_path(p, "anomaly_" + p.rx_bands[b] + "_robust_z", t), w, bands[b]);
    const std::string text = rx_tile_partial(p, t, bands).dump();
    write_file_atomic(rx_partial_path(p, t), text.data(), text.size(), false);
    h.add(text);
  }
  return h.hex();
}

std::string run_model(const Plan& p, std::vector<std::string>& log) {
  const json model = fit_multivariate(p, [&](std::int64_t t) { return load_json(rx_partial_path(p, t)); }, log);
  const std::string text = model.dump(1);
  write_text_atomic(model_path(p), text);
  return Hash64().add(text).hex();
}

std::string run_score_tile(const Plan& p, std::int64_t t) {
  Hash64 h;
  const Window w = p.tiles.window(t);
  const std::int64_t n = w.size();
  std::vector<float> z, contrib, sorted;
  std::vector<std::vector<float>> memberships;
  for (size_t r = 0; r < p.recipes.size(); ++r) {
    const Recipe& rc = p.recipes[r];
    memberships.clear();
    std::vector<double> weights;
    double total = 0, present = 0;
    for (size_t e = 0; e < rc.evidence.size(); ++e) {
      const Evidence& ev = rc.evidence[e];
      const EvidenceBinding& b = p.evidence[r][e];
      total += ev.weight;
      if (b.layer.empty()) continue;
      read_tile(layer_tile_path(p, "anomaly_" + b.layer + "_" + b.base, t), w, z);
      if (ev.transform.rfind("neg_", 0) == 0)
        for (auto& v : z) v = -v;
      if (ev.transform.rfind("abs_", 0) == 0)
        for (auto& v : z) v = std::fabs(v);
      kernels::membership(z.data(), z.data(), n, ev.membership);
      contrib.resize(z.size());
      for (size_t i = 0; i < z.size(); ++i) contrib[i] = static_cast<float>(ev.weight) * z[i];
      put_tile(layer_tile_path(p, "contrib_" + rc.commodity + "_" + ev.id, t), contrib, h);
      present += ev.weight;
      weights.push_back(ev.weight);
      memberships.push_back(z);
    }
    std::vector<const float*> ptrs;
    for (const auto& m : memberships) ptrs.push_back(m.data());
    kernels::OverlayParams op;
    op.min_weight_fraction = std::min(1.0, rc.min_weight_fraction * total / present);
    std::vector<float> score(static_cast<size_t>(n));
    kernels::Status st = kernels::weighted_overlay(ptrs.data(), weights.data(), static_cast<std::int64_t>(ptrs.size()),
                                                   n, op, score.data());
    if (!st.ok) throw_runtime(rc.commodity + ": overlay failed: " + st.message);
    if (rc.combination != "weighted_mean") {
      // The weighted overlay still decides where enough evidence is present; the operator gives the value.
      const kernels::FuzzyOperator op = rc.combination == "and"       ? kernels::FuzzyOperator::And
                                        : rc.combination == "or"      ? kernels::FuzzyOperator::Or
                                        : rc.combination == "product" ? kernels::FuzzyOperator::Product
                                        : rc.combination == "sum"     ? kernels::FuzzyOperator::Sum
                                                                      : kernels::FuzzyOperator::Gamma;
      kernels::FuzzyCombineParams fp;
      fp.gamma = rc.gamma;
      fp.nodata = kernels::FuzzyNodata::Ignore;
      std::vector<float> combined(static_cast<size_t>(n));
      st = kernels::fuzzy_combine(ptrs.data(), static_cast<std::int64_t>(ptrs.size()), n, op, fp, combined.data());
      if (!st.ok) throw_runtime(rc.commodity + ": fuzzy " + rc.combination + " failed: " + st.message);
      for (size_t i = 0; i < score.size(); ++i) score[i] = std::isnan(score[i]) ? score[i] : combined[i];
    }
    const std::string name = "prospectivity_" + rc.commodity;
    put_tile(layer_tile_path(p, name, t), score, h);
    put_partial(partial_path(p, name, t), score, sorted, h);
  }
  apply_multivariate(p, load_json(model_path(p)), t, [&](const std::string& name, const std::vector<float>& v) {
    put_tile(layer_tile_path(p, name, t), v, h);
  });
  return h.hex();
}

std::string run_targets(const Plan& p, std::vector<std::string>& log) {
  json all = json::array();
  for (const auto& rc : p.recipes) {
    const std::string layer = "prospectivity_" + rc.commodity;
    TargetOptions opts = p.job.targets;
    auto ov = p.job.recipes.find(rc.commodity);
    if (ov != p.job.recipes.end() && ov->second.top_fraction) opts.top_fraction = *ov->second.top_fraction;
    double threshold = 0;
    {
      std::vector<std::unique_ptr<MappedRun>> keep;
      auto runs = map_runs(p, layer, keep);
      kernels::Status st = kernels::merged_top_fraction_threshold(runs.data(), static_cast<std::int64_t>(runs.size()),
                                                                  opts.top_fraction, threshold);
      if (!st.ok) throw_input(rc.commodity + ": the prospectivity grid has no valid cell; no targets can be ranked");
      if (opts.threshold == "concentration_area") {
        double ca = 0, fraction = 0;
        std::string detail;
        if (concentration_area_threshold(runs.data(), static_cast<std::int64_t>(runs.size()), ca, fraction, detail)) {
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
    src.score_tile = [&](std::int64_t t) { return layer_tile_path(p, layer, t); };
    for (const auto& ev : rc.evidence)
      if (file_exists(layer_tile_path(p, "contrib_" + rc.commodity + "_" + ev.id, 0)))
        src.evidence.push_back({ev.id, [&p, c = rc.commodity, id = ev.id](std::int64_t t) {
                                  return layer_tile_path(p, "contrib_" + c + "_" + id, t);
                                }});
    src.label_dir = p.work + "/targets/" + rc.commodity;
    CommodityTargets ct = extract_targets_tiled(rc.commodity, p.tiles, threshold, opts, src);
    log.push_back(rc.commodity + ": " + std::to_string(ct.targets.size()) + " targets above " +
                  std::to_string(threshold) + " (top " + std::to_string(100 * opts.top_fraction) + "% of valid cells)");
    for (size_t i = 0; i < ct.targets.size() && i < 3; ++i) {
      const Target& tg = ct.targets[i];
      char buf[256];
      std::snprintf(buf, sizeof buf, "%s target %d: peak %.3f mean %.3f area %.3f km2 at (%.1f, %.1f); evidence %s",
                    rc.commodity.c_str(), tg.rank, tg.peak_score, tg.mean_score, tg.area / 1e6, tg.centroid_x,
                    tg.centroid_y, tg.evidence.c_str());
      log.push_back(buf);
    }
    all.push_back(to_json(ct));
  }
  const std::string text = all.dump();
  write_text_atomic(targets_path(p), text);
  return Hash64().add(text).hex();
}

namespace {

// Validation curves and weights tables of the learn stage as netCDF-readable 1-D variables.
void write_learned_tables(H5Writer& w, const json& learn) {
  if (!learn.contains("commodities")) return;
  for (auto it = learn["commodities"].begin(); it != learn["commodities"].end(); ++it) {
    const std::string c = it.key();
    const json& cj = *it;
    for (const char* curve : {"success_rate", "prediction_rate"}) {
      if (!cj.contains(curve)) continue;
      const json& cv = cj[curve];
      std::map<std::string, std::string> attrs = {{"long_name", std::string(curve) + " curve of the " +
                                                                    cj.value("validated_model", "") + " model for " + c},
                                                  {"auc", std::to_string(cv["auc"].get<double>())}};
      if (cv.contains("source")) attrs["source"] = cv["source"];
      if (std::string(curve) == "prediction_rate" && cj.contains("capture_efficiency")) {
        std::string cap;
        for (auto ce = cj["capture_efficiency"].begin(); ce != cj["capture_efficiency"].end(); ++ce)
          cap += (cap.empty() ? "" : "; ") + ce.key() + ": " + std::to_string(ce->get<double>());
        attrs["capture_efficiency"] = cap;
      }
      const std::string dim = std::string(curve) + "_" + c;
      w.write_table(dim,
                    {{dim + "_area_fraction", "fraction of the valid area, ranked by decreasing score", "1",
                      cv["area_fraction"].get<std::vector<double>>()},
                     {dim + "_deposit_fraction", "fraction of the deposits inside that area", "1",
                      cv["deposit_fraction"].get<std::vector<double>>()}},
                    attrs);
    }
    if (cj.contains("wofe") && cj["wofe"].contains("evidence")) {
      const json& wj = cj["wofe"];
      std::vector<TableColumn> cols = {{"wofe_" + c + "_evidence", "evidence index (see evidence_ids)", "", {}},
                                       {"wofe_" + c + "_class", "membership class (0 = lowest)", "", {}},
                                       {"wofe_" + c + "_cells", "N(B): cells in the class", "", {}},
                                       {"wofe_" + c + "_deposits", "N(B and D): deposit cells in the class", "", {}},
                                       {"wofe_" + c + "_w_plus", "W+ (generalised weight of the class)", "", {}},
                                       {"wofe_" + c + "_w_minus", "W-", "", {}},
                                       {"wofe_" + c + "_contrast", "contrast C = W+ - W-", "", {}},
                                       {"wofe_" + c + "_s_contrast", "standard deviation of C", "", {}},
                                       {"wofe_" + c + "_studentized", "studentized contrast C / s(C)", "", {}},
                                       {"wofe_" + c + "_flags", "1: a continuity correction was applied", "", {}}};
      std::string ids;
      int e = 0;
      for (const auto& ev : wj["evidence"]) {
        ids += (ids.empty() ? "" : " ") + std::to_string(e) + ":" + ev["id"].get<std::string>();
        int k = 0;
        for (const auto& cl : ev["classes"]) {
          const double vals[] = {static_cast<double>(e), static_cast<double>(k++), cl["cells"].get<double>(),
                                 cl["deposits"].get<double>(), cl["w_plus"].get<double>(), cl["w_minus"].get<double>(),
                                 cl["contrast"].get<double>(), cl["s_contrast"].get<double>(),
                                 cl["studentized"].get<double>(), cl["flags"].get<unsigned>() ? 1.0 : 0.0};
          for (size_t i = 0; i < cols.size(); ++i) cols[i].values.push_back(vals[i]);
        }
        ++e;
      }
      std::map<std::string, std::string> attrs = {{"long_name", "weights of evidence for " + c},
                                                  {"evidence_ids", ids},
                                                  {"prior_logit", std::to_string(wj["prior_logit"].get<double>())}};
      for (auto ci = wj["ci_test"].begin(); ci != wj["ci_test"].end(); ++ci)
        attrs["ci_test_" + ci.key()] = ci->dump();
      w.write_table("wofe_" + c, cols, attrs);
    }
  }
}

} // namespace

void remove_stale_partials(const std::string& out) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(out, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind(kPartialPrefix, 0) != 0) continue;
    const long pid = std::atol(n.c_str() + std::string(kPartialPrefix).size());
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0) std::filesystem::remove(e.path(), ec);
  }
}

std::string run_publish(const Plan& p, std::vector<std::string>& log) {
  std::vector<CommodityTargets> targets;
  for (const auto& j : load_json(targets_path(p))) targets.push_back(targets_from_json(j));
  std::vector<std::pair<std::string, std::string>> grids; // name, long name
  std::vector<std::string> units;
  const json stats = load_json(stats_path(p));
  for (const auto& rc : p.recipes)
    grids.push_back({"prospectivity_" + rc.commodity, "prospectivity for " + rc.commodity + " (" + rc.name +
                                                          "), fuzzy weighted overlay in [0, 1]"});
  for (const auto& l : p.all_layers()) {
    grids.push_back({"anomaly_" + l.name + "_robust_z", "robust z-score (median/MAD) of " + l.long_name});
    grids.push_back({"anomaly_" + l.name + "_local_z", "local z-score (moving window, radius " +
                                                         std::to_string(p.halo) + " cells) of " + l.long_name});
    if (std::find(p.gi_layers.begin(), p.gi_layers.end(), l.name) != p.gi_layers.end())
      grids.push_back({"anomaly_" + l.name + "_gi_star", "Getis-Ord Gi* hot-spot z-score (window radius " +
                                                             std::to_string(p.halo) + " cells) of " + l.long_name});
  }
  multivariate_grids(p, load_json(model_path(p)), grids);
  const json learn = file_exists(learn_path(p)) ? load_json(learn_path(p)) : json::object();
  for (const auto& g : learn.value("grids", json::array())) grids.push_back({g["name"], g["long_name"]});
  const std::string h5 = p.out + "/prospectivity.h5";
  const std::string tmp = p.out + "/" + kPartialPrefix + std::to_string(getpid());
  std::vector<InputRecord> inputs;
  for (const auto& in : p.job.inputs)
    for (const auto& s : in.kind == "geochem_points" ? std::vector<std::string>{in.path} : input_sources(in))
      inputs.push_back({in.id, s, sha256_file(s)});
  std::vector<std::string> names;
  try {
    write_targets_gpkg(p.out + "/targets.gpkg", p.grid, targets);
    {
      H5Writer w(tmp, p.grid, "prospector: " + p.job.name);
      for (const auto& [name, long_name] : grids) {
        GridVariable v{name, long_name, "1", nullptr, {}};
        w.write_grid_streamed(v, [&, name = name](std::int64_t row0, std::int64_t rows, float* buf) {
          const Window band{row0, 0, rows, p.grid.nx};
          for (std::int64_t t : p.tiles.tiles_in(band)) {
            const Window tw = p.tiles.window(t);
            const std::int64_t r0 = std::max(row0, tw.row0), r1 = std::min(row0 + rows, tw.row0 + tw.rows);
            read_tile_block(layer_tile_path(p, name, t), tw.cols, r0 - tw.row0, r1 - r0, 0, tw.cols,
                            buf + (r0 - row0) * p.grid.nx + tw.col0, p.grid.nx);
          }
        });
        names.push_back(name);
      }
      for (const auto& t : targets) w.write_targets(t);
      write_learned_tables(w, learn);
      std::time_t now = std::time(nullptr);
      char ts[32];
      std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
      w.write_provenance({p.job.path, p.job.text, PROSPECTOR_VERSION, ts, inputs});
      w.close();
    }
    std::error_code ec;
    std::filesystem::rename(tmp, h5, ec);
    if (ec) throw_runtime("cannot rename " + tmp + " to " + h5 + ": " + ec.message());
    write_pam_sidecar(h5, p.grid, names);
    write_report(p, targets, learn, inputs, p.out + "/report.html");
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
  log.push_back("wrote " + h5 + ", " + p.out + "/targets.gpkg and " + p.out + "/report.html");
  // The output file carries a creation time, so its content hash is that of the inputs that made it.
  Hash64 h;
  h.add(read_file(targets_path(p)));
  for (const auto& n : names) h.add(n);
  return h.hex();
}

} // namespace prospector::detail
