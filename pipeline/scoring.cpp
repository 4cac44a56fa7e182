#include "pipeline/scoring.hpp"

#include "kernels/fuzzy.hpp"
#include "pipeline/anomaly.hpp"
#include "pipeline/errors.hpp"

#include <cctype>
#include <cmath>

namespace prospector {

namespace {

bool iequals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

const char* commodity_name(const std::string& c) {
  if (c == "cu") return "copper";
  if (c == "li") return "lithium";
  if (c == "ni") return "nickel";
  if (c == "co") return "cobalt";
  if (c == "sn") return "tin";
  return c.c_str();
}

} // namespace

std::string find_layer(const LayerSelector& sel, const std::vector<LayerMeta>& layers) {
  for (const auto& m : layers) {
    if (m.kind != sel.kind) continue;
    if (!sel.element.empty() && !iequals(sel.element, m.element)) continue;
    return m.name;
  }
  return "";
}

ScoreResult score_commodity(const Recipe& recipe, const std::vector<LayerMeta>& input_layers,
                            std::int64_t local_radius, LayerStore& store, std::vector<std::string>& log) {
  const GridSpec& g = store.grid();
  const std::string c = recipe.commodity;
  ScoreResult res;
  res.layer = "prospectivity_" + c;
  double total_w = 0, present_w = 0;
  std::vector<std::vector<float>> memberships;
  std::vector<double> weights;
  AnomalyScratch scratch;
  std::vector<float> num, den;
  for (const auto& ev : recipe.evidence) {
    total_w += ev.weight;
    std::string layer = ev.bound_layer.empty() ? find_layer(ev.source, input_layers) : ev.bound_layer;
    if (!ev.bound_layer.empty() && !store.has(layer))
      throw_usage("recipes." + c + ".evidence." + ev.id + ".layer: no layer named '" + layer + "' in this job");
    std::string den_layer;
    if (ev.ratio_to) den_layer = find_layer(*ev.ratio_to, input_layers);
    if (layer.empty() || (ev.ratio_to && den_layer.empty())) {
      res.evidence_missing.push_back(ev.id);
      log.push_back(c + ": evidence '" + ev.id + "' (" + ev.source.kind +
                    (ev.source.element.empty() ? "" : " " + ev.source.element) +
                    (ev.ratio_to ? " / " + ev.ratio_to->kind + " " + ev.ratio_to->element : "") +
                    ") has no layer in this job; its weight is left out");
      continue;
    }
    const bool local = ev.transform.find("local") != std::string::npos;
    const std::string base = local ? "local_z" : "robust_z";
    std::vector<float> z;
    if (ev.ratio_to) {
      store.get(layer, num);
      store.get(den_layer, den);
      const bool logs = store.meta(layer).kind == "geochem" && store.meta(den_layer).kind == "geochem";
      for (size_t i = 0; i < num.size(); ++i) {
        // Geochemical layers are log10 already, so their ratio is a difference.
        if (logs) num[i] = num[i] - den[i];
        else num[i] = (den[i] > 0 && std::isfinite(num[i])) ? num[i] / den[i] : NAN;
      }
      z_transform(num, g.nx, g.ny, base, local_radius, scratch, z, c + " evidence " + ev.id);
    } else {
      store.get(anomaly_layer_name(layer, base), z);
    }
    if (ev.transform.rfind("neg_", 0) == 0)
      for (auto& v : z) v = -v;
    if (ev.transform.rfind("abs_", 0) == 0)
      for (auto& v : z) v = std::fabs(v);
    kernels::membership(z.data(), z.data(), static_cast<std::int64_t>(z.size()), ev.membership);
    present_w += ev.weight;
    // Weighted membership, kept for the targets stage's evidence ranking.
    std::vector<float> contrib(z.size());
    for (size_t i = 0; i < z.size(); ++i) contrib[i] = static_cast<float>(ev.weight) * z[i];
    LayerMeta cm{"contrib_" + c + "_" + ev.id, "weighted membership of evidence " + ev.id + " for " + c, "1",
                 "contribution", "", ""};
    store.put(cm, contrib);
    res.contribution_layers.push_back(cm.name);
    res.contribution_ids.push_back(ev.id);
    res.evidence_used.push_back(ev.id + "=" + layer + (ev.ratio_to ? "/" + den_layer : "") + " (" + ev.transform + ")");
    memberships.push_back(std::move(z));
    weights.push_back(ev.weight);
  }
  const double frac = total_w > 0 ? present_w / total_w : 0;
  if (memberships.empty() || frac + 1e-12 < recipe.min_weight_fraction) {
    std::string missing;
    for (const auto& m : res.evidence_missing) missing += (missing.empty() ? "" : ", ") + m;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f%%", 100 * frac);
    throw_input(c + " (" + recipe.path + "): the job provides evidence for only " + buf +
                " of the recipe weight, below combination.min_weight_fraction; missing: " + missing +
                "; add inputs of those kinds, remove '" + c + "' from commodities, or override the recipe");
  }
  std::vector<const float*> ptrs;
  for (const auto& m : memberships) ptrs.push_back(m.data());
  kernels::OverlayParams op;
  op.min_weight_fraction = std::min(1.0, recipe.min_weight_fraction * total_w / present_w);
  std::vector<float> score(static_cast<size_t>(g.size()));
  kernels::Status st = kernels::weighted_overlay(ptrs.data(), weights.data(), static_cast<std::int64_t>(ptrs.size()),
                                                 g.size(), op, score.data());
  if (!st.ok) throw_runtime(c + ": overlay failed: " + st.message);
  LayerMeta sm{res.layer,
               std::string("prospectivity for ") + commodity_name(c) + " (" + recipe.name +
                   "), fuzzy weighted overlay in [0, 1]",
               "1", "score", "", ""};
  store.put(sm, score);
  std::string used;
  for (const auto& u : res.evidence_used) used += (used.empty() ? "" : ", ") + u;
  log.push_back(c + ": scored with " + recipe.name + " from " + used);
  return res;
}

} // namespace prospector
