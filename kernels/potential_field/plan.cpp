#include "kernels/potential_field/plan.hpp"

#include "kernels/potential_field/plan_impl.hpp"

#include <fftw3.h>
#include <omp.h>

#ifdef __linux__
#include <sys/mman.h>
#endif

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace prospector::kernels {

using namespace potential_field_detail;

std::mutex& potential_field_detail::planner_mutex() {
  static std::mutex m;
  return m;
}

namespace {

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

// Point-reflection index of a pad cell about the edge cell (j = -m -> m, j = n - 1 + m -> n - 1 - m),
// repeated for pads wider than the grid.
std::int64_t point_reflect(std::int64_t j, std::int64_t n) {
  if (n == 1) return 0;
  const std::int64_t period = 2 * (n - 1);
  std::int64_t m = j % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

void axis_tables(std::int64_t n, std::int64_t np, std::int64_t before, PfPadding mode,
                 std::vector<std::int64_t>& src, std::vector<float>& taper) {
  const std::int64_t after = np - n - before;
  src.resize(static_cast<std::size_t>(np));
  taper.resize(static_cast<std::size_t>(np));
  const bool edge = mode == PfPadding::EdgePoint;
  for (std::int64_t p = 0; p < np; ++p) {
    const std::int64_t j = p - before;
    src[p] = edge ? point_reflect(j, n) : mirror(j, n);
    // Distance into the pad (1 at the first pad cell) over its width; GMT's taper stops one step short of 0.
    const double m = j < 0 ? static_cast<double>(-j) : static_cast<double>(j - n + 1);
    const double width = static_cast<double>(j < 0 ? before : after) + (edge ? 1.0 : 0.0);
    taper[p] = static_cast<float>(j >= 0 && j < n ? 1.0 : 0.5 * (1.0 + std::cos(kPi * m / width)));
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

PotentialFieldPlan::Impl::~Impl() {
  std::lock_guard<std::mutex> lock(planner_mutex());
  for (fftwf_plan p : {row_r2c, row_c2r, col_fwd, col_bwd, tail_fwd, tail_bwd})
    if (p) fftwf_destroy_plan(p);
}

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

    axis_tables(nx, nxp, w->west, params.padding, w->src_x, w->taper_x);
    axis_tables(ny, nyp, w->north, params.padding, w->src_y, w->taper_y);
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
      // An edge-point pad row combines two grid rows (2 f(edge) - f(src)): prepare writes and transforms it
      // like a grid row, so the first column pass reads every row as it is.
      const bool grid_row = (p >= w->north && p < w->north + ny) || params.padding == PfPadding::EdgePoint;
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

} // namespace prospector::kernels
