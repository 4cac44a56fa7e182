#include "kernels/fuzzy/fuzzy.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace prospector::kernels;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> run(const MembershipParams& p, std::vector<float> x) {
  std::vector<float> out(x.size(), -1.0f);
  REQUIRE(membership(x.data(), out.data(), static_cast<std::int64_t>(x.size()), p).ok);
  return out;
}

MembershipParams shape(MembershipShape s, double a, double b) {
  MembershipParams p;
  p.shape = s;
  if (s == MembershipShape::Linear) {
    p.low = a;
    p.high = b;
  } else {
    p.midpoint = a;
    p.spread = b;
  }
  return p;
}

} // namespace

TEST_CASE("membership: linear ramp and its reverse", "[fuzzy.membership]") {
  auto m = run(shape(MembershipShape::Linear, 2, 4), {1, 2, 2.5f, 3, 4, 5, kNaN});
  CHECK(m[0] == 0.0f);
  CHECK(m[1] == 0.0f);
  CHECK(m[2] == 0.25f);
  CHECK(m[3] == 0.5f);
  CHECK(m[4] == 1.0f);
  CHECK(m[5] == 1.0f);
  CHECK(std::isnan(m[6]));

  auto r = run(shape(MembershipShape::Linear, 4, 2), {1, 2, 3, 3.5f, 4, 5});
  CHECK(r[0] == 1.0f);
  CHECK(r[1] == 1.0f);
  CHECK(r[2] == 0.5f);
  CHECK(r[3] == 0.25f);
  CHECK(r[4] == 0.0f);
  CHECK(r[5] == 0.0f);
}

TEST_CASE("membership: large and small", "[fuzzy.membership]") {
  // midpoint 2, spread 2: large(x) = 1 / (1 + (x/2)^-2): large(4) = 1/1.25 = 0.8, large(1) = 1/5 = 0.2.
  auto l = run(shape(MembershipShape::Large, 2, 2), {2, 4, 1, 0, -1, kNaN});
  CHECK(l[0] == Approx(0.5).epsilon(1e-7));
  CHECK(l[1] == Approx(0.8).epsilon(1e-7));
  CHECK(l[2] == Approx(0.2).epsilon(1e-7));
  CHECK(l[3] == 0.0f);
  CHECK(l[4] == 0.0f);
  CHECK(std::isnan(l[5]));
  auto s = run(shape(MembershipShape::Small, 2, 2), {2, 4, 1, 0, -1});
  CHECK(s[0] == Approx(0.5).epsilon(1e-7));
  CHECK(s[1] == Approx(0.2).epsilon(1e-7));
  CHECK(s[2] == Approx(0.8).epsilon(1e-7));
  CHECK(s[3] == 1.0f);
  CHECK(s[4] == 1.0f);
}

TEST_CASE("membership: logistic and gaussian", "[fuzzy.membership]") {
  const float ln3 = static_cast<float>(std::log(3.0));
  // Logistic midpoint 0, spread 1: 1 / (1 + e^-ln3) = 3/4.
  auto g = run(shape(MembershipShape::Logistic, 0, 1), {0, ln3, -ln3, 1000, -1000, kNaN});
  CHECK(g[0] == 0.5f);
  CHECK(g[1] == Approx(0.75).epsilon(1e-6));
  CHECK(g[2] == Approx(0.25).epsilon(1e-6));
  CHECK(g[3] == 1.0f);
  CHECK(g[4] == 0.0f);
  CHECK(std::isnan(g[5]));
  // Logistic midpoint 2, spread 3 at x = 2 + ln3/3: 0.75.
  auto g2 = run(shape(MembershipShape::Logistic, 2, 3), {2.0f + ln3 / 3.0f});
  CHECK(g2[0] == Approx(0.75).epsilon(1e-6));
  // Gaussian midpoint 1, spread 0.5: exp(-0.5 * 4) = exp(-2) at x = 3 and x = -1.
  auto q = run(shape(MembershipShape::Gaussian, 1, 0.5), {1, 3, -1, kNaN});
  CHECK(q[0] == 1.0f);
  CHECK(q[1] == Approx(std::exp(-2.0)).epsilon(1e-6));
  CHECK(q[2] == Approx(std::exp(-2.0)).epsilon(1e-6));
  CHECK(std::isnan(q[3]));
}

TEST_CASE("membership: in place and invalid parameters", "[fuzzy.membership]") {
  std::vector<float> x = {2, 3, 4};
  REQUIRE(membership(x.data(), x.data(), 3, shape(MembershipShape::Linear, 2, 4)).ok);
  CHECK(x[0] == 0.0f);
  CHECK(x[1] == 0.5f);
  CHECK(x[2] == 1.0f);
  CHECK_FALSE(membership(x.data(), x.data(), 3, shape(MembershipShape::Linear, 2, 2)).ok);
  CHECK_FALSE(membership(x.data(), x.data(), 3, shape(MembershipShape::Large, 0, 1)).ok);
  CHECK_FALSE(membership(x.data(), x.data(), 3, shape(MembershipShape::Small, 1, -1)).ok);
  CHECK_FALSE(membership(x.data(), x.data(), 3, shape(MembershipShape::Gaussian, 1, 0)).ok);
  CHECK_FALSE(membership(nullptr, x.data(), 3, MembershipParams{}).ok);
}

TEST_CASE("membership: the baseline and vector builds give the same bits", "[fuzzy.membership]") {
  std::vector<float> in = {0.0f,
                           -0.0f,
                           -3.0f,
                           kNaN,
                           std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(),
                           1e-40f,
                           1e30f,
                           5.0f};
  std::mt19937 g(11);
  std::uniform_real_distribution<float> u(-20.0f, 120.0f);
  while (in.size() < 40013)
    in.push_back(u(g));
  const auto n = static_cast<std::int64_t>(in.size());
  INFO("widest build on this CPU: " << static_cast<int>(cpu::widest()));
  for (const auto& p : {shape(MembershipShape::Linear, 10.0, 90.0), shape(MembershipShape::Large, 40.0, 3.0),
                        shape(MembershipShape::Small, 40.0, 3.0), shape(MembershipShape::Logistic, 50.0, 0.2),
                        shape(MembershipShape::Gaussian, 50.0, 0.01)}) {
    INFO("shape " << static_cast<int>(p.shape));
    std::vector<float> a(in.size()), b(in.size());
    REQUIRE(detail::membership_isa(in.data(), a.data(), n, p, cpu::Isa::baseline).ok);
    REQUIRE(detail::membership_isa(in.data(), b.data(), n, p, cpu::Isa::avx512).ok);
    CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("weighted_overlay: weighted mean over valid layers and min_weight_fraction", "[fuzzy.overlay]") {
  // Weights 1, 2, 1 (total 4).
  const std::vector<float> a = {0.2f, kNaN, 0.2f, 0.2f, kNaN};
  const std::vector<float> b = {0.5f, 0.5f, kNaN, kNaN, kNaN};
  const std::vector<float> c = {1.0f, 1.0f, kNaN, 1.0f, kNaN};
  const float* layers[3] = {a.data(), b.data(), c.data()};
  const double w[3] = {1.0, 2.0, 1.0};
  std::vector<float> out(5);
  OverlayParams p; // 0.5
  REQUIRE(weighted_overlay(layers, w, 3, 5, p, out.data()).ok);
  CHECK(out[0] == Approx((0.2 + 1.0 + 1.0) / 4.0).epsilon(1e-6)); // all valid: 0.55
  CHECK(out[1] == Approx((1.0 + 1.0) / 3.0).epsilon(1e-6));       // weight 3 of 4 valid
  CHECK(std::isnan(out[2]));                                      // weight 1 of 4 < 0.5
  CHECK(out[3] == Approx((0.2 + 1.0) / 2.0).epsilon(1e-6));       // weight 2 of 4: exactly at the limit
  CHECK(std::isnan(out[4]));                                      // nothing valid

  p.min_weight_fraction = 0.0;
  REQUIRE(weighted_overlay(layers, w, 3, 5, p, out.data()).ok);
  CHECK(out[2] == Approx(0.2).epsilon(1e-6));
  CHECK(std::isnan(out[4])); // still NaN: no valid weight at all

  p.min_weight_fraction = 1.0;
  REQUIRE(weighted_overlay(layers, w, 3, 5, p, out.data()).ok);
  CHECK(out[0] == Approx(0.55).epsilon(1e-6));
  CHECK(std::isnan(out[1]));
  CHECK(std::isnan(out[3]));
}

TEST_CASE("weighted_overlay: the baseline and vector builds give the same bits", "[fuzzy.overlay]") {
  const std::int64_t n = 1500; // past one block of 512, not a multiple of a vector width
  std::mt19937 g(3);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<std::vector<float>> layers(4, std::vector<float>(static_cast<std::size_t>(n)));
  for (auto& l : layers)
    for (auto& v : l)
      v = u(g) < 0.2f ? kNaN : u(g);
  const float* ptr[4] = {layers[0].data(), layers[1].data(), layers[2].data(), layers[3].data()};
  const double w[4] = {0.7, 1.3, 0.25, 2.0};
  INFO("widest build on this CPU: " << static_cast<int>(cpu::widest()));
  std::vector<float> a(static_cast<std::size_t>(n)), b(a.size());
  OverlayParams p;
  REQUIRE(detail::weighted_overlay_isa(ptr, w, 4, n, p, a.data(), cpu::Isa::baseline).ok);
  REQUIRE(detail::weighted_overlay_isa(ptr, w, 4, n, p, b.data(), cpu::Isa::avx512).ok);
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

TEST_CASE("weighted_overlay: invalid weights", "[fuzzy.overlay]") {
  const std::vector<float> a = {0.5f};
  const float* layers[2] = {a.data(), a.data()};
  std::vector<float> out(1);
  const double neg[2] = {1.0, -1.0};
  const double zero[2] = {0.0, 0.0};
  CHECK_FALSE(weighted_overlay(layers, neg, 2, 1, {}, out.data()).ok);
  CHECK_FALSE(weighted_overlay(layers, zero, 2, 1, {}, out.data()).ok);
  CHECK_FALSE(weighted_overlay(layers, neg, 0, 1, {}, out.data()).ok);
  OverlayParams p;
  p.min_weight_fraction = 1.5;
  const double ok[2] = {1.0, 1.0};
  CHECK_FALSE(weighted_overlay(layers, ok, 2, 1, p, out.data()).ok);
}

TEST_CASE("fuzzy_combine: and, or, product, sum and gamma by hand", "[fuzzy.operators]") {
  // Three layers, four cells. Cell 0: 0.2, 0.5, 0.8. Cell 1: 1, 0.5, 0.5. Cell 2: 0, 0.4, 0.9.
  // Cell 3 has inputs outside [0, 1], which are clamped to 1 and 0 first.
  const std::vector<float> a = {0.2f, 1.0f, 0.0f, 1.5f};
  const std::vector<float> b = {0.5f, 0.5f, 0.4f, 0.5f};
  const std::vector<float> c = {0.8f, 0.5f, 0.9f, -0.5f};
  const float* layers[3] = {a.data(), b.data(), c.data()};
  std::vector<float> out(4);
  FuzzyCombineParams p;
  auto run_op = [&](FuzzyOperator op) {
    REQUIRE(fuzzy_combine(layers, 3, 4, op, p, out.data()).ok);
    return out;
  };
  auto r = run_op(FuzzyOperator::And);
  CHECK(r == std::vector<float>{0.2f, 0.5f, 0.0f, 0.0f});
  r = run_op(FuzzyOperator::Or);
  CHECK(r == std::vector<float>{0.8f, 1.0f, 0.9f, 1.0f});
  // Product: 0.2 * 0.5 * 0.8 = 0.08; 1 * 0.5 * 0.5 = 0.25; 0; 1 * 0.5 * 0 = 0.
  r = run_op(FuzzyOperator::Product);
  CHECK(r[0] == Approx(0.08).epsilon(1e-6));
  CHECK(r[1] == Approx(0.25).epsilon(1e-6));
  CHECK(r[2] == 0.0f);
  CHECK(r[3] == 0.0f);
  // Sum: 1 - 0.8 * 0.5 * 0.2 = 0.92; 1 - 0 * 0.5 * 0.5 = 1; 1 - 1 * 0.6 * 0.1 = 0.94; 1 - 0 * 0.5 * 1 = 1.
  r = run_op(FuzzyOperator::Sum);
  CHECK(r[0] == Approx(0.92).epsilon(1e-6));
  CHECK(r[1] == 1.0f);
  CHECK(r[2] == Approx(0.94).epsilon(1e-6));
  CHECK(r[3] == 1.0f);
  // Gamma 0.5 at cell 0: sqrt(0.92 * 0.08) = sqrt(0.0736) = 0.271293; cell 1: sqrt(1 * 0.25) = 0.5;
  // cells 2 and 3: product 0 -> 0.
  p.gamma = 0.5;
  r = run_op(FuzzyOperator::Gamma);
  CHECK(r[0] == Approx(0.271293).epsilon(1e-5));
  CHECK(r[1] == Approx(0.5).epsilon(1e-6));
  CHECK(r[2] == 0.0f);
  CHECK(r[3] == 0.0f);
  // Gamma 0.9 at cell 0: 0.92^0.9 * 0.08^0.1 = 0.927703 * 0.776800 = 0.720639.
  p.gamma = 0.9;
  r = run_op(FuzzyOperator::Gamma);
  CHECK(r[0] == Approx(0.720639).epsilon(1e-5));
  // Gamma 1 is the algebraic sum (0^0 = 1 at cell 2), gamma 0 the product.
  p.gamma = 1.0;
  r = run_op(FuzzyOperator::Gamma);
  CHECK(r[0] == Approx(0.92).epsilon(1e-6));
  CHECK(r[2] == Approx(0.94).epsilon(1e-6));
  p.gamma = 0.0;
  r = run_op(FuzzyOperator::Gamma);
  CHECK(r[0] == Approx(0.08).epsilon(1e-6));
  CHECK(r[1] == Approx(0.25).epsilon(1e-6));
}

TEST_CASE("fuzzy_combine: NaN propagates or is skipped", "[fuzzy.operators]") {
  const std::vector<float> a = {0.2f, kNaN, kNaN};
  const std::vector<float> b = {0.5f, 0.6f, kNaN};
  const float* layers[2] = {a.data(), b.data()};
  std::vector<float> out(3);
  FuzzyCombineParams p; // Propagate
  REQUIRE(fuzzy_combine(layers, 2, 3, FuzzyOperator::Product, p, out.data()).ok);
  CHECK(out[0] == Approx(0.1).epsilon(1e-6));
  CHECK(std::isnan(out[1]));
  CHECK(std::isnan(out[2]));
  p.nodata = FuzzyNodata::Ignore;
  for (FuzzyOperator op : {FuzzyOperator::And, FuzzyOperator::Or, FuzzyOperator::Product, FuzzyOperator::Sum,
                           FuzzyOperator::Gamma}) {
    REQUIRE(fuzzy_combine(layers, 2, 3, op, p, out.data()).ok);
    CHECK(out[1] == Approx(0.6).epsilon(1e-6)); // one valid layer: every operator returns it
    CHECK(std::isnan(out[2]));                  // no valid layer
  }
  // In place: the output may be one of the inputs.
  std::vector<float> x = {0.5f, 0.25f};
  std::vector<float> y = {0.5f, 1.0f};
  const float* xy[2] = {x.data(), y.data()};
  REQUIRE(fuzzy_combine(xy, 2, 2, FuzzyOperator::Sum, FuzzyCombineParams{}, x.data()).ok);
  CHECK(x[0] == Approx(0.75).epsilon(1e-6));
  CHECK(x[1] == 1.0f);
}

TEST_CASE("fuzzy_combine: invalid arguments", "[fuzzy.operators]") {
  const std::vector<float> a = {0.5f};
  const float* layers[1] = {a.data()};
  std::vector<float> out(1);
  FuzzyCombineParams p;
  p.gamma = 1.5;
  CHECK_FALSE(fuzzy_combine(layers, 1, 1, FuzzyOperator::Gamma, p, out.data()).ok);
  CHECK(fuzzy_combine(layers, 1, 1, FuzzyOperator::And, p, out.data()).ok); // gamma only matters for Gamma
  CHECK_FALSE(fuzzy_combine(layers, 0, 1, FuzzyOperator::And, FuzzyCombineParams{}, out.data()).ok);
  CHECK_FALSE(fuzzy_combine(layers, 1, 1, FuzzyOperator::And, FuzzyCombineParams{}, nullptr).ok);
  const float* null_layer[1] = {nullptr};
  CHECK_FALSE(fuzzy_combine(null_layer, 1, 1, FuzzyOperator::And, FuzzyCombineParams{}, out.data()).ok);
}

TEST_CASE("fuzzy.category maps class indices through the table", "[fuzzy.category]") {
  const double table[] = {0.0, 1.0, 0.25, std::numeric_limits<double>::quiet_NaN()};
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> in = {0, 1, 2, 3, 4, -1, 1.5f, nan};
  std::vector<float> out(in.size());
  CategoryParams p{table, 4, 0.1};
  REQUIRE(category_membership(in.data(), out.data(), static_cast<std::int64_t>(in.size()), p).ok);
  CHECK(out[0] == 0.0f);
  CHECK(out[1] == 1.0f);
  CHECK(out[2] == 0.25f);
  CHECK(std::isnan(out[3]));    // the table gives no evidence for class 3
  CHECK(out[4] == Approx(0.1)); // not in the table
  CHECK(out[5] == Approx(0.1)); // negative
  CHECK(out[6] == Approx(0.1)); // not an integer
  CHECK(std::isnan(out[7]));    // nodata
  const double bad[] = {1.5};
  CHECK_FALSE(category_membership(in.data(), out.data(), 1, {bad, 1, 0.0}).ok);
  CHECK_FALSE(category_membership(in.data(), out.data(), 1, {nullptr, 2, 0.0}).ok);
}
