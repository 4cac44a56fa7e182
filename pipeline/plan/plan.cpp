#include "pipeline/plan/plan.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/io/vector_ingest.hpp"
#include "pipeline/plan/composition.hpp"
#include "pipeline/plan/evidence.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace prospector {

std::vector<LayerDef> Plan::all_layers() const {
  std::vector<LayerDef> v = input_layers;
  v.insert(v.end(), derived_layers.begin(), derived_layers.end());
  return v;
}

std::vector<LayerDef> Plan::anomaly_sources() const {
  std::vector<LayerDef> v;
  for (const auto& l : all_layers())
    if (!l.categorical()) v.push_back(l);
  return v;
}

std::vector<std::string> Plan::anomaly_layers() const {
  const auto& groups = job.output.layers;
  const bool all = std::find(groups.begin(), groups.end(), "anomalies") != groups.end();
  std::set<std::string> read;
  for (const auto& rec : evidence)
    for (const auto& b : rec)
      if (!b.layer.empty()) read.insert("anomaly_" + b.layer + "_" + b.base);
  for (const auto& b : rx_bands)
    read.insert("anomaly_" + b + "_robust_z");
  for (const auto& e : job.models.wofe_evidence)
    read.insert(e.layer);
  std::vector<std::string> v;
  for (const auto& l : anomaly_sources())
    for (const char* base : {"_robust_z", "_local_z", "_gi_star"}) {
      const std::string name = "anomaly_" + l.name + base;
      // Gi* only where a recipe reads it.
      if (read.count(name) || (all && std::string(base) != "_gi_star")) v.push_back(name);
    }
  return v;
}

bool Plan::computes(const std::string& name) const {
  const auto v = anomaly_layers();
  return std::find(v.begin(), v.end(), name) != v.end();
}

namespace {

// The layers of a geology, structures, features or categorical_raster input; geology and categorical
// rasters with their class tables, read now so that recipes bind their favourability tables by unit name.
void add_geology_layers(Plan& p, size_t i) {
  const InputSpec& in = p.job.inputs[i];
  const std::vector<std::string> names = layer_names(in);
  const auto add = [&](const std::string& name, const std::string& long_name, const std::string& measure,
                       const std::string& element, int k) {
    LayerDef l;
    l.name = name;
    l.long_name = long_name;
    l.units = "1";
    l.kind = in.kind;
    l.element = element;
    l.source_id = in.id;
    l.input = static_cast<int>(i);
    l.element_index = k;
    l.measure = measure;
    p.input_layers.push_back(l);
  };
  if (in.kind == "categorical_raster" || in.kind == "geology") {
    const ClassTable t = input_classes(in);
    add(names[0],
        in.kind == "geology" ? "geological units ('" + in.attribute + "' of " + in.id + ")"
                             : "classes of " + in.id,
        "unit", in.element, in.kind == "geology" ? 0 : -1);
    p.input_layers.back().classes = t.names;
    for (size_t k = 1; k < names.size(); ++k)
      add(names[k], "distance to the contact of unit " + in.contact_units[k - 1] + " (" + in.id + ")",
          "contact", in.contact_units[k - 1], static_cast<int>(k));
    return;
  }
  const std::string what = in.kind == "structures" ? "lines" : "points";
  add(names[0], "distance to the nearest of the " + what + " of " + in.id, "distance", "", 0);
  add(names[1],
      (in.kind == "structures" ? "line length" : "points") + std::string(" per unit area of ") + in.id,
      "density", "", 1);
  if (in.kind == "structures")
    add(names[2], "distance to the nearest intersection or junction of two lines of " + in.id, "distance", "",
        2);
}

// Every name the run writes as a work layer (layers/<name>/), each with the option that gives it. Grids of
// the gridded output are work layers too; its other variables (x, y, crs, provenance, targets_*, target_*,
// node_*, part_*, success_rate_*, prediction_rate_*, wofe_*) cannot be any of these names. Two options giving
// one name would overwrite each other's tiles: refused here, naming both, before any data is read.
void check_layer_names(const Plan& p) {
  struct Origin {
    std::string where; ///< "key 'inputs[1].id'", or the recipe evidence
    std::string what;  ///< what the name is given to
  };
  std::map<std::string, Origin> seen;
  const auto job_key = [](const std::string& key) { return "key '" + key + "'"; };
  const auto claim = [&](const std::string& name, const std::string& where, const std::string& what) {
    const auto [it, inserted] = seen.emplace(name, Origin{where, what});
    if (inserted) return;
    Origin first = it->second, second{where, what};
    if (first.where.rfind("key '", 0) == 0 && second.where.rfind("key '", 0) != 0) std::swap(first, second);
    throw_usage(p.job.path + ": " + second.where + ": " + second.what + " is named '" + name + "', as is " +
                first.what + " (" + first.where +
                "); every layer and output grid needs its own name, so rename one of them");
  };
  // The recipe evidence that reads a derived layer.
  const auto evidence_of = [&](const std::string& layer) -> std::string {
    for (size_t r = 0; r < p.recipes.size(); ++r)
      for (size_t e = 0; e < p.recipes[r].evidence.size(); ++e) {
        const std::string& bound = p.evidence[r][e].layer;
        if (bound == layer || bound.rfind("ratio_" + layer + "_", 0) == 0)
          return "evidence '" + p.recipes[r].evidence[e].id + "' of recipe " + p.recipes[r].path;
      }
    return "the recipes' evidence";
  };

  for (const auto& l : p.input_layers) {
    const InputSpec& in = p.job.inputs[static_cast<size_t>(l.input)];
    const std::string at = "inputs[" + std::to_string(l.input) + "]";
    if (is_vector_kind(in.kind) && l.measure == "contact")
      claim(l.name, job_key(at + ".contact_units"),
            "the " + l.element + " contact layer of input '" + in.id + "'");
    else if (is_vector_kind(in.kind))
      claim(l.name, job_key(at + ".id"), "the " + l.measure + " layer of input '" + in.id + "'");
    else if (l.element_index >= 0)
      claim(l.name, job_key(at + ".elements[" + std::to_string(l.element_index) + "].element"),
            "the " + l.element + " layer of input '" + in.id + "'");
    else
      claim(l.name, job_key(at + ".id"), "the layer of input '" + in.id + "'");
  }
  for (const auto& d : p.derived_layers) {
    if (d.clr_group >= 0)
      claim(d.name, job_key("geochem.composition"),
            "the centred log-ratio of layer '" + d.name.substr(4) + "'");
    else if (d.balance >= 0)
      claim(d.name, job_key("geochem.balances[" + std::to_string(d.balance) + "].name"),
            "the balance '" + d.element + "'");
    else if (!d.filter.empty())
      claim(d.name, evidence_of(d.name), "the " + d.filter + " of layer '" + d.num + "'");
    else
      claim(d.name, evidence_of(d.name), "the ratio of layer '" + d.num + "' to '" + d.den + "'");
  }
  for (const auto& l : p.anomaly_sources()) {
    const Origin& o = seen.at(l.name);
    claim("anomaly_" + l.name + "_robust_z", o.where, "the robust z-score grid of layer '" + l.name + "'");
    claim("anomaly_" + l.name + "_local_z", o.where, "the local z-score grid of layer '" + l.name + "'");
    if (std::find(p.gi_layers.begin(), p.gi_layers.end(), l.name) != p.gi_layers.end())
      claim("anomaly_" + l.name + "_gi_star", o.where, "the Gi* grid of layer '" + l.name + "'");
  }
  if (p.job.anomaly.rx) claim("anomaly_rx", job_key("anomaly.rx"), "the RX anomaly grid");
  for (std::int64_t c = 1; c <= p.job.anomaly.pca_components; ++c)
    claim("anomaly_pc" + std::to_string(c), job_key("anomaly.pca_components"),
          "principal component grid " + std::to_string(c));
  const bool trained = !p.job.training.path.empty();
  for (size_t r = 0; r < p.recipes.size(); ++r) {
    const Recipe& rc = p.recipes[r];
    claim("prospectivity_" + rc.commodity, job_key("commodities"),
          "the prospectivity grid of " + rc.commodity);
    for (const auto& ev : rc.evidence)
      claim("contrib_" + rc.commodity + "_" + ev.id, "evidence '" + ev.id + "' of recipe " + rc.path,
            "the contribution grid of evidence '" + ev.id + "' to " + rc.commodity);
    if (trained && p.job.models.wofe) {
      claim("posterior_wofe_" + rc.commodity, job_key("models.wofe"),
            "the weights-of-evidence posterior grid of " + rc.commodity);
      claim("posterior_wofe_" + rc.commodity + "_std", job_key("models.wofe"),
            "the weights-of-evidence posterior deviation grid of " + rc.commodity);
    }
    if (trained && p.job.models.logistic)
      claim("probability_logistic_" + rc.commodity, job_key("models.logistic"),
            "the logistic-regression probability grid of " + rc.commodity);
  }
}

} // namespace

namespace {

// models.wofe_evidence names a layer of the run: a layer, or an anomaly grid of a non-categorical one.
void check_wofe_layers(const Plan& p) {
  const auto& ev = p.job.models.wofe_evidence;
  for (size_t i = 0; i < ev.size(); ++i) {
    const std::string key = p.job.path + ": key 'models.wofe_evidence[" + std::to_string(i) + "].layer'";
    const LayerDef* found = nullptr;
    const std::vector<LayerDef> all = p.all_layers();
    for (const auto& l : all)
      if (l.name == ev[i].layer) found = &l;
    std::vector<std::string> anomalies;
    for (const auto& l : p.anomaly_sources())
      for (const char* base : {"_robust_z", "_local_z", "_gi_star"})
        anomalies.push_back("anomaly_" + l.name + base);
    const bool anomaly = std::find(anomalies.begin(), anomalies.end(), ev[i].layer) != anomalies.end();
    if (!found && !anomaly) {
      std::string names;
      for (const auto& l : all)
        names += (names.empty() ? "" : ", ") + l.name;
      throw_usage(key + ": no layer '" + ev[i].layer + "' in this run; layers: " + names +
                  ", and their anomaly grids anomaly_<layer>_robust_z, _local_z, _gi_star");
    }
    const std::string& type = ev[i].type;
    if (found && found->categorical() && type != "categorical" && type != "unique")
      throw_usage(p.job.path + ": key 'models.wofe_evidence[" + std::to_string(i) + "].type': layer '" +
                  ev[i].layer + "' holds categories: its type must be categorical or unique, not " + type);
  }
}

} // namespace

Plan make_plan(const std::string& job_path, const std::vector<JobOverride>& overrides) {
  Plan p;
  p.job = load_job(job_path, overrides);
  check_input_files(p.job);
  for (const auto& c : p.job.commodities)
    p.recipes.push_back(load_recipe(p.job, c));

  // Layers and evidence bindings need only the job and the recipes: resolved, and their names checked,
  // before the grid is resolved from the inputs' headers.
  for (size_t i = 0; i < p.job.inputs.size(); ++i) {
    const InputSpec& in = p.job.inputs[i];
    const std::string kind = (in.kind == "geochem_grid" || in.kind == "geochem_points") ? "geochem" : in.kind;
    if (is_vector_kind(in.kind) || in.kind == "categorical_raster") {
      add_geology_layers(p, i);
    } else if (in.kind == "geochem_points") {
      const std::vector<std::string> names = layer_names(in);
      for (size_t k = 0; k < in.elements.size(); ++k) {
        const auto& e = in.elements[k];
        p.input_layers.push_back({names[k], kind + " " + e.element + " (" + in.id + ")",
                                  "log10(" + e.units + ")", kind, e.element, in.id, static_cast<int>(i),
                                  static_cast<int>(k), "", "", false, "", -1, -1});
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
  // output.layers "transforms": d/dx and d/dy of every magnetic and gravity input, beside the transforms the
  // recipes read, for a geophysicist to compare with other software.
  if (std::find(p.job.output.layers.begin(), p.job.output.layers.end(), "transforms") !=
      p.job.output.layers.end()) {
    for (const auto& l : p.input_layers) {
      if (l.kind != "magnetics" && l.kind != "gravity") continue;
      for (const char* f : {"derivative_x", "derivative_y"}) {
        const std::string name = l.name + "_" + f;
        if (std::any_of(p.derived_layers.begin(), p.derived_layers.end(),
                        [&](const LayerDef& d) { return d.name == name; }))
          continue;
        LayerDef d;
        d.name = name;
        d.long_name = std::string(f) + " of " + l.long_name;
        d.units = transform_units(f, l.units);
        d.kind = "derived";
        d.num = l.name;
        d.filter = f;
        p.derived_layers.push_back(d);
      }
    }
  }
  if (p.job.anomaly.rx) {
    for (const auto& l : p.input_layers) {
      const bool geophysics =
          l.kind == "magnetics" || l.kind == "gravity" || l.kind == "radiometric" || l.kind == "em";
      const bool listed = p.job.anomaly.rx_layers.empty()
                              ? geophysics
                              : std::find(p.job.anomaly.rx_layers.begin(), p.job.anomaly.rx_layers.end(),
                                          l.source_id) != p.job.anomaly.rx_layers.end();
      if (listed) p.rx_bands.push_back(l.name);
    }
  }
  check_layer_names(p);
  check_wofe_layers(p);

  p.grid = resolve_grid(p.job);
  for (auto& l : p.input_layers) // distances are in the grid's units
    if (l.measure == "distance" || l.measure == "contact")
      l.units = p.grid.units;
    else if (l.measure == "density")
      l.units = p.job.inputs[static_cast<size_t>(l.input)].kind == "structures" ? p.grid.units + "-1"
                                                                                : p.grid.units + "-2";
  p.tiles = TileGrid(p.grid, p.job.tiling.tile_size);
  p.halo = p.job.anomaly.local_radius;
  p.out = p.job.output.folder;
  p.work = WorkFolder(p.out + "/work", p.tiles);
  return p;
}

std::string transform_units(const std::string& filter, const std::string& units) {
  if (filter == "tilt_derivative") return "rad";
  if (filter == "pseudo_gravity") return "mGal";
  if (filter == "rtp" || filter == "upward_continuation") return units;
  return (units.empty() || units == "1" ? std::string("1") : units) + "/m";
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
  // Work layers: ingest and derived layers, the anomaly grids, per commodity its score (and with
  // output.layers "contributions" one grid per evidence), the RX grid and the target labels.
  const bool contributions = std::find(p.job.output.layers.begin(), p.job.output.layers.end(),
                                       "contributions") != p.job.output.layers.end();
  const double grids = static_cast<double>(layers + p.anomaly_layers().size() + p.recipes.size() +
                                           (contributions ? evidence : 0) + 2);
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
  e.work_mib = layer_mib * grids;
  // The grids output.layers selects (learned posteriors: one per commodity with training deposits).
  const auto wants = [&](const char* g) {
    return std::find(p.job.output.layers.begin(), p.job.output.layers.end(), g) != p.job.output.layers.end();
  };
  std::set<std::string> read;
  for (const auto& rec : p.evidence)
    for (const auto& b : rec)
      if (!b.layer.empty()) read.insert(b.layer + "_" + b.base);
  double out_grids = wants("prospectivity") ? static_cast<double>(p.recipes.size()) : 0.0;
  if (wants("anomalies"))
    out_grids += static_cast<double>(2 * layers + p.gi_layers.size());
  else if (wants("evidence"))
    out_grids += static_cast<double>(read.size());
  if (wants("multivariate"))
    out_grids += (p.job.anomaly.rx ? 1.0 : 0.0) + static_cast<double>(p.job.anomaly.pca_components);
  if (wants("learned") && !p.job.training.path.empty()) out_grids += static_cast<double>(p.recipes.size());
  if (wants("contributions")) out_grids += static_cast<double>(evidence);
  e.output_mib = layer_mib * out_grids;
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
  char buf[1024];
  std::snprintf(
      buf, sizeof buf,
      "estimate: peak memory about %.0f MiB (tile with halo %.1f MiB x ~8 buffers: layers, z-scores, "
      "memberships, + %.0f MiB per output row block; whole-grid fft/learn stages %.0f MiB); work folder "
      "about %.0f MiB; %s at most %.0f MiB before compression\n",
      e.peak_mib, e.tile_mib, e.row_block_mib, e.whole_grid_mib, e.work_mib, p.job.output.name.c_str(),
      e.output_mib);
  os << buf;
  os << "output: " << p.out << "\n";
  return os.str();
}

} // namespace prospector
