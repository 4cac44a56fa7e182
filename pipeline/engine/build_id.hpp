#pragma once
/// \file build_id.hpp
/// The source identity of this build.

namespace prospector {

/// A hash of the kernels' and the pipeline's computing sources (kernels/,
/// pipeline/{base,job,io,plan,stages}), generated at build time by cmake/build_id.cmake. Part of every unit
/// key, so a binary with changed kernels recomputes, and an unchanged rebuild does not.
const char* build_id();

} // namespace prospector
