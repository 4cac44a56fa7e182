#include "kernels/stats/radix_select.hpp"

#include "kernels/openmp_util.hpp"
#include "kernels/stats/merged.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace prospector::kernels {

namespace {

constexpr std::int64_t kBlock = 1 << 16; // cells per parallel work item
constexpr int kDigitBits = 16;
constexpr std::size_t kBins = std::size_t{1} << kDigitBits;

// Order-preserving key of a float; +0 and -0 share -0's key, as stats.merged's search returns -0 for both.
inline std::uint32_t value_key(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if (u == 0u) u = 0x80000000u;
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

inline float value_of(std::uint32_t k) {
  const std::uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// The deviation |x - m| in double, as stats.merged and numpy compute it.
inline double deviation(double x, double m) { return std::fabs(x - m); }

inline std::uint64_t deviation_key(double t) {
  std::uint64_t u;
  std::memcpy(&u, &t, sizeof u);
  return u; // non-negative doubles order like their bit patterns
}

struct Work {
  std::int64_t block, begin, end;
};

std::vector<Work> work_items(const ValueBlocks& v) {
  std::vector<Work> w;
  for (std::int64_t b = 0; b < v.count; ++b)
    for (std::int64_t i = 0; i < v.size[b]; i += kBlock)
      w.push_back({b, i, std::min(v.size[b], i + kBlock)});
  return w;
}

// Calls body(thread, x) for every valid (non-NaN) value, the work items shared out among `threads` threads.
template <class Body>
void for_each_value(const ValueBlocks& v, const std::vector<Work>& work, int threads, Body body) {
#pragma omp parallel num_threads(threads)
  {
    const int thread = thread_id();
#pragma omp for schedule(dynamic, 4)
    for (std::int64_t w = 0; w < static_cast<std::int64_t>(work.size()); ++w) {
      const Work& it = work[static_cast<std::size_t>(w)];
      const float* d = v.data[it.block];
      for (std::int64_t i = it.begin; i < it.end; ++i)
        if (!std::isnan(d[i])) body(thread, d[i]);
    }
  }
}

// Selects the keys of ranks ks (each 0-based among the valid values) of key(x), for Key uint32_t or uint64_t.
template <class Key, class KeyOf>
std::vector<Key> select_keys(const ValueBlocks& v, std::vector<std::int64_t> ks, const RadixSelectParams& p,
                             KeyOf key_of) {
  const std::vector<Work> work = work_items(v);
  const int digits = static_cast<int>(sizeof(Key) * 8 / kDigitBits);
  const std::size_t nr = ks.size();
  std::vector<Key> prefix(nr, 0);
  std::vector<int> known(nr, 0); // digits fixed so far
  std::vector<char> done(nr, 0);
  std::vector<Key> result(nr, 0);
  const int threads = max_threads();
  for (int pass = 0; pass < digits; ++pass) {
    bool all_done = true;
    for (std::size_t r = 0; r < nr; ++r)
      all_done = all_done && done[r];
    if (all_done) break;
    const int shift = static_cast<int>(sizeof(Key) * 8) - kDigitBits * (pass + 1);
    std::vector<std::int64_t> hist(static_cast<std::size_t>(threads) * nr * kBins, 0);
    for_each_value(v, work, threads, [&](int thread, float x) {
      std::int64_t* h = hist.data() + static_cast<std::size_t>(thread) * nr * kBins;
      const Key k = key_of(x);
      const Key high = pass == 0 ? Key(0) : Key(k >> (shift + kDigitBits));
      const std::size_t bin = static_cast<std::size_t>((k >> shift) & Key(kBins - 1));
      for (std::size_t r = 0; r < nr; ++r)
        if (!done[r] && high == prefix[r]) ++h[r * kBins + bin];
    });
    for (std::size_t r = 0; r < nr; ++r) {
      if (done[r]) continue;
      std::vector<std::int64_t> merged(kBins, 0);
      for (int t = 0; t < threads; ++t)
        for (std::size_t b = 0; b < kBins; ++b)
          merged[b] += hist[(static_cast<std::size_t>(t) * nr + r) * kBins + b];
      std::int64_t below = 0;
      std::size_t bin = 0;
      for (; bin < kBins; ++bin) {
        if (ks[r] < below + merged[bin]) break;
        below += merged[bin];
      }
      prefix[r] = static_cast<Key>((prefix[r] << kDigitBits) | static_cast<Key>(bin));
      ks[r] -= below;
      known[r] = pass + 1;
      if (known[r] == digits) {
        result[r] = prefix[r];
        done[r] = 1;
      } else if (merged[bin] <= p.gather_limit) {
        // Few values left in the bin: gather their keys and select among them.
        const int rest = static_cast<int>(sizeof(Key) * 8) - kDigitBits * known[r];
        std::vector<Key> keys;
        keys.reserve(static_cast<std::size_t>(merged[bin]));
        for (const Work& it : work) {
          const float* d = v.data[it.block];
          for (std::int64_t i = it.begin; i < it.end; ++i) {
            if (std::isnan(d[i])) continue;
            const Key k = key_of(d[i]);
            if (Key(k >> rest) == prefix[r]) keys.push_back(k);
          }
        }
        std::nth_element(keys.begin(), keys.begin() + ks[r], keys.end());
        result[r] = keys[static_cast<std::size_t>(ks[r])];
        done[r] = 1;
      }
    }
  }
  return result;
}

} // namespace

ValueSummary summarize(const ValueBlocks& v) {
  ValueSummary s;
  float mn = std::numeric_limits<float>::quiet_NaN(), mx = mn;
  for (std::int64_t b = 0; b < v.count; ++b)
    for (std::int64_t i = 0; i < v.size[b]; ++i) {
      const float x = v.data[b][i];
      if (std::isnan(x)) continue;
      if (s.count == 0 || x < mn) mn = x;
      if (s.count == 0 || x > mx) mx = x;
      ++s.count;
    }
  s.min = mn;
  s.max = mx;
  return s;
}

Status radix_kth_smallest(const ValueBlocks& v, std::int64_t k, const RadixSelectParams& p, float& out) {
  const std::int64_t n = summarize(v).count;
  if (k < 0 || k >= n) return Status::Invalid("radix_kth_smallest: rank out of range");
  out = value_of(select_keys<std::uint32_t>(v, {k}, p, value_key).front());
  return Status::Ok();
}

Status radix_robust_location(const ValueBlocks& v, const RadixSelectParams& p, RobustLocation& out) {
  const std::int64_t n = summarize(v).count;
  if (n == 0) return Status::Invalid("radix_robust_location: no valid value");
  std::vector<std::int64_t> ranks = {n / 2};
  if (n % 2 == 0) ranks.push_back(n / 2 - 1);
  const auto mk = select_keys<std::uint32_t>(v, ranks, p, value_key);
  double med = value_of(mk[0]);
  if (n % 2 == 0) med = 0.5 * (static_cast<double>(value_of(mk[1])) + static_cast<double>(value_of(mk[0])));
  const auto dk = select_keys<std::uint64_t>(
      v, ranks, p, [med](float x) { return deviation_key(deviation(static_cast<double>(x), med)); });
  double t0, t1 = 0;
  std::memcpy(&t0, &dk[0], sizeof t0);
  double mad = t0;
  if (n % 2 == 0) {
    std::memcpy(&t1, &dk[1], sizeof t1);
    mad = 0.5 * (t1 + t0);
  }
  out.median = med;
  out.mad = mad;
  out.scale = 1.4826 * mad;
  out.count = n;
  return Status::Ok();
}

Status radix_top_fraction_threshold(const ValueBlocks& v, double top_fraction, const RadixSelectParams& p,
                                    double& threshold) {
  if (!(top_fraction > 0.0 && top_fraction <= 1.0))
    return Status::Invalid("radix_top_fraction_threshold: top_fraction must be in (0, 1]");
  const std::int64_t n = summarize(v).count;
  if (n == 0) return Status::Invalid("radix_top_fraction_threshold: no valid value");
  float x = 0;
  const Status st = radix_kth_smallest(v, n - top_fraction_rank(top_fraction, n), p, x);
  if (!st.ok) return st;
  threshold = x;
  return Status::Ok();
}

std::vector<std::int64_t> count_at_or_above(const ValueBlocks& v, const std::vector<double>& thresholds) {
  // slot[j] counts the values with exactly j thresholds at or below them.
  const std::size_t T = thresholds.size();
  const int threads = max_threads();
  std::vector<std::int64_t> slots(static_cast<std::size_t>(threads) * (T + 1), 0);
  const std::vector<Work> work = work_items(v);
  for_each_value(v, work, threads, [&](int thread, float x) {
    std::int64_t* sl = slots.data() + static_cast<std::size_t>(thread) * (T + 1);
    ++sl[static_cast<std::size_t>(
        std::upper_bound(thresholds.begin(), thresholds.end(), static_cast<double>(x)) - thresholds.begin())];
  });
  std::vector<std::int64_t> out(T, 0);
  std::int64_t above = 0;
  for (std::size_t j = T + 1; j-- > 1;) {
    for (int t = 0; t < threads; ++t)
      above += slots[static_cast<std::size_t>(t) * (T + 1) + j];
    out[j - 1] = above;
  }
  return out;
}

float smallest_positive(const ValueBlocks& v) {
  float lo = std::numeric_limits<float>::infinity();
  for (std::int64_t b = 0; b < v.count; ++b)
    for (std::int64_t i = 0; i < v.size[b]; ++i) {
      const float x = v.data[b][i];
      if (x > 0.0f && x < lo) lo = x;
    }
  return lo;
}

} // namespace prospector::kernels
