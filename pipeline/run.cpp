#include "pipeline/run.hpp"

#include "pipeline/errors.hpp"
#include "pipeline/ingest.hpp"
#include "pipeline/stages.hpp"

#include <omp.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace prospector {

namespace fs = std::filesystem;

int default_thread_count() {
  int n = 1;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) n = std::max(1, CPU_COUNT(&set));
  else n = std::max(1, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  for (const char* var : {"SLURM_CPUS_PER_TASK", "OMP_NUM_THREADS"}) {
    if (const char* v = std::getenv(var)) {
      const int k = std::atoi(v);
      if (k > 0) n = std::min(n, k);
    }
  }
  return n;
}

namespace {

std::vector<Recipe> load_recipes(const Job& job) {
  std::vector<Recipe> r;
  for (const auto& c : job.commodities) r.push_back(load_recipe(job, c));
  return r;
}

void check_output_folder(const std::string& out) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw_runtime("output folder " + out + ": cannot create it: " + ec.message() + " (choose a writable folder)");
  const std::string probe = out + "/.prospector-write-test-" + std::to_string(getpid());
  {
    std::ofstream f(probe);
    if (!f || !(f << "x") || !f.flush())
      throw_runtime("output folder " + out + " is not writable (check permissions or choose another folder)");
  }
  fs::remove(probe, ec);
}

} // namespace

void run_job(const std::string& job_path, const RunOptions& opts) {
  const auto t0 = std::chrono::steady_clock::now();
  RunContext ctx;
  ctx.job = load_job(job_path);
  if (!opts.out_folder.empty()) ctx.job.output_folder = fs::absolute(opts.out_folder).lexically_normal().string();
  ctx.recipes = load_recipes(ctx.job);
  const int threads = opts.threads > 0 ? opts.threads : default_thread_count();
  omp_set_num_threads(threads);
  omp_set_max_active_levels(1);
  spdlog::info("job {} ({}), {} OpenMP thread(s)", ctx.job.name, ctx.job.path, threads);
  ctx.grid = resolve_grid(ctx.job);
  spdlog::info("analysis grid: {}", describe(ctx.grid));
  check_output_folder(ctx.job.output_folder);
  ctx.store = std::make_unique<LayerStore>(ctx.job.output_folder + "/work/layers", ctx.grid);
  for (const auto& s : stage_registry()) {
    const auto s0 = std::chrono::steady_clock::now();
    s.run(ctx);
    spdlog::info("stage {} finished in {:.2f} s", s.name,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count());
  }
  spdlog::info("run finished in {:.2f} s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

std::string validate_job(const std::string& job_path) {
  Job job = load_job(job_path);
  std::vector<Recipe> recipes = load_recipes(job);
  GridSpec g = resolve_grid(job);
  std::ostringstream os;
  os << "job: " << job.name << " (" << job.path << ") is valid\n";
  os << "grid: " << describe(g) << "\n";
  os << "inputs:\n";
  std::size_t layers = 0;
  for (const auto& in : job.inputs) {
    os << "  " << probe_input(in, g) << "\n";
    layers += layer_names(in).size();
  }
  os << "commodities:\n";
  for (const auto& r : recipes) {
    os << "  " << r.commodity << ": " << r.name << " (" << r.path << "), " << r.evidence.size() << " evidence layers\n";
  }
  os << "stages:\n";
  for (const auto& s : stage_registry()) os << "  " << s.name << ": " << s.description << "\n";
  const double layer_mb = static_cast<double>(g.size()) * 4.0 / 1048576.0;
  const std::size_t grids = 2 * layers + 1 + recipes.size();
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "estimate: %.1f MiB per layer; peak memory about %.0f MiB; work folder about %.0f MiB; "
                "prospectivity.h5 at most %.0f MiB (%zu grids before compression)\n",
                layer_mb, layer_mb * 8 + 64, layer_mb * static_cast<double>(grids + layers + 4 * recipes.size()),
                layer_mb * static_cast<double>(grids), grids);
  os << buf;
  os << "output: " << job.output_folder << "\n";
  return os.str();
}

} // namespace prospector
