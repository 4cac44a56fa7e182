#include "pipeline/cluster/slurm.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/base/strings.hpp"
#include "pipeline/base/tiles.hpp"
#include "pipeline/cluster/process.hpp"
#include "pipeline/cluster/record.hpp"
#include "pipeline/cluster/slurm_query.hpp"
#include "pipeline/stages/registry.hpp"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace prospector {

using nlohmann::json;
using namespace slurm;
namespace fs = std::filesystem;

namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct Resources {
  std::string partition, account, qos, time, mem;
  int cpus = 1;
};

bool valid_time(const std::string& v) {
  if (v == "UNLIMITED" || v == "INFINITE") return true;
  // minutes | MM:SS | HH:MM:SS | D-HH | D-HH:MM | D-HH:MM:SS
  std::string rest = v;
  const auto dash = v.find('-');
  if (dash != std::string::npos) {
    const std::string d = v.substr(0, dash);
    if (d.empty() || !std::all_of(d.begin(), d.end(), ::isdigit)) return false;
    rest = v.substr(dash + 1);
  }
  std::stringstream ss(rest);
  std::string part;
  int n = 0;
  while (std::getline(ss, part, ':')) {
    if (part.empty() || !std::all_of(part.begin(), part.end(), ::isdigit)) return false;
    ++n;
  }
  return n >= 1 && n <= 3 && !rest.empty() && rest.back() != ':';
}

bool valid_mem(const std::string& v) {
  size_t i = 0;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])))
    ++i;
  if (i == 0) return false;
  return i == v.size() || (i + 1 == v.size() && std::strchr("KMGTkmgt", v[i]));
}

bool valid_name(const std::string& v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_.,-+", c);
  });
}

// Memory request in MiB: the plan's estimate of a unit, with a quarter for safety, in 64 MiB steps.
std::int64_t default_mem_mib(const Plan& p, bool tiled) {
  const PlanEstimate e = estimate(p);
  const double need = tiled ? e.request_tile_unit_mib : e.request_global_unit_mib;
  return static_cast<std::int64_t>(std::ceil(need * 1.25 / 64.0)) * 64;
}

std::vector<std::string> stage_names() {
  std::vector<std::string> names;
  for (const Stage* s : stage_registry())
    names.push_back(s->info().short_name());
  return names;
}

Resources resources_for(const Plan& p, const std::string& stage, bool tiled, const SlurmOptions& o) {
  Resources r;
  r.time = "01:00:00";
  r.mem = std::to_string(default_mem_mib(p, tiled)) + "M";
  r.cpus = tiled ? 1 : 2;
  struct Field {
    const char* flag;
    const std::vector<std::string>* values;
    std::string* target;
    bool (*valid)(const std::string&);
    const char* what;
  };
  std::string cpus = std::to_string(r.cpus);
  const Field fields[] = {
      {"--partition", &o.partition, &r.partition, valid_name, "a partition name"},
      {"--account", &o.account, &r.account, valid_name, "an account name"},
      {"--qos", &o.qos, &r.qos, valid_name, "a QOS name"},
      {"--time", &o.time, &r.time, valid_time, "a Slurm time (MM, HH:MM:SS or D-HH:MM:SS)"},
      {"--mem", &o.mem, &r.mem, valid_mem, "a memory size (e.g. 4G or 512M)"},
      {"--cpus-per-task", &o.cpus_per_task, &cpus,
       [](const std::string& v) {
         return !v.empty() && v.size() < 6 && std::all_of(v.begin(), v.end(), ::isdigit) && std::stoi(v) >= 1;
       },
       "a positive number of CPUs"},
  };
  for (const auto& f : fields) {
    // A plain value applies to every stage, STAGE=VALUE to that stage only and wins whatever the order.
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& item : *f.values) {
        const auto eq = item.find('=');
        std::string value = item;
        if (eq != std::string::npos) {
          const std::string s = item.substr(0, eq);
          if (const auto names = stage_names(); std::find(names.begin(), names.end(), s) == names.end())
            throw_usage(std::string(f.flag) + " " + item + ": unknown stage '" + s +
                        "' (stages: " + join(stage_names(), ", ") + ")");
          if (pass == 0 || s != stage) continue;
          value = item.substr(eq + 1);
        } else if (pass == 1) {
          continue;
        }
        if (!f.valid(value))
          throw_usage(std::string(f.flag) + " " + item + ": '" + value + "' is not " + f.what);
        *f.target = value;
      }
    }
  }
  r.cpus = std::stoi(cpus);
  return r;
}

std::string job_label(const std::string& name) {
  std::string s;
  for (char c : name)
    s += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-') ? c : '_';
  if (s.size() > 40) s.resize(40);
  return s.empty() ? "job" : s;
}

void check_sbatch_safe(const std::string& what, const std::string& path) {
  for (char c : path)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '\\')
      throw_usage(what + " '" + path +
                  "' contains whitespace, a quote or a backslash, which #SBATCH lines cannot "
                  "carry; use another folder (--out)");
}

std::string escape_percent(const std::string& s) {
  std::string o;
  for (char c : s)
    o += c == '%' ? std::string("%%") : std::string(1, c);
  return o;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

std::string self_exe() {
  std::error_code ec;
  const fs::path p = fs::canonical("/proc/self/exe", ec);
  if (ec) throw_runtime("cannot find the path of the prospector executable: " + ec.message());
  return p.string();
}

int max_array_size(const std::map<std::string, std::string>& conf) {
  auto it = conf.find("MaxArraySize");
  if (it == conf.end()) return 1001;
  const int v = std::atoi(it->second.c_str());
  return v > 1 ? v : 1001;
}

// One sbatch submission: a whole global stage, or a chunk of a per-tile stage's tiles (array index = tile -
// offset).
struct Planned {
  std::string stage;
  bool tiled = false;
  std::vector<std::int64_t> tiles;
  std::int64_t offset = 0;
  std::string script;
  std::string var; // shell variable of its id in the dry-run listing
};

} // namespace

std::string slurm_template_dir() {
  if (const char* env = std::getenv("PROSPECTOR_SLURM_TEMPLATES")) return env;
  const fs::path src = fs::path(PROSPECTOR_SOURCE_DIR) / "jobs" / "slurm";
  if (fs::exists(src / "tile_stage.sbatch")) return src.string();
  return (fs::path(PROSPECTOR_DATA_DIR) / "slurm").string();
}

std::string slurm_array_spec(const std::vector<std::int64_t>& indices, int throttle) {
  std::string s;
  for (size_t i = 0; i < indices.size();) {
    size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1)
      ++j;
    if (!s.empty()) s += ",";
    s += std::to_string(indices[i]);
    if (j > i) s += "-" + std::to_string(indices[j]);
    i = j + 1;
  }
  if (throttle > 0) s += "%" + std::to_string(throttle);
  return s;
}

std::string submit_job(const std::string& job_path, const EngineOptions& opts, const SlurmOptions& so) {
  if (!so.dry_run && find_on_path("sbatch").empty())
    throw_runtime(
        "sbatch not found on PATH: Slurm's client commands are not installed on this machine. Submit from "
        "a Slurm login node, preview with `prospector submit --dry-run`, or run here with `prospector run " +
        job_path + "`");
  const Plan plan = make_plan(job_path, opts.overrides);
  check_sbatch_safe("output folder", plan.out);
  const UnitStates units = unit_states(plan);
  json record = load_record(plan);

  if (!so.dry_run && !record.is_null()) {
    const Query q = query_states(recorded_ids(record), true);
    const auto active = active_ids(record, q);
    if (!active.empty())
      throw_runtime(
          "Slurm jobs of an earlier submission of this output folder are still pending or running (" +
          join(active, ", ") + "): wait for them (`prospector status " + job_path +
          "`) or cancel them (`prospector cancel " + job_path + "`) first");
  }

  const auto conf = so.dry_run ? std::map<std::string, std::string>() : slurm_config();
  const std::int64_t chunk = max_array_size(conf);
  std::vector<Planned> todo;
  for (const auto& stage : units.stages) {
    const auto& st = units.state.at(stage);
    std::vector<std::int64_t> sel;
    for (const auto& [unit, state] : st)
      if (!so.resubmit_failed || state != "done") sel.push_back(unit);
    if (sel.empty()) continue;
    const bool tiled = units.tiled.at(stage);
    if (!tiled) {
      todo.push_back({stage, false, {}, 0, "", stage});
      continue;
    }
    // Array indices must stay below MaxArraySize: larger tile counts are split, each chunk offset.
    std::map<std::int64_t, std::vector<std::int64_t>> by_chunk;
    for (std::int64_t t : sel)
      by_chunk[t / chunk].push_back(t);
    for (const auto& [c, tiles] : by_chunk)
      todo.push_back(
          {stage, true, tiles, c * chunk, "", by_chunk.size() > 1 ? stage + "_" + std::to_string(c) : stage});
  }
  if (todo.empty())
    return "nothing to resubmit: every unit of job " + plan.job.name + " is done (`prospector status " +
           job_path + "`)\n";

  const std::string dir = slurm_dir(plan);
  const std::string logs = dir + "/logs";
  const std::string tdir = slurm_template_dir();
  const std::string exe = self_exe();
  const std::string label = job_label(plan.job.name);
  std::map<std::string, std::string> scripts; // stage -> text
  for (auto& t : todo) {
    t.script = dir + "/" + t.stage + ".sbatch";
    if (scripts.count(t.stage)) continue;
    const std::string tpath = tdir + (t.tiled ? "/tile_stage.sbatch" : "/global_stage.sbatch");
    if (!file_exists(tpath))
      throw_runtime("Slurm batch template " + tpath +
                    " not found (reinstall prospector or set "
                    "PROSPECTOR_SLURM_TEMPLATES to its jobs/slurm folder)");
    std::string text = read_file(tpath);
    const Resources r = resources_for(plan, t.stage, t.tiled, so);
    std::string optional;
    if (!r.partition.empty()) optional += "#SBATCH --partition=" + r.partition + "\n";
    if (!r.account.empty()) optional += "#SBATCH --account=" + r.account + "\n";
    if (!r.qos.empty()) optional += "#SBATCH --qos=" + r.qos + "\n";
    if (optional.empty())
      optional = "# (no --partition, --account or --qos given: the cluster's defaults apply)\n";
    optional.pop_back();
    const std::string name = label + "-" + t.stage;
    replace_all(text, "@NAME@", name);
    replace_all(text, "@LOG@", escape_percent(logs) + "/%x-" + (t.tiled ? "%A_%a" : "%j") + ".out");
    replace_all(text, "@CHDIR@", plan.out);
    replace_all(text, "@TIME@", r.time);
    replace_all(text, "@MEM@", r.mem);
    replace_all(text, "@CPUS@", std::to_string(r.cpus));
    replace_all(text, "@OPTIONAL@", optional);
    replace_all(text, "@PROSPECTOR@", shell_quote(exe));
    replace_all(text, "@JOB@", shell_quote(plan.job.path));
    replace_all(text, "@OUT@", shell_quote(plan.out));
    replace_all(text, "@TILE_SIZE@", std::to_string(plan.tiles.tile_size));
    replace_all(text, "@STAGE@", t.stage);
    scripts[t.stage] = text;
  }

  auto array_of = [&](const Planned& t) {
    std::vector<std::int64_t> idx;
    for (std::int64_t x : t.tiles)
      idx.push_back(x - t.offset);
    return slurm_array_spec(idx, so.array_throttle);
  };
  auto sbatch_args = [&](const Planned& t, const std::vector<std::string>& after) {
    std::vector<std::string> a = {"sbatch", "--parsable"};
    if (!after.empty()) a.push_back("--dependency=afterok:" + join(after, ":"));
    // Per job, whatever the cluster's DependencyParameters: a failed dependency cancels instead of pending
    // forever.
    a.push_back("--kill-on-invalid-dep=yes");
    if (t.tiled) {
      a.push_back("--array=" + array_of(t));
      // Array index i is tile offset + i (arrays above MaxArraySize are split into offset chunks).
      a.push_back("--export=ALL,PROSPECTOR_TILE_OFFSET=" + std::to_string(t.offset));
    }
    a.push_back(t.script);
    return a;
  };

  std::ostringstream os;
  if (so.dry_run) {
    os << "# prospector submit --dry-run: nothing is written or submitted. Job " << plan.job.name << ", "
       << plan.tiles.count() << " tile(s) of " << plan.tiles.tile_size << " cells, output " << plan.out
       << "\n";
    std::set<std::string> shown;
    for (const auto& t : todo) {
      if (shown.count(t.stage)) continue;
      shown.insert(t.stage);
      os << "# ---- " << t.script << " ----\n" << scripts[t.stage];
    }
    os << "# ---- sbatch commands, in order ----\n";
    std::vector<std::string> prev;
    std::string prev_stage;
    std::vector<std::string> cur;
    for (const auto& t : todo) {
      if (t.stage != prev_stage) {
        if (!cur.empty()) prev = cur;
        cur.clear();
        prev_stage = t.stage;
      }
      std::vector<std::string> after;
      for (const auto& v : prev)
        after.push_back("$" + v);
      std::vector<std::string> a = sbatch_args(t, after);
      std::string line = t.var + "=$(";
      for (size_t i = 0; i < a.size(); ++i)
        line += (i ? " " : "") + (a[i].find('$') != std::string::npos ? a[i] : shell_quote(a[i]));
      os << line << ")\n";
      cur.push_back(t.var);
    }
    return os.str();
  }

  std::error_code ec;
  fs::create_directories(logs, ec);
  if (ec) throw_runtime("cannot create " + logs + ": " + ec.message() + " (is the output folder writable?)");
  for (const auto& [stage, text] : scripts)
    write_text_atomic(dir + "/" + stage + ".sbatch", text);
  for (const auto& [stage, text] : scripts)
    ::chmod((dir + "/" + stage + ".sbatch").c_str(), 0755);

  if (record.is_null() || !so.resubmit_failed)
    record = {{"job", plan.job.path},
              {"out", plan.out},
              {"tile_size", plan.tiles.tile_size},
              {"submissions", json::array()}};
  record["submissions"].push_back({{"time", utc_now()},
                                   {"mode", so.resubmit_failed ? "resubmit-failed" : "submit"},
                                   {"jobs", json::array()}});
  json& jobs = record["submissions"].back()["jobs"];
  std::vector<std::string> submitted, prev, cur;
  std::string prev_stage;
  os << (so.resubmit_failed ? "resubmitted" : "submitted") << " job " << plan.job.name
     << " to Slurm (record: " << record_path(plan) << ")\n";
  for (const auto& t : todo) {
    if (t.stage != prev_stage) {
      if (!cur.empty()) prev = cur;
      cur.clear();
      prev_stage = t.stage;
    }
    const auto args = sbatch_args(t, prev);
    const CmdResult r = run_cmd(args);
    std::string id = trim(r.out);
    id = id.substr(0, id.find(';'));
    if (r.rc != 0 || id.empty() || !std::all_of(id.begin(), id.end(), ::isdigit)) {
      std::string undo;
      if (!submitted.empty()) {
        std::vector<std::string> c = {"scancel"};
        c.insert(c.end(), submitted.begin(), submitted.end());
        run_cmd(c);
        undo = "; cancelled the " + std::to_string(submitted.size()) + " job(s) already submitted (" +
               join(submitted, ", ") + ")";
      }
      record["submissions"].back()["cancelled"] = true;
      write_text_atomic(record_path(plan), record.dump(1));
      throw_runtime("sbatch failed for stage " + t.stage + " (" + join(args, " ") +
                    "): " + one_line(r.err.empty() ? r.out : r.err) + undo);
    }
    jobs.push_back({{"stage", t.stage},
                    {"kind", t.tiled ? "array" : "single"},
                    {"id", id},
                    {"name", label + "-" + t.stage},
                    {"tiles", t.tiles},
                    {"offset", t.offset},
                    {"array", t.tiled ? array_of(t) : ""},
                    {"dependency", prev.empty() ? "" : "afterok:" + join(prev, ":")},
                    {"script", t.script},
                    {"log_dir", logs}});
    write_text_atomic(record_path(plan), record.dump(1));
    submitted.push_back(id);
    cur.push_back(id);
    os << "  " << t.stage << ": Slurm job " << id;
    if (t.tiled)
      os << ", array " << jobs.back()["array"].get<std::string>() << " (" << t.tiles.size() << " tile(s))";
    else
      os << " (global)";
    if (!prev.empty()) os << ", after " << join(prev, ", ");
    os << "\n";
  }
  os << "logs: " << logs << "/; follow with `prospector status " << job_path
     << "`, cancel with `prospector cancel " << job_path << "`\n";
  return os.str();
}

} // namespace prospector
