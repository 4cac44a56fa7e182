#include "pipeline/plan/composition.hpp"

#include "kernels/geochem/log_ratio.hpp"
#include "pipeline/base/errors.hpp"
#include "pipeline/base/strings.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace prospector::detail {

namespace {

// The geochemical layers of each group: the elements of each geochem_points input, and all geochem_grid
// inputs together.
struct Group {
  std::string label;
  std::vector<const LayerDef*> layers;
};

std::vector<Group> geochem_groups(const Plan& p) {
  std::vector<Group> groups;
  for (const auto& l : p.input_layers) {
    if (l.kind != "geochem") continue;
    const InputSpec& in = p.job.inputs[static_cast<size_t>(l.input)];
    const std::string label =
        in.kind == "geochem_points" ? "input '" + in.id + "'" : "the geochem_grid inputs";
    auto g = std::find_if(groups.begin(), groups.end(), [&](const Group& x) { return x.label == label; });
    if (g == groups.end()) g = groups.insert(groups.end(), Group{label, {}});
    g->layers.push_back(&l);
  }
  return groups;
}

// A sequential binary partition of r + s parts (numerator first) whose first row is the balance of the r
// numerator parts against the s denominator parts; the other rows split each side one part at a time.
std::vector<int> balance_partition(std::int64_t r, std::int64_t s) {
  const std::int64_t D = r + s;
  std::vector<int> sbp;
  auto row = [&](std::int64_t plus, std::int64_t minus0, std::int64_t minus1) {
    for (std::int64_t k = 0; k < D; ++k)
      sbp.push_back(k == plus ? 1 : (k >= minus0 && k < minus1 ? -1 : 0));
  };
  for (std::int64_t k = 0; k < D; ++k)
    sbp.push_back(k < r ? 1 : -1);
  for (std::int64_t i = 0; i + 1 < r; ++i)
    row(i, i + 1, r);
  for (std::int64_t i = 0; i + 1 < s; ++i)
    row(r + i, r + i + 1, D);
  return sbp;
}

} // namespace

void add_balance_layers(Plan& p) {
  const auto groups = geochem_groups(p);
  for (size_t i = 0; i < p.job.geochem.balances.size(); ++i) {
    const BalanceSpec& b = p.job.geochem.balances[i];
    const std::string key = "geochem.balances[" + std::to_string(i) + "]";
    // The group of the named input, or else the first group holding the first numerator element, must hold
    // them all.
    const Group* group = nullptr;
    for (const auto& g : groups)
      for (const LayerDef* l : g.layers)
        if (!group && (b.input.empty() ? iequals(l->element, b.numerator.front()) : l->source_id == b.input))
          group = &g;
    if (!group && !b.input.empty())
      throw_usage(p.job.path + ": key '" + key + ".input': '" + b.input +
                  "' is not the id of a geochem_points or geochem_grid input of this job");
    if (!group)
      throw_usage(p.job.path + ": key '" + key + ".numerator': no geochemical layer of element '" +
                  b.numerator.front() + "' in this job; list elements of the geochem inputs");
    BalanceLayers layers;
    auto resolve = [&](const std::vector<std::string>& elements, std::vector<std::string>& out,
                       const char* side) {
      for (const auto& e : elements) {
        const LayerDef* found = nullptr;
        for (const LayerDef* l : group->layers)
          if (iequals(l->element, e)) found = l;
        if (!found)
          throw_usage(p.job.path + ": key '" + key + "." + side + "': element '" + e + "' is not among the " +
                      "elements of " + group->label +
                      (b.input.empty() ? ", which holds '" + b.numerator.front() + "'" : std::string()) +
                      "; the elements of one balance must come from the same geochemical input (set " + key +
                      ".input to choose it)");
        out.push_back(found->name);
      }
    };
    resolve(b.numerator, layers.numerator, "numerator");
    resolve(b.denominator, layers.denominator, "denominator");
    const auto r = static_cast<std::int64_t>(b.numerator.size()),
               s = static_cast<std::int64_t>(b.denominator.size());
    const kernels::Status st = kernels::ilr_sbp_basis(balance_partition(r, s), r + s, layers.basis);
    if (!st.ok) throw_runtime("balance_" + b.name + ": " + st.message); // cannot happen: a valid partition
    p.balances.push_back(layers);
    LayerDef d;
    d.name = "balance_" + b.name;
    d.long_name = "isometric log-ratio balance (" + join(b.numerator) + ") / (" + join(b.denominator) +
                  ") of " + group->label;
    d.units = "1";
    d.kind = "derived";
    d.element = b.name;
    d.source_id = group->layers.front()->source_id;
    d.balance = static_cast<int>(p.balances.size()) - 1;
    p.derived_layers.push_back(d);
  }
}

std::string balance_layer(const Plan& p, const std::string& name) {
  for (const auto& d : p.derived_layers)
    if (d.balance >= 0 && d.element == name) return d.name;
  return "";
}

void add_composition_layers(Plan& p) {
  const GeochemOptions& g = p.job.geochem;
  if (g.composition != "clr") return;
  std::vector<bool> found(g.parts.size(), false);
  for (const auto& group : geochem_groups(p)) {
    std::vector<std::string> names; // the group's layers among geochem.parts, in input order
    for (const LayerDef* l : group.layers) {
      bool listed = g.parts.empty();
      for (size_t k = 0; k < g.parts.size(); ++k)
        if (iequals(g.parts[k], l->element)) listed = found[k] = true;
      if (listed) names.push_back(l->name);
    }
    if (names.size() < 2) continue; // the centred log-ratio of a single part is 0: it keeps its log10 values
    p.clr_groups.push_back(names);
    for (const auto& n : names) {
      const LayerDef* base = nullptr;
      for (const auto& l : p.input_layers)
        if (l.name == n) base = &l;
      LayerDef d;
      d.name = "clr_" + n;
      d.long_name =
          "centred log-ratio of " + base->long_name + " among " + std::to_string(names.size()) + " parts";
      d.units = "1";
      d.kind = "derived";
      d.element = base->element;
      d.source_id = base->source_id;
      d.clr_group = static_cast<int>(p.clr_groups.size()) - 1;
      p.derived_layers.push_back(d);
    }
  }
  for (size_t k = 0; k < g.parts.size(); ++k)
    if (!found[k])
      throw_usage(p.job.path + ": key 'geochem.parts': no geochemical layer of element '" + g.parts[k] +
                  "' in this job; list elements of the geochem inputs, or leave parts out to use them all");
  if (p.clr_groups.empty())
    throw_usage(p.job.path +
                ": key 'geochem.composition': 'clr' needs an input with at least two geochemical "
                "elements (a geochem_points input, or two geochem_grid inputs) among geochem.parts");
}

std::string composition_layer(const Plan& p, const std::string& layer) {
  for (const auto& group : p.clr_groups)
    if (std::find(group.begin(), group.end(), layer) != group.end()) return "clr_" + layer;
  return layer;
}

} // namespace prospector::detail
