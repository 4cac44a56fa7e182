#include "kernels/window/local_z_exact.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <omp.h>
#include <random>
#include <vector>

using namespace prospector::kernels;

namespace {

// Double-precision brute force over the clipped window.
void brute(const std::vector<float>& v, std::int64_t nx, std::int64_t ny, std::int64_t rad,
           std::vector<double>& mean, std::vector<double>& sd) {
  mean.assign(v.size(), NAN);
  sd.assign(v.size(), NAN);
  for (std::int64_t r = 0; r < ny; ++r)
    for (std::int64_t c = 0; c < nx; ++c) {
      if (std::isnan(v[static_cast<size_t>(r * nx + c)])) continue;
      double s = 0, q = 0;
      int n = 0;
      for (std::int64_t rr = std::max<std::int64_t>(0, r - rad); rr <= std::min(ny - 1, r + rad); ++rr)
        for (std::int64_t cc = std::max<std::int64_t>(0, c - rad); cc <= std::min(nx - 1, c + rad); ++cc) {
          const float x = v[static_cast<size_t>(rr * nx + cc)];
          if (std::isnan(x)) continue;
          s += x;
          ++n;
        }
      const double m = s / n;
      for (std::int64_t rr = std::max<std::int64_t>(0, r - rad); rr <= std::min(ny - 1, r + rad); ++rr)
        for (std::int64_t cc = std::max<std::int64_t>(0, c - rad); cc <= std::min(nx - 1, c + rad); ++cc) {
          const float x = v[static_cast<size_t>(rr * nx + cc)];
          if (!std::isnan(x)) q += (x - m) * (x - m);
        }
      mean[static_cast<size_t>(r * nx + c)] = m;
      sd[static_cast<size_t>(r * nx + c)] = std::sqrt(q / n);
    }
}

std::vector<float> field(std::int64_t nx, std::int64_t ny, unsigned seed) {
  std::mt19937 gen(seed);
  std::vector<float> v(static_cast<size_t>(nx * ny));
  for (auto& x : v)
    x = 58000.0f + (static_cast<float>(gen() % 200001) / 100000.0f - 1.0f);
  for (size_t i = 0; i < v.size(); i += 37)
    v[i] = NAN;
  return v;
}

// Parameters for the fields above: 58000 +- 1, quantised to 2^23 steps per unit.
ExactWindowParams around_58000(std::int64_t radius, std::int64_t min_count = 3) {
  ExactWindowParams p;
  p.radius = radius;
  p.min_count = min_count;
  p.shift = 58000.0;
  p.scale = fixed_point_scale(1.0);
  return p;
}

} // namespace

TEST_CASE("exact window statistics match double brute force on 58000 +- 1", "[window_exact]") {
  const std::int64_t nx = 61, ny = 53;
  const auto v = field(nx, ny, 3);
  ExactWindowScratch s;
  for (std::int64_t rad : {1, 2, 5, 20}) {
    const ExactWindowParams p = around_58000(rad, 1);
    std::vector<float> mean(v.size()), sd(v.size()), z(v.size());
    REQUIRE(exact_window_stats({v.data(), nx, ny}, p, s, mean.data(), sd.data(), z.data()).ok);
    std::vector<double> bm, bs;
    brute(v, nx, ny, rad, bm, bs);
    double worst = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      if (std::isnan(v[i])) {
        CHECK(std::isnan(z[i]));
        continue;
      }
      worst = std::max(worst, std::fabs(sd[i] - bs[i]) / bs[i]);
      CHECK(mean[i] == Approx(bm[i]).epsilon(1e-7)); // float32 output near 58000: ~0.004 resolution
    }
    INFO("radius " << rad << " worst relative std error " << worst);
    CHECK(worst < 1e-4);
  }
}

TEST_CASE("exact window: a tile with a halo equals the whole grid bit for bit", "[window_exact]") {
  const std::int64_t nx = 90, ny = 70, rad = 6;
  const auto v = field(nx, ny, 9);
  const ExactWindowParams p = around_58000(rad);
  ExactWindowScratch s;
  std::vector<float> whole(v.size());
  REQUIRE(exact_window_stats({v.data(), nx, ny}, p, s, nullptr, nullptr, whole.data()).ok);
  // Tile rows 20..49, cols 33..71 with its halo, as the pipeline cuts it.
  const std::int64_t r0 = 20 - rad, r1 = 50 + rad, c0 = 33 - rad, c1 = 72 + rad;
  std::vector<float> sub(static_cast<size_t>((r1 - r0) * (c1 - c0))), out(sub.size());
  for (std::int64_t r = r0; r < r1; ++r)
    for (std::int64_t c = c0; c < c1; ++c)
      sub[static_cast<size_t>((r - r0) * (c1 - c0) + (c - c0))] = v[static_cast<size_t>(r * nx + c)];
  REQUIRE(exact_window_stats({sub.data(), c1 - c0, r1 - r0}, p, s, nullptr, nullptr, out.data()).ok);
  int differ = 0;
  for (std::int64_t r = 20; r < 50; ++r)
    for (std::int64_t c = 33; c < 72; ++c) {
      const float a = whole[static_cast<size_t>(r * nx + c)],
                  b = out[static_cast<size_t>((r - r0) * (c1 - c0) + (c - c0))];
      if (std::memcmp(&a, &b, sizeof a) != 0) ++differ;
    }
  CHECK(differ == 0);
}

TEST_CASE("exact window: bit-identical for 1 and 2 threads, and the range is checked", "[window_exact]") {
  const std::int64_t nx = 80, ny = 64;
  const auto v = field(nx, ny, 4);
  ExactWindowParams p = around_58000(4);
  ExactWindowScratch s;
  std::vector<float> a(v.size()), b(v.size());
  omp_set_num_threads(1);
  REQUIRE(exact_window_stats({v.data(), nx, ny}, p, s, nullptr, nullptr, a.data()).ok);
  omp_set_num_threads(2);
  REQUIRE(exact_window_stats({v.data(), nx, ny}, p, s, nullptr, nullptr, b.data()).ok);
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
  p.shift = 0.0; // 58000 * 2^24 exceeds the fixed-point range
  CHECK_FALSE(exact_window_stats({v.data(), nx, ny}, p, s, nullptr, nullptr, b.data()).ok);
  CHECK(fixed_point_scale(1.0) == 8388608.0);
  CHECK(fixed_point_scale(0.0) == 1.0);
}

TEST_CASE("exact window: the ring of quantised rows and the 128-bit path give the same bits",
          "[window_exact]") {
  const std::int64_t nx = 70, ny = 300;
  const auto v = field(nx, ny, 9);
  for (std::int64_t rad : {3, 127, 128, 140}) {
    const ExactWindowParams p = around_58000(rad);
    ExactWindowScratch ring, no_ring;
    no_ring.ring_limit_bytes = 0; // every row leaving the window is quantised again
    std::vector<float> a(v.size()), b(v.size()), m(v.size()), s(v.size());
    REQUIRE(exact_window_stats({v.data(), nx, ny}, p, ring, m.data(), s.data(), a.data()).ok);
    REQUIRE(exact_window_stats({v.data(), nx, ny}, p, no_ring, nullptr, nullptr, b.data()).ok);
    INFO("radius " << rad);
    CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
    // And against double brute force (the 128-bit path for radius > 127).
    std::vector<double> bm, bs;
    brute(v, nx, ny, rad, bm, bs);
    std::int64_t bad = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (std::isnan(bm[i])) continue;
      if (std::fabs(m[i] - bm[i]) > 1e-7 * std::fabs(bm[i]) || std::fabs(s[i] - bs[i]) > 1e-4 * bs[i]) ++bad;
    }
    CHECK(bad == 0);
  }
}

TEST_CASE("exact window: the baseline and vector builds give the same bits", "[window_exact]") {
  const std::int64_t nx = 203, ny = 150;
  const auto v = field(nx, ny, 11);
  for (std::int64_t rad : {1, 6, 127, 128}) {
    const ExactWindowParams p = around_58000(rad, 5);
    ExactWindowScratch s;
    std::vector<float> m0(v.size()), s0(v.size()), z0(v.size()), m1(v.size()), s1(v.size()), z1(v.size());
    REQUIRE(detail::exact_window_stats_isa({v.data(), nx, ny}, p, s, m0.data(), s0.data(), z0.data(),
                                           cpu::Isa::baseline)
                .ok);
    REQUIRE(detail::exact_window_stats_isa({v.data(), nx, ny}, p, s, m1.data(), s1.data(), z1.data(),
                                           cpu::Isa::avx512)
                .ok);
    INFO("radius " << rad);
    CHECK(std::memcmp(m0.data(), m1.data(), m0.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(s0.data(), s1.data(), s0.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(z0.data(), z1.data(), z0.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("exact window: the variance numerator is exact at the ends of the fixed-point range",
          "[window_exact]") {
  // Quantised values of +-2^24 in a 255 x 255 window: |S1| near 2^40 and S2 near 2^64, where every limb of
  // the narrow numerator is in use. A constant field has n S2 - S1^2 = 0 exactly (sd 0); a checkerboard has
  // mean +-1/n and sd sqrt(1 - mean^2) in the interior.
  const std::int64_t nx = 300, ny = 280, rad = 127;
  ExactWindowParams p;
  p.radius = rad;
  p.min_count = 1;
  p.min_std = 0.0;
  p.shift = 100.0;
  p.scale = 16777216.0; // +-1 around the shift maps to +-2^24
  ExactWindowScratch s;
  std::vector<float> m(static_cast<size_t>(nx * ny)), sd(m.size());
  for (float level : {101.0f, 99.0f}) { // S1 = +-65025 * 2^24
    const std::vector<float> flat(m.size(), level);
    REQUIRE(exact_window_stats({flat.data(), nx, ny}, p, s, m.data(), sd.data(), nullptr).ok);
    for (std::size_t i = 0; i < flat.size(); i += 997) {
      CHECK(m[i] == level);
      CHECK(sd[i] == 0.0f);
    }
  }
  std::vector<float> board(m.size());
  for (std::int64_t r = 0; r < ny; ++r)
    for (std::int64_t c = 0; c < nx; ++c)
      board[static_cast<size_t>(r * nx + c)] = (r + c) % 2 ? 99.0f : 101.0f;
  REQUIRE(exact_window_stats({board.data(), nx, ny}, p, s, m.data(), sd.data(), nullptr).ok);
  for (std::int64_t r : {0L, 140L, 279L})
    for (std::int64_t c : {0L, 150L, 299L}) {
      double sum = 0, sq = 0, n = 0;
      for (std::int64_t rr = std::max<std::int64_t>(0, r - rad); rr <= std::min(ny - 1, r + rad); ++rr)
        for (std::int64_t cc = std::max<std::int64_t>(0, c - rad); cc <= std::min(nx - 1, c + rad); ++cc) {
          const double d = board[static_cast<size_t>(rr * nx + cc)] - 100.0;
          sum += d;
          sq += d * d;
          ++n;
        }
      const double mean = sum / n, var = sq / n - mean * mean;
      INFO("cell " << r << ", " << c);
      CHECK(m[static_cast<size_t>(r * nx + c)] == Approx(100.0 + mean).epsilon(1e-7));
      CHECK(sd[static_cast<size_t>(r * nx + c)] == Approx(std::sqrt(var)).epsilon(1e-6));
    }
}
