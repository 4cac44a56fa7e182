#include "pipeline/io/export.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/io/gdal_util.hpp"

#include <cpl_string.h>
#include <gdal_utils.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace prospector {

namespace fs = std::filesystem;

namespace {

// Owning GDALTranslateOptions / a CPL string list (destructors never throw).
struct TranslateOptions {
  GDALTranslateOptions* h = nullptr;
  ~TranslateOptions() {
    if (h) GDALTranslateOptionsFree(h);
  }
};
struct StringList {
  char** h = nullptr;
  ~StringList() { CSLDestroy(h); }
  void add(const std::string& s) { h = CSLAddString(h, s.c_str()); }
};

std::string output_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return path;
  if (!fs::is_directory(path, ec))
    throw_usage("export: " + path +
                " is neither an output folder nor an output file; give the run's output "
                "folder (output.folder) or its prospectivity.nc");
  if (fs::is_regular_file(fs::path(path) / "prospectivity.nc", ec))
    return (fs::path(path) / "prospectivity.nc").string();
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    const std::string ext = e.path().extension().string();
    if ((ext == ".nc" || ext == ".h5") && e.path().filename().string()[0] != '.') found.push_back(e.path());
  }
  if (found.size() != 1)
    throw_usage("export: " + path + " holds " + std::to_string(found.size()) +
                " .nc/.h5 files and no prospectivity.nc; give the output file itself");
  return found[0];
}

// Grid variables of the file: GDAL's subdatasets (netCDF: NETCDF:"f":var, HDF5: HDF5:"f"://var).
std::vector<std::pair<std::string, std::string>> grids_of(GDALDatasetH ds) {
  std::vector<std::pair<std::string, std::string>> out;
  char** md = GDALGetMetadata(ds, "SUBDATASETS");
  for (int i = 0; md && md[i]; ++i) {
    const std::string kv = md[i];
    const auto eq = kv.find('=');
    if (eq == std::string::npos || kv.compare(eq - 5, 5, "_NAME") != 0) continue;
    const std::string name = kv.substr(eq + 1);
    std::string var = name.substr(name.rfind(':') + 1);
    while (!var.empty() && var[0] == '/')
      var.erase(0, 1);
    out.emplace_back(var, name);
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep))
    out.push_back(cur);
  return out;
}

std::string xml(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '&')
      o += "&amp;";
    else if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}

void write_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".partial-" + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    f << text;
    if (!f.flush()) throw_runtime("export: cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw_runtime("export: cannot rename " + tmp + " to " + path + ": " + ec.message());
}

// A continuous colour ramp (viridis stops) over [lo, hi].
std::string ramp_qml(double lo, double hi) {
  static const char* stops[] = {"#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"};
  if (!(hi > lo)) hi = lo + 1;
  std::ostringstream o;
  o.precision(8);
  o << "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
    << "<qgis version=\"3.28\" styleCategories=\"AllStyleCategories\">\n <pipe>\n"
    << "  <rasterrenderer type=\"singlebandpseudocolor\" band=\"1\" opacity=\"1\" alphaBand=\"-1\" "
    << "classificationMin=\"" << lo << "\" classificationMax=\"" << hi << "\" nodataColor=\"\">\n"
    << "   <rastershader>\n    <colorrampshader colorRampType=\"INTERPOLATED\" classificationMode=\"2\" "
    << "clip=\"0\" minimumValue=\"" << lo << "\" maximumValue=\"" << hi << "\">\n";
  for (int k = 0; k < 5; ++k) {
    const double v = lo + (hi - lo) * k / 4.0;
    o << "     <item alpha=\"255\" value=\"" << v << "\" label=\"" << v << "\" color=\"" << stops[k]
      << "\"/>\n";
  }
  o << "    </colorrampshader>\n   </rastershader>\n  </rasterrenderer>\n </pipe>\n</qgis>\n";
  return o.str();
}

// A paletted style naming each class code.
std::string palette_qml(const std::vector<std::string>& values, const std::vector<std::string>& names) {
  static const char* colours[] = {"#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00",
                                  "#ffff33", "#a65628", "#f781bf", "#999999", "#66c2a5"};
  std::ostringstream o;
  o << "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
    << "<qgis version=\"3.28\" styleCategories=\"AllStyleCategories\">\n <pipe>\n"
    << "  <rasterrenderer type=\"paletted\" band=\"1\" opacity=\"1\" alphaBand=\"-1\" nodataColor=\"\">\n"
    << "   <colorPalette>\n";
  for (size_t k = 0; k < values.size(); ++k)
    o << "    <paletteEntry value=\"" << xml(values[k]) << "\" label=\""
      << xml(k < names.size() ? names[k] : values[k]) << "\" color=\"" << colours[k % 10]
      << "\" alpha=\"255\"/>\n";
  o << "   </colorPalette>\n  </rasterrenderer>\n </pipe>\n</qgis>\n";
  return o.str();
}

std::string targets_qml() {
  return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
         "<qgis version=\"3.28\" styleCategories=\"Symbology|Labeling\">\n"
         " <renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\">\n"
         "  <symbols>\n   <symbol type=\"fill\" name=\"0\" alpha=\"1\" clip_to_extent=\"1\" "
         "force_rhr=\"0\">\n"
         "    <layer class=\"SimpleFill\" enabled=\"1\" locked=\"0\" pass=\"0\">\n     <Option "
         "type=\"Map\">\n"
         "      <Option type=\"QString\" name=\"color\" value=\"230,0,0,40\"/>\n"
         "      <Option type=\"QString\" name=\"outline_color\" value=\"200,0,0,255\"/>\n"
         "      <Option type=\"QString\" name=\"outline_width\" value=\"0.6\"/>\n"
         "      <Option type=\"QString\" name=\"style\" value=\"solid\"/>\n"
         "     </Option>\n    </layer>\n   </symbol>\n  </symbols>\n </renderer-v2>\n"
         " <labeling type=\"simple\">\n  <settings calloutType=\"simple\">\n"
         "   <text-style fieldName=\"rank\" fontSize=\"9\" textColor=\"0,0,0,255\"/>\n"
         "  </settings>\n </labeling>\n</qgis>\n";
}

// "{1,2,3}" (netCDF attribute as GDAL prints it) -> {"1","2","3"}.
std::vector<std::string> flag_values(const char* text) {
  std::string s = text ? text : "";
  s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '{' || c == '}' || c == ' '; }),
          s.end());
  return s.empty() ? std::vector<std::string>{} : split(s, ',');
}

} // namespace

std::string export_grids(const std::string& path, const ExportOptions& o) {
  if (o.format != "COG" && o.format != "GTiff")
    throw_usage("export: --format must be COG or GTiff, not " + o.format);
  gdal::ensure_initialized();
  const std::string file = output_file(path);
  const std::string folder = fs::path(file).parent_path().string();
  const std::string dir = o.out_dir.empty() ? folder + "/export" : o.out_dir;
  gdal::clear_error();
  gdal::Dataset src(GDALOpenEx(file.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
  if (!src) throw_input("export: GDAL cannot open " + file + ": " + gdal::last_error());
  const auto all = grids_of(src.get());
  if (all.empty()) throw_usage("export: " + file + " holds no grid that GDAL can read");
  std::vector<std::pair<std::string, std::string>> chosen;
  for (const auto& l : o.layers) {
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& g) { return g.first == l; });
    if (it == all.end()) {
      std::string names;
      for (const auto& g : all)
        names += (names.empty() ? "" : ", ") + g.first;
      throw_usage("export: " + file + " has no grid '" + l + "'; its grids: " + names);
    }
    chosen.push_back(*it);
  }
  if (o.layers.empty()) chosen = all;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw_runtime("export: cannot create " + dir + ": " + ec.message());
  std::ostringstream report;
  for (const auto& [var, name] : chosen) {
    gdal::Dataset ds = gdal::open_raster(name, "grid " + var);
    double gt[6];
    if (GDALGetGeoTransform(ds.get(), gt) != CE_None || !GDALGetSpatialRef(ds.get()))
      throw_runtime("export: grid " + var + " of " + file + " is not georeferenced as GDAL reads it");
    GDALRasterBandH band = GDALGetRasterBand(ds.get(), 1);
    const std::vector<std::string> codes = flag_values(GDALGetMetadataItem(band, "flag_values", nullptr));
    const std::string meanings = GDALGetMetadataItem(band, "flag_meanings", nullptr)
                                     ? GDALGetMetadataItem(band, "flag_meanings", nullptr)
                                     : "";
    const bool classes = !codes.empty();
    const std::string target = dir + "/" + var + ".tif";
    const std::string tmp = dir + "/." + var + ".partial-" + std::to_string(getpid()) + ".tif";
    StringList args;
    for (const char* a : {"-of", o.format.c_str(), "-a_nodata", "-9999", "-co", "COMPRESS=DEFLATE"})
      args.add(a);
    if (o.format == "COG") {
      for (const char* a : {"-co", "BLOCKSIZE=256", "-co", "OVERVIEWS=IGNORE_EXISTING"})
        args.add(a);
      args.add("-co");
      args.add(std::string("RESAMPLING=") + (classes ? "NEAREST" : "AVERAGE"));
    } else {
      for (const char* a : {"-co", "TILED=YES", "-co", "BLOCKXSIZE=256", "-co", "BLOCKYSIZE=256"})
        args.add(a);
    }
    TranslateOptions topt;
    topt.h = GDALTranslateOptionsNew(args.h, nullptr);
    if (!topt.h) throw_runtime("export: bad translate options: " + gdal::last_error());
    gdal::clear_error();
    int usage_error = 0;
    gdal::Dataset out(GDALTranslate(tmp.c_str(), ds.get(), topt.h, &usage_error));
    if (!out || usage_error) {
      fs::remove(tmp, ec);
      throw_runtime("export: GDAL could not write " + tmp + ": " + gdal::last_error());
    }
    if (o.format == "GTiff") {
      std::vector<int> levels;
      for (int f = 2; std::max(GDALGetRasterXSize(out.get()), GDALGetRasterYSize(out.get())) / f >= 128;
           f *= 2)
        levels.push_back(f);
      if (!levels.empty() &&
          GDALBuildOverviews(out.get(), classes ? "NEAREST" : "AVERAGE", static_cast<int>(levels.size()),
                             levels.data(), 0, nullptr, nullptr, nullptr) != CE_None) {
        out = gdal::Dataset();
        fs::remove(tmp, ec);
        throw_runtime("export: overviews of " + tmp + ": " + gdal::last_error());
      }
    }
    double minmax[2] = {0, 1};
    if (!classes) GDALComputeRasterMinMax(GDALGetRasterBand(out.get(), 1), FALSE, minmax);
    try {
      out.close_checked(tmp);
    } catch (...) {
      fs::remove(tmp, ec);
      throw;
    }
    fs::rename(tmp, target, ec);
    if (ec) throw_runtime("export: cannot rename " + tmp + " to " + target + ": " + ec.message());
    const std::string style = dir + "/" + var + ".qml";
    write_atomic(style, classes ? palette_qml(codes, split(meanings, ' ')) : ramp_qml(minmax[0], minmax[1]));
    report << "wrote " << target << " (" << o.format << ") and " << style << "\n";
  }
  if (fs::is_regular_file(folder + "/targets.gpkg", ec)) {
    write_atomic(dir + "/targets.qml", targets_qml());
    report << "wrote " << dir << "/targets.qml (QGIS style for " << folder << "/targets.gpkg)\n";
  }
  return report.str();
}

} // namespace prospector
