#pragma once
/// \file layer_store.hpp
/// Layers on the analysis grid, persisted as float32 GeoTIFFs in the work folder so that a stage holds only
/// the few layers it is working on in memory.

#include "pipeline/grid.hpp"

#include <map>
#include <string>
#include <vector>

namespace prospector {

/// What a stored layer is.
struct LayerMeta {
  std::string name;      ///< unique, a valid netCDF variable name (e.g. "soil_cu", "anomaly_tmi_local_z")
  std::string long_name;
  std::string units;
  std::string kind;      ///< input kind (magnetics, ..., geochem) or "anomaly", "score", "contribution"
  std::string element;   ///< for radiometric and geochem layers
  std::string source_id; ///< input id it came from
};

/// A folder of grid layers. Not thread-safe: stages call it from the main thread.
class LayerStore {
public:
  LayerStore(std::string dir, GridSpec grid);
  /// Writes a layer (NaN = nodata), replacing any layer of the same name.
  void put(const LayerMeta& meta, const std::vector<float>& data);
  /// Reads a layer into `data` (resized to the grid size). Throws Error(Runtime) if it is missing.
  void get(const std::string& name, std::vector<float>& data) const;
  bool has(const std::string& name) const { return meta_.count(name) > 0; }
  const LayerMeta& meta(const std::string& name) const;
  /// Layers in insertion order.
  std::vector<LayerMeta> list() const;
  const GridSpec& grid() const { return grid_; }
  const std::string& dir() const { return dir_; }

private:
  std::string path_of(const std::string& name) const;
  std::string dir_;
  GridSpec grid_;
  std::map<std::string, LayerMeta> meta_;
  std::vector<std::string> order_;
};

} // namespace prospector
