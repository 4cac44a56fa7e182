#include "pipeline/cluster/slurm.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/base/strings.hpp"
#include "pipeline/base/tiles.hpp"
#include "pipeline/cluster/process.hpp"
#include "pipeline/cluster/record.hpp"
#include "pipeline/cluster/slurm_query.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace prospector {

using nlohmann::json;
using namespace slurm;

std::string cancel_job(const std::string& job_path, const EngineOptions& opts) {
  const Plan plan = make_plan(job_path, opts.overrides);
  const json record = load_record(plan);
  const auto ids = recorded_ids(record);
  if (ids.empty()) return "nothing to cancel: no Slurm job recorded in " + record_path(plan) + "\n";
  if (find_on_path("scancel").empty())
    throw_runtime(
        "scancel not found on PATH: Slurm's client commands are not installed on this machine; cancel "
        "jobs " +
        join(ids, ", ") + " from a Slurm login node");
  Query q = query_states(ids, true);
  // Without squeue's answer, cancel everything recorded; scancel ignores finished jobs.
  std::vector<std::string> targets = q.squeue_ok ? active_ids(record, q) : ids;
  if (targets.empty())
    return "nothing to cancel: the " + std::to_string(ids.size()) +
           " recorded Slurm job(s) have all finished\n";
  std::vector<std::string> c = {"scancel"};
  c.insert(c.end(), targets.begin(), targets.end());
  const CmdResult r = run_cmd(c);
  std::ostringstream os;
  if (r.rc != 0 && !r.err.empty()) os << "scancel: " << one_line(r.err) << "\n";
  // scancel returns before slurmctld has ended running tasks: wait until none is pending or running.
  std::vector<std::string> left = targets;
  for (int i = 0; i < 150 && !left.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    q = query_states(ids, true);
    if (!q.squeue_ok) break;
    left = active_ids(record, q);
  }
  os << "cancelled " << targets.size() << " Slurm job(s) of job " << plan.job.name << ": "
     << join(targets, ", ") << "\n";
  if (!left.empty()) {
    os << "still ending after 30 s: " << join(left, ", ") << "\n";
    throw_runtime(os.str() + "Slurm has not ended them yet; check `squeue -j " + join(left, ",") + "`");
  }
  return os.str();
}

std::string slurm_status_section(const std::string& job_path, const EngineOptions& opts,
                                 const std::string& manifest_report) {
  const Plan plan = make_plan(job_path, opts.overrides);
  const json record = load_record(plan);
  if (record.is_null()) return "";
  const UnitStates units = unit_states(plan);
  (void)manifest_report;
  const auto ids = recorded_ids(record);
  const Query q = query_states(ids, false);
  std::ostringstream os;
  os << "slurm: " << record["submissions"].size() << " submission(s) recorded in " << record_path(plan)
     << " (states from " << q.sources() << ")\n";
  // The latest job that covered each unit: stage -> unit -> (job, array index).
  std::map<std::string, std::map<std::int64_t, std::pair<const json*, std::int64_t>>> latest;
  int k = 0;
  for (const auto& s : record["submissions"]) {
    os << "  submission " << ++k << " (" << s.value("mode", "submit") << ", " << s.value("time", "") << ")"
       << (s.value("cancelled", false) ? ", incomplete: sbatch failed" : "") << ":\n";
    for (const auto& j : s["jobs"]) {
      const std::string id = j["id"];
      const std::string stage = j["stage"];
      os << "    " << stage << ": job " << id;
      if (j["kind"] == "array") {
        os << " array " << j["array"].get<std::string>() << ":";
        std::map<std::string, int> counts;
        std::set<std::string> reasons;
        for (const auto& tv : j["tiles"]) {
          const std::int64_t t = tv.get<std::int64_t>();
          const std::int64_t idx = t - j["offset"].get<std::int64_t>();
          const TaskState* st = lookup(q, id, idx);
          counts[st ? st->state : "unknown"]++;
          if (st && !st->reason.empty()) reasons.insert(st->reason);
          latest[stage][t] = {&j, idx};
        }
        bool first = true;
        for (const auto& [state, n] : counts) {
          os << (first ? " " : ", ") << state << " " << n;
          first = false;
        }
        if (!reasons.empty())
          os << " (" << join(std::vector<std::string>(reasons.begin(), reasons.end()), ", ") << ")";
      } else {
        const TaskState* st = lookup(q, id, -1);
        os << ": " << (st ? st->state : "unknown");
        if (st && !st->reason.empty()) os << " (" << st->reason << ")";
        if (st && !st->exit_code.empty() && st->exit_code != "0:0") os << " exit " << st->exit_code;
        latest[stage][-1] = {&j, -1};
      }
      os << "\n";
    }
  }
  // Units the manifests do not mark done: which Slurm task last tried them, and its log.
  std::vector<std::string> failed;
  int not_done = 0;
  for (const auto& stage : units.stages) {
    for (const auto& [unit, state] : units.state.at(stage)) {
      if (state == "done") continue;
      ++not_done;
      auto js = latest.find(stage);
      if (js == latest.end() || !js->second.count(unit)) continue;
      const auto [j, idx] = js->second.at(unit);
      const std::string id = (*j)["id"];
      const TaskState* st = lookup(q, id, idx);
      const std::string log = log_path(*j, idx);
      const bool ran = file_exists(log);
      if (state != "failed" && !(st && failed_state(st->state) && ran)) continue;
      std::string line = "    " + stage + " " + (unit < 0 ? std::string("all") : plan.tiles.label(unit)) +
                         (unit < 0 ? "" : " (tile " + std::to_string(unit) + ")") + ": " + state +
                         "; Slurm " + (idx < 0 ? "job " + id : "task " + id + "_" + std::to_string(idx)) +
                         " " + (st ? st->state : "state unknown");
      if (st && !st->exit_code.empty() && st->exit_code != "0:0") line += " (exit " + st->exit_code + ")";
      line += ", log " + (ran ? log : log + " (not written: the task never started)");
      failed.push_back(line);
    }
  }
  if (not_done == 0) {
    os << "  every unit is done\n";
  } else {
    if (!failed.empty()) {
      os << "  failed tasks (" << failed.size() << "):\n";
      for (const auto& l : failed)
        os << l << "\n";
    }
    const auto active = active_ids(record, q);
    if (!active.empty())
      os << "  " << not_done << " unit(s) not done yet; " << active.size()
         << " Slurm job(s) still pending or running (" << join(active, ", ") << ")\n";
    else
      os << "  " << not_done
         << " unit(s) not done; resubmit them and what depends on them with `prospector submit " << job_path
         << " --resubmit-failed`\n";
  }
  return os.str();
}

} // namespace prospector
