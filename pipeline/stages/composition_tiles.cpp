#include "pipeline/stages/composition_tiles.hpp"

#include "kernels/geochem/log_ratio.hpp"
#include "pipeline/base/errors.hpp"

#include <cmath>

namespace prospector::stages {

namespace {

// Reads the tiles of `layers` (log10 concentrations) as concentrations, the compositional kernels' input.
void read_parts(const Plan& p, std::int64_t t, const std::vector<std::string>& layers,
                std::vector<std::vector<float>>& x, std::vector<kernels::ConstGridView>& in) {
  const Window w = p.tiles.window(t);
  x.resize(layers.size());
  in.clear();
  for (size_t k = 0; k < layers.size(); ++k) {
    read_tile(p.work.layer_tile(layers[k], t), w, x[k]);
    for (float& v : x[k])
      v = std::pow(10.0f, v); // NaN stays NaN
    in.push_back({x[k].data(), w.cols, w.rows});
  }
}

} // namespace

void compute_composition_tile(const Plan& p, std::int64_t t,
                              const std::function<void(const std::string&, const std::vector<float>&)>& put) {
  const Window w = p.tiles.window(t);
  kernels::CompositionScratch scratch;
  std::vector<std::vector<float>> x;
  std::vector<kernels::ConstGridView> in;
  for (const auto& group : p.clr_groups) {
    const size_t D = group.size();
    std::vector<std::vector<float>> out(D, std::vector<float>(static_cast<size_t>(w.size())));
    std::vector<kernels::GridView> res;
    read_parts(p, t, group, x, in);
    for (size_t k = 0; k < D; ++k)
      res.push_back({out[k].data(), w.cols, w.rows});
    const kernels::Status st =
        kernels::clr(kernels::VariablesView::grids(in.data(), static_cast<std::int64_t>(D)), {}, scratch,
                     kernels::VariablesOut::grids(res.data(), static_cast<std::int64_t>(D)));
    if (!st.ok) throw_runtime("transform tile " + p.tiles.label(t) + ": centred log-ratio: " + st.message);
    for (size_t k = 0; k < D; ++k)
      put("clr_" + group[k], out[k]);
  }
  for (const auto& d : p.derived_layers) {
    if (d.balance < 0) continue;
    const BalanceLayers& b = p.balances[static_cast<size_t>(d.balance)];
    std::vector<std::string> parts = b.numerator;
    parts.insert(parts.end(), b.denominator.begin(), b.denominator.end());
    const auto D = static_cast<std::int64_t>(parts.size());
    read_parts(p, t, parts, x, in);
    // All r + s - 1 coordinates of the partition; the first is the balance.
    std::vector<std::vector<float>> out(parts.size() - 1, std::vector<float>(static_cast<size_t>(w.size())));
    std::vector<kernels::GridView> res;
    for (auto& o : out)
      res.push_back({o.data(), w.cols, w.rows});
    const kernels::Status st = kernels::ilr(kernels::VariablesView::grids(in.data(), D), {}, b.basis, scratch,
                                            kernels::VariablesOut::grids(res.data(), D - 1));
    if (!st.ok) throw_runtime("transform tile " + p.tiles.label(t) + ": " + d.name + ": " + st.message);
    put(d.name, out.front());
  }
}

} // namespace prospector::stages
