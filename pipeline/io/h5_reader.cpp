#include "pipeline/io/h5_reader.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/io/h5_detail.hpp"
#include "pipeline/io/h5_writer.hpp"

#include <hdf5.h>

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <sstream>
#include <utility>
#include <vector>

namespace prospector {

namespace {

using h5::AttrH;
using h5::DatasetH;
using h5::ErrorSilencer;
using h5::FileH;
using h5::SpaceH;
using h5::TypeH;

struct Reader {
  std::string path;
  FileH file;

  [[noreturn]] void fail(const std::string& what) const {
    throw_input(path + ": " + what + " (the file is probably truncated or was not written by prospector)");
  }

  bool exists(const std::string& name) const { return H5Lexists(file.get(), name.c_str(), H5P_DEFAULT) > 0; }

  DatasetH open(const std::string& name) const {
    DatasetH d(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT));
    if (!d.valid()) fail("cannot open variable '" + name + "'");
    return d;
  }

  std::vector<hsize_t> dims(hid_t ds, const std::string& name) const {
    SpaceH sp(H5Dget_space(ds));
    if (!sp.valid()) fail("cannot read the shape of '" + name + "'");
    const int rank = H5Sget_simple_extent_ndims(sp.get());
    if (rank < 0) fail("cannot read the shape of '" + name + "'");
    std::vector<hsize_t> d(static_cast<std::size_t>(rank));
    if (rank > 0) H5Sget_simple_extent_dims(sp.get(), d.data(), nullptr);
    return d;
  }

  /// Whole 1-D variable converted to double; empty when absent.
  std::vector<double> read_1d(const std::string& name) const {
    if (!exists(name)) return {};
    DatasetH d = open(name);
    const auto shape = dims(d.get(), name);
    if (shape.size() != 1) fail("'" + name + "' is not one-dimensional");
    std::vector<double> v(static_cast<std::size_t>(shape[0]));
    if (!v.empty() && H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
      fail("cannot read '" + name + "'");
    return v;
  }
};

/// Reads a string or numeric attribute as text; "" when absent or unreadable.
std::string attr_text(hid_t obj, const char* name) {
  if (H5Aexists(obj, name) <= 0) return {};
  AttrH a(H5Aopen(obj, name, H5P_DEFAULT));
  if (!a.valid()) return {};
  TypeH t(H5Aget_type(a.get()));
  SpaceH sp(H5Aget_space(a.get()));
  const hssize_t npoints = H5Sget_simple_extent_npoints(sp.get());
  if (npoints < 1) return {};
  if (H5Tget_class(t.get()) == H5T_STRING) {
    if (H5Tis_variable_str(t.get()) > 0) {
      std::vector<char*> ptrs(static_cast<std::size_t>(npoints), nullptr);
      TypeH mt(H5Tcopy(H5T_C_S1));
      H5Tset_size(mt.get(), H5T_VARIABLE);
      if (H5Aread(a.get(), mt.get(), ptrs.data()) < 0) return {};
      std::string s = ptrs[0] ? ptrs[0] : "";
      H5Dvlen_reclaim(mt.get(), sp.get(), H5P_DEFAULT, ptrs.data());
      return s;
    }
    const std::size_t size = H5Tget_size(t.get());
    std::vector<char> buf(size * static_cast<std::size_t>(npoints) + 1, '\0');
    if (H5Aread(a.get(), t.get(), buf.data()) < 0) return {};
    return std::string(buf.data(), strnlen(buf.data(), size));
  }
  std::vector<double> v(static_cast<std::size_t>(npoints));
  if (H5Aread(a.get(), H5T_NATIVE_DOUBLE, v.data()) < 0) return {};
  std::ostringstream os;
  for (std::size_t i = 0; i < v.size(); ++i)
    os << (i ? " " : "") << v[i];
  return os.str();
}

bool attr_double(hid_t obj, const char* name, double& out) {
  if (H5Aexists(obj, name) <= 0) return false;
  AttrH a(H5Aopen(obj, name, H5P_DEFAULT));
  if (!a.valid()) return false;
  TypeH t(H5Aget_type(a.get()));
  const H5T_class_t cls = H5Tget_class(t.get());
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) return false;
  SpaceH sp(H5Aget_space(a.get()));
  if (H5Sget_simple_extent_npoints(sp.get()) != 1) return false;
  return H5Aread(a.get(), H5T_NATIVE_DOUBLE, &out) >= 0;
}

herr_t collect_attr_name(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

struct Stats {
  std::int64_t valid = 0;
  double min = 0, max = 0, sum = 0;
};

Stats grid_stats(const Reader& r, hid_t ds, const std::string& name, hsize_t ny, hsize_t nx) {
  double fill = kFillValue;
  attr_double(ds, "_FillValue", fill);
  const float fillf = static_cast<float>(fill);
  Stats s;
  const hsize_t block = std::max<hsize_t>(1, std::min<hsize_t>(ny, (1u << 22) / std::max<hsize_t>(nx, 1)));
  std::vector<float> buf(static_cast<std::size_t>(block * nx));
  SpaceH fspace(H5Dget_space(ds));
  for (hsize_t r0 = 0; r0 < ny; r0 += block) {
    const hsize_t rows = std::min(block, ny - r0);
    const hsize_t start[2] = {r0, 0}, cnt[2] = {rows, nx};
    SpaceH mspace(H5Screate_simple(2, cnt, nullptr));
    if (H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, cnt, nullptr) < 0 ||
        H5Dread(ds, H5T_NATIVE_FLOAT, mspace.get(), fspace.get(), H5P_DEFAULT, buf.data()) < 0)
      r.fail("cannot read grid '" + name + "'");
    for (std::size_t i = 0; i < static_cast<std::size_t>(rows * nx); ++i) {
      const float v = buf[i];
      if (std::isnan(v) || v == fillf) continue;
      if (s.valid == 0) s.min = s.max = v;
      s.min = std::min<double>(s.min, v);
      s.max = std::max<double>(s.max, v);
      s.sum += v;
      ++s.valid;
    }
  }
  return s;
}

} // namespace

std::string inspect_output(const std::string& h5_path) {
  ErrorSilencer quiet;
  struct stat st {};
  if (::stat(h5_path.c_str(), &st) != 0)
    throw_input(h5_path + ": file not found (give the prospectivity.nc written by `prospector run`)");
  if (H5Fis_hdf5(h5_path.c_str()) <= 0)
    throw_input(h5_path + ": not an HDF5 file (give the prospectivity.nc written by `prospector run`)");
  Reader r;
  r.path = h5_path;
  r.file = FileH(H5Fopen(h5_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!r.file.valid()) throw_input(h5_path + ": cannot open the HDF5 file (is it complete and readable?)");
  if (!r.exists("crs") || !r.exists("x") || !r.exists("y"))
    throw_input(h5_path + ": not a prospector output (it has no 'crs', 'x' and 'y' variables)");

  std::ostringstream out;
  const hid_t root = r.file.get();
  out << "prospector output: " << h5_path << "\n";
  for (const char* a : {"title", "source", "history"}) {
    const std::string v = attr_text(root, a);
    if (!v.empty()) out << "  " << a << ": " << v << "\n";
  }

  const std::vector<double> xs = r.read_1d("x"), ys = r.read_1d("y");
  DatasetH crs = r.open("crs");
  std::string epsg = attr_text(crs.get(), "epsg_code");
  if (epsg.empty()) epsg = attr_text(crs.get(), "grid_mapping_name");
  if (epsg.empty()) epsg = "(no EPSG code)";
  double cell = 0.0;
  std::istringstream gts(attr_text(crs.get(), "GeoTransform"));
  double gt[6] = {0, 0, 0, 0, 0, 0};
  if (gts >> gt[0] >> gt[1] >> gt[2] >> gt[3] >> gt[4] >> gt[5])
    cell = gt[1];
  else if (xs.size() > 1)
    cell = std::fabs(xs[1] - xs[0]);
  DatasetH xds = r.open("x");
  const std::string units = attr_text(xds.get(), "units");
  out << "  grid: " << xs.size() << " columns x " << ys.size() << " rows, cell " << fmt("%g", cell) << " "
      << units << ", CRS " << epsg << "\n";
  if (!xs.empty() && !ys.empty())
    out << "  extent: x " << fmt("%.10g", xs.front() - cell / 2) << " .. "
        << fmt("%.10g", xs.back() + cell / 2) << ", y " << fmt("%.10g", ys.back() - cell / 2) << " .. "
        << fmt("%.10g", ys.front() + cell / 2) << "\n";
  if (r.exists("provenance")) {
    DatasetH p = r.open("provenance");
    const std::string created = attr_text(p.get(), "created_utc"), job = attr_text(p.get(), "job_path");
    if (!created.empty() || !job.empty()) out << "  created: " << created << " from " << job << "\n";
  }

  std::vector<std::string> names;
  if (H5Literate(root, H5_INDEX_CRT_ORDER, H5_ITER_INC, nullptr, collect_name, &names) < 0) {
    names.clear();
    H5Eclear2(H5E_DEFAULT);
    if (H5Literate(root, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names) < 0)
      r.fail("cannot list the variables");
  }

  out << "grids:\n";
  int ngrids = 0;
  for (const std::string& name : names) {
    {
      // H5Oopen/H5Iget_type rather than the versioned H5Oget_info* family: same code on HDF5 1.10 and 1.12+.
      h5::ObjectH obj(H5Oopen(root, name.c_str(), H5P_DEFAULT));
      if (!obj.valid() || H5Iget_type(obj.get()) != H5I_DATASET) continue;
    }
    DatasetH d = r.open(name);
    const auto shape = r.dims(d.get(), name);
    TypeH t(H5Dget_type(d.get()));
    if (shape.size() != 2 || H5Tget_class(t.get()) != H5T_FLOAT || shape[0] != ys.size() ||
        shape[1] != xs.size())
      continue;
    const Stats s = grid_stats(r, d.get(), name, shape[0], shape[1]);
    ++ngrids;
    out << "  " << name;
    const std::string ln = attr_text(d.get(), "long_name"), u = attr_text(d.get(), "units");
    if (!ln.empty()) out << "  \"" << ln << "\"";
    if (!u.empty()) out << " [" << u << "]";
    out << "\n    valid " << s.valid << " of " << shape[0] * shape[1];
    if (s.valid > 0)
      out << ", min " << fmt("%.6g", s.min) << ", max " << fmt("%.6g", s.max) << ", mean "
          << fmt("%.6g", s.sum / static_cast<double>(s.valid));
    out << "\n";
  }
  if (ngrids == 0) out << "  (none)\n";

  const std::string prefix = "targets_", suffix = "_polygon";
  bool any_targets = false;
  for (const std::string& name : names) {
    if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    if (!any_targets) out << "targets:\n";
    any_targets = true;
    const std::string c = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    const std::string pre = prefix + c;
    const auto rank = r.read_1d(pre + "_rank"), peak = r.read_1d(pre + "_peak_score"),
               mean = r.read_1d(pre + "_mean_score"), area = r.read_1d(pre + "_area"),
               cx = r.read_1d(pre + "_centroid_x"), cy = r.read_1d(pre + "_centroid_y");
    const std::size_t n = rank.size();
    if (peak.size() != n || mean.size() != n || area.size() != n || cx.size() != n || cy.size() != n)
      r.fail("the target variables of '" + c + "' have different lengths");
    out << "  " << c << ": " << n << " target" << (n == 1 ? "" : "s");
    if (n == 0) {
      out << "\n";
      continue;
    }
    out << (n > 10 ? " (best 10 shown)" : "") << "\n";
    out << "    rank      peak      mean   area_km2      centroid_x      centroid_y\n";
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return rank[a] < rank[b]; });
    for (std::size_t k = 0; k < std::min<std::size_t>(10, n); ++k) {
      const std::size_t i = order[k];
      char line[160];
      std::snprintf(line, sizeof line, "    %4.0f  %8.4f  %8.4f  %9.4f  %14.2f  %14.2f\n", rank[i], peak[i],
                    mean[i], area[i] / 1e6, cx[i], cy[i]);
      out << line;
    }
  }
  // Commodities without targets are recorded as global attributes targets_<c>.
  std::vector<std::string> attrs;
  hsize_t aidx = 0;
  if (H5Aiterate2(root, H5_INDEX_NAME, H5_ITER_INC, &aidx, collect_attr_name, &attrs) < 0) attrs.clear();
  for (const std::string& a : attrs) {
    if (a.size() <= prefix.size() || a.compare(0, prefix.size(), prefix) != 0) continue;
    if (!any_targets) out << "targets:\n";
    any_targets = true;
    out << "  " << a.substr(prefix.size()) << ": " << attr_text(root, a.c_str()) << "\n";
  }
  if (!any_targets) out << "targets: (none)\n";
  return out.str();
}

} // namespace prospector
