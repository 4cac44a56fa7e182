#include "pipeline/layer_store.hpp"

#include "pipeline/errors.hpp"
#include "pipeline/gdal_util.hpp"

#include <filesystem>

namespace prospector {

LayerStore::LayerStore(std::string dir, GridSpec grid) : dir_(std::move(dir)), grid_(std::move(grid)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw_runtime("cannot create work folder " + dir_ + ": " + ec.message());
}

std::string LayerStore::path_of(const std::string& name) const { return dir_ + "/" + name + ".tif"; }

void LayerStore::put(const LayerMeta& meta, const std::vector<float>& data) {
  if (static_cast<std::int64_t>(data.size()) != grid_.size())
    throw_runtime("internal: layer " + meta.name + " has the wrong size");
  gdal::write_geotiff_f32(path_of(meta.name), grid_.geotransform(), grid_.crs_wkt, data.data(), grid_.nx, grid_.ny);
  if (!meta_.count(meta.name)) order_.push_back(meta.name);
  meta_[meta.name] = meta;
}

void LayerStore::get(const std::string& name, std::vector<float>& data) const {
  if (!has(name)) throw_runtime("internal: layer " + name + " was never computed");
  gdal::Dataset ds = gdal::open_raster(path_of(name), "work layer " + name);
  gdal::read_band_f32(ds.get(), 1, data, "work layer " + name);
}

const LayerMeta& LayerStore::meta(const std::string& name) const {
  auto it = meta_.find(name);
  if (it == meta_.end()) throw_runtime("internal: layer " + name + " was never computed");
  return it->second;
}

std::vector<LayerMeta> LayerStore::list() const {
  std::vector<LayerMeta> out;
  for (const auto& n : order_) out.push_back(meta_.at(n));
  return out;
}

} // namespace prospector
