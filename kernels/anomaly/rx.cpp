// Eigen's own OpenMP parallelisation of large products picks its blocking from the thread count, which would
// make the inverse depend on it; the matrices here are tiny (bands x bands), so keep Eigen sequential.
#ifndef EIGEN_DONT_PARALLELIZE
#define EIGEN_DONT_PARALLELIZE
#endif

#include "kernels/anomaly/rx.hpp"

#include "kernels/cpu_dispatch.hpp"
#include "kernels/openmp_util.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace prospector::kernels {

namespace {

// Cells per reduction block. Block boundaries depend only on the grid size, and the per-block partial sums
// are combined in block order, so the result is the same for every thread count.
constexpr std::int64_t kBlockCells = 16384;

// Cells per chunk of mahalanobis_apply: 256 bytes of each band read at a time, then sixteen cells (four SSE
// registers) at a time through the triangular product.
constexpr std::int64_t kChunk = 64;
constexpr std::int64_t kLanes = 16;

// The 32-byte vector type below never crosses a call boundary between the two builds (everything taking or
// returning it is inlined), so GCC's note that its ABI differs with AVX does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

// Eight floats (GCC/Clang vector extension): two SSE registers, or one AVX register in the AVX2 build of
// the chunk loop. Loads and stores go through memcpy (no alignment).
typedef float V8 __attribute__((vector_size(32)));
__attribute__((always_inline)) inline V8 load8(const float* p) {
  V8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

struct RxChunkArgs {
  const ConstGridView* bands;
  std::int64_t nb;
  const float* mean_hi;
  const float* mean_lo;
  const float* u; // coefficients of L^T, each repeated for eight lanes, row-major nb x nb
};

// One full chunk starting at cell i0 into dst; d is the thread's nb x kChunk scratch. The per-lane
// arithmetic (differences, then for each row of L^T a product and additions in column order, then the sum of
// squares in row order) is the same in both builds and in the scalar tail below, and no multiply-add is
// fused (-ffp-contract=off), so every build and every chunk position give the same bits.
__attribute__((always_inline)) inline void rx_chunk_body(const RxChunkArgs& a, std::int64_t i0, float* d,
                                                         float* dst) {
  const std::int64_t nb = a.nb;
  for (std::int64_t b = 0; b < nb; ++b) {
    const float* src = a.bands[b].data + i0;
    float* db = d + b * kChunk;
    const float mh = a.mean_hi[b], ml = a.mean_lo[b];
    for (std::int64_t k = 0; k < kChunk; k += 8) {
      const V8 v = (load8(src + k) - mh) - ml;
      std::memcpy(db + k, &v, sizeof v);
    }
  }
  for (std::int64_t c = 0; c < kChunk; c += kLanes) {
    V8 a0 = {}, a1 = {};
    for (std::int64_t i = 0; i < nb; ++i) {
      const float* ui = a.u + i * nb * 8;
      const float* di = d + i * kChunk + c;
      const V8 uii = load8(ui + i * 8);
      V8 y0 = uii * load8(di), y1 = uii * load8(di + 8);
      for (std::int64_t j = i + 1; j < nb; ++j) {
        const float* dj = d + j * kChunk + c;
        const V8 uij = load8(ui + j * 8);
        y0 += uij * load8(dj);
        y1 += uij * load8(dj + 8);
      }
      a0 += y0 * y0;
      a1 += y1 * y1;
    }
    std::memcpy(dst + c, &a0, sizeof a0);
    std::memcpy(dst + c + 8, &a1, sizeof a1);
  }
}

void rx_chunk_default(const RxChunkArgs& a, std::int64_t i0, float* d, float* dst) {
  rx_chunk_body(a, i0, d, dst);
}

#ifdef PROSPECTOR_X86_DISPATCH
PROSPECTOR_TARGET_AVX2 void rx_chunk_avx2(const RxChunkArgs& a, std::int64_t i0, float* d, float* dst) {
  rx_chunk_body(a, i0, d, dst);
}
#endif

Status check_bands(const ConstGridView* bands, std::int64_t n_bands, const char* who) {
  if (n_bands < 1 || bands == nullptr) return Status::Invalid(std::string(who) + ": need at least one band");
  const std::int64_t nx = bands[0].nx, ny = bands[0].ny;
  if (nx < 0 || ny < 0) return Status::Invalid(std::string(who) + ": invalid grid view");
  for (std::int64_t b = 0; b < n_bands; ++b) {
    if (bands[b].nx != nx || bands[b].ny != ny)
      return Status::Invalid(std::string(who) + ": bands differ in shape");
    if (bands[b].data == nullptr && bands[b].size() > 0)
      return Status::Invalid(std::string(who) + ": null band data");
  }
  return Status::Ok();
}

inline bool all_valid(const ConstGridView* bands, std::int64_t n_bands, std::int64_t i) {
  for (std::int64_t b = 0; b < n_bands; ++b)
    if (std::isnan(bands[b].data[i])) return false;
  return true;
}

} // namespace

Status band_statistics(const ConstGridView* bands, std::int64_t n_bands, const RxParams& params,
                       BandStatistics& out) {
  if (Status s = check_bands(bands, n_bands, "band_statistics"); !s.ok) return s;
  if (!std::isfinite(params.ridge) || params.ridge < 0.0)
    return Status::Invalid("band_statistics: ridge must be finite and >= 0");

  const std::int64_t nb = n_bands;
  const std::int64_t n = bands[0].size();
  const std::int64_t n_blocks = (n + kBlockCells - 1) / kBlockCells;
  const std::int64_t n_pairs = nb * (nb + 1) / 2;

  // Pass 1: per-block sums and counts, then the mean.
  std::vector<double> part_sum(static_cast<std::size_t>(n_blocks * nb), 0.0);
  std::vector<std::int64_t> part_count(static_cast<std::size_t>(n_blocks), 0);
#pragma omp parallel for schedule(static)
  for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
    const std::int64_t i0 = blk * kBlockCells;
    const std::int64_t i1 = std::min(n, i0 + kBlockCells);
    double* acc = part_sum.data() + blk * nb;
    std::int64_t cnt = 0;
    for (std::int64_t i = i0; i < i1; ++i) {
      if (!all_valid(bands, nb, i)) continue;
      ++cnt;
      for (std::int64_t b = 0; b < nb; ++b)
        acc[b] += bands[b].data[i];
    }
    part_count[static_cast<std::size_t>(blk)] = cnt;
  }
  std::int64_t count = 0;
  std::vector<double> mean(static_cast<std::size_t>(nb), 0.0);
  for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
    count += part_count[static_cast<std::size_t>(blk)];
    for (std::int64_t b = 0; b < nb; ++b)
      mean[b] += part_sum[blk * nb + b];
  }
  if (count < nb + 1)
    return Status::Invalid("band_statistics: fewer than bands+1 cells with all bands valid");
  for (auto& m : mean)
    m /= static_cast<double>(count);

  // Pass 2: centred cross products (two-pass for accuracy on data with a large offset), upper triangle.
  std::vector<double> part_cross(static_cast<std::size_t>(n_blocks * n_pairs), 0.0);
#pragma omp parallel for schedule(static)
  for (std::int64_t blk = 0; blk < n_blocks; ++blk) {
    const std::int64_t i0 = blk * kBlockCells;
    const std::int64_t i1 = std::min(n, i0 + kBlockCells);
    double* acc = part_cross.data() + blk * n_pairs;
    for (std::int64_t i = i0; i < i1; ++i) {
      if (!all_valid(bands, nb, i)) continue;
      std::int64_t p = 0;
      for (std::int64_t a = 0; a < nb; ++a) {
        const double da = bands[a].data[i] - mean[a];
        for (std::int64_t b = a; b < nb; ++b)
          acc[p++] += da * (bands[b].data[i] - mean[b]);
      }
    }
  }
  std::vector<double> cross(static_cast<std::size_t>(n_pairs), 0.0);
  for (std::int64_t blk = 0; blk < n_blocks; ++blk)
    for (std::int64_t p = 0; p < n_pairs; ++p)
      cross[p] += part_cross[blk * n_pairs + p];

  std::vector<double> cov(static_cast<std::size_t>(nb * nb), 0.0);
  {
    const double denom = static_cast<double>(count - 1);
    std::int64_t p = 0;
    for (std::int64_t a = 0; a < nb; ++a)
      for (std::int64_t b = a; b < nb; ++b) {
        const double c = cross[p++] / denom;
        cov[a * nb + b] = c;
        cov[b * nb + a] = c;
      }
  }
  for (double c : cov)
    if (!std::isfinite(c)) return Status::Invalid("band_statistics: non-finite covariance (infinite input?)");

  // The ridge is scaled by the mean variance so it means the same thing whatever the units of the bands.
  Eigen::MatrixXd a =
      Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(cov.data(), nb,
                                                                                               nb);
  const double mean_var = a.trace() / static_cast<double>(nb);
  a.diagonal().array() += params.ridge * mean_var;
  Eigen::LLT<Eigen::MatrixXd> llt(a);
  if (mean_var <= 0.0 || llt.info() != Eigen::Success)
    return Status::Invalid("band_statistics: covariance is singular even after the ridge");
  Eigen::MatrixXd inv = llt.solve(Eigen::MatrixXd::Identity(nb, nb));
  inv = 0.5 * (inv + inv.transpose()); // exact symmetry
  if (!inv.allFinite())
    return Status::Invalid("band_statistics: covariance is singular even after the ridge");

  out.bands = nb;
  out.count = count;
  out.mean = std::move(mean);
  out.cov = std::move(cov);
  out.inv_cov.assign(static_cast<std::size_t>(nb * nb), 0.0);
  for (std::int64_t r = 0; r < nb; ++r)
    for (std::int64_t c = 0; c < nb; ++c)
      out.inv_cov[r * nb + c] = inv(r, c);
  return Status::Ok();
}

Status mahalanobis_apply(const ConstGridView* bands, std::int64_t n_bands, const BandStatistics& stats,
                         GridView out) {
  return detail::mahalanobis_apply_isa(bands, n_bands, stats, out, cpu::Isa::avx512);
}

Status detail::mahalanobis_apply_isa(const ConstGridView* bands, std::int64_t n_bands,
                                     const BandStatistics& stats, GridView out, cpu::Isa allowed) {
  if (Status s = check_bands(bands, n_bands, "mahalanobis_apply"); !s.ok) return s;
  const std::int64_t nb = n_bands;
  if (stats.bands != nb || static_cast<std::int64_t>(stats.mean.size()) != nb ||
      static_cast<std::int64_t>(stats.inv_cov.size()) != nb * nb)
    return Status::Invalid("mahalanobis_apply: statistics do not match the band count");
  if (out.nx != bands[0].nx || out.ny != bands[0].ny || (out.data == nullptr && out.size() > 0))
    return Status::Invalid("mahalanobis_apply: output shape differs from the bands");

  // inv_cov = L L^T, so d^T inv_cov d = |L^T d|^2: a sum of squares, which float arithmetic cannot drive
  // negative, and rows of L^T that need no more than band-count multiply-adds each.
  const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> a(
      stats.inv_cov.data(), nb, nb);
  const Eigen::LLT<Eigen::MatrixXd> llt(a);
  if (llt.info() != Eigen::Success)
    return Status::Invalid("mahalanobis_apply: the inverse covariance is not positive definite");
  const Eigen::MatrixXd lt = llt.matrixU(); // L^T, upper triangular
  std::vector<float> u(static_cast<std::size_t>(nb * nb), 0.0f);
  for (std::int64_t i = 0; i < nb; ++i)
    for (std::int64_t j = i; j < nb; ++j)
      u[static_cast<std::size_t>(i * nb + j)] = static_cast<float>(lt(i, j));
  for (float v : u)
    if (!std::isfinite(v)) return Status::Invalid("mahalanobis_apply: the inverse covariance is not finite");

  // Cells go in chunks of 64: the differences of every band for a chunk (the bands read side by side, which
  // the hardware prefetcher follows much better than one band after another), then the triangular product
  // with y and the running sums in four vector registers each, as independent chains that hide the latency
  // of the additions. A NaN band value makes the cell's sum NaN on its own.
  const std::int64_t n = out.size();
  const std::int64_t n_chunks = (n + kChunk - 1) / kChunk;
  const std::size_t per_thread = static_cast<std::size_t>(nb * kChunk);
  const int threads = max_threads();
  // Allocated here because nothing may throw inside the parallel region.
  std::vector<float> work(static_cast<std::size_t>(threads) * per_thread);
  // The mean as a float pair hi + lo: x - hi is exact for values near the mean (a field on a large offset),
  // so (x - hi) - lo keeps the difference as precise as a double subtraction would, in float arithmetic.
  std::vector<float> mean_hi(static_cast<std::size_t>(nb)), mean_lo(static_cast<std::size_t>(nb));
  for (std::int64_t b = 0; b < nb; ++b) {
    mean_hi[b] = static_cast<float>(stats.mean[b]);
    mean_lo[b] = static_cast<float>(stats.mean[b] - static_cast<double>(mean_hi[b]));
  }
  const float* uc = u.data();
  // The coefficients broadcast to all lanes once, so the inner loop loads them instead of shuffling.
  std::vector<float> ubroadcast(u.size() * 8);
  for (std::size_t k = 0; k < u.size(); ++k)
    std::fill(ubroadcast.begin() + static_cast<std::ptrdiff_t>(8 * k),
              ubroadcast.begin() + static_cast<std::ptrdiff_t>(8 * k + 8), u[k]);
  const RxChunkArgs args{bands, nb, mean_hi.data(), mean_lo.data(), ubroadcast.data()};
  void (*chunk)(const RxChunkArgs&, std::int64_t, float*, float*) = rx_chunk_default;
#ifdef PROSPECTOR_X86_DISPATCH
  if (cpu::widest(allowed) >= cpu::Isa::avx2) chunk = rx_chunk_avx2;
#else
  (void)allowed;
#endif

#pragma omp parallel num_threads(threads)
  {
    const int t = thread_id();
    float* d = work.data() + static_cast<std::size_t>(t) * per_thread;
#pragma omp for schedule(static)
    for (std::int64_t ch = 0; ch < n_chunks; ++ch) {
      const std::int64_t i0 = ch * kChunk;
      float* dst = out.data + i0;
      if (i0 + kChunk <= n) {
        chunk(args, i0, d, dst);
      } else {
        for (std::int64_t k = 0; k < n - i0; ++k) { // the last, partial chunk: same arithmetic per cell
          float acc = 0.0f;
          for (std::int64_t i = 0; i < nb; ++i) {
            const float* ui = uc + i * nb;
            float yv = ui[i] * ((bands[i].data[i0 + k] - mean_hi[i]) - mean_lo[i]);
            for (std::int64_t j = i + 1; j < nb; ++j)
              yv += ui[j] * ((bands[j].data[i0 + k] - mean_hi[j]) - mean_lo[j]);
            acc += yv * yv;
          }
          dst[k] = acc;
        }
      }
    }
  }
  return Status::Ok();
}

} // namespace prospector::kernels
