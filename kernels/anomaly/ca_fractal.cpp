#include "kernels/anomaly/ca_fractal.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prospector::kernels {

namespace {

constexpr std::int64_t kBlockCells = 16384;

inline bool usable(float v) { return std::isfinite(v) && v > 0.0f; }

// Weighted prefix sums of the (centred) points, so that any run's weighted least-squares line costs O(1).
struct Prefix {
  std::vector<double> w, x, y, xx, xy, yy;
  void build(const std::vector<double>& px, const std::vector<double>& py, const std::vector<double>& pw) {
    const std::size_t k = px.size();
    for (auto* v : {&w, &x, &y, &xx, &xy, &yy})
      v->assign(k + 1, 0.0);
    for (std::size_t i = 0; i < k; ++i) {
      w[i + 1] = w[i] + pw[i];
      x[i + 1] = x[i] + pw[i] * px[i];
      y[i + 1] = y[i] + pw[i] * py[i];
      xx[i + 1] = xx[i] + pw[i] * px[i] * px[i];
      xy[i + 1] = xy[i] + pw[i] * px[i] * py[i];
      yy[i + 1] = yy[i] + pw[i] * py[i] * py[i];
    }
  }
  // Line over points [a, b): slope, intercept (in the centred frame) and weighted SSE.
  void fit(std::size_t a, std::size_t b, double& slope, double& icpt, double& sse) const {
    const double m = w[b] - w[a], sx = x[b] - x[a], sy = y[b] - y[a];
    const double cxx = (xx[b] - xx[a]) - sx * sx / m;
    const double cxy = (xy[b] - xy[a]) - sx * sy / m;
    const double cyy = (yy[b] - yy[a]) - sy * sy / m;
    slope = cxx > 0.0 ? cxy / cxx : 0.0;
    icpt = (sy - slope * sx) / m;
    sse = std::max(0.0, cyy - slope * cxy);
  }
};

} // namespace

Status ca_fractal(const float* in, std::int64_t n, const CaFractalParams& params, CaFractalScratch& scratch,
                  CaFractalResult& result) {
  if (n < 0 || (in == nullptr && n > 0)) return Status::Invalid("ca_fractal: invalid array");
  const std::int64_t T = params.thresholds;
  if (T < 4) return Status::Invalid("ca_fractal: thresholds must be >= 4");
  if (params.segments < 1 || params.segments > 3)
    return Status::Invalid("ca_fractal: segments must be 1, 2 or 3");
  if (params.min_points < 2) return Status::Invalid("ca_fractal: min_points must be >= 2");
  if (!std::isfinite(params.min_value) || !std::isfinite(params.max_value) || !std::isfinite(params.min_area))
    return Status::Invalid("ca_fractal: min_value, max_value and min_area must be finite");

  result = CaFractalResult{};
  // Range of the valid values (a sequential min/max is order-independent, hence thread-independent).
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = in[i];
    if (usable(v)) {
      ++result.valid;
      lo = std::min(lo, static_cast<double>(v));
      hi = std::max(hi, static_cast<double>(v));
    } else if (!std::isnan(v)) {
      ++result.skipped;
    }
  }
  if (result.valid == 0) return Status::Invalid("ca_fractal: no valid (finite, positive) value");
  if (params.min_value > 0.0) lo = params.min_value;
  if (params.max_value > 0.0) hi = params.max_value;
  if (!(hi > lo)) return Status::Invalid("ca_fractal: the threshold range is empty (constant data?)");

  auto& thr = result.threshold;
  ca_threshold_grid(lo, hi, T, thr);
  const double llo = std::log(lo), step = (std::log(hi) - llo) / static_cast<double>(T - 1);

  // Histogram: bin k holds the values in [v_k, v_{k+1}) (the last bin everything >= v_{T-1}).
  const std::int64_t blocks = (n + kBlockCells - 1) / kBlockCells;
  scratch.hist.assign(static_cast<std::size_t>(blocks * T), 0);
  std::int64_t* hist = scratch.hist.data();
  const double* tv = thr.data();
#pragma omp parallel for schedule(static)
  for (std::int64_t b = 0; b < blocks; ++b) {
    std::int64_t* h = hist + b * T;
    for (std::int64_t i = b * kBlockCells; i < std::min(n, (b + 1) * kBlockCells); ++i) {
      const float v = in[i];
      if (!usable(v)) continue;
      const double d = v;
      const double guess = std::floor((std::log(d) - llo) / step);
      std::int64_t k =
          guess < -1.0 ? -1 : (guess > static_cast<double>(T - 1) ? T - 1 : static_cast<std::int64_t>(guess));
      // The log guess can be one off near a threshold; the comparisons below make the bin exact.
      while (k + 1 < T && d >= tv[k + 1])
        ++k;
      while (k >= 0 && d < tv[k])
        --k;
      if (k >= 0) ++h[k];
    }
  }
  auto& area = result.area;
  area.assign(static_cast<std::size_t>(T), 0);
  std::int64_t acc = 0;
  for (std::int64_t k = T - 1; k >= 0; --k) {
    for (std::int64_t b = 0; b < blocks; ++b)
      acc += hist[b * T + k];
    area[k] = acc;
  }
  return ca_fractal_fit(params, result);
}

void ca_threshold_grid(double lo, double hi, std::int64_t T, std::vector<double>& thr) {
  const double llo = std::log(lo), step = (std::log(hi) - llo) / static_cast<double>(T - 1);
  thr.resize(static_cast<std::size_t>(T));
  for (std::int64_t k = 0; k < T; ++k)
    thr[k] = std::exp(llo + static_cast<double>(k) * step);
  thr[0] = lo;
  thr[T - 1] = hi;
}

Status ca_fractal_fit(const CaFractalParams& params, CaFractalResult& result) {
  const auto T = static_cast<std::int64_t>(result.threshold.size());
  if (T < 4 || result.area.size() != result.threshold.size())
    return Status::Invalid("ca_fractal_fit: need >= 4 thresholds and one area per threshold");
  if (params.segments < 1 || params.segments > 3)
    return Status::Invalid("ca_fractal_fit: segments must be 1, 2 or 3");
  if (params.min_points < 2) return Status::Invalid("ca_fractal_fit: min_points must be >= 2");
  const auto& thr = result.threshold;
  const auto& area = result.area;
  result.slopes.clear();
  result.intercepts.clear();
  result.break_index.clear();
  result.breaks.clear();
  result.break_lines.clear();

  // Points of the fit: the prefix with A >= min_area (and A > 0 for the log).
  std::int64_t K = 0;
  while (K < T && area[K] > 0 && static_cast<double>(area[K]) >= params.min_area)
    ++K;
  result.points = K;
  const std::int64_t mp = params.min_points;
  if (K < params.segments * mp)
    return Status::Invalid("ca_fractal: fewer than segments * min_points thresholds with A >= min_area");

  // Centring the coordinates keeps the prefix-sum regression free of cancellation.
  std::vector<double> px(static_cast<std::size_t>(K)), py(static_cast<std::size_t>(K));
  double cx = 0.0, cy = 0.0;
  for (std::int64_t k = 0; k < K; ++k) {
    px[k] = std::log10(thr[k]);
    py[k] = std::log10(static_cast<double>(area[k]));
    cx += px[k];
    cy += py[k];
  }
  cx /= static_cast<double>(K);
  cy /= static_cast<double>(K);
  for (std::int64_t k = 0; k < K; ++k) {
    px[k] -= cx;
    py[k] -= cy;
  }
  // Poisson counts: var(log10 A) ~ 1 / (A ln(10)^2), so weights A ln(10)^2 make the residuals comparable
  // along the curve (the sparse top thresholds no longer dominate) and the weighted SSE a chi-square.
  std::vector<double> pw(static_cast<std::size_t>(K));
  for (std::int64_t k = 0; k < K; ++k)
    pw[k] = params.weighted ? static_cast<double>(area[k]) * std::log(10.0) * std::log(10.0) : 1.0;
  Prefix pre;
  pre.build(px, py, pw);
  auto seg_sse = [&](std::int64_t a, std::int64_t b) {
    double s, c, e;
    pre.fit(static_cast<std::size_t>(a), static_cast<std::size_t>(b), s, c, e);
    return e;
  };

  // Exhaustive search of the break positions: O(K) for two segments, O(K^2) for three.
  const std::int64_t segs = params.segments;
  double best_sse = std::numeric_limits<double>::infinity();
  std::vector<std::int64_t> best_cuts; // first point of each run after the first
  if (segs == 1) {
    best_sse = seg_sse(0, K);
  } else if (segs == 2) {
    for (std::int64_t i = mp; i <= K - mp; ++i) {
      const double e = seg_sse(0, i) + seg_sse(i, K);
      if (e < best_sse) {
        best_sse = e;
        best_cuts = {i};
      }
    }
  } else {
    for (std::int64_t i = mp; i <= K - 2 * mp; ++i)
      for (std::int64_t j = i + mp; j <= K - mp; ++j) {
        const double e = seg_sse(0, i) + seg_sse(i, j) + seg_sse(j, K);
        if (e < best_sse) {
          best_sse = e;
          best_cuts = {i, j};
        }
      }
  }

  result.segments = static_cast<std::int64_t>(best_cuts.size()) + 1;
  result.sse = best_sse;
  std::vector<std::int64_t> starts = {0};
  starts.insert(starts.end(), best_cuts.begin(), best_cuts.end());
  starts.push_back(K);
  for (std::int64_t g = 0; g < result.segments; ++g) {
    double slope, icpt, e;
    pre.fit(static_cast<std::size_t>(starts[g]), static_cast<std::size_t>(starts[g + 1]), slope, icpt, e);
    // Back from the centred frame: y - cy = icpt + slope (x - cx).
    result.slopes.push_back(slope);
    result.intercepts.push_back(icpt + cy - slope * cx);
  }
  for (std::size_t b = 0; b < best_cuts.size(); ++b) {
    const std::int64_t k = best_cuts[b];
    result.break_index.push_back(k);
    result.breaks.push_back(thr[k]);
    const double ds = result.slopes[b] - result.slopes[b + 1];
    result.break_lines.push_back(ds != 0.0
                                     ? std::pow(10.0, (result.intercepts[b + 1] - result.intercepts[b]) / ds)
                                     : std::numeric_limits<double>::quiet_NaN());
  }
  return Status::Ok();
}

} // namespace prospector::kernels
