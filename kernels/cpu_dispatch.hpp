#pragma once
/// \file cpu_dispatch.hpp
/// Internal to the kernels: the vector instruction sets some row loops are also compiled for, chosen at run
/// time. PROSPECTOR_X86_DISPATCH is defined where such builds exist (x86-64 with GCC or Clang); there,
/// PROSPECTOR_TARGET_AVX2 / PROSPECTOR_TARGET_AVX512 mark a function compiled for that set, and has_avx2() /
/// has_avx512() say whether this CPU runs it. The AVX-512 set is named once here, so the build and the check
/// cannot drift apart. Elsewhere both checks are false and only the baseline builds exist.

namespace prospector::kernels::cpu {

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PROSPECTOR_X86_DISPATCH 1
#define PROSPECTOR_TARGET_AVX2 __attribute__((target("avx2")))
#define PROSPECTOR_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw")))

inline bool has_avx2() { return __builtin_cpu_supports("avx2"); }
inline bool has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
}
#else
inline bool has_avx2() { return false; }
inline bool has_avx512() { return false; }
#endif

} // namespace prospector::kernels::cpu
