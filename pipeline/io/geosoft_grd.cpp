#include "pipeline/io/geosoft_grd.hpp"

#include "pipeline/base/errors.hpp"

#include <cpl_conv.h>
#include <cpl_vsi.h>

#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace prospector {

namespace {

constexpr std::int64_t kHeaderBytes = 512;
constexpr std::uint32_t kCompressionSignature = 0xF8E7D8C7u;
// deflate cannot compress better than about 1032:1, so a compressed grid that claims more data than that
// per stored byte is corrupt; the slack covers the block tables and prefixes.
constexpr std::int64_t kMaxZlibRatio = 1032;
// Oasis montaj compresses blocks of up to 64 KiB (or one vector when a vector is larger) and pads the
// unused part of a block with dummies, so a block may inflate to more bytes than the vectors it carries.
constexpr std::int64_t kNominalBlockBytes = 65536;
// Oasis montaj writes a 16-byte prefix before each zlib stream.
constexpr std::int64_t kBlockPrefixBytes = 16;
// Valid stored values are at least -0.9e32; the float dummy is -1e32 (rounded in float32).
constexpr double kFloatDummyThreshold = -0.9e32;
constexpr double kPi = 3.14159265358979323846;

enum class Elem { U8, I8, U16, I16, U32, I32, F32, F64 };

struct Header {
  std::int32_t es_field = 0, sf = 0, ne = 0, nv = 0, kx = 0;
  double de = 0, dv = 0, x0 = 0, y0 = 0, rot = 0, zbase = 0, zmult = 0;
};

std::uint64_t load_le(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i)
    v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}
std::int32_t load_i32(const unsigned char* p) {
  const auto u = static_cast<std::uint32_t>(load_le(p, 4));
  std::int32_t v;
  std::memcpy(&v, &u, 4);
  return v;
}
std::int64_t load_i64(const unsigned char* p) {
  const std::uint64_t u = load_le(p, 8);
  std::int64_t v;
  std::memcpy(&v, &u, 8);
  return v;
}
double load_f64(const unsigned char* p) {
  const std::uint64_t u = load_le(p, 8);
  double v;
  std::memcpy(&v, &u, 8);
  return v;
}
float load_f32(const unsigned char* p) {
  const auto u = static_cast<std::uint32_t>(load_le(p, 4));
  float v;
  std::memcpy(&v, &u, 4);
  return v;
}

Header parse_header(const unsigned char* b) {
  Header h;
  h.es_field = load_i32(b + 0);
  h.sf = load_i32(b + 4);
  h.ne = load_i32(b + 8);
  h.nv = load_i32(b + 12);
  h.kx = load_i32(b + 16);
  h.de = load_f64(b + 20);
  h.dv = load_f64(b + 28);
  h.x0 = load_f64(b + 36);
  h.y0 = load_f64(b + 44);
  h.rot = load_f64(b + 52);
  h.zbase = load_f64(b + 60);
  h.zmult = load_f64(b + 68);
  return h;
}

bool valid_es_field(std::int32_t es) {
  const std::int32_t base = es > 1024 ? es - 1024 : es;
  return base == 1 || base == 2 || base == 4 || base == 8;
}

// The cheap signature shared by looks_like_geosoft_grd and the reader: a known element size and sign
// flag followed by positive spacings and finite placement and scaling doubles.
bool plausible_signature(const Header& h) {
  if (!valid_es_field(h.es_field) || h.sf < 0 || h.sf > 3) return false;
  if (!(std::isfinite(h.de) && h.de > 0 && std::isfinite(h.dv) && h.dv > 0)) return false;
  return std::isfinite(h.x0) && std::isfinite(h.y0) && std::isfinite(h.rot) && std::isfinite(h.zbase) &&
         std::isfinite(h.zmult);
}

std::string human_bytes(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 6) {
    bytes /= 1024.0;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

const char* elem_name(Elem t) {
  switch (t) {
  case Elem::U8:
    return "unsigned 1-byte integer";
  case Elem::I8:
    return "signed 1-byte integer";
  case Elem::U16:
    return "unsigned 2-byte integer";
  case Elem::I16:
    return "signed 2-byte integer";
  case Elem::U32:
    return "unsigned 4-byte integer";
  case Elem::I32:
    return "signed 4-byte integer";
  case Elem::F32:
    return "4-byte float";
  case Elem::F64:
    return "8-byte double";
  }
  return "?";
}

class VsiFile {
public:
  explicit VsiFile(VSILFILE* f) : f_(f) {}
  ~VsiFile() {
    if (f_) VSIFCloseL(f_);
  }
  VsiFile(const VsiFile&) = delete;
  VsiFile& operator=(const VsiFile&) = delete;
  VSILFILE* get() const { return f_; }

private:
  VSILFILE* f_;
};

// Writes decoded values into the output grid (row 0 = north).
class Decoder {
public:
  Decoder(const Header& h, Elem t, int es, std::vector<float>& out)
      : t_(t), es_(es), ne_(h.ne), nv_(h.nv), kx_(h.kx), zbase_(h.zbase), zmult_(h.zmult), out_(out) {}

  /// Decodes `count` consecutive vectors starting at vector `first` from `src`.
  void vectors(const unsigned char* src, std::int64_t first, std::int64_t count) {
    switch (t_) {
    case Elem::U8:
      run<Elem::U8>(src, first, count);
      break;
    case Elem::I8:
      run<Elem::I8>(src, first, count);
      break;
    case Elem::U16:
      run<Elem::U16>(src, first, count);
      break;
    case Elem::I16:
      run<Elem::I16>(src, first, count);
      break;
    case Elem::U32:
      run<Elem::U32>(src, first, count);
      break;
    case Elem::I32:
      run<Elem::I32>(src, first, count);
      break;
    case Elem::F32:
      run<Elem::F32>(src, first, count);
      break;
    case Elem::F64:
      run<Elem::F64>(src, first, count);
      break;
    }
  }

private:
  template <Elem T> static double read(const unsigned char* p, bool& dummy) {
    if constexpr (T == Elem::U8) {
      dummy = p[0] == 255;
      return p[0];
    } else if constexpr (T == Elem::I8) {
      const auto v = static_cast<std::int8_t>(p[0]);
      dummy = v == -127;
      return v;
    } else if constexpr (T == Elem::U16) {
      const auto v = static_cast<std::uint16_t>(load_le(p, 2));
      dummy = v == 65535;
      return v;
    } else if constexpr (T == Elem::I16) {
      const auto u = static_cast<std::uint16_t>(load_le(p, 2));
      std::int16_t v;
      std::memcpy(&v, &u, 2);
      dummy = v == -32767;
      return v;
    } else if constexpr (T == Elem::U32) {
      const auto v = static_cast<std::uint32_t>(load_le(p, 4));
      dummy = v == 4294967295u;
      return v;
    } else if constexpr (T == Elem::I32) {
      const std::int32_t v = load_i32(p);
      dummy = v == -2147483647;
      return v;
    } else if constexpr (T == Elem::F32) {
      const double v = load_f32(p);
      dummy = !(v > kFloatDummyThreshold); // also NaN
      return v;
    } else {
      const double v = load_f64(p);
      dummy = !(v > kFloatDummyThreshold);
      return v;
    }
  }

  template <Elem T> void run(const unsigned char* src, std::int64_t first, std::int64_t count) {
    for (std::int64_t k = 0; k < count; ++k) {
      const std::int64_t v = first + k;
      const unsigned char* p = src + k * ne_ * es_;
      for (std::int64_t e = 0; e < ne_; ++e, p += es_) {
        bool dummy = false;
        const double raw = read<T>(p, dummy);
        float value = NAN;
        if (!dummy) {
          const double z = raw / zmult_ + zbase_;
          if (std::isfinite(z) && std::fabs(z) <= static_cast<double>(FLT_MAX)) value = static_cast<float>(z);
        }
        // KX = 1: vector v is the v-th row from the south; KX = -1: the v-th column from the west.
        const std::int64_t idx = kx_ == 1 ? (nv_ - 1 - v) * ne_ + e : (ne_ - 1 - e) * nv_ + v;
        out_[static_cast<size_t>(idx)] = value;
      }
    }
  }

  Elem t_;
  std::int64_t es_, ne_, nv_;
  int kx_;
  double zbase_, zmult_;
  std::vector<float>& out_;
};

bool is_zlib_header(const unsigned char* p, std::int64_t n) {
  return n >= 2 && (p[0] & 0x0F) == 8 && (p[0] >> 4) <= 7 && ((p[0] << 8) | p[1]) % 31 == 0;
}

std::string describe_side_files(const std::string& path) {
  VSIStatBufL st;
  std::string note;
  const std::string gi = path + ".gi", xml = path + ".xml";
  if (VSIStatL(gi.c_str(), &st) == 0)
    note = gi + " (a binary Geosoft projection record) is present but this reader does not decode it";
  if (VSIStatL(xml.c_str(), &st) == 0 && !VSI_ISDIR(st.st_mode)) {
    std::string text(static_cast<size_t>(std::min<vsi_l_offset>(st.st_size, 1 << 20)), '\0');
    std::string type;
    if (VSILFILE* f = VSIFOpenL(xml.c_str(), "rb")) {
      text.resize(VSIFReadL(text.data(), 1, text.size(), f));
      VSIFCloseL(f);
      const std::string key = "<projection type=\"";
      const size_t at = text.find(key);
      if (at != std::string::npos) {
        const size_t end = text.find('"', at + key.size());
        if (end != std::string::npos && end - at < 200)
          type = text.substr(at + key.size(), end - at - key.size());
      }
    }
    if (!note.empty()) note += "; ";
    note += type.empty() ? xml + " names no projection"
                         : xml + " names the Geosoft projection type \"" + type + "\"" +
                               (type == "UNKNOWN" ? "" : ", which this reader does not map");
  }
  if (note.empty()) note = "no .gi or .xml side file";
  return "the coordinate reference system of a Geosoft grid is not decoded (" + note +
         "); set \"crs\" on this input";
}

} // namespace

bool looks_like_geosoft_grd(const std::string& path) {
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) != 0 || VSI_ISDIR(st.st_mode)) return false;
  VSILFILE* f = VSIFOpenL(path.c_str(), "rb");
  if (!f) return false;
  unsigned char b[76];
  const size_t got = VSIFReadL(b, 1, sizeof b, f);
  VSIFCloseL(f);
  if (got != sizeof b) return false;
  return plausible_signature(parse_header(b));
}

GeosoftGrid read_geosoft_grd(const std::string& path) {
  const std::string who = "Geosoft grid " + path;
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) != 0) throw_input(who + ": file not found (check the path)");
  if (VSI_ISDIR(st.st_mode)) throw_input(who + ": is a folder, not a grid file");
  VsiFile file(VSIFOpenL(path.c_str(), "rb"));
  if (!file.get()) throw_input(who + ": cannot open the file (check its permissions)");
  if (VSIFSeekL(file.get(), 0, SEEK_END) != 0) throw_input(who + ": cannot determine the file size");
  const vsi_l_offset end = VSIFTellL(file.get());
  if (end > static_cast<vsi_l_offset>(std::numeric_limits<std::int64_t>::max()))
    throw_input(who + ": cannot determine the file size");
  const auto size = static_cast<std::int64_t>(end);
  if (size < kHeaderBytes)
    throw_input(who + ": the file has " + std::to_string(size) +
                " bytes, less than the 512-byte header: it is truncated or not a Geosoft grid");
  unsigned char hb[kHeaderBytes];
  if (VSIFSeekL(file.get(), 0, SEEK_SET) != 0 || VSIFReadL(hb, 1, sizeof hb, file.get()) != sizeof hb)
    throw_input(who + ": cannot read the 512-byte header");
  const Header h = parse_header(hb);

  // Storage fields.
  if (!valid_es_field(h.es_field))
    throw_input(
        who + ": unknown element size ES = " + std::to_string(h.es_field) +
        " (expected 1, 2, 4 or 8, plus 1024 when compressed): the file is corrupt or not a Geosoft grid");
  const bool compressed = h.es_field > 1024;
  const int es = compressed ? h.es_field - 1024 : h.es_field;
  Elem t;
  if (h.sf == 3)
    throw_input(who + ": is a colour (RGB) grid (SF = 3); only data grids are supported");
  else if (h.sf == 2 && es == 4)
    t = Elem::F32;
  else if (h.sf == 2 && es == 8)
    t = Elem::F64;
  else if ((h.sf == 0 || h.sf == 1) && es != 8)
    t = es == 1   ? (h.sf ? Elem::I8 : Elem::U8)
        : es == 2 ? (h.sf ? Elem::I16 : Elem::U16)
                  : (h.sf ? Elem::I32 : Elem::U32);
  else
    throw_input(who + ": unknown element type (sign flag SF = " + std::to_string(h.sf) + " with " +
                std::to_string(es) +
                "-byte elements; expected SF 0 or 1 for 1/2/4-byte integers, 2 for 4/8-byte floats)");
  if (h.ne <= 0 || h.nv <= 0)
    throw_input(who + ": invalid grid size NE = " + std::to_string(h.ne) + " elements per vector, NV = " +
                std::to_string(h.nv) + " vectors (both must be positive): the header is corrupt");
  if (h.kx != 1 && h.kx != -1)
    throw_input(
        who + ": unsupported storage order KX = " + std::to_string(h.kx) +
        " (only +1 and -1, the first element at the bottom left, are supported; Geosoft never implemented "
        "the others)");

  // Geographic and scaling fields.
  if (!(std::isfinite(h.de) && h.de > 0 && std::isfinite(h.dv) && h.dv > 0))
    throw_input(who + ": invalid node spacing DE = " + std::to_string(h.de) +
                ", DV = " + std::to_string(h.dv) + " (both must be positive): the header is corrupt");
  if (!(std::isfinite(h.x0) && std::isfinite(h.y0) && std::isfinite(h.rot)))
    throw_input(who + ": the origin X0, Y0 or rotation ROT is not a finite number: the header is corrupt");
  if (!(std::isfinite(h.zbase) && std::isfinite(h.zmult) && h.zmult != 0.0))
    throw_input(who + ": invalid data scaling ZBASE = " + std::to_string(h.zbase) + ", ZMULT = " +
                std::to_string(h.zmult) + " (ZMULT must be finite and non-zero): the header is corrupt");

  // Sizes, checked against the file before anything is allocated. NE, NV < 2^31 so the products fit.
  const std::int64_t ne = h.ne, nv = h.nv;
  const std::int64_t cells = ne * nv;
  const double raw_bytes_d = static_cast<double>(cells) * es;
  const std::string declared = std::to_string(ne) + " x " + std::to_string(nv) + " = " +
                               std::to_string(cells) + " cells of " + elem_name(t);
  const std::string memory = human_bytes(4.0 * static_cast<double>(cells)) + " of memory once decoded";
  const std::int64_t data_bytes = size - kHeaderBytes;
  if (!compressed && (cells > data_bytes / es)) {
    const std::string need = cells <= std::numeric_limits<std::int64_t>::max() / es
                                 ? std::to_string(cells * es) + " bytes"
                                 : human_bytes(raw_bytes_d);
    throw_input(who + ": the header declares " + declared + ", which need " + need +
                " after the 512-byte header (and " + memory + "), but the file holds only " +
                std::to_string(data_bytes) +
                " bytes after the header: the file is truncated or the header is corrupt");
  }
  if (compressed && (data_bytes < 16 || raw_bytes_d > static_cast<double>(data_bytes) * kMaxZlibRatio +
                                                          static_cast<double>(kNominalBlockBytes)))
    throw_input(
        who + ": the header declares " + declared + " (" + human_bytes(raw_bytes_d) + " uncompressed, " +
        memory + ") but only " + std::to_string(data_bytes) +
        " compressed bytes follow the header, more than zlib can expand (at most about 1032:1): the file "
        "is truncated or the header is corrupt");
  const std::int64_t vec_bytes = ne * es;

  GeosoftGrid g;
  g.nx = h.kx == 1 ? ne : nv;
  g.ny = h.kx == 1 ? nv : ne;
  g.rotation_deg = h.rot;
  {
    const double dx = h.kx == 1 ? h.de : h.dv, dy = h.kx == 1 ? h.dv : h.de;
    const double r = h.rot * (kPi / 180.0), c = std::cos(r), s = std::sin(r);
    const double rows = static_cast<double>(g.ny);
    // Node (column i, row j counted from the south) lies at X0 + i dx c - j dy s, Y0 + i dx s + j dy c;
    // GDAL addresses cell corners with row 0 at the north, so shift by half a cell.
    g.geotransform = {h.x0 - 0.5 * dx * c - (rows - 0.5) * dy * s, dx * c, dy * s,
                      h.y0 - 0.5 * dx * s + (rows - 0.5) * dy * c, dx * s, -dy * c};
    for (double v : g.geotransform)
      if (!std::isfinite(v))
        throw_input(who + ": the georeferencing (X0, Y0, DE, DV, ROT) overflows: the header is corrupt");
  }
  g.crs_note = describe_side_files(path);
  g.data.resize(static_cast<size_t>(cells));
  Decoder dec(h, t, es, g.data);

  if (!compressed) {
    const std::int64_t chunk_vecs = std::max<std::int64_t>(1, (1 << 20) / vec_bytes);
    std::vector<unsigned char> buf(static_cast<size_t>(std::min(chunk_vecs, nv) * vec_bytes));
    if (VSIFSeekL(file.get(), kHeaderBytes, SEEK_SET) != 0)
      throw_input(who + ": cannot seek to the grid data");
    for (std::int64_t v = 0; v < nv; v += chunk_vecs) {
      const std::int64_t n = std::min(chunk_vecs, nv - v);
      const auto want = static_cast<size_t>(n * vec_bytes);
      if (VSIFReadL(buf.data(), 1, want, file.get()) != want)
        throw_input(who + ": read error in vector " + std::to_string(v) + " of " + std::to_string(nv) +
                    " (the file is truncated or unreadable)");
      dec.vectors(buf.data(), v, n);
    }
    return g;
  }

  // Compressed: header, block table, then zlib blocks.
  unsigned char ch[16];
  if (VSIFSeekL(file.get(), kHeaderBytes, SEEK_SET) != 0 || VSIFReadL(ch, 1, 16, file.get()) != 16)
    throw_input(who + ": cannot read the compression header");
  const auto sig = static_cast<std::uint32_t>(load_le(ch, 4));
  const std::int32_t comp_type = load_i32(ch + 4), nb = load_i32(ch + 8), vpb = load_i32(ch + 12);
  if (sig != kCompressionSignature) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", sig);
    throw_input(who + ": the header says the grid is compressed (ES = " + std::to_string(h.es_field) +
                ") but the compression signature is " + buf + ", not 0xF8E7D8C7: the file is corrupt");
  }
  if (nb <= 0 || vpb <= 0)
    throw_input(who + ": invalid compression table: " + std::to_string(nb) + " blocks of " +
                std::to_string(vpb) + " vectors (both must be positive): the file is corrupt");
  const std::int64_t blocks_needed = (nv + vpb - 1) / vpb;
  if (nb < blocks_needed)
    throw_input(who + ": the compression table has " + std::to_string(nb) + " blocks of " +
                std::to_string(vpb) + " vectors, too few for " + std::to_string(nv) +
                " vectors: the file is corrupt");
  if (static_cast<std::int64_t>(nb) * 12 > data_bytes - 16)
    throw_input(who + ": the compression table of " + std::to_string(nb) + " blocks (" +
                human_bytes(12.0 * nb) + ") does not fit in the file: it is truncated or corrupt");
  std::vector<unsigned char> table(static_cast<size_t>(nb) * 12);
  if (VSIFReadL(table.data(), 1, table.size(), file.get()) != table.size())
    throw_input(who + ": cannot read the compression table");
  const std::int64_t table_end = kHeaderBytes + 16 + static_cast<std::int64_t>(nb) * 12;

  const std::int64_t block_vecs = std::min<std::int64_t>(vpb, nv);
  const std::int64_t block_cap = std::max(block_vecs * vec_bytes, kNominalBlockBytes);
  std::vector<unsigned char> packed, unpacked(static_cast<size_t>(block_cap));
  for (std::int64_t b = 0; b < blocks_needed; ++b) {
    const std::string blk = "compressed block " + std::to_string(b + 1) + " of " + std::to_string(nb);
    const std::int64_t off = load_i64(table.data() + 8 * b);
    const std::int64_t len = load_i32(table.data() + 8 * static_cast<std::int64_t>(nb) + 4 * b);
    if (off < table_end || off > size || len <= 0 || len > size - off)
      throw_input(who + ": " + blk + " lies outside the file (offset " + std::to_string(off) + ", " +
                  std::to_string(len) + " bytes; the file has " + std::to_string(size) +
                  "): it is truncated or corrupt");
    packed.resize(static_cast<size_t>(len));
    if (VSIFSeekL(file.get(), static_cast<vsi_l_offset>(off), SEEK_SET) != 0 ||
        VSIFReadL(packed.data(), 1, packed.size(), file.get()) != packed.size())
      throw_input(who + ": cannot read " + blk);
    std::int64_t start = -1;
    if (len > kBlockPrefixBytes && is_zlib_header(packed.data() + kBlockPrefixBytes, len - kBlockPrefixBytes))
      start = kBlockPrefixBytes;
    else if (is_zlib_header(packed.data(), len))
      start = 0;
    if (start < 0)
      throw_input(who + ": " + blk + " is not a zlib stream (compression type " + std::to_string(comp_type) +
                  "); only zlib-compressed grids are supported (re-save the grid uncompressed)");
    const std::int64_t first = b * vpb;
    const std::int64_t count = std::min<std::int64_t>(vpb, nv - first);
    size_t got = 0;
    if (!CPLZLibInflate(packed.data() + start, static_cast<size_t>(len - start), unpacked.data(),
                        unpacked.size(), &got))
      throw_input(who + ": " + blk +
                  " cannot be decompressed (corrupt zlib data, or it inflates to more than the " +
                  human_bytes(static_cast<double>(block_cap)) + " a block may hold)");
    if (static_cast<std::int64_t>(got) < count * vec_bytes)
      throw_input(who + ": " + blk + " inflates to " + std::to_string(got) + " bytes but must hold " +
                  std::to_string(count) + " vectors of " + std::to_string(vec_bytes) +
                  " bytes: the file is corrupt");
    dec.vectors(unpacked.data(), first, count);
  }
  return g;
}

gdal::Dataset geosoft_to_mem_dataset(const GeosoftGrid& grid) {
  gdal::ensure_initialized();
  if (grid.nx <= 0 || grid.ny <= 0 || grid.nx > INT_MAX || grid.ny > INT_MAX ||
      static_cast<std::int64_t>(grid.data.size()) / grid.nx != grid.ny ||
      static_cast<std::int64_t>(grid.data.size()) % grid.nx != 0)
    throw_runtime("Geosoft grid: inconsistent size " + std::to_string(grid.nx) + " x " +
                  std::to_string(grid.ny) + " for " + std::to_string(grid.data.size()) + " values");
  GDALDriverH mem = GDALGetDriverByName("MEM");
  gdal::clear_error();
  gdal::Dataset ds(
      GDALCreate(mem, "", static_cast<int>(grid.nx), static_cast<int>(grid.ny), 1, GDT_Float32, nullptr));
  if (!ds)
    throw_runtime("Geosoft grid: cannot allocate a " + std::to_string(grid.nx) + " x " +
                  std::to_string(grid.ny) + " in-memory raster (" +
                  human_bytes(4.0 * static_cast<double>(grid.data.size())) + "): " + gdal::last_error());
  double gt[6];
  std::copy(grid.geotransform.begin(), grid.geotransform.end(), gt);
  GDALSetGeoTransform(ds.get(), gt);
  if (!grid.crs_wkt.empty()) GDALSetProjection(ds.get(), grid.crs_wkt.c_str());
  GDALRasterBandH b = GDALGetRasterBand(ds.get(), 1);
  GDALSetRasterNoDataValue(b, NAN);
  if (GDALRasterIO(b, GF_Write, 0, 0, static_cast<int>(grid.nx), static_cast<int>(grid.ny),
                   const_cast<float*>(grid.data.data()), static_cast<int>(grid.nx), static_cast<int>(grid.ny),
                   GDT_Float32, 0, 0) != CE_None)
    throw_runtime("Geosoft grid: cannot fill the in-memory raster: " + gdal::last_error());
  return ds;
}

} // namespace prospector
