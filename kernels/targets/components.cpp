#include "kernels/targets/components.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace prospector::kernels {

namespace {

bool valid_view(ConstGridView g) { return g.nx >= 0 && g.ny >= 0 && (g.data != nullptr || g.size() == 0); }

// Root with path halving. Roots are always the smallest cell index of their set (see unite), which is the
// component's first cell in raster order.
inline std::int64_t find_root(std::vector<std::int64_t>& parent, std::int64_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

inline void unite(std::vector<std::int64_t>& parent, std::int64_t a, std::int64_t b) {
  a = find_root(parent, a);
  b = find_root(parent, b);
  if (a < b)
    parent[b] = a;
  else if (b < a)
    parent[a] = b;
}

} // namespace

Status top_fraction_threshold(ConstGridView in, double top_fraction, std::vector<float>& scratch,
                              double& threshold) {
  if (!valid_view(in)) return Status::Invalid("top_fraction_threshold: invalid grid view");
  if (!(top_fraction > 0.0 && top_fraction <= 1.0))
    return Status::Invalid("top_fraction_threshold: top_fraction must be in (0, 1]");
  const std::int64_t n = in.size();
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < n; ++i)
    count += std::isnan(in.data[i]) ? 0 : 1;
  if (count == 0) return Status::Invalid("top_fraction_threshold: no valid cell");
  scratch.resize(static_cast<std::size_t>(count));
  std::size_t j = 0;
  for (std::int64_t i = 0; i < n; ++i)
    if (!std::isnan(in.data[i])) scratch[j++] = in.data[i];

  // Nearest rank k = ceil(fraction * count). A product that lands a rounding error above an integer
  // (0.3 * 10 = 3.0000000000000004) must not bump k to the next rank.
  const double p = top_fraction * static_cast<double>(count);
  const double nearest = std::round(p);
  double kd = std::abs(p - nearest) <= 1e-9 * std::max(1.0, p) ? nearest : std::ceil(p);
  std::int64_t k = static_cast<std::int64_t>(kd);
  k = std::clamp<std::int64_t>(k, 1, count);

  // The k-th largest value; selection gives the same value as a full descending sort in O(n).
  auto kth = scratch.begin() + static_cast<std::ptrdiff_t>(k - 1);
  std::nth_element(scratch.begin(), kth, scratch.end(), std::greater<float>());
  threshold = *kth;
  return Status::Ok();
}

Status label_components(ConstGridView in, double threshold, std::vector<std::int32_t>& labels,
                        std::int32_t& n_components) {
  n_components = 0;
  if (!valid_view(in)) return Status::Invalid("label_components: invalid grid view");
  if (std::isnan(threshold)) return Status::Invalid("label_components: threshold is NaN");
  const std::int64_t nx = in.nx, ny = in.ny, n = in.size();
  labels.assign(static_cast<std::size_t>(n), 0);
  if (n == 0) return Status::Ok();

  const float* v = in.data;
  auto on = [&](std::int64_t i) { return !std::isnan(v[i]) && static_cast<double>(v[i]) >= threshold; };

  // Union-find over cell indices; -1 marks background. Sequential: the scan is memory-bound and a
  // sequential pass keeps the union order (hence the result) trivially deterministic.
  std::vector<std::int64_t> parent(static_cast<std::size_t>(n), -1);
  for (std::int64_t r = 0; r < ny; ++r) {
    for (std::int64_t c = 0; c < nx; ++c) {
      const std::int64_t i = r * nx + c;
      if (!on(i)) continue;
      parent[i] = i;
      // Already-visited neighbours: west, north-west, north, north-east.
      if (c > 0 && parent[i - 1] >= 0) unite(parent, i, i - 1);
      if (r > 0) {
        const std::int64_t up = i - nx;
        if (c > 0 && parent[up - 1] >= 0) unite(parent, i, up - 1);
        if (parent[up] >= 0) unite(parent, i, up);
        if (c + 1 < nx && parent[up + 1] >= 0) unite(parent, i, up + 1);
      }
    }
  }

  std::int64_t next = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (parent[i] < 0) continue;
    const std::int64_t root = find_root(parent, i);
    if (root == i) {
      if (next == std::numeric_limits<std::int32_t>::max()) {
        labels.assign(static_cast<std::size_t>(n), 0);
        return Status::Invalid("label_components: more components than an int32 label can hold");
      }
      labels[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(++next);
    } else {
      labels[static_cast<std::size_t>(i)] = labels[static_cast<std::size_t>(root)];
    }
  }
  n_components = static_cast<std::int32_t>(next);
  return Status::Ok();
}

} // namespace prospector::kernels
