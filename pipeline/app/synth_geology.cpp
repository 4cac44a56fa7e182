#include "pipeline/app/synth_geology.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/io/gdal_util.hpp"

#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace prospector::synth {

namespace {

// One feature: its WKT and attribute value.
using Feature = std::pair<std::string, std::string>;

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::string ellipse(double x, double y, double rx, double ry, double rotation) {
  std::string w = "POLYGON((";
  const int n = 72;
  for (int i = 0; i <= n; ++i) {
    const double a = 2.0 * kPi * (i % n) / n;
    const double ex = rx * std::cos(a), ey = ry * std::sin(a);
    const double px = x + ex * std::cos(rotation) - ey * std::sin(rotation);
    const double py = y + ex * std::sin(rotation) + ey * std::cos(rotation);
    w += (i ? "," : "") + fmt(px) + " " + fmt(py);
  }
  return w + "))";
}

std::string rect(double x0, double y0, double x1, double y1) {
  return "POLYGON((" + fmt(x0) + " " + fmt(y0) + "," + fmt(x1) + " " + fmt(y0) + "," + fmt(x1) + " " +
         fmt(y1) + "," + fmt(x0) + " " + fmt(y1) + "," + fmt(x0) + " " + fmt(y0) + "))";
}

std::string line(double xa, double ya, double xb, double yb) {
  return "LINESTRING(" + fmt(xa) + " " + fmt(ya) + "," + fmt(xb) + " " + fmt(yb) + ")";
}

void write_layer(const std::string& path, const char* layer_name, OGRwkbGeometryType type, const char* field,
                 const std::vector<Feature>& features) {
  const std::string what = "synth: " + path;
  std::error_code ec;
  std::filesystem::remove(path, ec); // GeoPackage is a database: start from an empty file
  GDALDriverH drv = GDALGetDriverByName("GPKG");
  if (!drv) throw_runtime(what + ": GDAL has no GPKG driver");
  gdal::clear_error();
  gdal::Dataset ds(GDALCreate(drv, path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds) throw_runtime(what + ": cannot create: " + gdal::last_error());
  const auto srs = gdal::SpatialRef::from_user_input("EPSG:28350", "synth", ErrorKind::Runtime);
  OGRLayerH layer = GDALDatasetCreateLayer(ds.get(), layer_name, srs.get(), type, nullptr);
  if (!layer) throw_runtime(what + ": cannot create layer " + layer_name + ": " + gdal::last_error());
  OGRFieldDefnH fd = OGR_Fld_Create(field, OFTString);
  const OGRErr fe = OGR_L_CreateField(layer, fd, 1);
  OGR_Fld_Destroy(fd);
  if (fe != OGRERR_NONE) throw_runtime(what + ": cannot create field " + field + ": " + gdal::last_error());
  if (GDALDatasetStartTransaction(ds.get(), 0) != OGRERR_NONE)
    throw_runtime(what + ": cannot start a transaction: " + gdal::last_error());
  for (const auto& [wkt, value] : features) {
    gdal::Feature f(OGR_F_Create(OGR_L_GetLayerDefn(layer)));
    OGR_F_SetFieldString(f.get(), 0, value.c_str());
    OGRGeometryH g = nullptr;
    char* text = const_cast<char*>(wkt.c_str());
    if (OGR_G_CreateFromWkt(&text, srs.get(), &g) != OGRERR_NONE)
      throw_runtime(what + ": bad geometry " + wkt.substr(0, 60));
    gdal::Geometry owned(g);
    if (OGR_F_SetGeometry(f.get(), owned.get()) != OGRERR_NONE ||
        OGR_L_CreateFeature(layer, f.get()) != OGRERR_NONE)
      throw_runtime(what + ": cannot write a feature: " + gdal::last_error());
  }
  if (GDALDatasetCommitTransaction(ds.get()) != OGRERR_NONE)
    throw_runtime(what + ": cannot commit: " + gdal::last_error());
  ds.close_checked(what);
}

} // namespace

void write_geology(const Model& m, const std::string& geology, const std::string& faults,
                   const std::string& intrusions) {
  const double k = m.scale, margin = 3000.0;
  const double xmin = m.x0 - margin, xmax = m.x0 + m.width + margin;
  const double ymin = m.y0 - m.height - margin, ymax = m.y0 + margin;
  std::vector<Feature> units = {
      {rect(xmin, ymin, xmax, ymax), "sediments"},
      {rect(xmin, ymin, m.belt_x, ymax), "volcanics"},
      {ellipse(m.granite_x, m.granite_y, m.granite_r, m.granite_r, 0.0), "granite"}};
  std::vector<Feature> ultramafic, lines, stocks;
  for (const auto& s : m.sites) {
    if (s.kind == SiteKind::SnGranite) {
      // The cupola's granite crops out to the north-west: the deposit sits on its contact.
      const double r = 900 * k, a = 0.75 * kPi;
      units.push_back({ellipse(s.x + r * std::cos(a), s.y + r * std::sin(a), r, r, 0.0), "granite"});
    } else if (s.kind == SiteKind::NiCoSulphide) {
      ultramafic.push_back({ellipse(s.x, s.y, 650 * k, 380 * k, 0.3), "ultramafic"});
    } else if (s.kind == SiteKind::CuPorphyry) {
      // A NNE fault 40 m from the stock: porphyries sit on fault zones that focused the magmas.
      const double a = 0.42 * kPi, h = 2500 * k, ox = 40.0;
      lines.push_back({line(s.x + ox - h * std::cos(a), s.y - h * std::sin(a), s.x + ox + h * std::cos(a),
                            s.y + h * std::sin(a)),
                       "fault"});
      stocks.push_back({"POINT(" + fmt(s.x) + " " + fmt(s.y) + ")", "porphyry stock"});
    }
  }
  units.insert(units.end(), ultramafic.begin(), ultramafic.end());
  // Regional faults along the gaps between site rows, away from the deposits, and the two dykes of the model.
  lines.push_back({line(xmin, m.y0 - 0.74 * m.height, xmax, m.y0 - 0.70 * m.height), "fault"});
  lines.push_back(
      {line(m.x0 + 0.74 * m.width, ymax, m.x0 + 0.76 * m.width, m.y0 - 0.50 * m.height), "fault"});
  lines.push_back({line(xmin, m.y0 - 0.515 * m.height, xmax, m.y0 - 0.485 * m.height), "dyke"});
  lines.push_back({line(m.x0 + 0.505 * m.width, ymax, m.x0 + 0.495 * m.width, ymin), "dyke"});
  stocks.push_back({"POINT(" + fmt(m.granite_x) + " " + fmt(m.granite_y) + ")", "granite stock"});
  write_layer(geology, "units", wkbPolygon, "unit", units);
  write_layer(faults, "faults", wkbLineString, "type", lines);
  write_layer(intrusions, "intrusions", wkbPoint, "kind", stocks);
}

} // namespace prospector::synth
