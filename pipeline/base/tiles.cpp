#include "pipeline/base/tiles.hpp"

#include "pipeline/base/errors.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace prospector {

TileGrid::TileGrid(const GridSpec& g, std::int64_t ts) : grid(g), tile_size(ts) {
  ntx = (g.nx + ts - 1) / ts;
  nty = (g.ny + ts - 1) / ts;
}

Window TileGrid::window(std::int64_t t) const {
  const std::int64_t ty = t / ntx, tx = t % ntx;
  Window w;
  w.row0 = ty * tile_size;
  w.col0 = tx * tile_size;
  w.rows = std::min(tile_size, grid.ny - w.row0);
  w.cols = std::min(tile_size, grid.nx - w.col0);
  return w;
}

Window TileGrid::halo_window(std::int64_t t, std::int64_t halo) const {
  const Window w = window(t);
  Window h;
  h.row0 = std::max<std::int64_t>(0, w.row0 - halo);
  h.col0 = std::max<std::int64_t>(0, w.col0 - halo);
  h.rows = std::min(grid.ny, w.row0 + w.rows + halo) - h.row0;
  h.cols = std::min(grid.nx, w.col0 + w.cols + halo) - h.col0;
  return h;
}

std::vector<std::int64_t> TileGrid::tiles_in(const Window& w) const {
  std::vector<std::int64_t> out;
  if (w.rows <= 0 || w.cols <= 0) return out;
  const std::int64_t ty0 = std::max<std::int64_t>(0, w.row0 / tile_size);
  const std::int64_t ty1 = std::min(nty - 1, (w.row0 + w.rows - 1) / tile_size);
  const std::int64_t tx0 = std::max<std::int64_t>(0, w.col0 / tile_size);
  const std::int64_t tx1 = std::min(ntx - 1, (w.col0 + w.cols - 1) / tile_size);
  for (std::int64_t ty = ty0; ty <= ty1; ++ty)
    for (std::int64_t tx = tx0; tx <= tx1; ++tx)
      out.push_back(ty * ntx + tx);
  return out;
}

std::string TileGrid::label(std::int64_t t) const {
  char buf[48];
  std::snprintf(buf, sizeof buf, "r%03lld_c%03lld", static_cast<long long>(t / ntx),
                static_cast<long long>(t % ntx));
  return buf;
}

GridSpec TileGrid::subgrid(const Window& w) const {
  GridSpec g = grid;
  g.x0 = grid.x0 + static_cast<double>(w.col0) * grid.cell;
  g.y0 = grid.y0 - static_cast<double>(w.row0) * grid.cell;
  g.nx = w.cols;
  g.ny = w.rows;
  return g;
}

namespace {
inline std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
inline std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v * 0x87c37b91114253d5ull;
  return rotl(h, 31) * 0x4cf5ad432745937full;
}
} // namespace

Hash64& Hash64::add(const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    std::uint64_t w[4];
    std::memcpy(w, p + i, 32);
    for (int k = 0; k < 4; ++k)
      h_[k] = mix(h_[k], w[k]);
  }
  for (; i < n; ++i)
    h_[i & 3] = mix(h_[i & 3], p[i] + 0x100ull * (i + 1));
  len_ += n;
  h_[0] = mix(h_[0], n);
  return *this;
}

Hash64& Hash64::add(const std::string& s) { return add(s.data(), s.size()); }

std::uint64_t Hash64::value() const {
  std::uint64_t h = len_;
  for (int k = 0; k < 4; ++k)
    h = mix(h, h_[k]);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

std::string Hash64::hex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(value()));
  return buf;
}

void write_file_atomic(const std::string& path, const void* data, std::size_t n, bool durable) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    throw_runtime("cannot create " + tmp + ": " + std::strerror(errno) + " (is the folder writable?)");
  const char* p = static_cast<const char*>(data);
  std::size_t left = n;
  while (left > 0) {
    const ssize_t k = ::write(fd, p, left);
    if (k < 0) {
      if (errno == EINTR) continue;
      const std::string e = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      throw_runtime("cannot write " + tmp + ": " + e + " (check free disk space)");
    }
    p += k;
    left -= static_cast<std::size_t>(k);
  }
  if ((durable && ::fsync(fd) != 0) || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw_runtime("cannot flush " + tmp + ": " + std::strerror(errno) + " (check free disk space)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw_runtime("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
}

void write_text_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(path, text.data(), text.size());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_runtime("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void write_tile(const std::string& path, const std::vector<float>& data) {
  write_file_atomic(path, data.data(), data.size() * sizeof(float), false);
}

void read_tile(const std::string& path, const Window& w, std::vector<float>& out) {
  out.resize(static_cast<std::size_t>(w.size()));
  read_tile_block(path, w.cols, 0, w.rows, 0, w.cols, out.data(), w.cols);
}

void read_tile_block(const std::string& path, std::int64_t tile_cols, std::int64_t r0, std::int64_t nr,
                     std::int64_t c0, std::int64_t nc, float* dst, std::int64_t dst_stride) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    throw_runtime("cannot open work tile " + path + ": " + std::strerror(errno) + " (rerun the stage)");
  for (std::int64_t r = 0; r < nr; ++r) {
    const off_t off =
        static_cast<off_t>(((r0 + r) * tile_cols + c0) * static_cast<std::int64_t>(sizeof(float)));
    const std::size_t bytes = static_cast<std::size_t>(nc) * sizeof(float);
    char* p = reinterpret_cast<char*>(dst + r * dst_stride);
    std::size_t got = 0;
    while (got < bytes) {
      const ssize_t k = ::pread(fd, p + got, bytes - got, off + static_cast<off_t>(got));
      if (k <= 0) {
        if (k < 0 && errno == EINTR) continue;
        ::close(fd);
        throw_runtime("work tile " + path + " is truncated or unreadable (rerun with --force)");
      }
      got += static_cast<std::size_t>(k);
    }
  }
  ::close(fd);
}

} // namespace prospector
