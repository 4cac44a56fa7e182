#include "kernels/anomaly/mcd.hpp"
#include "kernels/anomaly/rx.hpp"
#include "kernels/registry.hpp"
#include "kernels/stats/chi_square.hpp"

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

// Standard normal pairs by Box-Muller from the standardised mt19937_64 output, so the test data do not
// depend on the standard library's distribution algorithms.
struct Normal {
  std::mt19937_64 g;
  bool have = false;
  double spare = 0.0;
  explicit Normal(unsigned seed) : g(seed) {}
  double u() { return (static_cast<double>(g() >> 11) + 0.5) * 0x1.0p-53; }
  double operator()() {
    if (have) {
      have = false;
      return spare;
    }
    const double r = std::sqrt(-2.0 * std::log(u())), t = 6.283185307179586 * u();
    spare = r * std::sin(t);
    have = true;
    return r * std::cos(t);
  }
};

// True model of the clean cells: mean mu, covariance L L^T.
constexpr int kP = 3;
const double kMu[kP] = {10.0, -5.0, 58000.0};
const double kL[kP][kP] = {{2.0, 0.0, 0.0}, {1.0, 1.5, 0.0}, {-0.5, 0.4, 0.8}};

double true_cov(int a, int b) {
  double s = 0.0;
  for (int k = 0; k < kP; ++k)
    s += kL[a][k] * kL[b][k];
  return s;
}

// nx * ny cells of N(mu, L L^T); when outlier_frac > 0 the first cells in a deterministic scatter become a
// tight cluster shifted by `shift`.
std::vector<std::vector<float>> make_bands(std::int64_t nx, std::int64_t ny, double outlier_frac,
                                           unsigned seed, std::vector<unsigned char>* is_outlier = nullptr) {
  Normal nd(seed);
  const std::int64_t n = nx * ny;
  std::vector<std::vector<float>> b(kP, std::vector<float>(static_cast<std::size_t>(n)));
  const double shift[kP] = {12.0, 10.0, -6.0};
  if (is_outlier) is_outlier->assign(static_cast<std::size_t>(n), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    const double e[kP] = {nd(), nd(), nd()};
    // Every 5th cell (20 %) is an outlier.
    const bool out = outlier_frac > 0.0 && i % 5 == 2;
    for (int a = 0; a < kP; ++a) {
      double v = kMu[a];
      if (out) {
        v += shift[a] + 0.3 * e[a];
      } else {
        for (int k = 0; k < kP; ++k)
          v += kL[a][k] * e[k];
      }
      b[a][i] = static_cast<float>(v);
    }
    if (is_outlier) (*is_outlier)[i] = out;
  }
  return b;
}

std::vector<ConstGridView> views(const std::vector<std::vector<float>>& b, std::int64_t nx, std::int64_t ny) {
  std::vector<ConstGridView> v;
  for (const auto& x : b)
    v.push_back({x.data(), nx, ny});
  return v;
}

double max_abs_mean_error(const std::vector<double>& m) {
  double e = 0.0;
  for (int a = 0; a < kP; ++a)
    e = std::max(e, std::abs(m[a] - kMu[a]));
  return e;
}

// Largest error of the covariance entries relative to the true variances: |C_ab - S_ab| / sqrt(S_aa S_bb).
double max_cov_error(const std::vector<double>& c) {
  double e = 0.0;
  for (int a = 0; a < kP; ++a)
    for (int b = 0; b < kP; ++b)
      e = std::max(e, std::abs(c[a * kP + b] - true_cov(a, b)) / std::sqrt(true_cov(a, a) * true_cov(b, b)));
  return e;
}

double mean_distance(const std::vector<ConstGridView>& v, const BandStatistics& st, std::int64_t nx,
                     std::int64_t ny, const std::vector<unsigned char>* only_clean = nullptr) {
  std::vector<float> d2(static_cast<std::size_t>(nx * ny));
  REQUIRE(mahalanobis_apply(v.data(), kP, st, {d2.data(), nx, ny}).ok);
  double s = 0.0;
  std::int64_t n = 0;
  for (std::size_t i = 0; i < d2.size(); ++i) {
    if (std::isnan(d2[i]) || (only_clean && (*only_clean)[i])) continue;
    s += d2[i];
    ++n;
  }
  return s / static_cast<double>(n);
}

} // namespace

TEST_CASE("robust covariance: clean normal sample, classical and MCD distances follow chi-square(p)",
          "[robust_covariance]") {
  const std::int64_t nx = 60, ny = 40; // 2400 cells: the search uses a 1500-cell sample
  auto b = make_bands(nx, ny, 0.0, 11);
  b[1][17] = kNaN; // nodata is skipped
  const auto v = views(b, nx, ny);

  BandStatistics classical;
  REQUIRE(band_statistics(v.data(), kP, RxParams{}, classical).ok);
  CHECK(mean_distance(v, classical, nx, ny) == Approx(3.0).epsilon(1e-3));

  McdScratch scratch;
  BandStatistics robust;
  McdInfo info;
  REQUIRE(mcd_statistics(v.data(), kP, McdParams{}, scratch, robust, info).ok);
  CHECK(info.valid == nx * ny - 1);
  CHECK(info.h == (info.valid + kP + 1) / 2);
  CHECK(info.search_cells == 1500);
  CHECK(info.full_csteps >= 1);
  CHECK(robust.count == info.valid);
  // Consistency factors make the MCD unbiased at the normal model: distances average close to p too.
  CHECK(mean_distance(v, robust, nx, ny) == Approx(3.0).epsilon(0.08));
  CHECK(max_abs_mean_error(robust.mean) < 0.15);
  CHECK(max_cov_error(robust.cov) < 0.1);
  // About 97.5 % of normal cells are kept by the reweighting.
  CHECK(static_cast<double>(info.inliers) / static_cast<double>(info.valid) == Approx(0.975).margin(0.015));
}

TEST_CASE("robust covariance: 20% shifted cluster moves the classical estimate but not the MCD",
          "[robust_covariance]") {
  const std::int64_t nx = 50, ny = 30; // 1500 cells: the whole grid is the search set
  std::vector<unsigned char> outlier;
  const auto b = make_bands(nx, ny, 0.2, 5, &outlier);
  const auto v = views(b, nx, ny);

  BandStatistics classical;
  REQUIRE(band_statistics(v.data(), kP, RxParams{}, classical).ok);
  // The 20 % cluster shifted by (12, 10, -6) drags the classical mean by about 0.2 * shift ...
  CHECK(max_abs_mean_error(classical.mean) > 2.0);
  // ... and inflates the covariance by 0.2 * 0.8 * shift shift^T (e.g. +23 on the first variance of 4).
  CHECK(max_cov_error(classical.cov) > 3.0);

  McdScratch scratch;
  BandStatistics robust;
  McdInfo info;
  REQUIRE(mcd_statistics(v.data(), kP, McdParams{}, scratch, robust, info).ok);
  CHECK(info.search_cells == nx * ny);
  CHECK(info.full_csteps == 0);
  CHECK(max_abs_mean_error(robust.mean) < 0.2);
  CHECK(max_cov_error(robust.cov) < 0.15);
  // Clean cells have robust distances close to chi-square(3); every outlier is far beyond the cutoff.
  CHECK(mean_distance(v, robust, nx, ny, &outlier) == Approx(3.0).epsilon(0.1));
  std::vector<float> d2(static_cast<std::size_t>(nx * ny));
  REQUIRE(mahalanobis_apply(v.data(), kP, robust, {d2.data(), nx, ny}).ok);
  const double cutoff = chi_square_quantile(0.975, 3);
  std::int64_t flagged = 0, missed = 0;
  for (std::size_t i = 0; i < d2.size(); ++i)
    if (outlier[i]) (d2[i] > cutoff ? flagged : missed) += 1;
  CHECK(missed == 0);
  CHECK(flagged == nx * ny / 5);
  CHECK(info.inliers <= nx * ny - flagged);
}

TEST_CASE("robust covariance: subsampled search on a larger grid with outliers", "[robust_covariance]") {
  const std::int64_t nx = 150, ny = 120;
  std::vector<unsigned char> outlier;
  const auto b = make_bands(nx, ny, 0.2, 9, &outlier);
  const auto v = views(b, nx, ny);
  McdScratch scratch;
  BandStatistics robust;
  McdInfo info;
  McdParams p;
  p.starts = 100;
  REQUIRE(mcd_statistics(v.data(), kP, p, scratch, robust, info).ok);
  CHECK(info.search_cells == 1500);
  CHECK(info.full_csteps >= 1);
  CHECK(max_abs_mean_error(robust.mean) < 0.1);
  CHECK(max_cov_error(robust.cov) < 0.08);
}

TEST_CASE("robust covariance: alpha, exact fit and bad arguments", "[robust_covariance]") {
  const std::int64_t nx = 20, ny = 10;
  const auto b = make_bands(nx, ny, 0.0, 3);
  const auto v = views(b, nx, ny);
  McdScratch scratch;
  BandStatistics st;
  McdInfo info;
  McdParams p;
  p.alpha = 0.75; // h = floor(2 n2 - n + 2 * 0.75 (n - n2)) with n = 200, n2 = 102: 4 + 147 = 151
  REQUIRE(mcd_statistics(v.data(), kP, p, scratch, st, info).ok);
  CHECK(info.h == 151);
  p.alpha = 1.0; // h = n: the raw estimate is the classical one (divisor n), no raw factor
  REQUIRE(mcd_statistics(v.data(), kP, p, scratch, st, info).ok);
  CHECK(info.h == 200);
  CHECK(info.raw_factor == 1.0);
  BandStatistics classical;
  REQUIRE(band_statistics(v.data(), kP, RxParams{}, classical).ok);
  for (int a = 0; a < kP; ++a)
    CHECK(info.raw_mean[a] == Approx(classical.mean[a]).epsilon(1e-12));
  CHECK(info.raw_cov[0] == Approx(classical.cov[0] * 199.0 / 200.0).epsilon(1e-10));

  // Exact fit: band 2 equals band 0 on 60 % of the cells, so more than h cells lie on a plane.
  auto c = b;
  for (std::int64_t i = 0; i < nx * ny; ++i)
    if (i % 5 < 3) c[2][i] = c[0][i];
  const auto vc = views(c, nx, ny);
  const Status s = mcd_statistics(vc.data(), kP, McdParams{}, scratch, st, info);
  CHECK_FALSE(s.ok);
  CHECK(s.message.find("exact fit") != std::string::npos);

  McdParams bad;
  bad.alpha = 0.4;
  CHECK_FALSE(mcd_statistics(v.data(), kP, bad, scratch, st, info).ok);
  bad = McdParams{};
  bad.max_search = 5;
  CHECK_FALSE(mcd_statistics(v.data(), kP, bad, scratch, st, info).ok);
  bad = McdParams{};
  bad.reweight_quantile = 1.0;
  CHECK_FALSE(mcd_statistics(v.data(), kP, bad, scratch, st, info).ok);
  CHECK_FALSE(mcd_statistics(nullptr, 0, McdParams{}, scratch, st, info).ok);
  const ConstGridView tiny[kP] = {{b[0].data(), 3, 1}, {b[1].data(), 3, 1}, {b[2].data(), 3, 1}};
  CHECK_FALSE(mcd_statistics(tiny, kP, McdParams{}, scratch, st, info).ok); // 3 cells < 2 (p + 1)
}

TEST_CASE("robust covariance: deterministic and bit-identical with 1 and 2 threads",
          "[robust_covariance][threads]") {
  const std::int64_t nx = 140, ny = 130; // > 16384 cells: several reduction blocks
  const auto b = make_bands(nx, ny, 0.2, 21);
  const auto v = views(b, nx, ny);
  McdParams p;
  p.starts = 60;
  const int saved = omp_get_max_threads();
  McdScratch s1, s2;
  BandStatistics r1, r2;
  McdInfo i1, i2;
  omp_set_num_threads(1);
  REQUIRE(mcd_statistics(v.data(), kP, p, s1, r1, i1).ok);
  omp_set_num_threads(2);
  REQUIRE(mcd_statistics(v.data(), kP, p, s2, r2, i2).ok);
  omp_set_num_threads(saved);
  CHECK(i1.inliers == i2.inliers);
  CHECK(i1.raw_log_det == i2.raw_log_det);
  CHECK(std::memcmp(r1.mean.data(), r2.mean.data(), kP * sizeof(double)) == 0);
  CHECK(std::memcmp(r1.cov.data(), r2.cov.data(), kP * kP * sizeof(double)) == 0);
  CHECK(std::memcmp(r1.inv_cov.data(), r2.inv_cov.data(), kP * kP * sizeof(double)) == 0);
  // A different seed explores other starts but converges to the same h-subset on this clear-cut data.
  p.seed = 7;
  BandStatistics r3;
  McdInfo i3;
  REQUIRE(mcd_statistics(v.data(), kP, p, s1, r3, i3).ok);
  CHECK(i3.raw_log_det == Approx(i1.raw_log_det).epsilon(1e-3));
}

TEST_CASE("robust covariance: registry record", "[robust_covariance]") {
  const KernelInfo* k = find_kernel("anomaly.mcd");
  REQUIRE(k != nullptr);
  const McdParams d;
  auto num = [&](const char* name) {
    for (const auto& p : k->params)
      if (p.name == name) return std::stod(p.default_value);
    FAIL("missing parameter " << name);
    return 0.0;
  };
  CHECK(num("alpha") == d.alpha);
  CHECK(num("starts") == static_cast<double>(d.starts));
  CHECK(num("keep") == static_cast<double>(d.keep));
  CHECK(num("max_csteps") == static_cast<double>(d.max_csteps));
  CHECK(num("max_search") == static_cast<double>(d.max_search));
  CHECK(num("seed") == static_cast<double>(d.seed));
  CHECK(num("reweight_quantile") == d.reweight_quantile);
  CHECK(num("ridge") == d.ridge);
  CHECK(k->params.size() == 8);
}
