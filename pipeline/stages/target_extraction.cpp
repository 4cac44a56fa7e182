#include "pipeline/stages/target_extraction.hpp"

#include "kernels/anomaly/ca_fractal.hpp"
#include "kernels/targets/components.hpp"
#include "kernels/targets/outline.hpp"
#include "pipeline/base/errors.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

namespace prospector {

namespace {

// Scores and memberships are in [0, 1]; 2^32 steps keep sums over 2^30 cells inside int64 and exact.
constexpr double kFixed = 4294967296.0;

struct Part {
  std::int64_t cells = 0, score_fixed = 0, sum_row = 0, sum_col = 0;
  float peak = -1.0f;
  std::int64_t peak_index = 0, first_index = 0;
  std::int64_t r0 = 0, r1 = 0, c0 = 0, c1 = 0;
  std::vector<std::int64_t> evidence_fixed;
};

void merge_into(Part& a, const Part& b) {
  if (b.peak > a.peak || (b.peak == a.peak && b.peak_index < a.peak_index)) {
    a.peak = b.peak;
    a.peak_index = b.peak_index;
  }
  a.cells += b.cells;
  a.score_fixed += b.score_fixed;
  a.sum_row += b.sum_row;
  a.sum_col += b.sum_col;
  a.first_index = std::min(a.first_index, b.first_index);
  a.r0 = std::min(a.r0, b.r0);
  a.r1 = std::max(a.r1, b.r1);
  a.c0 = std::min(a.c0, b.c0);
  a.c1 = std::max(a.c1, b.c1);
  for (size_t e = 0; e < a.evidence_fixed.size(); ++e)
    a.evidence_fixed[e] += b.evidence_fixed[e];
}

std::int64_t find(std::vector<std::int64_t>& parent, std::int64_t x) {
  while (parent[static_cast<size_t>(x)] != x) {
    parent[static_cast<size_t>(x)] = parent[static_cast<size_t>(parent[static_cast<size_t>(x)])];
    x = parent[static_cast<size_t>(x)];
  }
  return x;
}

void unite(std::vector<std::int64_t>& parent, std::int64_t a, std::int64_t b) {
  a = find(parent, a);
  b = find(parent, b);
  if (a == b) return;
  // The smaller id becomes the root so the result does not depend on visiting order.
  if (a < b)
    parent[static_cast<size_t>(b)] = a;
  else
    parent[static_cast<size_t>(a)] = b;
}

// Outlines one target from a 0/1 mask of its bounding window, in map coordinates.
std::vector<Polygon> outline(const std::string& commodity, const GridSpec& grid, const Window& w,
                             const std::vector<std::uint8_t>& mask) {
  std::vector<kernels::CornerPolygon> corners;
  const kernels::Status st = kernels::outline_cells(mask.data(), w.rows, w.cols, corners);
  if (!st.ok) throw_runtime("targets for " + commodity + ": " + st.message);
  std::vector<Polygon> polys;
  polys.reserve(corners.size());
  for (const auto& cp : corners) {
    Polygon p;
    for (const auto& cr : cp.rings) {
      Ring ring;
      ring.reserve(cr.size());
      for (const auto& v : cr)
        ring.push_back({grid.x0 + static_cast<double>(w.col0 + v[0]) * grid.cell,
                        grid.y0 - static_cast<double>(w.row0 + v[1]) * grid.cell});
      p.push_back(std::move(ring));
    }
    polys.push_back(std::move(p));
  }
  return polys;
}

std::string label_path(const TiledTargetSources& src, const TileGrid& tiles, std::int64_t t) {
  return src.label_dir + "/" + tiles.label(t) + ".i32";
}

} // namespace

CommodityTargets extract_targets_tiled(const std::string& commodity, const TileGrid& tiles, double threshold,
                                       const TargetOptions& opts, const TiledTargetSources& src) {
  const GridSpec& grid = tiles.grid;
  CommodityTargets out;
  out.commodity = commodity;
  out.threshold = threshold;
  out.top_fraction = opts.top_fraction;
  const size_t ne = src.evidence.size();

  // Pass 1: label each tile, keep per-component partial statistics and the tile's edge labels.
  std::vector<Part> parts;
  std::vector<std::int64_t> offset(static_cast<size_t>(tiles.count()) + 1, 0);
  struct Edges {
    std::vector<std::int32_t> top, bottom, left, right;
  };
  std::vector<Edges> edges(static_cast<size_t>(tiles.count()));
  std::vector<float> score, ev;
  std::vector<std::int32_t> labels;
  for (std::int64_t t = 0; t < tiles.count(); ++t) {
    const Window w = tiles.window(t);
    read_tile(src.score_tile(t), w, score);
    std::int32_t n = 0;
    kernels::Status st = kernels::label_components({score.data(), w.cols, w.rows}, threshold, labels, n);
    if (!st.ok) throw_runtime("targets for " + commodity + ": " + st.message);
    offset[static_cast<size_t>(t) + 1] = offset[static_cast<size_t>(t)] + n;
    const size_t base = parts.size();
    parts.resize(base + static_cast<size_t>(n));
    for (size_t k = base; k < parts.size(); ++k) {
      parts[k].evidence_fixed.assign(ne, 0);
      parts[k].first_index = -1;
    }
    for (std::int64_t r = 0; r < w.rows; ++r)
      for (std::int64_t c = 0; c < w.cols; ++c) {
        const std::int32_t l = labels[static_cast<size_t>(r * w.cols + c)];
        if (l <= 0) continue;
        Part& p = parts[base + static_cast<size_t>(l - 1)];
        const std::int64_t gr = w.row0 + r, gc = w.col0 + c, gi = gr * grid.nx + gc;
        const float s = score[static_cast<size_t>(r * w.cols + c)];
        if (p.first_index < 0) {
          p.first_index = gi;
          p.r0 = p.r1 = gr;
          p.c0 = p.c1 = gc;
        }
        ++p.cells;
        p.score_fixed += std::llround(static_cast<double>(s) * kFixed);
        p.sum_row += gr;
        p.sum_col += gc;
        if (s > p.peak || (s == p.peak && gi < p.peak_index)) {
          p.peak = s;
          p.peak_index = gi;
        }
        p.r0 = std::min(p.r0, gr);
        p.r1 = std::max(p.r1, gr);
        p.c0 = std::min(p.c0, gc);
        p.c1 = std::max(p.c1, gc);
      }
    for (size_t e = 0; e < ne && n > 0; ++e) { // evidence shares only where a tile has target cells
      src.evidence[e].read(t, ev);
      for (size_t i = 0; i < ev.size(); ++i)
        if (labels[i] > 0 && !std::isnan(ev[i]))
          parts[base + static_cast<size_t>(labels[i] - 1)].evidence_fixed[e] +=
              std::llround(static_cast<double>(ev[i]) * kFixed);
    }
    Edges& ed = edges[static_cast<size_t>(t)];
    ed.top.assign(labels.begin(), labels.begin() + w.cols);
    ed.bottom.assign(labels.end() - w.cols, labels.end());
    for (std::int64_t r = 0; r < w.rows; ++r) {
      ed.left.push_back(labels[static_cast<size_t>(r * w.cols)]);
      ed.right.push_back(labels[static_cast<size_t>(r * w.cols + w.cols - 1)]);
    }
    write_file_atomic(label_path(src, tiles, t), labels.data(), labels.size() * sizeof(std::int32_t), false);
  }

  // Pass 2: join components across tile edges and corners (8-connectivity).
  std::vector<std::int64_t> parent(parts.size());
  std::iota(parent.begin(), parent.end(), 0);
  auto gid = [&](std::int64_t t, std::int32_t l) { return offset[static_cast<size_t>(t)] + l - 1; };
  for (std::int64_t t = 0; t < tiles.count(); ++t) {
    const std::int64_t ty = t / tiles.ntx, tx = t % tiles.ntx;
    const Edges& a = edges[static_cast<size_t>(t)];
    if (tx + 1 < tiles.ntx) {
      const Edges& b = edges[static_cast<size_t>(t + 1)];
      const std::int64_t rows = static_cast<std::int64_t>(a.right.size());
      for (std::int64_t r = 0; r < rows; ++r) {
        if (a.right[static_cast<size_t>(r)] <= 0) continue;
        for (std::int64_t d = -1; d <= 1; ++d) {
          const std::int64_t rr = r + d;
          if (rr >= 0 && rr < rows && b.left[static_cast<size_t>(rr)] > 0)
            unite(parent, gid(t, a.right[static_cast<size_t>(r)]),
                  gid(t + 1, b.left[static_cast<size_t>(rr)]));
        }
      }
    }
    if (ty + 1 < tiles.nty) {
      const std::int64_t tb = t + tiles.ntx;
      const Edges& b = edges[static_cast<size_t>(tb)];
      const std::int64_t cols = static_cast<std::int64_t>(a.bottom.size());
      for (std::int64_t c = 0; c < cols; ++c) {
        if (a.bottom[static_cast<size_t>(c)] <= 0) continue;
        for (std::int64_t d = -1; d <= 1; ++d) {
          const std::int64_t cc = c + d;
          if (cc >= 0 && cc < cols && b.top[static_cast<size_t>(cc)] > 0)
            unite(parent, gid(t, a.bottom[static_cast<size_t>(c)]), gid(tb, b.top[static_cast<size_t>(cc)]));
        }
      }
      // Corners: bottom-right and bottom-left diagonal neighbours touch at one cell.
      if (tx + 1 < tiles.ntx) {
        const Edges& d = edges[static_cast<size_t>(tb + 1)];
        if (a.bottom.back() > 0 && d.top.front() > 0)
          unite(parent, gid(t, a.bottom.back()), gid(tb + 1, d.top.front()));
      }
      if (tx > 0) {
        const Edges& d = edges[static_cast<size_t>(tb - 1)];
        if (a.bottom.front() > 0 && d.top.back() > 0)
          unite(parent, gid(t, a.bottom.front()), gid(tb - 1, d.top.back()));
      }
    }
  }
  std::vector<std::int64_t> roots;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::int64_t r = find(parent, static_cast<std::int64_t>(i));
    if (r == static_cast<std::int64_t>(i))
      roots.push_back(r);
    else
      merge_into(parts[static_cast<size_t>(r)], parts[i]);
  }

  // Rank by exact statistics, so ties break the same way for any tiling.
  std::vector<std::int64_t> order;
  for (std::int64_t r : roots)
    if (parts[static_cast<size_t>(r)].cells >= opts.min_cells) order.push_back(r);
  std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    const Part &x = parts[static_cast<size_t>(a)], &y = parts[static_cast<size_t>(b)];
    if (x.peak != y.peak) return x.peak > y.peak;
    // Compare mean scores exactly: sum_x / n_x vs sum_y / n_y.
    const __int128 lhs = static_cast<__int128>(x.score_fixed) * y.cells,
                   rhs = static_cast<__int128>(y.score_fixed) * x.cells;
    if (lhs != rhs) return lhs > rhs;
    if (x.cells != y.cells) return x.cells > y.cells;
    return x.first_index < y.first_index;
  });
  if (static_cast<std::int64_t>(order.size()) > opts.max_targets)
    order.resize(static_cast<size_t>(opts.max_targets));

  std::vector<std::int32_t> lab;
  std::vector<std::uint8_t> mask;
  for (size_t k = 0; k < order.size(); ++k) {
    const Part& p = parts[static_cast<size_t>(order[k])];
    Target t;
    t.rank = static_cast<int>(k) + 1;
    t.peak_score = p.peak;
    t.cells = p.cells;
    t.mean_score = static_cast<double>(p.score_fixed) / kFixed / static_cast<double>(p.cells);
    t.area = static_cast<double>(p.cells) * grid.cell_area();
    t.centroid_x =
        grid.x0 + (static_cast<double>(p.sum_col) / static_cast<double>(p.cells) + 0.5) * grid.cell;
    t.centroid_y =
        grid.y0 - (static_cast<double>(p.sum_row) / static_cast<double>(p.cells) + 0.5) * grid.cell;
    t.peak_x = grid.x_center(p.peak_index % grid.nx);
    t.peak_y = grid.y_center(p.peak_index / grid.nx);
    t.xmin = grid.x0 + static_cast<double>(p.c0) * grid.cell;
    t.xmax = grid.x0 + static_cast<double>(p.c1 + 1) * grid.cell;
    t.ymax = grid.y0 - static_cast<double>(p.r0) * grid.cell;
    t.ymin = grid.y0 - static_cast<double>(p.r1 + 1) * grid.cell;
    // Evidence shares, largest first.
    std::int64_t total = 0;
    for (auto v : p.evidence_fixed)
      total += v;
    std::vector<size_t> idx(ne);
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(),
                     [&](size_t a, size_t b) { return p.evidence_fixed[a] > p.evidence_fixed[b]; });
    for (size_t i = 0; i < idx.size() && i < 3 && total > 0; ++i) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s%s:%.2f", t.evidence.empty() ? "" : ",",
                    src.evidence[idx[i]].id.c_str(),
                    static_cast<double>(p.evidence_fixed[idx[i]]) / static_cast<double>(total));
      t.evidence += buf;
    }
    // Outline from the target's own cells in its bounding window.
    const Window bw{p.r0, p.c0, p.r1 - p.r0 + 1, p.c1 - p.c0 + 1};
    mask.assign(static_cast<size_t>(bw.size()), 0);
    for (std::int64_t tt : tiles.tiles_in(bw)) {
      const Window tw = tiles.window(tt);
      const std::int64_t r0 = std::max(bw.row0, tw.row0), r1 = std::min(bw.row0 + bw.rows, tw.row0 + tw.rows);
      const std::int64_t c0 = std::max(bw.col0, tw.col0), c1 = std::min(bw.col0 + bw.cols, tw.col0 + tw.cols);
      lab.resize(static_cast<size_t>((r1 - r0) * (c1 - c0)));
      read_tile_block(label_path(src, tiles, tt), tw.cols, r0 - tw.row0, r1 - r0, c0 - tw.col0, c1 - c0,
                      reinterpret_cast<float*>(lab.data()), c1 - c0);
      for (std::int64_t r = r0; r < r1; ++r)
        for (std::int64_t c = c0; c < c1; ++c) {
          const std::int32_t l = lab[static_cast<size_t>((r - r0) * (c1 - c0) + (c - c0))];
          if (l > 0 && find(parent, gid(tt, l)) == order[k])
            mask[static_cast<size_t>((r - bw.row0) * bw.cols + (c - bw.col0))] = 1;
        }
    }
    t.polygons = outline(commodity, grid, bw, mask);
    std::int64_t rr = 0, rc = 0;
    const kernels::Status rs = kernels::representative_cell(mask.data(), bw.rows, bw.cols, rr, rc);
    if (!rs.ok) throw_runtime("targets for " + commodity + ": " + rs.message);
    t.rep_x = grid.x_center(bw.col0 + rc);
    t.rep_y = grid.y_center(bw.row0 + rr);
    out.targets.push_back(std::move(t));
  }
  return out;
}

bool concentration_area_threshold(const kernels::ValueBlocks& v, double& threshold, double& fraction,
                                  std::string& detail) {
  const kernels::ValueSummary sum = kernels::summarize(v);
  const std::int64_t total = sum.count;
  float lo = kernels::smallest_positive(v);
  const float hi = std::isinf(lo) ? 0.0f : sum.max;
  // Scores below the median are the background by construction: the fit starts there, so the bulk of the
  // grid does not decide where the anomalous population begins.
  float median = 0.0f;
  if (total > 0 && kernels::radix_kth_smallest(v, total / 2, {}, median).ok) lo = std::max(lo, median);
  if (!(hi > lo)) {
    detail = "no positive score range above the median";
    return false;
  }
  kernels::CaFractalResult res;
  const std::int64_t T = 100;
  kernels::ca_threshold_grid(lo, hi, T, res.threshold);
  res.area = kernels::count_at_or_above(v, res.threshold);
  kernels::CaFractalParams cp;
  cp.segments = 3;
  const kernels::Status st = kernels::ca_fractal_fit(cp, res);
  if (!st.ok || res.breaks.empty()) {
    detail = st.ok ? "the fit found no break" : st.message;
    return false;
  }
  threshold = res.breaks.back();
  const std::int64_t above = res.area[static_cast<std::size_t>(res.break_index.back())];
  fraction = total > 0 ? static_cast<double>(above) / static_cast<double>(total) : 0.0;
  char buf[160];
  std::snprintf(buf, sizeof buf, "upper C-A break at %.4g (slopes %.2f / %.2f / %.2f, %lld points)",
                threshold, res.slopes[0], res.slopes[1], res.slopes.back(),
                static_cast<long long>(res.points));
  detail = buf;
  return true;
}

} // namespace prospector
