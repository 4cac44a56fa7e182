#include "kernels/anomaly/mcd.hpp"
#include "kernels/anomaly/pca.hpp"
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

// Three strongly correlated bands on a 4 x 3 grid; cell 4 of band B is nodata.
const std::vector<float> kA = {3.1f, 4.7f, 2.2f, 5.9f, 6.3f, 1.8f, 4.4f, 7.5f, 3.3f, 2.9f, 5.1f, 6.8f};
const std::vector<float> kB = {10.f, 12.5f, 9.1f, 14.2f, kNaN, 8.8f, 11.9f, 16.4f, 10.5f, 9.9f, 13.1f, 15.8f};
const std::vector<float> kC = {0.5f, -0.2f, 0.9f, -0.8f, -1.1f, 1.3f, 0.1f, -1.6f, 0.4f, 0.8f, -0.5f, -1.2f};

// numpy 1.24 reference (/usr/bin/python3), inputs rounded to float32 first as the kernel sees them:
//   X = np.vstack([A, B, C]).T.astype(np.float32).astype(np.float64); Xv = X[~np.isnan(X).any(1)]
//   mu = Xv.mean(0); S = np.cov(Xv.T, ddof=1); sd = np.sqrt(np.diag(S)); M = S or S / np.outer(sd, sd)
//   w, V = np.linalg.eigh(M); w, V = w[::-1], V[:, ::-1]
//   for k: j = np.argmax(np.abs(V[:, k])); V[:, k] *= np.sign(V[j, k])      # the documented convention
//   scores = (X - mu) / (1 or sd) @ V
struct Reference {
  double w[3], expl[3], v[9], s0[3], s11[3];
};
const Reference kCov = {{11.257643587745672, 0.016927459563823095, 0.0057923360704515625},
                        {0.9979858986043173, 0.0015006129668449655, 0.0005134884288378305},
                        {0.5562638797988999, -0.5275047409824726, 0.6421131086281368, 0.784905509558449,
                         0.5872996116755755, -0.1974905243056232, -0.27293559147877083, 0.6138549619956923,
                         0.740734938110388},
                        {-2.41573800056573, -0.20942066787693003, -0.0047442396323690295},
                        {4.658881137514915, 0.20159603464089126, -0.033620062747825585}};
const Reference kCorr = {{2.9893383700278156, 0.008563562991194875, 0.0020980669809908883},
                         {0.9964461233426047, 0.002854520997064957, 0.0006993556603302958},
                         {0.5779142922914962, 0.1796601537544244, 0.796076189769645, 0.577301447546527,
                          0.5994820881109584, -0.5543863857408565, -0.5768345598400842, 0.7799637524828072,
                          0.2427311998632122},
                         {-1.154902733529418, -0.1315505377550643, 0.03681880306074953},
                         {2.3252402151603966, 0.10422163064400825, -0.05509859511727422}};

} // namespace

TEST_CASE("pca: hand-checkable 2-band example", "[pca]") {
  // Bands from the mahalanobis test: 8 complete cells, mean (4.625, 4.625),
  // cov [[7.125, 6.125], [6.125, 7.125]] -> eigenvalues 7.125 +- 6.125 = 13.25 and 1, eigenvectors
  // (1, 1)/sqrt2 and (1, -1)/sqrt2 (largest |entry| ties: band 0 decides the sign, so +).
  const std::vector<float> a = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<float> b = {2, 1, 4, 3, 6, 5, 9, kNaN, 7};
  ConstGridView bands[2] = {{a.data(), 3, 3}, {b.data(), 3, 3}};
  PcaParams p;
  p.matrix = PcaMatrix::Covariance;
  PcaModel m;
  REQUIRE(pca_fit(bands, 2, p, m).ok);
  CHECK(m.count == 8);
  CHECK(m.eigenvalues[0] == Approx(13.25).epsilon(1e-12));
  CHECK(m.eigenvalues[1] == Approx(1.0).epsilon(1e-12));
  CHECK(m.explained[0] == Approx(13.25 / 14.25).epsilon(1e-12));
  const double r = std::sqrt(0.5);
  CHECK(m.vectors[0] == Approx(r).epsilon(1e-12));  // v_00
  CHECK(m.vectors[2] == Approx(r).epsilon(1e-12));  // v_10
  CHECK(m.vectors[1] == Approx(r).epsilon(1e-12));  // v_01
  CHECK(m.vectors[3] == Approx(-r).epsilon(1e-12)); // v_11
  std::vector<float> s1(9), s2(9);
  GridView out[2] = {{s1.data(), 3, 3}, {s2.data(), 3, 3}};
  REQUIRE(pca_scores(bands, 2, m, out, 2).ok);
  // Cell 0: (1 - 4.625, 2 - 4.625) = (-3.625, -2.625): PC1 = -6.25 / sqrt2, PC2 = -1 / sqrt2.
  CHECK(s1[0] == Approx(-6.25 * r).epsilon(1e-6));
  CHECK(s2[0] == Approx(-1.0 * r).epsilon(1e-6));
  CHECK(std::isnan(s1[7]));
  CHECK(std::isnan(s2[7]));

  // Correlation: r = 6.125 / 7.125, eigenvalues 1 +- r, same vectors, scores of standardised bands.
  p.matrix = PcaMatrix::Correlation;
  REQUIRE(pca_fit(bands, 2, p, m).ok);
  CHECK(m.eigenvalues[0] == Approx(1.0 + 6.125 / 7.125).epsilon(1e-12));
  CHECK(m.eigenvalues[1] == Approx(1.0 - 6.125 / 7.125).epsilon(1e-12));
  REQUIRE(pca_scores(bands, 2, m, out, 1).ok);
  CHECK(s1[0] == Approx(-6.25 * r / std::sqrt(7.125)).epsilon(1e-6));
}

TEST_CASE("pca: 3 bands against numpy, covariance and correlation", "[pca]") {
  ConstGridView bands[3] = {{kA.data(), 4, 3}, {kB.data(), 4, 3}, {kC.data(), 4, 3}};
  for (const auto& [matrix, ref] :
       {std::pair{PcaMatrix::Covariance, &kCov}, std::pair{PcaMatrix::Correlation, &kCorr}}) {
    PcaParams p;
    p.matrix = matrix;
    PcaModel m;
    REQUIRE(pca_fit(bands, 3, p, m).ok);
    CHECK(m.count == 11);
    for (int k = 0; k < 3; ++k) {
      CHECK(m.eigenvalues[k] == Approx(ref->w[k]).epsilon(1e-9));
      CHECK(m.explained[k] == Approx(ref->expl[k]).epsilon(1e-9));
    }
    for (int i = 0; i < 9; ++i)
      CHECK(m.vectors[i] == Approx(ref->v[i]).margin(1e-9));
    std::vector<float> s(36);
    GridView out[3] = {{s.data(), 4, 3}, {s.data() + 12, 4, 3}, {s.data() + 24, 4, 3}};
    REQUIRE(pca_scores(bands, 3, m, out, 3).ok);
    for (int k = 0; k < 3; ++k) {
      CHECK(s[k * 12 + 0] == Approx(ref->s0[k]).margin(1e-6));
      CHECK(s[k * 12 + 11] == Approx(ref->s11[k]).margin(1e-6));
      CHECK(std::isnan(s[k * 12 + 4]));
    }
  }
}

TEST_CASE("pca: robust PCA from MCD statistics, errors", "[pca]") {
  // pca_fit_statistics on classical-looking statistics reproduces the diagonal case exactly.
  BandStatistics st;
  st.bands = 2;
  st.count = 100;
  st.mean = {1.0, 2.0};
  st.cov = {4.0, 0.0, 0.0, 9.0};
  PcaParams p;
  p.matrix = PcaMatrix::Covariance;
  PcaModel m;
  REQUIRE(pca_fit_statistics(st, p, m).ok);
  CHECK(m.eigenvalues[0] == 9.0);
  CHECK(m.eigenvalues[1] == 4.0);
  CHECK(m.vectors[0 * 2 + 0] == Approx(0.0).margin(1e-15)); // PC1 is band 1
  CHECK(m.vectors[1 * 2 + 0] == 1.0);
  CHECK(m.vectors[0 * 2 + 1] == 1.0);

  // Robust PCA: an MCD estimate feeds straight in.
  std::mt19937_64 g(4);
  const std::int64_t nx = 40, ny = 30;
  std::vector<float> x(nx * ny), y(nx * ny);
  for (std::int64_t i = 0; i < nx * ny; ++i) {
    const double u = static_cast<double>(g() >> 11) * 0x1.0p-53 - 0.5;
    const double w = static_cast<double>(g() >> 11) * 0x1.0p-53 - 0.5;
    x[i] = static_cast<float>(10.0 * u);
    y[i] = static_cast<float>(10.0 * u + w);                     // main axis along (1, 1)
    if (i % 7 == 0) y[i] = static_cast<float>(-10.0 * u + 30.0); // 14 % off-axis outliers
  }
  ConstGridView bands[2] = {{x.data(), nx, ny}, {y.data(), nx, ny}};
  McdScratch ms;
  BandStatistics robust;
  McdInfo info;
  REQUIRE(mcd_statistics(bands, 2, McdParams{}, ms, robust, info).ok);
  REQUIRE(pca_fit_statistics(robust, p, m).ok);
  CHECK(std::abs(m.vectors[0] - std::sqrt(0.5)) < 0.02);
  CHECK(std::abs(m.vectors[2] - std::sqrt(0.5)) < 0.02);

  // Errors: zero-variance band with correlation, mismatched model, too many outputs.
  const std::vector<float> c(9, 3.0f), a = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  ConstGridView flat[2] = {{a.data(), 3, 3}, {c.data(), 3, 3}};
  CHECK_FALSE(pca_fit(flat, 2, PcaParams{}, m).ok);
  p.matrix = PcaMatrix::Covariance;
  REQUIRE(pca_fit(flat, 2, p, m).ok); // allowed with the covariance: eigenvalue 0
  CHECK(m.eigenvalues[1] == 0.0);
  std::vector<float> o(9);
  GridView out[3] = {{o.data(), 3, 3}, {o.data(), 3, 3}, {o.data(), 3, 3}};
  CHECK_FALSE(pca_scores(flat, 2, m, out, 3).ok);
  CHECK_FALSE(pca_scores(flat, 1, m, out, 1).ok);
  GridView wrong[1] = {{o.data(), 9, 1}};
  CHECK_FALSE(pca_scores(flat, 2, m, wrong, 1).ok);
  const std::vector<float> one = {1.0f};
  ConstGridView single[1] = {{one.data(), 1, 1}};
  CHECK_FALSE(pca_fit(single, 1, p, m).ok);
}

TEST_CASE("pca: bit-identical with 1 and 2 threads", "[pca][threads]") {
  const std::int64_t nx = 200, ny = 180, nb = 4;
  std::mt19937_64 g(8);
  std::vector<std::vector<float>> d(nb, std::vector<float>(nx * ny));
  for (std::int64_t i = 0; i < nx * ny; ++i) {
    const double common = static_cast<double>(g() >> 11) * 0x1.0p-53;
    for (std::int64_t b = 0; b < nb; ++b)
      d[b][i] = static_cast<float>(58000.0 * (b == 0) + common + static_cast<double>(g() >> 11) * 0x1.0p-53);
  }
  std::vector<ConstGridView> bands;
  for (auto& v : d)
    bands.push_back({v.data(), nx, ny});
  const int saved = omp_get_max_threads();
  PcaModel m1, m2;
  std::vector<float> s1(nx * ny * 2), s2(nx * ny * 2);
  GridView o1[2] = {{s1.data(), nx, ny}, {s1.data() + nx * ny, nx, ny}};
  GridView o2[2] = {{s2.data(), nx, ny}, {s2.data() + nx * ny, nx, ny}};
  omp_set_num_threads(1);
  REQUIRE(pca_fit(bands.data(), nb, PcaParams{}, m1).ok);
  REQUIRE(pca_scores(bands.data(), nb, m1, o1, 2).ok);
  omp_set_num_threads(2);
  REQUIRE(pca_fit(bands.data(), nb, PcaParams{}, m2).ok);
  REQUIRE(pca_scores(bands.data(), nb, m2, o2, 2).ok);
  omp_set_num_threads(saved);
  CHECK(std::memcmp(m1.vectors.data(), m2.vectors.data(), nb * nb * sizeof(double)) == 0);
  CHECK(std::memcmp(m1.eigenvalues.data(), m2.eigenvalues.data(), nb * sizeof(double)) == 0);
  CHECK(std::memcmp(s1.data(), s2.data(), s1.size() * sizeof(float)) == 0);
}

TEST_CASE("pca: registry record", "[pca]") {
  const KernelInfo* k = find_kernel("anomaly.pca");
  REQUIRE(k != nullptr);
  REQUIRE(k->params.size() == 2);
  CHECK(k->params[0].name == "components");
  CHECK(std::stod(k->params[0].default_value) == static_cast<double>(PcaParams{}.components));
  CHECK(k->params[1].name == "matrix");
  CHECK(k->params[1].default_value == "correlation");
  CHECK(PcaParams{}.matrix == PcaMatrix::Correlation);
}
