#pragma once
/// \file plan.hpp
/// The workspace of the `potential_field.*` kernels (transforms.hpp): padded FFT buffers, fill scratch and
/// FFTW plans for grids of one size, and the padded FFT sizes (transforms.hpp describes the padding).

#include "kernels/views.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace prospector::kernels {

/// What is removed from the grid before the transform (transforms.hpp, step 1).
enum class PfDetrend {
  Auto,  ///< each transform's own choice: a plane for continuation and derivatives, the mean for RTP and
         ///< pseudo-gravity
  None,  ///< nothing (GMT grdfft -N+l)
  Mean,  ///< the mean of the valid cells (GMT -N+a)
  Plane, ///< the least-squares plane (GMT -N+d, GMT's default)
};

/// How the grid is extended into the pad (transforms.hpp, step 3).
enum class PfPadding {
  Mirror, ///< even mirror image (the first pad cell repeats the edge cell), taper reaching 0 at the pad's end
  EdgePoint, ///< GMT grdfft's default (-N+e): point symmetry about the edge cell, f(-m) = 2 f(0) - f(m),
             ///< under the cosine taper 0.5 (1 + cos(pi m / (P + 1))) over the whole pad of width P
};

/// Padding and nodata-fill settings of a PotentialFieldPlan (shared by every `potential_field.*` kernel).
struct PotentialFieldPlanParams {
  double pad_fraction = 0.25;         ///< pad width per side as a fraction of the grid dimension (>= 0)
  std::int64_t min_pad = 16;          ///< minimum pad width per side in cells (>= 0)
  std::int64_t fill_iterations = 100; ///< red-black Gauss-Seidel sweeps smoothing the filled holes (>= 0)
  /// Use the AVX-512 build of the operator loops when the CPU has it (the baseline build otherwise). Both
  /// give the same bits (IEEE operations in a fixed order); tests compare them.
  bool vector_isa = true;
  PfDetrend detrend = PfDetrend::Auto;   ///< what is removed before the transform
  PfPadding padding = PfPadding::Mirror; ///< how the pad continues the grid
};

/// Workspace for the `potential_field.*` kernels on grids of one size: padded complex buffers (two of
/// Ny x (Nx/2 + 1) values, rows rounded up to 8 values), per thread two column blocks (Ny x 8 values each)
/// and one padded row (for max(omp_get_max_threads(), omp_get_num_procs()) threads at init; a pass uses at
/// most that many),
/// per-cell scratch (a nodata mask, one float grid, the fill pyramid) and the FFTW plans: about 410 MB for a
/// 4096 x 4096 grid (padded to 6144 x 6144). Creating it costs the allocation and first touch of those
/// buffers; every transform then runs without allocating. Move-only. One transform at a time may use a plan;
/// for concurrent transforms use one plan each.
class PotentialFieldPlan {
public:
  PotentialFieldPlan();
  ~PotentialFieldPlan();
  PotentialFieldPlan(PotentialFieldPlan&&) noexcept;
  PotentialFieldPlan& operator=(PotentialFieldPlan&&) noexcept;
  PotentialFieldPlan(const PotentialFieldPlan&) = delete;
  PotentialFieldPlan& operator=(const PotentialFieldPlan&) = delete;

  /// Sets the plan up for (ny, nx) grids, replacing any previous set-up. Fails on bad sizes or parameters,
  /// when memory runs out or when FFTW cannot create a plan.
  Status init(std::int64_t nx, std::int64_t ny, const PotentialFieldPlanParams& params = {});

  bool ready() const;
  std::int64_t nx() const;          ///< grid columns (0 before init)
  std::int64_t ny() const;          ///< grid rows
  std::int64_t padded_nx() const;   ///< FFT size along x
  std::int64_t padded_ny() const;   ///< FFT size along y
  std::int64_t pad_west() const;    ///< pad columns west of the grid (the east pad takes the rest)
  std::int64_t pad_north() const;   ///< pad rows north of the grid
  std::size_t memory_bytes() const; ///< bytes held by the buffers

  struct Impl; ///< internal: buffers and FFTW plans (defined in plan_impl.hpp)
  Impl* impl() const { return impl_.get(); }

private:
  std::unique_ptr<Impl> impl_;
};

/// Smallest integer >= n (n >= 1) of the form 2^a 3^b 5^c 7^d, a size FFTW transforms fast.
std::int64_t fast_fft_size(std::int64_t n);

} // namespace prospector::kernels
