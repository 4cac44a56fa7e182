#include "pipeline/plan/plan.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/plan/composition.hpp"
#include "pipeline/plan/evidence.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

namespace prospector {

std::vector<LayerDef> Plan::all_layers() const {
  std::vector<LayerDef> v = input_layers;
  v.insert(v.end(), derived_layers.begin(), derived_layers.end());
  return v;
}

std::vector<std::string> Plan::anomaly_layers() const {
  std::vector<std::string> v;
  for (const auto& l : all_layers()) {
    v.push_back("anomaly_" + l.name + "_robust_z");
    v.push_back("anomaly_" + l.name + "_local_z");
  }
  return v;
}

namespace {

std::string sanitize(std::string s) {
  for (auto& c : s)
    c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return s;
}

} // namespace

Plan make_plan(const std::string& job_path, const std::vector<JobOverride>& overrides) {
  Plan p;
  p.job = load_job(job_path, overrides);
  for (const auto& c : p.job.commodities)
    p.recipes.push_back(load_recipe(p.job, c));
  p.grid = resolve_grid(p.job);
  p.tiles = TileGrid(p.grid, p.job.tiling.tile_size);
  p.halo = p.job.anomaly.local_radius;
  p.out = p.job.output.folder;
  p.work = WorkFolder(p.out + "/work", p.tiles);

  for (size_t i = 0; i < p.job.inputs.size(); ++i) {
    const InputSpec& in = p.job.inputs[i];
    const std::string kind = (in.kind == "geochem_grid" || in.kind == "geochem_points") ? "geochem" : in.kind;
    if (in.kind == "geochem_points") {
      for (size_t k = 0; k < in.elements.size(); ++k) {
        const auto& e = in.elements[k];
        p.input_layers.push_back({in.id + "_" + sanitize(e.element),
                                  kind + " " + e.element + " (" + in.id + ")", "log10(" + e.units + ")", kind,
                                  e.element, in.id, static_cast<int>(i), static_cast<int>(k), "", "", false,
                                  "", -1, -1});
      }
    } else {
      const std::string units =
          kind == "geochem" ? "log10(" + (in.units.empty() ? std::string("ppm") : in.units) + ")" : in.units;
      p.input_layers.push_back(
          {in.id, in.kind + (in.element.empty() ? "" : " " + in.element) + " (" + in.id + ")", units, kind,
           in.element, in.id, static_cast<int>(i), -1, "", "", false, "", -1, -1});
    }
  }
  detail::add_composition_layers(p);
  detail::add_balance_layers(p);
  detail::bind_evidence(p);
  if (p.job.anomaly.rx) {
    for (const auto& l : p.input_layers) {
      const bool listed = p.job.anomaly.rx_layers.empty()
                              ? l.kind != "geochem"
                              : std::find(p.job.anomaly.rx_layers.begin(), p.job.anomaly.rx_layers.end(),
                                          l.source_id) != p.job.anomaly.rx_layers.end();
      if (listed) p.rx_bands.push_back(l.name);
    }
  }
  return p;
}

PlanEstimate estimate(const Plan& p) {
  PlanEstimate e;
  const double mib = 1048576.0;
  e.tile_mib = static_cast<double>(std::min(p.grid.ny, p.tiles.tile_size + 2 * p.halo)) *
               static_cast<double>(std::min(p.grid.nx, p.tiles.tile_size + 2 * p.halo)) * 4.0 / mib;
  const double layer_mib = static_cast<double>(p.grid.size()) * 4.0 / mib;
  const size_t layers = p.all_layers().size();
  size_t evidence = 0;
  for (const auto& r : p.recipes)
    evidence += r.evidence.size();
  const double grids = static_cast<double>(3 * layers + 2 * p.recipes.size() + evidence + 1);
  // Whole-grid stages: FFT (input, output, padded complex plan ~ 2.25 x 2 x 4 bytes per cell) and learn
  // (a commodity's evidence memberships, classes, score and model grids).
  bool fft = false;
  for (const auto& d : p.derived_layers)
    fft = fft || !d.filter.empty();
  size_t max_evidence = 0;
  for (const auto& r : p.recipes)
    max_evidence = std::max(max_evidence, r.evidence.size());
  const double fb = 1.5 * static_cast<double>(p.job.tiling.fft_block);
  const double fft_mib = std::min(static_cast<double>(p.grid.size()), fb * fb) * 4.0 / mib;
  e.whole_grid_mib = std::max(
      fft ? fft_mib * 20.0 : 0.0,
      p.job.training.path.empty() ? 0.0 : layer_mib * (2.0 * static_cast<double>(max_evidence) + 8.0));
  e.row_block_mib = 256.0 * static_cast<double>(p.grid.nx) * 4 / mib;
  e.tile_unit_mib = e.tile_mib * 8 + e.row_block_mib;
  e.peak_mib = std::max(e.tile_unit_mib, e.whole_grid_mib) + 64;
  e.work_mib = layer_mib * (grids + static_cast<double>(layers));
  e.output_mib = layer_mib * static_cast<double>(2 * layers + p.recipes.size() + 1);
  // A per-tile unit holds its tile with halo in ~16 work buffers plus two per layer; a global unit holds a
  // few whole-grid float layers (score grids of every commodity, labels, a row block of the output).
  e.request_tile_unit_mib = 256.0 + e.tile_mib * (16.0 + 2.0 * static_cast<double>(layers));
  e.request_global_unit_mib =
      256.0 + layer_mib * (static_cast<double>(layers) + 2.0 * static_cast<double>(p.recipes.size()) + 4.0);
  return e;
}

std::string describe_plan(const Plan& p) {
  std::ostringstream os;
  os << "job: " << p.job.name << " (" << p.job.path << ") is valid\n";
  os << "grid: " << describe(p.grid) << "\n";
  os << "tiles: " << p.tiles.count() << " (" << p.tiles.nty << " x " << p.tiles.ntx << ") of up to "
     << p.tiles.tile_size << " x " << p.tiles.tile_size << " cells, halo " << p.halo << " cells\n";
  os << "inputs:\n";
  for (const auto& in : p.job.inputs)
    os << "  " << probe_input(in, p.grid) << "\n";
  os << "layers: " << p.input_layers.size() << " ingested, " << p.derived_layers.size() << " derived";
  for (const auto& d : p.derived_layers)
    os << " [" << d.name << "]";
  os << "\ncommodities:\n";
  for (size_t r = 0; r < p.recipes.size(); ++r) {
    os << "  " << p.recipes[r].commodity << ": " << p.recipes[r].name << " (" << p.recipes[r].path << "):";
    for (size_t e = 0; e < p.recipes[r].evidence.size(); ++e)
      os << " " << p.recipes[r].evidence[e].id << "="
         << (p.evidence[r][e].layer.empty() ? "missing" : p.evidence[r][e].layer);
    os << "\n";
  }
  const PlanEstimate e = estimate(p);
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "estimate: peak memory about %.0f MiB (tile with halo %.1f MiB x ~8 buffers: layers, z-scores, "
      "memberships, + %.0f MiB per output row block; whole-grid fft/learn stages %.0f MiB); work folder "
      "about %.0f MiB; prospectivity.h5 at most %.0f MiB before compression\n",
      e.peak_mib, e.tile_mib, e.row_block_mib, e.whole_grid_mib, e.work_mib, e.output_mib);
  os << buf;
  os << "output: " << p.out << "\n";
  return os.str();
}

} // namespace prospector
