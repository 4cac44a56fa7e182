#include "kernels/potential_field/spectral.hpp"

#include "kernels/cpu_dispatch.hpp"

#include <fftw3.h>

#ifdef PROSPECTOR_X86_DISPATCH
#include <immintrin.h>
#endif

#include <cstdint>
#include <limits>

namespace prospector::kernels::potential_field_detail {

#ifdef PROSPECTOR_X86_DISPATCH
namespace {

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

} // namespace

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

void columns_forward(Impl& w, fftwf_complex* buf) {
  column_blocks(w, buf, buf, true,
                [&](fftwf_complex* a, fftwf_complex* b, std::int64_t, std::int64_t, bool full) {
                  fftwf_execute_dft(full ? w.col_fwd : w.tail_fwd, a, b);
                  return b;
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

} // namespace prospector::kernels::potential_field_detail
