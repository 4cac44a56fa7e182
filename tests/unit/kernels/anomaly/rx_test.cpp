#include "kernels/anomaly/rx.hpp"

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

// Two bands on a 3x3 grid; cell 7 has band B missing, so 8 complete cells.
const std::vector<float> kA = {1, 2, 3, 4, 5, 6, 7, 8, 9};
const std::vector<float> kB = {2, 1, 4, 3, 6, 5, 9, kNaN, 7};

// Reference computed offline with /usr/bin/python3 + numpy 1.24 on the 8 complete cells:
//   mu = X.mean(0); C = np.cov(X.T, ddof=1); Ci = np.linalg.inv(C)
//   d2 = np.einsum('ij,jk,ik->i', D, Ci, D) with D = [A, B] - mu
// (C = [[7.125, 6.125], [6.125, 7.125]], det = 13.25, so Ci = [[7.125, -6.125], [-6.125, 7.125]] / 13.25.)
const double kMean[2] = {4.625, 4.625};
const double kCov[4] = {7.125, 6.125, 6.125, 7.125};
const double kInv[4] = {0.5377358490566039, -0.46226415094339635, -0.46226415094339635, 0.5377358490566039};
const double kD2[9] = {1.974056603773585,  1.974056603773585,  0.6910377358490567,
                       0.6910377358490567, 0.6155660377358491, 0.6155660377358492,
                       3.719339622641508,  0.0 /* NaN */,      3.7193396226415083};

} // namespace

TEST_CASE("mahalanobis: 2-band example against numpy", "[anomaly.rx]") {
  ConstGridView bands[2] = {{kA.data(), 3, 3}, {kB.data(), 3, 3}};
  RxParams p;
  p.ridge = 0.0;
  BandStatistics st;
  REQUIRE(band_statistics(bands, 2, p, st).ok);
  CHECK(st.bands == 2);
  CHECK(st.count == 8);
  for (int i = 0; i < 2; ++i)
    CHECK(st.mean[i] == Approx(kMean[i]).epsilon(1e-14));
  for (int i = 0; i < 4; ++i)
    CHECK(st.cov[i] == Approx(kCov[i]).epsilon(1e-14));
  for (int i = 0; i < 4; ++i)
    CHECK(st.inv_cov[i] == Approx(kInv[i]).epsilon(1e-12));

  std::vector<float> d2(9);
  REQUIRE(mahalanobis_apply(bands, 2, st, {d2.data(), 3, 3}).ok);
  for (int i = 0; i < 9; ++i) {
    if (i == 7) {
      CHECK(std::isnan(d2[i]));
    } else {
      CHECK(d2[i] == Approx(kD2[i]).epsilon(1e-6));
    }
  }

  // The default ridge (1e-9 of the mean variance) changes the result only at that level.
  BandStatistics st2;
  REQUIRE(band_statistics(bands, 2, RxParams{}, st2).ok);
  for (int i = 0; i < 4; ++i)
    CHECK(st2.inv_cov[i] == Approx(kInv[i]).epsilon(1e-6));
}

TEST_CASE("mahalanobis: a large offset (58000 nT) does not change the distances", "[anomaly.rx]") {
  std::vector<float> a(9);
  for (int i = 0; i < 9; ++i)
    a[i] = 58000.0f + kA[i]; // exact in float
  ConstGridView bands[2] = {{a.data(), 3, 3}, {kB.data(), 3, 3}};
  RxParams p;
  p.ridge = 0.0;
  BandStatistics st;
  REQUIRE(band_statistics(bands, 2, p, st).ok);
  CHECK(st.mean[0] == Approx(58004.625).epsilon(1e-15));
  for (int i = 0; i < 4; ++i)
    CHECK(st.cov[i] == Approx(kCov[i]).epsilon(1e-12));
  std::vector<float> d2(9);
  REQUIRE(mahalanobis_apply(bands, 2, st, {d2.data(), 3, 3}).ok);
  for (int i = 0; i < 9; ++i)
    if (i != 7) CHECK(d2[i] == Approx(kD2[i]).epsilon(1e-6));
}

TEST_CASE("mahalanobis: multivariate normal sample follows chi-square(bands)", "[anomaly.rx]") {
  // x = L * e with e ~ N(0, I) and a fixed lower-triangular L: correlated 3-band normal data.
  const std::int64_t nx = 300, ny = 200, nb = 3;
  const double L[3][3] = {{2.0, 0.0, 0.0}, {1.5, 0.5, 0.0}, {-1.0, 0.3, 0.2}};
  std::mt19937_64 rng(12345);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::vector<std::vector<float>> data(nb, std::vector<float>(nx * ny));
  for (std::int64_t i = 0; i < nx * ny; ++i) {
    const double e[3] = {nd(rng), nd(rng), nd(rng)};
    for (int b = 0; b < nb; ++b)
      data[b][i] = static_cast<float>(100.0 * b + L[b][0] * e[0] + L[b][1] * e[1] + L[b][2] * e[2]);
  }
  for (std::int64_t i = 0; i < nx * ny; i += 97)
    data[i % nb][i] = kNaN; // scattered nodata
  std::vector<ConstGridView> bands;
  for (auto& d : data)
    bands.push_back({d.data(), nx, ny});
  BandStatistics st;
  REQUIRE(band_statistics(bands.data(), nb, RxParams{}, st).ok);
  std::vector<float> d2(nx * ny);
  REQUIRE(mahalanobis_apply(bands.data(), nb, st, {d2.data(), nx, ny}).ok);
  double sum = 0.0;
  std::int64_t n = 0, above = 0, nan = 0;
  for (std::int64_t i = 0; i < nx * ny; ++i) {
    if (std::isnan(d2[i])) {
      ++nan;
      continue;
    }
    sum += d2[i];
    ++n;
    above += d2[i] > 7.814727903251178 ? 1 : 0; // chi2.ppf(0.95, 3) from scipy
  }
  CHECK(nan == (nx * ny + 96) / 97);
  CHECK(n == st.count);
  CHECK(sum / n == Approx(3.0).epsilon(1e-3)); // exactly 3 (n-1)/n on the sample itself, up to the ridge
  CHECK(static_cast<double>(above) / n == Approx(0.05).margin(0.005));
}

TEST_CASE("mahalanobis: errors for too few cells, singular covariance and mismatched shapes",
          "[anomaly.rx]") {
  std::vector<float> a = {1, 2, kNaN, 4}, b = {1, kNaN, 3, 5};
  ConstGridView two[2] = {{a.data(), 2, 2}, {b.data(), 2, 2}};
  BandStatistics st;
  CHECK_FALSE(band_statistics(two, 2, RxParams{}, st).ok); // 2 complete cells < bands + 1

  // Perfectly collinear bands: cov = [[1, 2], [2, 4]] exactly, singular (rejected with no ridge).
  std::vector<float> c = {0, 1, 2}, d = {0, 2, 4};
  ConstGridView col[2] = {{c.data(), 3, 1}, {d.data(), 3, 1}};
  RxParams p;
  p.ridge = 0.0;
  CHECK_FALSE(band_statistics(col, 2, p, st).ok);
  // The ridge makes it invertible.
  CHECK(band_statistics(col, 2, RxParams{}, st).ok);

  // Constant bands: zero variance, nothing to scale the ridge with.
  std::vector<float> k = {3, 3, 3, 3};
  ConstGridView cst[1] = {{k.data(), 2, 2}};
  CHECK_FALSE(band_statistics(cst, 1, RxParams{}, st).ok);

  ConstGridView mixed[2] = {{c.data(), 3, 1}, {d.data(), 1, 3}};
  CHECK_FALSE(band_statistics(mixed, 2, RxParams{}, st).ok);
  CHECK_FALSE(band_statistics(nullptr, 0, RxParams{}, st).ok);

  REQUIRE(band_statistics(col, 2, RxParams{}, st).ok);
  std::vector<float> out(3);
  CHECK_FALSE(mahalanobis_apply(col, 1, st, {out.data(), 3, 1}).ok); // stats are for 2 bands
  CHECK_FALSE(mahalanobis_apply(col, 2, st, {out.data(), 1, 3}).ok);
}

TEST_CASE("mahalanobis: bit-identical with 1 and 2 threads", "[anomaly.rx][threads]") {
  // Several reduction blocks (16384 cells each) so both threads own partial sums.
  const std::int64_t nx = 257, ny = 233, nb = 4;
  std::mt19937_64 rng(99);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::vector<std::vector<float>> data(nb, std::vector<float>(nx * ny));
  for (std::int64_t i = 0; i < nx * ny; ++i) {
    const double common = nd(rng);
    for (int b = 0; b < nb; ++b)
      data[b][i] = static_cast<float>(58000.0 * (b == 0) + common + nd(rng));
    if (i % 31 == 0) data[i % nb][i] = kNaN;
  }
  std::vector<ConstGridView> bands;
  for (auto& d : data)
    bands.push_back({d.data(), nx, ny});

  const int saved = omp_get_max_threads();
  BandStatistics s1, s2;
  std::vector<float> o1(nx * ny), o2(nx * ny);
  omp_set_num_threads(1);
  REQUIRE(band_statistics(bands.data(), nb, RxParams{}, s1).ok);
  REQUIRE(mahalanobis_apply(bands.data(), nb, s1, {o1.data(), nx, ny}).ok);
  omp_set_num_threads(2);
  REQUIRE(band_statistics(bands.data(), nb, RxParams{}, s2).ok);
  REQUIRE(mahalanobis_apply(bands.data(), nb, s2, {o2.data(), nx, ny}).ok);
  omp_set_num_threads(saved);
  CHECK(s1.count == s2.count);
  CHECK(std::memcmp(s1.mean.data(), s2.mean.data(), nb * sizeof(double)) == 0);
  CHECK(std::memcmp(s1.cov.data(), s2.cov.data(), nb * nb * sizeof(double)) == 0);
  CHECK(std::memcmp(s1.inv_cov.data(), s2.inv_cov.data(), nb * nb * sizeof(double)) == 0);
  CHECK(std::memcmp(o1.data(), o2.data(), o1.size() * sizeof(float)) == 0);
}

TEST_CASE("mahalanobis: the same bits whatever the chunking, tiling and instruction set",
          "[anomaly.rx][threads]") {
  // 8 correlated bands on a 61 x 53 grid (3233 cells: 50 full chunks of 64 and a partial one), with holes.
  const std::int64_t nx = 61, ny = 53, nb = 8;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::vector<std::vector<float>> data(nb, std::vector<float>(nx * ny));
  for (std::int64_t i = 0; i < nx * ny; ++i) {
    const double common = nd(rng);
    for (int b = 0; b < nb; ++b)
      data[b][i] = static_cast<float>(1000.0 * b + 3.0 * common + nd(rng) + (b == 0 ? 58000.0 : 0.0));
    if (i % 41 == 0) data[i % nb][i] = kNaN;
  }
  std::vector<ConstGridView> bands;
  for (auto& d : data)
    bands.push_back({d.data(), nx, ny});
  BandStatistics st;
  REQUIRE(band_statistics(bands.data(), nb, RxParams{}, st).ok);
  std::vector<float> whole(nx * ny), baseline(nx * ny);
  REQUIRE(mahalanobis_apply(bands.data(), nb, st, {whole.data(), nx, ny}).ok);
  REQUIRE(
      detail::mahalanobis_apply_isa(bands.data(), nb, st, {baseline.data(), nx, ny}, cpu::Isa::baseline).ok);
  CHECK(std::memcmp(whole.data(), baseline.data(), whole.size() * sizeof(float)) == 0);

  // A window starting 23 cells in (rows 0..6 as one strip): its cells fall at other chunk positions, some in
  // the scalar tail, and must give the same bits as in the whole grid.
  const std::int64_t off = 23, len = 7 * nx - off;
  std::vector<ConstGridView> sub;
  for (auto& d : data)
    sub.push_back({d.data() + off, len, 1});
  std::vector<float> part(len);
  REQUIRE(mahalanobis_apply(sub.data(), nb, st, {part.data(), len, 1}).ok);
  CHECK(std::memcmp(part.data(), whole.data() + off, len * sizeof(float)) == 0);

  // NaN exactly where some band is NaN, and a sum of squares elsewhere.
  for (std::int64_t i = 0; i < nx * ny; ++i) {
    bool any_nan = false;
    for (int b = 0; b < nb; ++b)
      any_nan = any_nan || std::isnan(data[b][i]);
    CHECK(std::isnan(whole[i]) == any_nan);
    if (!any_nan) CHECK(whole[i] >= 0.0f);
  }
}
