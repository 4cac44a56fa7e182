#include "kernels/wofe/table.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

using namespace prospector::kernels;

namespace {

// ArcSDM's W+, W- and deviations of one pattern (b unit cells, db points) in a study area of s unit
// cells and ds points, written out from Bonham-Carter (1994), eqs. 9-8 to 9-13, without traps.
struct Ref {
  double wp, sp, wm, sm, c, sc, stud;
};
Ref ref(double s, double b, double ds, double db) {
  Ref r;
  r.wp = std::log((db / ds) / ((b - db) / (s - ds)));
  r.wm = std::log(((ds - db) / ds) / ((s - b - ds + db) / (s - ds)));
  const double vp = 1 / db + 1 / (b - db), vm = 1 / (ds - db) + 1 / (s - b - ds + db);
  r.sp = std::sqrt(vp);
  r.sm = std::sqrt(vm);
  r.c = r.wp - r.wm;
  r.sc = std::sqrt(vp + vm);
  r.stud = r.c / r.sc;
  return r;
}

void check_row(const WofeTableRow& row, const Ref& r) {
  CHECK(row.w_plus == Approx(r.wp).epsilon(1e-12));
  CHECK(row.s_w_plus == Approx(r.sp).epsilon(1e-12));
  CHECK(row.w_minus == Approx(r.wm).epsilon(1e-12));
  CHECK(row.s_w_minus == Approx(r.sm).epsilon(1e-12));
  CHECK(row.contrast == Approx(r.c).epsilon(1e-12));
  CHECK(row.s_contrast == Approx(r.sc).epsilon(1e-12));
  CHECK(row.studentized == Approx(r.stud).epsilon(1e-12));
}

// A 1-D layer of 1000 cells in 5 classes (codes 0..4, 200 cells each) with 40 training points:
// 16, 12, 6, 4, 2 points in classes 0..4 (low codes favourable, like distance to a fault).
struct Layer {
  std::vector<std::int32_t> classes = std::vector<std::int32_t>(1000);
  std::vector<std::int64_t> points;
  Layer() {
    for (int i = 0; i < 1000; ++i)
      classes[static_cast<size_t>(i)] = i / 200;
    const int per_class[5] = {16, 12, 6, 4, 2};
    for (int c = 0; c < 5; ++c)
      for (int j = 0; j < per_class[c]; ++j)
        points.push_back(c * 200 + j * 3);
  }
};

WofeTable table_of(const Layer& l, const WofeTableParams& p) {
  WofeClassCounts counts;
  REQUIRE(wofe_count_classes(l.classes.data(), 1000, 5, nullptr, l.points.data(),
                             static_cast<std::int64_t>(l.points.size()), counts)
              .ok);
  WofeTable t;
  REQUIRE(wofe_table(counts, p, t).ok);
  return t;
}

} // namespace

TEST_CASE("wofe.table: pattern weights follow ArcSDM's MakeWts and its traps", "[wofe]") {
  WofeTableRow r;
  wofe_pattern_weights(100, 20, 10, 6, WofeTraps::ArcSdm, r);
  check_row(r, ref(100, 20, 10, 6));
  CHECK(r.flags == 0);
  // No point in the pattern: every weight 0.
  wofe_pattern_weights(100, 20, 10, 0, WofeTraps::ArcSdm, r);
  CHECK(r.flags == kWofeRowNoPoints);
  CHECK(r.w_plus == 0);
  CHECK(r.w_minus == 0);
  CHECK(r.studentized == 0);
  // Every point in the pattern: 0.99 of a point moves out.
  wofe_pattern_weights(100, 20, 10, 10, WofeTraps::ArcSdm, r);
  CHECK(r.flags == kWofeRowAllPoints);
  check_row(r, ref(100, 20, 10, 10 - 0.99));
  // The pattern is the whole area: b = s + db - ds - 0.01 after db -= 0.99.
  wofe_pattern_weights(100, 100, 10, 10, WofeTraps::ArcSdm, r);
  CHECK(r.flags == (kWofeRowAllPoints | kWofeRowAreaAdjusted));
  check_row(r, ref(100, 100 + 9.01 - 10 - 0.01, 10, 9.01));
}

TEST_CASE("wofe.table: EIS Toolkit's traps", "[wofe]") {
  WofeTableRow r;
  wofe_pattern_weights(100, 20, 10, 6, WofeTraps::EisToolkit, r);
  check_row(r, ref(100, 20, 10, 6)); // no zero count: the same weights
  wofe_pattern_weights(100, 20, 10, 10, WofeTraps::EisToolkit, r);
  CHECK(r.flags == kWofeRowAllPoints);
  // A = 10 - 0.99 over N(D) = 10, B = 0.99; C = 10 over N(~D) = 90, D = 80.
  const double pa = 9.01 / 10, pc = 10.0 / 90;
  CHECK(r.w_plus == Approx(std::log(pa / pc)).epsilon(1e-12));
  CHECK(r.w_minus == Approx(std::log((1 - pa) / (1 - pc))).epsilon(1e-12));
  CHECK(r.s_w_plus == Approx(std::sqrt(1 / 9.01 + 1 / 10.0)).epsilon(1e-12));
  CHECK(r.s_w_minus == Approx(std::sqrt(1 / 0.99 + 1 / 80.0)).epsilon(1e-12));
}

TEST_CASE("wofe.table: cumulative ascending table and its generalisation at maximum contrast", "[wofe]") {
  Layer l;
  WofeTableParams p;
  p.type = WofeTableType::Ascending;
  const WofeTable t = table_of(l, p);
  REQUIRE(t.rows.size() == 5);
  CHECK(t.total_area == 1000);
  CHECK(t.total_points == 40);
  const double acc_pts[5] = {16, 28, 34, 38, 40};
  double best_c = -1e300;
  int best = -1;
  for (int k = 0; k < 5; ++k) {
    const auto& r = t.rows[static_cast<size_t>(k)];
    CHECK(r.cls == k);
    CHECK(r.pattern_area == 200.0 * (k + 1));
    CHECK(r.pattern_points == acc_pts[k]);
    if (k < 4) {
      const Ref e = ref(1000, 200.0 * (k + 1), 40, acc_pts[k]);
      check_row(r, e);
      if (e.stud >= 2 && e.c > best_c) {
        best_c = e.c;
        best = k;
      }
    }
  }
  REQUIRE(t.valid);
  REQUIRE(best >= 0);
  CHECK(t.cutoff_row == best);
  const Ref e = ref(1000, 200.0 * (best + 1), 40, acc_pts[best]);
  for (int k = 0; k < 5; ++k) {
    const auto& r = t.rows[static_cast<size_t>(k)];
    CHECK(r.gen_class == (k <= best ? 2 : 1));
    CHECK(r.weight == Approx(k <= best ? e.wp : e.wm).epsilon(1e-12));
    CHECK(r.w_std == Approx(k <= best ? e.sp : e.sm).epsilon(1e-12));
  }
  REQUIRE(t.gen.size() == 2);
  CHECK(t.gen[1].gen_class == 2);
  CHECK(t.gen[1].area == 200.0 * (best + 1));
  CHECK(t.gen[1].points == acc_pts[best]);
  CHECK(t.gen[0].area + t.gen[1].area == 1000);
}

TEST_CASE("wofe.table: descending, maximum studentized contrast and a manual cutoff", "[wofe]") {
  Layer l;
  // Reverse the codes so high codes are favourable: class 4 holds 16 points, class 0 holds 2.
  for (auto& c : l.classes)
    c = 4 - c;
  WofeTableParams p;
  p.type = WofeTableType::Descending;
  p.generalise = WofeGeneralise::MaxStudentized;
  const WofeTable t = table_of(l, p);
  REQUIRE(t.rows.size() == 5);
  CHECK(t.rows[0].cls == 4);
  CHECK(t.rows[4].cls == 0);
  const double acc_pts[5] = {16, 28, 34, 38, 40};
  int best = -1;
  double best_s = -1e300;
  for (int k = 0; k < 4; ++k) {
    const Ref e = ref(1000, 200.0 * (k + 1), 40, acc_pts[k]);
    check_row(t.rows[static_cast<size_t>(k)], e);
    if (e.stud >= 2 && e.stud > best_s) {
      best_s = e.stud;
      best = k;
    }
  }
  REQUIRE(t.valid);
  CHECK(t.cutoff_row == best);

  p.generalise = WofeGeneralise::Manual;
  p.cutoff_class = 3; // rows of classes 4 and 3 inside
  const WofeTable m = table_of(l, p);
  REQUIRE(m.valid);
  CHECK(m.cutoff_row == 1);
  const Ref e = ref(1000, 400, 40, 28);
  CHECK(m.rows[0].weight == Approx(e.wp).epsilon(1e-12));
  CHECK(m.rows[1].weight == Approx(e.wp).epsilon(1e-12));
  CHECK(m.rows[2].weight == Approx(e.wm).epsilon(1e-12));
  // The last row's pattern is the whole layer: not a cutoff.
  p.cutoff_class = 0;
  WofeClassCounts counts;
  REQUIRE(wofe_count_classes(l.classes.data(), 1000, 5, nullptr, l.points.data(),
                             static_cast<std::int64_t>(l.points.size()), counts)
              .ok);
  WofeTable bad;
  CHECK_FALSE(wofe_table(counts, p, bad).ok);
  // A gate no row reaches leaves the table invalid (not an error).
  p.generalise = WofeGeneralise::MaxContrast;
  p.confidence = 50;
  const WofeTable none = table_of(l, p);
  CHECK_FALSE(none.valid);
  CHECK(none.cutoff_row == -1);
}

TEST_CASE("wofe.table: categorical generalisation pools classes below the confidence", "[wofe]") {
  Layer l;
  WofeTableParams p;
  p.type = WofeTableType::Categorical;
  const WofeTable t = table_of(l, p);
  REQUIRE(t.rows.size() == 5);
  const double pts[5] = {16, 12, 6, 4, 2};
  double pooled_area = 0, pooled_pts = 0;
  for (int k = 0; k < 5; ++k) {
    const Ref e = ref(1000, 200, 40, pts[k]);
    check_row(t.rows[static_cast<size_t>(k)], e);
    if (std::abs(e.stud) < 2) {
      pooled_area += 200;
      pooled_pts += pts[k];
    }
  }
  REQUIRE(pooled_area > 0);
  REQUIRE(pooled_area < 1000);
  REQUIRE(t.valid);
  const Ref pooled = ref(1000, pooled_area, 40, pooled_pts);
  for (int k = 0; k < 5; ++k) {
    const auto& r = t.rows[static_cast<size_t>(k)];
    const Ref e = ref(1000, 200, 40, pts[k]);
    if (std::abs(e.stud) >= 2) {
      CHECK(r.gen_class == k);
      CHECK(r.weight == Approx(e.wp).epsilon(1e-12));
      CHECK(r.w_std == Approx(e.sp).epsilon(1e-12));
    } else {
      CHECK(r.gen_class == 99);
      CHECK(r.weight == Approx(pooled.wp).epsilon(1e-12));
      CHECK(r.w_std == Approx(pooled.sp).epsilon(1e-12));
    }
  }
}

TEST_CASE("wofe.table: binary layers, unit area, missing data and the study area", "[wofe]") {
  // 100 cells: class 1 on cells 0..19, class 0 elsewhere, missing on 90..99; 10 points: 6 in class 1,
  // 3 in class 0, 1 on missing data; a study area excluding cells 80..89 (one point there).
  std::vector<std::int32_t> cls(100, 0);
  for (int i = 0; i < 20; ++i)
    cls[static_cast<size_t>(i)] = 1;
  for (int i = 90; i < 100; ++i)
    cls[static_cast<size_t>(i)] = -1;
  std::vector<std::uint8_t> area(100, 1);
  for (int i = 80; i < 90; ++i)
    area[static_cast<size_t>(i)] = 0;
  const std::vector<std::int64_t> pts = {0, 1, 2, 3, 4, 5, 40, 50, 60, 85, 95};
  WofeClassCounts counts;
  REQUIRE(wofe_count_classes(cls.data(), 100, 2, area.data(), pts.data(), 11, counts).ok);
  CHECK(counts.cells[0] == 60);
  CHECK(counts.cells[1] == 20);
  CHECK(counts.missing_cells == 10);
  CHECK(counts.missing_points == 1);
  CHECK(counts.outside_points == 1);
  WofeTableParams p;
  p.type = WofeTableType::Binary;
  p.unit_cells = 0.5; // two grid cells per unit cell
  p.confidence = 0;
  WofeTable t;
  REQUIRE(wofe_table(counts, p, t).ok);
  CHECK(t.total_area == 40);
  CHECK(t.total_points == 9);
  CHECK(t.missing_area == 5);
  REQUIRE(t.valid);
  const Ref e = ref(40, 10, 9, 6);
  check_row(t.rows[1], e);
  CHECK(t.rows[1].weight == Approx(e.wp).epsilon(1e-12));
  CHECK(t.rows[0].weight == Approx(e.wm).epsilon(1e-12));
  CHECK(t.rows[0].w_std == Approx(e.sm).epsilon(1e-12));
  // A binary table needs both classes.
  std::vector<std::int32_t> ones(100, 1);
  REQUIRE(wofe_count_classes(ones.data(), 100, 2, nullptr, pts.data(), 11, counts).ok);
  CHECK_FALSE(wofe_table(counts, p, t).ok);
  // Codes beyond n_classes and points off the grid are errors.
  const std::int64_t off[1] = {100};
  CHECK_FALSE(wofe_count_classes(cls.data(), 100, 2, nullptr, off, 1, counts).ok);
  CHECK_FALSE(wofe_count_classes(cls.data(), 100, 1, nullptr, pts.data(), 11, counts).ok);
}

TEST_CASE("wofe.response: posterior, deviations, missing-data variance and confidence", "[wofe]") {
  // Two binary layers on 100 cells. A: class 1 on cells 0..29. B: class 1 on even cells, missing on
  // cells 90..99. Points: 0, 2, 4, 10, 12, 31, 50, 93.
  std::vector<std::int32_t> a(100, 0), b(100, 0);
  for (int i = 0; i < 30; ++i)
    a[static_cast<size_t>(i)] = 1;
  for (int i = 0; i < 100; ++i)
    b[static_cast<size_t>(i)] = i >= 90 ? -1 : (i % 2 == 0 ? 1 : 0);
  const std::vector<std::int64_t> pts = {0, 2, 4, 10, 12, 31, 50, 93};
  WofeTableParams tp;
  tp.type = WofeTableType::Binary;
  tp.confidence = 0;
  WofeClassCounts ca, cb;
  REQUIRE(wofe_count_classes(a.data(), 100, 2, nullptr, pts.data(), 8, ca).ok);
  REQUIRE(wofe_count_classes(b.data(), 100, 2, nullptr, pts.data(), 8, cb).ok);
  WofeTable ta, tb;
  REQUIRE(wofe_table(ca, tp, ta).ok);
  REQUIRE(wofe_table(cb, tp, tb).ok);
  REQUIRE(ta.valid);
  REQUIRE(tb.valid);
  const Ref ea = ref(100, 30, 8, 5), eb = ref(90, 45, 7, 6);
  const WofeResponseLayer layers[2] = {{a.data(), &ta}, {b.data(), &tb}};
  std::vector<float> post(100), sw(100), md(100), ts(100), conf(100);
  WofeResponseSummary s;
  REQUIRE(wofe_response(layers, 2, 100, nullptr, 8, WofeResponseParams{}, post.data(), sw.data(), md.data(),
                        ts.data(), conf.data(), s)
              .ok);
  const double prior = std::log(0.08 / 0.92);
  CHECK(s.prior_logit == Approx(prior).epsilon(1e-12));
  auto sig = [](double x) { return 1 / (1 + std::exp(-x)); };
  // Cell 0: A in, B in.
  double lg = prior + ea.wp + eb.wp, pr = sig(lg);
  CHECK(post[0] == Approx(pr).epsilon(1e-6));
  CHECK(sw[0] == Approx(pr * std::sqrt(1.0 / 8 + ea.sp * ea.sp + eb.sp * eb.sp)).epsilon(1e-6));
  CHECK(md[0] == 0);
  CHECK(conf[0] == Approx(pr / (pr * std::sqrt(1.0 / 8 + ea.sp * ea.sp + eb.sp * eb.sp))).epsilon(1e-6));
  // Cell 95: A out, B missing: weight 0 and variance 0 from B, plus B's missing-data variance over its
  // two generalised classes (45 of 90 data cells each).
  lg = prior + ea.wm;
  pr = sig(lg);
  const double p_in = sig(lg + eb.wp), p_out = sig(lg + eb.wm);
  const double mdv = (p_in - pr) * (p_in - pr) * 0.5 + (p_out - pr) * (p_out - pr) * 0.5;
  const double swv = pr * std::sqrt(1.0 / 8 + ea.sm * ea.sm);
  CHECK(post[95] == Approx(pr).epsilon(1e-6));
  CHECK(sw[95] == Approx(swv).epsilon(1e-6));
  CHECK(md[95] == Approx(mdv).epsilon(1e-5));
  CHECK(ts[95] == Approx(std::sqrt(swv * swv + mdv)).epsilon(1e-6));
  // Expected points and the unique conditions (A in or out by B in or out, and A out with B missing).
  double t_sum = 0;
  for (float v : post)
    t_sum += v;
  CHECK(s.expected_points == Approx(t_sum).epsilon(1e-6));
  CHECK(s.unique_conditions == 5);
  CHECK(s.ci_ratio == Approx(8 / s.expected_points).epsilon(1e-12));
  // Delta-method deviations.
  WofeResponseParams dp;
  dp.std_method = WofeStd::Delta;
  dp.missing_variance = false;
  REQUIRE(wofe_response(layers, 2, 100, nullptr, 8, dp, post.data(), sw.data(), md.data(), ts.data(),
                        conf.data(), s)
              .ok);
  lg = prior + ea.wp + eb.wp;
  pr = sig(lg);
  CHECK(sw[0] == Approx(pr * (1 - pr) * std::sqrt(1.0 / 8 + ea.sp * ea.sp + eb.sp * eb.sp)).epsilon(1e-6));
  CHECK(md[95] == 0);
  // Results do not depend on the thread count: the per-cell work is independent and T is an ordered sum
  // only up to rounding, so compare the posterior itself.
  std::vector<float> again(100);
  REQUIRE(
      wofe_response(layers, 2, 100, nullptr, 8, dp, again.data(), nullptr, nullptr, nullptr, nullptr, s).ok);
  CHECK(again == post);
}

TEST_CASE("wofe.pair_test: chi-square of two binary patterns over the points", "[wofe]") {
  // 30 points: 10 in both, 5 in a only, 5 in b only, 10 in neither: E = 7.5 per cell, chi2 = 10/3.
  std::vector<std::int8_t> a, b;
  auto add = [&](int n, int ia, int ib) {
    for (int i = 0; i < n; ++i) {
      a.push_back(static_cast<std::int8_t>(ia));
      b.push_back(static_cast<std::int8_t>(ib));
    }
  };
  add(10, 1, 1);
  add(5, 1, 0);
  add(5, 0, 1);
  add(10, 0, 0);
  add(3, -1, 1); // missing in a: left out
  WofePairTest t;
  REQUIRE(wofe_pair_test(a.data(), b.data(), static_cast<std::int64_t>(a.size()), t).ok);
  CHECK(t.points == 30);
  CHECK(t.table[0][0] == 10);
  CHECK(t.table[1][1] == 10);
  CHECK(t.chi_square == Approx(10.0 / 3.0).epsilon(1e-12));
  CHECK(t.p_value == Approx(std::erfc(std::sqrt(10.0 / 3.0) / std::sqrt(2.0))).epsilon(1e-9));
  // Every point in one pattern: no test.
  std::vector<std::int8_t> all(30, 1);
  CHECK_FALSE(wofe_pair_test(all.data(), b.data(), 30, t).ok);
}
