#include "pipeline/plan/work_folder.hpp"

#include <utility>

namespace prospector {

WorkFolder::WorkFolder(std::string root, TileGrid tiles) : root_(std::move(root)), tiles_(std::move(tiles)) {}

std::string WorkFolder::unit_label(std::int64_t t) const { return t < 0 ? "all" : tiles_.label(t); }

std::string WorkFolder::layer_tile(const std::string& layer, std::int64_t t) const {
  return root_ + "/layers/" + layer + "/" + tiles_.label(t) + ".f32";
}
std::string WorkFolder::rx_partial(std::int64_t t) const {
  return root_ + "/partials/rx_moments/" + tiles_.label(t) + ".json";
}
std::string WorkFolder::global(const std::string& name) const { return root_ + "/global/" + name; }
std::string WorkFolder::fft_scratch(const std::string& layer) const {
  return root_ + "/fft/" + layer + ".raw";
}
std::string WorkFolder::target_labels(const std::string& commodity) const {
  return root_ + "/targets/" + commodity;
}
std::string WorkFolder::manifest(const std::string& stage, std::int64_t t) const {
  return root_ + "/manifests/" + stage + "/" + unit_label(t) + ".json";
}
std::string WorkFolder::failure(const std::string& stage, std::int64_t t) const {
  return root_ + "/manifests/" + stage + "/" + unit_label(t) + ".failed";
}
std::string WorkFolder::unit_lock(const std::string& stage, std::int64_t t) const {
  return root_ + "/locks/" + stage + "/" + unit_label(t) + ".lock";
}
std::string WorkFolder::slurm() const { return root_ + "/slurm"; }

} // namespace prospector
