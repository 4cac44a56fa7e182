#include "pipeline/io/ingest.hpp"

#include "kernels/transform/log10.hpp"
#include "pipeline/base/errors.hpp"
#include "pipeline/base/sha256.hpp"
#include "pipeline/io/gdal_util.hpp"
#include "pipeline/io/geochem_csv.hpp"
#include "pipeline/io/ingest_detail.hpp"

#include <gdal_alg.h>

#include <algorithm>
#include <cmath>

// Geochemical point samples: read, transformed to the grid CRS, kept where they can reach the grid, and
// gridded per tile window (ingest.hpp).
namespace prospector {

namespace {

std::string where(const InputSpec& in) { return detail::input_where(in); }
using detail::Box;
using detail::grid_box;
using detail::sanitize_values;

} // namespace

PreparedPoints prepare_points(const InputSpec& in, const GridSpec& grid) {
  PreparedPoints p;
  GeochemSamples s = read_geochem_csv(in);
  p.log = describe_counts(in, s);
  gdal::SpatialRef ps =
      gdal::SpatialRef::from_user_input(in.crs, where(in) + ": key 'crs'", ErrorKind::Usage);
  gdal::SpatialRef gs = gdal::SpatialRef::from_user_input(grid.crs_wkt, "grid", ErrorKind::Usage);
  OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(ps.get(), gs.get());
  if (!ct) throw_input(where(in) + ": no transformation from its CRS to the grid CRS");
  std::vector<int> ok(s.x.size(), 0);
  OCTTransformEx(ct, static_cast<int>(s.x.size()), s.x.data(), s.y.data(), nullptr, ok.data());
  OCTDestroyCoordinateTransformation(ct);
  p.radius = in.gridding.radius > 0 ? in.gridding.radius : 4.0 * grid.cell;
  const Box gb = grid_box(grid);
  std::int64_t outside = 0, failed = 0, near = 0;
  p.log_values.assign(in.elements.size(), {});
  for (size_t i = 0; i < s.x.size(); ++i) {
    if (!ok[i] || !std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
      ++failed;
      continue;
    }
    if (s.x[i] < gb.xmin || s.x[i] > gb.xmax || s.y[i] < gb.ymin || s.y[i] > gb.ymax) ++outside;
    if (s.x[i] < gb.xmin - p.radius || s.x[i] > gb.xmax + p.radius || s.y[i] < gb.ymin - p.radius ||
        s.y[i] > gb.ymax + p.radius)
      continue; // cannot influence any cell
    ++near;
    p.x.push_back(s.x[i]);
    p.y.push_back(s.y[i]);
    for (size_t k = 0; k < in.elements.size(); ++k)
      p.log_values[k].push_back(s.values[k][i]);
  }
  p.log.push_back(in.id + ": " + std::to_string(outside) + " samples outside the grid extent, " +
                  std::to_string(failed) + " whose coordinates could not be transformed");
  if (near == 0)
    throw_input(where(in) + ": no sample lies on the analysis grid; check the input's crs and grid.extent");
  for (size_t k = 0; k < in.elements.size(); ++k) {
    auto& v = p.log_values[k];
    std::int64_t nonpos = 0;
    const auto st =
        kernels::log10_transform(v.data(), v.data(), static_cast<std::int64_t>(v.size()), {}, nonpos);
    if (!st.ok) throw_runtime(where(in) + ": log10 of element " + in.elements[k].element + ": " + st.message);
    std::int64_t usable = 0;
    for (float f : v)
      usable += std::isfinite(f) ? 1 : 0;
    if (usable == 0)
      throw_input(where(in) + ": element " + in.elements[k].element + " (column " + in.elements[k].column +
                  ") has no usable sample on the grid; check the column and the below_detection settings");
  }
  return p;
}

namespace {
bool near_window(const PreparedPoints& p, size_t i, const GridSpec& sub) {
  const double xmin = sub.x0 - p.radius, xmax = sub.x0 + sub.cell * static_cast<double>(sub.nx) + p.radius;
  const double ymax = sub.y0 + p.radius, ymin = sub.y0 - sub.cell * static_cast<double>(sub.ny) - p.radius;
  return p.x[i] >= xmin && p.x[i] <= xmax && p.y[i] >= ymin && p.y[i] <= ymax;
}
} // namespace

std::string points_key(const PreparedPoints& p, const GridSpec& sub) {
  Hash64 h;
  for (size_t i = 0; i < p.x.size(); ++i) {
    if (!near_window(p, i, sub)) continue;
    h.add(p.x[i]).add(p.y[i]);
    for (const auto& col : p.log_values)
      h.add(&col[i], sizeof(float));
  }
  return h.hex();
}

void grid_points_window(const InputSpec& in, const PreparedPoints& p, std::size_t k, const GridSpec& sub,
                        std::vector<float>& out) {
  std::vector<double> px, py, pz;
  for (size_t i = 0; i < p.x.size(); ++i)
    if (std::isfinite(p.log_values[k][i]) && near_window(p, i, sub)) {
      px.push_back(p.x[i]);
      py.push_back(p.y[i]);
      pz.push_back(p.log_values[k][i]);
    }
  out.assign(static_cast<size_t>(sub.size()), NAN);
  if (px.empty()) return;
  const double ymin = sub.y0 - sub.cell * static_cast<double>(sub.ny);
  const double xmax = sub.x0 + sub.cell * static_cast<double>(sub.nx);
  CPLErr err;
  gdal::clear_error();
  // Passing the north edge as "ymin" makes row 0 the northern row, as in the rest of the pipeline.
  if (in.gridding.method == "nearest") {
    GDALGridNearestNeighborOptions o{};
    o.nSizeOfStructure = sizeof(o);
    o.dfRadius1 = p.radius;
    o.dfRadius2 = p.radius;
    o.dfNoDataValue = NAN;
    err = GDALGridCreate(GGA_NearestNeighbor, &o, static_cast<GUInt32>(px.size()), px.data(), py.data(),
                         pz.data(), sub.x0, xmax, sub.y0, ymin, static_cast<GUInt32>(sub.nx),
                         static_cast<GUInt32>(sub.ny), GDT_Float32, out.data(), nullptr, nullptr);
  } else {
    GDALGridInverseDistanceToAPowerNearestNeighborOptions o{};
    o.nSizeOfStructure = sizeof(o);
    o.dfPower = in.gridding.power;
    o.dfRadius = p.radius;
    o.nMaxPoints = static_cast<GUInt32>(in.gridding.max_points);
    o.nMinPoints = static_cast<GUInt32>(in.gridding.min_points);
    o.dfNoDataValue = NAN;
    err = GDALGridCreate(GGA_InverseDistanceToAPowerNearestNeighbor, &o, static_cast<GUInt32>(px.size()),
                         px.data(), py.data(), pz.data(), sub.x0, xmax, sub.y0, ymin,
                         static_cast<GUInt32>(sub.nx), static_cast<GUInt32>(sub.ny), GDT_Float32, out.data(),
                         nullptr, nullptr);
  }
  if (err != CE_None) throw_runtime(where(in) + ": gridding failed: " + gdal::last_error());
  std::int64_t dummies = 0;
  sanitize_values(out, dummies);
}

} // namespace prospector
