// Eigen is only used for the final p x p inverse, outside any parallel region; keep it sequential so its
// blocking never depends on the thread count.
#ifndef EIGEN_DONT_PARALLELIZE
#define EIGEN_DONT_PARALLELIZE
#endif

#include "kernels/anomaly/mcd.hpp"

#include "kernels/openmp_util.hpp"
#include "kernels/stats/chi_square.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>

namespace prospector::kernels {

namespace {

// Cells per reduction block: partial sums per block, combined in block order (thread-count independent).
constexpr std::int64_t kBlockCells = 16384;

// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and its output is fixed by the standard, unlike the
// std:: distributions whose algorithms vary between library implementations.
struct SplitMix64 {
  std::uint64_t state;
  explicit SplitMix64(std::uint64_t seed) : state(seed) {}
  std::uint64_t next() {
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; } // [0, 1)
  // Integer in [0, k); the bias of scaling a 53-bit uniform is below 2^-40 for any k used here.
  std::int64_t below(std::int64_t k) {
    const auto r = static_cast<std::int64_t>(uniform() * static_cast<double>(k));
    return std::min(r, k - 1);
  }
};

// Independent stream per purpose: start s uses stream s + 1, the sampling of the search set stream 0.
SplitMix64 stream(std::uint64_t seed, std::uint64_t s) {
  SplitMix64 g(seed ^ (0xD6E8FEB86659FD93ULL * (s + 1)));
  g.next();
  return g;
}

// h for n cells and p bands: floor(2 n2 - n + 2 alpha (n - n2)), n2 = floor((n + p + 1) / 2).
std::int64_t h_of(std::int64_t n, std::int64_t p, double alpha) {
  const std::int64_t n2 = (n + p + 1) / 2;
  const auto h = static_cast<std::int64_t>(
      std::floor(static_cast<double>(2 * n2 - n) + 2.0 * alpha * static_cast<double>(n - n2)));
  return std::min(n, std::max(n2, h));
}

// Cholesky a = L L^T of a p x p row-major symmetric matrix (lower triangle of l written). Returns false when
// a is not numerically positive definite; log_det receives ln det(a).
bool cholesky(const double* a, std::int64_t p, double* l, double& log_det) {
  log_det = 0.0;
  for (std::int64_t j = 0; j < p; ++j) {
    const double ajj = a[j * p + j];
    if (!(ajj > 0.0) || !std::isfinite(ajj)) return false;
    double s = ajj;
    for (std::int64_t k = 0; k < j; ++k)
      s -= l[j * p + k] * l[j * p + k];
    // The pivot is the variance of band j left after regression on the earlier bands; relative to the
    // band's own variance it is scale-free. A subset on a hyperplane leaves it at rounding level, not 0.
    if (!(s > 1e-13 * ajj)) return false;
    const double d = std::sqrt(s);
    l[j * p + j] = d;
    log_det += 2.0 * std::log(d);
    for (std::int64_t i = j + 1; i < p; ++i) {
      double t = a[i * p + j];
      for (std::int64_t k = 0; k < j; ++k)
        t -= l[i * p + k] * l[j * p + k];
      l[i * p + j] = t / d;
    }
  }
  return true;
}

// Squared Mahalanobis distance of x from mean with covariance L L^T: |L^-1 (x - mean)|^2.
inline double mahal2(const double* l, const double* mean, const double* x, std::int64_t p, double* y) {
  double acc = 0.0;
  for (std::int64_t i = 0; i < p; ++i) {
    double t = x[i] - mean[i];
    for (std::int64_t k = 0; k < i; ++k)
      t -= l[i * p + k] * y[k];
    y[i] = t / l[i * p + i];
    acc += y[i] * y[i];
  }
  return acc;
}

// Mean and covariance (divisor count) of the rows of x (m x p) with sel[i] != 0, summed in row order.
std::int64_t rows_moments(const double* x, std::int64_t m, std::int64_t p, const unsigned char* sel,
                          double* mean, double* cov) {
  std::int64_t cnt = 0;
  std::fill(mean, mean + p, 0.0);
  std::fill(cov, cov + p * p, 0.0);
  for (std::int64_t i = 0; i < m; ++i) {
    if (!sel[i]) continue;
    ++cnt;
    for (std::int64_t a = 0; a < p; ++a)
      mean[a] += x[i * p + a];
  }
  if (cnt == 0) return 0;
  for (std::int64_t a = 0; a < p; ++a)
    mean[a] /= static_cast<double>(cnt);
  for (std::int64_t i = 0; i < m; ++i) {
    if (!sel[i]) continue;
    const double* r = x + i * p;
    for (std::int64_t a = 0; a < p; ++a)
      for (std::int64_t b = a; b < p; ++b)
        cov[a * p + b] += (r[a] - mean[a]) * (r[b] - mean[b]);
  }
  for (std::int64_t a = 0; a < p; ++a)
    for (std::int64_t b = a; b < p; ++b) {
      const double c = cov[a * p + b] / static_cast<double>(cnt);
      cov[a * p + b] = c;
      cov[b * p + a] = c;
    }
  return cnt;
}

struct DistIndex {
  double d;
  std::int64_t i;
  bool operator<(const DistIndex& o) const { return d < o.d || (d == o.d && i < o.i); }
};

// Per-thread working memory for the search on the sample.
struct SearchWork {
  double* mean;
  double* cov;
  double* l;
  double* y;
  DistIndex* pairs;
  unsigned char* sel;
  std::int64_t* draw;
};

constexpr double kSingular = -std::numeric_limits<double>::infinity();

// One C-step on the search set from (w.mean, w.cov), whose Cholesky factor is in w.l. Leaves the new
// estimate in w.mean / w.cov and its factor in w.l; returns its ln det, or kSingular for an exact fit.
double cstep_sample(const double* x, std::int64_t m, std::int64_t p, std::int64_t h, SearchWork& w) {
  for (std::int64_t i = 0; i < m; ++i)
    w.pairs[i] = {mahal2(w.l, w.mean, x + i * p, p, w.y), i};
  // The (distance, index) order makes the h-subset unique: ties go to the lower sample index.
  std::nth_element(w.pairs, w.pairs + (h - 1), w.pairs + m);
  std::fill(w.sel, w.sel + m, static_cast<unsigned char>(0));
  for (std::int64_t k = 0; k < h; ++k)
    w.sel[w.pairs[k].i] = 1;
  rows_moments(x, m, p, w.sel, w.mean, w.cov);
  double ld = 0.0;
  if (!cholesky(w.cov, p, w.l, ld)) return kSingular;
  return ld;
}

// Elemental start: p + 1 random distinct rows, grown while singular. Returns false when even all rows
// together are singular.
bool elemental_start(const double* x, std::int64_t m, std::int64_t p, SplitMix64& g, SearchWork& w) {
  std::int64_t k = 0;
  auto draw_new = [&]() {
    for (;;) {
      const std::int64_t c = g.below(m);
      if (!w.sel[c]) {
        w.sel[c] = 1;
        w.draw[k++] = c;
        return;
      }
    }
  };
  std::fill(w.sel, w.sel + m, static_cast<unsigned char>(0));
  while (k < p + 1)
    draw_new();
  for (;;) {
    rows_moments(x, m, p, w.sel, w.mean, w.cov);
    double ld = 0.0;
    if (cholesky(w.cov, p, w.l, ld)) return true;
    if (k == m) return false;
    draw_new();
  }
}

// C-steps converge linearly (each removes a roughly constant share of the remaining decrease); on millions of
// cells the last few swap cells at the rounding level, so stop once det falls by less than 1e-8 relative.
bool converged(double prev, double next) { return !(next < prev - 1e-8); }

// ---- Full-grid passes.

struct Stack {
  const ConstGridView* bands;
  std::int64_t p;
  std::int64_t n;
  std::int64_t blocks;
  bool valid(std::int64_t i) const {
    for (std::int64_t b = 0; b < p; ++b)
      if (!std::isfinite(bands[b].data[i])) return false;
    return true;
  }
};

// dist[i] = squared distance under (mean, L L^T), NaN for cells with any band not finite.
void full_distances(const Stack& s, const double* mean, const double* l, std::vector<double>& ybuf,
                    double* dist) {
  const std::int64_t p = s.p;
  const int threads = max_threads();
  ybuf.assign(static_cast<std::size_t>(threads) * static_cast<std::size_t>(2 * p), 0.0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
#pragma omp parallel num_threads(threads)
  {
    double* y = ybuf.data() + static_cast<std::size_t>(thread_id()) * static_cast<std::size_t>(2 * p);
    double* x = y + p;
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < s.n; ++i) {
      bool ok = true;
      for (std::int64_t b = 0; b < p; ++b) {
        const float v = s.bands[b].data[i];
        if (!std::isfinite(v)) {
          ok = false;
          break;
        }
        x[b] = v;
      }
      dist[i] = ok ? mahal2(l, mean, x, p, y) : nan;
    }
  }
}

// Mean and covariance (divisor count) of the cells with inc(i), as per-block partials combined in block
// order. Returns the count.
template <typename Inc>
std::int64_t full_moments(const Stack& s, Inc inc, std::vector<double>& partial,
                          std::vector<std::int64_t>& counts, double* mean, double* cov) {
  const std::int64_t p = s.p, nb = s.blocks, pairs = p * (p + 1) / 2;
  partial.assign(static_cast<std::size_t>(nb * std::max(p, pairs)), 0.0);
  counts.assign(static_cast<std::size_t>(nb), 0);
#pragma omp parallel for schedule(static)
  for (std::int64_t blk = 0; blk < nb; ++blk) {
    const std::int64_t i0 = blk * kBlockCells, i1 = std::min(s.n, i0 + kBlockCells);
    double* acc = partial.data() + blk * p;
    std::int64_t c = 0;
    for (std::int64_t i = i0; i < i1; ++i) {
      if (!inc(i)) continue;
      ++c;
      for (std::int64_t b = 0; b < p; ++b)
        acc[b] += s.bands[b].data[i];
    }
    counts[static_cast<std::size_t>(blk)] = c;
  }
  std::int64_t cnt = 0;
  std::fill(mean, mean + p, 0.0);
  for (std::int64_t blk = 0; blk < nb; ++blk) {
    cnt += counts[static_cast<std::size_t>(blk)];
    for (std::int64_t b = 0; b < p; ++b)
      mean[b] += partial[blk * p + b];
  }
  if (cnt == 0) return 0;
  for (std::int64_t b = 0; b < p; ++b)
    mean[b] /= static_cast<double>(cnt);

  std::fill(partial.begin(), partial.end(), 0.0);
#pragma omp parallel for schedule(static)
  for (std::int64_t blk = 0; blk < nb; ++blk) {
    const std::int64_t i0 = blk * kBlockCells, i1 = std::min(s.n, i0 + kBlockCells);
    double* acc = partial.data() + blk * pairs;
    for (std::int64_t i = i0; i < i1; ++i) {
      if (!inc(i)) continue;
      std::int64_t k = 0;
      for (std::int64_t a = 0; a < p; ++a) {
        const double da = s.bands[a].data[i] - mean[a];
        for (std::int64_t b = a; b < p; ++b)
          acc[k++] += da * (s.bands[b].data[i] - mean[b]);
      }
    }
  }
  std::int64_t k = 0;
  for (std::int64_t a = 0; a < p; ++a)
    for (std::int64_t b = a; b < p; ++b, ++k) {
      double sum = 0.0;
      for (std::int64_t blk = 0; blk < nb; ++blk)
        sum += partial[blk * pairs + k];
      cov[a * p + b] = sum / static_cast<double>(cnt);
      cov[b * p + a] = cov[a * p + b];
    }
  return cnt;
}

// Chooses the h cells with the smallest distance (ties: ascending cell index) and returns their moments.
std::int64_t full_h_subset(const Stack& s, std::int64_t h, const double* dist, std::vector<double>& select,
                           std::vector<double>& partial, std::vector<std::int64_t>& counts, double* mean,
                           double* cov) {
  std::size_t k = 0;
  for (std::int64_t i = 0; i < s.n; ++i)
    if (!std::isnan(dist[i])) select[k++] = dist[i];
  std::nth_element(select.begin(), select.begin() + (h - 1), select.begin() + static_cast<std::ptrdiff_t>(k));
  const double t = select[static_cast<std::size_t>(h - 1)];
  std::int64_t less = 0, eq = 0;
  for (std::int64_t i = 0; i < s.n; ++i) {
    less += dist[i] < t;
    eq += dist[i] == t;
  }
  const std::int64_t quota = h - less;
  std::int64_t cutoff = s.n;
  if (eq > quota) {
    std::int64_t c = 0;
    for (std::int64_t i = 0; i < s.n; ++i)
      if (dist[i] == t && ++c == quota) {
        cutoff = i + 1;
        break;
      }
  }
  return full_moments(
      s, [&](std::int64_t i) { return dist[i] < t || (dist[i] == t && i < cutoff); }, partial, counts, mean,
      cov);
}

} // namespace

Status mcd_statistics(const ConstGridView* bands, std::int64_t n_bands, const McdParams& params,
                      McdScratch& scratch, BandStatistics& out, McdInfo& info) {
  if (n_bands < 1 || bands == nullptr) return Status::Invalid("mcd_statistics: need at least one band");
  for (std::int64_t b = 0; b < n_bands; ++b) {
    if (bands[b].nx != bands[0].nx || bands[b].ny != bands[0].ny || bands[b].nx < 0 || bands[b].ny < 0)
      return Status::Invalid("mcd_statistics: bands differ in shape");
    if (bands[b].data == nullptr && bands[b].size() > 0) return Status::Invalid("mcd_statistics: null band");
  }
  if (!(params.alpha >= 0.5 && params.alpha <= 1.0))
    return Status::Invalid("mcd_statistics: alpha must be in [0.5, 1]");
  if (params.starts < 1 || params.keep < 1 || params.max_csteps < 1)
    return Status::Invalid("mcd_statistics: starts, keep and max_csteps must be >= 1");
  if (!(params.reweight_quantile > 0.0 && params.reweight_quantile < 1.0))
    return Status::Invalid("mcd_statistics: reweight_quantile must be in (0, 1)");
  if (!std::isfinite(params.ridge) || params.ridge < 0.0)
    return Status::Invalid("mcd_statistics: ridge must be finite and >= 0");
  const std::int64_t p = n_bands;
  if (params.max_search < 2 * (p + 1))
    return Status::Invalid("mcd_statistics: max_search must be >= 2 (bands + 1)");

  const std::int64_t n_cells = bands[0].size();
  const Stack st{bands, p, n_cells, (n_cells + kBlockCells - 1) / kBlockCells};

  // Valid count, per block then summed in order.
  std::vector<std::int64_t> counts(static_cast<std::size_t>(st.blocks), 0);
#pragma omp parallel for schedule(static)
  for (std::int64_t blk = 0; blk < st.blocks; ++blk) {
    std::int64_t c = 0;
    for (std::int64_t i = blk * kBlockCells; i < std::min(n_cells, (blk + 1) * kBlockCells); ++i)
      c += st.valid(i);
    counts[static_cast<std::size_t>(blk)] = c;
  }
  std::int64_t n = 0;
  for (auto c : counts)
    n += c;
  if (n < 2 * (p + 1)) return Status::Invalid("mcd_statistics: fewer than 2 (bands + 1) valid cells");

  info = McdInfo{};
  info.valid = n;
  info.h = h_of(n, p, params.alpha);

  // ---- Search set: all valid cells, or a stratified random sample of them (raster order preserved).
  const std::int64_t m = std::min(n, params.max_search);
  info.search_cells = m;
  scratch.sample.resize(static_cast<std::size_t>(m * p));
  double* x = scratch.sample.data();
  {
    SplitMix64 g = stream(params.seed, 0);
    std::int64_t k = 0, rank = 0;
    auto next_target = [&](std::int64_t kk) {
      if (m == n) return kk;
      const std::int64_t lo = kk * n / m, hi = (kk + 1) * n / m; // stratum [lo, hi), never empty as n > m
      return lo + g.below(hi - lo);
    };
    std::int64_t target = next_target(0);
    for (std::int64_t i = 0; i < n_cells && k < m; ++i) {
      if (!st.valid(i)) continue;
      if (rank == target) {
        for (std::int64_t b = 0; b < p; ++b)
          x[k * p + b] = bands[b].data[i];
        if (++k < m) target = next_target(k);
      }
      ++rank;
    }
  }
  const std::int64_t hm = h_of(m, p, params.alpha);

  // ---- Random starts, two C-steps each; one result slot per start.
  const std::int64_t S = params.starts;
  const int threads = max_threads();
  const std::int64_t pp = p * p;
  std::vector<double> start_ld(static_cast<std::size_t>(S), kSingular);
  std::vector<double> start_est(static_cast<std::size_t>(S * (p + pp)), 0.0);
  std::vector<unsigned char> start_ok(static_cast<std::size_t>(S), 0);
  std::vector<double> wd(static_cast<std::size_t>(threads) * static_cast<std::size_t>(3 * pp + 2 * p));
  std::vector<DistIndex> wpairs(static_cast<std::size_t>(threads) * static_cast<std::size_t>(m));
  std::vector<unsigned char> wsel(static_cast<std::size_t>(threads) * static_cast<std::size_t>(m));
  std::vector<std::int64_t> wdraw(static_cast<std::size_t>(threads) * static_cast<std::size_t>(m));
  auto work_of = [&](int t) {
    double* base = wd.data() + static_cast<std::size_t>(t) * static_cast<std::size_t>(3 * pp + 2 * p);
    return SearchWork{base,
                      base + p,
                      base + p + pp,
                      base + p + 2 * pp,
                      wpairs.data() + static_cast<std::size_t>(t) * static_cast<std::size_t>(m),
                      wsel.data() + static_cast<std::size_t>(t) * static_cast<std::size_t>(m),
                      wdraw.data() + static_cast<std::size_t>(t) * static_cast<std::size_t>(m)};
  };
  const std::uint64_t seed = params.seed;
#pragma omp parallel num_threads(threads)
  {
    SearchWork w = work_of(thread_id());
#pragma omp for schedule(dynamic, 4)
    for (std::int64_t s = 0; s < S; ++s) {
      SplitMix64 g = stream(seed, static_cast<std::uint64_t>(s) + 1);
      if (!elemental_start(x, m, p, g, w)) continue; // start_ok stays 0
      start_ok[s] = 1;
      double ld = 0.0;
      for (int c = 0; c < 2; ++c) {
        ld = cstep_sample(x, m, p, hm, w);
        if (ld == kSingular) break;
      }
      start_ld[s] = ld;
      std::copy(w.mean, w.mean + p, start_est.data() + s * (p + pp));
      std::copy(w.cov, w.cov + pp, start_est.data() + s * (p + pp) + p);
    }
  }
  std::vector<std::int64_t> order;
  for (std::int64_t s = 0; s < S; ++s)
    if (start_ok[s]) order.push_back(s);
  if (order.empty())
    return Status::Invalid("mcd_statistics: the valid cells are singular (all on a hyperplane)");
  std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return start_ld[a] < start_ld[b] || (start_ld[a] == start_ld[b] && a < b);
  });
  if (start_ld[order[0]] == kSingular)
    return Status::Invalid("mcd_statistics: exact fit: at least h cells lie on a hyperplane");

  // ---- Refine the best starts to convergence.
  const std::int64_t keep = std::min<std::int64_t>(params.keep, static_cast<std::int64_t>(order.size()));
  std::vector<double> keep_ld(static_cast<std::size_t>(keep), kSingular);
#pragma omp parallel num_threads(threads)
  {
    SearchWork w = work_of(thread_id());
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t r = 0; r < keep; ++r) {
      const std::int64_t s = order[r];
      double* est = start_est.data() + s * (p + pp);
      std::copy(est, est + p, w.mean);
      std::copy(est + p, est + p + pp, w.cov);
      double ld = 0.0;
      if (!cholesky(w.cov, p, w.l, ld)) continue;
      for (std::int64_t c = 0; c < params.max_csteps; ++c) {
        const double next = cstep_sample(x, m, p, hm, w);
        if (next == kSingular) {
          ld = kSingular;
          break;
        }
        const bool done = converged(ld, next);
        ld = next;
        if (done) break;
      }
      keep_ld[r] = ld;
      std::copy(w.mean, w.mean + p, est);
      std::copy(w.cov, w.cov + pp, est + p);
    }
  }
  std::int64_t best = 0;
  for (std::int64_t r = 1; r < keep; ++r)
    if (keep_ld[r] < keep_ld[best]) best = r;
  if (keep_ld[best] == kSingular)
    return Status::Invalid("mcd_statistics: exact fit: at least h cells lie on a hyperplane");

  std::vector<double> mean(static_cast<std::size_t>(p)), cov(static_cast<std::size_t>(pp)),
      l(static_cast<std::size_t>(pp), 0.0), ybuf;
  {
    const double* est = start_est.data() + order[best] * (p + pp);
    std::copy(est, est + p, mean.begin());
    std::copy(est + p, est + p + pp, cov.begin());
  }
  double raw_ld = keep_ld[best];

  scratch.dist.resize(static_cast<std::size_t>(n_cells));
  scratch.select.resize(static_cast<std::size_t>(n));
  double* dist = scratch.dist.data();
  std::vector<double> partial;

  // ---- C-steps on all valid cells when the search used a sample.
  if (m < n) {
    double ld = 0.0;
    if (!cholesky(cov.data(), p, l.data(), ld))
      return Status::Invalid("mcd_statistics: exact fit: at least h cells lie on a hyperplane");
    for (std::int64_t c = 0; c < params.max_csteps; ++c) {
      full_distances(st, mean.data(), l.data(), ybuf, dist);
      full_h_subset(st, info.h, dist, scratch.select, partial, counts, mean.data(), cov.data());
      ++info.full_csteps;
      double next = 0.0;
      if (!cholesky(cov.data(), p, l.data(), next))
        return Status::Invalid("mcd_statistics: exact fit: at least h cells lie on a hyperplane");
      const bool done = c > 0 && converged(ld, next);
      ld = next;
      if (done) break;
    }
    raw_ld = ld;
  }
  info.raw_log_det = raw_ld;

  // ---- Consistency factor of the raw estimate.
  const double hn = static_cast<double>(info.h) / static_cast<double>(n);
  const double dof = static_cast<double>(p);
  info.raw_factor = info.h >= n ? 1.0 : hn / chi_square_cdf(chi_square_quantile(hn, dof), dof + 2.0);
  for (auto& c : cov)
    c *= info.raw_factor;
  info.raw_mean = mean;
  info.raw_cov = cov;

  // ---- Reweighting over all valid cells.
  double ld = 0.0;
  if (!cholesky(cov.data(), p, l.data(), ld))
    return Status::Invalid("mcd_statistics: exact fit: at least h cells lie on a hyperplane");
  full_distances(st, mean.data(), l.data(), ybuf, dist);
  const double q = chi_square_quantile(params.reweight_quantile, dof);
  const std::int64_t inliers = full_moments(
      st, [&](std::int64_t i) { return dist[i] <= q; }, partial, counts, mean.data(), cov.data());
  if (inliers < p + 1) return Status::Invalid("mcd_statistics: too few cells kept by the reweighting");
  info.inliers = inliers;
  info.reweight_factor = params.reweight_quantile / chi_square_cdf(q, dof + 2.0);
  for (auto& c : cov)
    c *= info.reweight_factor;

  // ---- Inverse with the same relative ridge as band_statistics.
  Eigen::MatrixXd a =
      Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(cov.data(), p,
                                                                                               p);
  const double mean_var = a.trace() / dof;
  a.diagonal().array() += params.ridge * mean_var;
  Eigen::LLT<Eigen::MatrixXd> llt(a);
  if (!(mean_var > 0.0) || llt.info() != Eigen::Success)
    return Status::Invalid("mcd_statistics: covariance is singular even after the ridge");
  Eigen::MatrixXd inv = llt.solve(Eigen::MatrixXd::Identity(p, p));
  inv = 0.5 * (inv + inv.transpose());
  if (!inv.allFinite()) return Status::Invalid("mcd_statistics: covariance is singular even after the ridge");

  out.bands = p;
  out.count = n;
  out.mean = mean;
  out.cov = cov;
  out.inv_cov.assign(static_cast<std::size_t>(pp), 0.0);
  for (std::int64_t r = 0; r < p; ++r)
    for (std::int64_t c = 0; c < p; ++c)
      out.inv_cov[r * p + c] = inv(r, c);
  return Status::Ok();
}

} // namespace prospector::kernels
