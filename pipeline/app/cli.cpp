#include "pipeline/app/cli.hpp"
#include "pipeline/io/export.hpp"

#include "kernels/registry.hpp"
#include "pipeline/app/run.hpp"
#include "pipeline/app/synth.hpp"
#include "pipeline/base/errors.hpp"
#include "pipeline/cluster/slurm.hpp"
#include "pipeline/io/h5_reader.hpp"
#include "pipeline/io/h5_writer.hpp"
#include "pipeline/job/job.hpp"
#include "pipeline/job/recipe.hpp"
#include "pipeline/stages/registry.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace prospector {

namespace {

std::map<std::string, nlohmann::json> schema_documents() {
  return {{"job.schema.json",
           options::to_json_schema(job_spec(), "https://prospector.dev/schemas/job.schema.json")},
          {"recipe.schema.json",
           options::to_json_schema(recipe_spec(), "https://prospector.dev/schemas/recipe.schema.json")},
          {"output_layout.json", output_layout()}};
}

int cmd_schema(const std::string& which, const std::string& write_dir, const std::string& check_dir) {
  auto docs = schema_documents();
  if (!write_dir.empty() || !check_dir.empty()) {
    int stale = 0;
    for (const auto& [name, doc] : docs) {
      const std::string text = doc.dump(2) + "\n";
      if (!write_dir.empty()) {
        std::ofstream f(write_dir + "/" + name);
        if (!(f << text)) throw_runtime("cannot write " + write_dir + "/" + name);
      } else {
        std::ifstream f(check_dir + "/" + name);
        std::stringstream ss;
        ss << f.rdbuf();
        if (ss.str() != text) {
          std::fprintf(stderr,
                       "prospector: %s/%s is out of date; regenerate with `prospector schema --write %s`\n",
                       check_dir.c_str(), name.c_str(), check_dir.c_str());
          ++stale;
        }
      }
    }
    if (stale) return 4;
    return 0;
  }
  const std::string key = which == "recipe"   ? "recipe.schema.json"
                          : which == "output" ? "output_layout.json"
                                              : "job.schema.json";
  std::cout << docs[key].dump(2) << "\n";
  return 0;
}

int cmd_kernels(bool json) {
  const auto& ks = kernels::kernel_registry();
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& k : ks) {
      nlohmann::json params = nlohmann::json::array();
      for (const auto& p : k.params)
        params.push_back(
            {{"name", p.name}, {"type", p.type}, {"default", p.default_value}, {"help", p.help}});
      out.push_back({{"name", k.name}, {"description", k.description}, {"doc", k.doc}, {"params", params}});
    }
    nlohmann::json stages = nlohmann::json::array();
    for (const Stage* s : stage_registry())
      stages.push_back({{"name", s->info().name},
                        {"description", s->info().description},
                        {"doc", s->info().doc},
                        {"per_tile", s->info().per_tile}});
    std::cout << nlohmann::json{{"kernels", out}, {"stages", stages}}.dump(2) << "\n";
    return 0;
  }
  std::cout << "Kernels:\n";
  for (const auto& k : ks) {
    std::cout << "  " << k.name << "\n      " << k.description << "\n";
    for (const auto& p : k.params)
      std::cout << "      --" << p.name << " (" << p.type << ", default " << p.default_value
                << "): " << p.help << "\n";
  }
  std::cout << "Stages:\n";
  for (const Stage* s : stage_registry())
    std::cout << "  " << s->info().name << "\n      " << s->info().description << "\n";
  return 0;
}

// Options of the job that the command line can override, each taking help, type and range from the job
// declaration (one declaration per option).
struct JobFlags {
  std::string out;
  std::int64_t tile_size = 0;
  std::vector<std::string> sets;

  void add_to(CLI::App* cmd, bool with_sets) {
    const options::Field* folder = options::find_field(job_spec(), "output.folder");
    cmd->add_option("--out", out,
                    folder->help + " (overrides output.folder; relative to the current folder)");
    const options::Field* ts = options::find_field(job_spec(), "tiling.tile_size");
    cmd->add_option("--tile-size", tile_size, ts->help + " (overrides tiling.tile_size)")
        ->check(CLI::Range(static_cast<std::int64_t>(*ts->minimum), static_cast<std::int64_t>(*ts->maximum)));
    if (with_sets)
      cmd->add_option("--set", sets,
                      "override any job option: KEY=VALUE, e.g. anomaly.local_radius=10 (repeatable; "
                      "keys as in `prospector schema job`)")
          ->expected(1)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  std::vector<JobOverride> overrides() const {
    std::vector<JobOverride> o;
    for (const auto& s : sets)
      o.push_back(parse_override(s));
    if (!out.empty())
      o.push_back({"output.folder", std::filesystem::absolute(out).lexically_normal().string(), "--out"});
    if (tile_size > 0) o.push_back({"tiling.tile_size", tile_size, "--tile-size"});
    return o;
  }
};

} // namespace

int cli_main(int argc, char** argv) {
  const Hdf5LibraryGuard hdf5_library;
  CLI::App app{"prospector: tiled, parallel mineral prospectivity from geophysical and geochemical surveys\n"
               "Exit codes: 0 success, 2 bad usage or job file, 3 bad input data, 4 runtime or I/O failure."};
  app.set_version_flag("--version",
                       std::string("prospector ") + PROSPECTOR_VERSION + " (build " + build_id() + ")");
  app.require_subcommand(1);
  bool verbose = false, quiet = false;
  app.add_flag("-v,--verbose", verbose, "debug logging");
  app.add_flag("-q,--quiet", quiet, "only warnings and errors");

  SynthOptions so;
  auto* synth =
      app.add_subcommand("synth", "write a synthetic demo survey with planted deposits and a job file");
  synth->add_option("--out", so.out_dir, "output folder")->required();
  synth->add_option("--size", so.size, "grid size in 50 m cells (square, 40 to 2000)");
  synth->add_option("--seed", so.seed, "random seed");

  std::string job_path;
  EngineOptions eo;
  JobFlags flags;
  auto* validate = app.add_subcommand("validate", "validate a job file and print the plan (no processing)");
  validate->add_option("JOB", job_path, "job file (JSON)")->required();
  flags.add_to(validate, true);

  auto* run = app.add_subcommand("run", "run a job: recompute what is stale (ingest ... publish)");
  run->add_option("JOB", job_path, "job file (JSON)")->required();
  run->add_option("--threads", eo.threads, "OpenMP threads (default: the CPUs this process may use)")
      ->check(CLI::Range(1, 4096));
  flags.add_to(run, true);
  std::string stage_list;
  for (const Stage* s : stage_registry())
    stage_list += (stage_list.empty() ? "" : ",") + s->info().short_name();
  run->add_option("--stages", eo.stages, "only these stages (comma separated: " + stage_list + ")")
      ->delimiter(',');
  run->add_option("--tiles", eo.tiles,
                  "only these tiles of the per-tile stages (indices or labels like r000_c001)")
      ->delimiter(',');
  run->add_flag("--force", eo.force, "recompute even what is up to date");

  auto* status =
      app.add_subcommand("status", "show per stage and tile: done, stale, missing or failed, and why");
  status->add_option("JOB", job_path, "job file (JSON)")->required();
  flags.add_to(status, true);

  SlurmOptions slo;
  auto* submit =
      app.add_subcommand("submit", "submit the job to Slurm: per-tile stages as job arrays, global stages "
                                   "as single jobs, each stage afterok on the one before");
  submit->add_option("JOB", job_path, "job file (JSON)")->required();
  flags.add_to(submit, false);
  struct ResourceFlag {
    const char* flag;
    std::vector<std::string>* target;
    const char* help;
  };
  for (const ResourceFlag& f :
       {ResourceFlag{"--partition", &slo.partition, "Slurm partition"},
        ResourceFlag{"--account", &slo.account, "Slurm account"},
        ResourceFlag{"--qos", &slo.qos, "Slurm QOS"},
        ResourceFlag{"--time", &slo.time, "time limit per task (default 01:00:00)"},
        ResourceFlag{"--mem", &slo.mem, "memory per task, e.g. 4G (default: from the plan)"},
        ResourceFlag{"--cpus-per-task", &slo.cpus_per_task,
                     "CPUs (OpenMP threads) per task (default 1 per-tile, 2 global)"}})
    submit
        ->add_option(f.flag, *f.target,
                     std::string(f.help) + ": VALUE for every stage, or STAGE=VALUE (repeatable)")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  submit
      ->add_option("--array-throttle", slo.array_throttle, "at most K tasks of a job array run at once (%K)")
      ->check(CLI::Range(1, 1000000));
  submit->add_flag("--dry-run", slo.dry_run, "print the batch scripts and sbatch commands; submit nothing");
  submit->add_flag(
      "--resubmit-failed", slo.resubmit_failed,
      "submit only the units that are not done (failed, killed, never run) and what depends on them");

  auto* cancel =
      app.add_subcommand("cancel", "cancel (scancel) every Slurm job that `submit` recorded for this job");
  cancel->add_option("JOB", job_path, "job file (JSON)")->required();
  cancel->add_option("--out", flags.out, "output folder (overrides output.folder)");

  std::string h5;
  auto* inspect = app.add_subcommand("inspect", "summarise an output prospectivity.nc");
  inspect->add_option("FILE", h5, "prospectivity.nc (or the output.name of the job)")->required();

  std::string export_path;
  ExportOptions xo;
  auto* exp = app.add_subcommand(
      "export",
      "write the grids of an output as Cloud-Optimized GeoTIFFs (or tiled GeoTIFFs) with QGIS styles");
  exp->add_option("OUT", export_path, "output folder of a run (or its prospectivity.nc)")->required();
  exp->add_option("--format", xo.format, "COG (default) or GTiff")->check(CLI::IsMember({"COG", "GTiff"}));
  exp->add_option("--layers", xo.layers, "grids to export (default: every grid), e.g. prospectivity_cu")
      ->delimiter(',');
  exp->add_option("--dir", xo.out_dir, "folder of the exported files (default: OUT/export)");

  std::string which = "job", write_dir, check_dir;
  auto* schema =
      app.add_subcommand("schema", "print the JSON Schema of job or recipe files, or the output layout");
  schema->add_option("WHICH", which, "job, recipe or output")
      ->check(CLI::IsMember({"job", "recipe", "output"}));
  schema->add_option("--write", write_dir, "write all schema documents into this folder");
  schema->add_option("--check", check_dir,
                     "fail if the documents in this folder differ from the generated ones");

  bool as_json = false;
  auto* kern =
      app.add_subcommand("kernels", "list kernels and stages with their descriptions and parameters");
  kern->add_flag("--json", as_json, "machine-readable output");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  auto logger = spdlog::stderr_color_mt("prospector");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S [%l] %v");
  spdlog::set_level(verbose ? spdlog::level::debug : quiet ? spdlog::level::warn : spdlog::level::info);

  try {
    eo.overrides = flags.overrides();
    if (*synth) {
      write_synthetic_survey(so);
      std::cout << "wrote synthetic survey to " << so.out_dir << " (job: " << so.out_dir << "/job.json)\n";
    } else if (*validate) {
      std::cout << validate_job(job_path, eo);
    } else if (*run) {
      run_job(job_path, eo);
    } else if (*status) {
      const std::string report = job_status(job_path, eo);
      std::cout << report << slurm_status_section(job_path, eo, report);
    } else if (*submit) {
      std::cout << submit_job(job_path, eo, slo);
    } else if (*cancel) {
      std::cout << cancel_job(job_path, eo);
    } else if (*inspect) {
      std::cout << inspect_output(h5);
    } else if (*exp) {
      std::cout << export_grids(export_path, xo);
    } else if (*schema) {
      return cmd_schema(which, write_dir, check_dir);
    } else if (*kern) {
      return cmd_kernels(as_json);
    }
    return 0;
  } catch (const Error& e) {
    // One line per problem (validation reports every problem of a job file at once).
    std::string text = e.what();
    std::size_t at = 0;
    do {
      const std::size_t nl = text.find('\n', at);
      std::fprintf(stderr, "prospector: error: %s\n", text.substr(at, nl - at).c_str());
      at = nl == std::string::npos ? nl : nl + 1;
    } while (at != std::string::npos);
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "prospector: error: out of memory (use a coarser grid or smaller extent)\n");
    return 4;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "prospector: error: %s\n", e.what());
    return 4;
  }
}

} // namespace prospector
