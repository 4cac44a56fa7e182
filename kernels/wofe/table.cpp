#include "kernels/wofe/table.hpp"

#include "kernels/stats/chi_square.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace prospector::kernels {

namespace {

constexpr std::int32_t kMaxCodes = 1 << 20;

inline bool inside(const std::uint8_t* study_area, std::int64_t i) {
  return study_area == nullptr || study_area[i] != 0;
}

void zero_weights(WofeTableRow& r) {
  r.w_plus = r.s_w_plus = r.w_minus = r.s_w_minus = 0;
  r.contrast = r.s_contrast = r.studentized = 0;
}

void set_weights(WofeTableRow& r, double wp, double vp, double wm, double vm) {
  r.w_plus = wp;
  r.s_w_plus = std::sqrt(vp);
  r.w_minus = wm;
  r.s_w_minus = std::sqrt(vm);
  r.contrast = wp - wm;
  r.s_contrast = std::sqrt(vp + vm);
  r.studentized = r.contrast / r.s_contrast;
}

// The pooled outside class of a categorical table gets a code that no class has: 99, 199, ...
std::int32_t pooled_code(const WofeTable& t) {
  std::int32_t code = 99;
  for (const auto& r : t.rows)
    while (r.cls >= code)
      code += 100;
  return code;
}

} // namespace

Status wofe_count_classes(const std::int32_t* classes, std::int64_t n, std::int32_t n_classes,
                          const std::uint8_t* study_area, const std::int64_t* points, std::int64_t n_points,
                          WofeClassCounts& out) {
  if (n < 0 || n_points < 0) return Status::Invalid("wofe.table: negative length");
  if (n_classes < 1 || n_classes > kMaxCodes)
    return Status::Invalid("wofe.table: n_classes must be in [1, 2^20]");
  if ((n > 0 && classes == nullptr) || (n_points > 0 && points == nullptr))
    return Status::Invalid("wofe.table: null array");
  out.cells.assign(static_cast<size_t>(n_classes), 0);
  out.points.assign(static_cast<size_t>(n_classes), 0);
  out.missing_cells = out.missing_points = out.outside_points = 0;
  bool bad = false;
#pragma omp parallel
  {
    std::vector<std::int64_t> local(static_cast<size_t>(n_classes), 0);
    std::int64_t missing = 0;
    bool local_bad = false;
#pragma omp for schedule(static) nowait
    for (std::int64_t i = 0; i < n; ++i) {
      if (!inside(study_area, i)) continue;
      const std::int32_t c = classes[i];
      if (c < 0)
        ++missing;
      else if (c >= n_classes)
        local_bad = true;
      else
        ++local[static_cast<size_t>(c)];
    }
#pragma omp critical(wofe_count_classes)
    {
      for (size_t c = 0; c < local.size(); ++c)
        out.cells[c] += local[c];
      out.missing_cells += missing;
      bad = bad || local_bad;
    }
  }
  if (bad) return Status::Invalid("wofe.table: a class code is >= n_classes");
  for (std::int64_t j = 0; j < n_points; ++j) {
    const std::int64_t i = points[j];
    if (i < 0 || i >= n) return Status::Invalid("wofe.table: a training point's cell is outside the grid");
    if (!inside(study_area, i)) {
      ++out.outside_points;
      continue;
    }
    const std::int32_t c = classes[i];
    if (c < 0)
      ++out.missing_points;
    else
      ++out.points[static_cast<size_t>(c)];
  }
  return Status::Ok();
}

void wofe_pattern_weights(double s, double b, double ds, double db, WofeTraps traps, WofeTableRow& r) {
  r.flags &= ~(kWofeRowNoPoints | kWofeRowAllPoints | kWofeRowAreaAdjusted | kWofeRowNoArea);
  zero_weights(r);
  if (traps == WofeTraps::ArcSdm) {
    // ArcSDM's MakeWts, trap for trap (calculateweights.py).
    if (db <= 0) {
      r.flags |= kWofeRowNoPoints;
      return;
    }
    if (db >= ds) {
      db -= 0.99;
      r.flags |= kWofeRowAllPoints;
    }
    if ((s - b) <= (ds - db)) {
      b = s + db - ds - 0.01;
      r.flags |= kWofeRowAreaAdjusted;
    }
    if ((b - db) <= 0.0) {
      r.flags |= kWofeRowNoArea;
      return;
    }
    const double pbd = db / ds, pbdb = (b - db) / (s - ds);
    const double pbbd = (ds - db) / ds, pbbdb = (s - b - ds + db) / (s - ds);
    set_weights(r, std::log(pbd / pbdb), 1.0 / db + 1.0 / (b - db), std::log(pbbd / pbbdb),
                1.0 / (ds - db) + 1.0 / (s - b - ds + db));
    return;
  }
  // EIS Toolkit (_calculate_metrics_for_class) with areas in unit cells: A = points in the pattern,
  // B = points outside, C = non-deposit area in the pattern, D = non-deposit area outside.
  double a = db, bb = ds - db, c = b - db, d = (s - ds) - c;
  if (a <= 0 || c + d <= 0) {
    r.flags |= a <= 0 ? kWofeRowNoPoints : kWofeRowNoArea;
    return;
  }
  const double nd = a + bb, nn = c + d;
  if (bb <= 0) {
    a -= 0.99;
    bb = 0.99;
    r.flags |= kWofeRowAllPoints;
  }
  if (d <= 0) {
    c -= 0.99;
    d = 0.99;
    r.flags |= kWofeRowAreaAdjusted;
  }
  if (c <= 0) {
    r.flags |= kWofeRowNoArea;
    return;
  }
  const double pa = a / nd, pc = c / nn;
  set_weights(r, std::log(pa / pc), 1.0 / a + 1.0 / c, std::log((1.0 - pa) / (1.0 - pc)), 1.0 / bb + 1.0 / d);
}

Status wofe_table(const WofeClassCounts& counts, const WofeTableParams& p, WofeTable& t) {
  if (counts.cells.size() != counts.points.size() || counts.cells.empty())
    return Status::Invalid("wofe.table: counts are not from wofe_count_classes");
  if (!(p.unit_cells > 0) || !std::isfinite(p.unit_cells))
    return Status::Invalid("wofe.table: unit_cells must be finite and > 0");
  if (!(p.confidence >= 0) || !std::isfinite(p.confidence))
    return Status::Invalid("wofe.table: confidence must be finite and >= 0");
  t = WofeTable{};
  t.n_classes = static_cast<std::int32_t>(counts.cells.size());
  t.missing_area = static_cast<double>(counts.missing_cells) * p.unit_cells;
  for (std::int32_t c = 0; c < t.n_classes; ++c) {
    const std::int64_t cells = counts.cells[static_cast<size_t>(c)];
    const std::int64_t pts = counts.points[static_cast<size_t>(c)];
    if (cells == 0) {
      if (pts != 0) return Status::Invalid("wofe.table: points on a class without cells");
      continue;
    }
    WofeTableRow r;
    r.cls = c;
    r.cells = cells;
    r.area = static_cast<double>(cells) * p.unit_cells;
    r.points = pts;
    t.rows.push_back(r);
    t.total_area += r.area;
    t.total_points += pts;
  }
  if (t.rows.empty()) return Status::Invalid("wofe.table: the layer has no valid cell in the study area");
  if (t.total_points == 0)
    return Status::Invalid("wofe.table: no training point on a valid cell of the layer");
  if (p.type == WofeTableType::Descending) std::reverse(t.rows.begin(), t.rows.end());
  if (p.type == WofeTableType::Binary &&
      (t.n_classes != 2 || t.rows.size() != 2 || t.rows[0].cls != 0 || t.rows[1].cls != 1))
    return Status::Invalid("wofe.table: a binary layer needs cells of both class 0 and class 1");

  const bool cumulative = p.type == WofeTableType::Ascending || p.type == WofeTableType::Descending;
  double acc_area = 0;
  std::int64_t acc_points = 0;
  const double s = t.total_area, ds = static_cast<double>(t.total_points);
  for (auto& r : t.rows) {
    acc_area += r.area;
    acc_points += r.points;
    r.pattern_area = cumulative ? acc_area : r.area;
    r.pattern_points = cumulative ? acc_points : r.points;
    wofe_pattern_weights(s, r.pattern_area, ds, static_cast<double>(r.pattern_points), p.traps, r);
    const bool confident = p.type == WofeTableType::Categorical ? std::abs(r.studentized) >= p.confidence
                                                                : r.studentized >= p.confidence;
    if (confident) r.flags |= kWofeRowConfident;
    r.gen_class = -1;
  }

  if (p.type == WofeTableType::Unique) {
    for (auto& r : t.rows) {
      r.gen_class = r.cls;
      r.weight = r.w_plus;
      r.w_std = r.s_w_plus;
      t.gen.push_back({r.cls, r.area, r.points, r.weight, r.w_std});
    }
    t.valid = true;
    return Status::Ok();
  }

  if (p.type == WofeTableType::Categorical) {
    WofeTableRow pooled;
    std::int64_t pooled_points = 0;
    double pooled_area = 0;
    bool any_in = false, any_out = false;
    for (const auto& r : t.rows) {
      if (r.flags & kWofeRowConfident) {
        any_in = true;
      } else {
        any_out = true;
        pooled_area += r.area;
        pooled_points += r.points;
      }
    }
    if (!any_in) return Status::Ok(); // no class reaches the confidence: valid stays false
    const std::int32_t out_code = pooled_code(t);
    if (any_out) {
      // ArcSDM gives a pooled class without points 0.01 of a point, so its weight is strongly negative.
      const double db = pooled_points == 0 && p.traps == WofeTraps::ArcSdm ? 0.01 : double(pooled_points);
      wofe_pattern_weights(s, pooled_area, ds, db, p.traps, pooled);
      t.gen.push_back({out_code, pooled_area, pooled_points, pooled.w_plus, pooled.s_w_plus});
    }
    for (auto& r : t.rows) {
      if (r.flags & kWofeRowConfident) {
        r.gen_class = r.cls;
        r.weight = r.w_plus;
        r.w_std = r.s_w_plus;
        t.gen.push_back({r.cls, r.area, r.points, r.weight, r.w_std});
      } else {
        r.gen_class = out_code;
        r.weight = pooled.w_plus;
        r.w_std = pooled.s_w_plus;
      }
    }
    std::sort(t.gen.begin(), t.gen.end(),
              [](const WofeGenClass& a, const WofeGenClass& b) { return a.gen_class < b.gen_class; });
    t.valid = true;
    return Status::Ok();
  }

  // Binary and cumulative: one row becomes the pattern (generalised class 2), the rest class 1.
  std::int32_t cut = -1;
  const std::int32_t last = static_cast<std::int32_t>(t.rows.size()) - 1;
  if (p.type == WofeTableType::Binary) {
    cut = 1; // class 1 is the pattern; its own counts are W+ / W- of the binary layer
  } else if (p.generalise == WofeGeneralise::Manual) {
    for (std::int32_t k = 0; k <= last; ++k)
      if (t.rows[static_cast<size_t>(k)].cls == p.cutoff_class) cut = k;
    if (cut < 0) return Status::Invalid("wofe.table: the cutoff class is not a class of the layer");
    if (cut == last)
      return Status::Invalid(
          "wofe.table: the cutoff class is the last row, whose pattern is the whole layer");
  } else {
    // The last row's pattern is the whole layer: not a pattern, never a candidate.
    double best = -std::numeric_limits<double>::infinity();
    for (std::int32_t k = 0; k < last; ++k) {
      const auto& r = t.rows[static_cast<size_t>(k)];
      if (!(r.flags & kWofeRowConfident)) continue;
      const double v = p.generalise == WofeGeneralise::MaxContrast ? r.contrast : r.studentized;
      if (v > best) {
        best = v;
        cut = k;
      }
    }
    if (cut < 0) return Status::Ok(); // no row reaches the confidence
  }
  WofeTableRow& c = t.rows[static_cast<size_t>(cut)];
  if (!(c.flags & kWofeRowConfident)) return Status::Ok();
  c.flags |= kWofeRowCutoff;
  t.cutoff_row = cut;
  WofeGenClass in{2, 0, 0, c.w_plus, c.s_w_plus}, out{1, 0, 0, c.w_minus, c.s_w_minus};
  for (std::int32_t k = 0; k <= last; ++k) {
    auto& r = t.rows[static_cast<size_t>(k)];
    // Binary: row 0 is class 0 (outside), row 1 class 1 (the pattern); cumulative: rows up to the cut.
    const bool pattern = p.type == WofeTableType::Binary ? k == 1 : k <= cut;
    WofeGenClass& g = pattern ? in : out;
    r.gen_class = g.gen_class;
    r.weight = g.weight;
    r.w_std = g.w_std;
    g.area += r.area;
    g.points += r.points;
  }
  t.gen = {out, in};
  t.valid = true;
  return Status::Ok();
}

Status wofe_response(const WofeResponseLayer* layers, std::int64_t n_layers, std::int64_t n,
                     const std::uint8_t* study_area, std::int64_t n_points, const WofeResponseParams& p,
                     float* posterior, float* std_weights, float* md_variance, float* total_std,
                     float* confidence, WofeResponseSummary& s) {
  if (n < 0 || n_layers < 1 || layers == nullptr) return Status::Invalid("wofe.response: no layers");
  if (!(p.unit_cells > 0) || !std::isfinite(p.unit_cells))
    return Status::Invalid("wofe.response: unit_cells must be finite and > 0");
  // Per layer: weight, variance and generalised-class index by code; generalised classes with their area
  // shares of the layer's data area (for the missing-data variance).
  struct Lookup {
    std::vector<double> weight, var;
    std::vector<std::int32_t> gen_index;
    std::vector<double> gen_weight, gen_share;
  };
  std::vector<Lookup> lk(static_cast<size_t>(n_layers));
  std::int64_t radix_product = 1;
  bool codes_fit = true;
  for (std::int64_t k = 0; k < n_layers; ++k) {
    const WofeTable* t = layers[k].table;
    if (t == nullptr || (n > 0 && layers[k].classes == nullptr))
      return Status::Invalid("wofe.response: a layer without classes or table");
    if (!t->valid)
      return Status::Invalid("wofe.response: a layer's table did not generalise (valid = false)");
    Lookup& l = lk[static_cast<size_t>(k)];
    l.weight.assign(static_cast<size_t>(t->n_classes), 0.0);
    l.var.assign(static_cast<size_t>(t->n_classes), 0.0);
    l.gen_index.assign(static_cast<size_t>(t->n_classes), -1);
    for (const auto& g : t->gen) {
      l.gen_weight.push_back(g.weight);
      l.gen_share.push_back(t->total_area > 0 ? g.area / t->total_area : 0.0);
    }
    for (const auto& r : t->rows) {
      l.weight[static_cast<size_t>(r.cls)] = r.weight;
      l.var[static_cast<size_t>(r.cls)] = r.w_std * r.w_std;
      for (size_t g = 0; g < t->gen.size(); ++g)
        if (t->gen[g].gen_class == r.gen_class)
          l.gen_index[static_cast<size_t>(r.cls)] = static_cast<std::int32_t>(g);
    }
    const std::int64_t radix = static_cast<std::int64_t>(t->gen.size()) + 1;
    if (radix_product > (std::int64_t{1} << 62) / radix)
      codes_fit = false;
    else
      radix_product *= radix;
  }
  std::int64_t cells = 0;
#pragma omp parallel for schedule(static) reduction(+ : cells)
  for (std::int64_t i = 0; i < n; ++i)
    cells += inside(study_area, i) ? 1 : 0;
  s = WofeResponseSummary{};
  s.study_area = static_cast<double>(cells) * p.unit_cells;
  s.points = n_points;
  if (n_points <= 0) return Status::Invalid("wofe.response: no training point in the study area");
  if (static_cast<double>(n_points) >= s.study_area)
    return Status::Invalid("wofe.response: as many training points as unit cells in the study area");
  s.prior_probability = static_cast<double>(n_points) / s.study_area;
  s.prior_logit = std::log(s.prior_probability / (1.0 - s.prior_probability));
  const double prior_var = 1.0 / static_cast<double>(n_points);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<std::int64_t> codes;
  if (codes_fit) codes.assign(static_cast<size_t>(n), -1);
  double expected = 0;
  bool bad_code = false;
#pragma omp parallel for schedule(static) reduction(+ : expected) reduction(|| : bad_code)
  for (std::int64_t i = 0; i < n; ++i) {
    if (!inside(study_area, i)) {
      if (posterior) posterior[i] = nan;
      if (std_weights) std_weights[i] = nan;
      if (md_variance) md_variance[i] = nan;
      if (total_std) total_std[i] = nan;
      if (confidence) confidence[i] = nan;
      continue;
    }
    double logit = s.prior_logit, var = prior_var;
    std::int64_t code = 0;
    for (std::int64_t k = 0; k < n_layers; ++k) {
      const std::int32_t c = layers[k].classes[i];
      const Lookup& l = lk[static_cast<size_t>(k)];
      std::int64_t state = 0;
      if (c >= static_cast<std::int32_t>(l.weight.size())) {
        bad_code = true;
      } else if (c >= 0) {
        logit += l.weight[static_cast<size_t>(c)];
        var += l.var[static_cast<size_t>(c)];
        state = l.gen_index[static_cast<size_t>(c)] + 1;
      }
      code = code * (static_cast<std::int64_t>(l.gen_weight.size()) + 1) + state;
    }
    const double prob = 1.0 / (1.0 + std::exp(-logit));
    const double sw =
        p.std_method == WofeStd::ArcSdm ? std::sqrt(prob * prob * var) : prob * (1.0 - prob) * std::sqrt(var);
    double md = 0;
    if (p.missing_variance)
      for (std::int64_t k = 0; k < n_layers; ++k) {
        const std::int32_t c = layers[k].classes[i];
        if (c >= 0) continue;
        const Lookup& l = lk[static_cast<size_t>(k)];
        for (size_t g = 0; g < l.gen_weight.size(); ++g) {
          const double pg = 1.0 / (1.0 + std::exp(-(logit + l.gen_weight[g])));
          md += (pg - prob) * (pg - prob) * l.gen_share[g];
        }
      }
    const double ts = std::sqrt(sw * sw + md);
    if (posterior) posterior[i] = static_cast<float>(prob);
    if (std_weights) std_weights[i] = static_cast<float>(sw);
    if (md_variance) md_variance[i] = static_cast<float>(md);
    if (total_std) total_std[i] = static_cast<float>(ts);
    if (confidence) confidence[i] = ts > 0 ? static_cast<float>(prob / ts) : nan;
    expected += prob * p.unit_cells;
    if (codes_fit) codes[static_cast<size_t>(i)] = code;
  }
  if (bad_code) return Status::Invalid("wofe.response: a class code is beyond the layer's table");
  s.expected_points = expected;
  if (codes_fit) {
    // Agterberg & Cheng (2002): cells of one condition share P and s(P); conditions are independent.
    std::vector<std::pair<std::int64_t, std::int64_t>> cond; // (code, cell)
    cond.reserve(static_cast<size_t>(cells));
    for (std::int64_t i = 0; i < n; ++i)
      if (codes[static_cast<size_t>(i)] >= 0) cond.emplace_back(codes[static_cast<size_t>(i)], i);
    std::sort(cond.begin(), cond.end());
    double var_t = 0;
    for (size_t a = 0; a < cond.size();) {
      size_t b = a;
      while (b < cond.size() && cond[b].first == cond[a].first)
        ++b;
      // Recompute the condition's s(P) from its first cell (identical for every cell of it).
      const std::int64_t i = cond[a].second;
      double logit = s.prior_logit, var = prior_var;
      for (std::int64_t k = 0; k < n_layers; ++k) {
        const std::int32_t c = layers[k].classes[i];
        if (c < 0) continue;
        logit += lk[static_cast<size_t>(k)].weight[static_cast<size_t>(c)];
        var += lk[static_cast<size_t>(k)].var[static_cast<size_t>(c)];
      }
      const double prob = 1.0 / (1.0 + std::exp(-logit));
      const double sw = p.std_method == WofeStd::ArcSdm ? std::sqrt(prob * prob * var)
                                                        : prob * (1.0 - prob) * std::sqrt(var);
      const double area = static_cast<double>(b - a) * p.unit_cells;
      var_t += area * area * sw * sw;
      ++s.unique_conditions;
      a = b;
    }
    s.s_expected = std::sqrt(var_t);
    s.ci_z = s.s_expected > 0 ? (s.expected_points - static_cast<double>(n_points)) / s.s_expected : 0.0;
    s.ci_p_value = 0.5 * std::erfc(s.ci_z / std::sqrt(2.0));
  }
  s.ci_ratio = s.expected_points > 0 ? static_cast<double>(n_points) / s.expected_points : 0.0;
  return Status::Ok();
}

Status wofe_pair_test(const std::int8_t* in_a, const std::int8_t* in_b, std::int64_t n_points,
                      WofePairTest& out) {
  if (n_points < 0 || (n_points > 0 && (in_a == nullptr || in_b == nullptr)))
    return Status::Invalid("wofe.pair_test: invalid point arrays");
  out = WofePairTest{};
  for (std::int64_t j = 0; j < n_points; ++j) {
    if (in_a[j] < 0 || in_b[j] < 0) continue;
    ++out.table[in_a[j] ? 0 : 1][in_b[j] ? 0 : 1];
    ++out.points;
  }
  const double n = static_cast<double>(out.points);
  double row[2], col[2];
  for (int r = 0; r < 2; ++r) {
    row[r] = static_cast<double>(out.table[r][0] + out.table[r][1]);
    col[r] = static_cast<double>(out.table[0][r] + out.table[1][r]);
  }
  if (row[0] == 0 || row[1] == 0 || col[0] == 0 || col[1] == 0)
    return Status::Invalid("wofe.pair_test: a pattern holds all or none of the points: no test");
  double chi = 0;
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 2; ++c) {
      const double e = row[r] * col[c] / n;
      const double d = static_cast<double>(out.table[r][c]) - e;
      chi += d * d / e;
    }
  out.chi_square = chi;
  out.p_value = 1.0 - chi_square_cdf(chi, 1.0);
  return Status::Ok();
}

} // namespace prospector::kernels
