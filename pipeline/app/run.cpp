#include "pipeline/app/run.hpp"

#include "pipeline/stages/registry.hpp"

#include <omp.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace prospector {

int default_thread_count() {
  int n = 1;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    n = std::max(1, CPU_COUNT(&set));
  else
    n = std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  for (const char* var : {"SLURM_CPUS_PER_TASK", "OMP_NUM_THREADS"}) {
    if (const char* v = std::getenv(var)) {
      const int k = std::atoi(v);
      if (k > 0) n = std::min(n, k);
    }
  }
  return n;
}

void run_job(const std::string& job_path, const EngineOptions& opts) {
  const int threads = opts.threads > 0 ? opts.threads : default_thread_count();
  omp_set_num_threads(threads);
  // Kernels parallelise their own loops; nested regions would oversubscribe the CPUs.
  omp_set_max_active_levels(1);
  InterruptGuard guard;
  const Plan plan = make_plan(job_path, opts.overrides);
  spdlog::info("job {} ({}), {} OpenMP thread(s)", plan.job.name, plan.job.path, threads);
  execute(plan, stage_registry(), opts);
}

std::string validate_job(const std::string& job_path, const EngineOptions& opts) {
  const Plan plan = make_plan(job_path, opts.overrides);
  std::string text = describe_plan(plan);
  std::string stages = "stages:\n";
  for (const Stage* s : stage_registry())
    stages += "  " + s->info().short_name() + ": " +
              (s->info().per_tile ? std::to_string(plan.tiles.count()) + " tile unit(s)" : "1 global unit") +
              "\n";
  const auto at = text.find("estimate: ");
  text.insert(at == std::string::npos ? text.size() : at, stages);
  return text;
}

std::string job_status(const std::string& job_path, const EngineOptions& opts) {
  const Plan plan = make_plan(job_path, opts.overrides);
  return status_report(plan, unit_status(plan, stage_registry()));
}

} // namespace prospector
