#include "pipeline/io/geosoft_grd.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/io/gdal_util.hpp"

#include <catch2/catch.hpp>
#include <cpl_conv.h>
#include <gdalwarper.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

using prospector::Error;
using prospector::ErrorKind;
using prospector::GeosoftGrid;
using prospector::looks_like_geosoft_grd;
using prospector::read_geosoft_grd;

namespace {

const std::string kData = std::string(PROSPECTOR_SOURCE_DIR) + "/tests/data/geosoft/";

/// A fresh temporary folder, removed with its files at the end of the test.
struct TempDir {
  std::string path;
  std::vector<std::string> files;
  TempDir() {
    char tmpl[] = "/tmp/prospector_geosoft_XXXXXX";
    const char* p = mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path = p;
  }
  ~TempDir() {
    for (const auto& f : files)
      std::remove(f.c_str());
    rmdir(path.c_str());
  }
  std::string write(const std::string& name, const std::vector<unsigned char>& bytes) {
    const std::string f = path + "/" + name;
    std::ofstream o(f, std::ios::binary);
    o.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    files.push_back(f);
    return f;
  }
};

std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put_i32(std::vector<unsigned char>& b, size_t at, std::int32_t v) {
  for (int i = 0; i < 4; ++i)
    b[at + i] = static_cast<unsigned char>((static_cast<std::uint32_t>(v) >> (8 * i)) & 0xFF);
}
void put_i64(std::vector<unsigned char>& b, size_t at, std::int64_t v) {
  for (int i = 0; i < 8; ++i)
    b[at + i] = static_cast<unsigned char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xFF);
}
void put_f64(std::vector<unsigned char>& b, size_t at, double v) {
  std::uint64_t u;
  std::memcpy(&u, &v, 8);
  put_i64(b, at, static_cast<std::int64_t>(u));
}

/// A 512-byte header written from the published field offsets.
std::vector<unsigned char> header(std::int32_t es, std::int32_t sf, std::int32_t ne, std::int32_t nv,
                                  std::int32_t kx, double de = 1, double dv = 1, double x0 = 0, double y0 = 0,
                                  double rot = 0, double zbase = 0, double zmult = 1) {
  std::vector<unsigned char> b(512, 0);
  put_i32(b, 0, es);
  put_i32(b, 4, sf);
  put_i32(b, 8, ne);
  put_i32(b, 12, nv);
  put_i32(b, 16, kx);
  put_f64(b, 20, de);
  put_f64(b, 28, dv);
  put_f64(b, 36, x0);
  put_f64(b, 44, y0);
  put_f64(b, 52, rot);
  put_f64(b, 60, zbase);
  put_f64(b, 68, zmult);
  return b;
}

/// The expected 50 x 49 grid (row 0 = north) read from harmonica's om_expected.nc with GDAL's netCDF driver.
struct Expected {
  int nx = 0, ny = 0;
  std::vector<double> v;
};
const Expected& expected() {
  static const Expected e = [] {
    prospector::gdal::ensure_initialized();
    Expected x;
    prospector::gdal::Dataset ds = prospector::gdal::open_raster(kData + "om_expected.nc", "om_expected.nc");
    x.nx = GDALGetRasterXSize(ds.get());
    x.ny = GDALGetRasterYSize(ds.get());
    x.v.resize(static_cast<size_t>(x.nx) * x.ny);
    REQUIRE(GDALRasterIO(GDALGetRasterBand(ds.get(), 1), GF_Read, 0, 0, x.nx, x.ny, x.v.data(), x.nx, x.ny,
                         GDT_Float64, 0, 0) == CE_None);
    return x;
  }();
  return e;
}

/// Asserts that a decoded grid equals om_expected.nc within `tol` with the same NaN cells.
void check_matches_expected(const GeosoftGrid& g, double tol) {
  const Expected& e = expected();
  REQUIRE(e.nx == 50);
  REQUIRE(e.ny == 49);
  // Values printed by `/usr/bin/python3` + scipy.io.netcdf_file('om_expected.nc') (northing ascending, so the
  // last netCDF row is GDAL's row 0): these guard against a change of GDAL's bottom-up flipping.
  REQUIRE(e.v[0] == Approx(-0.41237289).margin(1e-7));
  REQUIRE(std::isnan(e.v[48 * 50]));
  REQUIRE(e.v[48 * 50 + 1] == Approx(0.20891868).margin(1e-7));
  REQUIRE(g.nx == 50);
  REQUIRE(g.ny == 49);
  REQUIRE(g.data.size() == e.v.size());
  std::int64_t nan_mismatch = 0, value_mismatch = 0, nans = 0;
  double worst = 0;
  for (size_t i = 0; i < e.v.size(); ++i) {
    const bool en = std::isnan(e.v[i]), gn = std::isnan(g.data[i]);
    nans += en;
    if (en != gn) {
      ++nan_mismatch;
      continue;
    }
    if (en) continue;
    const double d = std::fabs(e.v[i] - static_cast<double>(g.data[i]));
    worst = std::max(worst, d);
    if (d > tol) ++value_mismatch;
  }
  CHECK(nans == 655); // 50 * 49 - 1795 valid points (NVPTS in the headers)
  CHECK(nan_mismatch == 0);
  CHECK(value_mismatch == 0);
  INFO("largest difference " << worst);
  CHECK(worst <= tol);
}

void check_unrotated_georef(const GeosoftGrid& g) {
  // X0 = 1, Y0 = -24 is the south-west node; 1-unit cells; 49 rows.
  CHECK(g.rotation_deg == 0.0);
  CHECK(g.geotransform[0] == Approx(0.5));
  CHECK(g.geotransform[1] == Approx(1.0));
  CHECK(g.geotransform[2] == 0.0);
  CHECK(g.geotransform[3] == Approx(-24.0 + 48.5));
  CHECK(g.geotransform[4] == 0.0);
  CHECK(g.geotransform[5] == Approx(-1.0));
  CHECK(g.crs_wkt.empty());
}

template <class F> std::string input_error(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::InputData);
    return e.what();
  }
  FAIL("no prospector::Error thrown");
  return {};
}

/// A compressed grid built from values with blocks of `vpb` vectors, written as Oasis montaj does: the
/// 16-byte compression header, the offset and size tables, and per block a 16-byte prefix + zlib stream.
std::vector<unsigned char> make_compressed(const std::vector<float>& vectors, std::int32_t ne,
                                           std::int32_t nv, std::int32_t vpb) {
  std::vector<unsigned char> out = header(1028, 2, ne, nv, 1, 1, 1, /*x0=*/1, /*y0=*/-24);
  const std::int32_t nb = (nv + vpb - 1) / vpb;
  const size_t table_at = out.size() + 16;
  out.resize(table_at + 12 * static_cast<size_t>(nb));
  put_i32(out, 512, static_cast<std::int32_t>(0xF8E7D8C7u));
  put_i32(out, 516, 1);
  put_i32(out, 520, nb);
  put_i32(out, 524, vpb);
  for (std::int32_t b = 0; b < nb; ++b) {
    const std::int32_t first = b * vpb, count = std::min(vpb, nv - first);
    const auto* src =
        reinterpret_cast<const unsigned char*>(vectors.data() + static_cast<size_t>(first) * ne);
    const size_t n = static_cast<size_t>(count) * ne * 4;
    std::vector<unsigned char> z(n + 1024);
    size_t zn = 0;
    REQUIRE(CPLZLibDeflate(src, n, 6, z.data(), z.size(), &zn) != nullptr);
    const size_t at = out.size();
    out.resize(at + 16 + zn);
    std::memcpy(out.data() + at + 16, z.data(), zn);
    put_i64(out, table_at + 8 * static_cast<size_t>(b), static_cast<std::int64_t>(at));
    put_i32(out, table_at + 8 * static_cast<size_t>(nb) + 4 * static_cast<size_t>(b),
            static_cast<std::int32_t>(16 + zn));
  }
  return out;
}

} // namespace

TEST_CASE("Geosoft grids of every element type decode to harmonica's expected values", "[geosoft]") {
  SECTION("float") {
    const GeosoftGrid g = read_geosoft_grd(kData + "om_float.grd");
    check_matches_expected(g, 1e-6);
    check_unrotated_georef(g);
  }
  SECTION("double") { check_matches_expected(read_geosoft_grd(kData + "om_double.grd"), 1e-6); }
  SECTION("short, scaled with ZBASE/ZMULT (quantisation 1/ZMULT = 0.0008)") {
    const GeosoftGrid g = read_geosoft_grd(kData + "om_short.grd");
    check_matches_expected(g, 1e-3);
    check_unrotated_georef(g);
  }
  SECTION("long, scaled") { check_matches_expected(read_geosoft_grd(kData + "om_long.grd"), 1e-6); }
  SECTION("byte, scaled (quantisation 1/ZMULT = 0.2)") {
    check_matches_expected(read_geosoft_grd(kData + "om_byte.grd"), 0.15);
  }
  SECTION("zlib-compressed float") {
    const GeosoftGrid g = read_geosoft_grd(kData + "om_compress.grd");
    check_matches_expected(g, 1e-6);
    check_unrotated_georef(g);
  }
  SECTION("KX = -1: vectors are columns") {
    const GeosoftGrid g = read_geosoft_grd(kData + "om_order.grd");
    check_matches_expected(g, 1e-6);
    check_unrotated_georef(g);
  }
}

TEST_CASE("Compressed grids with one and several blocks", "[geosoft]") {
  SECTION("small 5 x 5 fixture: dummies -> NaN") {
    const GeosoftGrid g = read_geosoft_grd(kData + "om_small_compress.grd");
    REQUIRE(g.nx == 5);
    REQUIRE(g.ny == 5);
    // Independently decoded with /usr/bin/python3: zlib.decompress of the block, numpy '<f4', rows flipped.
    const float n = NAN;
    const std::vector<float> want = {n,   n,   n,   n,  n,   n,  n,  n,   n,   n,   -10, -10, -10,
                                     -10, -10, -10, 10, -10, 10, 10, -10, -10, -10, -10, -10};
    for (size_t i = 0; i < want.size(); ++i) {
      INFO("cell " << i);
      if (std::isnan(want[i]))
        CHECK(std::isnan(g.data[i]));
      else
        CHECK(g.data[i] == want[i]);
    }
    CHECK(g.geotransform[0] == Approx(-6.25));
    CHECK(g.geotransform[1] == Approx(12.5));
    CHECK(g.geotransform[3] == Approx(4 * 12.5 + 6.25));
    CHECK(g.geotransform[5] == Approx(-12.5));
  }
  SECTION("om_float re-compressed in 5 blocks of 10 vectors equals the original") {
    const GeosoftGrid ref = read_geosoft_grd(kData + "om_float.grd");
    // Back to stored order (vector 0 = southern row) with the float dummy for NaN.
    std::vector<float> vectors(ref.data.size());
    for (int v = 0; v < 49; ++v)
      for (int e = 0; e < 50; ++e) {
        const float x = ref.data[static_cast<size_t>((48 - v) * 50 + e)];
        vectors[static_cast<size_t>(v * 50 + e)] = std::isnan(x) ? -1e32f : x;
      }
    TempDir tmp;
    const std::string f = tmp.write("multi.grd", make_compressed(vectors, 50, 49, 10));
    const GeosoftGrid g = read_geosoft_grd(f);
    REQUIRE(g.data.size() == ref.data.size());
    for (size_t i = 0; i < ref.data.size(); ++i) {
      INFO("cell " << i);
      if (std::isnan(ref.data[i]))
        CHECK(std::isnan(g.data[i]));
      else
        CHECK(g.data[i] == ref.data[i]);
    }
    CHECK(g.geotransform == ref.geotransform);
  }
}

TEST_CASE("A rotated Geosoft grid keeps its values and gets a rotated geotransform", "[geosoft]") {
  const GeosoftGrid g = read_geosoft_grd(kData + "om_rotate.grd");
  check_matches_expected(g, 1e-6);
  CHECK(g.rotation_deg == -30.0);
  const auto& gt = g.geotransform;
  auto at = [&](double col, double row) {
    return std::pair<double, double>{gt[0] + col * gt[1] + row * gt[2], gt[3] + col * gt[4] + row * gt[5]};
  };
  // The south-west node (centre of column 0, bottom row) is the origin X0 = 1, Y0 = -24.
  auto sw = at(0.5, 48.5);
  CHECK(sw.first == Approx(1.0));
  CHECK(sw.second == Approx(-24.0));
  // One node east along the grid's x axis is (cos -30, sin -30) away; one node north is (-sin, cos).
  auto e1 = at(1.5, 48.5);
  CHECK(e1.first - sw.first == Approx(std::sqrt(3.0) / 2));
  CHECK(e1.second - sw.second == Approx(-0.5));
  auto n1 = at(0.5, 47.5);
  CHECK(n1.first - sw.first == Approx(0.5));
  CHECK(n1.second - sw.second == Approx(std::sqrt(3.0) / 2));
  // The node extent written by Oasis montaj in om_rotate.grd.xml (<extent2d minx="1" miny="-48.5"
  // maxx="67.43524478543749" maxy="17.569219381653056">).
  double xmin = 1e300, xmax = -1e300, ymin = 1e300, ymax = -1e300;
  for (double c : {0.5, 49.5})
    for (double r : {0.5, 48.5}) {
      auto p = at(c, r);
      xmin = std::min(xmin, p.first);
      xmax = std::max(xmax, p.first);
      ymin = std::min(ymin, p.second);
      ymax = std::max(ymax, p.second);
    }
  CHECK(xmin == Approx(1.0));
  CHECK(ymin == Approx(-48.5));
  CHECK(xmax == Approx(67.43524478543749));
  CHECK(ymax == Approx(17.569219381653056));
  // The CRS is reported as unknown, naming the side files found.
  CHECK(g.crs_wkt.empty());
  CHECK(g.crs_note.find("om_rotate.grd.gi") != std::string::npos);
  CHECK(g.crs_note.find("UNKNOWN") != std::string::npos);
  CHECK(g.crs_note.find("\"crs\"") != std::string::npos);
}

TEST_CASE("filter_data.grd (56 x 56 double) decodes to independently computed values", "[geosoft]") {
  const GeosoftGrid g = read_geosoft_grd(kData + "filter_data.grd");
  REQUIRE(g.nx == 56);
  REQUIRE(g.ny == 56);
  // /usr/bin/python3: numpy.frombuffer(bytes[512:], '<f8').reshape(56, 56)[::-1] (row 0 = north).
  CHECK(g.data[0] == Approx(-0.19972719252109528).epsilon(1e-6));
  CHECK(g.data[55 * 56 + 55] == Approx(-0.21742846071720123).epsilon(1e-6));
  CHECK(g.data[10 * 56 + 20] == Approx(-1.1946377754211426).epsilon(1e-6));
  double sum = 0;
  for (float v : g.data) {
    REQUIRE(std::isfinite(v));
    sum += v;
  }
  CHECK(sum == Approx(15780.127420879784).epsilon(1e-6));
  CHECK(g.geotransform[0] == Approx(-2.5));
  CHECK(g.geotransform[3] == Approx(-27.0 + 55.5));
  CHECK(g.crs_note.find("no .gi or .xml side file") != std::string::npos);
}

TEST_CASE("Unsigned and signed integer element types map their dummies to NaN and scale", "[geosoft]") {
  TempDir tmp;
  struct Case {
    std::int32_t es, sf;
    std::vector<unsigned char> payload; // 3 x 1 elements: value, dummy, value
    double a, b;                        // expected values before scaling
  };
  const std::vector<Case> cases = {
      {1, 0, {7, 255, 254}, 7, 254},
      {1, 1, {0xF9, 0x81, 0x7F}, -7, 127}, // -7, dummy -127, 127
      {2, 0, {7, 0, 0xFF, 0xFF, 0xFE, 0xFF}, 7, 65534},
      {2, 1, {0xF9, 0xFF, 0x01, 0x80, 0xFF, 0x7F}, -7, 32767}, // dummy -32767 = 0x8001
      {4, 0, {7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF}, 7, 4294967294.0},
      {4, 1, {0xF9, 0xFF, 0xFF, 0xFF, 0x01, 0, 0, 0x80, 0xFF, 0xFF, 0xFF, 0x7F}, -7, 2147483647.0},
  };
  for (const Case& c : cases) {
    INFO("ES " << c.es << " SF " << c.sf);
    std::vector<unsigned char> b = header(c.es, c.sf, 3, 1, 1, 1, 1, 0, 0, 0, /*zbase=*/100, /*zmult=*/2);
    b.insert(b.end(), c.payload.begin(), c.payload.end());
    const GeosoftGrid g =
        read_geosoft_grd(tmp.write("t" + std::to_string(c.es) + std::to_string(c.sf) + ".grd", b));
    REQUIRE(g.data.size() == 3);
    CHECK(g.data[0] == Approx(c.a / 2 + 100));
    CHECK(std::isnan(g.data[1]));
    CHECK(g.data[2] == Approx(static_cast<float>(c.b / 2 + 100)));
  }
  SECTION("float dummy, NaN and values beyond the float32 range") {
    std::vector<unsigned char> b = header(8, 2, 4, 1, 1);
    b.resize(512 + 32);
    put_f64(b, 512, -1e32);
    put_f64(b, 520, NAN);
    put_f64(b, 528, 1e300);
    put_f64(b, 536, -3.25);
    const GeosoftGrid g = read_geosoft_grd(tmp.write("dummies.grd", b));
    CHECK(std::isnan(g.data[0]));
    CHECK(std::isnan(g.data[1]));
    CHECK(std::isnan(g.data[2]));
    CHECK(g.data[3] == -3.25f);
  }
}

TEST_CASE("looks_like_geosoft_grd tells Geosoft grids from other .grd files", "[geosoft]") {
  for (const char* f : {"om_float.grd", "om_short.grd", "om_compress.grd", "om_small_compress.grd",
                        "om_rotate.grd", "om_order.grd", "om_byte.grd", "om_long.grd", "om_double.grd",
                        "filter_data.grd", "incomplete_grid.grd"}) {
    INFO(f);
    CHECK(looks_like_geosoft_grd(kData + f));
  }
  const std::string autotest = std::string(PROSPECTOR_SOURCE_DIR) + "/tests/data/gdal_autotest/";
  for (const char* f :
       {"gdrivers_gsg/gsg_ascii.grd", "gdrivers_gsg/gsg_binary.grd", "gdrivers_gsg/gsg_7binary.grd",
        "gdrivers_netcdf/sombrero.grd", "gdrivers_nwt_grd/nwt_grd.grd", "gdrivers_rraster/byte_rraster.grd",
        "gdrivers_aaigrid/byte.tif.grd"}) {
    INFO(f);
    const std::string p = autotest + f;
    std::ifstream probe(p);
    REQUIRE(probe.good()); // the corpus file must exist, or this check proves nothing
    CHECK_FALSE(looks_like_geosoft_grd(p));
  }
  // Every other fixture of the test corpus (GeoTIFF, netCDF, ERS, GXF, ASCII, CSV, ...) is not a Geosoft
  // grid.
  int others = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(std::string(PROSPECTOR_SOURCE_DIR) + "/tests/data")) {
    if (!entry.is_regular_file() || entry.path().parent_path().filename() == "geosoft") continue;
    INFO(entry.path().string());
    CHECK_FALSE(looks_like_geosoft_grd(entry.path().string()));
    ++others;
  }
  CHECK(others > 20);
  CHECK_FALSE(looks_like_geosoft_grd(kData + "om_expected.nc"));
  CHECK_FALSE(looks_like_geosoft_grd(kData + "does_not_exist.grd"));
  CHECK_FALSE(looks_like_geosoft_grd(kData));
}

TEST_CASE("Truncated and corrupt Geosoft grids give a clear input-data error", "[geosoft]") {
  SECTION("harmonica's incomplete_grid.grd (100 bytes missing)") {
    const std::string m = input_error([] { read_geosoft_grd(kData + "incomplete_grid.grd"); });
    CHECK(m.find("incomplete_grid.grd") != std::string::npos);
    CHECK(m.find("50 x 49") != std::string::npos);
    CHECK(m.find("truncated") != std::string::npos);
  }
  TempDir tmp;
  const std::vector<unsigned char> good = read_bytes(kData + "om_float.grd");
  REQUIRE(good.size() == 10312);
  auto corrupt = [&](const std::string& name, auto&& edit) {
    std::vector<unsigned char> b = good;
    edit(b);
    return tmp.write(name, b);
  };
  SECTION("huge declared size is refused before allocating, with the memory it needs") {
    const std::string f = corrupt("huge.grd", [](auto& b) {
      put_i32(b, 8, 2000000000);
      put_i32(b, 12, 2000000000);
    });
    const std::string m = input_error([&] { read_geosoft_grd(f); });
    CHECK(m.find("huge.grd") != std::string::npos);
    CHECK(m.find("2000000000 x 2000000000") != std::string::npos);
    CHECK(m.find("EiB of memory") != std::string::npos); // 4e18 cells * 4 bytes = 13.9 EiB
  }
  SECTION("huge declared size in a compressed grid") {
    std::vector<unsigned char> b = read_bytes(kData + "om_compress.grd");
    put_i32(b, 8, 1 << 30);
    const std::string f = tmp.write("hugez.grd", b);
    const std::string m = input_error([&] { read_geosoft_grd(f); });
    CHECK(m.find("more than zlib can expand") != std::string::npos);
  }
  SECTION("negative sizes") {
    const std::string f = corrupt("neg.grd", [](auto& b) { put_i32(b, 8, -50); });
    const std::string m = input_error([&] { read_geosoft_grd(f); });
    CHECK(m.find("NE = -50") != std::string::npos);
    const std::string f2 = corrupt("zero.grd", [](auto& b) { put_i32(b, 12, 0); });
    CHECK(input_error([&] { read_geosoft_grd(f2); }).find("NV = 0") != std::string::npos);
  }
  SECTION("unknown element size and type") {
    const std::string f = corrupt("es3.grd", [](auto& b) { put_i32(b, 0, 3); });
    CHECK(input_error([&] { read_geosoft_grd(f); }).find("unknown element size ES = 3") != std::string::npos);
    const std::string f2 = corrupt("sf9.grd", [](auto& b) { put_i32(b, 4, 9); });
    CHECK(input_error([&] { read_geosoft_grd(f2); }).find("unknown element type") != std::string::npos);
    const std::string f3 = corrupt("short_float.grd", [](auto& b) { put_i32(b, 0, 2); });
    CHECK(input_error([&] { read_geosoft_grd(f3); }).find("unknown element type") != std::string::npos);
    const std::string f4 = corrupt("rgb.grd", [](auto& b) { put_i32(b, 4, 3); });
    CHECK(input_error([&] { read_geosoft_grd(f4); }).find("colour") != std::string::npos);
  }
  SECTION("unsupported KX, bad spacing and scaling") {
    const std::string f = corrupt("kx2.grd", [](auto& b) { put_i32(b, 16, 2); });
    CHECK(input_error([&] { read_geosoft_grd(f); }).find("KX = 2") != std::string::npos);
    const std::string f2 = corrupt("de0.grd", [](auto& b) { put_f64(b, 20, 0.0); });
    CHECK(input_error([&] { read_geosoft_grd(f2); }).find("spacing") != std::string::npos);
    const std::string f3 = corrupt("zmult0.grd", [](auto& b) { put_f64(b, 68, 0.0); });
    CHECK(input_error([&] { read_geosoft_grd(f3); }).find("ZMULT") != std::string::npos);
    const std::string f4 = corrupt("x0nan.grd", [](auto& b) { put_f64(b, 36, NAN); });
    CHECK(input_error([&] { read_geosoft_grd(f4); }).find("X0") != std::string::npos);
    const std::string f5 = corrupt("overflow.grd", [](auto& b) { put_f64(b, 28, 1e308); });
    CHECK(input_error([&] { read_geosoft_grd(f5); }).find("overflows") != std::string::npos);
  }
  SECTION("shorter than the header, missing file, folder") {
    const std::string f =
        tmp.write("short.grd", std::vector<unsigned char>(good.begin(), good.begin() + 100));
    CHECK(input_error([&] { read_geosoft_grd(f); }).find("512-byte header") != std::string::npos);
    CHECK(input_error([&] { read_geosoft_grd(kData + "nope.grd"); }).find("not found") != std::string::npos);
    CHECK(input_error([&] { read_geosoft_grd(tmp.path); }).find("folder") != std::string::npos);
  }
  SECTION("corrupt compressed data") {
    const std::vector<unsigned char> z = read_bytes(kData + "om_compress.grd");
    auto zcorrupt = [&](const std::string& name, auto&& edit) {
      std::vector<unsigned char> b = z;
      edit(b);
      return tmp.write(name, b);
    };
    const std::string sig = zcorrupt("sig.grd", [](auto& b) { b[512] ^= 0xFF; });
    CHECK(input_error([&] { read_geosoft_grd(sig); }).find("signature") != std::string::npos);
    const std::string nb = zcorrupt("nb.grd", [](auto& b) { put_i32(b, 520, 0x7FFFFFFF); });
    CHECK(input_error([&] { read_geosoft_grd(nb); }).find("does not fit") != std::string::npos);
    const std::string vpb = zcorrupt("vpb.grd", [](auto& b) { put_i32(b, 524, 1); });
    CHECK(input_error([&] { read_geosoft_grd(vpb); }).find("too few") != std::string::npos);
    const std::string off = zcorrupt("off.grd", [](auto& b) { put_i64(b, 528, 1LL << 40); });
    CHECK(input_error([&] { read_geosoft_grd(off); }).find("outside the file") != std::string::npos);
    const std::string trunc = tmp.write(
        "ztrunc.grd", std::vector<unsigned char>(z.begin(), z.begin() + static_cast<long>(z.size()) - 500));
    CHECK(input_error([&] { read_geosoft_grd(trunc); }).find("outside the file") != std::string::npos);
    const std::string notz = zcorrupt("notz.grd", [](auto& b) { b[540 + 16] = 0; });
    CHECK(input_error([&] { read_geosoft_grd(notz); }).find("not a zlib stream") != std::string::npos);
    const std::string bad = zcorrupt("badz.grd", [](auto& b) {
      for (size_t i = 600; i < 700; ++i)
        b[i] = static_cast<unsigned char>(i * 7);
    });
    CHECK(input_error([&] { read_geosoft_grd(bad); }).find("cannot be decompressed") != std::string::npos);
  }
}

TEST_CASE("A Geosoft grid becomes a GDAL MEM dataset with georeferencing and NaN nodata", "[geosoft]") {
  const GeosoftGrid g = read_geosoft_grd(kData + "om_rotate.grd");
  prospector::gdal::Dataset ds = prospector::geosoft_to_mem_dataset(g);
  REQUIRE(ds);
  CHECK(GDALGetRasterXSize(ds.get()) == 50);
  CHECK(GDALGetRasterYSize(ds.get()) == 49);
  double gt[6];
  REQUIRE(GDALGetGeoTransform(ds.get(), gt) == CE_None);
  for (int i = 0; i < 6; ++i)
    CHECK(gt[i] == g.geotransform[static_cast<size_t>(i)]);
  CHECK(gt[2] != 0.0); // rotation terms
  int has = 0;
  CHECK(std::isnan(GDALGetRasterNoDataValue(GDALGetRasterBand(ds.get(), 1), &has)));
  CHECK(has);
  SECTION("GDAL's warper puts each rotated node where the rotation formula says") {
    // A north-up 1-unit target grid over the rotated grid's extent, filled by nearest-neighbour warping.
    const int tnx = 70, tny = 68;
    const double tx0 = 0.0, ty0 = 18.5;
    GDALDriverH mem = GDALGetDriverByName("MEM");
    prospector::gdal::Dataset dst(GDALCreate(mem, "", tnx, tny, 1, GDT_Float32, nullptr));
    double tgt[6] = {tx0, 1.0, 0.0, ty0, 0.0, -1.0};
    GDALSetGeoTransform(dst.get(), tgt);
    GDALSetRasterNoDataValue(GDALGetRasterBand(dst.get(), 1), NAN);
    GDALFillRaster(GDALGetRasterBand(dst.get(), 1), NAN, 0);
    REQUIRE(GDALReprojectImage(ds.get(), nullptr, dst.get(), nullptr, GRA_NearestNeighbour, 0, 0, nullptr,
                               nullptr, nullptr) == CE_None);
    std::vector<float> out(static_cast<size_t>(tnx) * tny);
    REQUIRE(GDALRasterIO(GDALGetRasterBand(dst.get(), 1), GF_Read, 0, 0, tnx, tny, out.data(), tnx, tny,
                         GDT_Float32, 0, 0) == CE_None);
    const double rad = -30.0 * 3.14159265358979323846 / 180, c = std::cos(rad), s = std::sin(rad);
    int compared = 0;
    for (int r = 0; r < tny; ++r)
      for (int q = 0; q < tnx; ++q) {
        // Target cell centre -> grid axes (u east, v north along the rotated axes) relative to X0, Y0.
        const double dx = tx0 + q + 0.5 - 1.0, dy = ty0 - r - 0.5 + 24.0;
        const double u = dx * c + dy * s, v = -dx * s + dy * c;
        const double iu = std::round(u), iv = std::round(v);
        if (std::fabs(u - iu) > 0.3 || std::fabs(v - iv) > 0.3 || iu < 0 || iu > 49 || iv < 0 || iv > 48)
          continue;
        const float want = g.data[static_cast<size_t>((48 - iv) * 50 + iu)];
        const float got = out[static_cast<size_t>(r) * tnx + q];
        INFO("node " << iu << ", " << iv);
        if (std::isnan(want))
          CHECK(std::isnan(got));
        else
          CHECK(got == want);
        ++compared;
      }
    CHECK(compared > 300);
  }
  std::vector<float> back;
  prospector::gdal::read_band_f32(ds.get(), 1, back, "mem");
  REQUIRE(back.size() == g.data.size());
  for (size_t i = 0; i < back.size(); ++i) {
    if (std::isnan(g.data[i]))
      CHECK(std::isnan(back[i]));
    else
      CHECK(back[i] == g.data[i]);
  }
}
