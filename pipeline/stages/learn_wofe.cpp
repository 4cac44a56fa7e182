#include "pipeline/stages/learn_wofe.hpp"

#include "kernels/wofe/weights.hpp"
#include "pipeline/base/strings.hpp"
#include "pipeline/stages/learn_models.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace prospector::detail {

using nlohmann::json;

namespace {

kernels::WofeTableType table_type(const std::string& t) {
  if (t == "binary") return kernels::WofeTableType::Binary;
  if (t == "ascending") return kernels::WofeTableType::Ascending;
  if (t == "descending") return kernels::WofeTableType::Descending;
  if (t == "unique") return kernels::WofeTableType::Unique;
  return kernels::WofeTableType::Categorical;
}

double unit_cells(const Plan& p) {
  const double a = p.job.models.unit_area;
  return a > 0 ? p.grid.cell * p.grid.cell / a : 1.0;
}

const LayerDef* layer_def(const Plan& p, const std::string& name, std::vector<LayerDef>& all) {
  all = p.all_layers();
  for (const auto& l : all)
    if (l.name == name) return &l;
  return nullptr;
}

// Quantile breaks: the largest value of each of the first k/classes shares of the sorted values, ties
// kept in one class (repeated breaks dropped) and no break at the maximum (its class would be empty).
std::vector<double> quantile_breaks(const std::vector<float>& v, int classes) {
  std::vector<float> s;
  s.reserve(v.size());
  for (float x : v)
    if (!std::isnan(x)) s.push_back(x);
  std::vector<double> b;
  if (s.empty()) return b;
  std::sort(s.begin(), s.end());
  const size_t n = s.size();
  for (int k = 1; k < classes; ++k) {
    const size_t rank = (static_cast<size_t>(k) * n + static_cast<size_t>(classes) - 1) / classes;
    const double x = s[std::max<size_t>(rank, 1) - 1];
    if (x >= static_cast<double>(s.back())) break;
    if (b.empty() || x > b.back()) b.push_back(x);
  }
  return b;
}

} // namespace

std::vector<WofeEvidence> classify_wofe_evidence(const Plan& p, std::vector<std::string>& log) {
  std::vector<WofeEvidence> out;
  std::vector<float> v;
  const std::int64_t n = p.grid.size();
  for (const auto& spec : p.job.models.wofe_evidence) {
    WofeEvidence e;
    e.spec = &spec;
    read_whole(p, spec.layer, v);
    e.classes.assign(static_cast<size_t>(n), -1);
    std::vector<LayerDef> all;
    const LayerDef* def = layer_def(p, spec.layer, all);
    if (spec.type == "categorical" || spec.type == "unique") {
      kernels::Status st = kernels::classes_from_grid(v.data(), n, e.classes.data(), e.n_classes);
      if (!st.ok) e.error = "layer " + spec.layer + " does not hold integer class codes: " + st.message;
      for (std::int32_t k = 0; k < e.n_classes; ++k) {
        std::string name = def && def->categorical() && k < static_cast<std::int32_t>(def->classes.size())
                               ? def->classes[static_cast<size_t>(k)]
                               : "";
        e.labels.push_back(name.empty() ? "class " + std::to_string(k) : name);
      }
    } else if (spec.type == "binary") {
      e.n_classes = 2;
      const bool above = spec.pattern == "above";
      for (std::int64_t i = 0; i < n; ++i) {
        const float x = v[static_cast<size_t>(i)];
        if (!std::isnan(x))
          e.classes[static_cast<size_t>(i)] = (above ? x >= spec.threshold : x <= spec.threshold) ? 1 : 0;
      }
      const std::string op = above ? ">= " : "<= ";
      e.labels = {"not " + op + format_number(spec.threshold), op + format_number(spec.threshold)};
    } else {
      e.breaks = spec.breaks.empty() ? quantile_breaks(v, spec.classes) : spec.breaks;
      e.n_classes = static_cast<std::int32_t>(e.breaks.size()) + 1;
      for (std::int64_t i = 0; i < n; ++i) {
        const float x = v[static_cast<size_t>(i)];
        if (!std::isnan(x))
          e.classes[static_cast<size_t>(i)] = static_cast<std::int32_t>(
              std::lower_bound(e.breaks.begin(), e.breaks.end(), static_cast<double>(x)) - e.breaks.begin());
      }
      for (std::int32_t k = 0; k < e.n_classes; ++k) {
        if (e.breaks.empty())
          e.labels.push_back("all values");
        else if (k == 0)
          e.labels.push_back("<= " + format_number(e.breaks[0]));
        else if (k == e.n_classes - 1)
          e.labels.push_back("> " + format_number(e.breaks.back()));
        else
          e.labels.push_back(format_number(e.breaks[static_cast<size_t>(k - 1)]) + " .. " +
                             format_number(e.breaks[static_cast<size_t>(k)]));
      }
      if (e.n_classes < 2) e.error = "layer " + spec.layer + " has a single value class: no pattern";
      e.values = v;
    }
    if (e.n_classes < 1 && e.error.empty()) e.error = "layer " + spec.layer + " has no valid cell";
    if (!e.error.empty()) log.push_back("weights of evidence: " + e.error + "; left out");
    out.push_back(std::move(e));
  }
  return out;
}

WofeTablesFit fit_wofe_tables(const Plan& p, const std::string& c, const std::vector<WofeEvidence>& ev,
                              const std::vector<std::uint8_t>& study, const std::vector<std::int64_t>& points,
                              bool grids) {
  WofeTablesFit f;
  const ModelOptions& mo = p.job.models;
  const std::int64_t n = p.grid.size();
  const double uc = unit_cells(p);
  for (size_t k = 0; k < ev.size(); ++k) {
    const auto& cs = ev[k].spec->commodities;
    if (!ev[k].error.empty() || (!cs.empty() && std::find(cs.begin(), cs.end(), c) == cs.end())) continue;
    f.layers.push_back(k);
    kernels::WofeClassCounts counts;
    kernels::WofeTable t;
    kernels::Status st =
        kernels::wofe_count_classes(ev[k].classes.data(), n, ev[k].n_classes, study.data(), points.data(),
                                    static_cast<std::int64_t>(points.size()), counts);
    if (st.ok) {
      kernels::WofeTableParams tp;
      tp.type = table_type(ev[k].spec->type);
      tp.generalise = ev[k].spec->generalise == "max_studentized" ? kernels::WofeGeneralise::MaxStudentized
                      : ev[k].spec->generalise == "manual"        ? kernels::WofeGeneralise::Manual
                                                                  : kernels::WofeGeneralise::MaxContrast;
      tp.cutoff_class = ev[k].spec->cutoff;
      tp.confidence = ev[k].spec->confidence;
      tp.unit_cells = uc;
      tp.traps = mo.wofe_traps == "eis" ? kernels::WofeTraps::EisToolkit : kernels::WofeTraps::ArcSdm;
      st = kernels::wofe_table(counts, tp, t);
    }
    f.tables.push_back(t);
    f.table_errors.push_back(st.ok ? "" : st.message);
    if (st.ok && t.valid) f.in_response.push_back(f.tables.size() - 1);
  }
  if (f.in_response.empty()) {
    f.error = f.layers.empty()
                  ? "no models.wofe_evidence layer applies to " + c
                  : "no weights table of " + c + " reached its confidence (see the tables): no posterior";
    return f;
  }
  std::vector<kernels::WofeResponseLayer> layers;
  for (size_t i : f.in_response)
    layers.push_back({ev[f.layers[i]].classes.data(), &f.tables[i]});
  std::int64_t inside = 0;
  for (auto cell : points)
    inside += study[static_cast<size_t>(cell)] ? 1 : 0;
  kernels::WofeResponseParams rp;
  rp.std_method = mo.wofe_std == "delta" ? kernels::WofeStd::Delta : kernels::WofeStd::ArcSdm;
  rp.unit_cells = uc;
  rp.missing_variance = mo.wofe_missing_variance;
  f.posterior.assign(static_cast<size_t>(n), NAN);
  if (grids) {
    for (auto* g : {&f.std_weights, &f.md_variance, &f.total_std, &f.confidence})
      g->assign(static_cast<size_t>(n), NAN);
  }
  kernels::Status st = kernels::wofe_response(
      layers.data(), static_cast<std::int64_t>(layers.size()), n, study.data(), inside, rp,
      f.posterior.data(), grids ? f.std_weights.data() : nullptr, grids ? f.md_variance.data() : nullptr,
      grids ? f.total_std.data() : nullptr, grids ? f.confidence.data() : nullptr, f.summary);
  if (!st.ok) f.error = st.message;
  return f;
}

void logistic_features(const std::vector<WofeEvidence>& ev, const std::string& c,
                       std::vector<std::string>& names, std::vector<std::vector<float>>& grids) {
  for (const auto& e : ev) {
    const auto& cs = e.spec->commodities;
    if (!e.error.empty() || (!cs.empty() && std::find(cs.begin(), cs.end(), c) == cs.end())) continue;
    const std::string& t = e.spec->type;
    if (t == "ascending" || t == "descending") {
      names.push_back(e.spec->layer);
      grids.push_back(e.values);
      continue;
    }
    if (t == "binary") {
      std::vector<float> g(e.classes.size());
      for (size_t i = 0; i < g.size(); ++i)
        g[i] = e.classes[i] < 0 ? NAN : static_cast<float>(e.classes[i]);
      names.push_back(e.spec->layer);
      grids.push_back(std::move(g));
      continue;
    }
    std::vector<std::int64_t> count(static_cast<size_t>(e.n_classes), 0);
    for (auto k : e.classes)
      if (k >= 0) ++count[static_cast<size_t>(k)];
    const auto ref = std::max_element(count.begin(), count.end()) - count.begin();
    for (std::int32_t k = 0; k < e.n_classes; ++k) {
      if (k == ref || count[static_cast<size_t>(k)] == 0) continue;
      std::vector<float> g(e.classes.size());
      for (size_t i = 0; i < g.size(); ++i)
        g[i] = e.classes[i] == k ? 1.0f : 0.0f;
      names.push_back(e.spec->layer + "=" + e.labels[static_cast<size_t>(k)]);
      grids.push_back(std::move(g));
    }
  }
}

namespace {

std::vector<std::string> row_flags(std::uint32_t flags) {
  static const std::pair<std::uint32_t, const char*> names[] = {
      {kernels::kWofeRowNoPoints, "no_points"},         {kernels::kWofeRowAllPoints, "all_points"},
      {kernels::kWofeRowAreaAdjusted, "area_adjusted"}, {kernels::kWofeRowNoArea, "no_area"},
      {kernels::kWofeRowConfident, "confident"},        {kernels::kWofeRowCutoff, "cutoff"}};
  std::vector<std::string> out;
  for (const auto& [bit, name] : names)
    if (flags & bit) out.push_back(name);
  return out;
}

// Per training point: 1 in the pattern (generalised class 2), 0 outside, -1 missing or outside the study.
std::vector<std::int8_t> in_pattern(const WofeEvidence& e, const kernels::WofeTable& t,
                                    const std::vector<std::int64_t>& points) {
  std::vector<std::int32_t> gen(static_cast<size_t>(t.n_classes), -1);
  for (const auto& r : t.rows)
    gen[static_cast<size_t>(r.cls)] = r.gen_class;
  std::vector<std::int8_t> out;
  for (auto cell : points) {
    const std::int32_t c = e.classes[static_cast<size_t>(cell)];
    out.push_back(c < 0 ? std::int8_t{-1}
                        : static_cast<std::int8_t>(gen[static_cast<size_t>(c)] == 2 ? 1 : 0));
  }
  return out;
}

} // namespace

json wofe_tables_json(const Plan& p, const std::vector<WofeEvidence>& ev, const WofeTablesFit& f,
                      const std::vector<std::int64_t>& points) {
  const ModelOptions& mo = p.job.models;
  json tables = json::array();
  for (size_t i = 0; i < f.layers.size(); ++i) {
    const WofeEvidence& e = ev[f.layers[i]];
    const kernels::WofeTable& t = f.tables[i];
    json rows = json::array();
    for (const auto& r : t.rows)
      rows.push_back({{"class", r.cls},
                      {"label", e.labels[static_cast<size_t>(r.cls)]},
                      {"cells", r.cells},
                      {"area", r.area},
                      {"points", r.points},
                      {"pattern_area", r.pattern_area},
                      {"pattern_points", r.pattern_points},
                      {"w_plus", r.w_plus},
                      {"s_w_plus", r.s_w_plus},
                      {"w_minus", r.w_minus},
                      {"s_w_minus", r.s_w_minus},
                      {"contrast", r.contrast},
                      {"s_contrast", r.s_contrast},
                      {"studentized", r.studentized},
                      {"gen_class", r.gen_class},
                      {"weight", r.weight},
                      {"w_std", r.w_std},
                      {"flags", row_flags(r.flags)}});
    const bool used = std::find(f.in_response.begin(), f.in_response.end(), i) != f.in_response.end();
    json tj = {{"layer", e.spec->layer},
               {"type", e.spec->type},
               {"generalise", e.spec->generalise},
               {"confidence", e.spec->confidence},
               {"breaks", e.breaks},
               {"valid", t.valid},
               {"in_posterior", used},
               {"cutoff_row", t.cutoff_row},
               {"total_area", t.total_area},
               {"total_points", t.total_points},
               {"missing_area", t.missing_area},
               {"rows", rows}};
    if (!f.table_errors[i].empty())
      tj["error"] = f.table_errors[i];
    else if (!t.valid)
      tj["note"] = "no row reached the confidence " + format_number(e.spec->confidence) +
                   " of the studentized contrast: the layer is left out of the posterior";
    tables.push_back(tj);
  }
  json pairs = json::array();
  for (size_t a = 0; a < f.in_response.size(); ++a)
    for (size_t b = a + 1; b < f.in_response.size(); ++b) {
      const size_t ia = f.in_response[a], ib = f.in_response[b];
      if (f.tables[ia].gen.size() != 2 || f.tables[ib].gen.size() != 2) continue;
      const auto pa = in_pattern(ev[f.layers[ia]], f.tables[ia], points);
      const auto pb = in_pattern(ev[f.layers[ib]], f.tables[ib], points);
      kernels::WofePairTest pt;
      json pj = {{"layers", {ev[f.layers[ia]].spec->layer, ev[f.layers[ib]].spec->layer}}};
      if (kernels::wofe_pair_test(pa.data(), pb.data(), static_cast<std::int64_t>(pa.size()), pt).ok) {
        pj["table"] = {{pt.table[0][0], pt.table[0][1]}, {pt.table[1][0], pt.table[1][1]}};
        pj["chi_square"] = pt.chi_square;
        pj["p_value"] = pt.p_value;
        pj["points"] = pt.points;
      } else {
        pj["note"] = "a pattern holds all or none of the training points: no test";
      }
      pairs.push_back(pj);
    }
  json j = {{"method", "tables"},
            {"unit_area", mo.unit_area},
            {"unit_cells_per_cell", unit_cells(p)},
            {"points_counted_as", mo.wofe_points},
            {"traps", mo.wofe_traps},
            {"std", mo.wofe_std},
            {"missing_variance", mo.wofe_missing_variance},
            {"tables", tables},
            {"pair_tests", pairs}};
  if (!f.error.empty()) {
    j["error"] = f.error;
    return j;
  }
  const auto& s = f.summary;
  j["prior_probability"] = s.prior_probability;
  j["prior_logit"] = s.prior_logit;
  j["study_area"] = s.study_area;
  j["deposits"] = s.points;
  j["ci_test"] = {{"observed", s.points},
                  {"expected", s.expected_points},
                  {"s_expected", s.s_expected},
                  {"z", s.ci_z},
                  {"p_value", s.ci_p_value},
                  {"ratio", s.ci_ratio},
                  {"unique_conditions", s.unique_conditions}};
  return j;
}

std::string wofe_table_csv(const json& t) {
  std::ostringstream o;
  o << "CLASS,LABEL,CELLS,AREA_UNITS,NO_POINTS,PATTERN_AREA,PATTERN_POINTS,WPLUS,S_WPLUS,WMINUS,S_WMINUS,"
       "CONTRAST,S_CONTRAST,STUD_CNT,GEN_CLASS,WEIGHT,W_STD,FLAGS\n";
  o.precision(10);
  for (const auto& r : t["rows"]) {
    std::string label = r["label"].get<std::string>();
    std::string q = "\"";
    for (char ch : label)
      q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    q += "\"";
    std::string flags;
    for (const auto& fl : r["flags"])
      flags += (flags.empty() ? "" : " ") + fl.get<std::string>();
    o << r["class"].get<int>() << "," << q << "," << r["cells"].get<std::int64_t>() << ","
      << r["area"].get<double>() << "," << r["points"].get<std::int64_t>() << ","
      << r["pattern_area"].get<double>() << "," << r["pattern_points"].get<std::int64_t>() << ","
      << r["w_plus"].get<double>() << "," << r["s_w_plus"].get<double>() << "," << r["w_minus"].get<double>()
      << "," << r["s_w_minus"].get<double>() << "," << r["contrast"].get<double>() << ","
      << r["s_contrast"].get<double>() << "," << r["studentized"].get<double>() << ","
      << r["gen_class"].get<int>() << "," << r["weight"].get<double>() << "," << r["w_std"].get<double>()
      << "," << flags << "\n";
  }
  return o.str();
}

} // namespace prospector::detail
