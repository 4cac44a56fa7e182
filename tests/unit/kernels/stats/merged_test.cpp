#include "kernels/stats/merged.hpp"
#include "kernels/stats/robust.hpp"
#include "kernels/targets/components.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace prospector::kernels;

namespace {
std::vector<std::vector<float>> split_sorted(const std::vector<float>& all, std::vector<size_t> cuts) {
  std::vector<std::vector<float>> runs;
  size_t prev = 0;
  cuts.push_back(all.size());
  for (size_t c : cuts) {
    std::vector<float> r(all.begin() + static_cast<std::ptrdiff_t>(prev),
                         all.begin() + static_cast<std::ptrdiff_t>(c));
    std::sort(r.begin(), r.end());
    runs.push_back(r);
    prev = c;
  }
  return runs;
}
std::vector<SortedRun> views(const std::vector<std::vector<float>>& runs) {
  std::vector<SortedRun> v;
  for (const auto& r : runs)
    v.push_back({r.data(), static_cast<std::int64_t>(r.size())});
  return v;
}
} // namespace

TEST_CASE("k-th smallest over runs equals the sorted union, negatives and duplicates included",
          "[order_stats]") {
  const std::vector<float> all = {3.5f,   -2.0f,  7.0f,      3.5f, 0.0f, -0.0f,
                                  1e-30f, -1e30f, 58000.25f, 2.0f, 2.0f};
  auto runs = split_sorted(all, {3, 4, 9});
  auto v = views(runs);
  std::vector<float> sorted = all;
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t k = 0; k < static_cast<std::int64_t>(all.size()); ++k) {
    float got = 0;
    REQUIRE(kth_smallest(v.data(), static_cast<std::int64_t>(v.size()), k, got).ok);
    CHECK(got == sorted[static_cast<size_t>(k)]);
  }
  float dummy;
  CHECK_FALSE(kth_smallest(v.data(), static_cast<std::int64_t>(v.size()), 11, dummy).ok);
}

TEST_CASE("merged median and MAD: hand-computed and equal for every split", "[order_stats]") {
  // Values 1..9 and 100: median (5 + 6) / 2 = 5.5; |x - 5.5| = 4.5 3.5 2.5 1.5 .5 .5 1.5 2.5 3.5 94.5 ->
  // sorted .5 .5 1.5 1.5 2.5 2.5 3.5 3.5 4.5 94.5, MAD = (2.5 + 2.5) / 2 = 2.5.
  const std::vector<float> all = {9, 1, 100, 5, 3, 7, 2, 8, 4, 6};
  for (std::vector<size_t> cuts : {std::vector<size_t>{}, {1}, {5}, {2, 4, 9}, {0, 10}}) {
    auto runs = split_sorted(all, cuts);
    auto v = views(runs);
    RobustLocation loc;
    REQUIRE(merged_robust_location(v.data(), static_cast<std::int64_t>(v.size()), loc).ok);
    CHECK(loc.median == 5.5);
    CHECK(loc.mad == 2.5);
    CHECK(loc.scale == Approx(1.4826 * 2.5));
    CHECK(loc.count == 10);
  }
}

TEST_CASE("merged statistics equal the whole-grid kernels on random data", "[order_stats]") {
  std::mt19937 gen(5);
  std::vector<float> all(10001);
  for (auto& x : all)
    x = 58000.0f + static_cast<float>(gen() % 20001) / 10000.0f - 1.0f;
  auto runs = split_sorted(all, {17, 2500, 2501, 7000});
  auto v = views(runs);
  RobustLocation merged, whole;
  std::vector<float> scratch;
  REQUIRE(merged_robust_location(v.data(), static_cast<std::int64_t>(v.size()), merged).ok);
  REQUIRE(robust_location({all.data(), static_cast<std::int64_t>(all.size()), 1}, scratch, whole).ok);
  CHECK(merged.median == whole.median);
  // The whole-grid kernel rounds deviations to float; the merged one keeps them in double.
  CHECK(merged.mad == Approx(whole.mad).epsilon(1e-6));
  for (double frac : {0.02, 0.07, 0.5, 1.0}) {
    double a = 0, b = 0;
    REQUIRE(merged_top_fraction_threshold(v.data(), static_cast<std::int64_t>(v.size()), frac, a).ok);
    REQUIRE(
        top_fraction_threshold({all.data(), static_cast<std::int64_t>(all.size()), 1}, frac, scratch, b).ok);
    CHECK(a == b);
  }
}

TEST_CASE("merged statistics reject empty input and bad fractions", "[order_stats]") {
  std::vector<SortedRun> none = {{nullptr, 0}};
  RobustLocation loc;
  CHECK_FALSE(merged_robust_location(none.data(), 1, loc).ok);
  double t;
  const float one = 1.0f;
  SortedRun r{&one, 1};
  CHECK_FALSE(merged_top_fraction_threshold(&r, 1, 0.0, t).ok);
  CHECK(top_fraction_rank(0.07, 100) == 7);
  CHECK(top_fraction_rank(0.021, 100) == 3);
}

TEST_CASE("k-th smallest returns the infinities as values, never a NaN", "[order_stats]") {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> v = {-inf, -1.0f, 2.0f, inf};
  const SortedRun run{v.data(), static_cast<std::int64_t>(v.size())};
  for (std::int64_t k = 0; k < 4; ++k) {
    float got = 0;
    REQUIRE(kth_smallest(&run, 1, k, got).ok);
    CHECK(got == v[static_cast<size_t>(k)]);
  }
}
