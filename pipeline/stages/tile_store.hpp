#pragma once
/// \file tile_store.hpp
/// Internal to the stages: reading and writing the work folder's tiles, sorted partials and JSON results,
/// each write adding what it wrote to the unit's content hash.

#include "kernels/order_stats.hpp"
#include "kernels/window_exact.hpp"
#include "pipeline/base/tiles.hpp"
#include "pipeline/plan/plan.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace prospector::stages {

/// Writes a tile and adds its name and content to the unit hash.
void put_tile(const std::string& path, const std::vector<float>& v, Hash64& h);

/// Writes the tile's valid values sorted (for exact merged order statistics) and adds them to the hash.
/// `sorted` is scratch.
void put_partial(const std::string& path, const std::vector<float>& tile, std::vector<float>& sorted,
                 Hash64& h);

/// Read-only mapping of a sorted partial; unmapped on destruction.
class MappedRun {
public:
  explicit MappedRun(const std::string& path);
  ~MappedRun();
  MappedRun(const MappedRun&) = delete;
  MappedRun& operator=(const MappedRun&) = delete;
  kernels::SortedRun run() const { return {data_, n_}; }

private:
  int fd_ = -1;
  const float* data_ = nullptr;
  std::int64_t n_ = 0;
};

/// Maps the sorted partials of `layer` of every tile; `keep` owns the mappings.
std::vector<kernels::SortedRun> map_runs(const Plan& p, const std::string& layer,
                                         std::vector<std::unique_ptr<MappedRun>>& keep);

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
