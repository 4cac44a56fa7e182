#include "kernels/wofe/weights.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace prospector::kernels;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// 10 x 10 grid (100 unit cells), 10 deposits; binary evidence B = rows 0-1 (cells 0..19, 20 cells).
// Deposits at cells 0..5 (6 inside B) and 50, 60, 70, 80 (4 outside).
struct Binary {
  std::vector<std::uint8_t> evidence = std::vector<std::uint8_t>(100, 0);
  std::vector<std::uint8_t> deposits = std::vector<std::uint8_t>(100, 0);
  std::vector<std::int32_t> classes = std::vector<std::int32_t>(100, -7);
  Binary() {
    for (int i = 0; i < 20; ++i)
      evidence[i] = 1;
    const std::int64_t dep[10] = {0, 1, 2, 3, 4, 5, 50, 60, 70, 80};
    std::int64_t dup = -1;
    REQUIRE(deposit_mask_from_indices(dep, 10, 100, deposits.data(), dup).ok);
    CHECK(dup == 0);
    REQUIRE(classes_from_mask(evidence.data(), 100, classes.data()).ok);
  }
};

} // namespace

TEST_CASE("wofe: hand-worked binary example", "[wofe]") {
  Binary b;
  WofeWeights w;
  REQUIRE(wofe_weights(b.classes.data(), 100, 2, b.deposits.data(), nullptr, WofeParams{}, w).ok);
  REQUIRE(w.classes.size() == 2);
  CHECK(w.cells == 100);
  CHECK(w.deposits == 10);
  const WofeClassWeights& B = w.classes[1];
  CHECK(B.cells == 20);
  CHECK(B.deposits == 6);
  CHECK(B.flags == 0u);
  // N(B∩D) = 6, N(B∩~D) = 14, N(~B∩D) = 4, N(~B∩~D) = 76; N(D) = 10, N(~D) = 90.
  // W+ = ln[(6/10) / (14/90)] = ln(0.6 / 0.155556) = ln(3.857143) = 1.349927
  // W- = ln[(4/10) / (76/90)] = ln(0.4 / 0.844444) = ln(0.473684) = -0.747214
  // C = 1.349927 + 0.747214 = 2.097141
  // s2(W+) = 1/6 + 1/14 = 0.238095 -> s(W+) = 0.487950
  // s2(W-) = 1/4 + 1/76 = 0.263158 -> s(W-) = 0.512989
  // s(C) = sqrt(0.238095 + 0.263158) = sqrt(0.501253) = 0.707992;  C / s(C) = 2.097141 / 0.707992 = 2.962096
  CHECK(B.w_plus == Approx(1.349927).epsilon(1e-6));
  CHECK(B.w_minus == Approx(-0.747214).epsilon(1e-6));
  CHECK(B.contrast == Approx(2.097141).epsilon(1e-6));
  CHECK(B.s_w_plus == Approx(0.487950).epsilon(1e-6));
  CHECK(B.s_w_minus == Approx(0.512989).epsilon(1e-6));
  CHECK(B.s_contrast == Approx(0.707992).epsilon(1e-6));
  CHECK(B.studentized == Approx(2.962096).epsilon(1e-6));
  // Class 0 (~B) against the rest is the mirror image: its W+ is W- of B and vice versa.
  CHECK(w.classes[0].cells == 80);
  CHECK(w.classes[0].deposits == 4);
  CHECK(w.classes[0].w_plus == Approx(B.w_minus).epsilon(1e-12));
  CHECK(w.classes[0].w_minus == Approx(B.w_plus).epsilon(1e-12));
  CHECK(w.classes[0].s_w_plus == Approx(B.s_w_minus).epsilon(1e-12));
}

TEST_CASE("wofe: posterior and variance of the binary example", "[wofe]") {
  Binary b;
  WofeWeights w;
  REQUIRE(wofe_weights(b.classes.data(), 100, 2, b.deposits.data(), nullptr, WofeParams{}, w).ok);
  std::vector<float> post(100, -1.0f), var(100, -1.0f);
  WofeLayer layer{b.classes.data(), &w};
  WofePosteriorSummary s;
  REQUIRE(wofe_posterior(&layer, 1, 100, b.deposits.data(), nullptr, post.data(), var.data(), s).ok);
  CHECK(s.cells == 100);
  CHECK(s.deposits == 10);
  CHECK(s.prior_logit == Approx(std::log(10.0 / 90.0)).epsilon(1e-14));
  CHECK(s.prior_variance == Approx(0.1).epsilon(1e-14));
  // With one layer the posterior reproduces the conditional frequencies exactly:
  // odds(B) = (10/90) * 3.857143 = 0.428571 -> P = 6/20 = 0.3; odds(~B) = (10/90) * 0.473684 -> P = 4/80 =
  // 0.05. var(P) = (P (1-P))^2 (1/N(D) + s2(W)): inside (0.21)^2 (0.1 + 0.238095) = 0.0441 * 0.338095 =
  // 0.014910, outside (0.0475)^2 (0.1 + 0.263158) = 0.00225625 * 0.363158 = 0.000819375.
  for (int i = 0; i < 100; ++i) {
    INFO(i);
    CHECK(post[i] == Approx(i < 20 ? 0.3 : 0.05).epsilon(1e-6));
    CHECK(var[i] == Approx(i < 20 ? 0.014910 : 0.000819375).epsilon(1e-5));
  }

  // Agterberg-Cheng: T = 20 * 0.3 + 80 * 0.05 = 10 = n, so z = 0, p = 0.5 and n/T = 1.
  // s2(T) = 20^2 * 0.014910 + 80^2 * 0.000819375 = 5.964 + 5.244 = 11.208 -> s(T) = 3.347835.
  WofeCiScratch scratch;
  WofeCiTest ci;
  REQUIRE(wofe_ci_test(&layer, 1, 100, b.deposits.data(), nullptr, scratch, ci).ok);
  CHECK(ci.deposits == 10);
  CHECK(ci.unique_conditions == 2);
  CHECK(ci.expected == Approx(10.0).epsilon(1e-12));
  CHECK(ci.s_expected == Approx(3.347835).epsilon(1e-6));
  CHECK(ci.z == Approx(0.0).margin(1e-12));
  CHECK(ci.p_value == Approx(0.5).epsilon(1e-9));
  CHECK(ci.ratio == Approx(1.0).epsilon(1e-12));
}

TEST_CASE("wofe: conditional-independence test detects a duplicated layer", "[wofe]") {
  Binary b;
  WofeWeights w;
  REQUIRE(wofe_weights(b.classes.data(), 100, 2, b.deposits.data(), nullptr, WofeParams{}, w).ok);
  // The same layer twice violates conditional independence as badly as possible.
  // odds(B) = (1/9) (27/7)^2 = 1.653061 -> P = 0.623077; odds(~B) = (1/9) (9/19)^2 = 0.024931 -> P =
  // 0.024324; T = 20 * 0.623077 + 80 * 0.024324 = 14.407484 > n = 10, n/T = 0.694084. s2(T) = 20^2 (P(1-P))^2
  // (0.1 + 2 * 0.238095) + 80^2 (P(1-P))^2 (0.1 + 2 * 0.263158) -> s(T) = 3.869073, z = 4.407484 / 3.869073
  // = 1.139158, one-sided p = 0.127319 (numbers checked with python's math module).
  WofeLayer layers[2] = {{b.classes.data(), &w}, {b.classes.data(), &w}};
  WofeCiScratch scratch;
  WofeCiTest ci;
  REQUIRE(wofe_ci_test(layers, 2, 100, b.deposits.data(), nullptr, scratch, ci).ok);
  CHECK(ci.unique_conditions == 2);
  CHECK(ci.expected == Approx(14.407484).epsilon(1e-6));
  CHECK(ci.ratio == Approx(0.694084).epsilon(1e-6));
  CHECK(ci.s_expected == Approx(3.869073).epsilon(1e-6));
  CHECK(ci.z == Approx(1.139158).epsilon(1e-6));
  CHECK(ci.p_value == Approx(0.127319).epsilon(1e-5));

  // T agrees with the sum of the posterior grid.
  std::vector<float> post(100);
  WofePosteriorSummary s;
  REQUIRE(wofe_posterior(layers, 2, 100, b.deposits.data(), nullptr, post.data(), nullptr, s).ok);
  double t = 0.0;
  for (float p : post)
    t += p;
  CHECK(t == Approx(ci.expected).epsilon(1e-6));
}

namespace {

// The binary example with all 10 deposits inside B (cells 0..9), none outside.
Binary perfectly_correlated() {
  Binary b;
  std::fill(b.deposits.begin(), b.deposits.end(), std::uint8_t{0});
  for (int i = 0; i < 10; ++i)
    b.deposits[i] = 1;
  return b;
}

} // namespace

TEST_CASE("wofe: a class without deposits gets W+ = 0, flagged, by default (ArcSDM)", "[wofe]") {
  Binary b = perfectly_correlated();
  WofeWeights w;
  REQUIRE(wofe_weights(b.classes.data(), 100, 2, b.deposits.data(), nullptr, WofeParams{}, w).ok);
  // B: N(B∩D) = 10, N(B∩~D) = 10, N(~B∩D) = 0, N(~B∩~D) = 80; N(D) = 10, N(~D) = 90.
  // W+ = ln[(10/10) / (10/90)] = ln 9 = 2.197225, s(W+) = sqrt(1/10 + 1/10) = 0.447214. No deposit outside
  // B: W- = s(W-) = 0 and C = s(C) = C/s(C) = 0.
  const WofeClassWeights& B = w.classes[1];
  CHECK(B.flags == static_cast<std::uint32_t>(kWofeAllDeposits | kWofeZeroWMinus));
  CHECK(B.w_plus == Approx(2.197225).epsilon(1e-6));
  CHECK(B.s_w_plus == Approx(0.447214).epsilon(1e-6));
  CHECK(B.w_minus == 0.0);
  CHECK(B.s_w_minus == 0.0);
  CHECK(B.contrast == 0.0);
  CHECK(B.s_contrast == 0.0);
  CHECK(B.studentized == 0.0);
  // ~B holds no deposit: W+ = s(W+) = 0 (the weight the posterior adds), C = 0; its W- is B's W+.
  const WofeClassWeights& notB = w.classes[0];
  CHECK(notB.deposits == 0);
  CHECK(notB.flags == static_cast<std::uint32_t>(kWofeNoDeposits | kWofeZeroWPlus));
  CHECK(notB.w_plus == 0.0);
  CHECK(notB.s_w_plus == 0.0);
  CHECK(notB.contrast == 0.0);
  CHECK(notB.studentized == 0.0);
  CHECK(notB.w_minus == Approx(2.197225).epsilon(1e-6));
  CHECK(notB.s_w_minus == Approx(0.447214).epsilon(1e-6));

  // Posterior: prior logit ln(10/90); inside B ln(1/9) + ln 9 = 0 -> P = 0.5 = 10/20, the class frequency;
  // outside B the class adds nothing -> P = the prior 0.1, var(P) = (0.1 * 0.9)^2 * (1/10 + 0) = 0.00081.
  std::vector<float> post(100), var(100);
  WofeLayer layer{b.classes.data(), &w};
  WofePosteriorSummary s;
  REQUIRE(wofe_posterior(&layer, 1, 100, b.deposits.data(), nullptr, post.data(), var.data(), s).ok);
  CHECK(post[0] == Approx(0.5).epsilon(1e-6));
  CHECK(post[50] == Approx(0.1).epsilon(1e-6));
  CHECK(var[50] == Approx(0.00081).epsilon(1e-5));
}

TEST_CASE("wofe: zero_class continuity gives the corrected weights", "[wofe]") {
  Binary b = perfectly_correlated();
  WofeParams p;
  p.zero_class = WofeZeroClass::Continuity;
  WofeWeights w;
  REQUIRE(wofe_weights(b.classes.data(), 100, 2, b.deposits.data(), nullptr, p, w).ok);
  const WofeClassWeights& B = w.classes[1];
  CHECK(B.flags == static_cast<std::uint32_t>(kWofeAllDeposits | kWofeCorrected));
  CHECK(w.classes[0].flags == static_cast<std::uint32_t>(kWofeNoDeposits | kWofeCorrected));
  // N(~B∩D) = 0 is replaced by 0.5: a = 10, b = 10, c = 0.5, d = 80, N(D) = 10.5, N(~D) = 90.
  // W+ = ln[(10/10.5) / (10/90)] = ln(8.571429) = 2.148434;  W- = ln[(0.5/10.5) / (80/90)] = ln(0.053571) =
  // -2.926739;  s2(W+) = 1/10 + 1/10 = 0.2, s2(W-) = 1/0.5 + 1/80 = 2.0125;  C = 5.075174,
  // s(C) = sqrt(2.2125) = 1.487447, C / s(C) = 3.412002.
  CHECK(B.w_plus == Approx(2.148434).epsilon(1e-6));
  CHECK(B.w_minus == Approx(-2.926739).epsilon(1e-6));
  CHECK(B.s_w_minus == Approx(std::sqrt(2.0125)).epsilon(1e-12));
  CHECK(B.contrast == Approx(5.075174).epsilon(1e-6));
  CHECK(B.s_contrast == Approx(1.487447).epsilon(1e-6));
  CHECK(B.studentized == Approx(3.412002).epsilon(1e-6));
  // The class without deposits gets a large negative weight of its own: W+ of ~B = W- of B.
  CHECK(w.classes[0].w_plus == Approx(-2.926739).epsilon(1e-6));
  CHECK(w.classes[0].w_plus == Approx(B.w_minus).epsilon(1e-12));
  for (const auto& c : w.classes) {
    CHECK(std::isfinite(c.w_plus));
    CHECK(std::isfinite(c.w_minus));
    CHECK(std::isfinite(c.contrast));
    CHECK(std::isfinite(c.s_contrast));
    CHECK(std::isfinite(c.studentized));
  }
  std::vector<float> post(100), var(100);
  WofeLayer layer{b.classes.data(), &w};
  WofePosteriorSummary s;
  REQUIRE(wofe_posterior(&layer, 1, 100, b.deposits.data(), nullptr, post.data(), var.data(), s).ok);
  for (int i = 0; i < 100; ++i) {
    CHECK(post[i] >= 0.0f);
    CHECK(post[i] <= 1.0f);
    CHECK(std::isfinite(var[i]));
  }
  CHECK(post[0] > post[50]);

  // A larger continuity correction moves W- toward 0.
  p.continuity = 1.0;
  WofeWeights w1;
  REQUIRE(wofe_weights(b.classes.data(), 100, 2, b.deposits.data(), nullptr, p, w1).ok);
  CHECK(w1.classes[1].w_minus == Approx(std::log((1.0 / 11.0) / (80.0 / 90.0))).epsilon(1e-12));
}

TEST_CASE("wofe: generalised weights of multi-class evidence", "[wofe]") {
  // 4 x 11 = 44 cells: class 0 on 20 cells (1 deposit), class 1 on 12 cells (3 deposits), class 2 on 6
  // cells (2 deposits), class 3 on 4 cells (no deposit), 2 nodata cells (one with a deposit, ignored);
  // class 4 has no cell. N(T) = 42, N(D) = 6, N(~D) = 36.
  std::vector<float> grid;
  std::vector<std::uint8_t> dep;
  auto add = [&](float code, int cells, int deposits) {
    for (int i = 0; i < cells; ++i) {
      grid.push_back(code);
      dep.push_back(i < deposits ? 1 : 0);
    }
  };
  add(0, 20, 1);
  add(1, 12, 3);
  add(2, 6, 2);
  add(3, 4, 0);
  add(kNaN, 1, 1);
  add(-1, 1, 0);
  REQUIRE(grid.size() == 44);
  std::vector<std::int32_t> classes(44);
  std::int32_t n_classes = 0;
  REQUIRE(classes_from_grid(grid.data(), 44, classes.data(), n_classes).ok);
  CHECK(n_classes == 4);
  CHECK(classes[42] == -1);
  CHECK(classes[43] == -1);

  WofeWeights w;
  REQUIRE(wofe_weights(classes.data(), 44, 5, dep.data(), nullptr, WofeParams{}, w).ok);
  CHECK(w.cells == 42);
  CHECK(w.deposits == 6);
  // W_j = ln[P(B_j|D) / P(B_j|~D)], s2(W_j) = 1/N(B_j∩D) + 1/N(B_j∩~D):
  //   W_0 = ln[(1/6) / (19/36)] = ln(0.315789) = -1.152680,   s2 = 1 + 1/19 = 1.052632
  //   W_1 = ln[(3/6) / (9/36)] = ln 2 = 0.693147,              s2 = 1/3 + 1/9 = 0.444444
  //   W_2 = ln[(2/6) / (4/36)] = ln 3 = 1.098612,              s2 = 1/2 + 1/4 = 0.75
  //   W_3: N(B_3∩D) = 0 -> 0 with s2 = 0 (ArcSDM); its W- = ln[(6/6) / (32/36)] = ln 1.125 = 0.117783
  const double W[4] = {-1.152680, 0.693147, 1.098612, 0.0};
  const double S2[4] = {1.0 + 1.0 / 19.0, 1.0 / 3.0 + 1.0 / 9.0, 0.75, 0.0};
  for (int j = 0; j < 4; ++j) {
    INFO(j);
    CHECK(w.classes[j].w_plus == Approx(W[j]).epsilon(1e-6));
    CHECK(w.classes[j].s_w_plus * w.classes[j].s_w_plus == Approx(S2[j]).epsilon(1e-6));
  }
  CHECK(w.classes[3].w_minus == Approx(0.117783).epsilon(1e-6));
  CHECK(w.classes[3].contrast == 0.0);
  CHECK(w.classes[0].flags == 0u);
  CHECK(w.classes[3].flags == static_cast<std::uint32_t>(kWofeNoDeposits | kWofeZeroWPlus));
  CHECK(w.classes[4].flags == static_cast<std::uint32_t>(kWofeEmptyClass));
  {
    // With the continuity correction: N(B_3∩D) = 0 -> 0.5, N(D) -> 6.5:
    //   W_3 = ln[(0.5/6.5) / (4/36)] = ln(0.692308) = -0.367725, s2 = 1/0.5 + 1/4 = 2.25,
    //   W- = ln[(6/6.5) / (32/36)] = ln(1.038462) = 0.037740.
    WofeParams p;
    p.zero_class = WofeZeroClass::Continuity;
    WofeWeights wc;
    REQUIRE(wofe_weights(classes.data(), 44, 5, dep.data(), nullptr, p, wc).ok);
    CHECK(wc.classes[3].w_plus == Approx(-0.367725).epsilon(1e-6));
    CHECK(wc.classes[3].s_w_plus * wc.classes[3].s_w_plus == Approx(2.25).epsilon(1e-12));
    CHECK(wc.classes[3].w_minus == Approx(0.037740).epsilon(1e-5));
    CHECK(wc.classes[3].flags == static_cast<std::uint32_t>(kWofeNoDeposits | kWofeCorrected));
    for (int j = 0; j < 3; ++j)
      CHECK(wc.classes[j].w_plus == Approx(W[j]).epsilon(1e-6));
  }
  CHECK(w.classes[4].w_plus == 0.0);
  CHECK(w.classes[4].cells == 0);

  // Posterior: with one layer, P(D | class j) = N(B_j∩D) / N(B_j) for classes with deposits
  // (1/20, 3/12, 2/6); nodata cells get the prior 6/42; everything in [0, 1].
  std::vector<float> post(44);
  WofeLayer layer{classes.data(), &w};
  WofePosteriorSummary s;
  REQUIRE(wofe_posterior(&layer, 1, 44, dep.data(), nullptr, post.data(), nullptr, s).ok);
  CHECK(s.cells == 44); // the posterior's study area is the whole grid here
  CHECK(s.deposits == 7);
  for (float p : post) {
    CHECK(p >= 0.0f);
    CHECK(p <= 1.0f);
  }
  // Prior odds over the 44-cell study area are 7/37; the weights were fitted on 42 cells (odds 6/36), so
  // the class posteriors differ from the class frequencies by that ratio of odds.
  const double ratio = (7.0 / 37.0) / (6.0 / 36.0);
  auto expect = [&](double freq) {
    const double odds = freq / (1.0 - freq) * ratio;
    return odds / (1.0 + odds);
  };
  CHECK(post[0] == Approx(expect(1.0 / 20.0)).epsilon(1e-6));
  CHECK(post[20] == Approx(expect(3.0 / 12.0)).epsilon(1e-6));
  CHECK(post[32] == Approx(expect(2.0 / 6.0)).epsilon(1e-6));
  CHECK(post[42] == Approx(7.0 / 44.0).epsilon(1e-6));

  // Restricting the study area to the valid cells gives the class frequencies exactly.
  std::vector<std::uint8_t> area(44, 1);
  area[42] = area[43] = 0;
  REQUIRE(wofe_weights(classes.data(), 44, 5, dep.data(), area.data(), WofeParams{}, w).ok);
  std::vector<float> var(44);
  REQUIRE(wofe_posterior(&layer, 1, 44, dep.data(), area.data(), post.data(), var.data(), s).ok);
  CHECK(s.cells == 42);
  CHECK(post[0] == Approx(1.0 / 20.0).epsilon(1e-6));
  CHECK(post[20] == Approx(3.0 / 12.0).epsilon(1e-6));
  CHECK(post[32] == Approx(2.0 / 6.0).epsilon(1e-6));
  CHECK(post[38] == Approx(6.0 / 42.0).epsilon(1e-6)); // class 3, no deposit: W = 0, the prior
  CHECK(std::isnan(post[42]));
  CHECK(std::isnan(var[43]));
}

TEST_CASE("wofe: invalid input", "[wofe]") {
  Binary b;
  WofeWeights w;
  std::vector<std::uint8_t> none(100, 0), all(100, 1);
  CHECK_FALSE(wofe_weights(b.classes.data(), 100, 2, none.data(), nullptr, WofeParams{}, w).ok);
  CHECK_FALSE(wofe_weights(b.classes.data(), 100, 2, all.data(), nullptr, WofeParams{}, w).ok);
  CHECK_FALSE(
      wofe_weights(b.classes.data(), 100, 1, b.deposits.data(), nullptr, WofeParams{}, w).ok); // code 1
  CHECK_FALSE(wofe_weights(b.classes.data(), 100, 0, b.deposits.data(), nullptr, WofeParams{}, w).ok);
  WofeParams p;
  p.continuity = 0.0;
  CHECK_FALSE(wofe_weights(b.classes.data(), 100, 2, b.deposits.data(), nullptr, p, w).ok);
  p.continuity = 0.5;
  p.zero_class = static_cast<WofeZeroClass>(7);
  CHECK_FALSE(wofe_weights(b.classes.data(), 100, 2, b.deposits.data(), nullptr, p, w).ok);

  std::int64_t dup = 0;
  std::vector<std::uint8_t> mask(100);
  const std::int64_t twice[3] = {3, 7, 3};
  REQUIRE(deposit_mask_from_indices(twice, 3, 100, mask.data(), dup).ok);
  CHECK(dup == 1);
  CHECK(mask[3] == 1);
  CHECK(mask[7] == 1);
  CHECK(mask[4] == 0);
  const std::int64_t outside[1] = {100};
  CHECK_FALSE(deposit_mask_from_indices(outside, 1, 100, mask.data(), dup).ok);

  const float frac[2] = {1.5f, 0.0f};
  std::int32_t cls[2];
  std::int32_t nc = 0;
  CHECK_FALSE(classes_from_grid(frac, 2, cls, nc).ok);

  // Posterior with weights that do not cover the class codes.
  REQUIRE(wofe_weights(b.classes.data(), 100, 2, b.deposits.data(), nullptr, WofeParams{}, w).ok);
  std::vector<std::int32_t> bad = b.classes;
  bad[0] = 5;
  WofeLayer layer{bad.data(), &w};
  std::vector<float> post(100);
  WofePosteriorSummary s;
  CHECK_FALSE(wofe_posterior(&layer, 1, 100, b.deposits.data(), nullptr, post.data(), nullptr, s).ok);
  WofeCiScratch scratch;
  WofeCiTest ci;
  CHECK_FALSE(wofe_ci_test(&layer, 1, 100, b.deposits.data(), nullptr, scratch, ci).ok);
  WofeLayer empty{b.classes.data(), nullptr};
  CHECK_FALSE(wofe_posterior(&empty, 1, 100, b.deposits.data(), nullptr, post.data(), nullptr, s).ok);
}
