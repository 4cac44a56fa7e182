#pragma once
/// \file views.hpp
/// Non-owning views and status type shared by every kernel.
///
/// Conventions for all kernels:
/// - grids are row-major float32, row 0 is the northern row; indices are 64-bit;
/// - nodata is NaN on input and output: a NaN input cell gives a NaN output cell;
/// - kernels never allocate in their hot path when the caller passes scratch buffers,
///   never throw (inside or outside OpenMP regions), never log and never touch files;
/// - results are bit-identical for any OpenMP thread count (fixed reduction order).

#include <cstdint>
#include <string>

namespace prospector::kernels {

/// Read-only view of a (ny, nx) float32 grid.
struct ConstGridView {
  const float* data = nullptr;
  std::int64_t nx = 0;
  std::int64_t ny = 0;
  std::int64_t size() const { return nx * ny; }
  float at(std::int64_t row, std::int64_t col) const { return data[row * nx + col]; }
};

/// Writable view of a (ny, nx) float32 grid.
struct GridView {
  float* data = nullptr;
  std::int64_t nx = 0;
  std::int64_t ny = 0;
  std::int64_t size() const { return nx * ny; }
  operator ConstGridView() const { return {data, nx, ny}; }
};

/// Result of a kernel call: ok, or a message saying what was wrong with the arguments or data. Dropping one
/// is a compiler warning ([[nodiscard]]): check it, or cast it to void where a failure cannot happen.
struct [[nodiscard]] Status {
  bool ok = true;
  std::string message;
  static Status Ok() { return {}; }
  static Status Invalid(std::string msg) { return {false, std::move(msg)}; }
};

} // namespace prospector::kernels
