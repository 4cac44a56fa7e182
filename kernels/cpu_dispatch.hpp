#pragma once
/// \file cpu_dispatch.hpp
/// For the kernels (and their tests, which force a build through Isa): the vector instruction sets some row
/// loops are also compiled for, chosen at run time. PROSPECTOR_X86_DISPATCH is defined where such builds
/// exist (x86-64 with GCC or Clang); there, PROSPECTOR_TARGET_AVX2 / PROSPECTOR_TARGET_AVX512 mark a
/// function compiled for that set, and has_avx2() / has_avx512() say whether this CPU runs it. The AVX-512
/// set is named once here, so the build and the check cannot drift apart. Elsewhere both checks are false
/// and only the baseline builds exist.

#include <cstdint>

/// Forces a function or lambda inline: loops meant to vectorise in a dispatched build must be inlined into
/// it, or they are compiled for the baseline ISA of their own definition.
#if defined(__GNUC__) || defined(__clang__)
#define PROSPECTOR_ALWAYS_INLINE __attribute__((always_inline))
#else
#define PROSPECTOR_ALWAYS_INLINE
#endif

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

/// The builds a dispatched loop has, narrowest first.
enum class Isa { baseline, avx2, avx512 };

/// The widest build at most `allowed` that this CPU runs.
inline Isa widest(Isa allowed = Isa::avx512) {
  if (allowed >= Isa::avx512 && has_avx512()) return Isa::avx512;
  if (allowed >= Isa::avx2 && has_avx2()) return Isa::avx2;
  return Isa::baseline;
}

namespace detail {
template <class Body> void run_baseline(std::int64_t i0, std::int64_t i1, const Body& body) { body(i0, i1); }
#ifdef PROSPECTOR_X86_DISPATCH
template <class Body>
PROSPECTOR_TARGET_AVX2 void run_avx2(std::int64_t i0, std::int64_t i1, const Body& body) {
  body(i0, i1);
}
template <class Body>
PROSPECTOR_TARGET_AVX512 void run_avx512(std::int64_t i0, std::int64_t i1, const Body& body) {
  body(i0, i1);
}
#endif
} // namespace detail

/// Calls body(i0, i1) compiled for `isa` (from widest()). body must be a PROSPECTOR_ALWAYS_INLINE lambda,
/// and whatever it calls always-inline too, so that its loops are compiled in the chosen build. The builds
/// give the same bits when the body uses IEEE basic operations in a fixed order (no contraction, no
/// reductions whose order follows the vector width).
template <class Body> void run(Isa isa, std::int64_t i0, std::int64_t i1, const Body& body) {
#ifdef PROSPECTOR_X86_DISPATCH
  if (isa == Isa::avx512) return detail::run_avx512(i0, i1, body);
  if (isa == Isa::avx2) return detail::run_avx2(i0, i1, body);
#endif
  (void)isa;
  detail::run_baseline(i0, i1, body);
}

} // namespace prospector::kernels::cpu
