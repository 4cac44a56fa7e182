#include "pipeline/io/ingest.hpp"

#include "kernels/transform/log10.hpp"
#include "pipeline/base/errors.hpp"
#include "pipeline/base/tiles.hpp"
#include "pipeline/io/gdal_util.hpp"
#include "pipeline/io/ingest_detail.hpp"
#include "pipeline/io/vector_ingest.hpp"

#include <gdal_alg.h>
#include <gdal_utils.h>
#include <gdalwarper.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fnmatch.h>
#include <limits>
#include <map>
#include <mutex>

namespace prospector {

namespace {

std::string where(const InputSpec& in) { return detail::input_where(in); }

// Values this large are dummies (1e30 in ASCII/GXF grids, -FLT_MAX) that files often do not declare.
constexpr float kDummyAbs = 1e29f;

// NULL-terminated argv view of GDAL utility options (GDAL's *OptionsNew take char**).
std::vector<char*> c_argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

using detail::Box;

gdal::SpatialRef input_srs(const InputSpec& in, GDALDatasetH ds) {
  // A pixel size of 0 or NaN makes GDAL drop the georeferencing: say so before the missing CRS it causes.
  double gt[6];
  if (GDALGetGeoTransform(ds, gt) != CE_None)
    throw_input(where(in) + ": the raster has no geotransform (origin and pixel size; a pixel size of 0 is "
                            "dropped by GDAL), so it is not georeferenced; fix the file's georeferencing");
  const bool finite = std::all_of(gt, gt + 6, [](double v) { return std::isfinite(v); });
  if (!finite || gt[1] == 0.0 || gt[5] == 0.0)
    throw_input(where(in) + ": the raster's pixel size is " + (finite ? "0" : "not a number") +
                " in its geotransform, so it is not georeferenced; fix the file's georeferencing");
  if (!in.crs.empty())
    return gdal::SpatialRef::from_user_input(in.crs, where(in) + ": key 'crs'", ErrorKind::Usage);
  gdal::SpatialRef s = gdal::SpatialRef::from_dataset(ds);
  if (s.is_empty())
    throw_input(where(in) + ": the raster has no coordinate reference system; set \"crs\" on this input");
  return s;
}

Box transform_box(const Box& b, const gdal::SpatialRef& from, const gdal::SpatialRef& to,
                  const std::string& what) {
  OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(from.get(), to.get());
  if (!ct) throw_input(what + ": no coordinate transformation to the grid CRS: " + gdal::last_error());
  Box out{};
  const int ok =
      OCTTransformBounds(ct, b.xmin, b.ymin, b.xmax, b.ymax, &out.xmin, &out.ymin, &out.xmax, &out.ymax, 21);
  OCTDestroyCoordinateTransformation(ct);
  if (!ok || !std::isfinite(out.xmin) || !std::isfinite(out.ymax))
    throw_input(what + ": its extent cannot be transformed to the grid CRS (is the CRS right?)");
  return out;
}

Box raster_box(GDALDatasetH ds, const InputSpec& in) {
  double gt[6];
  if (GDALGetGeoTransform(ds, gt) != CE_None)
    throw_input(where(in) + ": the raster has no georeferencing (geotransform)");
  if (gt[2] != 0.0 || gt[4] != 0.0) {
    // Rotated rasters: bound all four corners.
  }
  const double nx = GDALGetRasterXSize(ds), ny = GDALGetRasterYSize(ds);
  double xs[4] = {gt[0], gt[0] + nx * gt[1], gt[0] + ny * gt[2], gt[0] + nx * gt[1] + ny * gt[2]};
  double ys[4] = {gt[3], gt[3] + nx * gt[4], gt[3] + ny * gt[5], gt[3] + nx * gt[4] + ny * gt[5]};
  return {*std::min_element(xs, xs + 4), *std::min_element(ys, ys + 4), *std::max_element(xs, xs + 4),
          *std::max_element(ys, ys + 4)};
}

using detail::grid_box;

bool overlaps(const Box& a, const Box& b) {
  return a.xmin < b.xmax && b.xmin < a.xmax && a.ymin < b.ymax && b.ymin < a.ymax;
}

std::string sanitize(std::string s) {
  for (auto& c : s)
    c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return s;
}

using detail::sanitize_values;

const char* file_type_name(mode_t m) {
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISDIR(m)) return "a folder";
  return "some other kind of file";
}

// Refuses `path` (an input file of `what`) unless it is a regular file this user may read, or a folder where
// `folder_ok`. Paths that stat cannot find are left to the open, which names them.
void check_input_file(const std::string& path, const std::string& what, bool folder_ok) {
  if (path.rfind("/vsi", 0) == 0) return;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return;
    throw_input(what + ": cannot use " + path + ": " + std::strerror(errno));
  }
  const bool folder = S_ISDIR(st.st_mode);
  if (!S_ISREG(st.st_mode) && !(folder && folder_ok))
    throw_input(what + ": " + path + " is not a regular file but " + file_type_name(st.st_mode) +
                "; give a file" + (folder_ok ? " or a folder" : "") + " (nothing was read)");
  if (::access(path.c_str(), folder ? R_OK | X_OK : R_OK) != 0)
    throw_input(what + ": " + path + ": " +
                (errno == EACCES ? std::string("permission denied: this user may not read it")
                                 : std::string("cannot read it: ") + std::strerror(errno)) +
                " (check its permissions)");
}

} // namespace

namespace detail {

std::string input_where(const InputSpec& in) { return "input '" + in.id + "' (" + in.path + ")"; }

Box grid_box(const GridSpec& g) {
  return {g.x0, g.y0 - g.cell * static_cast<double>(g.ny), g.x0 + g.cell * static_cast<double>(g.nx), g.y0};
}

// Counts the valid cells and maps undeclared dummies to NaN; returns the valid count.
std::int64_t sanitize_values(std::vector<float>& v, std::int64_t& dummies) {
  std::int64_t valid = 0;
  dummies = 0;
  for (auto& x : v) {
    if (std::isnan(x)) continue;
    if (!std::isfinite(x) || std::fabs(x) >= kDummyAbs) {
      x = NAN;
      ++dummies;
      continue;
    }
    ++valid;
  }
  return valid;
}

} // namespace detail

void check_input_files(const Job& job) {
  for (const auto& in : job.inputs) {
    const std::string what = where(in);
    const bool points = in.kind == "geochem_points";
    if (!in.paths.empty()) {
      for (const auto& p : in.paths)
        check_input_file(p, what, true);
      continue;
    }
    check_input_file(in.path, what, !points);
    if (!in.class_file.empty()) check_input_file(in.class_file, what + ": key 'class_file'", false);
    std::error_code ec;
    if (points || is_vector_kind(in.kind) || !std::filesystem::is_directory(in.path, ec)) continue;
    // The folder form: the entries input_sources() would take, and anything matching the pattern that is
    // neither a file nor a folder.
    for (const auto& e : std::filesystem::directory_iterator(in.path, ec))
      if (fnmatch(in.pattern.c_str(), e.path().filename().c_str(), 0) == 0 && !e.is_directory(ec))
        check_input_file(e.path().string(), what, false);
  }
  const std::pair<const std::string*, const char*> deposits[] = {{&job.training.path, "path"},
                                                                 {&job.training.test_path, "test_path"}};
  for (const auto& [path, key] : deposits)
    if (!path->empty()) check_input_file(*path, job.path + ": key 'training." + key + "'", true);
}

std::vector<std::string> layer_names(const InputSpec& in) {
  if (in.kind == "structures") return {in.id + "_distance", in.id + "_density", in.id + "_intersections"};
  if (in.kind == "features") return {in.id + "_distance", in.id + "_density"};
  if (in.kind == "geology") {
    std::vector<std::string> n = {in.id};
    for (const auto& u : in.contact_units)
      n.push_back(in.id + "_contact_" + sanitize(u));
    return n;
  }
  if (in.kind != "geochem_points") return {in.id};
  std::vector<std::string> n;
  for (const auto& e : in.elements)
    n.push_back(in.id + "_" + sanitize(e.element));
  return n;
}

GridSpec resolve_grid(const Job& job) {
  gdal::ensure_initialized();
  GridSpec g;
  gdal::SpatialRef srs =
      gdal::SpatialRef::from_user_input(job.grid.crs, job.path + ": key 'grid.crs'", ErrorKind::Usage);
  g.crs_wkt = srs.to_wkt();
  g.epsg = srs.epsg();
  g.units = srs.linear_units();
  g.cell = job.grid.cell_size;
  Box box{};
  if (job.grid.extent_mode == "explicit") {
    box = {job.grid.extent[0], job.grid.extent[1], job.grid.extent[2], job.grid.extent[3]};
  } else {
    bool first = true;
    const bool uni = job.grid.extent_mode == "union";
    auto merge = [&](const Box& b) {
      if (first)
        box = b;
      else if (uni)
        box = {std::min(box.xmin, b.xmin), std::min(box.ymin, b.ymin), std::max(box.xmax, b.xmax),
               std::max(box.ymax, b.ymax)};
      else
        box = {std::max(box.xmin, b.xmin), std::max(box.ymin, b.ymin), std::min(box.xmax, b.xmax),
               std::min(box.ymax, b.ymax)};
      first = false;
    };
    for (const auto& in : job.inputs) {
      if (in.kind == "geochem_points" || is_vector_kind(in.kind)) continue; // rasters fix the extent
      gdal::Dataset ds = open_input_raster(in);
      merge(transform_box(raster_box(ds.get(), in), input_srs(in, ds.get()), srs, where(in)));
    }
    if (first) {
      for (const auto& in : job.inputs) {
        if (in.kind != "geochem_points") continue;
        GeochemSamples s = read_geochem_csv(in);
        gdal::SpatialRef ps =
            gdal::SpatialRef::from_user_input(in.crs, where(in) + ": key 'crs'", ErrorKind::Usage);
        Box b{*std::min_element(s.x.begin(), s.x.end()), *std::min_element(s.y.begin(), s.y.end()),
              *std::max_element(s.x.begin(), s.x.end()), *std::max_element(s.y.begin(), s.y.end())};
        merge(transform_box(b, ps, srs, where(in)));
      }
    }
    if (first)
      throw_usage(job.path + ": key 'grid.extent': the job has only vector inputs, whose extents do not fix "
                             "the grid; give an explicit extent [xmin, ymin, xmax, ymax]");
    if (box.xmax <= box.xmin || box.ymax <= box.ymin)
      throw_input(job.path + ": key 'grid.extent': the inputs' extents do not intersect; use \"union\" or an "
                             "explicit extent");
  }
  // The cell lattice: the align_to input's (origin and pixel size), else multiples of the cell size.
  double ax = 0.0, ay = 0.0;
  if (!job.grid.align_to.empty()) {
    const InputSpec& in = *std::find_if(job.inputs.begin(), job.inputs.end(),
                                        [&](const InputSpec& x) { return x.id == job.grid.align_to; });
    gdal::Dataset ds = open_input_raster(in);
    double gt[6];
    if (GDALGetGeoTransform(ds.get(), gt) != CE_None || gt[2] != 0.0 || gt[4] != 0.0 || gt[1] <= 0 ||
        std::fabs(gt[1] + gt[5]) > 1e-9 * gt[1])
      throw_usage(job.path + ": key 'grid.align_to': " + where(in) +
                  " is not a north-up raster with square cells, so the grid cannot keep its cells");
    if (OSRIsSame(input_srs(in, ds.get()).get(), srs.get()) == 0)
      throw_usage(job.path + ": key 'grid.align_to': " + where(in) +
                  " is not in the grid CRS; set grid.crs to its CRS or align to another input");
    if (g.cell <= 0)
      g.cell = gt[1];
    else if (std::fabs(g.cell - gt[1]) > 1e-9 * gt[1])
      throw_usage(job.path + ": key 'grid.cell_size': " + std::to_string(g.cell) +
                  " differs from the pixel size " + std::to_string(gt[1]) + " of grid.align_to input '" +
                  in.id + "'; leave cell_size out");
    ax = gt[0];
    ay = gt[3];
  }
  const double c = g.cell;
  double xmin, xmax, ymin, ymax;
  if (job.grid.extent_mode == "explicit" && job.grid.align_to.empty()) {
    // An explicit extent is kept as given; only its far edges grow to whole cells.
    xmin = box.xmin;
    ymax = box.ymax;
    xmax = xmin + std::ceil((box.xmax - box.xmin) / c - 1e-9) * c;
    ymin = ymax - std::ceil((box.ymax - box.ymin) / c - 1e-9) * c;
  } else {
    xmin = ax + std::floor((box.xmin - ax) / c + 1e-9) * c;
    xmax = ax + std::ceil((box.xmax - ax) / c - 1e-9) * c;
    ymin = ay + std::floor((box.ymin - ay) / c + 1e-9) * c;
    ymax = ay + std::ceil((box.ymax - ay) / c - 1e-9) * c;
  }
  g.x0 = xmin;
  g.y0 = ymax;
  g.nx = static_cast<std::int64_t>(std::llround((xmax - xmin) / c));
  g.ny = static_cast<std::int64_t>(std::llround((ymax - ymin) / c));
  if (g.nx < 1 || g.ny < 1) throw_usage(job.path + ": key 'grid': the grid has no cells");
  const double cells = static_cast<double>(g.nx) * static_cast<double>(g.ny);
  if (cells > 4e9 || g.nx > std::numeric_limits<int>::max() || g.ny > std::numeric_limits<int>::max())
    throw_usage(job.path + ": key 'grid.cell_size': the grid would have " + std::to_string(g.nx) + " x " +
                std::to_string(g.ny) + " cells (" +
                std::to_string(static_cast<long long>(cells * 4.0 / 1073741824.0)) +
                " GiB per float32 layer); use a larger cell size or a smaller extent");
  return g;
}

std::string probe_input(const InputSpec& in, const GridSpec& grid) {
  gdal::SpatialRef dst = gdal::SpatialRef::from_user_input(grid.crs_wkt, "grid", ErrorKind::Usage);
  if (is_vector_kind(in.kind)) return describe_vector_input(in);
  if (in.kind == "geochem_points") {
    GeochemSamples s = read_geochem_csv(in);
    return in.id + ": " + std::to_string(s.rows) + " rows, " + std::to_string(s.x.size()) +
           " with coordinates, " + std::to_string(in.elements.size()) + " element(s)";
  }
  gdal::Dataset ds = open_input_raster(in);
  gdal::SpatialRef srs = input_srs(in, ds.get());
  const Box b = transform_box(raster_box(ds.get(), in), srs, dst, where(in));
  if (!overlaps(b, grid_box(grid))) throw_input(where(in) + ": does not overlap the analysis grid");
  const std::int64_t nx = GDALGetRasterXSize(ds.get()), ny = GDALGetRasterYSize(ds.get());
  const int epsg = srs.epsg();
  return in.id + ": " + in.kind + " " + std::to_string(nx) + " x " + std::to_string(ny) + " (" +
         GDALGetDriverShortName(GDALGetDatasetDriver(ds.get())) + ", " +
         (epsg ? "EPSG:" + std::to_string(epsg) : std::string("custom CRS")) + ")";
}

std::vector<std::string> input_sources(const InputSpec& in) {
  if (!in.paths.empty()) return in.paths;
  std::error_code ec;
  if (!std::filesystem::is_directory(in.path, ec)) return {in.path};
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(in.path, ec))
    if (e.is_regular_file() && fnmatch(in.pattern.c_str(), e.path().filename().c_str(), 0) == 0)
      files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  if (files.empty())
    throw_input(where(in) + ": the folder has no file matching '" + in.pattern + "' (set \"pattern\")");
  return files;
}

gdal::Dataset open_input_raster(const InputSpec& in) {
  const auto sources = input_sources(in);
  if (sources.size() == 1) return gdal::open_raster(sources[0], where(in));
  // Open each source first so that a bad tile is reported by name, then mosaic them in a VRT.
  for (const auto& s : sources)
    gdal::open_raster(s, where(in) + " source " + s);
  std::vector<const char*> names;
  for (const auto& s : sources)
    names.push_back(s.c_str());
  std::vector<std::string> args = {"-resolution", "highest"};
  if (in.nodata) {
    args.push_back("-srcnodata");
    args.push_back(std::to_string(*in.nodata));
  }
  std::vector<char*> argv = c_argv(args);
  GDALBuildVRTOptions* o = GDALBuildVRTOptionsNew(argv.data(), nullptr);
  gdal::clear_error();
  int usage = 0;
  GDALDatasetH h = GDALBuildVRT("", static_cast<int>(names.size()), nullptr, names.data(), o, &usage);
  GDALBuildVRTOptionsFree(o);
  if (!h)
    throw_input(where(in) + ": cannot mosaic its " + std::to_string(sources.size()) +
                " files: " + gdal::last_error());
  return gdal::Dataset(h);
}

std::vector<SourceFootprint> source_footprints(const InputSpec& in, const GridSpec& grid) {
  std::vector<SourceFootprint> out;
  gdal::SpatialRef dst = gdal::SpatialRef::from_user_input(grid.crs_wkt, "grid", ErrorKind::Usage);
  for (const auto& path : input_sources(in)) {
    gdal::Dataset ds = gdal::open_raster(path, where(in));
    const Box b = transform_box(raster_box(ds.get(), in), input_srs(in, ds.get()), dst, where(in));
    const double nx = GDALGetRasterXSize(ds.get()), ny = GDALGetRasterYSize(ds.get());
    const double src_cell = std::sqrt((b.xmax - b.xmin) * (b.ymax - b.ymin) / (nx * ny));
    const double margin = 2 * src_cell + grid.cell;
    SourceFootprint f;
    f.path = path;
    f.files = gdal::file_list(ds.get(), path);
    f.col0 = static_cast<std::int64_t>(std::floor((b.xmin - margin - grid.x0) / grid.cell));
    f.row0 = static_cast<std::int64_t>(std::floor((grid.y0 - b.ymax - margin) / grid.cell));
    f.cols = static_cast<std::int64_t>(std::ceil((b.xmax + margin - grid.x0) / grid.cell)) - f.col0;
    f.rows = static_cast<std::int64_t>(std::ceil((grid.y0 - b.ymin + margin) / grid.cell)) - f.row0;
    out.push_back(f);
  }
  bool any = false;
  for (const auto& f : out)
    any = any || (f.row0 < grid.ny && f.row0 + f.rows > 0 && f.col0 < grid.nx && f.col0 + f.cols > 0);
  if (!any)
    throw_input(where(in) + ": does not overlap the analysis grid; check the file, its CRS and grid.extent");
  return out;
}

std::string resampling_for(const InputSpec& in, GDALDatasetH src, const GridSpec& grid) {
  if (in.kind == "categorical_raster") return "nearest"; // class codes are never interpolated
  if (in.resampling != "auto") return in.resampling;
  gdal::SpatialRef dst = gdal::SpatialRef::from_user_input(grid.crs_wkt, "grid", ErrorKind::Usage);
  const Box b = transform_box(raster_box(src, in), input_srs(in, src), dst, where(in));
  const double nx = GDALGetRasterXSize(src), ny = GDALGetRasterYSize(src);
  const double src_cell = std::sqrt((b.xmax - b.xmin) * (b.ymax - b.ymin) / (nx * ny));
  return src_cell * 1.5 < grid.cell ? "average" : "bilinear";
}

void warp_to_window(const InputSpec& in, GDALDatasetH src, const std::string& method, const GridSpec& sub,
                    std::vector<float>& out, std::int64_t& dummies) {
  gdal::Dataset band_src;
  if (in.band != 1 || GDALGetRasterCount(src) > 1) {
    if (in.band > GDALGetRasterCount(src))
      throw_usage(where(in) + ": key 'band': the raster has only " + std::to_string(GDALGetRasterCount(src)) +
                  " band(s)");
    // GDAL 3.6's warper has no band selection: pick the band through an in-memory VRT.
    const std::string b = std::to_string(in.band);
    const char* targv[] = {"-of", "VRT", "-b", b.c_str(), nullptr};
    GDALTranslateOptions* to = GDALTranslateOptionsNew(const_cast<char**>(targv), nullptr);
    band_src = gdal::Dataset(GDALTranslate("", src, to, nullptr));
    GDALTranslateOptionsFree(to);
    if (!band_src) throw_input(where(in) + ": cannot select band " + b + ": " + gdal::last_error());
    src = band_src.get();
  }
  GDALDriverH mem = GDALGetDriverByName("MEM");
  gdal::Dataset dst(
      GDALCreate(mem, "", static_cast<int>(sub.nx), static_cast<int>(sub.ny), 1, GDT_Float32, nullptr));
  if (!dst) throw_runtime(where(in) + ": cannot allocate the warp buffer: " + gdal::last_error());
  auto gt = sub.geotransform();
  GDALSetGeoTransform(dst.get(), gt.data());
  GDALSetProjection(dst.get(), sub.crs_wkt.c_str());
  GDALRasterBandH db = GDALGetRasterBand(dst.get(), 1);
  GDALSetRasterNoDataValue(db, NAN);
  GDALFillRaster(db, NAN, 0);
  // -et 0: every cell's coordinates are transformed exactly, so values do not depend on the tile window.
  std::vector<std::string> args = {"-r",         method,
                                   "-et",        "0",
                                   "-dstnodata", "nan",
                                   "-wo",        "INIT_DEST=NO_DATA",
                                   "-wo",        "UNIFIED_SRC_NODATA=YES"};
  if (!in.crs.empty()) {
    args.push_back("-s_srs");
    args.push_back(input_srs(in, src).to_wkt());
  }
  if (in.nodata) {
    args.push_back("-srcnodata");
    args.push_back(std::to_string(*in.nodata));
  }
  std::vector<char*> argv = c_argv(args);
  GDALWarpAppOptions* wo = GDALWarpAppOptionsNew(argv.data(), nullptr);
  if (!wo) throw_runtime(where(in) + ": bad warp options: " + gdal::last_error());
  gdal::clear_error();
  GDALDatasetH srcs[1] = {src};
  int usage_error = 0;
  GDALDatasetH res = GDALWarp(nullptr, dst.get(), 1, srcs, wo, &usage_error);
  GDALWarpAppOptionsFree(wo);
  if (!res || usage_error)
    throw_input(where(in) + ": reprojection onto the analysis grid failed: " + gdal::last_error() +
                " (the file may be corrupt or truncated)");
  if (CPLGetLastErrorType() == CE_Failure)
    throw_input(where(in) + ": read error while warping: " + gdal::last_error() +
                " (the file is probably truncated or corrupt)");
  gdal::read_band_f32(dst.get(), 1, out, where(in));
  sanitize_values(out, dummies);
}

namespace {

// Offset of `a` from `b` in cells when it is a whole number of them (to a millionth of a cell), else -1e300.
double whole_cells(double a, double b, double cell) {
  const double k = (a - b) / cell;
  const double r = std::round(k);
  return std::fabs(k - r) <= 1e-6 ? r : -1e300;
}

} // namespace

bool aligned_with_grid(const InputSpec& in, GDALDatasetH src, const GridSpec& grid) {
  double gt[6];
  if (GDALGetGeoTransform(src, gt) != CE_None || gt[2] != 0.0 || gt[4] != 0.0) return false;
  const double c = grid.cell;
  if (std::fabs(gt[1] - c) > 1e-9 * c || std::fabs(-gt[5] - c) > 1e-9 * c) return false;
  if (whole_cells(grid.x0, gt[0], c) < -1e299 || whole_cells(gt[3], grid.y0, c) < -1e299) return false;
  if (in.band < 1 || in.band > GDALGetRasterCount(src)) return false;
  GDALRasterBandH b = GDALGetRasterBand(src, in.band);
  const int flags = GDALGetMaskFlags(b);
  if (!(flags & (GMF_ALL_VALID | GMF_NODATA)) || (flags & (GMF_PER_DATASET | GMF_ALPHA))) return false;
  gdal::SpatialRef s = input_srs(in, src);
  gdal::SpatialRef g = gdal::SpatialRef::from_user_input(grid.crs_wkt, "grid", ErrorKind::Usage);
  return OSRIsSame(s.get(), g.get()) != 0;
}

void read_aligned_window(const InputSpec& in, GDALDatasetH src, const GridSpec& sub, std::vector<float>& out,
                         std::int64_t& dummies) {
  double gt[6];
  GDALGetGeoTransform(src, gt);
  const std::int64_t col0 = static_cast<std::int64_t>(whole_cells(sub.x0, gt[0], sub.cell));
  const std::int64_t row0 = static_cast<std::int64_t>(whole_cells(gt[3], sub.y0, sub.cell));
  const std::int64_t sx = GDALGetRasterXSize(src), sy = GDALGetRasterYSize(src);
  out.assign(static_cast<size_t>(sub.nx * sub.ny), NAN);
  dummies = 0;
  const std::int64_t c0 = std::max<std::int64_t>(0, col0), c1 = std::min(sx, col0 + sub.nx);
  const std::int64_t r0 = std::max<std::int64_t>(0, row0), r1 = std::min(sy, row0 + sub.ny);
  if (c1 <= c0 || r1 <= r0) return;
  GDALRasterBandH b = GDALGetRasterBand(src, in.band);
  float* dst = out.data() + (r0 - row0) * sub.nx + (c0 - col0);
  gdal::clear_error();
  if (GDALRasterIO(b, GF_Read, static_cast<int>(c0), static_cast<int>(r0), static_cast<int>(c1 - c0),
                   static_cast<int>(r1 - r0), dst, static_cast<int>(c1 - c0), static_cast<int>(r1 - r0),
                   GDT_Float32, static_cast<GSpacing>(sizeof(float)),
                   static_cast<GSpacing>(sizeof(float) * sub.nx)) != CE_None)
    throw_input(where(in) + ": read error: " + gdal::last_error() +
                " (the file is probably truncated or corrupt)");
  int has_nd = 0;
  double nd = GDALGetRasterNoDataValue(b, &has_nd);
  if (in.nodata) {
    has_nd = 1;
    nd = *in.nodata;
  }
  const float ndf = static_cast<float>(nd);
  const bool check_nd = has_nd && !std::isnan(nd);
  for (std::int64_t r = r0; r < r1; ++r) {
    float* row = out.data() + (r - row0) * sub.nx + (c0 - col0);
    for (std::int64_t k = 0; k < c1 - c0; ++k)
      if (check_nd && row[k] == ndf) row[k] = NAN;
  }
  sanitize_values(out, dummies);
}

} // namespace prospector
