#pragma once
/// \file slurm_query.hpp
/// Internal to the Slurm layer: the states of submitted jobs and array tasks, from squeue (jobs slurmctld
/// still holds), sacct (needs slurmdbd) and the jobcomp/filetxt record (finished jobs without slurmdbd).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace prospector::slurm {

/// A Slurm state ("PENDING", "COMPLETED", ...) with squeue's reason, the exit code "N:S" (sacct, jobcomp)
/// and which source said so ("squeue", "sacct", "jobcomp").
struct TaskState {
  std::string state, reason, exit_code, source;
};

/// Keys: "JOBID" for a single job, "JOBID_INDEX" for an array task.
using StateMap = std::map<std::string, TaskState>;

/// The states Slurm reports for recorded jobs, and which sources answered.
struct Query {
  StateMap states;
  bool squeue_ok = false, sacct = false;
  std::string jobcomp; ///< the jobcomp/filetxt file read, "" when none
  /// "squeue, jobcomp FILE", or "no Slurm commands answered".
  std::string sources() const;
};

/// States of the jobs `ids`: from squeue only with live_only (pending and running jobs are all there), else
/// also from sacct and the jobcomp record, earlier sources winning.
Query query_states(const std::vector<std::string>& ids, bool live_only);

/// The state of one recorded job (index -1) or array task; null when no source knows it.
const TaskState* lookup(const Query& q, const std::string& id, std::int64_t index);

/// The ids of the recorded jobs that still have a task pending or running.
std::vector<std::string> active_ids(const nlohmann::json& record, const Query& q);

/// Slurm states of jobs that have not ended yet (PENDING, RUNNING, ...).
const std::set<std::string>& active_states();

/// Whether a job that ended in state s did not complete (FAILED, TIMEOUT, CANCELLED, ...).
bool failed_state(const std::string& s);

/// `scontrol show config` as key -> value; empty when scontrol is missing or fails.
std::map<std::string, std::string> slurm_config();

} // namespace prospector::slurm
