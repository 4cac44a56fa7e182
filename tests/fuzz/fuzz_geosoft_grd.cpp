// libFuzzer target: arbitrary bytes as a Geosoft binary grid, served from GDAL's /vsimem/ (no disk I/O).
// Only prospector::Error may escape; a decoded grid must be self-consistent.
#include "pipeline/base/errors.hpp"
#include "pipeline/io/geosoft_grd.hpp"

#include <cpl_vsi.h>

#include <cmath>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  static const char* path = "/vsimem/prospector_fuzz.grd";
  VSILFILE* f = VSIFileFromMemBuffer(path, const_cast<GByte*>(data), static_cast<vsi_l_offset>(size), FALSE);
  if (!f) __builtin_trap();
  VSIFCloseL(f);
  const bool plausible = prospector::looks_like_geosoft_grd(path);
  try {
    const prospector::GeosoftGrid g = prospector::read_geosoft_grd(path);
    if (!plausible) __builtin_trap(); // every grid the reader accepts must pass the cheap signature check
    if (g.nx <= 0 || g.ny <= 0 || static_cast<std::int64_t>(g.data.size()) != g.nx * g.ny) __builtin_trap();
    for (double v : g.geotransform)
      if (!std::isfinite(v)) __builtin_trap();
    for (float v : g.data)
      if (std::isinf(v)) __builtin_trap();
    if (g.data.size() <= (1u << 22)) {
      prospector::gdal::Dataset ds = prospector::geosoft_to_mem_dataset(g);
      if (!ds) __builtin_trap();
    }
  } catch (const prospector::Error&) {
  }
  VSIUnlink(path);
  return 0;
}
