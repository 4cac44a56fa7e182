#pragma once
/// \file run.hpp
/// Library entry points behind the CLI subcommands `run`, `validate` and `status`.

#include "pipeline/engine/engine.hpp"

#include <string>

namespace prospector {

/// Number of OpenMP threads to use when the user did not say: the CPUs in this process's affinity mask,
/// capped by SLURM_CPUS_PER_TASK and OMP_NUM_THREADS when set.
int default_thread_count();

/// Loads, validates and runs a job (only what is stale, unless forced); writes OUT/prospectivity.nc, its
/// sidecar and targets.gpkg. Throws prospector::Error.
void run_job(const std::string& job_path, const EngineOptions& opts);

/// Validates a job without running it and returns the plan as text. Throws prospector::Error.
std::string validate_job(const std::string& job_path, const EngineOptions& opts);

/// Status of every stage and tile of a job's work folder, as text. Throws prospector::Error.
std::string job_status(const std::string& job_path, const EngineOptions& opts);

} // namespace prospector
