#include "kernels/potential_field/plan.hpp"

#include <catch2/catch.hpp>

#include <cstdint>

using namespace prospector::kernels;

TEST_CASE("potential_field: fast FFT sizes are the smallest 2^a 3^b 5^c 7^d at or above n",
          "[potential_field]") {
  auto smooth = [](std::int64_t m) {
    for (std::int64_t f : {2, 3, 5, 7})
      while (m % f == 0)
        m /= f;
    return m == 1;
  };
  for (std::int64_t n = 1; n <= 600; ++n) {
    std::int64_t expect = n;
    while (!smooth(expect))
      ++expect;
    REQUIRE(fast_fft_size(n) == expect);
  }
  CHECK(fast_fft_size(289) == 294);
  CHECK(fast_fft_size(6144) == 6144);
  CHECK(fast_fft_size(4097) == 4116);
}

TEST_CASE("potential_field: plan sizes, padding and argument checks", "[potential_field]") {
  PotentialFieldPlan plan;
  CHECK_FALSE(plan.ready());
  REQUIRE(plan.init(256, 200).ok);
  CHECK(plan.padded_nx() == 384); // 256 + 2 * 64
  CHECK(plan.padded_ny() == 300); // 200 + 2 * 50
  CHECK(plan.pad_west() == 64);
  CHECK(plan.pad_north() == 50);
  CHECK(plan.memory_bytes() > 2 * 300 * 193 * 8);
  REQUIRE(plan.init(10, 3).ok); // minimum pad 16 cells
  CHECK(plan.padded_nx() == 42);
  CHECK(plan.padded_ny() == 35);
  CHECK(plan.pad_west() == 16);
  CHECK(plan.pad_north() == 16);
  CHECK_FALSE(plan.init(0, 10).ok);
  CHECK_FALSE(plan.ready());
  CHECK_FALSE(plan.init(10, 10, {-0.1, 16, 100}).ok);
  CHECK_FALSE(plan.init(10, 10, {0.25, -1, 100}).ok);
  CHECK_FALSE(plan.init(10, 10, {0.25, 16, -1}).ok);
}
