#include "kernels/geochem/log_ratio.hpp"
#include "kernels/registry.hpp"

#include <catch2/catch.hpp>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace prospector::kernels;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Uniform in [0, 1) from the standardised mt19937_64 output (std:: distributions differ between libraries).
double uniform(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

// n random compositions of d parts, row-major, parts spread over three orders of magnitude.
std::vector<float> random_compositions(std::int64_t n, std::int64_t d, unsigned seed) {
  std::mt19937_64 g(seed);
  std::vector<float> x(static_cast<std::size_t>(n * d));
  for (auto& v : x)
    v = static_cast<float>(std::pow(10.0, 3.0 * uniform(g) - 1.0));
  return x;
}

// Aitchison distance from its definition, d^2 = 1/(2D) sum_{i,j} (ln(x_i/x_j) - ln(y_i/y_j))^2, in double.
double aitchison(const float* x, const float* y, std::int64_t d) {
  double s = 0.0;
  for (std::int64_t i = 0; i < d; ++i)
    for (std::int64_t j = 0; j < d; ++j) {
      const double t =
          std::log(static_cast<double>(x[i]) / x[j]) - std::log(static_cast<double>(y[i]) / y[j]);
      s += t * t;
    }
  return std::sqrt(s / (2.0 * static_cast<double>(d)));
}

} // namespace

TEST_CASE("compositional: CLR rows sum to zero in every layout, subset and closure invariance",
          "[compositional]") {
  const std::int64_t n = 200, d = 5;
  const auto x = random_compositions(n, d, 1);
  CompositionScratch scratch;
  std::vector<float> out(x.size());
  REQUIRE(
      clr(VariablesView::row_major(x.data(), n, d), {}, scratch, VariablesOut::row_major(out.data(), n, d))
          .ok);
  for (std::int64_t i = 0; i < n; ++i) {
    double s = 0.0;
    for (std::int64_t k = 0; k < d; ++k)
      s += out[i * d + k];
    CHECK(std::abs(s) < 1e-6);
    // clr_k = ln x_k - mean ln x, checked for one part from the definition.
    double ml = 0.0;
    for (std::int64_t k = 0; k < d; ++k)
      ml += std::log(static_cast<double>(x[i * d + k]));
    CHECK(out[i * d + 2] == Approx(std::log(static_cast<double>(x[i * d + 2])) - ml / d).margin(1e-5));
  }

  // Part-major copy and a stack of grids (n = 8 x 25) give bit-identical results.
  std::vector<float> pm(x.size());
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < d; ++k)
      pm[k * n + i] = x[i * d + k];
  std::vector<float> pm_out(x.size());
  REQUIRE(clr(VariablesView::part_major(pm.data(), n, d), {}, scratch,
              VariablesOut::part_major(pm_out.data(), n, d))
              .ok);
  std::vector<ConstGridView> grids;
  std::vector<GridView> gout;
  std::vector<float> g_out(x.size());
  for (std::int64_t k = 0; k < d; ++k) {
    grids.push_back({pm.data() + k * n, 25, 8});
    gout.push_back({g_out.data() + k * n, 25, 8});
  }
  REQUIRE(clr(VariablesView::grids(grids.data(), d), {}, scratch, VariablesOut::grids(gout.data(), d)).ok);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < d; ++k) {
      CHECK(pm_out[k * n + i] == out[i * d + k]);
      CHECK(g_out[k * n + i] == out[i * d + k]);
    }

  // Subset {3, 0}: a two-part CLR is +-ln(x3/x0)/2; scaling a sample does not change it.
  std::vector<float> sub(static_cast<std::size_t>(2 * n));
  PartSubset s30;
  s30.parts = {3, 0};
  std::vector<float> scaled = x;
  for (auto& v : scaled)
    v *= 4.0f; // exact in float
  std::vector<float> sub2(sub.size());
  REQUIRE(
      clr(VariablesView::row_major(x.data(), n, d), s30, scratch, VariablesOut::row_major(sub.data(), n, 2))
          .ok);
  REQUIRE(clr(VariablesView::row_major(scaled.data(), n, d), s30, scratch,
              VariablesOut::row_major(sub2.data(), n, 2))
              .ok);
  for (std::int64_t i = 0; i < n; ++i) {
    const double h = 0.5 * std::log(static_cast<double>(x[i * d + 3]) / x[i * d + 0]);
    CHECK(sub[2 * i] == Approx(h).margin(1e-6));
    CHECK(sub[2 * i + 1] == Approx(-h).margin(1e-6));
    CHECK(sub2[2 * i] == Approx(sub[2 * i]).margin(1e-6));
  }

  // In place (same layout) equals out of place.
  std::vector<float> inplace = x;
  REQUIRE(clr(VariablesView::row_major(inplace.data(), n, d), {}, scratch,
              VariablesOut::row_major(inplace.data(), n, d))
              .ok);
  CHECK(std::memcmp(inplace.data(), out.data(), out.size() * sizeof(float)) == 0);
}

TEST_CASE("compositional: pivot ILR by hand, isometry and inverse", "[compositional]") {
  // Hand check, D = 3, x = (1, 2, 4): z1 = sqrt(2/3) ln(1 / sqrt(2 * 4)), z2 = sqrt(1/2) ln(2 / 4).
  {
    IlrBasis b;
    REQUIRE(ilr_pivot_basis(3, b).ok);
    const std::vector<float> x = {1, 2, 4};
    std::vector<float> z(2);
    CompositionScratch sc;
    REQUIRE(
        ilr(VariablesView::row_major(x.data(), 1, 3), {}, b, sc, VariablesOut::row_major(z.data(), 1, 2)).ok);
    CHECK(z[0] == Approx(std::sqrt(2.0 / 3.0) * std::log(1.0 / std::sqrt(8.0))).epsilon(1e-6));
    CHECK(z[1] == Approx(std::sqrt(0.5) * std::log(0.5)).epsilon(1e-6));
  }

  const std::int64_t n = 60, d = 6;
  const auto x = random_compositions(n, d, 2);
  // A sequential binary partition different from the pivot one: {1,2,3 | 4,5,6}, {1 | 2,3}, {2 | 3},
  // {4,5 | 6}, {4 | 5}.
  const std::vector<int> sbp = {1, 1,  1,  -1, -1, -1, //
                                1, -1, -1, 0,  0,  0,  //
                                0, 1,  -1, 0,  0,  0,  //
                                0, 0,  0,  1,  1,  -1, //
                                0, 0,  0,  1,  -1, 0};
  IlrBasis pivot, part;
  REQUIRE(ilr_pivot_basis(d, pivot).ok);
  REQUIRE(ilr_sbp_basis(sbp, d, part).ok);
  CompositionScratch sc;
  for (const IlrBasis* basis : {&pivot, &part}) {
    std::vector<float> z(static_cast<std::size_t>(n * (d - 1)));
    REQUIRE(ilr(VariablesView::row_major(x.data(), n, d), {}, *basis, sc,
                VariablesOut::row_major(z.data(), n, d - 1))
                .ok);
    // Isometry: Aitchison distance of compositions = Euclidean distance of their coordinates.
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = i + 1; j < n; j += 7) {
        double e = 0.0;
        for (std::int64_t k = 0; k < d - 1; ++k) {
          const double t = static_cast<double>(z[i * (d - 1) + k]) - z[j * (d - 1) + k];
          e += t * t;
        }
        CHECK(std::sqrt(e) == Approx(aitchison(&x[i * d], &x[j * d], d)).epsilon(1e-5));
      }
    // Inverse recovers the closed composition (closed to 100 here).
    std::vector<float> back(x.size());
    IlrInverseParams ip;
    ip.total = 100.0;
    REQUIRE(ilr_inverse(VariablesView::row_major(z.data(), n, d - 1), *basis, ip, sc,
                        VariablesOut::row_major(back.data(), n, d))
                .ok);
    for (std::int64_t i = 0; i < n; ++i) {
      double s = 0.0;
      for (std::int64_t k = 0; k < d; ++k)
        s += x[i * d + k];
      for (std::int64_t k = 0; k < d; ++k)
        CHECK(back[i * d + k] == Approx(100.0 * x[i * d + k] / s).epsilon(2e-5));
    }
  }
  // The SBP coordinate 1 is the balance of {1,2,3} against {4,5,6}: sqrt(9/6) ln(g(x1..3) / g(x4..6)).
  std::vector<float> z(static_cast<std::size_t>(n * (d - 1)));
  REQUIRE(
      ilr(VariablesView::row_major(x.data(), n, d), {}, part, sc, VariablesOut::row_major(z.data(), n, d - 1))
          .ok);
  const double l = (std::log(static_cast<double>(x[0]) * x[1] * x[2]) -
                    std::log(static_cast<double>(x[3]) * x[4] * x[5])) /
                   3.0;
  CHECK(z[0] == Approx(std::sqrt(1.5) * l).epsilon(1e-5));
}

TEST_CASE("compositional: nodata, subsets and invalid partitions", "[compositional]") {
  // Sample 0 valid, 1 has a NaN part, 2 a zero, 3 a negative part, 4 an infinite part.
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x = {1, 2, 3, 1, kNaN, 3, 0, 2, 3, 1, -2, 3, 1, 2, inf};
  CompositionScratch sc;
  std::vector<float> c(15, 7.0f), lg(15, 7.0f), z(10, 7.0f);
  IlrBasis b;
  REQUIRE(ilr_pivot_basis(3, b).ok);
  REQUIRE(clr(VariablesView::row_major(x.data(), 5, 3), {}, sc, VariablesOut::row_major(c.data(), 5, 3)).ok);
  REQUIRE(
      log_parts(VariablesView::row_major(x.data(), 5, 3), {}, sc, VariablesOut::row_major(lg.data(), 5, 3))
          .ok);
  REQUIRE(
      ilr(VariablesView::row_major(x.data(), 5, 3), {}, b, sc, VariablesOut::row_major(z.data(), 5, 2)).ok);
  CHECK_FALSE(std::isnan(c[0]));
  CHECK(lg[1] == Approx(std::log(2.0)).epsilon(1e-7));
  for (int i = 1; i < 5; ++i) {
    for (int k = 0; k < 3; ++k) {
      CHECK(std::isnan(c[i * 3 + k]));
      CHECK(std::isnan(lg[i * 3 + k]));
    }
    for (int k = 0; k < 2; ++k)
      CHECK(std::isnan(z[i * 2 + k]));
  }
  // A subset that avoids the broken part of sample 1 (part 1) makes it valid again.
  PartSubset s02;
  s02.parts = {0, 2};
  std::vector<float> c2(10);
  REQUIRE(
      clr(VariablesView::row_major(x.data(), 5, 3), s02, sc, VariablesOut::row_major(c2.data(), 5, 2)).ok);
  CHECK(c2[2] == Approx(0.5 * std::log(1.0 / 3.0)).epsilon(1e-6));
  CHECK(std::isnan(c2[4])); // sample 2's part 0 is zero

  // Argument errors.
  PartSubset bad;
  bad.parts = {0, 3};
  CHECK_FALSE(
      clr(VariablesView::row_major(x.data(), 5, 3), bad, sc, VariablesOut::row_major(c2.data(), 5, 2)).ok);
  bad.parts = {1, 1};
  CHECK_FALSE(
      clr(VariablesView::row_major(x.data(), 5, 3), bad, sc, VariablesOut::row_major(c2.data(), 5, 2)).ok);
  CHECK_FALSE(
      clr(VariablesView::row_major(x.data(), 5, 3), {}, sc, VariablesOut::row_major(c.data(), 4, 3)).ok);
  CHECK_FALSE(
      ilr(VariablesView::row_major(x.data(), 5, 3), {}, b, sc, VariablesOut::row_major(c.data(), 5, 3)).ok);
  ConstGridView mismatched[2] = {{x.data(), 3, 1}, {x.data(), 1, 3}};
  CHECK(VariablesView::grids(mismatched, 2).n == -1);
  CHECK_FALSE(
      log_parts(VariablesView::grids(mismatched, 2), {}, sc, VariablesOut::row_major(c.data(), 3, 2)).ok);

  // Not a sequential binary partition: rows {1 | 2} and {1 | 3} overlap, so the balances are not orthogonal.
  IlrBasis sb;
  CHECK_FALSE(ilr_sbp_basis({1, -1, 0, 1, 0, -1}, 3, sb).ok);
  CHECK_FALSE(ilr_sbp_basis({1, 1, 0, 1, -1, 0}, 3, sb).ok); // first row has no -1 part
  CHECK_FALSE(ilr_sbp_basis({1, -1, 2, 0, 1, -1}, 3, sb).ok);
  CHECK(ilr_sbp_basis({1, -1, -1, 0, 1, -1}, 3, sb).ok);
  CHECK_FALSE(ilr_pivot_basis(1, sb).ok);
}

TEST_CASE("compositional: bit-identical with 1 and 2 threads", "[compositional][threads]") {
  const std::int64_t n = 5000, d = 4;
  const auto x = random_compositions(n, d, 3);
  IlrBasis b;
  REQUIRE(ilr_pivot_basis(d, b).ok);
  const int saved = omp_get_max_threads();
  std::vector<float> c1(x.size()), c2(x.size()), z1(n * (d - 1)), z2(n * (d - 1));
  CompositionScratch sa, sb;
  omp_set_num_threads(1);
  REQUIRE(clr(VariablesView::row_major(x.data(), n, d), {}, sa, VariablesOut::row_major(c1.data(), n, d)).ok);
  REQUIRE(
      ilr(VariablesView::row_major(x.data(), n, d), {}, b, sa, VariablesOut::row_major(z1.data(), n, d - 1))
          .ok);
  omp_set_num_threads(2);
  REQUIRE(clr(VariablesView::row_major(x.data(), n, d), {}, sb, VariablesOut::row_major(c2.data(), n, d)).ok);
  REQUIRE(
      ilr(VariablesView::row_major(x.data(), n, d), {}, b, sb, VariablesOut::row_major(z2.data(), n, d - 1))
          .ok);
  omp_set_num_threads(saved);
  CHECK(std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(z1.data(), z2.data(), z1.size() * sizeof(float)) == 0);
}

TEST_CASE("compositional: the baseline and vector builds give the same bits", "[compositional]") {
  const std::int64_t n = 5003, d = 5; // more than one block of samples, not a multiple of a vector width
  auto x = random_compositions(n, d, 5);
  x[3] = 0.0f; // invalid samples: a zero, a NaN, a negative part
  x[17] = kNaN;
  x[4000] = -1.0f;
  IlrBasis basis;
  REQUIRE(ilr_pivot_basis(d, basis).ok);
  INFO("widest build on this CPU: " << static_cast<int>(cpu::widest()));
  for (const bool interleaved : {true, false}) {
    // Row-major (stride d) and variable-major (stride 1) inputs take the two log loops.
    std::vector<float> cols(x.size());
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < d; ++k)
        cols[k * n + i] = x[i * d + k];
    std::vector<const float*> vars;
    for (std::int64_t k = 0; k < d; ++k)
      vars.push_back(cols.data() + k * n);
    const VariablesView in =
        interleaved ? VariablesView::row_major(x.data(), n, d) : VariablesView{vars, n, 1};
    std::vector<float> c1(x.size()), c2(x.size()), z1(n * (d - 1)), z2(n * (d - 1));
    CompositionScratch s;
    REQUIRE(detail::clr_isa(in, {}, s, VariablesOut::row_major(c1.data(), n, d), cpu::Isa::baseline).ok);
    REQUIRE(detail::clr_isa(in, {}, s, VariablesOut::row_major(c2.data(), n, d), cpu::Isa::avx512).ok);
    REQUIRE(
        detail::ilr_isa(in, {}, basis, s, VariablesOut::row_major(z1.data(), n, d - 1), cpu::Isa::baseline)
            .ok);
    REQUIRE(
        detail::ilr_isa(in, {}, basis, s, VariablesOut::row_major(z2.data(), n, d - 1), cpu::Isa::avx512).ok);
    CHECK(std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(z1.data(), z2.data(), z1.size() * sizeof(float)) == 0);
    CHECK(std::isnan(c2[3 * d]));
  }
}

TEST_CASE("compositional: registry records", "[compositional]") {
  for (const char* name : {"geochem.log", "geochem.clr", "geochem.ilr"})
    CHECK(find_kernel(name) != nullptr);
  const KernelInfo* i = find_kernel("geochem.ilr");
  REQUIRE(i != nullptr);
  REQUIRE(i->params.size() == 1);
  CHECK(std::stod(i->params[0].default_value) == IlrInverseParams{}.total);
}
