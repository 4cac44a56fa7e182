#include "kernels/anomaly/gi_star.hpp"
#include "kernels/anomaly/gi_star_exact.hpp"
#include "kernels/window/local_z_exact.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace prospector::kernels;

TEST_CASE("exact window Gi*: equals anomaly.gi_star and is identical for any tiling", "[window_exact]") {
  const std::int64_t nx = 90, ny = 70, rad = 4;
  std::mt19937 gen(11);
  std::normal_distribution<double> nd(0.0, 1.0);
  std::vector<float> v(static_cast<size_t>(nx * ny));
  for (std::int64_t r = 0; r < ny; ++r)
    for (std::int64_t c = 0; c < nx; ++c) // a hot spot in a noisy field on an offset
      v[static_cast<size_t>(r * nx + c)] = static_cast<float>(
          58000.0 + nd(gen) + 3.0 * std::exp(-((r - 30.0) * (r - 30.0) + (c - 50.0) * (c - 50.0)) / 40.0));
  for (size_t i = 0; i < v.size(); i += 23)
    v[i] = NAN;

  GiStarParams gp;
  gp.radius = rad;
  GiStarScratch gs;
  GiStarInfo info;
  std::vector<float> ref(v.size());
  REQUIRE(gi_star({v.data(), nx, ny}, gp, gs, {ref.data(), nx, ny}, info).ok);

  ExactWindowParams p;
  p.radius = rad;
  p.min_count = 1;
  p.shift = 58000.0;
  p.scale = fixed_point_scale(8.0);
  ExactMoments mom;
  mom.add(v.data(), static_cast<std::int64_t>(v.size()), p.shift, p.scale);
  const GiStarGlobal g = mom.global(p.shift, p.scale);
  CHECK(g.n == info.n);
  CHECK(g.mean == Approx(info.mean).epsilon(1e-12));
  CHECK(g.std == Approx(info.std).epsilon(1e-6));
  // The same moments from two halves in either order.
  ExactMoments a, b;
  a.add(v.data() + v.size() / 2, static_cast<std::int64_t>(v.size() - v.size() / 2), p.shift, p.scale);
  a.add(v.data(), static_cast<std::int64_t>(v.size() / 2), p.shift, p.scale);
  b.add(v.data(), static_cast<std::int64_t>(v.size()), p.shift, p.scale);
  CHECK((a.count == b.count && a.sum == b.sum && a.sum_sq == b.sum_sq));

  ExactWindowScratch s;
  std::vector<float> whole(v.size());
  REQUIRE(exact_window_gi_star({v.data(), nx, ny}, p, g, s, whole.data()).ok);
  std::int64_t bad = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::isnan(ref[i]) != std::isnan(whole[i]))
      ++bad;
    else if (!std::isnan(ref[i]) && std::fabs(ref[i] - whole[i]) > 1e-4 * std::max(1.0f, std::fabs(ref[i])))
      ++bad;
  }
  CHECK(bad == 0);
  const auto peak = std::max_element(whole.begin(), whole.end(), [](float x, float y) {
    return (std::isnan(x) ? -1e30f : x) < (std::isnan(y) ? -1e30f : y);
  });
  CHECK((peak - whole.begin()) / nx == Approx(30).margin(2));
  CHECK(*peak > 5.0f);

  // A tile with a halo of `rad` cells equals the whole grid in its interior, bit for bit.
  const std::int64_t r0 = 17, r1 = 51, c0 = 23, c1 = 77;
  std::vector<float> sub;
  for (std::int64_t r = r0 - rad; r < r1 + rad; ++r)
    for (std::int64_t c = c0 - rad; c < c1 + rad; ++c)
      sub.push_back(v[static_cast<size_t>(r * nx + c)]);
  const std::int64_t sw = c1 - c0 + 2 * rad, sh = r1 - r0 + 2 * rad;
  std::vector<float> out(sub.size());
  REQUIRE(exact_window_gi_star({sub.data(), sw, sh}, p, g, s, out.data()).ok);
  std::int64_t differ = 0;
  for (std::int64_t r = r0; r < r1; ++r)
    for (std::int64_t c = c0; c < c1; ++c) {
      const float x = whole[static_cast<size_t>(r * nx + c)];
      const float y = out[static_cast<size_t>((r - r0 + rad) * sw + (c - c0 + rad))];
      if (std::memcmp(&x, &y, sizeof x) != 0) ++differ;
    }
  CHECK(differ == 0);
}
