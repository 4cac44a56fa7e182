#pragma once
/// \file spectral.hpp
/// Internal to the `potential_field.*` kernels: the FFT passes of transforms.hpp ("FFT and determinism"):
/// inverse row FFTs, column blocks with their forward FFT, operator and inverse FFT, and the finishing of
/// the output rows.

#include "kernels/cpu_dispatch.hpp"
#include "kernels/potential_field/plan_impl.hpp"
#include "kernels/potential_field/prepare.hpp"
#include "kernels/views.hpp"

#include <fftw3.h>
#include <omp.h>

#include <algorithm>
#include <complex>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace prospector::kernels::potential_field_detail {

// Rows ahead whose spectrum line the column-block copies prefetch.
constexpr std::int64_t kPrefetchRows = 32;

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
// The copies of column_blocks for a full 8 x 8 tile, as vector transposes. The scale is the same float
// multiply as the scalar copy's, so both give the same bits.
PROSPECTOR_TARGET_AVX512 void copy_in_8x8(const fftwf_complex* const rows[8], const float* factor,
                                          fftwf_complex* sc, std::int64_t nyp);
PROSPECTOR_TARGET_AVX512 void copy_out_8x8(const fftwf_complex* sc, std::int64_t nyp, fftwf_complex* dst,
                                           std::int64_t stride);
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
void columns_forward(Impl& w, fftwf_complex* buf);

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
void finish_row(const Impl& w, std::int64_t r, const float* row, GridView out, double h0, const Trend& trend);

// Adds h0 times the removed trend back to out (in place) and restores the nodata cells.
void finish(const Impl& w, GridView out, double h0, const Trend& trend);

} // namespace prospector::kernels::potential_field_detail
