#pragma once
/// \file tiles.hpp
/// Tiling of the analysis grid, and the atomic file writes that per-tile stage outputs and their manifests
/// use. Every file is written to a temporary name and renamed, and a unit's manifest is written last, so a
/// unit is never marked done with half-written output (crash safety, kill -9 included).

#include "pipeline/base/grid.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace prospector {

/// Window of a tile in grid cells.
struct Window {
  std::int64_t row0 = 0, col0 = 0, rows = 0, cols = 0;
  std::int64_t size() const { return rows * cols; }
};

/// The analysis grid cut into tiles of tile_size x tile_size cells (the last row/column may be smaller).
struct TileGrid {
  GridSpec grid;
  std::int64_t tile_size = 1024;
  std::int64_t ntx = 1, nty = 1;

  TileGrid() = default;
  TileGrid(const GridSpec& g, std::int64_t tile_size);
  std::int64_t count() const { return ntx * nty; }
  /// Tile index t = ty * ntx + tx.
  Window window(std::int64_t t) const;
  /// The tile window grown by `halo` cells on each side, clipped to the grid.
  Window halo_window(std::int64_t t, std::int64_t halo) const;
  /// Tiles whose windows intersect `w`.
  std::vector<std::int64_t> tiles_in(const Window& w) const;
  /// "r<ty>_c<tx>" label used in file names and logs.
  std::string label(std::int64_t t) const;
  /// Sub-grid spec of a window (for GDAL warping into the tile).
  GridSpec subgrid(const Window& w) const;
};

/// Fast 64-bit content hash (not cryptographic) used for manifests.
class Hash64 {
public:
  Hash64& add(const void* data, std::size_t n);
  Hash64& add(const std::string& s);
  Hash64& add(double v) { return add(&v, sizeof v); }
  Hash64& add(std::int64_t v) { return add(&v, sizeof v); }
  std::uint64_t value() const;
  std::string hex() const;

private:
  std::uint64_t h_[4] = {0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull,
                         0x27d4eb2f165667c5ull};
  std::uint64_t len_ = 0;
};

/// Writes bytes to `path` atomically (temporary file, rename). With `durable` the data are fsync'ed before
/// the rename (manifests, global results); tile data skip it: a killed process cannot leave a partial file
/// under the final name either way, and per-tile fsyncs dominate the run time of small tiles. Throws
/// Error(Runtime).
void write_file_atomic(const std::string& path, const void* data, std::size_t n, bool durable = true);
void write_text_atomic(const std::string& path, const std::string& text);
/// Reads a whole file; throws Error(Runtime) naming it.
std::string read_file(const std::string& path);
bool file_exists(const std::string& path);

/// Raw float32 tile files (row-major, the tile's rows x cols, little-endian as in memory), written atomically
/// without fsync.
void write_tile(const std::string& path, const std::vector<float>& data);
void read_tile(const std::string& path, const Window& w, std::vector<float>& out);
/// Reads rows [r0, r0 + nr) and cols [c0, c0 + nc) of a tile file of width `tile_cols` into `dst` with
/// row stride `dst_stride`.
void read_tile_block(const std::string& path, std::int64_t tile_cols, std::int64_t r0, std::int64_t nr,
                     std::int64_t c0, std::int64_t nc, float* dst, std::int64_t dst_stride);

} // namespace prospector
