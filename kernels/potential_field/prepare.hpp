#pragma once
/// \file prepare.hpp
/// Internal to the `potential_field.*` kernels: step 1 to 3 of transforms.hpp, preparing a grid for the
/// wavenumber domain (trend removal, hole fill, mirrored and tapered pad) and its row FFTs.

#include "kernels/potential_field/plan_impl.hpp"
#include "kernels/views.hpp"

#include <fftw3.h>

#include <cstdint>

namespace prospector::kernels::potential_field_detail {

using Impl = PotentialFieldPlan::Impl;

// Least-squares plane f ~ mean + bu (u - u0) + bv (v - v0) over the valid cells, u = column, v = row.
struct Trend {
  double mean = 0.0, u0 = 0.0, v0 = 0.0, bu = 0.0, bv = 0.0;
  double at(std::int64_t r, std::int64_t c) const {
    return mean + bu * (static_cast<double>(c) - u0) + bv * (static_cast<double>(r) - v0);
  }
};

// Writes the detrended (plane or mean removed), hole-filled, mirrored and tapered grid rows into the real
// view of buf and transforms them (row FFTs). Returns false (and leaves the buffer alone) when the grid has
// no valid cell.
bool prepare(Impl& w, ConstGridView in, fftwf_complex* buf, bool plane, Trend& trend);

} // namespace prospector::kernels::potential_field_detail
