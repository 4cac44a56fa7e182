#include "kernels/stats/robust.hpp"

#include "kernels/cpu_dispatch.hpp"
#include "kernels/openmp_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace prospector::kernels {

namespace {

constexpr double kMadToSigma = 1.4826;

// Order-preserving keys: unsigned comparison of key(a), key(b) orders the floats a, b (-0 just before +0).
PROSPECTOR_ALWAYS_INLINE inline std::uint32_t key_of(float v) {
  std::uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u ^ ((0u - (u >> 31)) | 0x80000000u);
}
inline float float_of(std::uint32_t k) {
  const std::uint32_t u = k ^ ((k >> 31) != 0 ? 0x80000000u : 0xFFFFFFFFu);
  float v;
  std::memcpy(&v, &u, sizeof v);
  return v;
}

// The key of a cell that does not count: that of a NaN, which no counted value has.
constexpr std::uint32_t kInvalid = 0xFFFFFFFFu;
// Widest digit of a histogram pass (2048 bins).
constexpr int kMaxDigitBits = 11;
// Below this share of the valid cells, the cells left in the chosen bin are gathered into the scratch buffer
// and the remaining digits selected there instead of by passes over the whole grid.
constexpr std::int64_t kGatherDivisor = 16;
// Cells whose bins a histogram pass computes at a time (on the stack).
constexpr std::int64_t kBinStretch = 1024;
// Cells per inner block of a histogram pass: 32-bit counts, flushed into 64-bit totals after each block.
constexpr std::int64_t kCountBlock = std::int64_t{1} << 30;

bool valid_view(ConstGridView g) { return g.nx >= 0 && g.ny >= 0 && (g.data != nullptr || g.size() == 0); }

// Calls body(t, i0, i1) for each thread t of a team of at most `threads` on its static contiguous share
// [i0, i1) of [0, n), compiled for `isa` (body: a PROSPECTOR_ALWAYS_INLINE lambda).
template <class Body> void vector_shares(cpu::Isa isa, int threads, std::int64_t n, const Body& body) {
#pragma omp parallel num_threads(threads)
  {
    const int t = thread_id(), team = team_size();
    cpu::run(isa, n * t / team, n * (t + 1) / team,
             [&](std::int64_t i0, std::int64_t i1) PROSPECTOR_ALWAYS_INLINE { body(t, i0, i1); });
  }
}

// Exact parallel selection over the keys of the cells: key(i) is cell i's key, or kInvalid where the cell
// does not count. A first pass finds the count and the smallest and largest key; the bits above their
// highest difference are common to every key, and the rest are selected one digit (at most 11 bits) at a
// time, most significant first, with a histogram pass each. Once the chosen bin holds few cells, they are
// gathered into the scratch buffer and the remaining digits selected there. On a magnetic field of 58000 nT
// +- a few hundred that is three passes over the grid: bounds, one histogram, the gather. Per-thread counts
// over static contiguous shares, summed in thread order: integers, so the result does not depend on the
// thread count.
template <class Key, bool Gather = true> class Selector {
public:
  // Gather: whether the selection may gather a bin's cells into `scratch` (not for a selection over that
  // buffer itself).
  Selector(std::int64_t n, const Key& key, std::vector<float>& scratch)
      : n_(n), key_(key), scratch_(scratch) {}

  // The number of counted cells (0: none, and nothing else is valid).
  std::int64_t bounds() {
    const int threads = max_threads();
    std::vector<std::int64_t> counts(static_cast<std::size_t>(threads), 0);
    std::vector<std::uint32_t> los(static_cast<std::size_t>(threads), ~0u),
        his(static_cast<std::size_t>(threads), 0);
    const Key key = key_;
    vector_shares(isa_, threads, n_, [&](int t, std::int64_t i0, std::int64_t i1) PROSPECTOR_ALWAYS_INLINE {
      std::int64_t count = 0;
      std::uint32_t lo = ~0u, hi = 0;
      // Integer reductions, which GCC vectorises on its own (omp simd reductions it does not vectorise in
      // target-attribute functions).
      for (std::int64_t i = i0; i < i1; ++i) {
        const std::uint32_t k = key(i);
        const std::uint32_t ok = k != kInvalid;
        count += ok;
        lo = std::min(lo, k); // kInvalid is above every counted key
        hi = std::max(hi, k & (0u - ok));
      }
      counts[static_cast<std::size_t>(t)] = count;
      los[static_cast<std::size_t>(t)] = lo;
      his[static_cast<std::size_t>(t)] = hi;
    });
    total_ = 0;
    lo_ = ~0u;
    hi_ = 0;
    for (int t = 0; t < threads; ++t) {
      total_ += counts[static_cast<std::size_t>(t)];
      lo_ = std::min(lo_, los[static_cast<std::size_t>(t)]);
      hi_ = std::max(hi_, his[static_cast<std::size_t>(t)]);
    }
    return total_;
  }

  // The key of rank k (0-based) among the counted cells, and in lower the key of rank k - 1 (k >= 1).
  void select(std::int64_t k, bool want_lower, std::uint32_t& upper, std::uint32_t& lower) {
    const std::uint32_t diff = lo_ ^ hi_;
    if (diff == 0) { // every key is the same
      upper = lower = lo_;
      return;
    }
    const int bits = 32 - __builtin_clz(diff); // the low bits that vary
    const int digits = (bits + kMaxDigitBits - 1) / kMaxDigitBits;
    const int width = (bits + digits - 1) / digits;
    std::uint32_t prefix = bits == 32 ? 0u : lo_ & ~((std::uint32_t{1} << bits) - 1u);
    int fixed = bits;       // bits below this position are still open
    std::int64_t below = 0; // counted keys below the current prefix range
    std::vector<std::int64_t> hist;
    while (fixed > 0) {
      const int w = std::min(width, fixed);
      histogram(fixed, w, prefix, hist);
      fixed -= w;
      std::uint32_t b = 0;
      while (below + hist[b] <= k)
        below += hist[b++];
      prefix |= b << fixed;
      if constexpr (Gather) {
        if (fixed > 0 && hist[b] <= total_ / kGatherDivisor) {
          gather_and_select(fixed, prefix, b, std::uint32_t{1} << w, k - below, want_lower, upper, lower);
          if (want_lower && k - below == 0) lower = max_below(upper);
          return;
        }
      }
    }
    upper = prefix;
    // below counts the keys under the final key: the rank k - 1 key is the same key when it is repeated.
    if (want_lower) lower = k - 1 >= below ? upper : max_below(upper);
  }

private:
  // Mask of the key bits at and above position `fixed`, which the prefix holds.
  static std::uint32_t high_mask(int fixed) { return fixed >= 32 ? 0u : ~((std::uint32_t{1} << fixed) - 1u); }

  // Histogram of the w bits below position `fixed` over the keys that match `prefix` above it.
  void histogram(int fixed, int w, std::uint32_t prefix, std::vector<std::int64_t>& hist) {
    const int threads = max_threads();
    const std::uint32_t bins = std::uint32_t{1} << w;
    const std::uint32_t high = high_mask(fixed);
    const int shift = fixed - w;
    part_.assign(static_cast<std::size_t>(threads) * bins, 0);
    const std::int64_t n = n_;
#pragma omp parallel num_threads(threads)
    {
      const int t = thread_id(), team = team_size();
      std::int64_t* total = part_.data() + static_cast<std::size_t>(t) * bins;
      // Two interleaved 32-bit histograms (runs of equal keys would otherwise chain each increment on the
      // last one's store), and a spare bin that takes the cells outside the prefix range without a branch.
      std::uint32_t h[2][(1 << kMaxDigitBits) + 1];
      // The bins of a stretch of cells first, in the vector build, then the increments.
      std::uint32_t bin[kBinStretch];
      const Key key = key_;
      const std::int64_t i0 = n * t / team, i1 = n * (t + 1) / team;
      for (std::int64_t b0 = i0; b0 < i1; b0 += kCountBlock) {
        std::memset(h, 0, sizeof h);
        const std::int64_t b1 = std::min(i1, b0 + kCountBlock);
        for (std::int64_t s0 = b0; s0 < b1; s0 += kBinStretch) {
          const std::int64_t len = std::min(kBinStretch, b1 - s0);
          cpu::run(isa_, s0, s0 + len, [&](std::int64_t j0, std::int64_t j1) PROSPECTOR_ALWAYS_INLINE {
            std::uint32_t* __restrict out = bin;
#pragma omp simd
            for (std::int64_t i = j0; i < j1; ++i) {
              const std::uint32_t k = key(i);
              const std::uint32_t in =
                  0u - static_cast<std::uint32_t>((k != kInvalid) & ((k & high) == prefix));
              out[i - j0] =
                  (((k >> shift) & (bins - 1)) & in) | (bins & ~in); // the spare bin when out of range
            }
          });
          std::int64_t j = 0;
          for (; j + 1 < len; j += 2) {
            ++h[0][bin[j]];
            ++h[1][bin[j + 1]];
          }
          for (; j < len; ++j)
            ++h[0][bin[j]];
        }
        for (std::uint32_t b = 0; b < bins; ++b)
          total[b] += static_cast<std::int64_t>(h[0][b]) + h[1][b];
      }
#pragma omp single
      team_used_ = team;
    }
    hist.assign(bins, 0);
    for (int t = 0; t < threads; ++t)
      for (std::uint32_t b = 0; b < bins; ++b)
        hist[b] += part_[static_cast<std::size_t>(t) * bins + b];
  }

  // Collects the values whose keys match the prefix at and above `fixed` (bin b of the last histogram pass,
  // of `bins`) into the scratch buffer, in cell order, and selects rank r among them (and rank r - 1 when
  // r >= 1) with a selector over the buffer. The last pass counted each thread's cells per bin, so each
  // thread knows where its cells go (they are counted again only if the team size changed).
  void gather_and_select(int fixed, std::uint32_t prefix, std::uint32_t b, std::uint32_t bins, std::int64_t r,
                         bool want_lower, std::uint32_t& upper, std::uint32_t& lower) {
    const std::uint32_t high = high_mask(fixed);
    const int threads = max_threads();
    std::vector<std::int64_t> offset(static_cast<std::size_t>(threads) + 1, 0);
    const std::int64_t n = n_;
    const Key key = key_;
    auto matches = [&](std::uint32_t k) PROSPECTOR_ALWAYS_INLINE {
      return static_cast<std::uint32_t>((k != kInvalid) & ((k & high) == prefix));
    };
    int team_counted = team_used_;
    if (threads != team_used_) {
#pragma omp parallel num_threads(threads)
      {
        const int t = thread_id(), team = team_size();
        std::int64_t c = 0;
        for (std::int64_t i = n * t / team; i < n * (t + 1) / team; ++i)
          c += matches(key(i));
        offset[static_cast<std::size_t>(t) + 1] = c;
#pragma omp single
        team_counted = team;
      }
    } else {
      for (int t = 0; t < threads; ++t)
        offset[static_cast<std::size_t>(t) + 1] = part_[static_cast<std::size_t>(t) * bins + b];
    }
    for (int t = 0; t < team_counted; ++t)
      offset[static_cast<std::size_t>(t) + 1] += offset[static_cast<std::size_t>(t)];
    scratch_.resize(static_cast<std::size_t>(offset[static_cast<std::size_t>(team_counted)]));
    float* buffer = scratch_.data();
#pragma omp parallel num_threads(team_counted)
    {
      const int t = thread_id(), team = team_size();
      // Each thread's stretch of the buffer holds its share's cells only if the share is the one counted.
      if (team == team_counted) {
        std::uint32_t keys[kBinStretch];
        float local[kBinStretch];
        float* out = buffer + offset[static_cast<std::size_t>(t)];
        const std::int64_t i1 = n * (t + 1) / team;
        for (std::int64_t s0 = n * t / team; s0 < i1; s0 += kBinStretch) {
          const std::int64_t len = std::min(kBinStretch, i1 - s0);
          std::uint32_t found = 0;
          cpu::run(isa_, s0, s0 + len, [&](std::int64_t j0, std::int64_t j1) PROSPECTOR_ALWAYS_INLINE {
            std::uint32_t* __restrict kk = keys;
            std::uint32_t c = 0;
            for (std::int64_t i = j0; i < j1; ++i) {
              const std::uint32_t k = key(i);
              kk[i - j0] = k;
              c += matches(k);
            }
            found = c;
          });
          if (found == 0) continue; // smooth fields: most stretches hold no cell of the bin
          // Branch-free compaction into a local stretch (every key is written, the position advances only
          // past a match), then one copy into the buffer.
          std::int64_t w = 0;
          for (std::int64_t j = 0; j < len; ++j) {
            local[w] = float_of(keys[j]);
            w += matches(keys[j]);
          }
          std::memcpy(out, local, static_cast<std::size_t>(w) * sizeof(float));
          out += w;
        }
      }
    }
    // The gathered keys share the prefix above `fixed`: the inner selection handles the bits below it.
    auto buffer_key = [buffer](std::int64_t i) PROSPECTOR_ALWAYS_INLINE { return key_of(buffer[i]); };
    std::vector<float> unused;
    Selector<decltype(buffer_key), false> inner(static_cast<std::int64_t>(scratch_.size()), buffer_key,
                                                unused);
    inner.bounds();
    inner.select(r, want_lower, upper, lower);
  }

  // The largest counted key below `key` (a parallel max; the caller knows one exists).
  std::uint32_t max_below(std::uint32_t limit) {
    const int threads = max_threads();
    std::vector<std::uint32_t> best(static_cast<std::size_t>(threads), 0);
    const Key key = key_;
    vector_shares(isa_, threads, n_, [&](int t, std::int64_t i0, std::int64_t i1) PROSPECTOR_ALWAYS_INLINE {
      std::uint32_t m = 0;
      for (std::int64_t i = i0; i < i1; ++i) {
        const std::uint32_t k = key(i);
        m = std::max(m, k & (0u - static_cast<std::uint32_t>(k < limit))); // kInvalid is never below a key
      }
      best[static_cast<std::size_t>(t)] = m;
    });
    return *std::max_element(best.begin(), best.end());
  }

  std::int64_t n_;
  const Key& key_;
  std::vector<float>& scratch_;
  std::vector<std::int64_t> part_; // per-thread counts of the last histogram pass
  int team_used_ = 0;              // the team size of that pass
  std::int64_t total_ = 0;
  std::uint32_t lo_ = 0, hi_ = 0;
  cpu::Isa isa_ = cpu::widest();
};

// The median of the counted keys as a double: the middle key, or the mean of the two middle ones.
template <class Key>
double median_of(std::int64_t n, const Key& key, std::vector<float>& scratch, std::int64_t& count) {
  Selector<Key> sel(n, key, scratch);
  count = sel.bounds();
  if (count == 0) return 0.0;
  std::uint32_t upper = 0, lower = 0;
  const bool even = count % 2 == 0;
  sel.select(count / 2, even, upper, lower);
  const double u = float_of(upper);
  return even ? 0.5 * (static_cast<double>(float_of(lower)) + u) : u;
}

} // namespace

Status robust_location(ConstGridView in, std::vector<float>& scratch, RobustLocation& out) {
  if (!valid_view(in)) return Status::Invalid("robust_location: invalid grid view");
  const std::int64_t n = in.size();
  const float* data = in.data;
  // Radix selection over order-preserving keys (see Selector): exact, the values sorting would give.
  std::int64_t count = 0;
  // The keys or-ed with an all-ones mask at NaN cells (kInvalid), not selected: GCC vectorises that in the
  // AVX2 and AVX-512 builds, and a select of the computed key there not.
  auto value_key = [data](std::int64_t i) PROSPECTOR_ALWAYS_INLINE {
    const float v = data[i];
    return key_of(v) | (0u - static_cast<std::uint32_t>(!(v == v)));
  };
  const double med = median_of(n, value_key, scratch, count);
  if (count == 0) return Status::Invalid("robust_location: no valid cell");
  // Deviations are formed in double and only then rounded to float, so a large offset (e.g. 58000 nT) does
  // not cost more than float's relative precision on the deviation itself.
  auto deviation_key = [data, med](std::int64_t i) PROSPECTOR_ALWAYS_INLINE {
    const float v = data[i];
    const auto d = static_cast<float>(std::abs(static_cast<double>(v) - med));
    return key_of(d) | (0u - static_cast<std::uint32_t>(!(v == v)));
  };
  std::int64_t same = 0;
  const double mad = median_of(n, deviation_key, scratch, same);

  out.median = med;
  out.mad = mad;
  out.scale = kMadToSigma * mad;
  out.count = count;
  return Status::Ok();
}

bool robust_spread_degenerate(const RobustLocation& loc, const RobustZParams& params) {
  return !(loc.scale > params.min_scale && loc.scale > params.rel_floor * std::fabs(loc.median));
}

Status robust_z(ConstGridView in, const RobustLocation& loc, const RobustZParams& params, GridView out) {
  if (!valid_view(in) || !valid_view(out)) return Status::Invalid("robust_z: invalid grid view");
  if (in.nx != out.nx || in.ny != out.ny) return Status::Invalid("robust_z: input and output shapes differ");
  if (!std::isfinite(loc.median) || !std::isfinite(loc.scale) || loc.scale < 0.0)
    return Status::Invalid("robust_z: location has a non-finite median or scale");
  if (std::isnan(params.min_scale) || params.min_scale < 0.0 || std::isnan(params.rel_floor) ||
      params.rel_floor < 0.0)
    return Status::Invalid("robust_z: min_scale and rel_floor must be >= 0");

  const std::int64_t n = in.size();
  const float* src = in.data;
  float* dst = out.data;
  const double med = loc.median;
  const bool flat = robust_spread_degenerate(loc, params);
  // One multiplication instead of a division per cell: the loop stays at memory speed. A NaN cell stays NaN
  // through the arithmetic (and a degenerate spread makes every cell NaN), so the loop needs no branch.
  const double inv_scale = flat ? std::numeric_limits<double>::quiet_NaN() : 1.0 / loc.scale;
#pragma omp parallel for simd schedule(static)
  for (std::int64_t i = 0; i < n; ++i)
    dst[i] = static_cast<float>((static_cast<double>(src[i]) - med) * inv_scale);
  return Status::Ok();
}

} // namespace prospector::kernels
