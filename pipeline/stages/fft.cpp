#include "pipeline/stages/fft.hpp"

#include "kernels/potential_field/plan.hpp"
#include "kernels/potential_field/transforms.hpp"
#include "pipeline/base/errors.hpp"
#include "pipeline/stages/tile_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace prospector::stages {

namespace {

// The scratch file's descriptor, closed on every path out (read_window and the kernels may throw).
class ScratchFd {
public:
  explicit ScratchFd(int fd) : fd_(fd) {}
  ~ScratchFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScratchFd(const ScratchFd&) = delete;
  ScratchFd& operator=(const ScratchFd&) = delete;
  int get() const { return fd_; }

private:
  int fd_;
};

kernels::PfDetrend pf_detrend(const std::string& s) {
  if (s == "auto") return kernels::PfDetrend::Auto;
  if (s == "none") return kernels::PfDetrend::None;
  if (s == "mean") return kernels::PfDetrend::Mean;
  if (s == "plane") return kernels::PfDetrend::Plane;
  throw_usage("key 'potential_field.detrend': unknown value '" + s + "' (use auto, none, mean or plane)");
}

kernels::PfPadding pf_padding(const std::string& s) {
  if (s == "mirror") return kernels::PfPadding::Mirror;
  if (s == "edge_point") return kernels::PfPadding::EdgePoint;
  throw_usage("key 'potential_field.padding': unknown value '" + s + "' (use mirror or edge_point)");
}

} // namespace

const StageInfo& FftStage::info() const {
  static const StageInfo i{
      "pipeline.fft", "Potential-field transforms (RTP, derivatives, analytic signal, ...) on the whole grid",
      "For recipe evidence with a source filter, the FFT transforms of kernels potential_field.* run on the "
      "whole "
      "grid, or for grids over 4096 x 4096 cells on 4096-cell blocks fixed from the grid origin, each with a "
      "1024-cell margin of real data (detrended and padded inside the kernel as potential_field.detrend and "
      "potential_field.padding say; nodata filled for the transform and restored); results are stored per "
      "tile as derived layers, the same for every tiling.",
      false};
  return i;
}

std::vector<Upstream> FftStage::upstream(const Plan&, std::int64_t) const { return {{"ingest", kEveryTile}}; }

std::vector<std::string> FftStage::outputs(const Plan& p, std::int64_t) const {
  std::vector<std::string> out;
  for (const auto& d : p.derived_layers)
    if (!d.filter.empty())
      for (std::int64_t t = 0; t < p.tiles.count(); ++t)
        out.push_back(p.work.layer_tile(d.name, t));
  return out;
}

FftParams FftStage::params(StageContext& ctx, std::int64_t) const {
  const Plan& p = ctx.plan;
  FftParams out;
  out.block = p.job.tiling.fft_block;
  out.detrend = p.job.potential_field.detrend;
  out.padding = p.job.potential_field.padding;
  out.pad_fraction = p.job.potential_field.pad_fraction;
  out.min_pad = p.job.potential_field.min_pad;
  for (const auto& d : p.derived_layers) {
    if (d.filter.empty()) continue;
    FftLayerParams l;
    l.name = d.name;
    l.source = d.num;
    l.filter = d.filter;
    for (const auto& in : p.input_layers)
      if (in.name == d.num) {
        const InputSpec& src = p.job.inputs[static_cast<size_t>(in.input)];
        l.inclination = src.inclination;
        l.declination = src.declination;
        l.upward_height = src.upward_height;
      }
    out.layers.push_back(l);
  }
  return out;
}

std::string FftStage::compute(StageContext& ctx, std::int64_t, const FftParams& params) const {
  const Plan& p = ctx.plan;
  std::vector<std::string>& log = ctx.log;
  // FFTs need whole blocks of the grid: blocks of kBlock cells fixed from the grid origin (so results do not
  // depend on the tile size), each transformed with a margin of kMargin cells of real data around it. A grid
  // of at most kBlock x kBlock cells is one block: the transform of the whole grid.
  const std::int64_t kBlock = params.block, kMargin = params.block / 4;
  Hash64 h;
  kernels::PotentialFieldPlan plan;
  std::int64_t planned_nx = -1, planned_ny = -1;
  std::vector<float> in, out, tile;
  const std::int64_t nbx = (p.grid.nx + kBlock - 1) / kBlock, nby = (p.grid.ny + kBlock - 1) / kBlock;
  for (const auto& d : params.layers) {
    const std::string raw = p.work.fft_scratch(d.name);
    std::filesystem::create_directories(std::filesystem::path(raw).parent_path());
    const ScratchFd scratch(::open(raw.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    const int fd = scratch.get();
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(p.grid.size() * 4)) != 0)
      throw_runtime("fft: cannot create " + raw + " (check free disk space)");
    kernels::RtpParams rtp;
    if (d.inclination) rtp.inclination_deg = *d.inclination;
    if (d.declination) rtp.declination_deg = *d.declination;
    for (std::int64_t by = 0; by < nby; ++by)
      for (std::int64_t bx = 0; bx < nbx; ++bx) {
        const Window core{by * kBlock, bx * kBlock, std::min(kBlock, p.grid.ny - by * kBlock),
                          std::min(kBlock, p.grid.nx - bx * kBlock)};
        Window w;
        w.row0 = std::max<std::int64_t>(0, core.row0 - (nby > 1 ? kMargin : 0));
        w.col0 = std::max<std::int64_t>(0, core.col0 - (nbx > 1 ? kMargin : 0));
        w.rows = std::min(p.grid.ny, core.row0 + core.rows + (nby > 1 ? kMargin : 0)) - w.row0;
        w.cols = std::min(p.grid.nx, core.col0 + core.cols + (nbx > 1 ? kMargin : 0)) - w.col0;
        read_window(p, d.source, w, in);
        if (planned_nx != w.cols || planned_ny != w.rows) {
          kernels::PotentialFieldPlanParams pp;
          pp.pad_fraction = params.pad_fraction;
          pp.min_pad = params.min_pad;
          pp.detrend = pf_detrend(params.detrend);
          pp.padding = pf_padding(params.padding);
          kernels::Status st = plan.init(w.cols, w.rows, pp);
          if (!st.ok) throw_runtime("fft: " + st.message);
          planned_nx = w.cols;
          planned_ny = w.rows;
        }
        out.assign(in.size(), NAN);
        const kernels::ConstGridView iv{in.data(), w.cols, w.rows};
        const kernels::GridView ov{out.data(), w.cols, w.rows};
        const double dx = p.grid.cell, dy = p.grid.cell;
        kernels::Status st;
        if (d.filter == "rtp")
          st = kernels::reduce_to_pole(iv, dx, dy, rtp, plan, ov);
        else if (d.filter == "pseudo_gravity") {
          kernels::PseudoGravityParams pg;
          pg.rtp = rtp;
          st = kernels::pseudo_gravity(iv, dx, dy, pg, plan, ov);
        } else if (d.filter == "upward_continuation") {
          kernels::UpwardContinuationParams up;
          up.height = d.upward_height;
          st = kernels::upward_continuation(iv, dx, dy, up, plan, ov);
        } else if (d.filter == "vertical_derivative")
          st = kernels::vertical_derivative(iv, dx, dy, {}, plan, ov);
        else if (d.filter == "total_horizontal_gradient")
          st = kernels::total_horizontal_gradient(iv, dx, dy, plan, ov);
        else if (d.filter == "derivative_x")
          st = kernels::derivative_x(iv, dx, dy, plan, ov);
        else if (d.filter == "derivative_y")
          st = kernels::derivative_y(iv, dx, dy, plan, ov);
        else if (d.filter == "tilt_derivative")
          st = kernels::tilt_derivative(iv, dx, dy, plan, ov);
        else if (d.filter == "analytic_signal")
          st = kernels::analytic_signal(iv, dx, dy, plan, ov);
        else {
          throw_usage("fft: unknown potential-field filter '" + d.filter + "' for layer " + d.name);
        }
        if (!st.ok) {
          throw_input("fft: " + d.filter + " of layer " + d.source + ": " + st.message);
        }
        for (std::int64_t r = 0; r < core.rows; ++r) {
          const float* row = out.data() + (core.row0 - w.row0 + r) * w.cols + (core.col0 - w.col0);
          const off_t off = static_cast<off_t>(((core.row0 + r) * p.grid.nx + core.col0) * 4);
          if (::pwrite(fd, row, static_cast<size_t>(core.cols) * 4, off) !=
              static_cast<ssize_t>(core.cols * 4)) {
            throw_runtime("fft: cannot write " + raw + " (check free disk space)");
          }
        }
      }
    for (std::int64_t t = 0; t < p.tiles.count(); ++t) {
      const Window w = p.tiles.window(t);
      tile.resize(static_cast<size_t>(w.size()));
      read_tile_block(raw, p.grid.nx, w.row0, w.rows, w.col0, w.cols, tile.data(), w.cols);
      put_tile(p.work.layer_tile(d.name, t), tile, h);
    }
    std::error_code ec;
    std::filesystem::remove(raw, ec);
    log.push_back(d.name + ": " + d.filter + " of " + d.source +
                  (nbx * nby == 1
                       ? std::string(" on the whole grid")
                       : " in " + std::to_string(nbx * nby) + " blocks of " + std::to_string(kBlock) +
                             " cells with " + std::to_string(kMargin) + "-cell margins"));
  }
  return h.hex();
}

} // namespace prospector::stages
