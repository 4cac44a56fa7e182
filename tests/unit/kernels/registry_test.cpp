#include "kernels/anomaly/rx.hpp"
#include "kernels/distance/distance.hpp"
#include "kernels/fuzzy/fuzzy.hpp"
#include "kernels/registry.hpp"
#include "kernels/stats/robust.hpp"
#include "kernels/transform/log10.hpp"
#include "kernels/window/local_z.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

using namespace prospector::kernels;

namespace {

const KernelParam* param(const KernelInfo& k, const std::string& name) {
  for (const auto& p : k.params)
    if (p.name == name) return &p;
  return nullptr;
}

double number_default(const std::string& kernel, const std::string& name) {
  const KernelInfo* k = find_kernel(kernel);
  REQUIRE(k != nullptr);
  const KernelParam* p = param(*k, name);
  REQUIRE(p != nullptr);
  REQUIRE((p->type == "number" || p->type == "integer"));
  return std::stod(p->default_value);
}

} // namespace

TEST_CASE("registry: exactly the documented kernels, sorted by name", "[registry]") {
  const auto& r = kernel_registry();
  std::vector<std::string> names;
  for (const auto& k : r)
    names.push_back(k.name);
  const std::vector<std::string> expected = {"anomaly.ca_fractal",
                                             "anomaly.gi_star",
                                             "anomaly.gi_star_exact",
                                             "anomaly.mcd",
                                             "anomaly.pca",
                                             "anomaly.rx",
                                             "distance.circular_density",
                                             "distance.edt",
                                             "distance.point_counts",
                                             "distance.segment_intersections",
                                             "distance.segment_lengths",
                                             "fuzzy.and",
                                             "fuzzy.category",
                                             "fuzzy.gamma",
                                             "fuzzy.membership",
                                             "fuzzy.or",
                                             "fuzzy.overlay",
                                             "fuzzy.product",
                                             "fuzzy.sum",
                                             "geochem.clr",
                                             "geochem.ilr",
                                             "geochem.log",
                                             "geochem.robust_standardise",
                                             "geochem.substitute_censored",
                                             "model.logistic_fit",
                                             "model.logistic_predict",
                                             "potential_field.analytic_signal",
                                             "potential_field.derivative_x",
                                             "potential_field.derivative_y",
                                             "potential_field.pseudo_gravity",
                                             "potential_field.rtp",
                                             "potential_field.tilt_derivative",
                                             "potential_field.total_horizontal_gradient",
                                             "potential_field.upward_continuation",
                                             "potential_field.vertical_derivative",
                                             "stats.merged",
                                             "stats.robust_location",
                                             "stats.robust_z",
                                             "targets.label_components",
                                             "targets.outline_cells",
                                             "targets.representative_cell",
                                             "targets.top_fraction_threshold",
                                             "transform.log10",
                                             "validation.blocked_folds",
                                             "validation.rate_curve",
                                             "window.local_z",
                                             "window.local_z_exact",
                                             "wofe.ci_test",
                                             "wofe.pair_test",
                                             "wofe.posterior",
                                             "wofe.response",
                                             "wofe.table",
                                             "wofe.weights"};
  CHECK(names == expected);
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(&kernel_registry() == &r); // one list, built once
}

TEST_CASE("registry: every record is documented and its params are well-formed", "[registry]") {
  for (const auto& k : kernel_registry()) {
    INFO(k.name);
    CHECK_FALSE(k.description.empty());
    CHECK(k.description.find('\n') == std::string::npos);
    CHECK(k.doc.size() > k.description.size());
    std::set<std::string> seen;
    for (const auto& p : k.params) {
      INFO(p.name);
      CHECK(seen.insert(p.name).second);
      CHECK((p.type == "integer" || p.type == "number" || p.type == "string"));
      CHECK_FALSE(p.default_value.empty());
      CHECK_FALSE(p.help.empty());
      if (p.type != "string") CHECK_NOTHROW(std::stod(p.default_value));
    }
  }
}

TEST_CASE("registry: defaults match the Params structs", "[registry]") {
  CHECK(number_default("stats.robust_z", "min_scale") == RobustZParams{}.min_scale);
  CHECK(number_default("stats.robust_z", "rel_floor") == RobustZParams{}.rel_floor);
  CHECK(number_default("window.local_z", "radius") == static_cast<double>(LocalZParams{}.radius));
  CHECK(number_default("window.local_z", "min_count") == static_cast<double>(LocalZParams{}.min_count));
  CHECK(number_default("window.local_z", "min_std") == LocalZParams{}.min_std);
  CHECK(number_default("transform.log10", "offset") == LogParams{}.offset);
  CHECK(number_default("anomaly.rx", "ridge") == RxParams{}.ridge);
  CHECK(number_default("fuzzy.overlay", "min_weight_fraction") == OverlayParams{}.min_weight_fraction);
  const MembershipParams mp;
  CHECK(number_default("fuzzy.membership", "low") == mp.low);
  CHECK(number_default("fuzzy.membership", "high") == mp.high);
  CHECK(number_default("fuzzy.membership", "midpoint") == mp.midpoint);
  CHECK(number_default("fuzzy.membership", "spread") == mp.spread);
  REQUIRE(mp.shape == MembershipShape::Logistic);
  CHECK(param(*find_kernel("fuzzy.membership"), "shape")->default_value == "logistic");
  CHECK(number_default("distance.edt", "cell") == EdtParams{}.cell);
  CHECK(number_default("distance.circular_density", "cell") == DensityParams{}.cell);
  CHECK(number_default("distance.circular_density", "radius") == DensityParams{}.radius);
  CHECK(number_default("fuzzy.category", "other") == CategoryParams{}.other);
  CHECK(find_kernel("window.local_z")->params.size() == 3);
  CHECK(find_kernel("stats.robust_location")->params.empty());
}

TEST_CASE("registry: find_kernel", "[registry]") {
  const KernelInfo* k = find_kernel("window.local_z");
  REQUIRE(k != nullptr);
  CHECK(k->name == "window.local_z");
  for (const auto& rec : kernel_registry())
    CHECK(find_kernel(rec.name) == &rec);
  CHECK(find_kernel("window") == nullptr);
  CHECK(find_kernel("") == nullptr);
  CHECK(find_kernel("zzz.unknown") == nullptr);
}
