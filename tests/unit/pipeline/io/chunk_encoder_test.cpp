#include "pipeline/io/chunk_encoder.hpp"

#include <catch2/catch.hpp>
#include <libdeflate.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using prospector::ChunkEncoder;

namespace {

// HDF5's shuffle filter, as the reader undoes it.
std::vector<unsigned char> shuffle(const std::vector<float>& v) {
  std::vector<unsigned char> out(v.size() * 4);
  const auto* b = reinterpret_cast<const unsigned char*>(v.data());
  for (std::size_t k = 0; k < 4; ++k)
    for (std::size_t i = 0; i < v.size(); ++i)
      out[k * v.size() + i] = b[i * 4 + k];
  return out;
}

// Inflated by zlib itself (the decoder HDF5, netCDF-C and GDAL use), adler32 checked.
std::vector<unsigned char> inflate(const void* data, std::size_t n, std::size_t raw) {
  std::vector<unsigned char> out(raw + 1);
  uLongf len = static_cast<uLongf>(out.size());
  const int rc = uncompress(out.data(), &len, static_cast<const Bytef*>(data), static_cast<uLong>(n));
  REQUIRE(rc == Z_OK);
  out.resize(len);
  return out;
}

} // namespace

TEST_CASE("zlib_encode_planes: stored noise planes and deflated planes make one stream zlib inflates",
          "[chunk_encoder]") {
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  const std::size_t cells = 256 * 256;
  libdeflate_compressor* comp = libdeflate_alloc_compressor(1);
  REQUIRE(comp);
  struct Case {
    const char* name;
    int min_stored, max_stored;
    std::vector<float> v;
  };
  std::vector<Case> cases = {{"z-scores (noisy mantissa)", 1, 3, {}},
                             {"constant", 0, 0, {}},
                             {"smooth field, rows repeating", 0, 0, {}},
                             {"half fill value", 0, 3, {}}};
  for (std::size_t i = 0; i < cells; ++i) {
    cases[0].v.push_back(noise(rng));
    cases[1].v.push_back(-9999.0f);
    cases[2].v.push_back(static_cast<float>(std::sin(0.01 * static_cast<double>(i % 256)) +
                                            std::cos(0.013 * static_cast<double>(i / 256))));
    cases[3].v.push_back(i % 256 < 128 ? -9999.0f : noise(rng) * 100.0f + 50000.0f);
  }
  for (const auto& c : cases) {
    INFO(c.name);
    const std::vector<unsigned char> in = shuffle(c.v);
    std::vector<unsigned char> out(
        std::max(libdeflate_zlib_compress_bound(comp, in.size()), prospector::zlib_planes_bound(in.size())));
    int stored = -1;
    const std::size_t got =
        prospector::zlib_encode_planes(comp, in.data(), cells, 4, out.data(), out.size(), &stored);
    CHECK(stored >= c.min_stored);
    CHECK(stored <= c.max_stored);
    REQUIRE(got > 0);
    CHECK(inflate(out.data(), got, in.size()) == in);
    // No bigger than libdeflate's own stream at the same level, within 1%.
    std::vector<unsigned char> plain(libdeflate_zlib_compress_bound(comp, in.size()));
    const std::size_t ref = libdeflate_zlib_compress(comp, in.data(), in.size(), plain.data(), plain.size());
    CHECK(static_cast<double>(got) <= 1.01 * static_cast<double>(ref) + 64);
  }
  // Too small an output buffer is reported, never overrun.
  const std::vector<unsigned char> in = shuffle(cases[0].v);
  std::vector<unsigned char> small(1000);
  CHECK(prospector::zlib_encode_planes(comp, in.data(), cells, 4, small.data(), small.size()) == 0);
  libdeflate_free_compressor(comp);
}

TEST_CASE("ChunkEncoder: edge chunks padded with the fill value, NaN as fill, each chunk inflates",
          "[chunk_encoder]") {
  const std::int64_t nx = 300, rows = 100; // a full chunk and an edge chunk of 44 columns
  std::vector<float> data(static_cast<std::size_t>(nx * rows));
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  for (auto& v : data)
    v = noise(rng);
  data[5] = NAN;
  ChunkEncoder enc(128, 256, 1);
  enc.encode_row(data.data(), rows, nx, -9999.0f);
  REQUIRE(enc.chunks() == 2);
  for (std::int64_t c = 0; c < 2; ++c) {
    std::vector<float> want(128 * 256, -9999.0f);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t k = 0; k < 256 && c * 256 + k < nx; ++k) {
        const float v = data[static_cast<std::size_t>(r * nx + c * 256 + k)];
        want[static_cast<std::size_t>(r * 256 + k)] = std::isnan(v) ? -9999.0f : v;
      }
    const auto bytes = enc.chunk(c);
    CHECK(inflate(bytes.first, bytes.second, want.size() * 4) == shuffle(want));
  }
}
