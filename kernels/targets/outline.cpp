#include "kernels/targets/outline.hpp"

#include <cmath>
#include <limits>
#include <string>

namespace prospector::kernels {

namespace {

// Edge directions in raster coordinates (row grows downwards); +1 is a right turn, +3 a left turn.
enum Dir : int { kRight = 0, kDown = 1, kLeft = 2, kUp = 3 };
constexpr std::int64_t kDc[4] = {1, 0, -1, 0};
constexpr std::int64_t kDr[4] = {0, 1, 0, -1};

// 4-connected labels 1..n in the raster order of each group's first cell; 0 is background.
std::int32_t label4(const std::uint8_t* mask, std::int64_t rows, std::int64_t cols,
                    std::vector<std::int32_t>& label) {
  label.assign(static_cast<std::size_t>(rows * cols), 0);
  std::vector<std::int64_t> stack;
  std::int32_t n = 0;
  for (std::int64_t i = 0; i < rows * cols; ++i) {
    if (!mask[i] || label[static_cast<std::size_t>(i)] != 0) continue;
    if (n == std::numeric_limits<std::int32_t>::max()) return -1;
    label[static_cast<std::size_t>(i)] = ++n;
    stack.push_back(i);
    while (!stack.empty()) {
      const std::int64_t k = stack.back();
      stack.pop_back();
      const std::int64_t r = k / cols, c = k % cols;
      const std::int64_t nb[4] = {r > 0 ? k - cols : -1, r + 1 < rows ? k + cols : -1, c > 0 ? k - 1 : -1,
                                  c + 1 < cols ? k + 1 : -1};
      for (std::int64_t j : nb)
        if (j >= 0 && mask[j] && label[static_cast<std::size_t>(j)] == 0) {
          label[static_cast<std::size_t>(j)] = n;
          stack.push_back(j);
        }
    }
  }
  return n;
}

// Twice the signed area (shoelace) in raster coordinates: > 0 for a ring clockwise on the raster.
std::int64_t twice_area(const CornerRing& r) {
  std::int64_t a = 0;
  for (std::size_t i = 0; i + 1 < r.size(); ++i)
    a += r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1];
  return a;
}

} // namespace

Status outline_cells(const std::uint8_t* mask, std::int64_t rows, std::int64_t cols,
                     std::vector<CornerPolygon>& polygons) {
  polygons.clear();
  if (rows < 0 || cols < 0 || (rows * cols > 0 && !mask))
    return Status::Invalid("outline_cells: invalid mask");
  if (rows == 0 || cols == 0) return Status::Ok();
  std::vector<std::int32_t> label;
  const std::int32_t n = label4(mask, rows, cols, label);
  if (n < 0) return Status::Invalid("outline_cells: more cell groups than an int32 label can hold");
  auto fg = [&](std::int64_t r, std::int64_t c) {
    return r >= 0 && r < rows && c >= 0 && c < cols && mask[r * cols + c] != 0;
  };
  auto lab = [&](std::int64_t r, std::int64_t c) {
    return fg(r, c) ? label[static_cast<std::size_t>(r * cols + c)] : 0;
  };

  // Boundary edges, directed with the cell on their right (clockwise around each cell on the raster), stored
  // as bits of their start vertex; vertices are (row, col) with row in [0, rows], col in [0, cols].
  const std::int64_t vc = cols + 1;
  std::vector<std::uint8_t> out(static_cast<std::size_t>((rows + 1) * vc), 0);
  auto bit = [&](std::int64_t r, std::int64_t c, int d) {
    out[static_cast<std::size_t>(r * vc + c)] |= static_cast<std::uint8_t>(1u << d);
  };
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) {
      if (!fg(r, c)) continue;
      if (!fg(r - 1, c)) bit(r, c, kRight);
      if (!fg(r, c + 1)) bit(r, c + 1, kDown);
      if (!fg(r + 1, c)) bit(r + 1, c + 1, kLeft);
      if (!fg(r, c - 1)) bit(r + 1, c, kUp);
    }

  // The direction to leave vertex (r, c) after arriving in direction d. Only a saddle (two diagonal cells
  // set, the other two clear) has two ways out: when both cells belong to one 4-connected group, turn left,
  // so that each ring bounds one connected piece of background and never visits the vertex twice; otherwise
  // turn right, so that the two groups stay separate polygons that touch at the vertex.
  auto next_dir = [&](std::int64_t r, std::int64_t c, int d) {
    const std::uint8_t o = out[static_cast<std::size_t>(r * vc + c)];
    if ((o & (o - 1)) == 0) {
      for (int k = 0; k < 4; ++k)
        if (o & (1u << k)) return k;
      return -1;
    }
    const std::int32_t a = lab(r - 1, c - 1) ? lab(r - 1, c - 1) : lab(r - 1, c);
    const std::int32_t b = lab(r, c) ? lab(r, c) : lab(r, c - 1);
    return a == b ? (d + 3) % 4 : (d + 1) % 4;
  };

  // The group of the cell on the right of the edge leaving (r, c) in direction d.
  auto group_of = [&](std::int64_t r, std::int64_t c, int d) {
    switch (d) {
    case kRight:
      return lab(r, c);
    case kDown:
      return lab(r, c - 1);
    case kLeft:
      return lab(r - 1, c - 1);
    default:
      return lab(r - 1, c);
    }
  };

  std::vector<std::vector<CornerRing>> shells(static_cast<std::size_t>(n) + 1),
      holes(static_cast<std::size_t>(n) + 1);
  std::vector<std::uint8_t> used(out.size(), 0);
  for (std::int64_t r0 = 0; r0 <= rows; ++r0)
    for (std::int64_t c0 = 0; c0 <= cols; ++c0)
      for (int d0 = 0; d0 < 4; ++d0) {
        const std::size_t v0 = static_cast<std::size_t>(r0 * vc + c0);
        if (!(out[v0] & (1u << d0)) || (used[v0] & (1u << d0))) continue;
        // The first vertex of a ring in raster order is always a corner of it.
        CornerRing ring{{c0, r0}};
        std::int64_t r = r0, c = c0;
        int d = d0;
        for (;;) {
          used[static_cast<std::size_t>(r * vc + c)] |= static_cast<std::uint8_t>(1u << d);
          r += kDr[d];
          c += kDc[d];
          const int nd = next_dir(r, c, d);
          if (nd < 0) return Status::Invalid("outline_cells: open boundary (internal error)");
          if (r == r0 && c == c0 && nd == d0) break;
          if (used[static_cast<std::size_t>(r * vc + c)] & (1u << nd))
            return Status::Invalid("outline_cells: boundary edge visited twice (internal error)");
          if (nd != d) ring.push_back({c, r});
          d = nd;
        }
        ring.push_back({c0, r0});
        const std::int32_t g = group_of(r0, c0, d0);
        (twice_area(ring) > 0 ? shells : holes)[static_cast<std::size_t>(g)].push_back(std::move(ring));
      }

  polygons.resize(static_cast<std::size_t>(n));
  for (std::int32_t g = 1; g <= n; ++g) {
    auto& s = shells[static_cast<std::size_t>(g)];
    if (s.size() != 1)
      return Status::Invalid("outline_cells: cell group " + std::to_string(g) + " has " +
                             std::to_string(s.size()) + " exterior rings (internal error)");
    CornerPolygon& p = polygons[static_cast<std::size_t>(g - 1)];
    p.rings.push_back(std::move(s.front()));
    for (auto& h : holes[static_cast<std::size_t>(g)])
      p.rings.push_back(std::move(h));
  }
  return Status::Ok();
}

Status representative_cell(const std::uint8_t* mask, std::int64_t rows, std::int64_t cols, std::int64_t& row,
                           std::int64_t& col) {
  if (rows <= 0 || cols <= 0 || !mask) return Status::Invalid("representative_cell: empty mask");
  std::int64_t n = 0, sr = 0, sc = 0;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      if (mask[r * cols + c]) {
        ++n;
        sr += r;
        sc += c;
      }
  if (n == 0) return Status::Invalid("representative_cell: no cell is set");
  const double mr = static_cast<double>(sr) / static_cast<double>(n);
  const double mc = static_cast<double>(sc) / static_cast<double>(n);
  double best = std::numeric_limits<double>::infinity();
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      if (mask[r * cols + c]) {
        const double dr = static_cast<double>(r) - mr, dc = static_cast<double>(c) - mc;
        const double d2 = dr * dr + dc * dc;
        if (d2 < best) {
          best = d2;
          row = r;
          col = c;
        }
      }
  return Status::Ok();
}

} // namespace prospector::kernels
