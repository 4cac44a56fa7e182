#pragma once
/// \file local_z_exact.hpp
/// Kernel family `window.local_z_exact`: moving-window mean, standard deviation and z-score whose result does
/// not depend on where the grid is cut into tiles, nor on the thread count.
///
/// Values are mapped to fixed point, q = round((x - shift) * scale) (round half to even), with a shift and
/// scale that are the same for every tile (from global statistics), and summed in exact integers. Integer
/// sums are associative, so a window's sums are identical whatever the grid origin, tile size or thread
/// count: the tiled result is bit-identical to the untiled one. Choose scale so that
/// |x - shift| * scale <= 2^24 for every value (fixed_point_scale does): the quantisation is then below
/// float32's own precision relative to the layer's range, and fields on a large offset (58,000 nT) keep full
/// precision on their variations. A value beyond 2^24 after scaling is an error.
///
/// Method (cost per cell independent of the radius, and cache-resident): each thread takes a band of output
/// rows and keeps, per column, the count, sum and sum of squares of the 2r+1 window rows, updating them by
/// one added and one removed input row per output row; each output row then takes its window sums as
/// differences of prefix sums along that row. The per-thread state is a few arrays of one row each, so the
/// grid is read about twice (the removed row usually from cache) and each output written once, instead of
/// streaming whole-grid summed-area tables through memory. Sums of squares use 64-bit modular integers when
/// the window cannot exceed 2^64 (radius <= 127) and 128-bit ones otherwise; the variance numerator
/// n S2 - S1^2 is formed exactly (from 32-bit limbs in vector registers for radius <= 127, in 128 bits
/// otherwise), so there is no cancellation error. The row loops are built for the baseline x86-64 ISA, AVX2
/// and AVX-512 and picked at run time; they use integer and IEEE basic operations in a fixed order, so every
/// build gives the same bits. The engine (exact_engine.hpp) also gives `anomaly.gi_star_exact` its window
/// sums (anomaly/gi_star_exact.hpp).

#include "kernels/cpu_dispatch.hpp"
#include "kernels/views.hpp"

#include <vector>

namespace prospector::kernels {

/// Parameters of `window.local_z_exact`.
struct ExactWindowParams {
  std::int64_t radius = 10;   ///< half-width of the square window in cells (>= 1)
  std::int64_t min_count = 3; ///< fewer valid cells in the window gives NaN
  double min_std = 1e-12;     ///< a window with standard deviation below this gives z = 0
  double shift = 0.0;         ///< subtracted before quantising (e.g. the global median)
  double scale = 1.0;         ///< quantisation factor (power of two from fixed_point_scale)
};

/// Reusable per-thread row buffers (a few rows per thread, plus a ring of the 2 radius + 2 latest quantised
/// input rows when that fits in ring_limit_bytes per thread, so each input row is quantised once instead of
/// twice); they only grow.
struct ExactWindowScratch {
  std::size_t ring_limit_bytes = std::size_t{32} << 20; ///< per thread; 0 disables the ring
  std::vector<std::uint64_t> ints;
  std::vector<unsigned __int128> wide;
  std::vector<double> reals;
  std::vector<std::int32_t> quant;
  std::vector<float> rows;
  std::vector<double> table; ///< per window count: 1 / n or the Gi* denominator
  /// Bytes currently held.
  std::size_t bytes() const {
    return ints.capacity() * sizeof(std::uint64_t) + wide.capacity() * sizeof(unsigned __int128) +
           reals.capacity() * sizeof(double) + quant.capacity() * sizeof(std::int32_t) +
           rows.capacity() * sizeof(float) + table.capacity() * sizeof(double);
  }
};

/// Power-of-two scale such that max_abs_deviation * scale <= 2^24 (1 when max_abs_deviation is 0).
double fixed_point_scale(double max_abs_deviation);

/// Computes the window statistics of every cell of `in` (which may carry a halo) into `mean`, `std` and `z`
/// (same shape); any output pointer may be null, but none may overlap the input. NaN input gives NaN output.
/// Invalid when a value exceeds the fixed-point range (|x - shift| * scale > 2^24).
Status exact_window_stats(ConstGridView in, const ExactWindowParams& params, ExactWindowScratch& scratch,
                          float* mean, float* std, float* z);

namespace detail {
/// exact_window_stats using at most the instruction set `allowed` (tests compare the builds bit for bit).
Status exact_window_stats_isa(ConstGridView in, const ExactWindowParams& params, ExactWindowScratch& scratch,
                              float* mean, float* std, float* z, cpu::Isa allowed);
} // namespace detail

} // namespace prospector::kernels
