#pragma once
/// \file slurm.hpp
/// Running a job on a Slurm cluster: `prospector submit` turns the stage DAG into batch jobs (per-tile stages
/// as job arrays whose task i computes tile i, global stages as single jobs, each stage `afterok` on the one
/// before), `prospector cancel` cancels them, and `prospector status` appends their Slurm ids and states.
///
/// Files, all under OUT/work/slurm/: `<stage>.sbatch` (batch scripts made from the templates in jobs/slurm/,
/// which only call `prospector run JOB --stages S [--tiles T]`), `logs/<name>-<jobid>_<task>.out` (array
/// tasks) and `logs/<name>-<jobid>.out` (global stages), and `submitted.json` (every submitted job id,
/// written atomically after each sbatch).
///
/// Implemented in submit.cpp (submit_job and the helpers below) and status.cpp (cancel_job,
/// slurm_status_section), on the internal headers process.hpp (running Slurm's commands), record.hpp (unit
/// states and submitted.json) and slurm_query.hpp (job states from squeue, sacct and the jobcomp record).

#include "pipeline/engine/engine.hpp"

#include <string>
#include <vector>

namespace prospector {

/// Options of `prospector submit` besides --out and --tile-size (which come in EngineOptions).
/// Resource values are "VALUE" (every stage) or "STAGE=VALUE" (that stage; wins over a plain value).
struct SlurmOptions {
  std::vector<std::string> partition;     ///< sbatch --partition; none: the cluster's default
  std::vector<std::string> account;       ///< sbatch --account
  std::vector<std::string> qos;           ///< sbatch --qos
  std::vector<std::string> time;          ///< sbatch --time; default 01:00:00
  std::vector<std::string> mem;           ///< sbatch --mem (e.g. 4G); default estimated from the plan
  std::vector<std::string> cpus_per_task; ///< sbatch --cpus-per-task; default 1 (per-tile), 2 (global)
  int array_throttle = 0;                 ///< at most this many tasks of an array at once (0: no limit)
  bool dry_run = false;                   ///< print scripts and sbatch commands, submit nothing
  bool resubmit_failed = false; ///< only units not done (per the manifests) and what depends on them
};

/// Submits the job (or, with resubmit_failed, what is not done) and returns what to print: one line per
/// submitted Slurm job, or with dry_run the scripts and the sbatch command lines. Refuses (Error Runtime)
/// while jobs recorded in submitted.json are still pending or running, and when sbatch is not on PATH (exit
/// 4).
std::string submit_job(const std::string& job_path, const EngineOptions& opts, const SlurmOptions& slurm);

/// Cancels (scancel) every job recorded in OUT/work/slurm/submitted.json that is still pending or running and
/// waits until none is; returns what to print. Error Runtime when scancel is not on PATH.
std::string cancel_job(const std::string& job_path, const EngineOptions& opts);

/// The Slurm part of `prospector status`: per recorded job its id and state (from squeue, else sacct, else
/// the jobcomp/filetxt record), and for each unit that is not done and whose task failed, the task and its
/// log. `manifest_report` is the text of job_status() for the same job. Empty when nothing was ever
/// submitted.
std::string slurm_status_section(const std::string& job_path, const EngineOptions& opts,
                                 const std::string& manifest_report);

/// Folder of the batch templates: $PROSPECTOR_SLURM_TEMPLATES, else the source tree's jobs/slurm, else the
/// installed share/prospector/slurm.
std::string slurm_template_dir();

/// Slurm array index list for sorted, distinct indices: "0-8", "3,7", "0-2,5"; with throttle > 0, "%K"
/// appended.
std::string slurm_array_spec(const std::vector<std::int64_t>& indices, int throttle);

} // namespace prospector
