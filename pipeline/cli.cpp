#include "pipeline/cli.hpp"

#include "kernels/registry.hpp"
#include "pipeline/errors.hpp"
#include "pipeline/h5_reader.hpp"
#include "pipeline/job.hpp"
#include "pipeline/recipe.hpp"
#include "pipeline/run.hpp"
#include "pipeline/slurm.hpp"
#include "pipeline/stages.hpp"
#include "pipeline/synth.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace prospector {

namespace {

std::map<std::string, nlohmann::json> schema_documents() {
  return {{"job.schema.json", options::to_json_schema(job_spec(), "https://prospector.dev/schemas/job.schema.json")},
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
          std::fprintf(stderr, "prospector: %s/%s is out of date; regenerate with `prospector schema --write %s`\n",
                       check_dir.c_str(), name.c_str(), check_dir.c_str());
          ++stale;
        }
      }
    }
    if (stale) return 4;
    return 0;
  }
  const std::string key = which == "recipe" ? "recipe.schema.json" : which == "output" ? "output_layout.json"
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
        params.push_back({{"name", p.name}, {"type", p.type}, {"default", p.default_value}, {"help", p.help}});
      out.push_back({{"name", k.name}, {"description", k.description}, {"doc", k.doc}, {"params", params}});
    }
    nlohmann::json stages = nlohmann::json::array();
    for (const auto& s : stage_registry())
      stages.push_back({{"name", s.name}, {"description", s.description}, {"doc", s.doc}});
    std::cout << nlohmann::json{{"kernels", out}, {"stages", stages}}.dump(2) << "\n";
    return 0;
  }
  std::cout << "Kernels:\n";
  for (const auto& k : ks) {
    std::cout << "  " << k.name << "\n      " << k.description << "\n";
    for (const auto& p : k.params)
      std::cout << "      --" << p.name << " (" << p.type << ", default " << p.default_value << "): " << p.help << "\n";
  }
  std::cout << "Stages:\n";
  for (const auto& s : stage_registry()) std::cout << "  " << s.name << "\n      " << s.description << "\n";
  return 0;
}

} // namespace

int cli_main(int argc, char** argv) {
  CLI::App app{"prospector: tiled, parallel mineral prospectivity from geophysical and geochemical surveys\n"
               "Exit codes: 0 success, 2 bad usage or job file, 3 bad input data, 4 runtime or I/O failure."};
  app.set_version_flag("--version", std::string("prospector ") + PROSPECTOR_VERSION);
  app.require_subcommand(1);
  bool verbose = false, quiet = false;
  app.add_flag("-v,--verbose", verbose, "debug logging");
  app.add_flag("-q,--quiet", quiet, "only warnings and errors");

  SynthOptions so;
  auto* synth = app.add_subcommand("synth", "write a synthetic demo survey with planted deposits and a job file");
  synth->add_option("--out", so.out_dir, "output folder")->required();
  synth->add_option("--size", so.size, "grid size in 50 m cells (square, 40 to 2000)");
  synth->add_option("--seed", so.seed, "random seed");

  std::string job_path;
  EngineOptions eo;
  auto* validate = app.add_subcommand("validate", "validate a job file and print the plan (no processing)");
  validate->add_option("JOB", job_path, "job file (JSON)")->required();
  validate->add_option("--out", eo.out_folder, "output folder (overrides output.folder)");
  validate->add_option("--tile-size", eo.tile_size, "tile edge in cells (overrides tiling.tile_size)")
      ->check(CLI::Range(16, 65536));

  auto* run = app.add_subcommand("run", "run a job: recompute what is stale (ingest ... publish)");
  run->add_option("JOB", job_path, "job file (JSON)")->required();
  run->add_option("--threads", eo.threads, "OpenMP threads (default: the CPUs this process may use)")
      ->check(CLI::Range(1, 4096));
  run->add_option("--out", eo.out_folder, "output folder (overrides output.folder)");
  run->add_option("--tile-size", eo.tile_size, "tile edge in cells (overrides tiling.tile_size)")
      ->check(CLI::Range(16, 65536));
  run->add_option("--stages", eo.stages, "only these stages (comma separated: ingest,transform,stats,anomaly,model,"
                                         "score,targets,publish)")
      ->delimiter(',');
  run->add_option("--tiles", eo.tiles, "only these tiles of the per-tile stages (indices or labels like r000_c001)")
      ->delimiter(',');
  run->add_flag("--force", eo.force, "recompute even what is up to date");

  auto* status = app.add_subcommand("status", "show per stage and tile: done, stale, missing or failed, and why");
  status->add_option("JOB", job_path, "job file (JSON)")->required();
  status->add_option("--out", eo.out_folder, "output folder (overrides output.folder)");
  status->add_option("--tile-size", eo.tile_size, "tile edge in cells (overrides tiling.tile_size)")
      ->check(CLI::Range(16, 65536));

  SlurmOptions slo;
  auto* submit =
      app.add_subcommand("submit", "submit the job to Slurm: per-tile stages as job arrays, global stages "
                                   "as single jobs, each stage afterok on the one before");
  submit->add_option("JOB", job_path, "job file (JSON)")->required();
  submit->add_option("--out", eo.out_folder,
                     "output folder (overrides output.folder; must be shared with the nodes)");
  submit->add_option("--tile-size", eo.tile_size, "tile edge in cells (overrides tiling.tile_size)")
      ->check(CLI::Range(16, 65536));
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
  cancel->add_option("--out", eo.out_folder, "output folder (overrides output.folder)");

  std::string h5;
  auto* inspect = app.add_subcommand("inspect", "summarise an output prospectivity.h5");
  inspect->add_option("FILE", h5, "prospectivity.h5")->required();

  std::string which = "job", write_dir, check_dir;
  auto* schema = app.add_subcommand("schema", "print the JSON Schema of job or recipe files, or the output layout");
  schema->add_option("WHICH", which, "job, recipe or output")->check(CLI::IsMember({"job", "recipe", "output"}));
  schema->add_option("--write", write_dir, "write all schema documents into this folder");
  schema->add_option("--check", check_dir, "fail if the documents in this folder differ from the generated ones");

  bool as_json = false;
  auto* kern = app.add_subcommand("kernels", "list kernels and stages with their descriptions and parameters");
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
    } else if (*schema) {
      return cmd_schema(which, write_dir, check_dir);
    } else if (*kern) {
      return cmd_kernels(as_json);
    }
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "prospector: error: %s\n", e.what());
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
