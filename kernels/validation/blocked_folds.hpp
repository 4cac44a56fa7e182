#pragma once
/// \file blocked_folds.hpp
/// Kernel `validation.blocked_folds`: spatially blocked k-fold assignment of deposits, for prediction-rate
/// curves (rate_curve.hpp) on held-out folds.

#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// Parameters of `validation.blocked_folds`.
struct BlockedFoldParams {
  std::int64_t block_size = 32; ///< side of the square blocks in cells (>= 1)
  std::int32_t folds = 5;       ///< k (>= 2)
  std::uint64_t seed = 0;       ///< changes the order among blocks of equal deposit count
};

/// Spatially blocked k-fold assignment: deposit d at (rows[d], cols[d]) (cell coordinates, >= 0) lies in
/// block (rows[d] / block_size, cols[d] / block_size); all deposits of a block get the same fold, so a
/// held-out fold is spatially separated from the training folds by at least the block edges. Blocks are
/// taken by descending deposit count (ties in the order of a seeded hash of the block coordinates, then
/// by the coordinates) and each goes to the fold with the fewest deposits so far (lowest fold on ties),
/// which balances the folds. Deterministic for a given seed. fold[d] receives 0..folds-1; fold_counts
/// (resized to folds) the deposits per fold. Returns Invalid when fewer blocks hold deposits than there
/// are folds.
Status blocked_folds(const std::int64_t* rows, const std::int64_t* cols, std::int64_t n_deposits,
                     const BlockedFoldParams& params, std::int32_t* fold,
                     std::vector<std::int64_t>& fold_counts);

} // namespace prospector::kernels
