#include "pipeline/cluster/slurm.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/base/strings.hpp"
#include "pipeline/base/tiles.hpp"
#include "pipeline/engine/engine.hpp"
#include "pipeline/stages/registry.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

extern char** environ;

namespace prospector {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// ---- external commands
// ---------------------------------------------------------------------------------------

struct CmdResult {
  int rc = -1;
  std::string out, err;
};

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) dir = ".";
    const std::string p = dir + "/" + name;
    struct stat st;
    if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

// Runs argv (no shell) and captures stdout and stderr; rc 127 when it cannot be started.
CmdResult run_cmd(const std::vector<std::string>& argv) {
  CmdResult r;
  int po[2], pe[2];
  if (::pipe2(po, O_CLOEXEC) != 0) throw_runtime("cannot create a pipe to run " + argv[0]);
  if (::pipe2(pe, O_CLOEXEC) != 0) {
    ::close(po[0]);
    ::close(po[1]);
    throw_runtime("cannot create a pipe to run " + argv[0]);
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, po[1], 1);
  posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int e = posix_spawnp(&pid, argv[0].c_str(), &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(po[1]);
  ::close(pe[1]);
  if (e != 0) {
    ::close(po[0]);
    ::close(pe[0]);
    r.rc = 127;
    r.err = argv[0] + ": " + std::strerror(e);
    return r;
  }
  pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return r;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
    ++i;
  return s.substr(i);
}

std::string one_line(const std::string& s) {
  std::string t = trim(s);
  for (auto& c : t)
    if (c == '\n' || c == '\r') c = ' ';
  return t;
}

std::string shell_quote(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s)
    plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || std::strchr("/._-+=:,@%", c));
  if (plain) return s;
  std::string q = "'";
  for (char c : s)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---- manifest state, from the engine's unit status
// -----------------------------------------------------------

// Per stage: the state of each unit (tile index, or -1 for the unit of a global stage), in stage order.
struct UnitStates {
  std::vector<std::string> stages;
  std::map<std::string, bool> tiled;
  std::map<std::string, std::map<std::int64_t, std::string>> state;
};

UnitStates unit_states(const Plan& plan) {
  UnitStates u;
  for (const auto& ss : unit_status(plan, stage_registry())) {
    const std::string name = ss.stage->info().short_name();
    u.stages.push_back(name);
    u.tiled[name] = ss.stage->info().per_tile;
    for (const auto& unit : ss.units)
      u.state[name][unit.unit] = unit.state;
  }
  return u;
}

// ---- resources
// -----------------------------------------------------------------------------------------------

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

// ---- the record of submitted jobs
// ---------------------------------------------------------------------------

std::string slurm_dir(const Plan& p) { return p.work.slurm(); }
std::string record_path(const Plan& p) { return slurm_dir(p) + "/submitted.json"; }

json load_record(const Plan& p) {
  const std::string path = record_path(p);
  if (!file_exists(path)) return json();
  try {
    json r = json::parse(read_file(path));
    if (r.is_object() && r.contains("submissions") && r["submissions"].is_array()) return r;
  } catch (const json::exception&) {
  }
  throw_runtime(path +
                " is not a valid record of submitted Slurm jobs (remove it if no job of this output folder "
                "is queued)");
}

std::vector<std::string> recorded_ids(const json& record) {
  std::vector<std::string> ids;
  if (record.is_null()) return ids;
  for (const auto& s : record["submissions"])
    for (const auto& j : s["jobs"])
      ids.push_back(j["id"].get<std::string>());
  return ids;
}

std::string log_path(const json& j, std::int64_t array_index) {
  const std::string base =
      j["log_dir"].get<std::string>() + "/" + j["name"].get<std::string>() + "-" + j["id"].get<std::string>();
  return array_index < 0 ? base + ".out" : base + "_" + std::to_string(array_index) + ".out";
}

// ---- Slurm job states
// -----------------------------------------------------------------------------------------

struct TaskState {
  std::string state, reason, exit_code, source;
};

// Keys: "JOBID" for a single job, "JOBID_INDEX" for an array task.
using StateMap = std::map<std::string, TaskState>;

// Expands "5", "[0-8%2]", "3,7-9" into indices; empty when it is not an index list.
std::vector<std::int64_t> expand_indices(std::string spec) {
  std::vector<std::int64_t> out;
  if (!spec.empty() && spec.front() == '[') spec = spec.substr(1);
  if (!spec.empty() && spec.back() == ']') spec.pop_back();
  const auto pct = spec.find('%');
  if (pct != std::string::npos) spec = spec.substr(0, pct);
  std::stringstream ss(spec);
  std::string part;
  while (std::getline(ss, part, ',')) {
    const auto dash = part.find('-');
    char* e1 = nullptr;
    char* e2 = nullptr;
    const long long a = std::strtoll(part.c_str(), &e1, 10);
    long long b = a;
    if (dash != std::string::npos) b = std::strtoll(part.c_str() + dash + 1, &e2, 10);
    if (part.empty() || e1 == part.c_str() ||
        (dash == std::string::npos ? *e1 != '\0' : (e1 != part.c_str() + dash || *e2 != '\0')))
      return {};
    if (b < a || b - a > 10000000) return {};
    for (long long i = a; i <= b; ++i)
      out.push_back(i);
  }
  return out;
}

// Adds "JOBID" or "JOBID_SPEC" with state s, expanding array index lists; never overrides what is known.
void add_state(StateMap& m, const std::string& id, const TaskState& s) {
  const auto us = id.find('_');
  if (us == std::string::npos) {
    m.emplace(id, s);
    return;
  }
  const std::string job = id.substr(0, us);
  for (std::int64_t i : expand_indices(id.substr(us + 1)))
    m.emplace(job + "_" + std::to_string(i), s);
}

const std::set<std::string>& active_states() {
  static const std::set<std::string> s = {
      "PENDING",     "RUNNING",  "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED",     "REQUEUE_HOLD",
      "REQUEUE_FED", "RESIZING", "SIGNALING",   "STAGE_OUT",  "STOPPED",   "RESV_DEL_HOLD"};
  return s;
}

bool failed_state(const std::string& s) {
  return s == "FAILED" || s == "TIMEOUT" || s == "CANCELLED" || s == "OUT_OF_MEMORY" || s == "NODE_FAIL" ||
         s == "PREEMPTED" || s == "BOOT_FAIL" || s == "DEADLINE";
}

// Live states from squeue (jobs slurmctld still holds: pending, running and recently finished). ok=false when
// squeue is missing or failed for another reason than all ids being unknown.
StateMap squeue_states(const std::vector<std::string>& ids, bool& ok) {
  StateMap m;
  ok = false;
  if (ids.empty()) {
    ok = true;
    return m;
  }
  if (find_on_path("squeue").empty()) return m;
  const CmdResult r = run_cmd({"squeue", "-h", "-r", "-t", "all", "-j", join(ids, ","), "-o", "%i|%T|%r"});
  if (r.rc != 0) {
    ok = r.err.find("Invalid job id") != std::string::npos;
    return m;
  }
  ok = true;
  std::stringstream ss(r.out);
  std::string line;
  while (std::getline(ss, line)) {
    std::stringstream ls(line);
    std::string id, state, reason;
    std::getline(ls, id, '|');
    std::getline(ls, state, '|');
    std::getline(ls, reason);
    if (!id.empty())
      add_state(m, trim(id), {trim(state), trim(reason) == "None" ? "" : trim(reason), "", "squeue"});
  }
  return m;
}

// sacct needs slurmdbd; it fails with "accounting storage is disabled" without it.
void sacct_states(const std::vector<std::string>& ids, StateMap& m, bool& used) {
  used = false;
  if (ids.empty() || find_on_path("sacct").empty()) return;
  const CmdResult r =
      run_cmd({"sacct", "-n", "-P", "-X", "-j", join(ids, ","), "-o", "JobID,State,ExitCode"});
  if (r.rc != 0) return;
  used = true;
  std::stringstream ss(r.out);
  std::string line;
  while (std::getline(ss, line)) {
    std::stringstream ls(line);
    std::string id, state, code;
    std::getline(ls, id, '|');
    std::getline(ls, state, '|');
    std::getline(ls, code);
    std::stringstream st(state);
    std::string word;
    st >> word; // "CANCELLED by 0"
    if (!id.empty()) add_state(m, trim(id), {word, "", trim(code), "sacct"});
  }
}

std::map<std::string, std::string> slurm_config() {
  std::map<std::string, std::string> c;
  if (find_on_path("scontrol").empty()) return c;
  const CmdResult r = run_cmd({"scontrol", "show", "config"});
  if (r.rc != 0) return c;
  std::stringstream ss(r.out);
  std::string line;
  while (std::getline(ss, line)) {
    const auto eq = line.find(" = ");
    if (eq != std::string::npos) c[trim(line.substr(0, eq))] = trim(line.substr(eq + 3));
  }
  return c;
}

// The jobcomp/filetxt record: one line per finished job, "Key=Value" fields. Only its last 64 MiB are read.
void jobcomp_states(const std::set<std::string>& jobs, StateMap& m, std::string& used_file) {
  used_file.clear();
  const auto conf = slurm_config();
  auto type = conf.find("JobCompType");
  auto loc = conf.find("JobCompLoc");
  if (type == conf.end() || type->second != "jobcomp/filetxt" || loc == conf.end()) return;
  std::ifstream in(loc->second, std::ios::binary);
  if (!in) return;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff window = 64ll << 20;
  in.seekg(size > window ? size - window : 0);
  if (size > window) {
    std::string partial;
    std::getline(in, partial);
  }
  used_file = loc->second;
  StateMap found; // the last record of a job wins
  std::string line;
  while (std::getline(in, line)) {
    std::map<std::string, std::string> f;
    std::stringstream ls(line);
    std::string kv;
    while (ls >> kv) {
      const auto eq = kv.find('=');
      if (eq != std::string::npos) f[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    const std::string job = f.count("ArrayJobId") ? f["ArrayJobId"] : f["JobId"];
    if (!jobs.count(job)) continue;
    const TaskState s{f["JobState"], "", f["ExitCode"], "jobcomp"};
    if (f.count("ArrayJobId") && f.count("ArrayTaskId")) {
      for (std::int64_t i : expand_indices(f["ArrayTaskId"]))
        found[job + "_" + std::to_string(i)] = s;
    } else {
      found[job] = s;
    }
  }
  for (const auto& [k, v] : found)
    m.emplace(k, v);
}

struct Query {
  StateMap states;
  bool squeue_ok = false, sacct = false;
  std::string jobcomp;
  std::string sources() const {
    std::vector<std::string> s;
    if (squeue_ok) s.push_back("squeue");
    if (sacct) s.push_back("sacct");
    if (!jobcomp.empty()) s.push_back("jobcomp " + jobcomp);
    return s.empty() ? "no Slurm commands answered" : join(s, ", ");
  }
};

Query query_states(const std::vector<std::string>& ids, bool live_only) {
  Query q;
  q.states = squeue_states(ids, q.squeue_ok);
  if (live_only) return q;
  sacct_states(ids, q.states, q.sacct);
  jobcomp_states(std::set<std::string>(ids.begin(), ids.end()), q.states, q.jobcomp);
  return q;
}

// State of one recorded job (index -1) or array task.
const TaskState* lookup(const Query& q, const std::string& id, std::int64_t index) {
  auto it = q.states.find(index < 0 ? id : id + "_" + std::to_string(index));
  // An array cancelled before any task started has one record without task ids (jobcomp): it covers every
  // task.
  if (it == q.states.end() && index >= 0) it = q.states.find(id);
  return it == q.states.end() ? nullptr : &it->second;
}

std::vector<std::string> active_ids(const json& record, const Query& q) {
  std::vector<std::string> out;
  for (const auto& s : record["submissions"])
    for (const auto& j : s["jobs"]) {
      const std::string id = j["id"];
      bool active = false;
      if (j["kind"] == "array") {
        for (const auto& t : j["tiles"]) {
          const TaskState* st = lookup(q, id, t.get<std::int64_t>() - j["offset"].get<std::int64_t>());
          active = active || (st && active_states().count(st->state));
        }
      } else {
        const TaskState* st = lookup(q, id, -1);
        active = st && active_states().count(st->state);
      }
      if (active) out.push_back(id);
    }
  return out;
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
