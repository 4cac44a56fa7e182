#include "kernels/potential_field.hpp"

#include "kernels/cpu_dispatch.hpp"
#include "kernels/fastmath.hpp"

#include <fftw3.h>
#include <omp.h>

#ifdef __linux__
#include <sys/mman.h>
#endif

#ifdef PROSPECTOR_X86_DISPATCH
#include <immintrin.h>
#endif

#include <algorithm>
#include <climits>
#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace prospector::kernels {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kGravitationalConstant = 6.6743e-11; // CODATA 2018, m^3 kg^-1 s^-2
// Spectrum columns per column-pass block. A block is copied into a per-thread scratch (Ny x 8 values, which
// stays in cache) for its FFTs and filter: the strided columns of a large grid are then read and written once
// instead of once per FFT stage (3-4x faster). The block partition does not depend on the thread count, so
// neither does the arithmetic of any column.
constexpr std::int64_t kColumnBlock = 8;
// Rows ahead whose spectrum line the column-block copies prefetch.
constexpr std::int64_t kPrefetchRows = 32;
// Per-row sums of the plane fit: count, sum f, sum u, sum u^2, sum f u (u = column, v = row is constant).
constexpr std::int64_t kRowSums = 5;
// Below this many cells per sweep the hole fill runs on one thread: its sweeps are short and a team barrier
// per sweep would cost more than the work (the red-black ordering makes the result the same either way).
constexpr std::int64_t kParallelCells = 1 << 15;

// FFTW's planner keeps global state and is not thread-safe (fftw_execute is).
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

struct FftwFree {
  void operator()(fftwf_complex* p) const { fftwf_free(p); }
};
using ComplexBuffer = std::unique_ptr<fftwf_complex[], FftwFree>;

// Asks the kernel for transparent huge pages over the page-aligned interior of a large buffer, where the
// system leaves them to madvise. A column pass reads each cache line from a different row, tens of KiB
// apart: with 4 KiB pages every line is also a TLB miss. Only a hint: failure changes nothing.
void prefer_huge_pages(void* p, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const auto page = static_cast<std::uintptr_t>(4096);
  const auto begin = (reinterpret_cast<std::uintptr_t>(p) + page - 1) & ~(page - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(page - 1);
  if (p != nullptr && end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

struct Level {
  std::int64_t nx = 0, ny = 0, offset = 0;
};

// Mirror index of a pad cell: even symmetry about the grid edge, repeated for pads wider than the grid.
std::int64_t mirror(std::int64_t j, std::int64_t n) {
  const std::int64_t period = 2 * n;
  std::int64_t m = j % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

void axis_tables(std::int64_t n, std::int64_t np, std::int64_t before, std::vector<std::int64_t>& src,
                 std::vector<float>& taper) {
  const std::int64_t after = np - n - before;
  src.resize(static_cast<std::size_t>(np));
  taper.resize(static_cast<std::size_t>(np));
  for (std::int64_t p = 0; p < np; ++p) {
    const std::int64_t j = p - before;
    src[p] = mirror(j, n);
    double w = 1.0;
    if (j < 0) w = 0.5 * (1.0 + std::cos(kPi * static_cast<double>(-j) / static_cast<double>(before)));
    if (j >= n) w = 0.5 * (1.0 + std::cos(kPi * static_cast<double>(j - n + 1) / static_cast<double>(after)));
    taper[p] = static_cast<float>(w);
  }
}

} // namespace

std::int64_t fast_fft_size(std::int64_t n) {
  for (std::int64_t m = std::max<std::int64_t>(n, 1);; ++m) {
    std::int64_t r = m;
    for (std::int64_t f : {2, 3, 5, 7})
      while (r % f == 0)
        r /= f;
    if (r == 1) return m;
  }
}

struct PotentialFieldPlan::Impl {
  PotentialFieldPlanParams params;
  std::int64_t nx = 0, ny = 0;      // grid
  std::int64_t nxp = 0, nyp = 0;    // padded FFT sizes
  std::int64_t west = 0, north = 0; // offset of the grid in the padded array
  std::int64_t nc = 0;              // spectrum columns, nxp / 2 + 1
  std::int64_t cs = 0;              // complex row stride (nc rounded up to kColumnBlock)
  ComplexBuffer spec, work;         // nyp * cs each; the real view has row stride 2 * cs
  // Per thread: two column blocks (nyp * kColumnBlock each; the column FFTs run out of place between them,
  // as FFTW's estimate-mode plans copy in-place ones through a buffer) and one real row (cs complex values)
  // that the inverse row FFTs write into. threads * scratch_stride() in all.
  ComplexBuffer scratch;
  std::int64_t threads = 1; // scratch blocks, the most threads a column or inverse row pass uses
  fftwf_plan row_r2c = nullptr, row_c2r = nullptr;
  fftwf_plan col_fwd = nullptr, col_bwd = nullptr, tail_fwd = nullptr, tail_bwd = nullptr;
  std::vector<std::int64_t> src_x, src_y;
  std::vector<float> taper_x, taper_y;
  std::vector<std::uint8_t> hole;             // ny * nx
  std::vector<double> row_sums;               // ny * kRowSums, per-row sums for the plane fit
  std::vector<std::int64_t> hole_lo, hole_hi; // ny, column range of the holes in each row
  std::vector<Level> levels;                  // fill pyramid levels 1..top (level 0 is the grid itself)
  std::vector<float> pyramid;
  std::vector<float> aux; // ny * nx
  std::vector<float> ky;  // nyp, wavenumber of each spectrum row (set by each filtered column pass)
  // Source row and factor of each spectrum row in a first column pass: a grid row itself (factor 1), or for a
  // pad row the grid row it mirrors and its taper (see prepare). Identity tables for the other passes.
  std::vector<std::int64_t> first_row, same_row;
  std::vector<float> first_factor, unit_factor;
  std::vector<float> hbuf; // threads * 2 * nyp, a column of filter values (real, imaginary) per thread

  ~Impl() {
    std::lock_guard<std::mutex> lock(planner_mutex());
    for (fftwf_plan p : {row_r2c, row_c2r, col_fwd, col_bwd, tail_fwd, tail_bwd})
      if (p) fftwf_destroy_plan(p);
  }

  float* real(fftwf_complex* buf) const { return reinterpret_cast<float*>(buf); }
  std::int64_t real_stride() const { return 2 * cs; }
  std::int64_t blocks() const { return (nc + kColumnBlock - 1) / kColumnBlock; }
  std::int64_t scratch_stride() const { return 2 * nyp * kColumnBlock + cs; }
  // Column block i (0 or 1) and the real row of thread t's scratch.
  fftwf_complex* column_block(int t, int i) const {
    return scratch.get() + t * scratch_stride() + i * nyp * kColumnBlock;
  }
  float* thread_row(int t) const { return real(column_block(t, 2)); }
  int team() const { return static_cast<int>(std::min<std::int64_t>(threads, omp_get_max_threads())); }
  // The build of the row and column loops: AVX-512 when the plan allows it and the CPU has it.
  cpu::Isa isa() const {
    return params.vector_isa && cpu::has_avx512() ? cpu::Isa::avx512 : cpu::Isa::baseline;
  }
};

PotentialFieldPlan::PotentialFieldPlan() = default;
PotentialFieldPlan::~PotentialFieldPlan() = default;
PotentialFieldPlan::PotentialFieldPlan(PotentialFieldPlan&&) noexcept = default;
PotentialFieldPlan& PotentialFieldPlan::operator=(PotentialFieldPlan&&) noexcept = default;

bool PotentialFieldPlan::ready() const { return impl_ != nullptr; }
std::int64_t PotentialFieldPlan::nx() const { return impl_ ? impl_->nx : 0; }
std::int64_t PotentialFieldPlan::ny() const { return impl_ ? impl_->ny : 0; }
std::int64_t PotentialFieldPlan::padded_nx() const { return impl_ ? impl_->nxp : 0; }
std::int64_t PotentialFieldPlan::padded_ny() const { return impl_ ? impl_->nyp : 0; }
std::int64_t PotentialFieldPlan::pad_west() const { return impl_ ? impl_->west : 0; }
std::int64_t PotentialFieldPlan::pad_north() const { return impl_ ? impl_->north : 0; }

std::size_t PotentialFieldPlan::memory_bytes() const {
  if (!impl_) return 0;
  const Impl& w = *impl_;
  const auto n = static_cast<std::size_t>(w.nx * w.ny);
  return static_cast<std::size_t>(2 * w.nyp * w.cs + w.threads * w.scratch_stride()) * sizeof(fftwf_complex) +
         (w.ky.size() + w.hbuf.size()) * sizeof(float) + n * (1 + sizeof(float)) +
         w.pyramid.size() * sizeof(float);
}

Status PotentialFieldPlan::init(std::int64_t nx, std::int64_t ny, const PotentialFieldPlanParams& params) {
  impl_.reset();
  if (nx < 1 || ny < 1) return Status::Invalid("potential_field: grid must have at least one cell");
  if (!(params.pad_fraction >= 0.0) || params.pad_fraction > 4.0)
    return Status::Invalid("potential_field: pad_fraction must be in [0, 4]");
  if (params.min_pad < 0) return Status::Invalid("potential_field: min_pad must be >= 0");
  if (params.fill_iterations < 0) return Status::Invalid("potential_field: fill_iterations must be >= 0");
  auto padded = [&](std::int64_t n) {
    const auto pad = std::max(
        params.min_pad, static_cast<std::int64_t>(std::ceil(params.pad_fraction * static_cast<double>(n))));
    return fast_fft_size(n + 2 * pad);
  };
  const std::int64_t nxp = padded(nx), nyp = padded(ny);
  if (nxp > INT_MAX / 4 || nyp > INT_MAX / 4)
    return Status::Invalid("potential_field: grid too large for FFTW");

  try {
    auto w = std::make_unique<Impl>();
    w->params = params;
    w->nx = nx;
    w->ny = ny;
    w->nxp = nxp;
    w->nyp = nyp;
    w->west = (nxp - nx) / 2;
    w->north = (nyp - ny) / 2;
    w->nc = nxp / 2 + 1;
    w->cs = (w->nc + kColumnBlock - 1) / kColumnBlock * kColumnBlock;
    const std::int64_t total = nyp * w->cs;
    w->threads = std::max(omp_get_max_threads(), omp_get_num_procs());
    w->spec.reset(fftwf_alloc_complex(static_cast<std::size_t>(total)));
    w->work.reset(fftwf_alloc_complex(static_cast<std::size_t>(total)));
    prefer_huge_pages(w->spec.get(), static_cast<std::size_t>(total) * sizeof(fftwf_complex));
    prefer_huge_pages(w->work.get(), static_cast<std::size_t>(total) * sizeof(fftwf_complex));
    w->scratch.reset(fftwf_alloc_complex(static_cast<std::size_t>(w->threads * w->scratch_stride())));
    if (!w->spec || !w->work || !w->scratch)
      return Status::Invalid("potential_field: out of memory for the FFT buffers");
    // First touch here, in parallel, so that no transform pays for fresh pages.
    float* s = w->real(w->spec.get());
    float* k = w->real(w->work.get());
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < 2 * total; ++i) {
      s[i] = 0.0f;
      k[i] = 0.0f;
    }
    std::fill_n(w->real(w->scratch.get()), 2 * w->threads * w->scratch_stride(), 0.0f);

    axis_tables(nx, nxp, w->west, w->src_x, w->taper_x);
    axis_tables(ny, nyp, w->north, w->src_y, w->taper_y);
    const auto cells = static_cast<std::size_t>(nx * ny);
    w->hole.assign(cells, 0);
    w->aux.assign(cells, 0.0f);
    w->row_sums.assign(static_cast<std::size_t>(ny * kRowSums), 0.0);
    w->hole_lo.assign(static_cast<std::size_t>(ny), 0);
    w->hole_hi.assign(static_cast<std::size_t>(ny), -1);
    w->ky.assign(static_cast<std::size_t>(nyp), 0.0f);
    w->first_row.resize(static_cast<std::size_t>(nyp));
    w->same_row.resize(static_cast<std::size_t>(nyp));
    w->first_factor.resize(static_cast<std::size_t>(nyp));
    w->unit_factor.assign(static_cast<std::size_t>(nyp), 1.0f);
    for (std::int64_t p = 0; p < nyp; ++p) {
      const bool grid_row = p >= w->north && p < w->north + ny;
      w->same_row[p] = p;
      w->first_row[p] = grid_row ? p : w->north + w->src_y[p];
      w->first_factor[p] = grid_row ? 1.0f : w->taper_y[p];
    }
    w->hbuf.assign(static_cast<std::size_t>(w->threads * 2 * nyp), 0.0f);
    std::int64_t lx = nx, ly = ny, offset = 0;
    while (lx > 1 || ly > 1) {
      lx = (lx + 1) / 2;
      ly = (ly + 1) / 2;
      w->levels.push_back({lx, ly, offset});
      offset += lx * ly;
    }
    w->pyramid.assign(static_cast<std::size_t>(offset), 0.0f);

    const int inxp = static_cast<int>(nxp), inyp = static_cast<int>(nyp);
    const int tail = static_cast<int>(w->nc % kColumnBlock);
    fftwf_complex* buf = w->work.get();
    fftwf_complex* sa = w->column_block(0, 0);
    fftwf_complex* sb = w->column_block(0, 1);
    {
      std::lock_guard<std::mutex> lock(planner_mutex());
      w->row_r2c = fftwf_plan_dft_r2c_1d(inxp, w->real(buf), buf, FFTW_ESTIMATE);
      w->row_c2r = fftwf_plan_dft_c2r_1d(inxp, buf, w->thread_row(0), FFTW_ESTIMATE);
      auto columns = [&](int howmany, int sign) {
        return fftwf_plan_many_dft(1, &inyp, howmany, sa, nullptr, 1, inyp, sb, nullptr, 1, inyp, sign,
                                   FFTW_ESTIMATE);
      };
      w->col_fwd = columns(static_cast<int>(kColumnBlock), FFTW_FORWARD);
      w->col_bwd = columns(static_cast<int>(kColumnBlock), FFTW_BACKWARD);
      if (tail > 0) {
        w->tail_fwd = columns(tail, FFTW_FORWARD);
        w->tail_bwd = columns(tail, FFTW_BACKWARD);
      }
    }
    if (!w->row_r2c || !w->row_c2r || !w->col_fwd || !w->col_bwd ||
        (tail > 0 && (!w->tail_fwd || !w->tail_bwd)))
      return Status::Invalid("potential_field: FFTW could not create a plan");
    impl_ = std::move(w);
  } catch (const std::bad_alloc&) {
    return Status::Invalid("potential_field: out of memory for the plan buffers");
  }
  return Status::Ok();
}

namespace {

using Impl = PotentialFieldPlan::Impl;

// Push-pull fill of the NaN cells of the grid inside the padded buffer, then Laplace smoothing of the holes.
void fill_holes(Impl& w, float* grid, std::int64_t stride) {
  struct View {
    float* p;
    std::int64_t nx, ny, stride;
    float& at(std::int64_t r, std::int64_t c) const { return p[r * stride + c]; }
  };
  const std::int64_t top = static_cast<std::int64_t>(w.levels.size());
  auto level = [&](std::int64_t l) {
    if (l == 0) return View{grid, w.nx, w.ny, stride};
    const Level& L = w.levels[static_cast<std::size_t>(l - 1)];
    return View{w.pyramid.data() + L.offset, L.nx, L.ny, L.nx};
  };
  for (std::int64_t l = 1; l <= top; ++l) {
    const View f = level(l - 1), c = level(l);
#pragma omp parallel for schedule(static) if (f.nx * f.ny >= kParallelCells)
    for (std::int64_t r = 0; r < c.ny; ++r)
      for (std::int64_t q = 0; q < c.nx; ++q) {
        float sum = 0.0f;
        int count = 0;
        for (std::int64_t rr = 2 * r; rr < std::min(2 * r + 2, f.ny); ++rr)
          for (std::int64_t qq = 2 * q; qq < std::min(2 * q + 2, f.nx); ++qq) {
            const float v = f.at(rr, qq);
            if (!std::isnan(v)) {
              sum += v;
              ++count;
            }
          }
        c.at(r, q) = count > 0 ? sum / static_cast<float>(count) : std::numeric_limits<float>::quiet_NaN();
      }
  }
  // Coarse cell i covers fine cells 2i and 2i+1, so fine cell j sits at coarse coordinate j / 2 - 1/4.
  auto locate = [](std::int64_t j, std::int64_t n, std::int64_t& i0, std::int64_t& i1, float& t) {
    const double x = 0.5 * static_cast<double>(j) - 0.25;
    i0 = static_cast<std::int64_t>(std::floor(x));
    t = static_cast<float>(x - static_cast<double>(i0));
    if (i0 < 0) i0 = 0, t = 0.0f;
    if (i0 >= n - 1) i0 = n - 1, t = 0.0f;
    i1 = std::min(i0 + 1, n - 1);
  };
  for (std::int64_t l = top - 1; l >= 0; --l) {
    const View f = level(l), c = level(l + 1);
#pragma omp parallel for schedule(static) if (f.nx * f.ny >= kParallelCells)
    for (std::int64_t r = 0; r < f.ny; ++r) {
      std::int64_t r0, r1;
      float ty;
      locate(r, c.ny, r0, r1, ty);
      // On the grid itself only the hole span of each row can be NaN.
      const std::int64_t lo = l == 0 ? w.hole_lo[r] : 0, hi = l == 0 ? w.hole_hi[r] : f.nx - 1;
      for (std::int64_t q = lo; q <= hi; ++q) {
        if (!std::isnan(f.at(r, q))) continue;
        std::int64_t q0, q1;
        float tx;
        locate(q, c.nx, q0, q1, tx);
        const float a = c.at(r0, q0) + tx * (c.at(r0, q1) - c.at(r0, q0));
        const float b = c.at(r1, q0) + tx * (c.at(r1, q1) - c.at(r1, q0));
        f.at(r, q) = a + ty * (b - a);
      }
    }
  }
  // Red-black ordering: a sweep of one colour reads only cells of the other, so it is order-independent.
  const View g = level(0);
  std::int64_t span = 0;
  for (std::int64_t r = 0; r < g.ny; ++r)
    span += std::max<std::int64_t>(0, w.hole_hi[r] - w.hole_lo[r] + 1);
#pragma omp parallel if (span >= kParallelCells)
  for (std::int64_t it = 0; it < w.params.fill_iterations; ++it)
    for (std::int64_t colour = 0; colour < 2; ++colour) {
#pragma omp for schedule(static)
      for (std::int64_t r = 0; r < g.ny; ++r) {
        const std::int64_t lo = w.hole_lo[r], hi = w.hole_hi[r];
        const std::uint8_t* hole = w.hole.data() + r * g.nx;
        for (std::int64_t q = lo + ((r + lo + colour) & 1); q <= hi; q += 2) {
          if (!hole[q]) continue;
          float sum = 0.0f;
          int count = 0;
          if (r > 0) sum += g.at(r - 1, q), ++count;
          if (r + 1 < g.ny) sum += g.at(r + 1, q), ++count;
          if (q > 0) sum += g.at(r, q - 1), ++count;
          if (q + 1 < g.nx) sum += g.at(r, q + 1), ++count;
          if (count > 0) g.at(r, q) = sum / static_cast<float>(count);
        }
      }
    }
}

// Least-squares plane f ~ mean + bu (u - u0) + bv (v - v0) over the valid cells, u = column, v = row.
struct Trend {
  double mean = 0.0, u0 = 0.0, v0 = 0.0, bu = 0.0, bv = 0.0;
  double at(std::int64_t r, std::int64_t c) const {
    return mean + bu * (static_cast<double>(c) - u0) + bv * (static_cast<double>(r) - v0);
  }
};

// Solves the plane (or only the mean) from the per-row sums, combined in row order. A direction without
// spread (one row or one column of valid cells) gets no slope.
Trend fit_plane(const Impl& w, bool plane, std::int64_t& count) {
  double n = 0, sf = 0, su = 0, sv = 0, suu = 0, svv = 0, suv = 0, sfu = 0, sfv = 0;
  for (std::int64_t r = 0; r < w.ny; ++r) {
    const double* s = w.row_sums.data() + r * kRowSums;
    const auto v = static_cast<double>(r);
    n += s[0];
    sf += s[1];
    su += s[2];
    suu += s[3];
    sfu += s[4];
    sv += s[0] * v;
    svv += s[0] * v * v;
    suv += s[2] * v;
    sfv += s[1] * v;
  }
  count = static_cast<std::int64_t>(n);
  Trend t;
  if (count == 0) return t;
  t.mean = sf / n;
  t.u0 = su / n;
  t.v0 = sv / n;
  const double cuu = suu - n * t.u0 * t.u0, cvv = svv - n * t.v0 * t.v0, cuv = suv - n * t.u0 * t.v0;
  const double cfu = sfu - n * t.mean * t.u0, cfv = sfv - n * t.mean * t.v0;
  const double det = cuu * cvv - cuv * cuv;
  if (!plane) return t;
  if (det > 1e-9 * cuu * cvv && cuu > 0.0 && cvv > 0.0) {
    t.bu = (cfu * cvv - cfv * cuv) / det;
    t.bv = (cfv * cuu - cfu * cuv) / det;
  } else if (cuu > 0.5 && cuu >= cvv) {
    t.bu = cfu / cuu;
  } else if (cvv > 0.5) {
    t.bv = cfv / cvv;
  }
  return t;
}

// Row sums of the plane fit over the valid cells of a row: sum f and sum f u (u = column), and the hole
// flags. Written with 8-lane generic vectors, which GCC and Clang lower to whatever the target has: lane l
// sums the cells c = l mod 8 and the lanes are added in a fixed order, so the baseline and AVX-512 builds
// give the same bits. Returns the number of holes (+-inf is a hole too: it would swamp the whole FFT).
using V8f = float __attribute__((vector_size(32)));
using V8i = std::int32_t __attribute__((vector_size(32)));
using V8d = double __attribute__((vector_size(64)));
using V8l = std::int64_t __attribute__((vector_size(64)));
using V8b = std::int8_t __attribute__((vector_size(8)));
constexpr std::int32_t kFloatMaxBits = 0x7F7FFFFF; // |x| as bits <= this: finite

PROSPECTOR_ALWAYS_INLINE inline std::int64_t scan_row(const float* __restrict row,
                                                      std::uint8_t* __restrict hole, std::int64_t nx,
                                                      double& sf, double& sfu) {
  V8d af = {}, au = {};
  V8l nh = {};
  V8d u = {0, 1, 2, 3, 4, 5, 6, 7};
  const std::int64_t full = nx - nx % 8;
  for (std::int64_t c0 = 0; c0 < full; c0 += 8) {
    V8i bits;
    std::memcpy(&bits, row + c0, sizeof bits);
    const V8i ok = (bits & 0x7FFFFFFF) <= kFloatMaxBits; // -1 where valid, 0 at a hole
    const V8l okl = __builtin_convertvector(ok, V8l);
    V8f x;
    std::memcpy(&x, row + c0, sizeof x);
    const V8d f = reinterpret_cast<V8d>(reinterpret_cast<V8l>(__builtin_convertvector(x, V8d)) & okl);
    af += f;
    au += f * u;
    nh += okl + 1;
    const V8b h = __builtin_convertvector(ok + 1, V8b);
    std::memcpy(hole + c0, &h, sizeof h);
    u += 8.0;
  }
  double lf[8], lu[8];
  std::int64_t holes = 0;
  for (int l = 0; l < 8; ++l) {
    lf[l] = af[l];
    lu[l] = au[l];
    holes += nh[l];
  }
  for (std::int64_t c = full; c < nx; ++c) {
    const float v = row[c];
    const bool ok = std::fabs(v) <= std::numeric_limits<float>::max();
    hole[c] = ok ? 0 : 1;
    holes += ok ? 0 : 1;
    const double f = ok ? static_cast<double>(v) : 0.0;
    lf[c - full] += f;
    lu[c - full] += f * static_cast<double>(c);
  }
  sf = ((lf[0] + lf[1]) + (lf[2] + lf[3])) + ((lf[4] + lf[5]) + (lf[6] + lf[7]));
  sfu = ((lu[0] + lu[1]) + (lu[2] + lu[3])) + ((lu[4] + lu[5]) + (lu[6] + lu[7]));
  return holes;
}

// Removes the trend base + slope u from a row; holes become NaN. The column as a 32-bit integer keeps the
// loop to conversions SSE2 has, so GCC vectorises it in the baseline build too.
PROSPECTOR_ALWAYS_INLINE inline void detrend(const float* __restrict row, float* __restrict dst,
                                             std::int64_t nx, double base, double slope) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
#pragma omp simd
  for (std::int64_t c = 0; c < nx; ++c) {
    const float x = row[c];
    const float v = static_cast<float>(static_cast<double>(x) -
                                       (base + slope * static_cast<double>(static_cast<std::int32_t>(c))));
    dst[c] = std::fabs(x) <= std::numeric_limits<float>::max() ? v : nan;
  }
}

// Writes the detrended (plane or mean removed), hole-filled, mirrored and tapered grid rows into the real
// view of buf and transforms them (row FFTs). Returns false (and leaves the buffer alone) when the grid has
// no valid cell.
bool prepare(Impl& w, ConstGridView in, fftwf_complex* buf, bool plane, Trend& trend) {
  const std::int64_t nx = w.nx, ny = w.ny, rs = w.real_stride();
  float* R = w.real(buf);
  const cpu::Isa isa = w.isa();
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < ny; ++r) {
    const float* row = in.data + r * nx;
    std::uint8_t* hole = w.hole.data() + r * nx;
    double sf = 0.0, sfu = 0.0;
    std::int64_t holes = 0;
    cpu::run(isa, 0, nx, [&](std::int64_t, std::int64_t) PROSPECTOR_ALWAYS_INLINE {
      holes = scan_row(row, hole, nx, sf, sfu);
    });
    // The column sums of the valid cells: those of the whole row less those of the holes, in integers
    // (exact).
    __int128 su = static_cast<__int128>(nx) * (nx - 1) / 2;
    __int128 suu = static_cast<__int128>(nx) * (nx - 1) * (2 * nx - 1) / 6;
    std::int64_t lo = nx, hi = -1;
    if (holes > 0)
      for (std::int64_t c = 0; c < nx; ++c)
        if (hole[c]) {
          lo = std::min(lo, c);
          hi = c;
          su -= c;
          suu -= static_cast<__int128>(c) * c;
        }
    double* rs = w.row_sums.data() + r * kRowSums;
    rs[0] = static_cast<double>(nx - holes);
    rs[1] = sf;
    rs[2] = static_cast<double>(su);
    rs[3] = static_cast<double>(suu);
    rs[4] = sfu;
    w.hole_lo[r] = lo;
    w.hole_hi[r] = hi;
  }
  std::int64_t count = 0;
  trend = fit_plane(w, plane, count);
  if (count == 0) return false;

  float* grid = R + w.north * rs + w.west;
  auto detrend_row = [&](std::int64_t r) {
    const float* row = in.data + r * nx;
    float* dst = grid + r * rs;
    const double base = trend.at(r, 0), slope = trend.bu;
    cpu::run(isa, 0, nx, [&](std::int64_t, std::int64_t) PROSPECTOR_ALWAYS_INLINE {
      detrend(row, dst, nx, base, slope);
    });
  };
  auto pad_row = [&](std::int64_t r) {
    float* row = R + (w.north + r) * rs;
    const float* taper = w.taper_x.data();
    const std::int64_t east = w.west + nx;
    if (w.west <= nx && w.nxp - east <= nx) {
      // Pads no wider than the grid: a single mirror image, as reversed copies (which vectorise).
      for (std::int64_t p = 0; p < w.west; ++p)
        row[p] = row[2 * w.west - 1 - p] * taper[p];
      for (std::int64_t p = east; p < w.nxp; ++p)
        row[p] = row[2 * east - 1 - p] * taper[p];
    } else {
      for (std::int64_t p = 0; p < w.west; ++p)
        row[p] = row[w.west + w.src_x[p]] * taper[p];
      for (std::int64_t p = east; p < w.nxp; ++p)
        row[p] = row[w.west + w.src_x[p]] * taper[p];
    }
  };
  // Only the grid rows are transformed: a pad row is taper_y times the grid row it mirrors, so (the FFT being
  // linear) its spectrum is taper_y times that row's spectrum, and the first column pass reads it from there
  // (Impl::first_row). That saves the FFTs of a third of the rows and the pad rows' memory traffic.
  auto fft_row = [&](std::int64_t r) {
    const std::int64_t p = w.north + r;
    fftwf_execute_dft_r2c(w.row_r2c, R + p * rs, buf + p * w.cs);
  };
  if (count == nx * ny) {
    // No holes: each row is detrended, padded and transformed while it is in cache.
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < ny; ++r) {
      detrend_row(r);
      pad_row(r);
      fft_row(r);
    }
    return true;
  }
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < ny; ++r)
    detrend_row(r);
  fill_holes(w, grid, rs);
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < ny; ++r) {
    pad_row(r);
    fft_row(r);
  }
  return true;
}

// Only the rows that hold grid cells are brought back to real values, each into the thread's row buffer
// (the spectrum row is destroyed); op(r, row) then takes grid row r (its nx cells) from there.
template <class RowOp> void rows_inverse(Impl& w, fftwf_complex* buf, const RowOp& op) {
#pragma omp parallel num_threads(w.team())
  {
    float* row = w.thread_row(omp_get_thread_num());
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < w.ny; ++r) {
      fftwf_execute_dft_c2r(w.row_c2r, buf + (w.north + r) * w.cs, row);
      op(r, row + w.west);
    }
  }
}

#ifdef PROSPECTOR_X86_DISPATCH
// Transposes an 8 x 8 block of complex values (one 64-bit lane each): v[i] holds row i on entry, column i on
// return. Unpacks pair the rows within 128-bit lanes, then two rounds of lane shuffles gather the columns.
// (The zero-masked forms with a full mask are the plain instructions; GCC 12's unmasked ones warn about the
// undefined source operand inside its own header.)
PROSPECTOR_TARGET_AVX512 PROSPECTOR_ALWAYS_INLINE inline void transpose8x8(__m512d v[8]) {
  const __mmask8 all = 0xFF;
  const __m512d t0 = _mm512_maskz_unpacklo_pd(all, v[0], v[1]),
                t1 = _mm512_maskz_unpackhi_pd(all, v[0], v[1]);
  const __m512d t2 = _mm512_maskz_unpacklo_pd(all, v[2], v[3]),
                t3 = _mm512_maskz_unpackhi_pd(all, v[2], v[3]);
  const __m512d t4 = _mm512_maskz_unpacklo_pd(all, v[4], v[5]),
                t5 = _mm512_maskz_unpackhi_pd(all, v[4], v[5]);
  const __m512d t6 = _mm512_maskz_unpacklo_pd(all, v[6], v[7]),
                t7 = _mm512_maskz_unpackhi_pd(all, v[6], v[7]);
  // u0 .. u3 hold columns {0,4}, {2,6}, {1,5}, {3,7} of rows 0-3; u4 .. u7 the same of rows 4-7.
  const __m512d u0 = _mm512_maskz_shuffle_f64x2(all, t0, t2, 0x88),
                u1 = _mm512_maskz_shuffle_f64x2(all, t0, t2, 0xDD);
  const __m512d u2 = _mm512_maskz_shuffle_f64x2(all, t1, t3, 0x88),
                u3 = _mm512_maskz_shuffle_f64x2(all, t1, t3, 0xDD);
  const __m512d u4 = _mm512_maskz_shuffle_f64x2(all, t4, t6, 0x88),
                u5 = _mm512_maskz_shuffle_f64x2(all, t4, t6, 0xDD);
  const __m512d u6 = _mm512_maskz_shuffle_f64x2(all, t5, t7, 0x88),
                u7 = _mm512_maskz_shuffle_f64x2(all, t5, t7, 0xDD);
  v[0] = _mm512_maskz_shuffle_f64x2(all, u0, u4, 0x88);
  v[4] = _mm512_maskz_shuffle_f64x2(all, u0, u4, 0xDD);
  v[2] = _mm512_maskz_shuffle_f64x2(all, u1, u5, 0x88);
  v[6] = _mm512_maskz_shuffle_f64x2(all, u1, u5, 0xDD);
  v[1] = _mm512_maskz_shuffle_f64x2(all, u2, u6, 0x88);
  v[5] = _mm512_maskz_shuffle_f64x2(all, u2, u6, 0xDD);
  v[3] = _mm512_maskz_shuffle_f64x2(all, u3, u7, 0x88);
  v[7] = _mm512_maskz_shuffle_f64x2(all, u3, u7, 0xDD);
}

// The copies of column_blocks for a full 8 x 8 tile, as vector transposes. The scale is the same float
// multiply as the scalar copy's, so both give the same bits.
PROSPECTOR_TARGET_AVX512 void copy_in_8x8(const fftwf_complex* const rows[8], const float* factor,
                                          fftwf_complex* sc, std::int64_t nyp) {
  __m512d v[8];
  for (int i = 0; i < 8; ++i)
    v[i] = _mm512_castps_pd(
        _mm512_mul_ps(_mm512_loadu_ps(reinterpret_cast<const float*>(rows[i])), _mm512_set1_ps(factor[i])));
  transpose8x8(v);
  for (int j = 0; j < 8; ++j)
    _mm512_storeu_pd(reinterpret_cast<double*>(sc + j * nyp), v[j]);
}
PROSPECTOR_TARGET_AVX512 void copy_out_8x8(const fftwf_complex* sc, std::int64_t nyp, fftwf_complex* dst,
                                           std::int64_t stride) {
  __m512d v[8];
  for (int j = 0; j < 8; ++j)
    v[j] = _mm512_loadu_pd(reinterpret_cast<const double*>(sc + j * nyp));
  transpose8x8(v);
  for (int i = 0; i < 8; ++i)
    _mm512_storeu_pd(reinterpret_cast<double*>(dst + i * stride), v[i]);
}
#endif

// Copies each block of spectrum columns of src into the thread's first column block a, column by column
// (column j of the block at j * nyp: FFTW's estimate-mode plans are about three times faster on contiguous
// columns than on columns interleaved with a stride), calls body(a, b, first column, width, full block),
// which returns the one of a and b that holds its result, and copies that back into dst (which may be src).
template <class Body>
void column_blocks(Impl& w, const fftwf_complex* src, fftwf_complex* dst, bool first_pass, const Body& body) {
  const std::int64_t B = kColumnBlock, full = w.nc / B, nyp = w.nyp;
  const std::int64_t* row = first_pass ? w.first_row.data() : w.same_row.data();
  const float* factor = first_pass ? w.first_factor.data() : w.unit_factor.data();
  [[maybe_unused]] const bool avx512 = w.isa() == cpu::Isa::avx512;
#pragma omp parallel num_threads(w.team())
  {
    fftwf_complex* sc = w.column_block(omp_get_thread_num(), 0);
    fftwf_complex* sb = w.column_block(omp_get_thread_num(), 1);
#pragma omp for schedule(static)
    for (std::int64_t b = 0; b < w.blocks(); ++b) {
      const std::int64_t k0 = b * B, width = std::min(B, w.nc - k0);
      // Eight rows at a time: their eight cache lines stay in L1 while each column takes eight consecutive
      // values, so both sides of the copy move whole cache lines. Rows are cs complex values (tens of KiB)
      // apart in memory, a stride the hardware prefetcher does not follow: each line is asked for
      // kPrefetchRows rows ahead, so that many misses are in flight instead of one at a time.
      for (std::int64_t n0 = 0; n0 < nyp; n0 += 8) {
        const std::int64_t n1 = std::min(nyp, n0 + 8);
        for (std::int64_t n = n0 + kPrefetchRows; n < std::min(nyp, n1 + kPrefetchRows); ++n)
          __builtin_prefetch(src + row[n] * w.cs + k0, 0, 0);
#ifdef PROSPECTOR_X86_DISPATCH
        if (avx512 && width == B && n1 - n0 == 8) {
          const fftwf_complex* rows[8];
          for (int i = 0; i < 8; ++i)
            rows[i] = src + row[n0 + i] * w.cs + k0;
          copy_in_8x8(rows, factor + n0, sc + n0, nyp);
          continue;
        }
#endif
        for (std::int64_t j = 0; j < width; ++j)
          for (std::int64_t n = n0; n < n1; ++n) {
            sc[j * nyp + n][0] = src[row[n] * w.cs + k0 + j][0] * factor[n];
            sc[j * nyp + n][1] = src[row[n] * w.cs + k0 + j][1] * factor[n];
          }
      }
      const fftwf_complex* res = body(sc, sb, k0, width, b < full);
      for (std::int64_t n0 = 0; n0 < nyp; n0 += 8) {
        const std::int64_t n1 = std::min(nyp, n0 + 8);
        for (std::int64_t n = n0 + kPrefetchRows; n < std::min(nyp, n1 + kPrefetchRows); ++n)
          __builtin_prefetch(dst + n * w.cs + k0, 1, 0);
#ifdef PROSPECTOR_X86_DISPATCH
        if (avx512 && width == B && n1 - n0 == 8) {
          copy_out_8x8(res + n0, nyp, dst + n0 * w.cs + k0, w.cs);
          continue;
        }
#endif
        for (std::int64_t j = 0; j < width; ++j)
          for (std::int64_t n = n0; n < n1; ++n) {
            dst[n * w.cs + k0 + j][0] = res[j * nyp + n][0];
            dst[n * w.cs + k0 + j][1] = res[j * nyp + n][1];
          }
      }
    }
  }
}

struct Wavenumber {
  float kx, ky, k;
};

// exp(-x) for x >= 0, vectorisable (fastmath.hpp); 0 past x = 87.3, where it would leave the normal range.
inline float exp_neg(float x) { return fastmath::exp_f(-x); }

using fastmath::atan2_nonneg_x;

// Filter values of one spectrum column (fixed kx, the rows' ky) into re/im: by the filter's own vectorised
// column() when it has one, otherwise point by point.
template <class Filter, class = void> struct HasColumn : std::false_type {};
template <class Filter>
struct HasColumn<
    Filter, std::void_t<decltype(std::declval<const Filter&>().column(0.0f, nullptr, 0, nullptr, nullptr))>>
    : std::true_type {};

template <class Filter>
void filter_column(const Filter& filter, float kx, const float* ky, std::int64_t n, float* re, float* im) {
  if constexpr (HasColumn<Filter>::value) {
    filter.column(kx, ky, n, re, im);
  } else {
    for (std::int64_t i = 0; i < n; ++i) {
      const std::complex<float> h = filter(Wavenumber{kx, ky[i], std::sqrt(kx * kx + ky[i] * ky[i])});
      re[i] = h.real();
      im[i] = h.imag();
    }
  }
}

// Multiplies a scratch block (columns k0 .. k0 + width, each contiguous) by H(k) / (nxp nyp). At the Nyquist
// row and column H is averaged over +k and -k (the two wavenumbers that alias there) so the inverse stays
// Hermitian, i.e. real. `re`, `im`: the thread's column of filter values (nyp each).
template <class Filter>
PROSPECTOR_ALWAYS_INLINE inline void filter_block(const Impl& w, fftwf_complex* sc, std::int64_t k0,
                                                  std::int64_t width, double dx, const Filter& filter,
                                                  float* re, float* im) {
  const double ckx = 2.0 * kPi / (static_cast<double>(w.nxp) * dx);
  const float scale = static_cast<float>(1.0 / (static_cast<double>(w.nxp) * static_cast<double>(w.nyp)));
  auto eval = [&](float kx, float ky) { return filter(Wavenumber{kx, ky, std::sqrt(kx * kx + ky * ky)}); };
  const std::int64_t nyp = w.nyp;
  const float* ky = w.ky.data();
  for (std::int64_t j = 0; j < width; ++j) {
    const std::int64_t m = k0 + j;
    const auto kx = static_cast<float>(ckx * static_cast<double>(m));
    const bool col_nyq = w.nxp % 2 == 0 && m == w.nxp / 2;
    filter_column(filter, kx, ky, nyp, re, im);
    // Only the Nyquist column, and the Nyquist row of the others, need the averaged operator.
    const std::int64_t nyq_row = nyp % 2 == 0 ? nyp / 2 : -1;
    for (std::int64_t n = col_nyq ? 0 : std::max<std::int64_t>(nyq_row, 0); n < (col_nyq ? nyp : nyq_row + 1);
         ++n) {
      const bool row_nyq = n == nyq_row;
      const int sx = col_nyq ? 2 : 1, sy = row_nyq ? 2 : 1;
      std::complex<float> h = 0.0f;
      for (int ix = 0; ix < sx; ++ix)
        for (int iy = 0; iy < sy; ++iy)
          h += eval(ix ? -kx : kx, iy ? -ky[n] : ky[n]);
      h /= static_cast<float>(sx * sy);
      re[n] = h.real();
      im[n] = h.imag();
    }
    float* d = reinterpret_cast<float*>(sc + j * nyp);
#pragma omp simd
    for (std::int64_t n = 0; n < nyp; ++n) {
      const float dr = d[2 * n], di = d[2 * n + 1];
      const float hr = re[n] * scale, hi = im[n] * scale;
      d[2 * n] = dr * hr - di * hi;
      d[2 * n + 1] = dr * hi + di * hr;
    }
  }
}

// Column FFTs of src into dst: forward only (no filter), or [forward,] filter and inverse in one pass.
void columns_forward(Impl& w, fftwf_complex* buf) {
  column_blocks(w, buf, buf, true,
                [&](fftwf_complex* a, fftwf_complex* b, std::int64_t, std::int64_t, bool full) {
                  fftwf_execute_dft(full ? w.col_fwd : w.tail_fwd, a, b);
                  return b;
                });
}

template <class Filter>
void columns_filtered(Impl& w, const fftwf_complex* src, fftwf_complex* dst, bool forward, double dx,
                      double dy, const Filter& filter) {
  const double cky = -2.0 * kPi / (static_cast<double>(w.nyp) * dy);
  for (std::int64_t n = 0; n < w.nyp; ++n)
    w.ky[static_cast<std::size_t>(n)] =
        static_cast<float>(cky * static_cast<double>(n <= w.nyp / 2 ? n : n - w.nyp));
  const cpu::Isa isa = w.isa();
  column_blocks(w, src, dst, forward,
                [&](fftwf_complex* a, fftwf_complex* b, std::int64_t k0, std::int64_t width, bool full) {
                  float* re = w.hbuf.data() + static_cast<std::size_t>(omp_get_thread_num()) * 2 * w.nyp;
                  // The spectrum block ends up in sc, the inverse in the other block.
                  fftwf_complex* sc = a;
                  if (forward) {
                    fftwf_execute_dft(full ? w.col_fwd : w.tail_fwd, a, b);
                    sc = b;
                  }
                  fftwf_complex* out = sc == a ? b : a;
                  cpu::run(isa, 0, width, [&](std::int64_t, std::int64_t) PROSPECTOR_ALWAYS_INLINE {
                    filter_block(w, sc, k0, width, dx, filter, re, re + w.nyp);
                  });
                  fftwf_execute_dft(full ? w.col_bwd : w.tail_bwd, sc, out);
                  return out;
                });
}

// Grid row r of the inverse transform into out: + h0 times the trend, NaN at the holes. `row` may be
// out's own row r (each cell is read before it is written).
void finish_row(const Impl& w, std::int64_t r, const float* row, GridView out, double h0,
                const Trend& trend) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  float* o = out.data + r * w.nx;
  const std::uint8_t* hole = w.hole.data() + r * w.nx;
  const double base = h0 * trend.at(r, 0), slope = h0 * trend.bu;
#pragma omp simd
  for (std::int64_t c = 0; c < w.nx; ++c) {
    const float v =
        h0 != 0.0
            ? static_cast<float>(row[c] + (base + slope * static_cast<double>(static_cast<std::int32_t>(c))))
            : row[c];
    o[c] = hole[c] ? nan : v;
  }
}

// Adds h0 times the removed trend back to out (in place) and restores the nodata cells.
void finish(const Impl& w, GridView out, double h0, const Trend& trend) {
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < w.ny; ++r)
    finish_row(w, r, out.data + r * w.nx, out, h0, trend);
}

Status invalid(const char* name, const char* what) {
  return Status::Invalid(std::string("potential_field.") + name + ": " + what);
}

Status check(const char* name, ConstGridView in, double dx, double dy, const PotentialFieldPlan& plan,
             GridView out) {
  if (!plan.ready()) return invalid(name, "plan not initialised");
  if (in.data == nullptr || out.data == nullptr) return invalid(name, "null grid");
  if (in.nx != plan.nx() || in.ny != plan.ny() || out.nx != plan.nx() || out.ny != plan.ny())
    return invalid(name, "grid size does not match the plan");
  if (!(dx > 0.0) || !(dy > 0.0) || !std::isfinite(dx) || !std::isfinite(dy))
    return invalid(name, "cell size dx, dy must be finite and > 0");
  return Status::Ok();
}

// One operator: out = inverse(H * forward(in - trend)) + H(0) trend, the trend being the plane or the mean.
template <class Filter>
Status single(const char* name, ConstGridView in, double dx, double dy, PotentialFieldPlan& plan,
              GridView out, bool plane, const Filter& filter) {
  Status st = check(name, in, dx, dy, plan, out);
  if (!st.ok) return st;
  Impl& w = *plan.impl();
  Trend trend;
  if (!prepare(w, in, w.work.get(), plane, trend)) {
    finish(w, out, 0.0, trend); // every cell is a hole
    return Status::Ok();
  }
  columns_filtered(w, w.work.get(), w.work.get(), true, dx, dy, filter);
  const double h0 = filter(Wavenumber{0.0f, 0.0f, 0.0f}).real();
  rows_inverse(w, w.work.get(),
               [&](std::int64_t r, const float* row) { finish_row(w, r, row, out, h0, trend); });
  return Status::Ok();
}

enum class Axis { X, Y, Z };

// Spectral first derivatives: i kx, i ky and |k| (z down).
template <Axis A> struct D {
  static constexpr Axis axis = A;
  std::complex<float> operator()(const Wavenumber& k) const {
    return A == Axis::X   ? std::complex<float>(0.0f, k.kx)
           : A == Axis::Y ? std::complex<float>(0.0f, k.ky)
                          : std::complex<float>(k.k, 0.0f);
  }
  void column(float kx, const float* ky, std::int64_t n, float* re, float* im) const {
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) {
      re[i] = A == Axis::Z ? std::sqrt(kx * kx + ky[i] * ky[i]) : 0.0f;
      im[i] = A == Axis::X ? kx : A == Axis::Y ? ky[i] : 0.0f;
    }
  }
};

// First derivatives along several axes from one forward spectrum (kept in spec); `steps` combine them into
// out. The removed plane contributes its constant gradient to d/dx and d/dy and nothing to d/dz.
template <class Steps>
Status derivatives(const char* name, ConstGridView in, double dx, double dy, PotentialFieldPlan& plan,
                   GridView out, const Steps& steps) {
  Status st = check(name, in, dx, dy, plan, out);
  if (!st.ok) return st;
  Impl& w = *plan.impl();
  Trend trend;
  if (!prepare(w, in, w.spec.get(), true, trend)) {
    finish(w, out, 0.0, trend); // every cell is a hole
    return Status::Ok();
  }
  columns_forward(w, w.spec.get());
  const auto gx = static_cast<float>(trend.bu / dx), gy = static_cast<float>(-trend.bv / dy);
  // run(D<axis>{}, last, op): the last derivative filters spec in place instead of copying it.
  auto run = [&](auto derivative, bool last, auto op) {
    fftwf_complex* dst = last ? w.spec.get() : w.work.get();
    columns_filtered(w, w.spec.get(), dst, false, dx, dy, derivative);
    const Axis axis = decltype(derivative)::axis;
    const float g = axis == Axis::X ? gx : axis == Axis::Y ? gy : 0.0f;
    rows_inverse(w, dst, [&](std::int64_t r, const float* row) {
      const std::int64_t i0 = r * w.nx;
      for (std::int64_t c = 0; c < w.nx; ++c)
        op(i0 + c, row[c] + g);
    });
  };
  steps(w, run);
  finish(w, out, 0.0, trend);
  return Status::Ok();
}

// RTP operator (see reduce_to_pole in the header), as a filter.
struct RtpFilter {
  float sin_i, cos_i, sin_d, cos_d, sin_a2, cos_a2;
  explicit RtpFilter(const RtpParams& p) {
    const double deg = kPi / 180.0;
    const double ia = std::max(std::fabs(p.inclination_deg), p.amplitude_inclination_deg) * deg;
    sin_i = static_cast<float>(std::sin(p.inclination_deg * deg));
    cos_i = static_cast<float>(std::cos(p.inclination_deg * deg));
    sin_d = static_cast<float>(std::sin(p.declination_deg * deg));
    cos_d = static_cast<float>(std::cos(p.declination_deg * deg));
    sin_a2 = static_cast<float>(std::sin(ia) * std::sin(ia));
    cos_a2 = static_cast<float>(std::cos(ia) * std::cos(ia));
  }
  std::complex<float> operator()(const Wavenumber& k) const {
    if (k.k == 0.0f) return 1.0f;
    const float c = (k.kx * sin_d + k.ky * cos_d) / k.k; // cosine between k and the field's horizontal part
    const float a = sin_i, b = cos_i * c;
    const float t2 = a * a + b * b;
    const float amplitude = sin_a2 + cos_a2 * c * c;
    // conj(theta)^2 / |theta|^2 is a unit phase factor; at theta = 0 (I = 0, k perpendicular to D) its
    // limit is -1.
    const std::complex<float> phase =
        t2 > 0.0f ? std::complex<float>(a * a - b * b, -2.0f * a * b) / t2 : std::complex<float>(-1.0f, 0.0f);
    return phase / amplitude;
  }
  // The same arithmetic as operator() with selects instead of branches, over a column; `gain_over_k`
  // multiplies by gain / |k| (pseudo-gravity, 0 at k = 0) instead of leaving the gain 1 (1 at k = 0).
  void column(float kx, const float* ky, std::int64_t n, float* re, float* im, bool gain_over_k = false,
              float gain = 1.0f) const {
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) {
      const float k = std::sqrt(kx * kx + ky[i] * ky[i]);
      const bool dc = k == 0.0f;
      const float c = (kx * sin_d + ky[i] * cos_d) / (dc ? 1.0f : k);
      const float a = sin_i, b = cos_i * c;
      const float t2 = a * a + b * b;
      const float amplitude = sin_a2 + cos_a2 * c * c;
      const bool zero = !(t2 > 0.0f);
      const float pr = zero ? -1.0f : (a * a - b * b) / t2, pi = zero ? 0.0f : (-2.0f * a * b) / t2;
      const float g = gain_over_k ? gain / (dc ? 1.0f : k) : 1.0f;
      re[i] = dc ? (gain_over_k ? 0.0f : 1.0f) : pr / amplitude * g;
      im[i] = dc ? 0.0f : pi / amplitude * g;
    }
  }
};

Status check_rtp(const char* name, const RtpParams& p) {
  if (!std::isfinite(p.inclination_deg) || std::fabs(p.inclination_deg) > 90.0)
    return invalid(name, "inclination_deg must be in [-90, 90]");
  if (!std::isfinite(p.declination_deg)) return invalid(name, "declination_deg must be finite");
  if (!(p.amplitude_inclination_deg >= 0.0) || p.amplitude_inclination_deg > 90.0)
    return invalid(name, "amplitude_inclination_deg must be in [0, 90]");
  if (p.amplitude_inclination_deg == 0.0 && p.inclination_deg == 0.0)
    return invalid(name, "at inclination 0, amplitude_inclination_deg must be > 0");
  return Status::Ok();
}

} // namespace

Status reduce_to_pole(ConstGridView in, double dx, double dy, const RtpParams& params,
                      PotentialFieldPlan& plan, GridView out) {
  Status st = check_rtp("rtp", params);
  if (!st.ok) return st;
  return single("rtp", in, dx, dy, plan, out, false, RtpFilter(params));
}

Status upward_continuation(ConstGridView in, double dx, double dy, const UpwardContinuationParams& params,
                           PotentialFieldPlan& plan, GridView out) {
  if (!(params.height >= 0.0) || !std::isfinite(params.height))
    return invalid("upward_continuation", "height must be finite and >= 0");
  struct Upward {
    float h;
    std::complex<float> operator()(const Wavenumber& k) const { return exp_neg(k.k * h); }
    // ky of row n and of row nyp - n differ only in sign (exactly), so half the column is computed and
    // mirrored: the same bits, half the exponentials.
    void column(float kx, const float* __restrict ky, std::int64_t n, float* __restrict re,
                float* __restrict im) const {
      const std::int64_t half = n / 2 + 1;
      const float height = h; // a local: stores to re[] could otherwise alias the member
#pragma omp simd
      for (std::int64_t i = 0; i < half; ++i)
        re[i] = exp_neg(std::sqrt(kx * kx + ky[i] * ky[i]) * height);
#pragma omp simd
      for (std::int64_t i = half; i < n; ++i)
        re[i] = re[n - i];
      for (std::int64_t i = 0; i < n; ++i)
        im[i] = 0.0f;
    }
  };
  return single("upward_continuation", in, dx, dy, plan, out, true,
                Upward{static_cast<float>(params.height)});
}

Status vertical_derivative(ConstGridView in, double dx, double dy, const VerticalDerivativeParams& params,
                           PotentialFieldPlan& plan, GridView out) {
  if (!(params.order > 0.0) || params.order > 4.0)
    return invalid("vertical_derivative", "order must be in (0, 4]");
  const auto order = static_cast<float>(params.order);
  if (params.order == 1.0) return single("vertical_derivative", in, dx, dy, plan, out, true, D<Axis::Z>{});
  return single("vertical_derivative", in, dx, dy, plan, out, true,
                [order](const Wavenumber& k) { return std::complex<float>(std::pow(k.k, order), 0.0f); });
}

Status total_horizontal_gradient(ConstGridView in, double dx, double dy, PotentialFieldPlan& plan,
                                 GridView out) {
  float* o = out.data;
  return derivatives("total_horizontal_gradient", in, dx, dy, plan, out, [o](Impl&, auto& run) {
    run(D<Axis::X>{}, false, [o](std::int64_t i, float v) { o[i] = v * v; });
    run(D<Axis::Y>{}, true, [o](std::int64_t i, float v) { o[i] = std::sqrt(o[i] + v * v); });
  });
}

Status tilt_derivative(ConstGridView in, double dx, double dy, PotentialFieldPlan& plan, GridView out) {
  float* o = out.data;
  return derivatives("tilt_derivative", in, dx, dy, plan, out, [o](Impl& w, auto& run) {
    float* vdr = w.aux.data();
    run(D<Axis::Z>{}, false, [vdr](std::int64_t i, float v) { vdr[i] = v; });
    run(D<Axis::X>{}, false, [o](std::int64_t i, float v) { o[i] = v * v; });
    run(D<Axis::Y>{}, true,
        [o, vdr](std::int64_t i, float v) { o[i] = atan2_nonneg_x(vdr[i], std::sqrt(o[i] + v * v)); });
  });
}

Status analytic_signal(ConstGridView in, double dx, double dy, PotentialFieldPlan& plan, GridView out) {
  float* o = out.data;
  return derivatives("analytic_signal", in, dx, dy, plan, out, [o](Impl&, auto& run) {
    run(D<Axis::Z>{}, false, [o](std::int64_t i, float v) { o[i] = v * v; });
    run(D<Axis::X>{}, false, [o](std::int64_t i, float v) { o[i] += v * v; });
    run(D<Axis::Y>{}, true, [o](std::int64_t i, float v) { o[i] = std::sqrt(o[i] + v * v); });
  });
}

Status pseudo_gravity(ConstGridView in, double dx, double dy, const PseudoGravityParams& params,
                      PotentialFieldPlan& plan, GridView out) {
  Status st = check_rtp("pseudo_gravity", params.rtp);
  if (!st.ok) return st;
  if (!std::isfinite(params.density_magnetisation_ratio))
    return invalid("pseudo_gravity", "density_magnetisation_ratio must be finite");
  // nT -> T (1e-9), m/s^2 -> mGal (1e5), divided by mu0 / 4 pi = 1e-7: 1e3 G ratio.
  const auto gain = static_cast<float>(1e3 * kGravitationalConstant * params.density_magnetisation_ratio);
  struct PseudoGravity {
    RtpFilter rtp;
    float gain;
    std::complex<float> operator()(const Wavenumber& k) const {
      if (k.k == 0.0f) return std::complex<float>(0.0f, 0.0f);
      return rtp(k) * (gain / k.k);
    }
    void column(float kx, const float* ky, std::int64_t n, float* re, float* im) const {
      rtp.column(kx, ky, n, re, im, true, gain);
    }
  };
  return single("pseudo_gravity", in, dx, dy, plan, out, false, PseudoGravity{RtpFilter(params.rtp), gain});
}

} // namespace prospector::kernels
