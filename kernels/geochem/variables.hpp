#pragma once
/// \file variables.hpp
/// Data layout of the `geochem.*` kernels. A set of n samples of m variables (parts of a composition, or
/// coordinates) is described by VariablesView / VariablesOut: variable j of sample i lives at
/// `var[j][i * stride]`. This one description covers the three layouts in use:
/// - row-major sample arrays (n x D, sample after sample): `VariablesView::row_major(data, n, D)`;
/// - part-major arrays (D x n, one contiguous block per part): `VariablesView::part_major(data, n, D)`;
/// - stacks of D grids of the same shape (one GridView per part): `VariablesView::grids(views, D)`, where a
///   sample is a grid cell (n = nx * ny).
///
/// All geochem kernels are element-wise over samples (OpenMP-parallel) or use a fixed sequential order, so
/// results are bit-identical for any thread count.

#include "kernels/views.hpp"

#include <cstdint>
#include <vector>

namespace prospector::kernels {

/// Read-only view of n samples of m variables: variable j of sample i is `var[j][i * stride]`.
struct VariablesView {
  std::vector<const float*> var; ///< one base pointer per variable
  std::int64_t n = 0;            ///< number of samples (cells for grid stacks); negative marks a bad view
  std::int64_t stride = 1;       ///< distance between consecutive samples of one variable, in floats

  std::int64_t vars() const { return static_cast<std::int64_t>(var.size()); }
  float at(std::int64_t i, std::int64_t j) const { return var[static_cast<std::size_t>(j)][i * stride]; }

  /// n x m row-major array: sample i, variable j at data[i * m + j].
  static VariablesView row_major(const float* data, std::int64_t n, std::int64_t m);
  /// m x n part-major array: sample i, variable j at data[j * n + i].
  static VariablesView part_major(const float* data, std::int64_t n, std::int64_t m);
  /// Stack of m grids; a sample is a cell. Grids of different shapes give a view with n = -1, which every
  /// kernel rejects.
  static VariablesView grids(const ConstGridView* g, std::int64_t m);
};

/// Writable view with the same addressing as VariablesView.
struct VariablesOut {
  std::vector<float*> var;
  std::int64_t n = 0;
  std::int64_t stride = 1;

  std::int64_t vars() const { return static_cast<std::int64_t>(var.size()); }
  float& at(std::int64_t i, std::int64_t j) const { return var[static_cast<std::size_t>(j)][i * stride]; }

  static VariablesOut row_major(float* data, std::int64_t n, std::int64_t m);
  static VariablesOut part_major(float* data, std::int64_t n, std::int64_t m);
  static VariablesOut grids(const GridView* g, std::int64_t m);
};

namespace detail {
/// The argument check of the geochem kernels: both views valid (n >= 0, stride >= 1, no null variable when
/// n > 0), the same sample count, and `out_vars` output variables. `who` names the kernel in the message.
Status check_variables_io(const VariablesView& in, const VariablesOut& out, std::int64_t out_vars,
                          const char* who);
} // namespace detail

} // namespace prospector::kernels
