#include "pipeline/plan/evidence.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/base/strings.hpp"
#include "pipeline/plan/composition.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace prospector::detail {

namespace {

std::string find_layer(const LayerSelector& sel, const std::vector<LayerDef>& layers) {
  for (const auto& m : layers) {
    if (m.kind != sel.kind) continue;
    if (m.measure != (sel.measure.empty() ? default_measure(sel.kind) : sel.measure)) continue;
    if (!sel.element.empty() && !iequals(sel.element, m.element)) continue;
    return m.name;
  }
  return "";
}

} // namespace

namespace {
// The anomaly layer each recipe transform reads (the neg_/abs_ variants flip or fold it in score).
std::string transform_base(const std::string& transform, const std::string& where) {
  static const std::map<std::string, std::string> base = {
      {"robust_z", "robust_z"},   {"neg_robust_z", "robust_z"}, {"local_z", "local_z"},
      {"neg_local_z", "local_z"}, {"abs_local_z", "local_z"},   {"gi_star", "gi_star"},
      {"neg_gi_star", "gi_star"}, {"value", "value"},           {"category", "category"}};
  const auto it = base.find(transform);
  if (it == base.end())
    throw_usage(
        where + ": unknown transform '" + transform +
        "' (use robust_z, neg_robust_z, local_z, neg_local_z, abs_local_z, gi_star, neg_gi_star, value "
        "or category)");
  return it->second;
}
// Checks that the transform suits the layer (a categorical layer has no z-scores, and only it has classes)
// and resolves a favourability table into memberships by class code.
void resolve_category(const Plan& p, const Recipe& r, const Evidence& ev, EvidenceBinding& b) {
  const LayerDef* def = nullptr;
  for (const auto& l : p.input_layers)
    if (l.name == b.layer) def = &l;
  const bool categorical = def && def->categorical();
  const std::string at = r.path + ": key 'evidence." + ev.id + ".transform'";
  if (b.base == "category" && !categorical)
    throw_usage(at +
                ": transform category needs a categorical layer (geology units or a categorical_raster), "
                "but the evidence reads '" +
                b.layer + "'");
  if (b.base != "category" && b.base != "value" && categorical)
    throw_usage(at + ": layer '" + b.layer +
                "' holds class codes, which have no z-scores; use transform "
                "category with a favourability table");
  if (b.base != "category") return;
  b.categories.assign(def->classes.size(), ev.other);
  for (size_t k = 0; k < def->classes.size(); ++k) {
    const auto it = ev.categories.find(def->classes[k]);
    if (!def->classes[k].empty() && it != ev.categories.end()) b.categories[k] = it->second;
  }
}

} // namespace

void bind_evidence(Plan& p) {
  for (const auto& r : p.recipes) {
    std::vector<EvidenceBinding> bind;
    double total = 0, present = 0;
    std::string missing;
    for (const auto& ev : r.evidence) {
      EvidenceBinding b;
      b.base = transform_base(ev.transform, r.path + ": key 'evidence." + ev.id + ".transform'");
      std::string layer = !ev.bound_layer.empty()       ? ev.bound_layer
                          : ev.source.kind == "balance" ? detail::balance_layer(p, ev.source.element)
                                                        : find_layer(ev.source, p.input_layers);
      if (!ev.bound_layer.empty()) {
        const std::string key = "recipes." + r.commodity + ".evidence." + ev.id + ".layer";
        bool input = false, balance = false;
        for (const auto& l : p.input_layers)
          input = input || l.name == layer;
        for (const auto& d : p.derived_layers)
          balance = balance || (d.balance >= 0 && d.name == layer);
        if (!input && !balance)
          throw_usage(p.job.path + ": key '" + key + "': no layer '" + layer +
                      "' in this job (input layer ids, or balance_<name> of geochem.balances)");
        if (balance && (!ev.source.filter.empty() || ev.ratio_to))
          throw_usage(
              p.job.path + ": key '" + key + "': evidence '" + ev.id + "' of " + r.path +
              " takes a filter or a ratio, which a balance layer cannot have; bind it to an input layer");
      }
      if (!layer.empty() && !ev.source.filter.empty()) {
        const std::string name = layer + "_" + ev.source.filter;
        bool have = false;
        for (const auto& d : p.derived_layers)
          have = have || d.name == name;
        if (!have) {
          const LayerDef* base = nullptr;
          for (const auto& l : p.input_layers)
            if (l.name == layer) base = &l;
          const InputSpec& in = p.job.inputs[static_cast<size_t>(base->input)];
          if ((ev.source.filter == "rtp" || ev.source.filter == "pseudo_gravity") &&
              (!in.inclination || !in.declination))
            throw_usage(p.job.path + ": key 'inputs[" + std::to_string(base->input) +
                        "].inclination': recipe " + r.path + " evidence '" + ev.id + "' needs the " +
                        ev.source.filter + " of input '" + in.id +
                        "': give its field inclination and declination");
          LayerDef d;
          d.name = name;
          d.long_name = ev.source.filter + " of " + base->long_name;
          d.units = transform_units(ev.source.filter, base->units);
          d.kind = "derived";
          d.num = layer;
          d.filter = ev.source.filter;
          d.input = -1;
          p.derived_layers.push_back(d);
        }
        layer = name;
      }
      // Geochemical evidence of a composition group reads its centred log-ratio (a log ratio of two elements
      // is already free of closure, and stays as it is).
      if (!layer.empty() && !ev.ratio_to && ev.source.kind == "geochem")
        layer = detail::composition_layer(p, layer);
      if (!layer.empty() && ev.ratio_to) {
        const std::string den = find_layer(*ev.ratio_to, p.input_layers);
        if (den.empty()) {
          layer.clear();
        } else {
          const std::string name = "ratio_" + layer + "_" + den;
          bool have = false;
          for (const auto& d : p.derived_layers)
            have = have || d.name == name;
          if (!have) {
            const bool logs = find_layer(ev.source, p.input_layers) == layer && ev.source.kind == "geochem" &&
                              ev.ratio_to->kind == "geochem";
            p.derived_layers.push_back({name, "ratio " + layer + " / " + den, "1", "derived", "", "", -1, -1,
                                        layer, den, logs, "", -1, -1});
          }
          layer = name;
        }
      }
      b.layer = layer;
      if (!layer.empty()) resolve_category(p, r, ev, b);
      if (!(layer.empty() && ev.optional))
        total += ev.weight; // optional evidence the job lacks: not in the recipe
      if (layer.empty() && !ev.optional)
        missing += (missing.empty() ? "" : ", ") + ev.id;
      else if (!layer.empty())
        present += ev.weight;
      bind.push_back(b);
    }
    const double frac = total > 0 ? present / total : 0;
    if (present <= 0 || frac + 1e-12 < r.min_weight_fraction) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.0f%%", 100 * frac);
      throw_input(r.commodity + " (" + r.path + "): the job provides evidence for only " + buf +
                  " of the recipe weight, below combination.min_weight_fraction; missing: " + missing +
                  "; add inputs of those kinds, remove '" + r.commodity +
                  "' from commodities, or override the recipe");
    }
    for (const auto& b : bind)
      if (b.base == "gi_star" && !b.layer.empty() &&
          std::find(p.gi_layers.begin(), p.gi_layers.end(), b.layer) == p.gi_layers.end())
        p.gi_layers.push_back(b.layer);
    p.evidence.push_back(bind);
  }
}

} // namespace prospector::detail
