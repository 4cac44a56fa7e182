#include "pipeline/base/errors.hpp"
#include "pipeline/base/strings.hpp"
#include "pipeline/io/gdal_util.hpp"
#include "pipeline/io/ingest.hpp"
#include "pipeline/io/ingest_detail.hpp"
#include "pipeline/io/vector_ingest.hpp"

#include <gdal_rat.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <vector>

// Class tables of categorical inputs: a CSV of value,name rows or the raster's attribute table, and the check
// that a categorical raster holds only named values.
namespace prospector {

namespace {

std::string where(const InputSpec& in) { return detail::input_where(in); }

} // namespace

std::int64_t ClassTable::code(const std::string& name) const {
  for (size_t k = 0; k < names.size(); ++k)
    if (!names[k].empty() && names[k] == name) return static_cast<std::int64_t>(k);
  return -1;
}

std::string ClassTable::describe() const {
  std::string s;
  for (size_t k = 0; k < names.size(); ++k)
    if (!names[k].empty()) s += (s.empty() ? "" : ", ") + std::to_string(k) + "=" + names[k];
  return s;
}

namespace detail {

ClassTable classes_from_csv(const InputSpec& in) {
  std::ifstream is(in.class_file);
  if (!is)
    throw_input(where(in) + ": key 'class_file': cannot read " + in.class_file +
                " (a CSV of value,name rows)");
  // A class list is a few hundred rows; a huge file (or one with no newline) is not one, and getline would
  // grow a single line without bound.
  std::error_code ec;
  if (const auto size = std::filesystem::file_size(in.class_file, ec);
      !ec && size > (std::uintmax_t(16) << 20))
    throw_input(where(in) + ": key 'class_file': " + in.class_file + " is " + std::to_string(size >> 20) +
                " MiB; a class table (value,name rows) is at most 16 MiB");
  ClassTable t;
  std::string line;
  std::int64_t lineno = 0;
  while (std::getline(is, line)) {
    ++lineno;
    line = trim(line);
    if (line.empty()) continue;
    const auto comma = line.find(',');
    const std::string value = comma == std::string::npos ? line : trim(line.substr(0, comma));
    const std::string name = comma == std::string::npos ? "" : trim(line.substr(comma + 1));
    char* end = nullptr;
    const long long v = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0') {
      if (lineno == 1) continue; // a header row
      throw_input(in.class_file + ":" + std::to_string(lineno) + ": '" + value +
                  "' is not an integer class value (rows are value,name)");
    }
    if (v < 0 || v > kMaxClassCode || name.empty())
      throw_input(in.class_file + ":" + std::to_string(lineno) + ": class value " + value +
                  (name.empty() ? " has no name" : " is outside 0 .. " + std::to_string(kMaxClassCode)));
    if (t.names.size() <= static_cast<size_t>(v)) t.names.resize(static_cast<size_t>(v) + 1);
    if (!t.names[static_cast<size_t>(v)].empty())
      throw_input(in.class_file + ":" + std::to_string(lineno) + ": class value " + value +
                  " is named twice");
    t.names[static_cast<size_t>(v)] = name;
  }
  if (t.code("") < 0 && t.names.empty()) throw_input(in.class_file + ": no class rows (value,name)");
  return t;
}

ClassTable classes_from_rat(const InputSpec& in) {
  gdal::Dataset ds = open_input_raster(in);
  if (in.band > GDALGetRasterCount(ds.get()))
    throw_usage(where(in) + ": key 'band': the raster has only " +
                std::to_string(GDALGetRasterCount(ds.get())) + " band(s)");
  GDALRasterAttributeTableH rat = GDALGetDefaultRAT(GDALGetRasterBand(ds.get(), in.band));
  int name_col = -1, value_col = -1;
  const int cols = rat ? GDALRATGetColumnCount(rat) : 0;
  for (int c = 0; c < cols; ++c) {
    const GDALRATFieldUsage u = GDALRATGetUsageOfCol(rat, c);
    if (u == GFU_Name && name_col < 0) name_col = c;
    if ((u == GFU_MinMax || u == GFU_Min) && value_col < 0) value_col = c;
  }
  for (int c = 0; c < cols && name_col < 0; ++c)
    if (GDALRATGetTypeOfCol(rat, c) == GFT_String) name_col = c;
  if (name_col < 0)
    throw_input(where(in) + ": the raster has no attribute table naming its classes; give key 'class_file' "
                            "(a CSV of value,name rows)");
  ClassTable t;
  for (int r = 0; r < GDALRATGetRowCount(rat); ++r) {
    const std::int64_t v = value_col >= 0 ? GDALRATGetValueAsInt(rat, r, value_col) : r;
    const std::string name = trim(GDALRATGetValueAsString(rat, r, name_col));
    if (name.empty()) continue;
    if (v < 0 || v > kMaxClassCode)
      throw_input(where(in) + ": attribute table row " + std::to_string(r) + ": class value " +
                  std::to_string(v) + " is outside 0 .. " + std::to_string(kMaxClassCode));
    if (t.names.size() <= static_cast<size_t>(v)) t.names.resize(static_cast<size_t>(v) + 1);
    t.names[static_cast<size_t>(v)] = name;
  }
  if (t.names.empty()) throw_input(where(in) + ": the raster's attribute table names no class");
  return t;
}

} // namespace detail

void check_raster_classes(const InputSpec& in, const ClassTable& classes) {
  gdal::Dataset ds = open_input_raster(in);
  if (in.band > GDALGetRasterCount(ds.get()))
    throw_usage(where(in) + ": key 'band': the raster has only " +
                std::to_string(GDALGetRasterCount(ds.get())) + " band(s)");
  GDALRasterBandH b = GDALGetRasterBand(ds.get(), in.band);
  int has_nd = 0;
  double nd = GDALGetRasterNoDataValue(b, &has_nd);
  if (in.nodata) {
    has_nd = 1;
    nd = *in.nodata;
  }
  const int nx = GDALGetRasterXSize(ds.get()), ny = GDALGetRasterYSize(ds.get());
  std::vector<double> row(static_cast<size_t>(nx));
  std::set<double> unnamed;
  for (int r = 0; r < ny; ++r) {
    gdal::clear_error();
    if (GDALRasterIO(b, GF_Read, 0, r, nx, 1, row.data(), nx, 1, GDT_Float64, 0, 0) != CE_None)
      throw_input(where(in) + ": read error: " + gdal::last_error() +
                  " (the file is probably truncated or corrupt)");
    for (double v : row) {
      if (std::isnan(v) || (has_nd && v == nd)) continue;
      const double k = std::nearbyint(v);
      if (k != v || k < 0 || k >= static_cast<double>(classes.names.size()) ||
          classes.names[static_cast<size_t>(k)].empty())
        unnamed.insert(v);
    }
  }
  if (!unnamed.empty()) {
    std::ostringstream os;
    size_t shown = 0;
    for (double v : unnamed) {
      if (shown++ == 5) break;
      os << (shown > 1 ? ", " : "") << v;
    }
    throw_input(
        where(in) + ": the category table does not match the raster: value(s) " + os.str() +
        (unnamed.size() > 5 ? " and " + std::to_string(unnamed.size() - 5) + " more" : std::string()) +
        " have no class name (" +
        (in.class_file.empty() ? std::string("raster attribute table")
                               : "key 'class_file' " + in.class_file) +
        " names " + classes.describe() + "); add them to the table or set the raster's nodata");
  }
}

} // namespace prospector
