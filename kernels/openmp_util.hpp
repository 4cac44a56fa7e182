#pragma once
/// \file openmp_util.hpp
/// The OpenMP thread count, team size and thread number, with a sequential fallback when the kernels are
/// built without OpenMP; for kernels that size per-thread buffers before a parallel region.

#ifdef _OPENMP
#include <omp.h>
#endif

namespace prospector::kernels {

/// Threads a parallel region will use at most (omp_get_max_threads, or 1 without OpenMP).
inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// The number of threads of the current team, inside a parallel region (1 without OpenMP).
inline int team_size() {
#ifdef _OPENMP
  return omp_get_num_threads();
#else
  return 1;
#endif
}

/// This thread's number inside a parallel region (0 without OpenMP).
inline int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

} // namespace prospector::kernels
