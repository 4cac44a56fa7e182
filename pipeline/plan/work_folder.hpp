#pragma once
/// \file work_folder.hpp
/// The layout of a job's work folder (OUT/work): the one place that names its files. Stages, the executor
/// and the Slurm submitter ask it for paths; nothing else spells a work-folder path.

#include "pipeline/base/tiles.hpp"

#include <cstdint>
#include <string>

namespace prospector {

/// Paths inside OUT/work. A unit is a stage on one tile (t >= 0) or the single unit of a global stage (t <
/// 0).
class WorkFolder {
public:
  WorkFolder() = default;
  /// `root` is OUT/work; `tiles` gives the tile labels.
  WorkFolder(std::string root, TileGrid tiles);

  /// OUT/work.
  const std::string& root() const { return root_; }
  /// "all" for a global unit, else the tile label "r<ty>_c<tx>".
  std::string unit_label(std::int64_t t) const;

  /// Raw float32 tile of a layer: layers/<layer>/<tile>.f32.
  std::string layer_tile(const std::string& layer, std::int64_t t) const;
  /// RX moments and samples of a tile: partials/rx_moments/<tile>.json.
  std::string rx_partial(std::int64_t t) const;
  /// Result of a global stage: global/<name> (stats.json, model.json, targets.json, learn.json).
  std::string global(const std::string& name) const;
  /// Whole-grid scratch file of an FFT-derived layer: fft/<layer>.raw.
  std::string fft_scratch(const std::string& layer) const;
  /// Folder of the per-tile component labels of a commodity: targets/<commodity>.
  std::string target_labels(const std::string& commodity) const;

  /// Manifest of a unit: manifests/<stage>/<unit>.json.
  std::string manifest(const std::string& stage, std::int64_t t) const;
  /// Failure record of a unit: manifests/<stage>/<unit>.failed.
  std::string failure(const std::string& stage, std::int64_t t) const;
  /// Lock file of a unit: locks/<stage>/<unit>.lock.
  std::string unit_lock(const std::string& stage, std::int64_t t) const;
  /// Folder of Slurm scripts, logs and the submission record: slurm/.
  std::string slurm() const;

private:
  std::string root_;
  TileGrid tiles_;
};

} // namespace prospector
