#include "pipeline/stages/publish.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/engine/engine.hpp"
#include "pipeline/io/gpkg_writer.hpp"
#include "pipeline/io/h5_writer.hpp"
#include "pipeline/stages/layer_outputs.hpp"
#include "pipeline/stages/learn_models.hpp"
#include "pipeline/stages/learn_wofe.hpp"
#include "pipeline/stages/multivariate.hpp"
#include "pipeline/stages/report.hpp"
#include "pipeline/stages/tile_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <set>

namespace prospector::stages {

using nlohmann::json;

namespace {

// Validation curves and weights tables of the learn stage as netCDF-readable 1-D variables.
// The weights tables of models.wofe_evidence as one CF table per commodity: a row per class of each layer.
void write_wofe_tables(H5Writer& w, const std::string& c, const json& wj) {
  const std::string d = "wofe_tables_" + c;
  std::vector<TableColumn> cols = {
      {d + "_layer", "layer index (see layers)", "", {}},
      {d + "_class", "class code of the layer", "", {}},
      {d + "_area", "area of the class in unit cells", "", {}},
      {d + "_points", "training points in the class", "", {}},
      {d + "_pattern_area",
       "area of the row's pattern (cumulative tables: accumulated) in unit cells",
       "",
       {}},
      {d + "_pattern_points", "training points in the row's pattern", "", {}},
      {d + "_w_plus", "W+ of the row's pattern", "", {}},
      {d + "_s_w_plus", "standard deviation of W+", "", {}},
      {d + "_w_minus", "W- of the row's pattern", "", {}},
      {d + "_s_w_minus", "standard deviation of W-", "", {}},
      {d + "_contrast", "contrast C = W+ - W-", "", {}},
      {d + "_s_contrast", "standard deviation of C", "", {}},
      {d + "_studentized", "studentized contrast C / s(C)", "", {}},
      {d + "_gen_class", "generalised class (2 pattern, 1 outside; categorical: class or 99 pooled)", "", {}},
      {d + "_weight", "generalised weight added to the posterior logit", "", {}},
      {d + "_w_std", "standard deviation of the generalised weight", "", {}}};
  const char* keys[] = {"class",      "area",        "points",    "pattern_area", "pattern_points",
                        "w_plus",     "s_w_plus",    "w_minus",   "s_w_minus",    "contrast",
                        "s_contrast", "studentized", "gen_class", "weight",       "w_std"};
  std::string layers, used;
  int li = 0;
  for (const auto& t : wj["tables"]) {
    layers += (layers.empty() ? "" : " ") + std::to_string(li) + ":" + t["layer"].get<std::string>();
    if (t.value("in_posterior", false)) used += (used.empty() ? "" : " ") + t["layer"].get<std::string>();
    for (const auto& r : t["rows"]) {
      cols[0].values.push_back(li);
      for (size_t k = 0; k < std::size(keys); ++k)
        cols[k + 1].values.push_back(r[keys[k]].get<double>());
    }
    ++li;
  }
  if (cols[0].values.empty()) return;
  std::map<std::string, std::string> attrs = {{"long_name", "weights-of-evidence tables for " + c},
                                              {"layers", layers},
                                              {"layers_in_posterior", used},
                                              {"traps", wj.value("traps", "")},
                                              {"points_counted_as", wj.value("points_counted_as", "")}};
  std::map<std::string, double> numbers = {{"unit_cells_per_cell", wj.value("unit_cells_per_cell", 1.0)}};
  for (const char* k : {"prior_probability", "prior_logit", "study_area"})
    if (wj.contains(k)) numbers[k] = wj[k].get<double>();
  if (wj.contains("ci_test"))
    for (auto ci = wj["ci_test"].begin(); ci != wj["ci_test"].end(); ++ci)
      numbers["ci_test_" + ci.key()] = ci->get<double>();
  w.write_table(d, cols, attrs, numbers);
}

void write_learned_tables(H5Writer& w, const json& learn) {
  if (!learn.contains("commodities")) return;
  for (auto it = learn["commodities"].begin(); it != learn["commodities"].end(); ++it) {
    const std::string c = it.key();
    const json& cj = *it;
    for (const char* curve : {"success_rate", "prediction_rate"}) {
      if (!cj.contains(curve)) continue;
      const json& cv = cj[curve];
      std::map<std::string, std::string> attrs = {
          {"long_name",
           std::string(curve) + " curve of the " + cj.value("validated_model", "") + " model for " + c}};
      const std::map<std::string, double> numbers = {{"auc", cv["auc"].get<double>()}};
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
                    attrs, numbers);
    }
    if (cj.contains("wofe") && cj["wofe"].contains("tables")) write_wofe_tables(w, c, cj["wofe"]);
    if (cj.contains("wofe") && cj["wofe"].contains("evidence")) {
      const json& wj = cj["wofe"];
      std::vector<TableColumn> cols = {
          {"wofe_" + c + "_evidence", "evidence index (see evidence_ids)", "", {}},
          {"wofe_" + c + "_class", "membership class (0 = lowest)", "", {}},
          {"wofe_" + c + "_cells", "N(B): cells in the class", "", {}},
          {"wofe_" + c + "_deposits", "N(B and D): deposit cells in the class", "", {}},
          {"wofe_" + c + "_w_plus", "W+ (generalised weight of the class)", "", {}},
          {"wofe_" + c + "_w_minus", "W-", "", {}},
          {"wofe_" + c + "_contrast", "contrast C = W+ - W-", "", {}},
          {"wofe_" + c + "_s_contrast", "standard deviation of C", "", {}},
          {"wofe_" + c + "_studentized", "studentized contrast C / s(C)", "", {}},
          {"wofe_" + c + "_flags",
           "bit mask: 1 no deposits, 2 all deposits, 4 only deposits, 8 all "
           "non-deposits, 16 empty class, 32 W+ set to 0, 64 W- set to 0, 128 continuity-corrected",
           "",
           {}}};
      std::string ids;
      int e = 0;
      for (const auto& ev : wj["evidence"]) {
        ids += (ids.empty() ? "" : " ") + std::to_string(e) + ":" + ev["id"].get<std::string>();
        int k = 0;
        for (const auto& cl : ev["classes"]) {
          const double vals[] = {static_cast<double>(e),          static_cast<double>(k++),
                                 cl["cells"].get<double>(),       cl["deposits"].get<double>(),
                                 cl["w_plus"].get<double>(),      cl["w_minus"].get<double>(),
                                 cl["contrast"].get<double>(),    cl["s_contrast"].get<double>(),
                                 cl["studentized"].get<double>(), cl["flags"].get<double>()};
          for (size_t i = 0; i < cols.size(); ++i)
            cols[i].values.push_back(vals[i]);
        }
        ++e;
      }
      std::map<std::string, double> numbers = {{"prior_logit", wj["prior_logit"].get<double>()},
                                               {"continuity", wj.value("continuity", 0.0)}};
      std::map<std::string, std::string> attrs = {
          {"long_name", "weights of evidence for " + c},
          {"evidence_ids", ids},
          {"zero_class", wj.value("zero_class", "")},
          {"flags", "bits of wofe_" + c +
                        "_flags: 1 no_deposits, 2 all_deposits, 4 only_deposits, 8 all_non_deposits, 16 "
                        "empty_class, 32 w_plus_zero, 64 w_minus_zero, 128 continuity_corrected"}};
      // Statistics (p-value, expected and observed counts) as numbers, the rest as text.
      for (auto ci = wj["ci_test"].begin(); ci != wj["ci_test"].end(); ++ci) {
        if (ci->is_number())
          numbers["ci_test_" + ci.key()] = ci->get<double>();
        else if (ci->is_boolean())
          attrs["ci_test_" + ci.key()] = ci->get<bool>() ? "true" : "false";
        else
          attrs["ci_test_" + ci.key()] = ci->is_string() ? ci->get<std::string>() : ci->dump();
      }
      w.write_table("wofe_" + c, cols, attrs, numbers);
    }
  }
}

// CF's institution, references (the deposit models and references of the recipes used) and comment.
void write_globals(H5Writer& w, const Plan& p) {
  w.set_global("institution", p.job.output.institution.empty()
                                  ? "not recorded (set output.institution in the job file)"
                                  : p.job.output.institution);
  std::string refs;
  for (const auto& r : p.recipes) {
    std::string entry = r.commodity + " (" + r.name + "): " + r.deposit_model;
    for (const auto& ref : r.references)
      entry += "\n  " + ref;
    // An HDF5 attribute holds about 60 kB; the recipes themselves keep the full list.
    if (refs.size() + entry.size() > 50000) {
      refs += "\n(further references in the recipe files)";
      break;
    }
    refs += (refs.empty() ? "" : "\n") + entry;
  }
  w.set_global("references", refs);
  std::string comment =
      "prospectivity_<c> are fuzzy-overlay scores in [0, 1] that rank the cells of this survey for a "
      "commodity; they are not probabilities. targets_<c> are the connected areas of the top-scoring cells "
      "(threshold per commodity in targets_<c>_polygon:score_threshold).";
  if (!p.job.output.comment.empty()) comment += " " + p.job.output.comment;
  w.set_global("comment", comment);
}

} // namespace

namespace {

bool wants(const Plan& p, const char* group) {
  const auto& l = p.job.output.layers;
  return std::find(l.begin(), l.end(), group) != l.end();
}

} // namespace

std::vector<std::pair<std::string, std::string>> published_grids(const Plan& p, const json& learn) {
  std::vector<std::pair<std::string, std::string>> grids; // name, long name
  if (wants(p, "prospectivity"))
    for (const auto& rc : p.recipes)
      grids.push_back({"prospectivity_" + rc.commodity, "prospectivity for " + rc.commodity + " (" + rc.name +
                                                            "), fuzzy weighted overlay in [0, 1]"});
  std::set<std::string> read; // anomaly grids some recipe reads
  for (const auto& rec : p.evidence)
    for (const auto& b : rec)
      if (!b.layer.empty()) read.insert("anomaly_" + b.layer + "_" + b.base);
  const bool all = wants(p, "anomalies"), evidence = wants(p, "evidence");
  const auto add = [&](const std::string& name, const std::string& long_name) {
    if (all || (evidence && read.count(name))) grids.push_back({name, long_name});
  };
  for (const auto& l : p.anomaly_sources()) {
    add("anomaly_" + l.name + "_robust_z", "robust z-score (median/MAD) of " + l.long_name);
    add("anomaly_" + l.name + "_local_z",
        "local z-score (moving window, radius " + std::to_string(p.halo) + " cells) of " + l.long_name);
    if (std::find(p.gi_layers.begin(), p.gi_layers.end(), l.name) != p.gi_layers.end())
      add("anomaly_" + l.name + "_gi_star", "Getis-Ord Gi* hot-spot z-score (window radius " +
                                                std::to_string(p.halo) + " cells) of " + l.long_name);
  }
  // Geology, structure and feature layers and categorical rasters: evidence a geologist reads as maps.
  if (evidence || all)
    for (const auto& l : p.input_layers)
      if (!l.measure.empty() || l.categorical()) grids.push_back({l.name, l.long_name});
  if (wants(p, "contributions"))
    for (size_t r = 0; r < p.recipes.size(); ++r)
      for (size_t e = 0; e < p.recipes[r].evidence.size(); ++e)
        if (!p.evidence[r][e].layer.empty())
          grids.push_back({"contrib_" + p.recipes[r].commodity + "_" + p.recipes[r].evidence[e].id,
                           "weighted membership (weight x membership) of evidence '" +
                               p.recipes[r].evidence[e].id + "' in the " + p.recipes[r].commodity +
                               " prospectivity"});
  if (wants(p, "transforms"))
    for (const auto& d : p.derived_layers)
      if (!d.filter.empty()) grids.push_back({d.name, d.long_name + " (" + d.units + ")"});
  if (wants(p, "multivariate")) detail::multivariate_grids(p, load_json(p.work.global("model.json")), grids);
  if (wants(p, "learned"))
    for (const auto& g : learn.value("grids", json::array()))
      grids.push_back({g["name"], g["long_name"]});
  return grids;
}

namespace {

// The input files and their SHA-256, hashed once per run: the unit key and the provenance both need them.
const std::vector<InputRecord>& input_records(StageContext& ctx) {
  return ctx.state<std::vector<InputRecord>>("publish.inputs", [&] {
    auto inputs = std::make_unique<std::vector<InputRecord>>();
    std::vector<std::string> files;
    for (const auto& in : ctx.plan.job.inputs)
      for (const auto& s :
           in.kind == "geochem_points" ? std::vector<std::string>{in.path} : input_sources(in)) {
        inputs->push_back({in.id, s, ""});
        files.push_back(s);
      }
    const std::vector<std::string> sha = file_digests(ctx).sha256_all(files);
    for (std::size_t i = 0; i < files.size(); ++i)
      (*inputs)[i].sha256 = sha[i];
    return inputs;
  });
}

} // namespace

const StageInfo& PublishStage::info() const {
  static const StageInfo i{"pipeline.publish",
                           "Write prospectivity.nc (netCDF-4/CF-1.8), its GDAL sidecar and targets.gpkg",
                           "Grids are streamed tile row by tile row into a temporary HDF5 file that is "
                           "renamed to prospectivity.nc (output.name) "
                           "only when complete, with targets (CF-1.8 simple geometries) and provenance; "
                           "targets.gpkg holds the same "
                           "targets.",
                           false};
  return i;
}

std::vector<Upstream> PublishStage::upstream(const Plan&, std::int64_t) const {
  return {{"model", kGlobalUnit},
          {"targets", kGlobalUnit},
          {"learn", kGlobalUnit},
          {"anomaly", kEveryTile},
          {"score", kEveryTile}};
}

// One CSV per weights table (ArcSDM's columns), for spreadsheets and GIS joins on the class code.
static void write_wofe_csvs(const std::string& dir, const json& learn) {
  if (!learn.contains("commodities")) return;
  for (auto it = learn["commodities"].begin(); it != learn["commodities"].end(); ++it) {
    if (!it->contains("wofe") || !(*it)["wofe"].contains("tables")) continue;
    for (const auto& t : (*it)["wofe"]["tables"])
      write_text_atomic(dir + "/wofe_" + it.key() + "_" + t["layer"].get<std::string>() + ".csv",
                        detail::wofe_table_csv(t));
  }
}

std::vector<std::string> PublishStage::outputs(const Plan& p, std::int64_t) const {
  return {p.out + "/" + p.job.output.name, p.out + "/targets.gpkg", p.out + "/report.html"};
}

PublishParams PublishStage::params(StageContext& ctx, std::int64_t) const {
  const Plan& p = ctx.plan;
  PublishParams out;
  out.job_text = Hash64().add(p.job.text).hex();
  out.job = to_json(p.job);
  for (const auto& rc : p.recipes)
    out.grids.push_back("prospectivity_" + rc.commodity);
  for (const auto& r : input_records(ctx))
    out.inputs.push_back(r.id + " " + r.path + " " + r.sha256);
  return out;
}

std::string PublishStage::compute(StageContext& ctx, std::int64_t, const PublishParams& params) const {
  const Plan& p = ctx.plan;
  std::vector<std::string>& log = ctx.log;
  std::vector<CommodityTargets> targets;
  for (const auto& j : load_json(p.work.global("targets.json")))
    targets.push_back(targets_from_json(j));
  const json learn = file_exists(detail::learn_path(p)) ? load_json(detail::learn_path(p)) : json::object();
  const std::vector<std::pair<std::string, std::string>> grids = published_grids(p, learn);
  namespace fs = std::filesystem;
  const std::string h5 = p.out + "/" + p.job.output.name;
  // Every deliverable is written complete into a staging folder first, and only then renamed into the output
  // folder (the gridded output last): a failure at any point (a full disk, a signal, a bad grid) leaves no
  // deliverable that looks done, and no mix of new and old ones.
  const std::string staging = p.out + "/" + kPartialPrefix + std::to_string(getpid());
  const std::string tmp = staging + "/" + p.job.output.name;
  const std::vector<InputRecord>& inputs = input_records(ctx);
  file_digests(ctx).save();
  (void)params;
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& f : deliverables_in(p.job.output, p.out)) // stale once publish runs again
    fs::remove(f, ec);
  std::vector<fs::path> committed;
  try {
    fs::remove_all(staging, ec);
    fs::create_directories(staging, ec);
    if (ec) throw_runtime("cannot create " + staging + ": " + ec.message() + " (check free disk space)");
    write_targets_gpkg(staging + "/targets.gpkg", p.grid, targets);
    {
      GridCompression compression;
      if (p.job.output.compression == "deflate")
        compression.deflate_level = static_cast<int>(p.job.output.deflate_level);
      H5Writer w(tmp, p.grid, "prospector: " + p.job.name, compression);
      write_globals(w, p);
      for (const auto& [name, long_name] : grids) {
        // The one long unit: a signal stops it between grids, and nothing is published.
        if (const int sig = InterruptGuard::received())
          throw_runtime(std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                        " while writing " + h5 + " (before grid " + name +
                        "): nothing was published; rerun the same command to resume");
        const GridVariable v = detail::layer_variable(p, name, long_name);
        w.write_grid_streamed(v, [&, name = name](std::int64_t row0, std::int64_t rows, float* buf) {
          const Window band{row0, 0, rows, p.grid.nx};
          for (std::int64_t t : p.tiles.tiles_in(band)) {
            const Window tw = p.tiles.window(t);
            const std::int64_t r0 = std::max(row0, tw.row0), r1 = std::min(row0 + rows, tw.row0 + tw.rows);
            read_tile_block(p.work.layer_tile(name, t), tw.cols, r0 - tw.row0, r1 - r0, 0, tw.cols,
                            buf + (r0 - row0) * p.grid.nx + tw.col0, p.grid.nx);
          }
        });
        names.push_back(name);
      }
      for (const auto& t : targets)
        w.write_targets(t);
      write_learned_tables(w, learn);
      std::time_t now = std::time(nullptr);
      char ts[32];
      std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
      w.write_provenance({p.job.path, p.job.text, PROSPECTOR_VERSION, ts, inputs});
      w.close();
    }
    write_pam_sidecar(tmp, p.grid, names);
    write_wofe_csvs(staging, learn);
    write_report(p, targets, learn, inputs, staging + "/report.html");
    if (const int sig = InterruptGuard::received())
      throw_runtime(std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                    " while publishing to " + p.out +
                    ": nothing was published; rerun the same command to resume");
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(staging))
      if (e.path().filename() != p.job.output.name) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    files.push_back(tmp);
    for (const auto& f : files) {
      const fs::path to = fs::path(p.out) / f.filename();
      fs::rename(f, to, ec);
      if (ec) throw_runtime("cannot rename " + f.string() + " to " + to.string() + ": " + ec.message());
      committed.push_back(to);
      if (f.extension() == ".csv") log.push_back("wrote " + to.string());
    }
    fs::remove_all(staging, ec);
  } catch (...) {
    fs::remove_all(staging, ec);
    for (const auto& f : committed)
      fs::remove(f, ec);
    throw;
  }
  log.push_back("wrote " + h5 + ", " + p.out + "/targets.gpkg and " + p.out + "/report.html");
  for (const auto& rc : p.recipes) {
    const json none = json::object();
    const json& cj = learn.contains("commodities") && learn["commodities"].contains(rc.commodity)
                         ? learn["commodities"][rc.commodity]
                         : none;
    const std::string why = missing_curves(learn, cj);
    if (!why.empty()) log.push_back("report, " + rc.commodity + ": " + why);
  }
  // The output file carries a creation time, so its content hash is that of the inputs that made it.
  Hash64 h;
  h.add(read_file(p.work.global("targets.json")));
  for (const auto& n : names)
    h.add(n);
  return h.hex();
}

} // namespace prospector::stages
