#include "kernels/potential_field.hpp"

#include <fftw3.h>
#include <omp.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <string>
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
  ComplexBuffer scratch;            // threads * nyp * kColumnBlock, one column block per thread
  std::int64_t threads = 1;         // scratch blocks, the most threads a column pass uses
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

  ~Impl() {
    std::lock_guard<std::mutex> lock(planner_mutex());
    for (fftwf_plan p : {row_r2c, row_c2r, col_fwd, col_bwd, tail_fwd, tail_bwd})
      if (p) fftwf_destroy_plan(p);
  }

  float* real(fftwf_complex* buf) const { return reinterpret_cast<float*>(buf); }
  std::int64_t real_stride() const { return 2 * cs; }
  std::int64_t blocks() const { return (nc + kColumnBlock - 1) / kColumnBlock; }
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
  return static_cast<std::size_t>(2 * w.nyp * w.cs + w.threads * w.nyp * kColumnBlock) *
             sizeof(fftwf_complex) +
         n * (1 + sizeof(float)) + w.pyramid.size() * sizeof(float);
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
    w->scratch.reset(fftwf_alloc_complex(static_cast<std::size_t>(w->threads * nyp * kColumnBlock)));
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
    std::fill_n(w->real(w->scratch.get()), 2 * w->threads * nyp * kColumnBlock, 0.0f);

    axis_tables(nx, nxp, w->west, w->src_x, w->taper_x);
    axis_tables(ny, nyp, w->north, w->src_y, w->taper_y);
    const auto cells = static_cast<std::size_t>(nx * ny);
    w->hole.assign(cells, 0);
    w->aux.assign(cells, 0.0f);
    w->row_sums.assign(static_cast<std::size_t>(ny * kRowSums), 0.0);
    w->hole_lo.assign(static_cast<std::size_t>(ny), 0);
    w->hole_hi.assign(static_cast<std::size_t>(ny), -1);
    std::int64_t lx = nx, ly = ny, offset = 0;
    while (lx > 1 || ly > 1) {
      lx = (lx + 1) / 2;
      ly = (ly + 1) / 2;
      w->levels.push_back({lx, ly, offset});
      offset += lx * ly;
    }
    w->pyramid.assign(static_cast<std::size_t>(offset), 0.0f);

    const int inxp = static_cast<int>(nxp), inyp = static_cast<int>(nyp), B = static_cast<int>(kColumnBlock);
    const int tail = static_cast<int>(w->nc % kColumnBlock);
    fftwf_complex* buf = w->work.get();
    fftwf_complex* sc = w->scratch.get();
    {
      std::lock_guard<std::mutex> lock(planner_mutex());
      w->row_r2c = fftwf_plan_dft_r2c_1d(inxp, w->real(buf), buf, FFTW_ESTIMATE);
      w->row_c2r = fftwf_plan_dft_c2r_1d(inxp, buf, w->real(buf), FFTW_ESTIMATE);
      auto columns = [&](int howmany, int sign) {
        return fftwf_plan_many_dft(1, &inyp, howmany, sc, nullptr, B, 1, sc, nullptr, B, 1, sign,
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

// Writes the detrended (plane or mean removed), hole-filled, mirrored and tapered grid into the real view of
// buf. Returns false (and leaves the buffer alone) when the grid has no valid cell.
bool prepare(Impl& w, ConstGridView in, fftwf_complex* buf, bool plane, Trend& trend) {
  const std::int64_t nx = w.nx, ny = w.ny, rs = w.real_stride();
  float* R = w.real(buf);
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < ny; ++r) {
    const float* row = in.data + r * nx;
    std::uint8_t* hole = w.hole.data() + r * nx;
    double s[kRowSums] = {};
    std::int64_t lo = nx, hi = -1;
    for (std::int64_t c = 0; c < nx; ++c) {
      const bool nan = !std::isfinite(row[c]); // +-inf is nodata too: it would swamp the whole FFT
      hole[c] = nan ? 1 : 0;
      if (nan) {
        lo = std::min(lo, c);
        hi = c;
      } else {
        const double f = row[c], u = static_cast<double>(c);
        s[0] += 1.0;
        s[1] += f;
        s[2] += u;
        s[3] += u * u;
        s[4] += f * u;
      }
    }
    std::copy(s, s + kRowSums, w.row_sums.data() + r * kRowSums);
    w.hole_lo[r] = lo;
    w.hole_hi[r] = hi;
  }
  std::int64_t count = 0;
  trend = fit_plane(w, plane, count);
  if (count == 0) return false;

  float* grid = R + w.north * rs + w.west;
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < ny; ++r) {
    const float* row = in.data + r * nx;
    const std::uint8_t* hole = w.hole.data() + r * nx;
    float* dst = grid + r * rs;
    for (std::int64_t c = 0; c < nx; ++c)
      dst[c] = hole[c] ? std::numeric_limits<float>::quiet_NaN()
                       : static_cast<float>(static_cast<double>(row[c]) - trend.at(r, c));
  }
  if (count < nx * ny) fill_holes(w, grid, rs);

#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < ny; ++r) {
    float* row = R + (w.north + r) * rs;
    for (std::int64_t p = 0; p < w.nxp; ++p)
      if (p < w.west || p >= w.west + nx) row[p] = row[w.west + w.src_x[p]] * w.taper_x[p];
  }
#pragma omp parallel for schedule(static)
  for (std::int64_t p = 0; p < w.nyp; ++p) {
    if (p >= w.north && p < w.north + ny) continue;
    const float* src = R + (w.north + w.src_y[p]) * rs;
    float* dst = R + p * rs;
    const float t = w.taper_y[p];
    for (std::int64_t c = 0; c < w.nxp; ++c)
      dst[c] = src[c] * t;
  }
  return true;
}

void rows_forward(Impl& w, fftwf_complex* buf) {
  float* R = w.real(buf);
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < w.nyp; ++r)
    fftwf_execute_dft_r2c(w.row_r2c, R + r * w.real_stride(), buf + r * w.cs);
}

// Only the rows that hold grid cells are brought back to real values.
void rows_inverse(Impl& w, fftwf_complex* buf) {
  float* R = w.real(buf);
#pragma omp parallel for schedule(static)
  for (std::int64_t r = w.north; r < w.north + w.ny; ++r)
    fftwf_execute_dft_c2r(w.row_c2r, buf + r * w.cs, R + r * w.real_stride());
}

// Copies each block of spectrum columns of src into the thread's scratch (row n at n * kColumnBlock), calls
// body(scratch, first column, width, full block) and copies the block into dst (which may be src).
template <class Body>
void column_blocks(Impl& w, const fftwf_complex* src, fftwf_complex* dst, const Body& body) {
  const std::int64_t B = kColumnBlock, full = w.nc / B;
  const int team = static_cast<int>(std::min<std::int64_t>(w.threads, omp_get_max_threads()));
#pragma omp parallel num_threads(team)
  {
    fftwf_complex* sc = w.scratch.get() + omp_get_thread_num() * w.nyp * B;
#pragma omp for schedule(static)
    for (std::int64_t b = 0; b < w.blocks(); ++b) {
      const std::int64_t k0 = b * B,
                         bytes = std::min(B, w.nc - k0) * static_cast<std::int64_t>(sizeof(fftwf_complex));
      for (std::int64_t n = 0; n < w.nyp; ++n)
        std::memcpy(sc + n * B, src + n * w.cs + k0, static_cast<std::size_t>(bytes));
      body(sc, k0, std::min(B, w.nc - k0), b < full);
      for (std::int64_t n = 0; n < w.nyp; ++n)
        std::memcpy(dst + n * w.cs + k0, sc + n * B, static_cast<std::size_t>(bytes));
    }
  }
}

struct Wavenumber {
  float kx, ky, k;
};

// Multiplies a scratch block (columns k0 .. k0 + width) by H(k) / (nxp nyp). At the Nyquist row and column H
// is averaged over +k and -k (the two wavenumbers that alias there) so the inverse stays Hermitian, i.e.
// real.
template <class Filter>
void filter_block(const Impl& w, fftwf_complex* sc, std::int64_t k0, std::int64_t width, double dx, double dy,
                  const Filter& filter) {
  const double ckx = 2.0 * kPi / (static_cast<double>(w.nxp) * dx);
  const double cky = -2.0 * kPi / (static_cast<double>(w.nyp) * dy);
  const float scale = static_cast<float>(1.0 / (static_cast<double>(w.nxp) * static_cast<double>(w.nyp)));
  auto eval = [&](float kx, float ky) { return filter(Wavenumber{kx, ky, std::sqrt(kx * kx + ky * ky)}); };
  for (std::int64_t n = 0; n < w.nyp; ++n) {
    const std::int64_t ns = n <= w.nyp / 2 ? n : n - w.nyp;
    const auto ky = static_cast<float>(cky * static_cast<double>(ns));
    const bool row_nyq = w.nyp % 2 == 0 && n == w.nyp / 2;
    fftwf_complex* d = sc + n * kColumnBlock;
    for (std::int64_t j = 0; j < width; ++j) {
      const std::int64_t m = k0 + j;
      const auto kx = static_cast<float>(ckx * static_cast<double>(m));
      const bool col_nyq = w.nxp % 2 == 0 && m == w.nxp / 2;
      std::complex<float> h = 0.0f;
      if (!row_nyq && !col_nyq) {
        h = eval(kx, ky) * scale;
      } else {
        const int sx = col_nyq ? 2 : 1, sy = row_nyq ? 2 : 1;
        for (int ix = 0; ix < sx; ++ix)
          for (int iy = 0; iy < sy; ++iy)
            h += eval(ix ? -kx : kx, iy ? -ky : ky);
        h *= scale / static_cast<float>(sx * sy);
      }
      const std::complex<float> v = std::complex<float>(d[j][0], d[j][1]) * h;
      d[j][0] = v.real();
      d[j][1] = v.imag();
    }
  }
}

// Column FFTs of src into dst: forward only (no filter), or [forward,] filter and inverse in one pass.
void columns_forward(Impl& w, fftwf_complex* buf) {
  column_blocks(w, buf, buf, [&](fftwf_complex* sc, std::int64_t, std::int64_t, bool full) {
    fftwf_execute_dft(full ? w.col_fwd : w.tail_fwd, sc, sc);
  });
}

template <class Filter>
void columns_filtered(Impl& w, const fftwf_complex* src, fftwf_complex* dst, bool forward, double dx,
                      double dy, const Filter& filter) {
  column_blocks(w, src, dst, [&](fftwf_complex* sc, std::int64_t k0, std::int64_t width, bool full) {
    if (forward) fftwf_execute_dft(full ? w.col_fwd : w.tail_fwd, sc, sc);
    filter_block(w, sc, k0, width, dx, dy, filter);
    fftwf_execute_dft(full ? w.col_bwd : w.tail_bwd, sc, sc);
  });
}

// Calls op(cell index, value) for every grid cell of the inverse-transformed buf.
template <class Op> void extract(Impl& w, fftwf_complex* buf, const Op& op) {
  const float* grid = w.real(buf) + w.north * w.real_stride() + w.west;
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < w.ny; ++r) {
    const float* row = grid + r * w.real_stride();
    for (std::int64_t c = 0; c < w.nx; ++c)
      op(r * w.nx + c, row[c]);
  }
}

// Adds h0 times the removed trend back and restores the nodata cells.
void finish(const Impl& w, GridView out, double h0, const Trend& trend) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < w.ny; ++r)
    for (std::int64_t c = 0; c < w.nx; ++c) {
      const std::int64_t i = r * w.nx + c;
      if (w.hole[i]) {
        out.data[i] = nan;
      } else if (h0 != 0.0) {
        out.data[i] = static_cast<float>(out.data[i] + h0 * trend.at(r, c));
      }
    }
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
  rows_forward(w, w.work.get());
  columns_filtered(w, w.work.get(), w.work.get(), true, dx, dy, filter);
  rows_inverse(w, w.work.get());
  extract(w, w.work.get(), [&](std::int64_t i, float v) { out.data[i] = v; });
  finish(w, out, filter(Wavenumber{0.0f, 0.0f, 0.0f}).real(), trend);
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
  rows_forward(w, w.spec.get());
  columns_forward(w, w.spec.get());
  const auto gx = static_cast<float>(trend.bu / dx), gy = static_cast<float>(-trend.bv / dy);
  // run(D<axis>{}, last, op): the last derivative filters spec in place instead of copying it.
  auto run = [&](auto derivative, bool last, auto op) {
    fftwf_complex* dst = last ? w.spec.get() : w.work.get();
    columns_filtered(w, w.spec.get(), dst, false, dx, dy, derivative);
    rows_inverse(w, dst);
    const Axis axis = decltype(derivative)::axis;
    const float g = axis == Axis::X ? gx : axis == Axis::Y ? gy : 0.0f;
    extract(w, dst, [&](std::int64_t i, float v) { op(i, v + g); });
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
  const auto h = static_cast<float>(params.height);
  return single("upward_continuation", in, dx, dy, plan, out, true, [h](const Wavenumber& k) {
    const float e = k.k * h;
    // exp(-e) underflows to subnormals past ~87; zero avoids slow subnormal arithmetic.
    return std::complex<float>(e < 80.0f ? std::exp(-e) : 0.0f, 0.0f);
  });
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
        [o, vdr](std::int64_t i, float v) { o[i] = std::atan2(vdr[i], std::sqrt(o[i] + v * v)); });
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
  const RtpFilter rtp(params.rtp);
  return single("pseudo_gravity", in, dx, dy, plan, out, false, [rtp, gain](const Wavenumber& k) {
    if (k.k == 0.0f) return std::complex<float>(0.0f, 0.0f);
    return rtp(k) * (gain / k.k);
  });
}

} // namespace prospector::kernels
