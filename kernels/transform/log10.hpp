#pragma once
/// \file log10.hpp
/// Kernel `transform.log10`: base-10 log transform for geochemistry (log-normal concentrations).

#include "kernels/cpu_dispatch.hpp"
#include "kernels/views.hpp"

namespace prospector::kernels {

/// Parameters of `transform.log10`.
struct LogParams {
  double offset = 0.0; ///< added before the log (for data that contain zeros); 0 by default
};

/// out[i] = log10(in[i] + offset) for in[i] + offset > 0; NaN for NaN or non-positive values.
/// Works on any contiguous array (grid cells or point values). in and out may alias. OpenMP-parallel.
/// `n_nonpositive` receives the number of finite values that were <= 0 after the offset.
Status log10_transform(const float* in, float* out, std::int64_t n, const LogParams& params,
                       std::int64_t& n_nonpositive);

namespace detail {
/// log10_transform with its vector build limited to `allowed` (tests compare the builds' bits).
Status log10_transform_isa(const float* in, float* out, std::int64_t n, const LogParams& params,
                           std::int64_t& n_nonpositive, cpu::Isa allowed);
} // namespace detail

} // namespace prospector::kernels
