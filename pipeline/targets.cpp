#include "pipeline/targets.hpp"

#include "kernels/components.hpp"
#include "pipeline/errors.hpp"
#include "pipeline/gdal_util.hpp"

#include <gdal_alg.h>
#include <ogr_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace prospector {

namespace {

Ring ring_of(OGRGeometryH r) {
  Ring out;
  const int n = OGR_G_GetPointCount(r);
  for (int i = 0; i < n; ++i) out.push_back({OGR_G_GetX(r, i), OGR_G_GetY(r, i)});
  return out;
}

void add_polygons(OGRGeometryH g, std::vector<Polygon>& out) {
  const auto type = wkbFlatten(OGR_G_GetGeometryType(g));
  if (type == wkbPolygon) {
    Polygon p;
    for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i) p.push_back(ring_of(OGR_G_GetGeometryRef(g, i)));
    out.push_back(std::move(p));
  } else if (type == wkbMultiPolygon) {
    for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i) add_polygons(OGR_G_GetGeometryRef(g, i), out);
  }
}

// Outlines every target at once with GDAL's polygonizer over the label raster.
void outline(const GridSpec& grid, const std::vector<std::int32_t>& cell_target, std::vector<Target>& targets) {
  gdal::ensure_initialized();
  std::vector<std::int32_t> ids(cell_target.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = cell_target[i] + 1;
  gdal::Dataset mem(GDALCreate(GDALGetDriverByName("MEM"), "", static_cast<int>(grid.nx), static_cast<int>(grid.ny), 1,
                               GDT_Int32, nullptr));
  if (!mem) throw_runtime("targets: cannot allocate the label raster");
  auto gt = grid.geotransform();
  GDALSetGeoTransform(mem.get(), gt.data());
  GDALRasterBandH band = GDALGetRasterBand(mem.get(), 1);
  if (GDALRasterIO(band, GF_Write, 0, 0, static_cast<int>(grid.nx), static_cast<int>(grid.ny), ids.data(),
                   static_cast<int>(grid.nx), static_cast<int>(grid.ny), GDT_Int32, 0, 0) != CE_None)
    throw_runtime("targets: cannot fill the label raster: " + gdal::last_error());
  gdal::Dataset vec(GDALCreate(GDALGetDriverByName("Memory"), "", 0, 0, 0, GDT_Unknown, nullptr));
  if (!vec) throw_runtime("targets: cannot create the in-memory vector layer");
  OGRLayerH layer = GDALDatasetCreateLayer(vec.get(), "t", nullptr, wkbPolygon, nullptr);
  OGRFieldDefnH fd = OGR_Fld_Create("id", OFTInteger);
  OGR_L_CreateField(layer, fd, TRUE);
  OGR_Fld_Destroy(fd);
  const char* opts[] = {"8CONNECTED=8", nullptr};
  if (GDALPolygonize(band, band, layer, 0, const_cast<char**>(opts), nullptr, nullptr) != CE_None)
    throw_runtime("targets: polygonize failed: " + gdal::last_error());
  OGR_L_ResetReading(layer);
  while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
    const int id = OGR_F_GetFieldAsInteger(f, 0) - 1;
    if (id >= 0 && id < static_cast<int>(targets.size())) add_polygons(OGR_F_GetGeometryRef(f), targets[static_cast<size_t>(id)].polygons);
    OGR_F_Destroy(f);
  }
}

} // namespace

CommodityTargets extract_targets(const std::string& commodity, const GridSpec& grid, const float* score,
                                 const TargetOptions& opts, std::vector<std::int32_t>& cell_target) {
  CommodityTargets out;
  out.commodity = commodity;
  out.top_fraction = opts.top_fraction;
  kernels::ConstGridView view{score, grid.nx, grid.ny};
  std::vector<float> scratch;
  kernels::Status st = kernels::top_fraction_threshold(view, opts.top_fraction, scratch, out.threshold);
  if (!st.ok) throw_input("targets for " + commodity + ": " + st.message + " (the prospectivity grid has no valid cell)");
  std::vector<std::int32_t> labels;
  std::int32_t n = 0;
  st = kernels::label_components(view, out.threshold, labels, n);
  if (!st.ok) throw_runtime("targets for " + commodity + ": " + st.message);

  struct Acc {
    std::int64_t cells = 0;
    double sum = 0, sx = 0, sy = 0, peak = -1;
    std::int64_t peak_cell = 0, first = -1;
    std::int64_t c0 = 0, c1 = 0, r0 = 0, r1 = 0;
  };
  std::vector<Acc> acc(static_cast<size_t>(n));
  for (std::int64_t r = 0; r < grid.ny; ++r)
    for (std::int64_t c = 0; c < grid.nx; ++c) {
      const std::int64_t i = r * grid.nx + c;
      const std::int32_t l = labels[static_cast<size_t>(i)];
      if (l <= 0) continue;
      Acc& a = acc[static_cast<size_t>(l - 1)];
      if (a.first < 0) {
        a.first = i;
        a.c0 = a.c1 = c;
        a.r0 = a.r1 = r;
      }
      a.cells++;
      a.sum += score[i];
      a.sx += grid.x_center(c);
      a.sy += grid.y_center(r);
      if (score[i] > a.peak) {
        a.peak = score[i];
        a.peak_cell = i;
      }
      a.c0 = std::min(a.c0, c);
      a.c1 = std::max(a.c1, c);
      a.r0 = std::min(a.r0, r);
      a.r1 = std::max(a.r1, r);
    }
  std::vector<std::int32_t> order;
  for (std::int32_t l = 0; l < n; ++l)
    if (acc[static_cast<size_t>(l)].cells >= opts.min_cells) order.push_back(l);
  std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
    const Acc &x = acc[static_cast<size_t>(a)], &y = acc[static_cast<size_t>(b)];
    if (x.peak != y.peak) return x.peak > y.peak;
    const double mx = x.sum / static_cast<double>(x.cells), my = y.sum / static_cast<double>(y.cells);
    if (mx != my) return mx > my;
    if (x.cells != y.cells) return x.cells > y.cells;
    return x.first < y.first;
  });
  if (static_cast<std::int64_t>(order.size()) > opts.max_targets) order.resize(static_cast<size_t>(opts.max_targets));
  std::vector<std::int32_t> label_to_target(static_cast<size_t>(n) + 1, -1);
  for (size_t k = 0; k < order.size(); ++k) {
    const Acc& a = acc[static_cast<size_t>(order[k])];
    label_to_target[static_cast<size_t>(order[k]) + 1] = static_cast<std::int32_t>(k);
    Target t;
    t.rank = static_cast<int>(k) + 1;
    t.peak_score = a.peak;
    t.mean_score = a.sum / static_cast<double>(a.cells);
    t.cells = a.cells;
    t.area = static_cast<double>(a.cells) * grid.cell_area();
    t.centroid_x = a.sx / static_cast<double>(a.cells);
    t.centroid_y = a.sy / static_cast<double>(a.cells);
    t.peak_x = grid.x_center(a.peak_cell % grid.nx);
    t.peak_y = grid.y_center(a.peak_cell / grid.nx);
    t.xmin = grid.x0 + static_cast<double>(a.c0) * grid.cell;
    t.xmax = grid.x0 + static_cast<double>(a.c1 + 1) * grid.cell;
    t.ymax = grid.y0 - static_cast<double>(a.r0) * grid.cell;
    t.ymin = grid.y0 - static_cast<double>(a.r1 + 1) * grid.cell;
    out.targets.push_back(std::move(t));
  }
  cell_target.assign(labels.size(), -1);
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] > 0) cell_target[i] = label_to_target[static_cast<size_t>(labels[i])];
  outline(grid, cell_target, out.targets);
  return out;
}

void EvidenceTally::add(const std::string& id, const float* weighted, const std::vector<std::int32_t>& cell_target) {
  std::vector<double> s(n_targets_, 0.0);
  for (size_t i = 0; i < cell_target.size(); ++i)
    if (cell_target[i] >= 0 && !std::isnan(weighted[i])) s[static_cast<size_t>(cell_target[i])] += weighted[i];
  ids_.push_back(id);
  sums_.push_back(std::move(s));
}

void EvidenceTally::finish(CommodityTargets& targets) const {
  for (size_t t = 0; t < targets.targets.size() && t < n_targets_; ++t) {
    std::vector<size_t> idx(ids_.size());
    std::iota(idx.begin(), idx.end(), 0);
    double total = 0;
    for (size_t e = 0; e < ids_.size(); ++e) total += sums_[e][t];
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return sums_[a][t] > sums_[b][t]; });
    std::string s;
    for (size_t k = 0; k < idx.size() && k < 3; ++k) {
      if (total <= 0) break;
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s%s:%.2f", s.empty() ? "" : ",", ids_[idx[k]].c_str(), sums_[idx[k]][t] / total);
      s += buf;
    }
    targets.targets[t].evidence = s;
  }
}

} // namespace prospector
