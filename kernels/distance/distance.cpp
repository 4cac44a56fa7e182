#include "kernels/distance/distance.hpp"

#include "kernels/openmp_util.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace prospector::kernels {

namespace {

constexpr std::int32_t kNone = std::numeric_limits<std::int32_t>::max();

// Lower envelope of the parabolas (x - q)^2 + f[q] over the finite f (Felzenszwalb & Huttenlocher 2012),
// evaluated at every x in [0, n). v, z are scratch of n and n + 1 entries. The intersections are rationals
// with denominator 2 (q - v), so an integer x is never within rounding of one unless it is on it, where both
// parabolas give the same value: the minimum is exact.
void envelope(const std::int64_t* f, std::int64_t n, std::int64_t* v, double* z, std::int64_t* d) {
  std::int64_t k = -1;
  for (std::int64_t q = 0; q < n; ++q) {
    if (f[q] < 0) continue;
    const double fq = static_cast<double>(f[q]) + static_cast<double>(q) * static_cast<double>(q);
    double s = -std::numeric_limits<double>::infinity();
    while (k >= 0) {
      const std::int64_t p = v[k];
      const double fp = static_cast<double>(f[p]) + static_cast<double>(p) * static_cast<double>(p);
      s = (fq - fp) / (2.0 * static_cast<double>(q - p));
      if (s > z[k]) break;
      --k;
    }
    ++k;
    v[k] = q;
    z[k] = k == 0 ? -std::numeric_limits<double>::infinity() : s;
    z[k + 1] = std::numeric_limits<double>::infinity();
  }
  if (k < 0) {
    for (std::int64_t x = 0; x < n; ++x)
      d[x] = -1;
    return;
  }
  std::int64_t j = 0;
  for (std::int64_t x = 0; x < n; ++x) {
    while (z[j + 1] < static_cast<double>(x))
      ++j;
    const std::int64_t dx = x - v[j];
    d[x] = dx * dx + f[v[j]];
  }
}

} // namespace

Status euclidean_distance(const std::uint8_t* feature, std::int64_t nx, std::int64_t ny,
                          const EdtParams& params, float* out) {
  if (nx < 0 || ny < 0) return Status::Invalid("distance.edt: negative grid size");
  if (!(params.cell > 0) || !std::isfinite(params.cell))
    return Status::Invalid("distance.edt: cell must be positive and finite");
  if (nx == 0 || ny == 0) return Status::Ok();
  if (!feature || !out) return Status::Invalid("distance.edt: null buffer");
  if (ny >= kNone) return Status::Invalid("distance.edt: more rows than a 32-bit column distance holds");
  // Pass 1: distance in cells along each column to the nearest feature cell (kNone: none in the column).
  std::vector<std::int32_t> g(static_cast<size_t>(nx * ny));
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < nx; ++c) {
    std::int32_t run = kNone;
    for (std::int64_t r = 0; r < ny; ++r) {
      if (feature[r * nx + c])
        run = 0;
      else if (run != kNone)
        ++run;
      g[static_cast<size_t>(r * nx + c)] = run;
    }
    run = kNone;
    for (std::int64_t r = ny - 1; r >= 0; --r) {
      std::int32_t& cell = g[static_cast<size_t>(r * nx + c)];
      if (cell == 0)
        run = 0;
      else if (run != kNone)
        ++run;
      if (run < cell) cell = run;
    }
  }
  // Pass 2: along each row, the lower envelope of the columns' squared distances.
  const int threads = max_threads();
  const size_t n = static_cast<size_t>(nx);
  std::vector<std::int64_t> f(n * static_cast<size_t>(threads)), v(f.size()), d(f.size());
  std::vector<double> z((n + 1) * static_cast<size_t>(threads));
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < ny; ++r) {
    const size_t t = static_cast<size_t>(thread_id());
    std::int64_t* fr = f.data() + t * n;
    for (std::int64_t c = 0; c < nx; ++c) {
      const std::int32_t gc = g[static_cast<size_t>(r * nx + c)];
      fr[c] = gc == kNone ? -1 : static_cast<std::int64_t>(gc) * gc;
    }
    std::int64_t* dr = d.data() + t * n;
    envelope(fr, nx, v.data() + t * n, z.data() + t * (n + 1), dr);
    float* o = out + r * nx;
    for (std::int64_t c = 0; c < nx; ++c) {
      o[c] = dr[c] < 0 ? NAN : static_cast<float>(params.cell * std::sqrt(static_cast<double>(dr[c])));
    }
  }
  return Status::Ok();
}

namespace {

bool valid_grid(const SegmentGrid& g) {
  return g.cell > 0 && std::isfinite(g.cell) && std::isfinite(g.x0) && std::isfinite(g.y0) && g.nx >= 0 &&
         g.ny >= 0;
}

// Liang-Barsky clipping of the parameter range [t0, t1] of p + t d to lo <= x <= hi.
bool clip(double p, double d, double lo, double hi, double& t0, double& t1) {
  if (d == 0) return p >= lo && p <= hi;
  double a = (lo - p) / d, b = (hi - p) / d;
  if (a > b) std::swap(a, b);
  t0 = std::max(t0, a);
  t1 = std::min(t1, b);
  return t0 <= t1;
}

// Parameters in (t0, t1) where p + t d crosses a line lo + k cell.
void crossings(double p, double d, double lo, double cell, double t0, double t1, std::vector<double>& ts) {
  if (d == 0) return;
  const double a = (p + t0 * d - lo) / cell, b = (p + t1 * d - lo) / cell;
  const double kmin = std::floor(std::min(a, b)) + 1, kmax = std::ceil(std::max(a, b)) - 1;
  for (double k = kmin; k <= kmax; k += 1.0) {
    const double t = (lo + k * cell - p) / d;
    if (t > t0 && t < t1) ts.push_back(t);
  }
}

} // namespace

Status segment_lengths(const double* x0, const double* y0, const double* x1, const double* y1, std::int64_t n,
                       const SegmentGrid& grid, double* length) {
  if (!valid_grid(grid)) return Status::Invalid("distance.segment_lengths: bad grid");
  if (n < 0) return Status::Invalid("distance.segment_lengths: negative segment count");
  if (n == 0 || grid.nx == 0 || grid.ny == 0) return Status::Ok();
  if (!x0 || !y0 || !x1 || !y1 || !length) return Status::Invalid("distance.segment_lengths: null buffer");
  const double xmax = grid.x0 + grid.cell * static_cast<double>(grid.nx);
  const double ymin = grid.y0 - grid.cell * static_cast<double>(grid.ny);
  std::vector<double> ts;
  for (std::int64_t k = 0; k < n; ++k) {
    if (!std::isfinite(x0[k]) || !std::isfinite(y0[k]) || !std::isfinite(x1[k]) || !std::isfinite(y1[k]))
      return Status::Invalid("distance.segment_lengths: non-finite coordinate in segment " +
                             std::to_string(k));
    const double dx = x1[k] - x0[k], dy = y1[k] - y0[k];
    const double len = std::hypot(dx, dy);
    if (len == 0) continue;
    double t0 = 0, t1 = 1;
    if (!clip(x0[k], dx, grid.x0, xmax, t0, t1) || !clip(y0[k], dy, ymin, grid.y0, t0, t1)) continue;
    ts.assign({t0});
    crossings(x0[k], dx, grid.x0, grid.cell, t0, t1, ts);
    crossings(y0[k], dy, ymin, grid.cell, t0, t1, ts);
    ts.push_back(t1);
    std::sort(ts.begin() + 1, ts.end() - 1);
    for (size_t i = 0; i + 1 < ts.size(); ++i) {
      const double a = ts[i], b = ts[i + 1];
      if (b <= a) continue;
      const double tm = 0.5 * (a + b);
      const auto col = std::clamp<std::int64_t>(
          static_cast<std::int64_t>(std::floor((x0[k] + tm * dx - grid.x0) / grid.cell)), 0, grid.nx - 1);
      const auto row = std::clamp<std::int64_t>(
          static_cast<std::int64_t>(std::floor((grid.y0 - (y0[k] + tm * dy)) / grid.cell)), 0, grid.ny - 1);
      length[row * grid.nx + col] += (b - a) * len;
    }
  }
  return Status::Ok();
}

Status point_counts(const double* x, const double* y, std::int64_t n, const SegmentGrid& grid,
                    double* count) {
  if (!valid_grid(grid)) return Status::Invalid("distance.point_counts: bad grid");
  if (n < 0) return Status::Invalid("distance.point_counts: negative point count");
  if (n == 0 || grid.nx == 0 || grid.ny == 0) return Status::Ok();
  if (!x || !y || !count) return Status::Invalid("distance.point_counts: null buffer");
  for (std::int64_t k = 0; k < n; ++k) {
    if (!std::isfinite(x[k]) || !std::isfinite(y[k])) continue;
    const double c = std::floor((x[k] - grid.x0) / grid.cell), r = std::floor((grid.y0 - y[k]) / grid.cell);
    if (c < 0 || r < 0 || c >= static_cast<double>(grid.nx) || r >= static_cast<double>(grid.ny)) continue;
    count[static_cast<std::int64_t>(r) * grid.nx + static_cast<std::int64_t>(c)] += 1.0;
  }
  return Status::Ok();
}

Status circular_density(const double* value, std::int64_t nx, std::int64_t ny, const DensityParams& params,
                        float* out) {
  if (nx < 0 || ny < 0) return Status::Invalid("distance.circular_density: negative grid size");
  if (!(params.cell > 0) || !std::isfinite(params.cell))
    return Status::Invalid("distance.circular_density: cell must be positive and finite");
  if (!(params.radius >= 0.5 * params.cell) || !std::isfinite(params.radius))
    return Status::Invalid("distance.circular_density: radius must be at least half a cell");
  if (nx == 0 || ny == 0) return Status::Ok();
  if (!value || !out) return Status::Invalid("distance.circular_density: null buffer");
  const double rc = params.radius / params.cell, rr = rc * rc;
  const auto reach = static_cast<std::int64_t>(std::floor(rc));
  std::vector<std::int64_t> dr, dc;
  for (std::int64_t a = -reach; a <= reach; ++a)
    for (std::int64_t b = -reach; b <= reach; ++b)
      if (static_cast<double>(a * a + b * b) <= rr) {
        dr.push_back(a);
        dc.push_back(b);
      }
  const double area = M_PI * params.radius * params.radius;
  const auto m = static_cast<std::int64_t>(dr.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < ny; ++r)
    for (std::int64_t c = 0; c < nx; ++c) {
      double s = 0;
      for (std::int64_t k = 0; k < m; ++k) {
        const std::int64_t rr2 = r + dr[static_cast<size_t>(k)], cc = c + dc[static_cast<size_t>(k)];
        if (rr2 >= 0 && rr2 < ny && cc >= 0 && cc < nx) s += value[rr2 * nx + cc];
      }
      out[r * nx + c] = static_cast<float>(s / area);
    }
  return Status::Ok();
}

namespace {

struct Meet {
  bool found = false;
  double x = 0, y = 0;
};

double clamp01(double t) { return t < 0 ? 0 : (t > 1 ? 1 : t); }

// Distance from (px, py) to segment a-b, and the nearest point of it.
double to_segment(double px, double py, double ax, double ay, double bx, double by, double& qx, double& qy) {
  const double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
  const double t = l2 > 0 ? clamp01(((px - ax) * dx + (py - ay) * dy) / l2) : 0.0;
  qx = ax + t * dx;
  qy = ay + t * dy;
  return std::hypot(px - qx, py - qy);
}

Meet meet(double ax, double ay, double bx, double by, double cx, double cy, double dx, double dy,
          double tol) {
  Meet m;
  const double rx = bx - ax, ry = by - ay, sx = dx - cx, sy = dy - cy;
  const double den = rx * sy - ry * sx;
  const double lr = std::hypot(rx, ry), ls = std::hypot(sx, sy);
  if (std::abs(den) > 1e-12 * lr * ls && lr > 0 && ls > 0) {
    const double t = ((cx - ax) * sy - (cy - ay) * sx) / den;
    const double u = ((cx - ax) * ry - (cy - ay) * rx) / den;
    // Distance along each segment beyond its ends, in map units.
    const double over_t = std::max({0.0, -t, t - 1}) * lr, over_u = std::max({0.0, -u, u - 1}) * ls;
    if (over_t <= tol && over_u <= tol) {
      m.found = true;
      // The crossing clamped onto the segment that reaches it: an undershooting line ends on the other.
      const double tc = clamp01(t), uc = clamp01(u);
      if (over_t >= over_u) {
        m.x = cx + uc * sx;
        m.y = cy + uc * sy;
      } else {
        m.x = ax + tc * rx;
        m.y = ay + tc * ry;
      }
    }
    return m;
  }
  // Parallel (or degenerate): an endpoint of one within tol of the other.
  const double ends[4][2] = {{ax, ay}, {bx, by}, {cx, cy}, {dx, dy}};
  for (int k = 0; k < 4; ++k) {
    double qx, qy;
    const double d = k < 2 ? to_segment(ends[k][0], ends[k][1], cx, cy, dx, dy, qx, qy)
                           : to_segment(ends[k][0], ends[k][1], ax, ay, bx, by, qx, qy);
    if (d <= tol) {
      m.found = true;
      m.x = ends[k][0];
      m.y = ends[k][1];
      return m;
    }
  }
  return m;
}

} // namespace

Status segment_intersections(const double* x0, const double* y0, const double* x1, const double* y1,
                             const std::int64_t* owner, std::int64_t n, const IntersectionParams& params,
                             std::vector<double>& x, std::vector<double>& y) {
  x.clear();
  y.clear();
  if (n < 0) return Status::Invalid("distance.segment_intersections: negative segment count");
  if (n > 0 && (!x0 || !y0 || !x1 || !y1 || !owner))
    return Status::Invalid("distance.segment_intersections: null array");
  if (!(params.tolerance >= 0) || !std::isfinite(params.tolerance) || !(params.bucket > 0) ||
      !std::isfinite(params.bucket))
    return Status::Invalid("distance.segment_intersections: tolerance must be >= 0 and bucket > 0");
  if (n == 0) return Status::Ok();
  double minx = std::numeric_limits<double>::infinity(), miny = minx;
  for (std::int64_t k = 0; k < n; ++k) {
    if (!std::isfinite(x0[k]) || !std::isfinite(y0[k]) || !std::isfinite(x1[k]) || !std::isfinite(y1[k]))
      return Status::Invalid("distance.segment_intersections: a segment has a non-finite coordinate");
    minx = std::min({minx, x0[k], x1[k]});
    miny = std::min({miny, y0[k], y1[k]});
  }
  const double tol = params.tolerance, b = params.bucket;
  // A junction point lies on one segment and within 2 tol of the other: buckets cover that much.
  const double pad = 2 * tol;
  minx -= pad;
  miny -= pad;
  auto cell = [&](double v, double lo) { return static_cast<std::int64_t>(std::floor((v - lo) / b)); };
  // (bucket key, segment) pairs, sorted by key: the buckets' members in segment order.
  std::vector<std::pair<std::int64_t, std::int64_t>> members;
  std::int64_t cols = 1;
  for (std::int64_t k = 0; k < n; ++k)
    cols = std::max(cols, cell(std::max(x0[k], x1[k]) + pad, minx) + 1);
  for (std::int64_t k = 0; k < n; ++k) {
    const std::int64_t c0 = cell(std::min(x0[k], x1[k]) - pad, minx),
                       c1 = cell(std::max(x0[k], x1[k]) + pad, minx);
    const std::int64_t r0 = cell(std::min(y0[k], y1[k]) - pad, miny),
                       r1 = cell(std::max(y0[k], y1[k]) + pad, miny);
    if ((c1 - c0 + 1) * (r1 - r0 + 1) > (std::int64_t{1} << 24))
      return Status::Invalid(
          "distance.segment_intersections: a segment spans too many buckets (raise bucket)");
    for (std::int64_t r = r0; r <= r1; ++r)
      for (std::int64_t c = c0; c <= c1; ++c)
        members.emplace_back(r * cols + c, k);
  }
  std::sort(members.begin(), members.end());
  std::vector<std::pair<double, double>> pts;
  for (size_t a = 0; a < members.size();) {
    size_t e = a;
    while (e < members.size() && members[e].first == members[a].first)
      ++e;
    const std::int64_t key = members[a].first;
    for (size_t i = a; i < e; ++i)
      for (size_t j = i + 1; j < e; ++j) {
        const std::int64_t p = members[i].second, q = members[j].second;
        if (owner[p] == owner[q]) continue;
        const Meet m = meet(x0[p], y0[p], x1[p], y1[p], x0[q], y0[q], x1[q], y1[q], tol);
        if (!m.found) continue;
        // Reported from the bucket holding the point only (a pair shares up to several buckets).
        if (cell(m.y, miny) * cols + cell(m.x, minx) != key) continue;
        pts.emplace_back(m.x, m.y);
      }
    a = e;
  }
  std::sort(pts.begin(), pts.end());
  pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
  for (const auto& [px, py] : pts) {
    x.push_back(px);
    y.push_back(py);
  }
  return Status::Ok();
}

} // namespace prospector::kernels
