#include "kernels/validation/blocked_folds.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

using namespace prospector::kernels;

TEST_CASE("blocked folds: deposits of one block share a fold, folds are balanced", "[validation]") {
  // block_size 10; deposits 0..9 at (row, col):
  const std::vector<std::int64_t> rows = {1, 5, 9, 2, 8, 31, 35, 55, 99, 0};
  const std::vector<std::int64_t> cols = {1, 9, 0, 20, 29, 10, 19, 55, 5, 3};
  // Blocks (row / 10, col / 10): (0,0) holds deposits 0, 1, 2, 9; (0,2) holds 3, 4; (3,1) holds 5, 6;
  // (5,5) holds 7; (9,0) holds 8.
  BlockedFoldParams p;
  p.block_size = 10;
  p.folds = 2;
  std::vector<std::int32_t> fold(10, -1);
  std::vector<std::int64_t> counts;
  REQUIRE(blocked_folds(rows.data(), cols.data(), 10, p, fold.data(), counts).ok);
  // Blocks by count: (0,0) 4 -> fold 0 (counts 4, 0); (0,2) 2 -> fold 1 (4, 2); (3,1) 2 -> fold 1 (4, 4);
  // the two single blocks, in seeded-hash order: the first to fold 0 (tie, lowest fold), the second to
  // fold 1 (5 > 4).
  CHECK(fold[0] == 0);
  CHECK(fold[1] == 0);
  CHECK(fold[2] == 0);
  CHECK(fold[9] == 0);
  CHECK(fold[3] == 1);
  CHECK(fold[4] == 1);
  CHECK(fold[5] == 1);
  CHECK(fold[6] == 1);
  CHECK(fold[7] != fold[8]);
  CHECK(counts == std::vector<std::int64_t>{5, 5});

  // Larger random set: same block -> same fold, deterministic, every fold used, balanced within the
  // largest block.
  std::mt19937_64 gen(5);
  std::vector<std::int64_t> r, c;
  for (int d = 0; d < 400; ++d) {
    r.push_back(static_cast<std::int64_t>(gen() % 200));
    c.push_back(static_cast<std::int64_t>(gen() % 300));
  }
  p.block_size = 25;
  p.folds = 5;
  p.seed = 17;
  std::vector<std::int32_t> f1(400), f2(400);
  std::vector<std::int64_t> n1, n2;
  REQUIRE(blocked_folds(r.data(), c.data(), 400, p, f1.data(), n1).ok);
  REQUIRE(blocked_folds(r.data(), c.data(), 400, p, f2.data(), n2).ok);
  CHECK(f1 == f2);
  std::int64_t total = 0, lo = 400, hi = 0;
  for (auto v : n1) {
    total += v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  CHECK(total == 400);
  for (int a = 0; a < 400; ++a)
    for (int b = a + 1; b < 400; ++b)
      if (r[a] / 25 == r[b] / 25 && c[a] / 25 == c[b] / 25) CHECK(f1[a] == f1[b]);
  std::int64_t largest = 0;
  {
    std::vector<std::int64_t> per(8 * 12, 0);
    for (int d = 0; d < 400; ++d)
      largest = std::max(largest, ++per[(r[d] / 25) * 12 + c[d] / 25]);
  }
  CHECK(hi - lo <= largest);
  std::set<std::int32_t> used(f1.begin(), f1.end());
  CHECK(used.size() == 5);

  // Too few occupied blocks for the folds, and bad parameters.
  p.block_size = 1000;
  CHECK_FALSE(blocked_folds(r.data(), c.data(), 400, p, f1.data(), n1).ok);
  p.block_size = 0;
  CHECK_FALSE(blocked_folds(r.data(), c.data(), 400, p, f1.data(), n1).ok);
  p.block_size = 10;
  p.folds = 1;
  CHECK_FALSE(blocked_folds(r.data(), c.data(), 400, p, f1.data(), n1).ok);
}
