#include "pipeline/cluster/slurm_query.hpp"

#include "pipeline/base/strings.hpp"
#include "pipeline/cluster/process.hpp"

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace prospector::slurm {

using nlohmann::json;

namespace {

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

// squeue -o "%i|%T|%r" and sacct -P print one record a line; the last field keeps any further '|'.
std::vector<std::array<std::string, 3>> bar_fields(const std::string& out) {
  std::vector<std::array<std::string, 3>> rows;
  std::stringstream ss(out);
  std::string line;
  while (std::getline(ss, line)) {
    std::stringstream ls(line);
    std::array<std::string, 3> f;
    std::getline(ls, f[0], '|');
    std::getline(ls, f[1], '|');
    std::getline(ls, f[2]);
    rows.push_back(f);
  }
  return rows;
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
  for (const auto& [id, state, reason] : bar_fields(r.out))
    if (!id.empty())
      add_state(m, trim(id), {trim(state), trim(reason) == "None" ? "" : trim(reason), "", "squeue"});
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
  for (const auto& [id, state, code] : bar_fields(r.out)) {
    std::stringstream st(state);
    std::string word;
    st >> word; // "CANCELLED by 0"
    if (!id.empty()) add_state(m, trim(id), {word, "", trim(code), "sacct"});
  }
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

} // namespace

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

std::string Query::sources() const {
  std::vector<std::string> s;
  if (squeue_ok) s.push_back("squeue");
  if (sacct) s.push_back("sacct");
  if (!jobcomp.empty()) s.push_back("jobcomp " + jobcomp);
  return s.empty() ? "no Slurm commands answered" : join(s, ", ");
}

Query query_states(const std::vector<std::string>& ids, bool live_only) {
  Query q;
  q.states = squeue_states(ids, q.squeue_ok);
  if (live_only) return q;
  sacct_states(ids, q.states, q.sacct);
  jobcomp_states(std::set<std::string>(ids.begin(), ids.end()), q.states, q.jobcomp);
  return q;
}

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

} // namespace prospector::slurm
