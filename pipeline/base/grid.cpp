#include "pipeline/base/grid.hpp"

#include <cstdio>

namespace prospector {

std::string describe(const GridSpec& g) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%lld x %lld cells of %.10g %s, x %.10g..%.10g, y %.10g..%.10g, %s",
                static_cast<long long>(g.nx), static_cast<long long>(g.ny), g.cell, g.units.c_str(), g.x0,
                g.x0 + g.cell * static_cast<double>(g.nx), g.y0 - g.cell * static_cast<double>(g.ny), g.y0,
                g.epsg ? ("EPSG:" + std::to_string(g.epsg)).c_str() : "custom CRS");
  return buf;
}

} // namespace prospector
