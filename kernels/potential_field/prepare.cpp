#include "kernels/potential_field/prepare.hpp"

#include "kernels/cpu_dispatch.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace prospector::kernels::potential_field_detail {

namespace {

// Below this many cells per sweep the hole fill runs on one thread: its sweeps are short and a team barrier
// per sweep would cost more than the work (the red-black ordering makes the result the same either way).
constexpr std::int64_t kParallelCells = 1 << 15;

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

} // namespace

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
  const PfDetrend mode = w.params.detrend;
  trend = fit_plane(w, mode == PfDetrend::Auto ? plane : mode == PfDetrend::Plane, count);
  if (count == 0) return false;
  if (mode == PfDetrend::None) trend = Trend{};

  float* grid = R + w.north * rs + w.west;
  auto detrend_row = [&](std::int64_t r) {
    const float* row = in.data + r * nx;
    float* dst = grid + r * rs;
    const double base = trend.at(r, 0), slope = trend.bu;
    cpu::run(isa, 0, nx, [&](std::int64_t, std::int64_t) PROSPECTOR_ALWAYS_INLINE {
      detrend(row, dst, nx, base, slope);
    });
  };
  const bool edge_point = w.params.padding == PfPadding::EdgePoint;
  auto pad_row = [&](std::int64_t r) {
    float* row = R + (w.north + r) * rs;
    const float* taper = w.taper_x.data();
    const std::int64_t east = w.west + nx;
    if (edge_point) {
      const float a = 2.0f * row[w.west], b = 2.0f * row[east - 1];
      for (std::int64_t p = 0; p < w.west; ++p)
        row[p] = (a - row[w.west + w.src_x[p]]) * taper[p];
      for (std::int64_t p = east; p < w.nxp; ++p)
        row[p] = (b - row[w.west + w.src_x[p]]) * taper[p];
    } else if (w.west <= nx && w.nxp - east <= nx) {
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
  if (edge_point) {
    // Pad rows are 2 f(edge row) - f(source row) under the y taper, over the x-padded rows: written out and
    // transformed like grid rows (the mirror mode's one-source shortcut does not apply).
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < ny; ++r)
      detrend_row(r);
    if (count < nx * ny) fill_holes(w, grid, rs);
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < ny; ++r)
      pad_row(r);
    const std::int64_t south = w.north + ny;
#pragma omp parallel for schedule(static)
    for (std::int64_t p = 0; p < w.nyp; ++p) {
      if (p >= w.north && p < south) continue;
      const float* e = R + (p < w.north ? w.north : south - 1) * rs;
      const float* s = R + (w.north + w.src_y[p]) * rs;
      float* d = R + p * rs;
      const float t = w.taper_y[p];
      for (std::int64_t c = 0; c < w.nxp; ++c)
        d[c] = (2.0f * e[c] - s[c]) * t;
    }
#pragma omp parallel for schedule(static)
    for (std::int64_t p = 0; p < w.nyp; ++p)
      fftwf_execute_dft_r2c(w.row_r2c, R + p * rs, buf + p * w.cs);
    return true;
  }
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

} // namespace prospector::kernels::potential_field_detail
