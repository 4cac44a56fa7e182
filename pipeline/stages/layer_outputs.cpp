#include "pipeline/stages/layer_outputs.hpp"

#include <cctype>

namespace prospector::detail {

GridVariable layer_variable(const Plan& p, const std::string& name, const std::string& long_name) {
  GridVariable v{name, long_name, "1", nullptr, {}, {}};
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
