#pragma once
/// \file run.hpp
/// Library entry points behind the CLI subcommands `run` and `validate`.

#include <string>

namespace prospector {

/// Options of `prospector run`.
struct RunOptions {
  int threads = 0;        ///< 0 = the CPUs this process may use (affinity, SLURM_CPUS_PER_TASK, OMP_NUM_THREADS)
  std::string out_folder; ///< overrides output.folder when non-empty
};

/// Number of OpenMP threads to use when the user did not say: the CPUs in this process's affinity mask,
/// capped by SLURM_CPUS_PER_TASK and OMP_NUM_THREADS when set.
int default_thread_count();

/// Loads, validates and runs a job end to end; writes OUT/prospectivity.h5, its sidecar and targets.gpkg.
/// Throws prospector::Error.
void run_job(const std::string& job_path, const RunOptions& opts);

/// Validates a job without running it and returns the plan as text: grid, inputs, stages, recipes,
/// estimated memory and disk. Throws prospector::Error.
std::string validate_job(const std::string& job_path);

} // namespace prospector
