#include "pipeline/io/h5_writer.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/base/sha256.hpp"
#include "pipeline/io/chunk_encoder.hpp"
#include "pipeline/io/gdal_util.hpp"
#include "pipeline/io/h5_write_util.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#ifndef PROSPECTOR_VERSION
#define PROSPECTOR_VERSION "unknown"
#endif

namespace prospector {

using namespace h5;

// ---------------------------------------------------------------------------------------------------------

H5Writer::H5Writer(const std::string& path, const GridSpec& grid, const std::string& title,
                   GridCompression compression)
    : impl_(std::make_unique<Impl>(path)) {
  ErrorSilencer quiet;
  Impl& m = *impl_;
  m.compression = compression;
  const Checker& ck = m.ck;
  m.grid = grid;
  if (grid.nx <= 0 || grid.ny <= 0 || !(grid.cell > 0.0))
    throw_runtime(path + ": cannot write an empty analysis grid (" + std::to_string(grid.nx) + " x " +
                  std::to_string(grid.ny) + " cells, cell " + fmt17(grid.cell) + ")");
  gdal::SpatialRef srs = grid_srs(grid, path);
  m.geographic = srs.is_geographic();

  // Link and attribute creation order are tracked as netCDF-4 does, so that netCDF-C lists objects in
  // writing order rather than alphabetically.
  PlistH fcpl(ck.id(H5Pcreate(H5P_FILE_CREATE), "/", "H5Pcreate"));
  ck.ok(H5Pset_link_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "/",
        "H5Pset_link_creation_order");
  ck.ok(H5Pset_attr_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), "/",
        "H5Pset_attr_creation_order");
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT);
  if (f < 0) ck.fail("/", "H5Fcreate", "is the output folder writable, and is the file not open elsewhere?");
  m.file = FileH(f);

  m.str(f, "/", "Conventions", "CF-1.8");
  m.str(f, "/", "title", title);
  m.str(f, "/", "source", std::string("prospector ") + PROSPECTOR_VERSION);
  m.str(f, "/", "history", std::string("created by prospector ") + PROSPECTOR_VERSION);

  // Coordinate variables (pixel centres; y runs north to south like the rows).
  std::vector<double> xs(static_cast<std::size_t>(grid.nx)), ys(static_cast<std::size_t>(grid.ny));
  for (std::int64_t i = 0; i < grid.nx; ++i)
    xs[static_cast<std::size_t>(i)] = grid.x_center(i);
  for (std::int64_t j = 0; j < grid.ny; ++j)
    ys[static_cast<std::size_t>(j)] = grid.y_center(j);
  m.y = create_1d(ck, f, "y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, ys.size(), ys.data());
  m.x = create_1d(ck, f, "x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, xs.size(), xs.data());
  ck.ok(H5DSset_scale(m.y.get(), "y"), "y", "H5DSset_scale");
  ck.ok(H5DSset_scale(m.x.get(), "x"), "x", "H5DSset_scale");
  if (m.geographic) {
    m.str(m.y.get(), "y", "standard_name", "latitude");
    m.str(m.y.get(), "y", "long_name", "latitude of cell centre");
    m.str(m.y.get(), "y", "units", "degrees_north");
    m.str(m.x.get(), "x", "standard_name", "longitude");
    m.str(m.x.get(), "x", "long_name", "longitude of cell centre");
    m.str(m.x.get(), "x", "units", "degrees_east");
  } else {
    m.str(m.y.get(), "y", "standard_name", "projection_y_coordinate");
    m.str(m.y.get(), "y", "long_name", "y coordinate of cell centre");
    m.str(m.y.get(), "y", "units", grid.units);
    m.str(m.x.get(), "x", "standard_name", "projection_x_coordinate");
    m.str(m.x.get(), "x", "long_name", "x coordinate of cell centre");
    m.str(m.x.get(), "x", "units", grid.units);
  }
  m.str(m.y.get(), "y", "axis", "Y");
  m.str(m.x.get(), "x", "axis", "X");

  // Grid mapping variable.
  DatasetH crs = create_scalar_int(ck, f, "crs");
  const GridMapping gm = cf_grid_mapping(srs.get());
  if (!gm.name.empty()) m.str(crs.get(), "crs", "grid_mapping_name", gm.name);
  for (const auto& [name, values] : gm.params)
    set_double_attr(ck, crs.get(), "crs", name, values);
  if (!gm.crs_name.empty() && !gm.crs_name_attr.empty())
    m.str(crs.get(), "crs", gm.crs_name_attr, gm.crs_name);
  if (!gm.base_crs_name.empty()) m.str(crs.get(), "crs", "geographic_crs_name", gm.base_crs_name);
  const std::string wkt2 = srs.to_wkt();
  const std::string wkt1 = srs.to_wkt1();
  if (wkt2.empty() && wkt1.empty()) throw_runtime(path + ": the grid CRS cannot be exported as WKT");
  m.str(crs.get(), "crs", "crs_wkt", wkt2.empty() ? wkt1 : wkt2);
  if (!wkt1.empty()) m.str(crs.get(), "crs", "spatial_ref", wkt1);
  const auto gt = grid.geotransform();
  std::string gts;
  for (std::size_t i = 0; i < gt.size(); ++i)
    gts += (i ? " " : "") + fmt17(gt[i]);
  m.str(crs.get(), "crs", "GeoTransform", gts);
  const int epsg = grid.epsg > 0 ? grid.epsg : srs.epsg();
  if (epsg > 0) m.str(crs.get(), "crs", "epsg_code", "EPSG:" + std::to_string(epsg));
}

Hdf5LibraryGuard::Hdf5LibraryGuard() { H5dont_atexit(); }

Hdf5LibraryGuard::~Hdf5LibraryGuard() {
  if (H5Fget_obj_count(static_cast<hid_t>(H5F_OBJ_ALL), H5F_OBJ_FILE) == 0) H5close();
}

H5Writer::~H5Writer() {
  if (!impl_ || impl_->closed) return;
  ErrorSilencer quiet;
  impl_->x.reset();
  impl_->y.reset();
  impl_->file.reset();
  H5Eclear2(H5E_DEFAULT);
}

void H5Writer::write_grid(const GridVariable& var) {
  if (!var.data) throw_runtime(impl_->ck.file() + ": grid '" + var.name + "' has no data");
  const std::int64_t nx = impl_->grid.nx;
  write_grid_streamed(var, [&](std::int64_t row0, std::int64_t rows, float* buf) {
    std::copy(var.data + row0 * nx, var.data + (row0 + rows) * nx, buf);
  });
}

void H5Writer::write_grid_streamed(const GridVariable& var, const RowSource& source) {
  ErrorSilencer quiet;
  Impl& m = *impl_;
  m.require_open("write_grid(" + var.name + ")");
  const Checker& ck = m.ck;
  const std::string& name = var.name;
  if (!valid_name(name)) throw_runtime(ck.file() + ": invalid grid variable name '" + name + "'");
  for (const auto& kv : var.attributes) {
    static const std::set<std::string> reserved = {"_FillValue",     "missing_value", "grid_mapping",
                                                   "CLASS",          "NAME",          "DIMENSION_LIST",
                                                   "REFERENCE_LIST", "long_name",     "units"};
    if (reserved.count(kv.first) || kv.first.empty())
      throw_runtime(ck.file() + ": grid '" + name + "': extra attribute '" + kv.first + "' is reserved");
  }
  require_new_name(ck, m.root(), name);

  const hsize_t ny = static_cast<hsize_t>(m.grid.ny), nx = static_cast<hsize_t>(m.grid.nx);
  const hsize_t dims[2] = {ny, nx};
  const hsize_t chunk[2] = {std::min<hsize_t>(256, ny), std::min<hsize_t>(256, nx)};
  const int level = m.compression.deflate_level;
  SpaceH fspace(ck.id(H5Screate_simple(2, dims, nullptr), name, "H5Screate_simple"));
  PlistH dcpl = base_dcpl(ck, name);
  ck.ok(H5Pset_chunk(dcpl.get(), 2, chunk), name, "H5Pset_chunk");
  if (level > 0) {
    ck.ok(H5Pset_shuffle(dcpl.get()), name, "H5Pset_shuffle");
    // The filter's level is only recorded (readers need none); libdeflate's levels go up to 12.
    ck.ok(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(std::min(level, 9))), name, "H5Pset_deflate");
  }
  const float fill = kFillValue;
  ck.ok(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_FLOAT, &fill), name, "H5Pset_fill_value");
  DatasetH ds(ck.id(
      H5Dcreate2(m.root(), name.c_str(), H5T_IEEE_F32LE, fspace.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
      name, "H5Dcreate2"));

  // Blocks of whole chunk rows: each chunk is encoded once, in parallel, and written as stored bytes.
  const hsize_t block_rows = chunk[0];
  std::vector<float> buf(static_cast<std::size_t>(block_rows * nx));
  ChunkEncoder encoder(static_cast<std::int64_t>(chunk[0]), static_cast<std::int64_t>(chunk[1]), level);
  for (hsize_t r0 = 0; r0 < ny; r0 += block_rows) {
    const hsize_t rows = std::min(block_rows, ny - r0);
    source(static_cast<std::int64_t>(r0), static_cast<std::int64_t>(rows), buf.data());
    encoder.encode_row(buf.data(), static_cast<std::int64_t>(rows), static_cast<std::int64_t>(nx),
                       kFillValue);
    for (std::int64_t c = 0; c < encoder.chunks(); ++c) {
      const hsize_t offset[2] = {r0, static_cast<hsize_t>(c) * chunk[1]};
      const auto bytes = encoder.chunk(c);
      ck.ok(H5Dwrite_chunk(ds.get(), H5P_DEFAULT, 0, offset, bytes.second, bytes.first), name,
            "H5Dwrite_chunk");
    }
  }

  // _FillValue must have the variable's type, or netCDF-C refuses the variable.
  set_float_attr(ck, ds.get(), name, "_FillValue", kFillValue);
  set_float_attr(ck, ds.get(), name, "missing_value", kFillValue);
  m.str(ds.get(), name, "long_name", var.long_name);
  m.str(ds.get(), name, "units", var.units);
  m.str(ds.get(), name, "grid_mapping", "crs");
  for (const auto& [k, v] : var.attributes)
    m.str(ds.get(), name, k, v);
  for (const auto& [k, v] : var.float_attributes)
    set_num_attr(ck, ds.get(), name, k, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, v);
  attach(ck, ds.get(), name, m.y.get(), 0);
  attach(ck, ds.get(), name, m.x.get(), 1);
}

void H5Writer::write_table(const std::string& dim, const std::vector<TableColumn>& columns,
                           const std::map<std::string, std::string>& attributes,
                           const std::map<std::string, double>& numbers) {
  ErrorSilencer quiet;
  Impl& m = *impl_;
  m.require_open("write_table(" + dim + ")");
  const Checker& ck = m.ck;
  const hid_t f = m.root();
  if (!valid_name(dim)) throw_runtime(ck.file() + ": invalid table name '" + dim + "'");
  const hsize_t n = columns.empty() ? 0 : columns.front().values.size();
  for (const auto& c : columns)
    if (c.values.size() != n || !valid_name(c.name))
      throw_runtime(ck.file() + ": table '" + dim + "': column '" + c.name +
                    "' is invalid or of another length");
  if (n == 0) {
    require_new_name(ck, f, dim);
    m.str(f, "/", dim, "empty table");
    return;
  }
  std::vector<std::int32_t> idx(n);
  for (hsize_t i = 0; i < n; ++i)
    idx[i] = static_cast<std::int32_t>(i);
  DatasetH scale = create_1d(ck, f, dim, H5T_STD_I32LE, H5T_NATIVE_INT32, n, idx.data());
  ck.ok(H5DSset_scale(scale.get(), dim.c_str()), dim, "H5DSset_scale");
  for (const auto& [k, v] : attributes)
    m.str(scale.get(), dim, k, v);
  for (const auto& [k, v] : numbers)
    set_double_attr(ck, scale.get(), dim, k, {v});
  for (const auto& c : columns) {
    DatasetH ds = create_1d(ck, f, c.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, c.values.data());
    m.str(ds.get(), c.name, "long_name", c.long_name);
    if (!c.units.empty()) m.str(ds.get(), c.name, "units", c.units);
    attach(ck, ds.get(), c.name, scale.get(), 0);
  }
}

void H5Writer::set_global(const std::string& name, const std::string& value) {
  ErrorSilencer quiet;
  Impl& m = *impl_;
  m.require_open("set_global(" + name + ")");
  m.str(m.root(), "/", name, value);
}

void H5Writer::write_provenance(const Provenance& prov) {
  ErrorSilencer quiet;
  Impl& m = *impl_;
  m.require_open("write_provenance");
  const Checker& ck = m.ck;
  DatasetH p = create_scalar_int(ck, m.root(), "provenance");
  const std::string o = "provenance";
  m.str(p.get(), o, "long_name", "how this file was made");
  m.str(p.get(), o, "job_path", prov.job_path);
  m.str(p.get(), o, "job_text_sha256", sha256_hex(prov.job_text));
  if (prov.job_text.size() > kMaxAttributeBytes) {
    m.str(p.get(), o, "job_text",
          "(not stored: the job text is " + std::to_string(prov.job_text.size()) +
              " bytes, more than an HDF5 "
              "attribute holds; its SHA-256 is in job_text_sha256)");
  } else {
    m.str(p.get(), o, "job_text", prov.job_text);
  }
  m.str(p.get(), o, "prospector_version", prov.version);
  m.str(p.get(), o, "created_utc", prov.created_utc);
  std::string inputs;
  std::size_t stored = 0;
  for (const InputRecord& in : prov.inputs) {
    const std::string line = in.id + "\t" + in.path + "\t" + in.sha256;
    if (inputs.size() + line.size() + 200 > kMaxAttributeBytes) break;
    if (!inputs.empty()) inputs += "\n";
    inputs += line;
    ++stored;
  }
  if (stored < prov.inputs.size())
    inputs += "\n(" + std::to_string(prov.inputs.size() - stored) +
              " more inputs not listed: attribute size limit)";
  m.str(p.get(), o, "inputs", inputs);
  m.str(m.root(), "/", "history",
        "created by prospector " + prov.version + " from " + prov.job_path + " at " + prov.created_utc);
}

void H5Writer::close() {
  ErrorSilencer quiet;
  Impl& m = *impl_;
  m.require_open("close");
  m.x.reset();
  m.y.reset();
  const hid_t f = m.file.get();
  herr_t rc = H5Fflush(f, H5F_SCOPE_GLOBAL);
  const std::string flush_error = rc < 0 ? h5::error_text() : std::string();
  const herr_t crc = m.file.close_now();
  m.closed = true;
  if (rc < 0 || crc < 0) {
    std::string detail = rc < 0 ? flush_error : h5::error_text();
    throw_runtime(m.ck.file() + ": HDF5 " + (rc < 0 ? "H5Fflush" : "H5Fclose") + " failed for '/'" +
                  (detail.empty() ? "" : ": " + detail) + " (check free disk space)");
  }
}

} // namespace prospector
