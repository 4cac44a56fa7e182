#include "pipeline/stages/score.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/stages/multivariate.hpp"
#include "pipeline/stages/tile_store.hpp"

#include "kernels/fuzzy/fuzzy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

namespace prospector::stages {

using nlohmann::json;

namespace {

kernels::FuzzyOperator fuzzy_operator(const std::string& name, const std::string& recipe) {
  if (name == "and") return kernels::FuzzyOperator::And;
  if (name == "or") return kernels::FuzzyOperator::Or;
  if (name == "product") return kernels::FuzzyOperator::Product;
  if (name == "sum") return kernels::FuzzyOperator::Sum;
  if (name == "gamma") return kernels::FuzzyOperator::Gamma;
  throw_usage(recipe + ": key 'combination.operator': unknown operator '" + name +
              "' (use weighted_mean, and, or, product, sum or gamma)");
}

// Membership of the transformed anomaly grid, in place in `z`.
void evidence_membership(const Plan& p, std::size_t r, std::size_t e, std::int64_t t, std::vector<float>& z) {
  const Recipe& rc = p.recipes[r];
  const Evidence& ev = rc.evidence[e];
  const EvidenceBinding& b = p.evidence[r][e];
  // value and category read the layer itself (a distance, class codes), the others its anomaly grid.
  const bool own = b.base == "value" || b.base == "category";
  read_tile(p.work.layer_tile(own ? b.layer : "anomaly_" + b.layer + "_" + b.base, t), p.tiles.window(t), z);
  if (ev.transform.rfind("neg_", 0) == 0)
    for (auto& v : z)
      v = -v;
  if (ev.transform.rfind("abs_", 0) == 0)
    for (auto& v : z)
      v = std::fabs(v);
  const auto n = static_cast<std::int64_t>(z.size());
  const kernels::Status ms =
      b.base == "category"
          ? kernels::category_membership(
                z.data(), z.data(), n,
                {b.categories.data(), static_cast<std::int64_t>(b.categories.size()), ev.other})
          : kernels::membership(z.data(), z.data(), n, ev.membership);
  if (!ms.ok) throw_runtime(rc.commodity + ": evidence " + ev.id + ": membership failed: " + ms.message);
}

void weigh(double weight, const std::vector<float>& m, std::vector<float>& out) {
  out.resize(m.size());
  for (size_t i = 0; i < m.size(); ++i)
    out[i] = static_cast<float>(weight) * m[i];
}

bool wants_contributions(const Plan& p) {
  const auto& l = p.job.output.layers;
  return std::find(l.begin(), l.end(), "contributions") != l.end();
}

} // namespace

void evidence_contribution(const Plan& p, std::size_t r, std::size_t e, std::int64_t t,
                           std::vector<float>& out) {
  std::vector<float> m;
  evidence_membership(p, r, e, t, m);
  weigh(p.recipes[r].evidence[e].weight, m, out);
}

const StageInfo& ScoreStage::info() const {
  static const StageInfo i{
      "pipeline.score", "Fuzzy prospectivity per commodity from its recipe, tile by tile; RX and PC grids",
      "Each recipe evidence is transformed (robust/local z, sign or absolute value), mapped through its "
      "membership function and combined by weighted fuzzy overlay into a [0, 1] prospectivity grid; the RX "
      "anomaly and the principal-component scores apply the model stage's statistics.",
      true};
  return i;
}

std::vector<Upstream> ScoreStage::upstream(const Plan&, std::int64_t t) const {
  // Evidence with transform value or category reads the layer tile itself, which the anomaly outputs do not
  // cover (categorical layers have no z-scores).
  return {{"model", kGlobalUnit}, {"anomaly", t}, {"ingest", t}, {"transform", t}};
}

std::vector<std::string> ScoreStage::outputs(const Plan& p, std::int64_t t) const {
  std::vector<std::string> out;
  for (size_t r = 0; r < p.recipes.size(); ++r) {
    out.push_back(p.work.layer_tile("prospectivity_" + p.recipes[r].commodity, t));
    if (wants_contributions(p))
      for (size_t e = 0; e < p.recipes[r].evidence.size(); ++e)
        if (!p.evidence[r][e].layer.empty())
          out.push_back(
              p.work.layer_tile("contrib_" + p.recipes[r].commodity + "_" + p.recipes[r].evidence[e].id, t));
  }
  return out;
}

ScoreParams ScoreStage::params(StageContext& ctx, std::int64_t) const {
  const Plan& p = ctx.plan;
  ScoreParams out;
  // Before stats has run (a status or a dry-run submit) nothing is known to be degenerate yet; the key is
  // recomputed when the unit runs.
  const std::string stats_path = p.work.global("stats.json");
  const json stats = file_exists(stats_path) ? load_json(stats_path) : json::object();
  bool& told = ctx.state<bool>("score.dropped_told", [] { return std::make_unique<bool>(false); });
  for (size_t r = 0; r < p.recipes.size(); ++r) {
    const Recipe& rc = p.recipes[r];
    RecipeParams rp{rc.commodity, rc.name, rc.combination, rc.min_weight_fraction, rc.gamma, {}};
    for (size_t e = 0; e < rc.evidence.size(); ++e) {
      const Evidence& ev = rc.evidence[e];
      const kernels::MembershipParams& m = ev.membership;
      rp.evidence.push_back({ev.id, p.evidence[r][e].layer, p.evidence[r][e].base, ev.transform, ev.weight,
                             json{{"shape", static_cast<int>(m.shape)},
                                  {"low", m.low},
                                  {"high", m.high},
                                  {"midpoint", m.midpoint},
                                  {"spread", m.spread}},
                             ev.optional});
      if (p.evidence[r][e].base == "category")
        rp.evidence.back().membership =
            json{{"categories", p.evidence[r][e].categories}, {"other", ev.other}};
      const EvidenceBinding& b = p.evidence[r][e];
      if ((b.base == "robust_z" || b.base == "local_z") && stats.contains(b.layer) &&
          stats[b.layer].value("degenerate", false)) {
        rp.evidence.back().dropped = true;
        if (!told)
          ctx.log.push_back("warning: " + rc.commodity + ": evidence '" + ev.id + "' (" + ev.transform +
                            " of " + b.layer + ", weight " + std::to_string(ev.weight) +
                            ") is left out of the weights: layer " + b.layer + " has no robust spread");
      }
    }
    out.recipes.push_back(rp);
  }
  told = true;
  out.rx_bands = p.rx_bands;
  out.pca_components = p.job.anomaly.pca_components;
  out.contributions = wants_contributions(p);
  return out;
}

std::string ScoreStage::compute(StageContext& ctx, std::int64_t t, const ScoreParams& params) const {
  const Plan& p = ctx.plan;
  Hash64 h;
  const Window w = p.tiles.window(t);
  const std::int64_t n = w.size();
  std::vector<float> z, contrib;
  std::vector<std::vector<float>> memberships;
  for (size_t r = 0; r < p.recipes.size(); ++r) {
    const Recipe& rc = p.recipes[r];
    const RecipeParams& rp = params.recipes[r];
    memberships.clear();
    std::vector<double> weights;
    double total = 0, present = 0;
    for (size_t e = 0; e < rc.evidence.size(); ++e) {
      const Evidence& ev = rc.evidence[e];
      const EvidenceParams& b = rp.evidence[e];
      if (b.dropped) continue; // no z-scores (stats warned): neither present nor counted
      if (!(b.layer.empty() && b.optional)) total += b.weight; // optional evidence the job lacks: not counted
      if (b.layer.empty()) continue;
      evidence_membership(p, r, e, t, z);
      if (params.contributions) {
        weigh(ev.weight, z, contrib);
        put_tile(p.work.layer_tile("contrib_" + rc.commodity + "_" + ev.id, t), contrib, h);
      }
      present += ev.weight;
      weights.push_back(ev.weight);
      memberships.push_back(z);
    }
    std::vector<const float*> ptrs;
    for (const auto& m : memberships)
      ptrs.push_back(m.data());
    std::vector<float> score(static_cast<size_t>(n), std::numeric_limits<float>::quiet_NaN());
    if (ptrs.empty()) { // every evidence was dropped: no map, rather than a flat one
      put_tile(p.work.layer_tile("prospectivity_" + rc.commodity, t), score, h);
      continue;
    }
    kernels::OverlayParams op;
    op.min_weight_fraction = std::min(1.0, rc.min_weight_fraction * total / present);
    kernels::Status st = kernels::weighted_overlay(
        ptrs.data(), weights.data(), static_cast<std::int64_t>(ptrs.size()), n, op, score.data());
    if (!st.ok) throw_runtime(rc.commodity + ": overlay failed: " + st.message);
    if (rc.combination != "weighted_mean") {
      // The weighted overlay still decides where enough evidence is present; the operator gives the value.
      const kernels::FuzzyOperator op = fuzzy_operator(rc.combination, rc.path);
      kernels::FuzzyCombineParams fp;
      fp.gamma = rc.gamma;
      fp.nodata = kernels::FuzzyNodata::Ignore;
      std::vector<float> combined(static_cast<size_t>(n));
      st = kernels::fuzzy_combine(ptrs.data(), static_cast<std::int64_t>(ptrs.size()), n, op, fp,
                                  combined.data());
      if (!st.ok) throw_runtime(rc.commodity + ": fuzzy " + rc.combination + " failed: " + st.message);
      for (size_t i = 0; i < score.size(); ++i)
        score[i] = std::isnan(score[i]) ? score[i] : combined[i];
    }
    const std::string name = "prospectivity_" + rc.commodity;
    put_tile(p.work.layer_tile(name, t), score, h);
  }
  detail::apply_multivariate(p, load_json(p.work.global("model.json")), t,
                             [&](const std::string& name, const std::vector<float>& v) {
                               put_tile(p.work.layer_tile(name, t), v, h);
                             });
  return h.hex();
}

} // namespace prospector::stages
