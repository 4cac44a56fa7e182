#pragma once
/// \file plan_impl.hpp
/// Internal to the `potential_field.*` kernels: the definition of PotentialFieldPlan::Impl (buffers, tables
/// and FFTW plans) and the constants its passes share (plan.cpp, prepare.cpp, spectral.hpp).

#include "kernels/cpu_dispatch.hpp"
#include "kernels/potential_field/plan.hpp"

#include <fftw3.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace prospector::kernels {

namespace potential_field_detail {

constexpr double kPi = 3.14159265358979323846;
// Spectrum columns per column-pass block. A block is copied into a per-thread scratch (Ny x 8 values, which
// stays in cache) for its FFTs and filter: the strided columns of a large grid are then read and written once
// instead of once per FFT stage (3-4x faster). The block partition does not depend on the thread count, so
// neither does the arithmetic of any column.
constexpr std::int64_t kColumnBlock = 8;
// Per-row sums of the plane fit: count, sum f, sum u, sum u^2, sum f u (u = column, v = row is constant).
constexpr std::int64_t kRowSums = 5;

// FFTW's planner keeps global state and is not thread-safe (fftw_execute is).
std::mutex& planner_mutex();

struct FftwFree {
  void operator()(fftwf_complex* p) const { fftwf_free(p); }
};
using ComplexBuffer = std::unique_ptr<fftwf_complex[], FftwFree>;

struct Level {
  std::int64_t nx = 0, ny = 0, offset = 0;
};

} // namespace potential_field_detail

struct PotentialFieldPlan::Impl {
  PotentialFieldPlanParams params;
  std::int64_t nx = 0, ny = 0;                      // grid
  std::int64_t nxp = 0, nyp = 0;                    // padded FFT sizes
  std::int64_t west = 0, north = 0;                 // offset of the grid in the padded array
  std::int64_t nc = 0;                              // spectrum columns, nxp / 2 + 1
  std::int64_t cs = 0;                              // complex row stride (nc rounded up to kColumnBlock)
  potential_field_detail::ComplexBuffer spec, work; // nyp * cs each; the real view has row stride 2 * cs
  // Per thread: two column blocks (nyp * kColumnBlock each; the column FFTs run out of place between them,
  // as FFTW's estimate-mode plans copy in-place ones through a buffer) and one real row (cs complex values)
  // that the inverse row FFTs write into. threads * scratch_stride() in all.
  potential_field_detail::ComplexBuffer scratch;
  std::int64_t threads = 1; // scratch blocks, the most threads a column or inverse row pass uses
  fftwf_plan row_r2c = nullptr, row_c2r = nullptr;
  fftwf_plan col_fwd = nullptr, col_bwd = nullptr, tail_fwd = nullptr, tail_bwd = nullptr;
  std::vector<std::int64_t> src_x, src_y;
  std::vector<float> taper_x, taper_y;
  std::vector<std::uint8_t> hole;                    // ny * nx
  std::vector<double> row_sums;                      // ny * kRowSums, per-row sums for the plane fit
  std::vector<std::int64_t> hole_lo, hole_hi;        // ny, column range of the holes in each row
  std::vector<potential_field_detail::Level> levels; // fill pyramid levels 1..top (0 is the grid itself)
  std::vector<float> pyramid;
  std::vector<float> aux; // ny * nx
  std::vector<float> ky;  // nyp, wavenumber of each spectrum row (set by each filtered column pass)
  // Source row and factor of each spectrum row in a first column pass: a grid row itself (factor 1), or for a
  // pad row the grid row it mirrors and its taper (see prepare). Identity tables for the other passes.
  std::vector<std::int64_t> first_row, same_row;
  std::vector<float> first_factor, unit_factor;
  std::vector<float> hbuf; // threads * 2 * nyp, a column of filter values (real, imaginary) per thread

  ~Impl(); // destroys the FFTW plans under planner_mutex()

  float* real(fftwf_complex* buf) const { return reinterpret_cast<float*>(buf); }
  std::int64_t real_stride() const { return 2 * cs; }
  std::int64_t blocks() const {
    return (nc + potential_field_detail::kColumnBlock - 1) / potential_field_detail::kColumnBlock;
  }
  std::int64_t scratch_stride() const { return 2 * nyp * potential_field_detail::kColumnBlock + cs; }
  // Column block i (0 or 1) and the real row of thread t's scratch.
  fftwf_complex* column_block(int t, int i) const {
    return scratch.get() + t * scratch_stride() + i * nyp * potential_field_detail::kColumnBlock;
  }
  float* thread_row(int t) const { return real(column_block(t, 2)); }
  int team() const { return static_cast<int>(std::min<std::int64_t>(threads, omp_get_max_threads())); }
  // The build of the row and column loops: AVX-512 when the plan allows it and the CPU has it.
  cpu::Isa isa() const {
    return params.vector_isa && cpu::has_avx512() ? cpu::Isa::avx512 : cpu::Isa::baseline;
  }
};

} // namespace prospector::kernels
