#include "pipeline/io/h5_write_util.hpp"

#include "pipeline/base/errors.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace prospector {

namespace {

using namespace h5;

// Signed area (shoelace) of a ring in map coordinates; > 0 when anticlockwise with y pointing north.
double signed_area(const Ring& r) {
  double a = 0.0;
  for (std::size_t i = 0; i + 1 < r.size(); ++i)
    a += r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1];
  if (!r.empty()) a += r.back()[0] * r.front()[1] - r.front()[0] * r.back()[1];
  return 0.5 * a;
}

} // namespace

void H5Writer::write_targets(const CommodityTargets& targets) {
  ErrorSilencer quiet;
  Impl& m = *impl_;
  const std::string& c = targets.commodity;
  m.require_open("write_targets(" + c + ")");
  const Checker& ck = m.ck;
  const hid_t f = m.root();
  if (!valid_name(c)) throw_runtime(ck.file() + ": invalid commodity name '" + c + "'");
  const std::string pre = "targets_" + c;
  const std::string poly = pre + "_polygon", point = pre + "_point", rep = pre + "_rep_point";
  const std::string inst_dim = "target_" + c, node_dim = "node_" + c, part_dim = "part_" + c;
  const std::size_t n = targets.targets.size();
  if (n == 0) {
    // GDAL's CF-1.8 reader rejects zero-length geometry dimensions ("A dimension has length <= 0") on every
    // open of the file, so an empty commodity is only recorded as a global attribute.
    require_new_name(ck, f, poly);
    m.str(f, "/", pre,
          "no targets (score threshold " + fmt17(targets.threshold) + ", top fraction " +
              fmt17(targets.top_fraction) + ")");
    return;
  }

  // Flatten the outlines into CF's node/part arrays. CF 1.8 (7.5) wants exterior rings anticlockwise and
  // interior rings clockwise; the closing node may repeat the first one, which GDAL and GEOS expect.
  std::vector<std::int32_t> ranks, node_count, part_node_count, interior;
  std::vector<double> node_x, node_y;
  for (const Target& t : targets.targets) {
    ranks.push_back(t.rank);
    std::int64_t nodes = 0;
    for (const Polygon& pg : t.polygons) {
      for (std::size_t r = 0; r < pg.size(); ++r) {
        if (pg[r].empty()) continue;
        Ring ring = pg[r];
        if (ring.front() != ring.back()) ring.push_back(ring.front());
        const bool want_ccw = (r == 0);
        if ((signed_area(ring) > 0) != want_ccw) std::reverse(ring.begin(), ring.end());
        for (const auto& p : ring) {
          node_x.push_back(p[0]);
          node_y.push_back(p[1]);
        }
        part_node_count.push_back(static_cast<std::int32_t>(ring.size()));
        interior.push_back(r == 0 ? 0 : 1);
        nodes += static_cast<std::int64_t>(ring.size());
      }
    }
    if (nodes == 0)
      throw_runtime(ck.file() + ": " + c + " target of rank " + std::to_string(t.rank) + " has no outline");
    node_count.push_back(static_cast<std::int32_t>(nodes));
  }
  const hsize_t nn = node_x.size(), np = part_node_count.size();

  // Dimensions: the instance dimension is a coordinate variable holding the ranks; node and part dimensions
  // are index coordinate variables so that every 1-D variable has a named dimension in netCDF.
  DatasetH inst = create_1d(ck, f, inst_dim, H5T_STD_I32LE, H5T_NATIVE_INT32, n, ranks.data());
  ck.ok(H5DSset_scale(inst.get(), inst_dim.c_str()), inst_dim, "H5DSset_scale");
  m.str(inst.get(), inst_dim, "long_name", c + " target rank (1 = best)");
  m.str(inst.get(), inst_dim, "units", "1");
  std::vector<std::int32_t> idx(std::max(nn, np));
  for (std::size_t i = 0; i < idx.size(); ++i)
    idx[i] = static_cast<std::int32_t>(i);
  DatasetH node = create_1d(ck, f, node_dim, H5T_STD_I32LE, H5T_NATIVE_INT32, nn, idx.data());
  ck.ok(H5DSset_scale(node.get(), node_dim.c_str()), node_dim, "H5DSset_scale");
  m.str(node.get(), node_dim, "long_name", "index of " + c + " target outline nodes");
  DatasetH part = create_1d(ck, f, part_dim, H5T_STD_I32LE, H5T_NATIVE_INT32, np, idx.data());
  ck.ok(H5DSset_scale(part.get(), part_dim.c_str()), part_dim, "H5DSset_scale");
  m.str(part.get(), part_dim, "long_name", "index of " + c + " target outline rings");

  const std::string xname = m.geographic ? "longitude" : "projection_x_coordinate";
  const std::string yname = m.geographic ? "latitude" : "projection_y_coordinate";
  const std::string xunits = m.geographic ? "degrees_east" : m.grid.units;
  const std::string yunits = m.geographic ? "degrees_north" : m.grid.units;
  const std::string area_units = m.geographic ? "degree2" : (m.grid.units == "m" ? "m2" : m.grid.units + "2");

  // Node coordinates (CF requires the axis attribute on them).
  {
    DatasetH nx = create_1d(ck, f, pre + "_node_x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nn, node_x.data());
    attach(ck, nx.get(), pre + "_node_x", node.get(), 0);
    m.str(nx.get(), pre + "_node_x", "standard_name", xname);
    m.str(nx.get(), pre + "_node_x", "long_name", "x of " + c + " target outline nodes");
    m.str(nx.get(), pre + "_node_x", "units", xunits);
    m.str(nx.get(), pre + "_node_x", "axis", "X");
    DatasetH ny = create_1d(ck, f, pre + "_node_y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nn, node_y.data());
    attach(ck, ny.get(), pre + "_node_y", node.get(), 0);
    m.str(ny.get(), pre + "_node_y", "standard_name", yname);
    m.str(ny.get(), pre + "_node_y", "long_name", "y of " + c + " target outline nodes");
    m.str(ny.get(), pre + "_node_y", "units", yunits);
    m.str(ny.get(), pre + "_node_y", "axis", "Y");

    DatasetH cnt =
        create_1d(ck, f, pre + "_node_count", H5T_STD_I32LE, H5T_NATIVE_INT32, n, node_count.data());
    attach(ck, cnt.get(), pre + "_node_count", inst.get(), 0);
    m.str(cnt.get(), pre + "_node_count", "long_name", "number of outline nodes of each " + c + " target");
    DatasetH pnc = create_1d(ck, f, pre + "_part_node_count", H5T_STD_I32LE, H5T_NATIVE_INT32, np,
                             part_node_count.data());
    attach(ck, pnc.get(), pre + "_part_node_count", part.get(), 0);
    m.str(pnc.get(), pre + "_part_node_count", "long_name", "number of nodes of each " + c + " outline ring");
    DatasetH ir =
        create_1d(ck, f, pre + "_interior_ring", H5T_STD_I32LE, H5T_NATIVE_INT32, np, interior.data());
    attach(ck, ir.get(), pre + "_interior_ring", part.get(), 0);
    m.str(ir.get(), pre + "_interior_ring", "long_name", "outline ring type of " + c + " targets");
    set_num_attr(ck, ir.get(), pre + "_interior_ring", "flag_values", H5T_STD_I32LE, H5T_NATIVE_INT32,
                 std::vector<std::int32_t>{0, 1});
    m.str(ir.get(), pre + "_interior_ring", "flag_meanings", "exterior_ring interior_ring");
  }

  // Geometry containers.
  {
    DatasetH g = create_scalar_int(ck, f, poly);
    m.str(g.get(), poly, "geometry_type", "polygon");
    m.str(g.get(), poly, "node_count", pre + "_node_count");
    m.str(g.get(), poly, "node_coordinates", pre + "_node_x " + pre + "_node_y");
    m.str(g.get(), poly, "part_node_count", pre + "_part_node_count");
    m.str(g.get(), poly, "interior_ring", pre + "_interior_ring");
    m.str(g.get(), poly, "grid_mapping", "crs");
    m.str(g.get(), poly, "long_name", "outlines of ranked " + c + " exploration targets");
    set_double_attr(ck, g.get(), poly, "score_threshold", {targets.threshold});
    set_double_attr(ck, g.get(), poly, "top_fraction", {targets.top_fraction});
    DatasetH pt = create_scalar_int(ck, f, point);
    m.str(pt.get(), point, "geometry_type", "point");
    m.str(pt.get(), point, "node_coordinates", pre + "_centroid_x " + pre + "_centroid_y");
    m.str(pt.get(), point, "grid_mapping", "crs");
    m.str(pt.get(), point, "long_name", "centroids of ranked " + c + " exploration targets");
    DatasetH rp = create_scalar_int(ck, f, rep);
    m.str(rp.get(), rep, "geometry_type", "point");
    m.str(rp.get(), rep, "node_coordinates", pre + "_rep_x " + pre + "_rep_y");
    m.str(rp.get(), rep, "grid_mapping", "crs");
    m.str(rp.get(), rep, "long_name",
          "representative points of ranked " + c + " exploration targets (inside the outline)");
  }

  // Data variables over the instance dimension.
  auto column = [&](const std::string& name, hid_t ftype, hid_t mtype, const void* data,
                    const std::string& geometry, const std::string& long_name, const std::string& units) {
    DatasetH d = create_1d(ck, f, name, ftype, mtype, n, data);
    attach(ck, d.get(), name, inst.get(), 0);
    m.str(d.get(), name, "long_name", long_name);
    if (!units.empty()) m.str(d.get(), name, "units", units);
    m.str(d.get(), name, "geometry", geometry);
    m.str(d.get(), name, "grid_mapping", "crs");
    return d;
  };
  std::vector<float> peak(n), mean(n);
  std::vector<double> area(n), cx(n), cy(n), rx(n), ry(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Target& t = targets.targets[i];
    peak[i] = static_cast<float>(t.peak_score);
    mean[i] = static_cast<float>(t.mean_score);
    area[i] = t.area;
    cx[i] = t.centroid_x;
    cy[i] = t.centroid_y;
    rx[i] = t.rep_x;
    ry[i] = t.rep_y;
  }
  column(pre + "_rank", H5T_STD_I32LE, H5T_NATIVE_INT32, ranks.data(), poly, c + " target rank (1 = best)",
         "1");
  column(pre + "_peak_score", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, peak.data(), poly,
         "peak " + c + " prospectivity in the target", "1");
  column(pre + "_mean_score", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, mean.data(), poly,
         "mean " + c + " prospectivity over the target", "1");
  column(pre + "_area", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, area.data(), poly, "area of the " + c + " target",
         area_units);
  {
    // The centroids are also the point container's node coordinates, hence axis/standard_name.
    DatasetH dx = column(pre + "_centroid_x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cx.data(), poly,
                         "x of the " + c + " target centroid", xunits);
    m.str(dx.get(), pre + "_centroid_x", "standard_name", xname);
    m.str(dx.get(), pre + "_centroid_x", "axis", "X");
    DatasetH dy = column(pre + "_centroid_y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cy.data(), poly,
                         "y of the " + c + " target centroid", yunits);
    m.str(dy.get(), pre + "_centroid_y", "standard_name", yname);
    m.str(dy.get(), pre + "_centroid_y", "axis", "Y");
    DatasetH qx =
        column(pre + "_rep_x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, rx.data(), poly,
               "x of a point inside the " + c + " target (centre of its cell nearest the centroid)", xunits);
    m.str(qx.get(), pre + "_rep_x", "standard_name", xname);
    m.str(qx.get(), pre + "_rep_x", "axis", "X");
    DatasetH qy =
        column(pre + "_rep_y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, ry.data(), poly,
               "y of a point inside the " + c + " target (centre of its cell nearest the centroid)", yunits);
    m.str(qy.get(), pre + "_rep_y", "standard_name", yname);
    m.str(qy.get(), pre + "_rep_y", "axis", "Y");
  }
  column(pre + "_point_rank", H5T_STD_I32LE, H5T_NATIVE_INT32, ranks.data(), point,
         c + " target rank (1 = best)", "1");
  column(pre + "_point_peak_score", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, peak.data(), point,
         "peak " + c + " prospectivity in the target", "1");
  column(pre + "_point_area", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, area.data(), point,
         "area of the " + c + " target", area_units);
  column(pre + "_rep_point_rank", H5T_STD_I32LE, H5T_NATIVE_INT32, ranks.data(), rep,
         c + " target rank (1 = best)", "1");

  // Evidence: one netCDF-4 string (HDF5 variable-length UTF-8, as netCDF-C writes NC_STRING) per target. A
  // classic char matrix (target, strlen) would show up in GDAL's subdataset list as a Byte raster.
  {
    const std::string ev = pre + "_evidence";
    require_new_name(ck, f, ev);
    TypeH stype(ck.id(H5Tcopy(H5T_C_S1), ev, "H5Tcopy"));
    ck.ok(H5Tset_size(stype.get(), H5T_VARIABLE), ev, "H5Tset_size");
    ck.ok(H5Tset_strpad(stype.get(), H5T_STR_NULLTERM), ev, "H5Tset_strpad");
    ck.ok(H5Tset_cset(stype.get(), H5T_CSET_UTF8), ev, "H5Tset_cset");
    const hsize_t edim = n;
    SpaceH espace(ck.id(H5Screate_simple(1, &edim, nullptr), ev, "H5Screate_simple"));
    PlistH edcpl = base_dcpl(ck, ev);
    DatasetH eds(
        ck.id(H5Dcreate2(f, ev.c_str(), stype.get(), espace.get(), H5P_DEFAULT, edcpl.get(), H5P_DEFAULT), ev,
              "H5Dcreate2"));
    std::vector<const char*> texts(n);
    for (std::size_t i = 0; i < n; ++i)
      texts[i] = targets.targets[i].evidence.c_str();
    ck.ok(H5Dwrite(eds.get(), stype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()), ev, "H5Dwrite");
    attach(ck, eds.get(), ev, inst.get(), 0);
    m.str(eds.get(), ev, "long_name", "top contributing evidence layers (id:share, largest first)");
    m.str(eds.get(), ev, "geometry", poly);
    m.str(eds.get(), ev, "grid_mapping", "crs");
  }
}

} // namespace prospector
