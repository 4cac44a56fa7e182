#include "pipeline/composition.hpp"

#include "kernels/compositional.hpp"
#include "pipeline/errors.hpp"
#include "pipeline/units.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

namespace prospector::detail {

namespace {

bool same_element(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

} // namespace

void add_composition_layers(Plan& p) {
  const GeochemOptions& g = p.job.geochem;
  if (g.composition != "clr") return;
  std::map<std::string, std::vector<std::string>> groups; // group label -> layer names, in input order
  std::vector<std::string> labels;
  std::vector<bool> found(g.parts.size(), false);
  for (const auto& l : p.input_layers) {
    if (l.kind != "geochem") continue;
    if (!g.parts.empty()) {
      bool listed = false;
      for (size_t k = 0; k < g.parts.size(); ++k)
        if (same_element(g.parts[k], l.element)) listed = found[k] = true;
      if (!listed) continue;
    }
    const InputSpec& in = p.job.inputs[static_cast<size_t>(l.input)];
    const std::string label =
        in.kind == "geochem_points" ? "input '" + in.id + "'" : "the geochem_grid inputs";
    if (!groups.count(label)) labels.push_back(label);
    groups[label].push_back(l.name);
  }
  for (size_t k = 0; k < g.parts.size(); ++k)
    if (!found[k])
      throw_usage(p.job.path + ": key 'geochem.parts': no geochemical layer of element '" + g.parts[k] +
                  "' in this job; list elements of the geochem inputs, or leave parts out to use them all");
  for (const auto& label : labels) {
    const auto& names = groups[label];
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

void compute_composition_tile(const Plan& p, std::int64_t t,
                              const std::function<void(const std::string&, const std::vector<float>&)>& put) {
  const Window w = p.tiles.window(t);
  kernels::CompositionScratch scratch;
  for (const auto& group : p.clr_groups) {
    const size_t D = group.size();
    std::vector<std::vector<float>> x(D), out(D, std::vector<float>(static_cast<size_t>(w.size())));
    std::vector<kernels::ConstGridView> in;
    std::vector<kernels::GridView> res;
    for (size_t k = 0; k < D; ++k) {
      read_tile(layer_tile_path(p, group[k], t), w, x[k]);
      // The layers hold log10 concentrations; the kernel takes the concentrations (NaN stays NaN).
      for (float& v : x[k])
        v = std::pow(10.0f, v);
      in.push_back({x[k].data(), w.cols, w.rows});
      res.push_back({out[k].data(), w.cols, w.rows});
    }
    const kernels::Status st =
        kernels::clr(kernels::VariablesView::grids(in.data(), static_cast<std::int64_t>(D)), {}, scratch,
                     kernels::VariablesOut::grids(res.data(), static_cast<std::int64_t>(D)));
    if (!st.ok) throw_runtime("transform tile " + p.tiles.label(t) + ": centred log-ratio: " + st.message);
    for (size_t k = 0; k < D; ++k)
      put("clr_" + group[k], out[k]);
  }
}

} // namespace prospector::detail
