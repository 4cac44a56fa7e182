#pragma once
/// \file tile_store.hpp
/// Internal to the stages: reading and writing the work folder's tiles and JSON results,
/// each write adding what it wrote to the unit's content hash.

#include "kernels/anomaly/gi_star_exact.hpp"
#include "kernels/stats/radix_select.hpp"
#include "pipeline/base/file_digest.hpp"
#include "pipeline/base/tiles.hpp"
#include "pipeline/engine/stage.hpp"
#include "pipeline/plan/plan.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace prospector::stages {

/// Writes a tile and adds its name and content to the unit hash.
void put_tile(const std::string& path, const std::vector<float>& v, Hash64& h);

/// Read-only mapping of a file of floats; unmapped on destruction.
class MappedFloats {
public:
  explicit MappedFloats(const std::string& path);
  ~MappedFloats();
  MappedFloats(const MappedFloats&) = delete;
  MappedFloats& operator=(const MappedFloats&) = delete;
  const float* data() const { return data_; }
  std::int64_t size() const { return n_; }

private:
  int fd_ = -1;
  const float* data_ = nullptr;
  std::int64_t n_ = 0;
};

/// Every tile of a layer, mapped from the work folder (the page cache), as the blocks the order-statistics
/// kernels read.
class LayerBlocks {
public:
  LayerBlocks(const Plan& p, const std::string& layer);
  kernels::ValueBlocks view() const {
    return {data_.data(), size_.data(), static_cast<std::int64_t>(data_.size())};
  }

private:
  std::vector<std::unique_ptr<MappedFloats>> maps_;
  std::vector<const float*> data_;
  std::vector<std::int64_t> size_;
};

/// The run's input-file digests (each file read at most once per run; cached in the work folder).
FileDigests& file_digests(StageContext& ctx);

/// Reads window `w` of a layer, assembled from the tiles it overlaps.
void read_window(const Plan& p, const std::string& layer, const Window& w, std::vector<float>& out);

/// Parses a JSON result of the work folder; Error(Runtime) "corrupt, rerun with --force" when it is not JSON.
nlohmann::json load_json(const std::string& path);

/// "input 'id' (path)" or "derived layer name", for error messages.
std::string input_where(const Plan& p, const LayerDef& l);

/// Window parameters of a layer, the same in every tile: shift = its median, scale from its largest
/// deviation.
kernels::ExactWindowParams window_params(double median, double min, double max, std::int64_t radius);

} // namespace prospector::stages
