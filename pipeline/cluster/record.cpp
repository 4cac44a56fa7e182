#include "pipeline/cluster/record.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/base/tiles.hpp"
#include "pipeline/stages/registry.hpp"

namespace prospector::slurm {

using nlohmann::json;

UnitStates unit_states(const Plan& plan) {
  UnitStates u;
  for (const auto& ss : unit_status(plan, stage_registry())) {
    const std::string name = ss.stage->info().short_name();
    u.stages.push_back(name);
    u.tiled[name] = ss.stage->info().per_tile;
    for (const auto& unit : ss.units)
      u.state[name][unit.unit] = unit.state;
  }
  return u;
}

std::string slurm_dir(const Plan& p) { return p.work.slurm(); }
std::string record_path(const Plan& p) { return slurm_dir(p) + "/submitted.json"; }

json load_record(const Plan& p) {
  const std::string path = record_path(p);
  if (!file_exists(path)) return json();
  try {
    json r = json::parse(read_file(path));
    if (r.is_object() && r.contains("submissions") && r["submissions"].is_array()) return r;
  } catch (const json::exception&) {
  }
  throw_runtime(path +
                " is not a valid record of submitted Slurm jobs (remove it if no job of this output folder "
                "is queued)");
}

std::vector<std::string> recorded_ids(const json& record) {
  std::vector<std::string> ids;
  if (record.is_null()) return ids;
  for (const auto& s : record["submissions"])
    for (const auto& j : s["jobs"])
      ids.push_back(j["id"].get<std::string>());
  return ids;
}

std::string log_path(const json& j, std::int64_t array_index) {
  const std::string base =
      j["log_dir"].get<std::string>() + "/" + j["name"].get<std::string>() + "-" + j["id"].get<std::string>();
  return array_index < 0 ? base + ".out" : base + "_" + std::to_string(array_index) + ".out";
}

} // namespace prospector::slurm
