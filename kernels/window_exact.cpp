#include "kernels/window_exact.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>
#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace prospector::kernels {

namespace {

constexpr double kLimit = 16777216.0;          // 2^24: |q| bound, so q^2 <= 2^48
constexpr double kRound = 6755399441055744.0;  // 1.5 * 2^52: adding and subtracting it rounds half to even
constexpr std::int64_t kNarrowMaxRadius = 127; // (2r+1)^2 * 2^48 < 2^64: 64-bit sums of squares suffice

constexpr std::int32_t kOutside = 1 << 25; // marks NaN and out-of-range cells between the two loops below

// Quantises one input row. Invalid (NaN) cells get q = 0 and valid = 0. Returns the number of values outside
// the fixed-point range (they too get q = 0, so nothing overflows; the caller reports the error). Two plain
// loops, each of a shape GCC vectorises with SSE2: double comparisons feed only the double-to-int conversion,
// the flags come from float and int comparisons.
int quantise(const float* row, std::int64_t nx, double shift, double scale, std::int32_t* q,
             std::int32_t* valid) {
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

// 64-bit modular arithmetic for the narrow case; 128-bit for larger windows. The column sums and the sliding
// window sums along a row are exact modulo 2^64 (2^128) and so exact, as every true window sum fits.
template <class W> struct Sums {
  std::uint64_t* cn; // per column: valid count of the window rows
  std::uint64_t* cs; // per column: sum of q
  W* cq;             // per column: sum of q^2
};

// |q| <= 2^24, so squares are formed as unsigned 32 x 32 -> 64-bit products, which SSE2 vectorises.
template <class W>
void update_columns(const Sums<W>& s, std::int64_t nx, const std::int32_t* qa, const std::int32_t* va,
                    const std::int32_t* qr, const std::int32_t* vr) {
  for (std::int64_t c = 0; c < nx; ++c) {
    const std::int32_t a = qa[c], r = qr[c];
    const std::uint32_t ua = a < 0 ? 0u - static_cast<std::uint32_t>(a) : static_cast<std::uint32_t>(a);
    const std::uint32_t ur = r < 0 ? 0u - static_cast<std::uint32_t>(r) : static_cast<std::uint32_t>(r);
    s.cn[c] += static_cast<std::uint64_t>(static_cast<std::int64_t>(va[c] - vr[c]));
    s.cs[c] += static_cast<std::uint64_t>(static_cast<std::int64_t>(a) - r);
    s.cq[c] += static_cast<W>(static_cast<std::uint64_t>(ua) * ua) -
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
inline double from_i51(std::int64_t x) {
  const std::uint64_t u = static_cast<std::uint64_t>(x) + 0x4338000000000000ull;
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d - 6755399441055744.0;
}
inline double from_u52(std::int64_t x) {
  const std::uint64_t u = static_cast<std::uint64_t>(x) | 0x4330000000000000ull;
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d - 4503599627370496.0;
}

struct RowOut {
  double* nd;  // n, the valid cells of the window (only when a finisher needs it, else null)
  double* inv; // 1 / n, or NaN when the window holds fewer than min_count (or no) valid cells
  // Narrow windows: S1 (|S1| < 2^40) and n S2 - S1^2 (< 2^80) as (rest, low): rest * 2^52 + low.
  std::int64_t* s1;
  std::int64_t* rest;
  std::int64_t* low;
  // Wide windows: the same as doubles.
  double* s1d;
  double* numd;
};

// Window sums of one output row from the column sums, sliding along the row: add the column entering the
// window, drop the one leaving it. `inv_table` (narrow windows) maps a count to its RowOut::inv value.
template <class W>
void window_row(const Sums<W>& s, std::int64_t nx, std::int64_t rad, const double* inv_table,
                std::int64_t min_count, const RowOut& o) {
  // Local restrict-qualified copies: stores through the row arrays could otherwise alias the structs'
  // pointer fields and force reloads in the loop.
  const std::uint64_t* __restrict cn = s.cn;
  const std::uint64_t* __restrict cs = s.cs;
  const W* __restrict cq = s.cq;
  double* __restrict inv = o.inv;
  double* __restrict nd = o.nd;
  std::uint64_t wn = 0, ws = 0;
  W wq = 0;
  for (std::int64_t c = 0; c < std::min(nx, rad); ++c) {
    wn += cn[c];
    ws += cs[c];
    wq += cq[c];
  }
  // Columns entering and leaving the window: the window of column c spans [c - rad, c + rad].
  auto slide = [&](std::int64_t c) {
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
  };
  if constexpr (std::is_same_v<W, std::uint64_t>) {
    std::int64_t* __restrict s1o = o.s1;
    std::int64_t* __restrict rest = o.rest;
    std::int64_t* __restrict low = o.low;
    for (std::int64_t c = 0; c < nx; ++c) {
      slide(c);
      const auto n = static_cast<std::int64_t>(wn);
      const auto s1 = static_cast<std::int64_t>(ws);
      // n S2 - S1^2 >= 0 exactly (Cauchy-Schwarz): the variance numerator without cancellation.
      const __int128 num = static_cast<__int128>(n) * wq - static_cast<__int128>(s1) * s1;
      if (nd) nd[c] = static_cast<double>(n);
      inv[c] = inv_table[n];
      s1o[c] = s1;
      rest[c] = static_cast<std::int64_t>(num >> 52);
      low[c] = static_cast<std::int64_t>(static_cast<std::uint64_t>(num) & ((std::uint64_t{1} << 52) - 1));
    }
  } else {
    double* __restrict s1d = o.s1d;
    double* __restrict numd = o.numd;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::int64_t c = 0; c < nx; ++c) {
      slide(c);
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
}

struct Finish {
  double shift, inv_scale, inv_scale2, min_std;
};

// Mean, standard deviation and z of one row from its window sums: plain arithmetic over arrays, vectorised.
// The mean and variance are formed in double (the mean sits on the layer's offset); the square root and the
// division of z in float, which is the precision of the outputs.
template <bool Narrow>
void finish_row(const float* in, std::int64_t nx, const RowOut& o, const Finish& f, float* mean, float* sd,
                float* z) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const auto min_std = static_cast<float>(f.min_std);
#pragma omp simd
  for (std::int64_t c = 0; c < nx; ++c) {
    const float v = in[c];
    const double inv = o.inv[c];
    // Every operation runs for every cell and the results are selected afterwards: no branch in the loop.
    const bool ok = (v == v) & (inv == inv);
    const double s1 = Narrow ? from_i51(o.s1[c]) : o.s1d[c];
    const double num = Narrow ? from_i51(o.rest[c]) * 4503599627370496.0 + from_u52(o.low[c]) : o.numd[c];
    const double m = s1 * inv * f.inv_scale + f.shift;
    const float sdev = std::sqrt(static_cast<float>(num * inv * inv * f.inv_scale2));
    const bool flat = sdev < min_std;
    const float zz = static_cast<float>(static_cast<double>(v) - m) / (flat ? 1.0f : sdev);
    mean[c] = ok ? static_cast<float>(m) : nan;
    sd[c] = ok ? sdev : nan;
    z[c] = ok ? (flat ? 0.0f : zz) : nan;
  }
}

struct GiFinish {
  double shift, inv_scale, mean, std, n;
};

// Gi* of one row from its window sums: sum_w (x - Xbar) = S1 / scale + W (shift - Xbar), exactly the
// anomaly.gi_star formula otherwise; vectorised like finish_row.
template <bool Narrow>
void gi_row(const float* in, std::int64_t nx, const RowOut& o, const GiFinish& g, float* out) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const bool defined = g.std > 0.0 && g.n > 1.0;
#pragma omp simd
  for (std::int64_t c = 0; c < nx; ++c) {
    const float v = in[c];
    const double inv = o.inv[c], w = o.nd[c];
    const bool ok = (v == v) & (inv == inv);
    const double s1 = Narrow ? from_i51(o.s1[c]) : o.s1d[c];
    const double num = s1 * g.inv_scale + w * (g.shift - g.mean);
    const double den2 = (g.n * w - w * w) / (g.n - 1.0);
    const bool zero = !defined || !(den2 > 0.0);
    const double gi = num / (g.std * std::sqrt(zero ? 1.0 : den2));
    out[c] = ok ? (zero ? 0.0f : static_cast<float>(gi)) : nan;
  }
}

// Per-thread buffers carved from the scratch vectors.
struct ThreadBuffers {
  std::int32_t *qa, *qr, *zero; // a quantised row (q, then its valid flags `stride` later), and zeros
  std::int32_t* ring;           // `slots` quantised rows, or none (slots = 0)
  std::int64_t slots;
  std::int64_t stride; // distance between the per-thread row arrays: nx plus a skew (see run_engine)
  RowOut row;
  float* dummy;
};

template <class W, class RowFinish>
bool run_band(ConstGridView in, const ExactWindowParams& p, std::int64_t rad, const double* inv_table,
              std::int64_t r_begin, std::int64_t r_end, const Sums<W>& s, const ThreadBuffers& b,
              const RowFinish& finish) {
  const std::int64_t nx = in.nx, ny = in.ny;
  bool bad = false;
  std::fill(s.cn, s.cn + nx, 0);
  std::fill(s.cs, s.cs + nx, 0);
  std::fill(s.cq, s.cq + nx, W(0));
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
    window_row(s, nx, rad, inv_table, p.min_count, b.row);
    finish(std::integral_constant<bool, std::is_same_v<W, std::uint64_t>>{}, r, b);
  }
  return bad;
}

bool overlaps(const float* a, std::int64_t n, const float* b) {
  if (a == nullptr || b == nullptr || n == 0) return false;
  const auto pa = reinterpret_cast<std::uintptr_t>(a), pb = reinterpret_cast<std::uintptr_t>(b);
  const auto len = static_cast<std::uintptr_t>(n) * sizeof(float);
  return pa < pb + len && pb < pa + len;
}

} // namespace

double fixed_point_scale(double max_abs_deviation) {
  if (!(max_abs_deviation > 0.0) || !std::isfinite(max_abs_deviation)) return 1.0;
  return std::ldexp(1.0, 24 - std::ilogb(max_abs_deviation) - 1);
}

namespace {

// Validates the common parameters; the output pointers must not overlap the input.
Status check_params(const char* who, ConstGridView in, const ExactWindowParams& p,
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

// The engine: per-thread bands of rows, per-row window sums handed to finish(narrow tag, row, buffers).
template <class RowFinish>
Status run_engine(const char* who, ConstGridView in, const ExactWindowParams& p, ExactWindowScratch& scratch,
                  bool need_count, const RowFinish& finish) {
  const std::int64_t nx = in.nx, ny = in.ny;
  // A radius beyond the grid is the whole grid; clamping also keeps row +/- radius from overflowing.
  const std::int64_t rad = std::min(p.radius, std::max(nx, ny));
  const bool narrow = rad <= kNarrowMaxRadius;
  // Window counts up to 2^33 keep n S2 below 2^115, the range of to_double.
  const double max_count = std::min(static_cast<double>(2 * rad + 1) * static_cast<double>(2 * rad + 1),
                                    static_cast<double>(nx) * static_cast<double>(ny));
  if (max_count > 8589934592.0)
    return Status::Invalid(std::string(who) +
                           ": window of more than 2^33 cells (use a smaller radius or tile)");
  int threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  threads = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(threads, ny)));

  // Sized before the parallel region: nothing may allocate (or throw) inside it.
  const auto T = static_cast<std::size_t>(threads), W = static_cast<std::size_t>(nx);
  // Row arrays one row plus 16 elements apart: a row of 4096 floats or doubles is a multiple of 4 KiB, and
  // arrays that far apart all fall into the same first-level cache sets (the column update reads seven of
  // them at the same index).
  const std::size_t S = W + 16;
  const std::size_t ints_per = narrow ? 6 * S : 2 * S;
  const std::size_t wide_per = narrow ? 0 : W;
  // A ring of the 2 radius + 2 latest quantised rows per thread, unless it would pass the scratch's limit.
  const std::size_t slots = (2 * rad + 2) * 2 * S * sizeof(std::int32_t) <= scratch.ring_limit_bytes
                                ? static_cast<std::size_t>(2 * rad + 2)
                                : 0;
  const std::size_t quant_per = 5 * S + slots * 2 * S, reals_per = 4 * S;
  if (scratch.ints.size() < T * ints_per) scratch.ints.resize(T * ints_per);
  if (scratch.wide.size() < T * wide_per) scratch.wide.resize(T * wide_per);
  if (scratch.quant.size() < T * quant_per) scratch.quant.resize(T * quant_per);
  if (scratch.reals.size() < T * reals_per) scratch.reals.resize(T * reals_per);
  if (scratch.rows.size() < T * W) scratch.rows.resize(T * W);
  // 1 / n for every possible count of a narrow window (at most 255^2 + 1 entries), shared by the threads.
  const std::size_t table = narrow ? static_cast<std::size_t>((2 * rad + 1) * (2 * rad + 1) + 1) : 0;
  if (scratch.inv.size() < table) scratch.inv.resize(table);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t k = 0; k < table; ++k)
    scratch.inv[k] =
        static_cast<std::int64_t>(k) >= p.min_count && k > 0 ? 1.0 / static_cast<double>(k) : nan;
  const double* inv_table = narrow ? scratch.inv.data() : nullptr;

  bool bad = false;
#pragma omp parallel num_threads(threads) reduction(|| : bad)
  {
    int t = 0, nt = 1;
#ifdef _OPENMP
    t = omp_get_thread_num();
    nt = omp_get_num_threads();
#endif
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
    double* rbase = scratch.reals.data() + tt * reals_per;
    std::uint64_t* ib = scratch.ints.data() + tt * ints_per;
    auto* rowi = reinterpret_cast<std::int64_t*>(ib + 3 * S); // narrow only: after the column sums
    b.row = {
        need_count ? rbase + 3 * S : nullptr, rbase, rowi, rowi + S, rowi + 2 * S, rbase + S, rbase + 2 * S};
    b.dummy = scratch.rows.data() + tt * W;
    if (r_begin < r_end) {
      if (narrow) {
        Sums<std::uint64_t> s{ib, ib + S, ib + 2 * S};
        bad = run_band(in, p, rad, inv_table, r_begin, r_end, s, b, finish);
      } else {
        unsigned __int128* wb = scratch.wide.data() + tt * wide_per;
        Sums<unsigned __int128> s{ib, ib + S, wb};
        bad = run_band(in, p, rad, inv_table, r_begin, r_end, s, b, finish);
      }
    }
  }
  if (bad) return Status::Invalid(std::string(who) + ": a value lies outside the fixed-point range");
  return Status::Ok();
}

} // namespace

Status exact_window_stats(ConstGridView in, const ExactWindowParams& p, ExactWindowScratch& scratch,
                          float* mean, float* std, float* z) {
  if (Status st = check_params("exact_window_stats", in, p, {mean, std, z}); !st.ok) return st;
  if (in.size() == 0 || (mean == nullptr && std == nullptr && z == nullptr)) return Status::Ok();
  Finish f{};
  f.shift = p.shift;
  f.inv_scale = 1.0 / p.scale; // exact: the scale is a power of two in practice, and 1/scale is used alike
  f.inv_scale2 = f.inv_scale * f.inv_scale;
  f.min_std = p.min_std;
  const std::int64_t nx = in.nx;
  return run_engine(
      "exact_window_stats", in, p, scratch, false, [&](auto narrow, std::int64_t r, const ThreadBuffers& b) {
        const std::int64_t o = r * nx;
        finish_row<decltype(narrow)::value>(in.data + o, nx, b.row, f, mean ? mean + o : b.dummy,
                                            std ? std + o : b.dummy, z ? z + o : b.dummy);
      });
}

Status exact_window_gi_star(ConstGridView in, const ExactWindowParams& p, const GiStarGlobal& global,
                            ExactWindowScratch& scratch, float* out) {
  if (Status st = check_params("exact_window_gi_star", in, p, {out}); !st.ok) return st;
  if (global.n < 0 || !std::isfinite(global.mean) || !(global.std >= 0.0) || !std::isfinite(global.std))
    return Status::Invalid("exact_window_gi_star: global n, mean and std must be finite, n and std >= 0");
  if (in.size() == 0 || out == nullptr) return Status::Ok();
  GiFinish g{};
  g.shift = p.shift;
  g.inv_scale = 1.0 / p.scale;
  g.mean = global.mean;
  g.std = global.std;
  g.n = static_cast<double>(global.n);
  const std::int64_t nx = in.nx;
  return run_engine("exact_window_gi_star", in, p, scratch, true,
                    [&](auto narrow, std::int64_t r, const ThreadBuffers& b) {
                      gi_row<decltype(narrow)::value>(in.data + r * nx, nx, b.row, g, out + r * nx);
                    });
}

void ExactMoments::add(const float* v, std::int64_t n, double shift, double scale) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float x = v[i];
    if (!(std::fabs(x) <= std::numeric_limits<float>::max())) continue; // NaN and +-inf are not counted
    const double d = (static_cast<double>(x) - shift) * scale;
    if (!(std::fabs(d) <= kLimit)) {
      ++outside;
      continue;
    }
    const auto q = static_cast<std::int64_t>((d + kRound) - kRound);
    ++count;
    sum += q;
    sum_sq += static_cast<__int128>(q) * q;
  }
}

GiStarGlobal ExactMoments::global(double shift, double scale) const {
  GiStarGlobal g;
  g.n = count;
  if (count == 0) return g;
  const double nd = static_cast<double>(count);
  g.mean = static_cast<double>(sum) / nd / scale + shift;
  // n S2 - S1^2 exactly, then the population variance.
  const __int128 num = static_cast<__int128>(count) * sum_sq - static_cast<__int128>(sum) * sum;
  g.std = std::sqrt(std::max(0.0, to_double(num))) / nd / scale;
  return g;
}

} // namespace prospector::kernels
