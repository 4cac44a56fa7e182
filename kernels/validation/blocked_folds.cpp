#include "kernels/validation/blocked_folds.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

namespace prospector::kernels {

namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

} // namespace

Status blocked_folds(const std::int64_t* rows, const std::int64_t* cols, std::int64_t n_deposits,
                     const BlockedFoldParams& params, std::int32_t* fold,
                     std::vector<std::int64_t>& fold_counts) {
  if (n_deposits < 0) return Status::Invalid("blocked_folds: negative deposit count");
  if (n_deposits > 0 && (rows == nullptr || cols == nullptr || fold == nullptr))
    return Status::Invalid("blocked_folds: null array");
  if (params.block_size < 1) return Status::Invalid("blocked_folds: block_size must be >= 1");
  if (params.folds < 2) return Status::Invalid("blocked_folds: folds must be >= 2");
  for (std::int64_t d = 0; d < n_deposits; ++d)
    if (rows[d] < 0 || cols[d] < 0) return Status::Invalid("blocked_folds: negative cell coordinate");

  const std::int64_t bs = params.block_size;
  std::vector<std::int64_t> order(static_cast<std::size_t>(n_deposits));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  auto key = [&](std::int64_t d) { return std::make_pair(rows[d] / bs, cols[d] / bs); };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::int64_t a, std::int64_t b) { return key(a) < key(b); });

  struct Block {
    std::int64_t br, bc, begin, end;
    std::uint64_t hash;
  };
  std::vector<Block> blocks;
  for (std::int64_t j = 0; j < n_deposits;) {
    std::int64_t j1 = j + 1;
    while (j1 < n_deposits && key(order[j1]) == key(order[j]))
      ++j1;
    const auto [br, bc] = key(order[j]);
    const std::uint64_t h = splitmix64(splitmix64(params.seed ^ static_cast<std::uint64_t>(br)) ^
                                       (static_cast<std::uint64_t>(bc) * 0x9e3779b97f4a7c15ULL));
    blocks.push_back({br, bc, j, j1, h});
    j = j1;
  }
  if (static_cast<std::int64_t>(blocks.size()) < params.folds)
    return Status::Invalid(
        "blocked_folds: fewer occupied blocks than folds (use smaller blocks or fewer folds)");

  std::sort(blocks.begin(), blocks.end(), [](const Block& a, const Block& b) {
    const std::int64_t na = a.end - a.begin, nb = b.end - b.begin;
    if (na != nb) return na > nb;
    if (a.hash != b.hash) return a.hash < b.hash;
    return std::make_pair(a.br, a.bc) < std::make_pair(b.br, b.bc);
  });
  fold_counts.assign(static_cast<std::size_t>(params.folds), 0);
  for (const Block& b : blocks) {
    const std::int32_t f = static_cast<std::int32_t>(
        std::min_element(fold_counts.begin(), fold_counts.end()) - fold_counts.begin());
    fold_counts[f] += b.end - b.begin;
    for (std::int64_t j = b.begin; j < b.end; ++j)
      fold[order[j]] = f;
  }
  return Status::Ok();
}

} // namespace prospector::kernels
