#include "pipeline/io/chunk_encoder.hpp"

#include "pipeline/base/errors.hpp"

#include <libdeflate.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <string>

namespace prospector {

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
  const std::size_t bound = level_ > 0 ? libdeflate_zlib_compress_bound(compressors_[0], raw) : raw;
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
      const std::size_t got = libdeflate_zlib_compress(comp, shuffled.data(), raw, o.data(), o.size());
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
