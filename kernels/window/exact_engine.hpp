#pragma once
/// \file exact_engine.hpp
/// Internal to the kernels (not a kernel API): the fixed-point window engine of `window.local_z_exact`
/// (local_z_exact.hpp describes the method), shared with `anomaly.gi_star_exact`. Each of them supplies a
/// row finisher that turns the exact window sums of one output row into its outputs; run_engine does the
/// rest (per-thread bands of rows, quantisation, column and window sums, ISA dispatch).

#include "kernels/cpu_dispatch.hpp"
#include "kernels/openmp_util.hpp"
#include "kernels/views.hpp"
#include "kernels/window/local_z_exact.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>
#include <type_traits>

namespace prospector::kernels::exact_engine {

// The per-row loops are forced inline into run_band_body, which is compiled once for the baseline ISA and
// once each for AVX2 and AVX-512 (picked at run time). The arithmetic is integer or IEEE basic operations in
// a fixed order (no contraction), so every build gives the same bits.

constexpr double kLimit = 16777216.0;          // 2^24: |q| bound, so q^2 <= 2^48
constexpr double kRound = 6755399441055744.0;  // 1.5 * 2^52: adding and subtracting it rounds half to even
constexpr std::int64_t kNarrowMaxRadius = 127; // (2r+1)^2 * 2^48 < 2^64: 64-bit sums of squares suffice

constexpr std::int32_t kOutside = 1 << 25; // marks NaN and out-of-range cells between the two loops below

// Quantises one input row. Invalid (NaN) cells get q = 0 and valid = 0. Returns the number of values outside
// the fixed-point range (they too get q = 0, so nothing overflows; the caller reports the error). Two plain
// loops, each of a shape GCC vectorises with SSE2: double comparisons feed only the double-to-int conversion,
// the flags come from float and int comparisons.
PROSPECTOR_ALWAYS_INLINE inline int quantise(const float* row, std::int64_t nx, double shift, double scale,
                                             std::int32_t* q, std::int32_t* valid) {
  for (std::int64_t c = 0; c < nx; ++c) {
    const float x = row[c];
    const double d = (static_cast<double>(x) - shift) * scale;
    const double t = std::fabs(d) <= kLimit ? d : static_cast<double>(kOutside); // NaN compares false
    q[c] = static_cast<std::int32_t>((t + kRound) - kRound);
    valid[c] = x == x ? 1 : 0;
  }
  int bad = 0;
  for (std::int64_t c = 0; c < nx; ++c) {
    const std::int32_t keep = q[c] == kOutside ? 0 : -1; // all bits set unless outside
    bad += valid[c] & ~keep;
    valid[c] &= keep;
    q[c] &= keep;
  }
  return bad;
}

// 64-bit modular arithmetic for the narrow case; 128-bit for larger windows. The column sums and the window
// sums along a row are exact modulo 2^64 (2^128) and so exact, as every true window sum fits.
template <class W> struct Sums {
  std::uint64_t* cn; // per column: valid count of the window rows
  std::uint64_t* cs; // per column: sum of q
  W* cq;             // per column: sum of q^2
};

// |q| <= 2^24, so squares are formed as unsigned 32 x 32 -> 64-bit products, which SSE2 vectorises.
template <class W>
PROSPECTOR_ALWAYS_INLINE inline void update_columns(const Sums<W>& s, std::int64_t nx, const std::int32_t* qa,
                                                    const std::int32_t* va, const std::int32_t* qr,
                                                    const std::int32_t* vr) {
  std::uint64_t* __restrict cn = s.cn;
  std::uint64_t* __restrict cs = s.cs;
  W* __restrict cq = s.cq;
  for (std::int64_t c = 0; c < nx; ++c) {
    const std::int32_t a = qa[c], r = qr[c];
    const std::uint32_t ua = a < 0 ? 0u - static_cast<std::uint32_t>(a) : static_cast<std::uint32_t>(a);
    const std::uint32_t ur = r < 0 ? 0u - static_cast<std::uint32_t>(r) : static_cast<std::uint32_t>(r);
    cn[c] += static_cast<std::uint64_t>(static_cast<std::int64_t>(va[c] - vr[c]));
    cs[c] += static_cast<std::uint64_t>(static_cast<std::int64_t>(a) - r);
    cq[c] += static_cast<W>(static_cast<std::uint64_t>(ua) * ua) -
             static_cast<W>(static_cast<std::uint64_t>(ur) * ur);
  }
}

// rest * 2^52 + low in double, both parts converted as signed integers (SSE2 has no unsigned conversion, and
// the branch an unsigned one needs is unpredictable here). Not always correctly rounded, but a fixed function
// of the exact integer, so every tiling and thread count gets the same double; relative error below 2^-52.
// Needs 0 <= v < 2^115.
inline double to_double(__int128 v) {
  const auto low = static_cast<std::int64_t>(v & ((static_cast<__int128>(1) << 52) - 1));
  const auto rest = static_cast<std::int64_t>(v >> 52);
  return static_cast<double>(rest) * 4503599627370496.0 + static_cast<double>(low);
}

// Exact double of an integer |x| < 2^51 (0 <= x < 2^52 for from_u52) by placing it in the mantissa of
// 1.5 * 2^52 (2^52): integer and double arithmetic only, which SSE2 vectorises (it has no int64 conversion).
PROSPECTOR_ALWAYS_INLINE inline double from_i51(std::int64_t x) {
  const std::uint64_t u = static_cast<std::uint64_t>(x) + 0x4338000000000000ull;
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d - 6755399441055744.0;
}
PROSPECTOR_ALWAYS_INLINE inline double from_u52(std::uint64_t x) {
  const std::uint64_t u = x | 0x4330000000000000ull;
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d - 4503599627370496.0;
}

// Narrow windows: per output row, prefix sums of the column sums, padded so that the window sums of column c
// are p[c + 2 rad + 1] - p[c] with no clamping at the edges: p[j] holds the sum of columns below j - rad
// (0 for j <= rad, the row total from j = nx + rad on). Length nx + 2 rad + 1.
struct Prefix {
  std::uint64_t* n;
  std::uint64_t* s;
  std::uint64_t* q;
};

// Wide windows: the window sums of one output row, slid along the row in 128 bits and converted to double.
struct RowOut {
  double* nd;  // n, the valid cells of the window (only when a finisher needs it, else null)
  double* inv; // 1 / n, or NaN when the window holds fewer than min_count (or no) valid cells
  double* s1d;
  double* numd; // n S2 - S1^2
};

// The only sequential loop of a narrow row: three running sums, one add each per column.
PROSPECTOR_ALWAYS_INLINE inline void prefix_row(const Sums<std::uint64_t>& s, std::int64_t nx,
                                                std::int64_t rad, const Prefix& p) {
  const std::uint64_t* __restrict cn = s.cn;
  const std::uint64_t* __restrict cs = s.cs;
  const std::uint64_t* __restrict cq = s.cq;
  std::uint64_t* __restrict pn = p.n + rad + 1;
  std::uint64_t* __restrict ps = p.s + rad + 1;
  std::uint64_t* __restrict pq = p.q + rad + 1;
  std::uint64_t an = 0, as = 0, aq = 0;
  for (std::int64_t c = 0; c < nx; ++c) {
    an += cn[c];
    as += cs[c];
    aq += cq[c];
    pn[c] = an;
    ps[c] = as;
    pq[c] = aq;
  }
  for (std::int64_t c = nx; c < nx + rad; ++c) {
    pn[c] = an;
    ps[c] = as;
    pq[c] = aq;
  }
}

// Window count n, S1 and the variance numerator n S2 - S1^2 of column c of a narrow row, as doubles. The
// numerator is exact in integers: n < 2^16, 0 <= S2 < 2^64 and |S1| < 2^40 are split into 32- and 20-bit
// limbs whose products (32 x 32 -> 64 bits, which every x86-64 vector unit has) are recombined as
// D 2^32 + l with 0 <= D < 2^48 and 0 <= l < 2^32. Both convert exactly, so the double is the correctly
// rounded numerator (n S2 >= S1^2 by Cauchy-Schwarz, so it is never negative).
struct NarrowCell {
  double n, s1, num;
  std::uint64_t count; // n as an integer
};
PROSPECTOR_ALWAYS_INLINE inline NarrowCell narrow_cell(const Prefix& p, std::int64_t c, std::int64_t w) {
  const std::uint64_t n = p.n[c + w] - p.n[c];
  const std::uint64_t s1 = p.s[c + w] - p.s[c];
  const std::uint64_t s2 = p.q[c + w] - p.q[c];
  const std::uint64_t neg = s1 >> 63;
  const std::uint64_t u = (s1 ^ (0 - neg)) + neg; // |S1|
  const auto a = static_cast<std::uint32_t>(u >> 20), b = static_cast<std::uint32_t>(u & 0xFFFFF);
  const auto n32 = static_cast<std::uint32_t>(n);
  const std::uint64_t hi = static_cast<std::uint64_t>(n32) * static_cast<std::uint32_t>(s2 >> 32);
  const std::uint64_t lo = static_cast<std::uint64_t>(n32) * static_cast<std::uint32_t>(s2);
  // num = hi 2^32 + lo - a^2 2^40 - 2ab 2^20 - b^2. The low part, biased by 2^62 to stay positive, is
  // split at bit 32 (the bias is a multiple of 2^32, so it leaves the low bits alone).
  const std::uint64_t low = lo + (std::uint64_t{1} << 62) - ((static_cast<std::uint64_t>(a) * b) << 21) -
                            static_cast<std::uint64_t>(b) * b;
  const std::uint64_t d =
      hi - ((static_cast<std::uint64_t>(a) * a) << 8) + (low >> 32) - (std::uint64_t{1} << 30);
  NarrowCell out;
  out.n = from_u52(n);
  out.s1 = from_i51(static_cast<std::int64_t>(s1));
  out.num = from_u52(d) * 4294967296.0 + from_u52(low & 0xFFFFFFFFu);
  out.count = n;
  return out;
}

// Window sums of one wide output row from the column sums, sliding along the row: add the column entering
// the window, drop the one leaving it.
PROSPECTOR_ALWAYS_INLINE inline void window_row_wide(const Sums<unsigned __int128>& s, std::int64_t nx,
                                                     std::int64_t rad, std::int64_t min_count,
                                                     const RowOut& o) {
  // Local restrict-qualified copies: stores through the row arrays could otherwise alias the structs'
  // pointer fields and force reloads in the loop.
  const std::uint64_t* __restrict cn = s.cn;
  const std::uint64_t* __restrict cs = s.cs;
  const unsigned __int128* __restrict cq = s.cq;
  double* __restrict inv = o.inv;
  double* __restrict nd = o.nd;
  double* __restrict s1d = o.s1d;
  double* __restrict numd = o.numd;
  std::uint64_t wn = 0, ws = 0;
  unsigned __int128 wq = 0;
  for (std::int64_t c = 0; c < std::min(nx, rad); ++c) {
    wn += cn[c];
    ws += cs[c];
    wq += cq[c];
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // Columns entering and leaving the window: the window of column c spans [c - rad, c + rad].
  for (std::int64_t c = 0; c < nx; ++c) {
    if (c + rad < nx) {
      wn += cn[c + rad];
      ws += cs[c + rad];
      wq += cq[c + rad];
    }
    if (c - rad - 1 >= 0) {
      wn -= cn[c - rad - 1];
      ws -= cs[c - rad - 1];
      wq -= cq[c - rad - 1];
    }
    const auto n = static_cast<std::int64_t>(wn);
    const auto s1 = static_cast<std::int64_t>(ws);
    const __int128 num =
        static_cast<__int128>(n) * static_cast<__int128>(wq) - static_cast<__int128>(s1) * s1;
    if (nd) nd[c] = static_cast<double>(n);
    inv[c] = n >= min_count && n > 0 ? 1.0 / static_cast<double>(n) : nan;
    s1d[c] = static_cast<double>(s1);
    numd[c] = to_double(num);
  }
}

// Per-thread buffers carved from the scratch vectors.
struct ThreadBuffers {
  std::int32_t *qa, *qr, *zero; // a quantised row (q, then its valid flags `stride` later), and zeros
  std::int32_t* ring;           // `slots` quantised rows, or none (slots = 0)
  std::int64_t slots;
  std::int64_t stride; // distance between the per-thread row arrays: nx plus a skew (see run_engine)
  Prefix prefix;       // narrow windows
  RowOut row;          // wide windows
  float* dummy;
};

template <class W, class RowFinish>
PROSPECTOR_ALWAYS_INLINE inline bool
run_band_body(ConstGridView in, const ExactWindowParams& p, std::int64_t rad, std::int64_t r_begin,
              std::int64_t r_end, const Sums<W>& s, const ThreadBuffers& b, const RowFinish& finish) {
  constexpr bool narrow = std::is_same_v<W, std::uint64_t>;
  const std::int64_t nx = in.nx, ny = in.ny;
  bool bad = false;
  std::fill(s.cn, s.cn + nx, 0);
  std::fill(s.cs, s.cs + nx, 0);
  std::fill(s.cq, s.cq + nx, W(0));
  if constexpr (narrow) {
    std::fill(b.prefix.n, b.prefix.n + rad + 1, 0);
    std::fill(b.prefix.s, b.prefix.s + rad + 1, 0);
    std::fill(b.prefix.q, b.prefix.q + rad + 1, 0);
  }
  // Quantised rows live in the ring (slot = row mod slots) when there is one, so each input row is
  // quantised once; otherwise the row leaving the window is quantised again.
  const std::int64_t S = b.stride;
  auto slot = [&](std::int64_t row) { return b.ring + (row % b.slots) * 2 * S; };
  // Window rows of the first output row.
  for (std::int64_t r = std::max<std::int64_t>(0, r_begin - rad); r < std::min(ny, r_begin + rad + 1); ++r) {
    std::int32_t* q = b.slots ? slot(r) : b.qa;
    bad |= quantise(in.data + r * nx, nx, p.shift, p.scale, q, q + S) != 0;
    update_columns(s, nx, q, q + S, b.zero, b.zero);
  }
  for (std::int64_t r = r_begin; r < r_end; ++r) {
    if (r > r_begin) {
      const std::int64_t add = r + rad, rem = r - rad - 1;
      const bool has_add = add < ny, has_rem = rem >= 0;
      const std::int32_t* qa = b.zero;
      const std::int32_t* va = b.zero;
      const std::int32_t* qr = b.zero;
      const std::int32_t* vr = b.zero;
      if (has_add) {
        std::int32_t* q = b.slots ? slot(add) : b.qa;
        bad |= quantise(in.data + add * nx, nx, p.shift, p.scale, q, q + S) != 0;
        qa = q;
        va = q + S;
      }
      if (has_rem) {
        std::int32_t* q = b.qr;
        if (b.slots && rem >= std::max<std::int64_t>(0, r_begin - rad))
          q = slot(rem);
        else
          quantise(in.data + rem * nx, nx, p.shift, p.scale, q, q + S);
        qr = q;
        vr = q + S;
      }
      if (has_add || has_rem) update_columns(s, nx, qa, va, qr, vr);
    }
    if constexpr (narrow)
      prefix_row(s, nx, rad, b.prefix);
    else
      window_row_wide(s, nx, rad, p.min_count, b.row);
    finish(std::integral_constant<bool, narrow>{}, r, b);
  }
  return bad;
}

template <class W, class RowFinish>
bool run_band_baseline(ConstGridView in, const ExactWindowParams& p, std::int64_t rad, std::int64_t r_begin,
                       std::int64_t r_end, const Sums<W>& s, const ThreadBuffers& b,
                       const RowFinish& finish) {
  return run_band_body(in, p, rad, r_begin, r_end, s, b, finish);
}

#ifdef PROSPECTOR_X86_DISPATCH
template <class W, class RowFinish>
PROSPECTOR_TARGET_AVX2 bool run_band_avx2(ConstGridView in, const ExactWindowParams& p, std::int64_t rad,
                                          std::int64_t r_begin, std::int64_t r_end, const Sums<W>& s,
                                          const ThreadBuffers& b, const RowFinish& finish) {
  return run_band_body(in, p, rad, r_begin, r_end, s, b, finish);
}
template <class W, class RowFinish>
PROSPECTOR_TARGET_AVX512 bool run_band_avx512(ConstGridView in, const ExactWindowParams& p, std::int64_t rad,
                                              std::int64_t r_begin, std::int64_t r_end, const Sums<W>& s,
                                              const ThreadBuffers& b, const RowFinish& finish) {
  return run_band_body(in, p, rad, r_begin, r_end, s, b, finish);
}
#endif

template <class W, class RowFinish>
bool run_band(cpu::Isa isa, ConstGridView in, const ExactWindowParams& p, std::int64_t rad,
              std::int64_t r_begin, std::int64_t r_end, const Sums<W>& s, const ThreadBuffers& b,
              const RowFinish& finish) {
#ifdef PROSPECTOR_X86_DISPATCH
  if (isa == cpu::Isa::avx512) return run_band_avx512(in, p, rad, r_begin, r_end, s, b, finish);
  if (isa == cpu::Isa::avx2) return run_band_avx2(in, p, rad, r_begin, r_end, s, b, finish);
#else
  (void)isa;
#endif
  return run_band_baseline(in, p, rad, r_begin, r_end, s, b, finish);
}

inline bool overlaps(const float* a, std::int64_t n, const float* b) {
  if (a == nullptr || b == nullptr || n == 0) return false;
  const auto pa = reinterpret_cast<std::uintptr_t>(a), pb = reinterpret_cast<std::uintptr_t>(b);
  const auto len = static_cast<std::uintptr_t>(n) * sizeof(float);
  return pa < pb + len && pb < pa + len;
}

// Validates the common parameters; the output pointers must not overlap the input.
inline Status check_params(const char* who, ConstGridView in, const ExactWindowParams& p,
                           std::initializer_list<const float*> outs) {
  const std::string w(who);
  if (in.nx < 0 || in.ny < 0 || (in.data == nullptr && in.size() > 0))
    return Status::Invalid(w + ": invalid grid view");
  if (p.radius < 1) return Status::Invalid(w + ": radius must be >= 1");
  if (!(p.scale > 0.0) || !std::isfinite(p.scale) || !std::isfinite(p.shift))
    return Status::Invalid(w + ": bad shift/scale");
  if (p.min_count < 0) return Status::Invalid(w + ": min_count must be >= 0");
  if (std::isnan(p.min_std) || p.min_std < 0.0) return Status::Invalid(w + ": min_std must be >= 0");
  for (const float* o : outs)
    if (overlaps(in.data, in.size(), o)) return Status::Invalid(w + ": an output overlaps the input");
  return Status::Ok();
}

// The radius the engine works with: one beyond the grid is the whole grid, and clamping also keeps row +/-
// radius from overflowing.
inline std::int64_t window_radius(ConstGridView in, const ExactWindowParams& p) {
  return std::min(p.radius, std::max(in.nx, in.ny));
}

// For narrow windows, scratch.table[k] = value(k) for every window count k = 0 .. (2 rad + 1)^2, NaN below
// min_count and for k = 0; null for wide windows, whose row loops compute per cell instead.
template <class Value>
const double* count_table(ExactWindowScratch& scratch, const ExactWindowParams& p, std::int64_t rad,
                          Value value) {
  if (rad > kNarrowMaxRadius) return nullptr;
  const auto counts = static_cast<std::size_t>((2 * rad + 1) * (2 * rad + 1) + 1);
  if (scratch.table.size() < counts) scratch.table.resize(counts);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t k = 0; k < counts; ++k)
    scratch.table[k] =
        static_cast<std::int64_t>(k) >= p.min_count && k > 0 ? value(static_cast<double>(k)) : nan;
  return scratch.table.data();
}

// The engine: per-thread bands of rows, per-row window sums handed to finish(narrow tag, row, buffers).
template <class RowFinish>
Status run_engine(const char* who, ConstGridView in, const ExactWindowParams& p, ExactWindowScratch& scratch,
                  cpu::Isa allowed, const RowFinish& finish) {
  const std::int64_t nx = in.nx, ny = in.ny;
  const std::int64_t rad = window_radius(in, p);
  const bool narrow = rad <= kNarrowMaxRadius;
  // Window counts up to 2^33 keep n S2 below 2^115, the range of to_double.
  const double max_count = std::min(static_cast<double>(2 * rad + 1) * static_cast<double>(2 * rad + 1),
                                    static_cast<double>(nx) * static_cast<double>(ny));
  if (max_count > 8589934592.0)
    return Status::Invalid(std::string(who) +
                           ": window of more than 2^33 cells (use a smaller radius or tile)");
  const int threads = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(max_threads(), ny)));
  const cpu::Isa isa = cpu::widest(allowed);

  // Sized before the parallel region: nothing may allocate (or throw) inside it.
  const auto T = static_cast<std::size_t>(threads), W = static_cast<std::size_t>(nx);
  // Row arrays one row plus 16 elements apart: a row of 4096 floats or doubles is a multiple of 4 KiB, and
  // arrays that far apart all fall into the same first-level cache sets (the column update reads seven of
  // them at the same index).
  const std::size_t S = W + 16;
  // Narrow: three column sums and three padded prefix rows of nx + 2 rad + 1 (plus the same skew).
  const std::size_t P = W + 2 * static_cast<std::size_t>(rad) + 17;
  const std::size_t ints_per = narrow ? 3 * S + 3 * P : 2 * S;
  const std::size_t wide_per = narrow ? 0 : W;
  // A ring of the 2 radius + 2 latest quantised rows per thread, unless it would pass the scratch's limit.
  const std::size_t slots = (2 * rad + 2) * 2 * S * sizeof(std::int32_t) <= scratch.ring_limit_bytes
                                ? static_cast<std::size_t>(2 * rad + 2)
                                : 0;
  const std::size_t quant_per = 5 * S + slots * 2 * S, reals_per = narrow ? 0 : 4 * S;
  if (scratch.ints.size() < T * ints_per) scratch.ints.resize(T * ints_per);
  if (scratch.wide.size() < T * wide_per) scratch.wide.resize(T * wide_per);
  if (scratch.quant.size() < T * quant_per) scratch.quant.resize(T * quant_per);
  if (scratch.reals.size() < T * reals_per) scratch.reals.resize(T * reals_per);
  if (scratch.rows.size() < T * W) scratch.rows.resize(T * W);

  bool bad = false;
#pragma omp parallel num_threads(threads) reduction(|| : bad)
  {
    const int t = thread_id(), nt = team_size();
    const auto tt = static_cast<std::size_t>(t);
    const std::int64_t r_begin = ny * t / nt, r_end = ny * (t + 1) / nt;
    std::int32_t* qbase = scratch.quant.data() + tt * quant_per;
    ThreadBuffers b{};
    b.qa = qbase;
    b.qr = qbase + 2 * S;
    b.zero = qbase + 4 * S;
    std::fill(b.zero, b.zero + S, 0); // zeros standing in for the values and flags of an absent row
    b.ring = qbase + 5 * S;
    b.stride = static_cast<std::int64_t>(S);
    b.slots = static_cast<std::int64_t>(slots);
    std::uint64_t* ib = scratch.ints.data() + tt * ints_per;
    b.dummy = scratch.rows.data() + tt * W;
    if (r_begin < r_end) {
      if (narrow) {
        b.prefix = {ib + 3 * S, ib + 3 * S + P, ib + 3 * S + 2 * P};
        Sums<std::uint64_t> s{ib, ib + S, ib + 2 * S};
        bad = run_band(isa, in, p, rad, r_begin, r_end, s, b, finish);
      } else {
        double* rbase = scratch.reals.data() + tt * reals_per;
        b.row = {rbase + 3 * S, rbase, rbase + S, rbase + 2 * S};
        unsigned __int128* wb = scratch.wide.data() + tt * wide_per;
        Sums<unsigned __int128> s{ib, ib + S, wb};
        bad = run_band(isa, in, p, rad, r_begin, r_end, s, b, finish);
      }
    }
  }
  if (bad) return Status::Invalid(std::string(who) + ": a value lies outside the fixed-point range");
  return Status::Ok();
}

} // namespace prospector::kernels::exact_engine
