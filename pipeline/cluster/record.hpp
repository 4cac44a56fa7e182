#pragma once
/// \file record.hpp
/// Internal to the Slurm layer: what is known about a job without asking Slurm, namely the state of each unit
/// from the manifests and OUT/work/slurm/submitted.json, the record of every job submitted for it.
///
/// The record: {"job", "out", "tile_size", "submissions": [{"time", "mode" ("submit" or "resubmit-failed"),
/// "cancelled" (only when an sbatch failed), "jobs": [{"stage", "kind" ("array" or "single"), "id", "name",
/// "tiles", "offset" (array index = tile - offset), "array", "dependency", "script", "log_dir"}]}]}.

#include "pipeline/engine/engine.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace prospector::slurm {

/// Per stage, in stage order: whether it runs per tile, and the state ("done", "stale", "missing",
/// "failed") of each unit (tile index, or -1 for the unit of a global stage).
struct UnitStates {
  std::vector<std::string> stages;
  std::map<std::string, bool> tiled;
  std::map<std::string, std::map<std::int64_t, std::string>> state;
};

/// The unit states of the plan, from the engine's unit_status().
UnitStates unit_states(const Plan& plan);

/// OUT/work/slurm: the batch scripts, the logs folder and the record.
std::string slurm_dir(const Plan& p);

/// OUT/work/slurm/submitted.json.
std::string record_path(const Plan& p);

/// The record, or null when nothing was ever submitted. Error Runtime when the file is not a record.
nlohmann::json load_record(const Plan& p);

/// The id of every job in the record (none for a null record), in submission order.
std::vector<std::string> recorded_ids(const nlohmann::json& record);

/// The log of a recorded job `j` (array_index -1) or of one of its array tasks.
std::string log_path(const nlohmann::json& j, std::int64_t array_index);

} // namespace prospector::slurm
