#include "pipeline/stages/learn_models.hpp"
#include "pipeline/stages/learn_wofe.hpp"

#include "kernels/model/logistic.hpp"
#include "kernels/validation/blocked_folds.hpp"
#include "kernels/validation/rate_curve.hpp"
#include "kernels/wofe/weights.hpp"
#include "pipeline/base/errors.hpp"
#include "pipeline/io/training.hpp"
#include "pipeline/io/vector_ingest.hpp"
#include "pipeline/stages/score.hpp"
#include "pipeline/stages/tile_store.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <set>

namespace prospector::detail {

using nlohmann::json;

std::string learn_path(const Plan& p) { return p.work.global("learn.json"); }

// Whole-grid assembly of a layer from its tiles (data-driven fitting needs every cell at once).
void assemble(const Plan& p, const std::function<void(std::int64_t, std::vector<float>&)>& tile_of,
              std::vector<float>& out) {
  out.assign(static_cast<size_t>(p.grid.size()), NAN);
  std::vector<float> tile;
  for (std::int64_t t = 0; t < p.tiles.count(); ++t) {
    const Window w = p.tiles.window(t);
    tile_of(t, tile);
    for (std::int64_t r = 0; r < w.rows; ++r)
      std::copy(tile.begin() + r * w.cols, tile.begin() + (r + 1) * w.cols,
                out.begin() + (w.row0 + r) * p.grid.nx + w.col0);
  }
}

void read_whole(const Plan& p, const std::string& layer, std::vector<float>& out) {
  assemble(
      p,
      [&](std::int64_t t, std::vector<float>& v) {
        read_tile(p.work.layer_tile(layer, t), p.tiles.window(t), v);
      },
      out);
}

void write_whole(const Plan& p, const std::string& layer, const std::vector<float>& v) {
  std::vector<float> tile;
  for (std::int64_t t = 0; t < p.tiles.count(); ++t) {
    const Window w = p.tiles.window(t);
    tile.resize(static_cast<size_t>(w.size()));
    for (std::int64_t r = 0; r < w.rows; ++r)
      std::copy(v.begin() + (w.row0 + r) * p.grid.nx + w.col0,
                v.begin() + (w.row0 + r) * p.grid.nx + w.col0 + w.cols, tile.begin() + r * w.cols);
    write_tile(p.work.layer_tile(layer, t), tile);
  }
}

namespace {

json curve_json(const kernels::RateCurve& c) {
  return {{"area_fraction", c.area_fraction},
          {"deposit_fraction", c.deposit_fraction},
          {"auc", c.auc},
          {"deposits", c.deposits},
          {"deposits_ignored", c.deposits_ignored}};
}

// Area share above each held-out deposit's score (ties count half), pooled into a prediction-rate curve.
json pooled_curve(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  std::vector<double> area = {0.0}, dep = {0.0};
  double auc = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    area.push_back(x[i]);
    dep.push_back(static_cast<double>(i + 1) / static_cast<double>(x.size()));
    auc += 1.0 - x[i];
  }
  area.push_back(1.0);
  dep.push_back(1.0);
  auc = x.empty() ? 0.0 : auc / static_cast<double>(x.size());
  return {{"area_fraction", area}, {"deposit_fraction", dep}, {"auc", auc}, {"deposits", x.size()}};
}

double area_above(const std::vector<float>& sorted_valid, float s) {
  const auto lo = std::lower_bound(sorted_valid.begin(), sorted_valid.end(), s);
  const auto hi = std::upper_bound(sorted_valid.begin(), sorted_valid.end(), s);
  const double above = static_cast<double>(sorted_valid.end() - hi);
  const double ties = static_cast<double>(hi - lo);
  return (above + 0.5 * ties) / static_cast<double>(sorted_valid.size());
}

struct Wofe {
  std::vector<kernels::WofeWeights> weights;
  std::vector<float> posterior, variance;
  kernels::WofePosteriorSummary summary;
  std::string error;
};

kernels::WofeParams wofe_params(const ModelOptions& mo) {
  kernels::WofeParams wp;
  wp.zero_class = mo.wofe_zero_class == "continuity" ? kernels::WofeZeroClass::Continuity
                                                     : kernels::WofeZeroClass::ArcSdm;
  wp.continuity = mo.wofe_continuity;
  return wp;
}

// Names of the set bits of kernels::WofeFlags, as written to learn.json and shown in the report.
std::vector<std::string> wofe_flag_names(std::uint32_t flags) {
  static const std::pair<std::uint32_t, const char*> names[] = {
      {kernels::kWofeNoDeposits, "no_deposits"},     {kernels::kWofeAllDeposits, "all_deposits"},
      {kernels::kWofeOnlyDeposits, "only_deposits"}, {kernels::kWofeAllNonDeposits, "all_non_deposits"},
      {kernels::kWofeEmptyClass, "empty_class"},     {kernels::kWofeZeroWPlus, "w_plus_zero"},
      {kernels::kWofeZeroWMinus, "w_minus_zero"},    {kernels::kWofeCorrected, "continuity_corrected"}};
  std::vector<std::string> out;
  for (const auto& [bit, name] : names)
    if (flags & bit) out.push_back(name);
  return out;
}

Wofe fit_wofe(const std::vector<std::vector<std::int32_t>>& classes, std::int32_t k,
              const std::vector<std::uint8_t>& mask, const std::vector<std::uint8_t>& study, std::int64_t n,
              const kernels::WofeParams& wp) {
  Wofe w;
  w.weights.resize(classes.size());
  std::vector<kernels::WofeLayer> layers;
  for (size_t e = 0; e < classes.size(); ++e) {
    kernels::Status st =
        kernels::wofe_weights(classes[e].data(), n, k, mask.data(), study.data(), wp, w.weights[e]);
    if (!st.ok) {
      w.error = st.message;
      return w;
    }
    layers.push_back({classes[e].data(), &w.weights[e]});
  }
  w.posterior.assign(static_cast<size_t>(n), NAN);
  w.variance.assign(static_cast<size_t>(n), NAN);
  kernels::Status st =
      kernels::wofe_posterior(layers.data(), static_cast<std::int64_t>(layers.size()), n, mask.data(),
                              study.data(), w.posterior.data(), w.variance.data(), w.summary);
  if (!st.ok) w.error = st.message;
  return w;
}

} // namespace

std::vector<std::string> learned_layers(const Plan& p) {
  std::vector<std::string> out;
  if (!file_exists(learn_path(p))) return out;
  const json j = json::parse(read_file(learn_path(p)));
  for (const auto& g : j.value("grids", json::array()))
    out.push_back(g["name"]);
  return out;
}

std::string run_learn(const Plan& p, std::vector<std::string>& log) {
  json out = {{"commodities", json::object()}, {"grids", json::array()}};
  if (p.job.training.path.empty()) {
    out["note"] = "no training deposits in the job (training.path): data-driven models skipped";
    log.push_back("no training deposits in the job (training.path): no data-driven models, no success- or "
                  "prediction-rate curves");
    const std::string text = out.dump(1);
    write_text_atomic(learn_path(p), text);
    return Hash64().add(text).hex();
  }
  const ModelOptions& mo = p.job.models;
  DepositSet train = read_deposits(p.job.training, p.job.training.path, p.grid);
  DepositSet test;
  if (!p.job.training.test_path.empty())
    test = read_deposits(p.job.training, p.job.training.test_path, p.grid);
  log.push_back("training deposits: " + std::to_string(train.points.size()) + " on the grid of " +
                std::to_string(train.features) + " read; " + std::to_string(train.bad_geometry) +
                " bad geometry, " + std::to_string(train.outside) + " outside the grid, " +
                std::to_string(train.unknown_commodity) + " unknown commodity");
  {
    std::string per;
    for (const auto& c : known_commodities())
      if (train.per_commodity.count(c))
        per += (per.empty() ? "" : ", ") + c + " " + std::to_string(train.per_commodity.at(c));
    log.push_back("training deposits on the grid per commodity (a row naming several counts for each): " +
                  (per.empty() ? std::string("none") : per));
  }
  for (const auto& r : train.rejected)
    log.push_back("  left out: " + r);
  if (train.points.empty()) {
    // Nothing to train on: the rejected lines above say why (off the grid, polygons, unknown commodity).
    const std::string why = p.job.training.path + ": key 'training.path': none of the " +
                            std::to_string(train.features) + " deposit(s) read is usable (" +
                            std::to_string(train.bad_geometry) + " not points, " +
                            std::to_string(train.outside) + " outside the grid, " +
                            std::to_string(train.unknown_commodity) + " naming no commodity of the job)";
    if (mo.wofe || mo.logistic || !mo.wofe_evidence.empty())
      throw_input(why + "; the job asks for data-driven models (models.wofe, models.logistic): check the "
                        "deposits' CRS (training.crs) and geometry, or set both models to false");
    log.push_back("warning: " + why + "; no success- or prediction-rate curves");
  }
  if (!p.job.training.test_path.empty() && test.points.empty())
    log.push_back("warning: " + p.job.training.test_path + ": key 'training.test_path': none of the " +
                  std::to_string(test.features) +
                  " test deposit(s) lies on the grid with a known commodity: no prediction-rate curves");
  out["training"] = {{"path", p.job.training.path},
                     {"read", train.features},
                     {"on_grid", train.points.size()},
                     {"per_commodity", train.per_commodity},
                     {"rejected", train.rejected}};
  const std::int64_t n = p.grid.size();
  const std::int32_t k = mo.classes;
  std::vector<float> score, m, contrib;
  const bool layers_mode = !mo.wofe_evidence.empty(); // both models take models.wofe_evidence's layers
  const bool tables_mode = mo.wofe && layers_mode;
  std::vector<WofeEvidence> table_ev;
  if (layers_mode) table_ev = classify_wofe_evidence(p, log);
  std::vector<std::uint8_t> polygons;
  if (!mo.study_area.empty()) {
    polygons = polygon_mask(mo.study_area, mo.study_area_layer, p.grid, "models.study_area");
    log.push_back(
        "study area: " + std::to_string(std::count(polygons.begin(), polygons.end(), std::uint8_t{1})) +
        " of " + std::to_string(n) + " cells inside the polygons of " + mo.study_area);
  }
  for (size_t ri = 0; ri < p.recipes.size(); ++ri) {
    const Recipe& rc = p.recipes[ri];
    const std::string& c = rc.commodity;
    json cj = json::object();
    std::vector<std::int64_t> cells;
    std::vector<std::string> rejected;
    read_whole(p, "prospectivity_" + c, score);
    // The study area: cells with evidence (prospectivity not nodata), inside models.study_area when given.
    // Weights, the prior, the unit area and the deposit counts come from it; the posteriors are nodata
    // elsewhere.
    std::vector<std::uint8_t> study(static_cast<size_t>(n));
    std::int64_t study_cells = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const auto u = static_cast<size_t>(i);
      study[u] = !std::isnan(score[u]) && (polygons.empty() || polygons[u]) ? 1 : 0;
      study_cells += study[u];
    }
    cj["study_area_cells"] = study_cells;
    std::set<std::int64_t> seen;
    // Weights tables count points (ArcSDM, several in one cell each) or deposit cells (EIS Toolkit).
    std::vector<std::int64_t> point_cells;
    for (const auto& d : train.points) {
      if (!d.names(c)) continue;
      const std::int64_t cell = d.row * p.grid.nx + d.col;
      if (std::isnan(score[static_cast<size_t>(cell)])) {
        rejected.push_back(d.where + ": on a nodata cell of prospectivity_" + c);
        continue;
      }
      if (!study[static_cast<size_t>(cell)]) {
        rejected.push_back(d.where + ": outside the study area (models.study_area)");
        continue;
      }
      if (mo.wofe_points == "points" || !seen.count(cell)) point_cells.push_back(cell);
      if (!seen.insert(cell).second) {
        rejected.push_back(d.where + ": shares its cell with another deposit (counted once)");
        continue;
      }
      cells.push_back(cell);
    }
    for (const auto& r : rejected)
      log.push_back("  " + c + " left out: " + r);
    cj["training_cells"] = cells.size();
    cj["rejected"] = rejected;
    if (cells.empty()) {
      cj["note"] = "no training deposits on valid cells: data-driven models skipped";
      log.push_back(c + ": no training deposits on valid cells; data-driven models skipped");
      out["commodities"][c] = cj;
      continue;
    }
    // Evidence memberships (weighted contribution / weight) as the predictors.
    std::vector<std::string> ids;
    std::vector<std::vector<float>> members;
    std::vector<std::vector<std::int32_t>> classes;
    for (size_t e = 0; e < rc.evidence.size(); ++e) {
      if (p.evidence[ri][e].layer.empty()) continue;
      assemble(
          p, [&](std::int64_t t, std::vector<float>& v) { stages::evidence_contribution(p, ri, e, t, v); },
          contrib);
      m.resize(contrib.size());
      std::vector<std::int32_t> cl(contrib.size());
      const float w = static_cast<float>(rc.evidence[e].weight);
      for (size_t i = 0; i < contrib.size(); ++i) {
        m[i] = contrib[i] / w;
        cl[i] = std::isnan(m[i])
                    ? -1
                    : std::min<std::int32_t>(k - 1, static_cast<std::int32_t>(m[i] * static_cast<float>(k)));
      }
      ids.push_back(rc.evidence[e].id);
      members.push_back(m);
      classes.push_back(std::move(cl));
    }
    std::vector<std::uint8_t> mask(static_cast<size_t>(n), 0);
    for (auto cell : cells)
      mask[static_cast<size_t>(cell)] = 1;
    const std::vector<float>* model_score = nullptr;
    std::string model_name;
    Wofe wofe;
    const kernels::WofeParams wp = wofe_params(mo);
    if (tables_mode) {
      WofeTablesFit fit = fit_wofe_tables(p, c, table_ev, study, point_cells, true);
      cj["wofe"] = wofe_tables_json(p, table_ev, fit, point_cells);
      for (size_t i = 0; i < fit.layers.size(); ++i) {
        const std::string& layer = table_ev[fit.layers[i]].spec->layer;
        if (!fit.table_errors[i].empty())
          log.push_back(c + ": weights table of " + layer + " not built: " + fit.table_errors[i]);
        else if (!fit.tables[i].valid)
          log.push_back(c + ": weights table of " + layer + ": no row reached the studentized contrast " +
                        std::to_string(table_ev[fit.layers[i]].spec->confidence) +
                        "; the layer is left out of the posterior");
      }
      if (!fit.error.empty()) {
        log.push_back(c + ": weights of evidence not computed: " + fit.error);
      } else {
        wofe.posterior = std::move(fit.posterior);
        write_whole(p, "posterior_wofe_" + c, wofe.posterior);
        write_whole(p, "posterior_wofe_" + c + "_std", fit.total_std);
        write_whole(p, "posterior_wofe_" + c + "_confidence", fit.confidence);
        out["grids"].push_back({{"name", "posterior_wofe_" + c},
                                {"long_name", "weights-of-evidence posterior probability of a " + c +
                                                  " deposit per unit cell"}});
        out["grids"].push_back({{"name", "posterior_wofe_" + c + "_std"},
                                {"long_name", "total standard deviation of the weights-of-evidence "
                                              "posterior for " +
                                                  c + " (weights, prior and missing data)"}});
        out["grids"].push_back({{"name", "posterior_wofe_" + c + "_confidence"},
                                {"long_name", "confidence of the weights-of-evidence posterior for " + c +
                                                  " (posterior / total standard deviation)"}});
        model_score = &wofe.posterior;
        model_name = "wofe";
        log.push_back(
            c + ": weights of evidence from " + std::to_string(fit.in_response.size()) + " of " +
            std::to_string(fit.layers.size()) + " layer(s), " + std::to_string(fit.summary.points) +
            " training point(s); conditional independence n/T = " + std::to_string(fit.summary.ci_ratio) +
            ", p = " + std::to_string(fit.summary.ci_p_value));
      }
    } else if (mo.wofe) {
      wofe = fit_wofe(classes, k, mask, study, n, wp);
      if (!wofe.error.empty()) {
        cj["wofe"] = {{"error", wofe.error}};
        log.push_back(c + ": weights of evidence not computed: " + wofe.error);
      } else {
        json ev = json::array();
        std::int64_t no_deposit_classes = 0, zeroed = 0, corrected = 0;
        for (size_t e = 0; e < ids.size(); ++e) {
          json cls = json::array();
          for (const auto& cw : wofe.weights[e].classes) {
            cls.push_back({{"cells", cw.cells},
                           {"deposits", cw.deposits},
                           {"w_plus", cw.w_plus},
                           {"s_w_plus", cw.s_w_plus},
                           {"w_minus", cw.w_minus},
                           {"s_w_minus", cw.s_w_minus},
                           {"contrast", cw.contrast},
                           {"s_contrast", cw.s_contrast},
                           {"studentized", cw.studentized},
                           {"flags", cw.flags},
                           {"flag_names", wofe_flag_names(cw.flags)}});
            if ((cw.flags & kernels::kWofeNoDeposits) && !(cw.flags & kernels::kWofeEmptyClass))
              ++no_deposit_classes;
            if (cw.flags & (kernels::kWofeZeroWPlus | kernels::kWofeZeroWMinus)) ++zeroed;
            if (cw.flags & kernels::kWofeCorrected) ++corrected;
          }
          ev.push_back({{"id", ids[e]}, {"classes", cls}});
        }
        std::vector<kernels::WofeLayer> layers;
        for (size_t e = 0; e < ids.size(); ++e)
          layers.push_back({classes[e].data(), &wofe.weights[e]});
        kernels::WofeCiScratch cis;
        kernels::WofeCiTest ci;
        json cij = json::object();
        if (kernels::wofe_ci_test(layers.data(), static_cast<std::int64_t>(layers.size()), n, mask.data(),
                                  study.data(), cis, ci)
                .ok)
          cij = {{"observed", ci.deposits},
                 {"expected", ci.expected},
                 {"s_expected", ci.s_expected},
                 {"z", ci.z},
                 {"p_value", ci.p_value},
                 {"ratio", ci.ratio},
                 {"unique_conditions", ci.unique_conditions}};
        cj["wofe"] = {{"prior_logit", wofe.summary.prior_logit},
                      {"deposits", wofe.summary.deposits},
                      {"cells", wofe.summary.cells},
                      {"classes", k},
                      {"zero_class", mo.wofe_zero_class},
                      {"continuity", mo.wofe_continuity},
                      {"classes_without_deposits", no_deposit_classes},
                      {"classes_zeroed", zeroed},
                      {"classes_corrected", corrected},
                      {"evidence", ev},
                      {"ci_test", cij}};
        std::vector<float> sd(wofe.variance.size());
        for (size_t i = 0; i < sd.size(); ++i)
          sd[i] = std::sqrt(wofe.variance[i]);
        write_whole(p, "posterior_wofe_" + c, wofe.posterior);
        write_whole(p, "posterior_wofe_" + c + "_std", sd);
        out["grids"].push_back(
            {{"name", "posterior_wofe_" + c},
             {"long_name", "weights-of-evidence posterior probability of a " + c + " deposit per cell"}});
        out["grids"].push_back(
            {{"name", "posterior_wofe_" + c + "_std"},
             {"long_name", "standard deviation of the weights-of-evidence posterior for " + c}});
        model_score = &wofe.posterior;
        model_name = "wofe";
        if (!cij.empty())
          log.push_back(c + ": weights of evidence from " + std::to_string(cells.size()) +
                        " deposit(s); conditional independence n/T = " + std::to_string(ci.ratio) +
                        ", p = " + std::to_string(ci.p_value));
        if (zeroed > 0 || corrected > 0) {
          std::string msg = c + ": weights of evidence: " + std::to_string(no_deposit_classes) +
                            " class(es) without training deposits";
          if (mo.wofe_zero_class == "arcsdm")
            msg += "; " + std::to_string(zeroed) +
                   " class(es) flagged with a weight set to 0 (models.wofe_zero_class = arcsdm)";
          if (corrected > 0)
            msg += "; " + std::to_string(corrected) + " class(es) flagged continuity-corrected (" +
                   std::to_string(mo.wofe_continuity) + ", models.wofe_continuity)";
          log.push_back(msg);
        }
      }
    }
    std::vector<float> logistic(static_cast<size_t>(n), NAN);
    if (mo.logistic) {
      // Deposits against a deterministic, evenly spaced sample of the other valid cells.
      const std::int64_t step = std::max<std::int64_t>(1, study_cells / 20000);
      std::vector<std::int64_t> sample(cells.begin(), cells.end());
      std::vector<std::uint8_t> labels(cells.size(), 1);
      std::int64_t seen_valid = 0;
      for (std::int64_t i = 0; i < n; ++i)
        if (study[static_cast<size_t>(i)] && !mask[static_cast<size_t>(i)] && (seen_valid++ % step) == 0) {
          sample.push_back(i);
          labels.push_back(0);
        }
      // With models.wofe_evidence the regression takes the same layers (categorical ones one-hot).
      std::vector<std::string> feature_ids = ids;
      std::vector<std::vector<float>> table_features;
      if (layers_mode) {
        feature_ids.clear();
        logistic_features(table_ev, c, feature_ids, table_features);
      }
      const std::vector<std::vector<float>>& features = layers_mode ? table_features : members;
      std::vector<kernels::ConstGridView> views;
      for (const auto& mm : features)
        views.push_back({mm.data(), p.grid.nx, p.grid.ny});
      std::vector<double> x(sample.size() * views.size());
      kernels::LogisticParams lp;
      lp.lambda = mo.lambda;
      kernels::LogisticModel model;
      kernels::Status st =
          kernels::logistic_gather(views.data(), static_cast<std::int64_t>(views.size()), sample.data(),
                                   static_cast<std::int64_t>(sample.size()), x.data());
      if (st.ok)
        st = kernels::logistic_fit(x.data(), static_cast<std::int64_t>(views.size()),
                                   static_cast<std::int64_t>(sample.size()), labels.data(), lp, model);
      if (st.ok)
        st = kernels::logistic_predict(views.data(), static_cast<std::int64_t>(views.size()), model,
                                       {logistic.data(), p.grid.nx, p.grid.ny});
      if (st.ok)
        for (std::int64_t i = 0; i < n; ++i)
          if (!study[static_cast<size_t>(i)])
            logistic[static_cast<size_t>(i)] = NAN; // outside the study area
      if (!st.ok) {
        cj["logistic"] = {{"error", st.message}};
        log.push_back(c + ": logistic regression not fitted: " + st.message);
      } else {
        cj["logistic"] = {{"features", feature_ids},
                          {"coefficients", model.coefficients},
                          {"standardised", model.coef_std},
                          {"samples", model.samples},
                          {"converged", model.converged},
                          {"iterations", model.iterations},
                          {"lambda", mo.lambda}};
        write_whole(p, "probability_logistic_" + c, logistic);
        out["grids"].push_back({{"name", "probability_logistic_" + c},
                                {"long_name", "logistic-regression probability of a " + c +
                                                  " deposit (relative, "
                                                  "from deposits against a background sample)"}});
        if (!model_score) {
          model_score = &logistic;
          model_name = "logistic";
        }
      }
    }
    if (!model_score) {
      cj["note"] = "no data-driven model could be fitted (see the lines above)";
      log.push_back(c + ": no data-driven model fitted: no success- or prediction-rate curves");
      out["commodities"][c] = cj;
      continue;
    }
    // Validation on the primary data-driven map.
    cj["validated_model"] = model_name;
    kernels::RateCurveScratch rs;
    kernels::RateCurve success;
    if (kernels::rate_curve(model_score->data(), n, cells.data(), static_cast<std::int64_t>(cells.size()), rs,
                            success)
            .ok)
      cj["success_rate"] = curve_json(success);
    std::vector<float> sorted;
    for (float v : *model_score)
      if (!std::isnan(v)) sorted.push_back(v);
    std::sort(sorted.begin(), sorted.end());
    json prediction;
    std::vector<std::int64_t> test_cells;
    for (const auto& d : test.points)
      if (d.names(c)) {
        const std::int64_t cell = d.row * p.grid.nx + d.col;
        if (!std::isnan((*model_score)[static_cast<size_t>(cell)])) test_cells.push_back(cell);
      }
    if (!test_cells.empty()) {
      std::vector<double> xs;
      for (auto cell : test_cells)
        xs.push_back(area_above(sorted, (*model_score)[static_cast<size_t>(cell)]));
      prediction = pooled_curve(xs);
      prediction["source"] = "independent test deposits (" + p.job.training.test_path + ")";
      prediction["test_area_fractions"] = xs;
    } else if (model_name == "wofe" && static_cast<std::int64_t>(cells.size()) >= mo.folds) {
      // Spatially blocked k-fold cross-validation: refit without each fold, score its deposits.
      std::vector<std::int64_t> rows, cols;
      for (auto cell : cells) {
        rows.push_back(cell / p.grid.nx);
        cols.push_back(cell % p.grid.nx);
      }
      kernels::BlockedFoldParams bp;
      bp.folds = mo.folds;
      bp.block_size =
          mo.block_size > 0 ? std::max<std::int64_t>(1, std::llround(mo.block_size / p.grid.cell)) : 20;
      std::vector<std::int32_t> fold(cells.size());
      std::vector<std::int64_t> counts;
      kernels::Status st = kernels::blocked_folds(
          rows.data(), cols.data(), static_cast<std::int64_t>(cells.size()), bp, fold.data(), counts);
      if (st.ok) {
        std::vector<double> xs;
        for (std::int32_t f = 0; f < mo.folds; ++f) {
          std::vector<std::uint8_t> fm(static_cast<size_t>(n), 0);
          for (size_t d = 0; d < cells.size(); ++d)
            if (fold[d] != f) fm[static_cast<size_t>(cells[d])] = 1;
          Wofe wf;
          if (tables_mode) {
            std::vector<std::int64_t> fold_points;
            for (auto cell : point_cells)
              if (fm[static_cast<size_t>(cell)]) fold_points.push_back(cell);
            WofeTablesFit ff = fit_wofe_tables(p, c, table_ev, study, fold_points, false);
            if (!ff.error.empty()) continue;
            wf.posterior = std::move(ff.posterior);
          } else {
            wf = fit_wofe(classes, k, fm, study, n, wp);
          }
          if (!wf.error.empty()) continue;
          std::vector<float> sf;
          for (float v : wf.posterior)
            if (!std::isnan(v)) sf.push_back(v);
          std::sort(sf.begin(), sf.end());
          for (size_t d = 0; d < cells.size(); ++d)
            if (fold[d] == f) xs.push_back(area_above(sf, wf.posterior[static_cast<size_t>(cells[d])]));
        }
        prediction = pooled_curve(xs);
        prediction["source"] = "spatially blocked " + std::to_string(mo.folds) +
                               "-fold cross-validation (blocks of " + std::to_string(bp.block_size) +
                               " cells)";
      } else {
        cj["cross_validation"] = st.message;
      }
    } else {
      cj["cross_validation"] = "not enough training deposits for " + std::to_string(mo.folds) +
                               "-fold cross-validation and no test deposits";
    }
    if (prediction.is_null() && cj.contains("cross_validation"))
      log.push_back(c + ": no prediction-rate curve: " + cj["cross_validation"].get<std::string>());
    if (!prediction.is_null()) {
      cj["prediction_rate"] = prediction;
      json cap = json::object();
      const auto& xs = prediction["area_fraction"].get<std::vector<double>>();
      const auto& ys = prediction["deposit_fraction"].get<std::vector<double>>();
      for (double a : mo.capture_fractions) {
        double share = 0;
        for (size_t i = 0; i < xs.size(); ++i)
          if (xs[i] <= a) share = std::max(share, ys[i]);
        cap[std::to_string(a)] = share;
      }
      cj["capture_efficiency"] = cap;
      log.push_back(c + ": " + model_name + " success-rate AUC " + std::to_string(success.auc) +
                    ", prediction-rate AUC " + std::to_string(prediction["auc"].get<double>()) + " (" +
                    prediction["source"].get<std::string>() + ")");
    }
    out["commodities"][c] = cj;
  }
  const std::string text = out.dump(1);
  write_text_atomic(learn_path(p), text);
  return Hash64().add(text).hex();
}

} // namespace prospector::detail
