#include "pipeline/stages/layer_outputs.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace prospector::detail {

GridVariable layer_variable(const Plan& p, const std::string& name, const std::string& long_name) {
  GridVariable v{name, long_name, "1", nullptr, {}, {}};
  for (const auto& d : p.derived_layers) {
    if (d.name != name || d.filter.empty()) continue;
    const PotentialFieldOptions& o = p.job.potential_field;
    v.units = d.units;
    v.attributes["transform"] = d.filter;
    v.attributes["transform_source"] = d.num;
    char pad[64];
    std::snprintf(pad, sizeof pad, "%g", o.pad_fraction);
    v.attributes["transform_convention"] =
        "detrend=" + o.detrend + " padding=" + o.padding + " pad_fraction=" + pad +
        " min_pad=" + std::to_string(o.min_pad) +
        (o.detrend == "plane" && o.padding == "edge_point" ? " (GMT grdfft default, -N+d+e)" : "");
    if (p.job.tiling.fft_block < std::max(p.grid.nx, p.grid.ny))
      v.attributes["transform_blocks"] =
          "blocks of " + std::to_string(p.job.tiling.fft_block) + " cells with margins of a quarter block";
    return v;
  }
  for (const auto& l : p.input_layers) {
    if (l.name != name || l.measure.empty()) continue;
    v.units = l.units;
    if (!l.categorical()) break;
    std::vector<float> values;
    std::string meanings;
    for (size_t k = 0; k < l.classes.size(); ++k) {
      if (l.classes[k].empty()) continue;
      values.push_back(static_cast<float>(k));
      std::string m = l.classes[k];
      for (auto& c : m)
        if (std::isspace(static_cast<unsigned char>(c))) c = '_';
      meanings += (meanings.empty() ? "" : " ") + m;
    }
    v.float_attributes["flag_values"] = values;
    v.attributes["flag_meanings"] = meanings;
    break;
  }
  return v;
}

} // namespace prospector::detail
