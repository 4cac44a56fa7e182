#include "kernels/stats/merged.hpp"
#include "kernels/stats/radix_select.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace prospector::kernels;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }
bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// The values cut into blocks of the given sizes (the last takes the rest), as tiles would hold them.
struct Blocks {
  std::vector<std::vector<float>> parts;
  std::vector<const float*> ptr;
  std::vector<std::int64_t> size;
  Blocks(const std::vector<float>& v, std::int64_t block) {
    for (std::size_t i = 0; i < v.size(); i += static_cast<std::size_t>(block))
      parts.emplace_back(
          v.begin() + static_cast<std::ptrdiff_t>(i),
          v.begin() + static_cast<std::ptrdiff_t>(std::min(v.size(), i + static_cast<std::size_t>(block))));
    if (parts.empty()) parts.emplace_back();
    for (auto& p : parts) {
      ptr.push_back(p.data());
      size.push_back(static_cast<std::int64_t>(p.size()));
    }
  }
  ValueBlocks view() const { return {ptr.data(), size.data(), static_cast<std::int64_t>(ptr.size())}; }
};

// stats.merged's answer: the valid values sorted into one run.
struct Sorted {
  std::vector<float> v;
  explicit Sorted(const std::vector<float>& x) {
    for (float f : x)
      if (!std::isnan(f)) v.push_back(f);
    std::sort(v.begin(), v.end());
  }
  SortedRun run() const { return {v.data(), static_cast<std::int64_t>(v.size())}; }
};

void check_all(const std::vector<float>& values, std::int64_t gather_limit) {
  const Sorted s(values);
  const SortedRun run = s.run();
  RadixSelectParams p;
  p.gather_limit = gather_limit;
  for (std::int64_t block : {std::int64_t{1}, std::int64_t{7}, std::int64_t{1000}, std::int64_t{1} << 20}) {
    const Blocks b(values, block);
    INFO("values " << values.size() << ", block " << block << ", gather limit " << gather_limit);
    REQUIRE(summarize(b.view()).count == run.n);
    if (run.n == 0) {
      RobustLocation loc;
      CHECK_FALSE(radix_robust_location(b.view(), p, loc).ok);
      continue;
    }
    for (std::int64_t k : {std::int64_t{0}, run.n / 3, run.n / 2, run.n - 1}) {
      float want = 0, got = 0;
      REQUIRE(kth_smallest(&run, 1, k, want).ok);
      REQUIRE(radix_kth_smallest(b.view(), k, p, got).ok);
      CHECK(same_bits(got, want));
    }
    RobustLocation want, got;
    REQUIRE(merged_robust_location(&run, 1, want).ok);
    REQUIRE(radix_robust_location(b.view(), p, got).ok);
    CHECK(same_bits(got.median, want.median));
    CHECK(same_bits(got.mad, want.mad));
    CHECK(got.count == want.count);
    for (double f : {0.001, 0.02, 0.5, 1.0}) {
      double tw = 0, tg = 0;
      REQUIRE(merged_top_fraction_threshold(&run, 1, f, tw).ok);
      REQUIRE(radix_top_fraction_threshold(b.view(), f, p, tg).ok);
      CHECK(same_bits(tg, tw));
    }
  }
}

} // namespace

TEST_CASE("stats.radix_select equals the sorted merge on adversarial data", "[radix_select]") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  std::mt19937 rng(17);
  std::normal_distribution<float> normal(100.0f, 15.0f);
  std::vector<std::vector<float>> cases;
  std::vector<float> spread(20001);
  for (auto& x : spread)
    x = normal(rng);
  cases.push_back(spread);
  std::vector<float> ties(5000);
  for (std::size_t i = 0; i < ties.size(); ++i)
    ties[i] = static_cast<float>(i % 7) * 0.25f;
  cases.push_back(ties);
  cases.push_back({0.0f, -0.0f, 0.0f, -0.0f, 1.0f, -1.0f});               // signed zeros
  cases.push_back({0.0f, 0.0f, 0.0f, 0.0f});                              // +0 only
  cases.push_back({nan, 3.0f, nan, -inf, inf, 2.0f, nan, 1e38f, -1e38f}); // NaN is no value, inf is a value
  cases.push_back({42.0f});                                               // a single value
  cases.push_back(std::vector<float>(4096, 7.5f));                        // all equal: MAD 0
  cases.push_back({nan, nan});                                            // nothing valid
  std::vector<float> denormal(1001);
  for (std::size_t i = 0; i < denormal.size(); ++i)
    denormal[i] =
        std::numeric_limits<float>::denorm_min() * static_cast<float>(i % 13) * (i % 2 ? 1.0f : -1.0f);
  cases.push_back(denormal);
  std::vector<float> scaled(3000);
  for (auto& x : scaled)
    x = normal(rng) * 1e-20f;
  cases.push_back(scaled);
  std::vector<float> even(spread.begin(), spread.begin() + 1000);
  cases.push_back(even);
  for (const auto& c : cases)
    for (std::int64_t limit : {std::int64_t{0}, std::int64_t{16}, std::int64_t{1} << 20})
      check_all(c, limit);
}

TEST_CASE("stats.radix_select counts values at or above thresholds exactly", "[radix_select]") {
  const std::vector<float> v = {0.1f, 0.2f, 0.2f, 0.5f, std::numeric_limits<float>::quiet_NaN(), 0.9f, -1.0f};
  const Blocks b(v, 3);
  const std::vector<double> t = {-2.0, 0.2, 0.2000001, 0.9, 1.0};
  const auto c = count_at_or_above(b.view(), t);
  REQUIRE(c.size() == 5);
  CHECK(c[0] == 6);
  CHECK(c[1] == 4); // 0.2f as double is 0.200000003 >= 0.2
  CHECK(c[2] == 2); // 0.2000000030 < 0.2000001: only 0.5 and 0.9
  CHECK(c[3] == 0); // 0.9f as double is 0.899999976 < 0.9
  CHECK(c[4] == 0);
  CHECK(smallest_positive(b.view()) == 0.1f);
}
