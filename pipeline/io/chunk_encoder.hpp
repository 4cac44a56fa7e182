#pragma once
/// \file chunk_encoder.hpp
/// Encodes one row of chunks of a float32 grid into the bytes HDF5 stores for them: each chunk padded to its
/// full size, NaN replaced by the fill value, byte-shuffled and deflated into a zlib stream (HDF5's shuffle
/// and deflate filters, in that order), or left raw. The chunks of a row are encoded on all OpenMP threads
/// with libdeflate, so the writer only copies stored bytes (H5Dwrite_chunk).

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

struct libdeflate_compressor;

namespace prospector {

/// Byte planes at or above this entropy (bits per byte) are stored, not matched, by zlib_encode_planes.
inline constexpr double kStoredEntropy = 7.95;

/// Encodes `planes` byte planes of `plane_bytes` each (a shuffled chunk) as one zlib stream (RFC 1950) that
/// any inflate decodes to `in`: the leading planes that are incompressible (byte entropy at least
/// kStoredEntropy and a deflated 16 KiB sample saving under 1%) as stored blocks, the rest deflated by
/// `comp`. Returns the stream's size, or 0 when `capacity` is too small (zlib_planes_bound and
/// libdeflate_zlib_compress_bound of the total suffice).
std::size_t zlib_encode_planes(libdeflate_compressor* comp, const unsigned char* in, std::size_t plane_bytes,
                               int planes, unsigned char* out, std::size_t capacity, int* stored = nullptr);
/// Extra room zlib_encode_planes may need beyond libdeflate's own bound.
std::size_t zlib_planes_bound(std::size_t raw);

class ChunkEncoder {
public:
  /// Chunks of `chunk_rows` x `chunk_cols` cells; `deflate_level` 0 stores them raw.
  ChunkEncoder(std::int64_t chunk_rows, std::int64_t chunk_cols, int deflate_level);
  ~ChunkEncoder();
  ChunkEncoder(const ChunkEncoder&) = delete;
  ChunkEncoder& operator=(const ChunkEncoder&) = delete;

  /// Encodes the chunks of `rows` (at most chunk_rows) rows of `nx` cells, row-major in `data`.
  void encode_row(const float* data, std::int64_t rows, std::int64_t nx, float fill);
  /// Chunks of the last row.
  std::int64_t chunks() const { return static_cast<std::int64_t>(out_.size()); }
  /// Stored bytes of chunk `c` of the last row (pointer, size).
  std::pair<const void*, std::size_t> chunk(std::int64_t c) const {
    return {out_[static_cast<std::size_t>(c)].data(), size_[static_cast<std::size_t>(c)]};
  }

private:
  std::int64_t crows_, ccols_;
  int level_;
  std::vector<libdeflate_compressor*> compressors_; // one per thread
  std::vector<std::vector<unsigned char>> out_;
  std::vector<std::size_t> size_;
};

} // namespace prospector
