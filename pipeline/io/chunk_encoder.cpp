#include "pipeline/io/chunk_encoder.hpp"

#include "pipeline/base/errors.hpp"

#include <libdeflate.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace prospector {

namespace {

// Shannon entropy of a byte plane in bits per byte, from its histogram.
double byte_entropy(const unsigned char* p, std::size_t n) {
  std::uint32_t count[256] = {};
  for (std::size_t i = 0; i < n; ++i)
    ++count[p[i]];
  double h = 0;
  for (const std::uint32_t c : count)
    if (c) h -= static_cast<double>(c) * std::log2(static_cast<double>(c) / static_cast<double>(n));
  return h / static_cast<double>(n);
}

// A plane is incompressible when its bytes are near uniform and deflating a sample of it (which finds the
// repeats a histogram cannot see) saves less than 1%.
bool incompressible(libdeflate_compressor* comp, const unsigned char* p, std::size_t n) {
  if (byte_entropy(p, n) < kStoredEntropy) return false;
  const std::size_t sample = std::min<std::size_t>(n, 16384);
  unsigned char out[16384];
  const std::size_t got = libdeflate_deflate_compress(comp, p, sample, out, sizeof out);
  return got == 0 || static_cast<double>(got) >= 0.99 * static_cast<double>(sample);
}

} // namespace

std::size_t zlib_planes_bound(std::size_t raw) { return raw + 5 * (raw / 65535 + 2) + 64 + raw / 8; }

std::size_t zlib_encode_planes(libdeflate_compressor* comp, const unsigned char* in, std::size_t plane_bytes,
                               int planes, unsigned char* out, std::size_t capacity, int* stored_planes) {
  const std::size_t total = plane_bytes * static_cast<std::size_t>(planes);
  // Leading planes that no deflate could shrink (the low mantissa bytes of measured floats) go into stored
  // blocks: matching them costs half of the encoding time and would save well under 1%.
  int stored = 0;
  while (stored < planes - 1 &&
         incompressible(comp, in + static_cast<std::size_t>(stored) * plane_bytes, plane_bytes))
    ++stored;
  if (stored_planes) *stored_planes = stored;
  if (stored == 0) return libdeflate_zlib_compress(comp, in, total, out, capacity);
  const std::size_t head = static_cast<std::size_t>(stored) * plane_bytes;
  if (capacity < 2 + head + 5 * (head / 65535 + 1) + 4) return 0;
  std::size_t pos = 0;
  out[pos++] = 0x78; // CMF: deflate, 32 KiB window
  out[pos++] = 0x01; // FLG: fastest level, check bits making 0x7801 a multiple of 31
  for (std::size_t off = 0; off < head; off += 65535) {
    const std::size_t len = std::min<std::size_t>(65535, head - off);
    out[pos++] = 0x00; // BFINAL 0, BTYPE 00 (stored), padding to the byte boundary
    out[pos++] = static_cast<unsigned char>(len & 0xff);
    out[pos++] = static_cast<unsigned char>(len >> 8);
    out[pos++] = static_cast<unsigned char>(~len & 0xff);
    out[pos++] = static_cast<unsigned char>((~len >> 8) & 0xff);
    std::memcpy(out + pos, in + off, len);
    pos += len;
  }
  if (capacity < pos + 4) return 0;
  // The compressed tail ends the stream with its final block; stored blocks end on a byte boundary, so it
  // starts on one, as a raw deflate stream must.
  const std::size_t got =
      libdeflate_deflate_compress(comp, in + head, total - head, out + pos, capacity - pos - 4);
  if (got == 0) return 0;
  pos += got;
  const std::uint32_t a = libdeflate_adler32(1, in, total);
  out[pos++] = static_cast<unsigned char>(a >> 24);
  out[pos++] = static_cast<unsigned char>(a >> 16);
  out[pos++] = static_cast<unsigned char>(a >> 8);
  out[pos++] = static_cast<unsigned char>(a);
  return pos;
}

ChunkEncoder::ChunkEncoder(std::int64_t chunk_rows, std::int64_t chunk_cols, int deflate_level)
    : crows_(chunk_rows), ccols_(chunk_cols), level_(deflate_level) {
  if (level_ > 0) {
    compressors_.resize(static_cast<std::size_t>(omp_get_max_threads()), nullptr);
    for (auto& c : compressors_) {
      c = libdeflate_alloc_compressor(level_);
      if (!c) throw_runtime("cannot create a deflate compressor at level " + std::to_string(level_));
    }
  }
}

ChunkEncoder::~ChunkEncoder() {
  for (auto* c : compressors_)
    libdeflate_free_compressor(c);
}

void ChunkEncoder::encode_row(const float* data, std::int64_t rows, std::int64_t nx, float fill) {
  const std::int64_t n = (nx + ccols_ - 1) / ccols_;
  const std::size_t cells = static_cast<std::size_t>(crows_ * ccols_);
  const std::size_t raw = cells * sizeof(float);
  out_.resize(static_cast<std::size_t>(n));
  size_.assign(static_cast<std::size_t>(n), 0);
  const std::size_t bound =
      level_ > 0 ? std::max(libdeflate_zlib_compress_bound(compressors_[0], raw), zlib_planes_bound(raw))
                 : raw;
  for (auto& o : out_)
    if (o.size() < bound) o.resize(bound);
  bool failed = false;
#pragma omp parallel
  {
    std::vector<float> cell(cells);
    std::vector<unsigned char> shuffled(level_ > 0 ? raw : 0);
    libdeflate_compressor* comp =
        level_ > 0 ? compressors_[static_cast<std::size_t>(omp_get_thread_num())] : nullptr;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t c = 0; c < n; ++c) {
      const std::int64_t col0 = c * ccols_, cols = std::min(ccols_, nx - col0);
      // HDF5 stores edge chunks at full size; the cells past the grid hold the fill value.
      for (std::int64_t r = 0; r < crows_; ++r) {
        float* dst = cell.data() + r * ccols_;
        if (r < rows) {
          const float* src = data + r * nx + col0;
          for (std::int64_t k = 0; k < cols; ++k)
            dst[k] = std::isnan(src[k]) ? fill : src[k];
          for (std::int64_t k = cols; k < ccols_; ++k)
            dst[k] = fill;
        } else {
          for (std::int64_t k = 0; k < ccols_; ++k)
            dst[k] = fill;
        }
      }
      auto& o = out_[static_cast<std::size_t>(c)];
      if (!comp) {
        std::memcpy(o.data(), cell.data(), raw);
        size_[static_cast<std::size_t>(c)] = raw;
        continue;
      }
      // HDF5's shuffle filter: byte k of every element, for k = 0..3, one plane after another.
      const auto* bytes = reinterpret_cast<const unsigned char*>(cell.data());
      for (std::size_t k = 0; k < sizeof(float); ++k) {
        unsigned char* plane = shuffled.data() + k * cells;
        for (std::size_t i = 0; i < cells; ++i)
          plane[i] = bytes[i * sizeof(float) + k];
      }
      const std::size_t got = zlib_encode_planes(comp, shuffled.data(), cells,
                                                 static_cast<int>(sizeof(float)), o.data(), o.size());
      if (got == 0) {
#pragma omp atomic write
        failed = true;
      }
      size_[static_cast<std::size_t>(c)] = got;
    }
  }
  if (failed) throw_runtime("deflate failed on a chunk (out of memory?)");
}

} // namespace prospector
