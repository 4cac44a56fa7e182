#include "pipeline/io/training.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/io/gdal_util.hpp"

#include <cpl_conv.h>
#include <ogr_api.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace prospector {

bool DepositPoint::names(const std::string& c) const {
  return std::find(commodities.begin(), commodities.end(), c) != commodities.end();
}

std::vector<std::string> parse_commodities(const std::string& text) {
  // English names of the known commodities, whose codes are their element symbols.
  static const std::pair<const char*, const char*> names[] = {
      {"copper", "cu"}, {"lithium", "li"}, {"nickel", "ni"}, {"cobalt", "co"}, {"tin", "sn"}};
  const std::vector<std::string>& known = known_commodities();
  std::vector<bool> named(known.size(), false);
  auto match = [&](std::string item) {
    for (const auto& [name, symbol] : names)
      if (item == name) item = symbol;
    const auto it = std::find(known.begin(), known.end(), item);
    if (it != known.end()) named[static_cast<size_t>(it - known.begin())] = true;
  };
  std::string item;
  auto flush = [&] {
    const auto b = item.find_first_not_of(" \t\r\n\v\f");
    if (b != std::string::npos) match(item.substr(b, item.find_last_not_of(" \t\r\n\v\f") - b + 1));
    item.clear();
  };
  for (char ch : text) {
    if (ch == ',' || ch == ';' || ch == '/' || ch == '-' || ch == '+') {
      flush();
    } else {
      item.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
    }
  }
  flush();
  std::vector<std::string> out;
  for (size_t i = 0; i < named.size(); ++i)
    if (named[i]) out.push_back(known[i]);
  return out;
}

DepositSet read_deposits(const TrainingSpec& spec, const std::string& path, const GridSpec& grid) {
  gdal::ensure_initialized();
  gdal::clear_error();
  const bool csv = path.size() > 4 && [&] {
    std::string ext = path.substr(path.size() - 4);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext == ".csv";
  }();
  const std::string xo = "X_POSSIBLE_NAMES=" + spec.x_column, yo = "Y_POSSIBLE_NAMES=" + spec.y_column;
  const char* open_opts[] = {xo.c_str(), yo.c_str(), "KEEP_GEOM_COLUMNS=YES", nullptr};
  gdal::Dataset ds(GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr,
                              csv ? open_opts : nullptr, nullptr));
  if (!ds)
    throw_input("training deposits " + path + ": cannot open as a CSV or vector file: " + gdal::last_error());
  OGRLayerH layer = spec.layer.empty() ? GDALDatasetGetLayer(ds.get(), 0)
                                       : GDALDatasetGetLayerByName(ds.get(), spec.layer.c_str());
  if (!layer) throw_input("training deposits " + path + ": no layer '" + spec.layer + "'");
  OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
  const int ci = OGR_FD_GetFieldIndex(defn, spec.commodity_column.c_str());
  if (ci < 0)
    throw_input("training deposits " + path + ": no column '" + spec.commodity_column +
                "' (training.commodity_column)");
  const int wi = spec.where_column.empty() ? -1 : OGR_FD_GetFieldIndex(defn, spec.where_column.c_str());
  if (!spec.where_column.empty() && wi < 0)
    throw_input("training deposits " + path + ": no column '" + spec.where_column +
                "' (training.where_column)");
  std::string src_text = spec.crs;
  if (src_text.empty()) {
    OGRSpatialReferenceH l = OGR_L_GetSpatialRef(layer);
    if (!l) throw_input("training deposits " + path + ": unknown CRS (the layer has none); set training.crs");
    char* wkt = nullptr;
    OSRExportToWkt(l, &wkt);
    src_text = wkt ? wkt : "";
    CPLFree(wkt);
  }
  gdal::SpatialRef src = gdal::SpatialRef::from_user_input(
      src_text, spec.crs.empty() ? "training deposits " + path + ": layer CRS" : "training.crs",
      spec.crs.empty() ? ErrorKind::InputData : ErrorKind::Usage);
  gdal::SpatialRef dst = gdal::SpatialRef::from_user_input(grid.crs_wkt, "grid", ErrorKind::Usage);
  OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(src.get(), dst.get());
  if (!ct) throw_input("training deposits " + path + ": no transformation from its CRS to the grid CRS");
  DepositSet out;
  OGR_L_ResetReading(layer);
  while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
    const std::string where = path + ": feature " + std::to_string(OGR_F_GetFID(f));
    if (wi >= 0 && std::string(OGR_F_GetFieldAsString(f, wi)) != spec.where_value) {
      ++out.filtered;
      OGR_F_Destroy(f);
      continue;
    }
    ++out.features;
    const std::string c = OGR_F_GetFieldAsString(f, ci);
    std::vector<std::string> commodities = parse_commodities(c);
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    double x = NAN, y = NAN;
    if (g && !OGR_G_IsEmpty(g) && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPoint) {
      x = OGR_G_GetX(g, 0);
      y = OGR_G_GetY(g, 0);
    }
    OGR_F_Destroy(f);
    if (!std::isfinite(x) || !std::isfinite(y) || std::fabs(x) > 1e300 || std::fabs(y) > 1e300) {
      ++out.bad_geometry;
      out.rejected.push_back(where + ": missing, non-point or non-finite geometry");
      continue;
    }
    if (commodities.empty()) {
      ++out.unknown_commodity;
      out.rejected.push_back(where + ": unknown commodity '" + c + "' (names none of cu, li, ni, co, sn)");
      continue;
    }
    if (!OCTTransform(ct, 1, &x, &y, nullptr) || !std::isfinite(x) || !std::isfinite(y)) {
      ++out.bad_geometry;
      out.rejected.push_back(where + ": coordinates cannot be transformed to the grid CRS");
      continue;
    }
    const double fc = (x - grid.x0) / grid.cell, fr = (grid.y0 - y) / grid.cell;
    if (fc < 0 || fr < 0 || fc >= static_cast<double>(grid.nx) || fr >= static_cast<double>(grid.ny)) {
      ++out.outside;
      char buf[128];
      std::snprintf(buf, sizeof buf, ": (%.1f, %.1f) lies outside the analysis grid", x, y);
      out.rejected.push_back(where + buf);
      continue;
    }
    for (const auto& k : commodities)
      ++out.per_commodity[k];
    out.points.push_back(
        {std::move(commodities), where, x, y, static_cast<std::int64_t>(fr), static_cast<std::int64_t>(fc)});
  }
  OCTDestroyCoordinateTransformation(ct);
  return out;
}

} // namespace prospector
