#include "pipeline/engine/engine.hpp"

#include "pipeline/base/errors.hpp"
#include "pipeline/base/strings.hpp"
#include "pipeline/engine/locks.hpp"
#include "pipeline/engine/progress.hpp"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

namespace prospector {

using nlohmann::json;
namespace fs = std::filesystem;

std::string StageInfo::short_name() const {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

namespace {

std::vector<std::int64_t> units_of(const Plan& p, const Stage& s) {
  std::vector<std::int64_t> u;
  if (s.info().per_tile)
    for (std::int64_t t = 0; t < p.tiles.count(); ++t)
      u.push_back(t);
  else
    u.push_back(kGlobalUnit);
  return u;
}

// Manifest state of the units, evaluated in DAG order without executing anything.
class Evaluator {
public:
  Evaluator(const StageList& stages, StageContext& ctx) : ctx_(ctx), p_(ctx.plan) {
    for (const Stage* s : stages)
      by_name_[s->info().short_name()] = s;
  }

  struct State {
    std::string state; ///< done, stale, missing, failed
    std::string reason;
    std::string key;
    std::map<std::string, std::string> parts;
    std::string out_hash; ///< of the recorded outputs (done only)
  };

  const State& state(const Stage& s, std::int64_t u) {
    const std::string name = s.info().short_name();
    const std::string id = name + "/" + std::to_string(u);
    auto it = cache_.find(id);
    if (it != cache_.end()) return it->second;
    State st;
    std::string waiting;
    st.parts = key_parts(s, u, waiting);
    const std::string mpath = p_.work.manifest(name, u);
    json m;
    const bool have = file_exists(mpath);
    if (have) {
      try {
        m = json::parse(read_file(mpath));
      } catch (const std::exception&) {
        m = nullptr; // a corrupt manifest counts as stale
      }
    }
    if (!waiting.empty()) {
      st.state = have ? "stale" : "missing";
      st.reason = "waiting for " + waiting;
    } else {
      Hash64 h;
      for (const auto& [k, v] : st.parts)
        h.add(k).add(v);
      st.key = h.hex();
      std::string lost;
      if (have && m.is_object() && m.value("key", "") == st.key) {
        for (const auto& f : s.outputs(p_, u))
          if (lost.empty() && !file_exists(f)) lost = f;
      }
      if (have && m.is_object() && m.value("key", "") == st.key && lost.empty()) {
        st.state = "done";
        st.out_hash = m.value("out_hash", "");
      } else if (!lost.empty()) {
        st.state = "stale";
        st.reason = "output missing: " + lost;
      } else if (file_exists(p_.work.failure(name, u))) {
        st.state = "failed";
        try {
          st.reason = json::parse(read_file(p_.work.failure(name, u))).value("error", "");
        } catch (const std::exception&) {
          st.reason = "failed";
        }
      } else if (have && m.is_object()) {
        st.state = "stale";
        std::string changed;
        const json old = m.value("parts", json::object());
        for (const auto& [k, v] : st.parts)
          if (old.value(k, "") != v) changed += (changed.empty() ? "" : ", ") + k;
        st.reason = "changed: " + (changed.empty() ? std::string("parameters") : changed);
      } else {
        st.state = "missing";
        st.reason = "never computed";
      }
    }
    return cache_[id] = st;
  }

  void forget(const Stage& s, std::int64_t u) {
    cache_.erase(s.info().short_name() + "/" + std::to_string(u));
  }

private:
  // Output hash of an up-to-date upstream unit; records the first one that is not up to date.
  std::string out_hash(const Stage& s, std::int64_t u, std::string& waiting) {
    const State& st = state(s, u);
    if (st.state != "done" && waiting.empty())
      waiting = s.info().short_name() + (u < 0 ? "" : " " + p_.tiles.label(u));
    return st.state == "done" ? st.out_hash : "";
  }

  std::map<std::string, std::string> key_parts(const Stage& s, std::int64_t u, std::string& waiting) {
    std::map<std::string, std::string> parts;
    parts["build"] = build_id();
    const json params = s.params_json(ctx_, u);
    if (params.is_object()) {
      for (auto it = params.begin(); it != params.end(); ++it)
        parts[it.key()] = Hash64().add(it->dump()).hex();
    } else {
      parts["params"] = Hash64().add(params.dump()).hex();
    }
    for (const auto& up : s.upstream(p_, u)) {
      auto it = by_name_.find(up.stage);
      if (it == by_name_.end()) throw_runtime("stage " + s.info().name + " reads unknown stage " + up.stage);
      const Stage& us = *it->second;
      Hash64 h;
      std::string label = up.stage;
      if (up.unit == kEveryTile) {
        for (std::int64_t t = 0; t < p_.tiles.count(); ++t)
          h.add(out_hash(us, t, waiting));
      } else {
        h.add(out_hash(us, up.unit, waiting));
        if (up.unit >= 0) label += " " + p_.tiles.label(up.unit);
      }
      parts["upstream:" + label] = h.hex();
    }
    return parts;
  }

  StageContext& ctx_;
  const Plan& p_;
  std::map<std::string, const Stage*> by_name_;
  std::map<std::string, State> cache_;
};

std::set<std::int64_t> parse_tiles(const Plan& p, const std::vector<std::string>& list) {
  std::set<std::int64_t> out;
  for (const auto& item : list) {
    std::stringstream ss(item);
    std::string tok;
    while (std::getline(ss, tok, ',')) {
      if (tok.empty()) continue;
      bool found = false;
      for (std::int64_t t = 0; t < p.tiles.count() && !found; ++t)
        if (p.tiles.label(t) == tok) {
          out.insert(t);
          found = true;
        }
      if (!found) {
        char* end = nullptr;
        const long long v = std::strtoll(tok.c_str(), &end, 10);
        if (!end || *end != '\0' || v < 0 || v >= p.tiles.count())
          throw_usage("--tiles: '" + tok + "' is not a tile (use 0.." + std::to_string(p.tiles.count() - 1) +
                      " or a label like " + p.tiles.label(0) + ")");
        out.insert(v);
      }
    }
  }
  return out;
}

void check_output_folder(const std::string& out) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec)
    throw_runtime("output folder " + out + ": cannot create it: " + ec.message() +
                  " (choose a writable folder)");
  const std::string probe = out + "/.prospector-write-test-" + std::to_string(getpid());
  try {
    write_text_atomic(probe, "x");
  } catch (const Error&) {
    throw_runtime("output folder " + out +
                  " is not writable (check permissions or free space, or choose another folder)");
  }
  fs::remove(probe, ec);
}

// A unit's line that starts with "warning: " goes out at warning level (without the prefix).
void flush_log(std::vector<std::string>& log) {
  for (const auto& l : log)
    if (l.rfind("warning: ", 0) == 0)
      spdlog::warn("{}", l.substr(9));
    else
      spdlog::info("{}", l);
  log.clear();
}

} // namespace

std::vector<const Stage*> select_stages(const StageList& stages, const std::vector<std::string>& names) {
  std::vector<std::string> known;
  for (const Stage* s : stages)
    known.push_back(s->info().short_name());
  std::vector<const Stage*> out;
  for (const auto& item : names) {
    std::stringstream ss(item);
    std::string tok;
    while (std::getline(ss, tok, ',')) {
      if (tok.empty()) continue;
      const Stage* found = nullptr;
      for (const Stage* s : stages)
        if (s->info().name == tok || s->info().short_name() == tok) found = s;
      if (!found) throw_usage("--stages: unknown stage '" + tok + "' (stages: " + join(known, ", ") + ")");
      out.push_back(found);
    }
  }
  return out;
}

// Before the first write of a fresh run: the disk must hold what `validate` estimates (the work folder and
// the uncompressed output), so a run does not fail hours in. A rerun over an existing work folder is not
// checked: most of that space is already taken by the run itself.
void check_free_disk(const Plan& p) {
  std::error_code ec;
  if (fs::exists(p.work.root() + "/manifests", ec)) return;
  fs::path at = fs::absolute(p.out, ec);
  while (!at.empty() && !fs::exists(at, ec) && at != at.root_path())
    at = at.parent_path();
  struct statvfs v {};
  if (::statvfs(at.c_str(), &v) != 0) return;
  const double free_mib =
      static_cast<double>(v.f_bavail) * static_cast<double>(v.f_frsize) / (1024.0 * 1024.0);
  const PlanEstimate e = estimate(p);
  const double need = e.work_mib + e.output_mib;
  if (free_mib < need) {
    char b[256];
    std::snprintf(b, sizeof b,
                  "%.1f MiB free at %s, but the run needs about %.1f MiB (work folder %.1f MiB, output %.1f "
                  "MiB, as `validate` estimates)",
                  free_mib, at.c_str(), need, e.work_mib, e.output_mib);
    throw_runtime(std::string("output folder ") + p.out + ": " + b +
                  "; free space there or choose another output folder (--out)");
  }
}

void execute(const Plan& p, const StageList& stage_list, const EngineOptions& opts) {
  const auto t0 = std::chrono::steady_clock::now();
  check_free_disk(p);
  check_output_folder(p.out);
  const std::set<std::int64_t> only_tiles = parse_tiles(p, opts.tiles);
  std::vector<const Stage*> selected = select_stages(stage_list, opts.stages);
  const bool all_stages = selected.empty();
  if (all_stages) selected = stage_list;
  RunLock lock(p.work.root(), !only_tiles.empty() || !all_stages);
  remove_stale_partials(p.out);
  spdlog::info("analysis grid: {}; {} tile(s) of {} cells (halo {})", describe(p.grid), p.tiles.count(),
               p.tiles.tile_size, p.halo);
  StageContext ctx(p);
  Evaluator ev(stage_list, ctx);
  std::int64_t recomputed = 0, skipped = 0;
  for (const Stage* stage : stage_list) {
    const std::string name = stage->info().short_name();
    const bool is_selected = std::find(selected.begin(), selected.end(), stage) != selected.end();
    if (!is_selected) continue;
    const bool tiled = stage->info().per_tile;
    if (!only_tiles.empty() && !tiled) {
      if (!all_stages) spdlog::warn("stage {} is global: ignored with --tiles", name);
      continue;
    }
    std::vector<std::int64_t> units = units_of(p, *stage);
    if (!only_tiles.empty())
      units.erase(
          std::remove_if(units.begin(), units.end(), [&](std::int64_t u) { return !only_tiles.count(u); }),
          units.end());
    const auto s0 = std::chrono::steady_clock::now();
    Progress progress(name, static_cast<std::int64_t>(units.size()));
    std::int64_t done = 0, stage_recomputed = 0;
    for (const std::int64_t u : units) {
      const std::string label = p.work.unit_label(u);
      lock.check_held();
      if (const int sig = InterruptGuard::received())
        throw_runtime(std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + " before " +
                      name + " " + label + "; completed units are kept: rerun the same command to resume");
      const auto st = ev.state(*stage, u);
      flush_log(ctx.log);
      if (st.reason.rfind("waiting for ", 0) == 0 && !all_stages)
        throw_usage("stage " + name + " " + label + " needs " + st.reason.substr(12) +
                    ", which is not up to date: run that stage first");
      if (!opts.force && st.state == "done") {
        ++skipped;
        progress.update(++done, label);
        continue;
      }
      // Recompute the key now: in a full run upstream units have just been brought up to date.
      ev.forget(*stage, u);
      const auto fresh = ev.state(*stage, u);
      if (!opts.force && fresh.state == "done") {
        ++skipped;
        progress.update(++done, label);
        continue;
      }
      const std::string why =
          opts.force ? "forced" : fresh.state + (fresh.reason.empty() ? "" : " (" + fresh.reason + ")");
      spdlog::info("{} {}: recomputing, {}", name, label, why);
      UnitLock ulock(p.work.unit_lock(name, u));
      std::string out_hash;
      try {
        out_hash = stage->run(ctx, u);
      } catch (const Error& e) {
        write_text_atomic(p.work.failure(name, u), json{{"key", fresh.key}, {"error", e.what()}}.dump());
        throw;
      }
      flush_log(ctx.log);
      const json m = {{"stage", name},
                      {"unit", label},
                      {"key", fresh.key},
                      {"parts", fresh.parts},
                      {"out_hash", out_hash}};
      write_text_atomic(p.work.manifest(name, u), m.dump(1));
      std::error_code ec;
      fs::remove(p.work.failure(name, u), ec);
      ev.forget(*stage, u);
      ++recomputed;
      ++stage_recomputed;
      progress.update(++done, label);
    }
    progress.finish();
    spdlog::info("stage {}: {} of {} unit(s) recomputed in {:.2f} s", name, stage_recomputed, units.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count());
  }
  spdlog::info("run finished in {:.2f} s: {} unit(s) recomputed, {} up to date",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), recomputed,
               skipped);
}

std::vector<StageStatus> unit_status(const Plan& p, const StageList& stages) {
  StageContext ctx(p);
  Evaluator ev(stages, ctx);
  std::vector<StageStatus> out;
  for (const Stage* s : stages) {
    StageStatus ss;
    ss.stage = s;
    for (const std::int64_t u : units_of(p, *s)) {
      const auto& st = ev.state(*s, u);
      ss.units.push_back({u, p.work.unit_label(u), st.state, st.reason});
    }
    out.push_back(std::move(ss));
  }
  return out;
}

std::string status_report(const Plan& p, const std::vector<StageStatus>& status) {
  std::ostringstream os;
  os << "job " << p.job.name << ": " << p.tiles.count() << " tile(s), work folder " << p.work.root() << "\n";
  for (const auto& ss : status) {
    std::map<std::string, int> counts;
    for (const auto& u : ss.units)
      counts[u.state]++;
    const std::string name = ss.stage->info().short_name();
    os << name << ":";
    for (const char* k : {"done", "stale", "missing", "failed"})
      os << " " << k << " " << counts[k];
    os << "\n";
    for (const auto& u : ss.units)
      os << "  " << name << " " << u.label << ": " << u.state
         << (u.reason.empty() ? "" : " (" + u.reason + ")") << "\n";
  }
  return os.str();
}

void remove_stale_partials(const std::string& out) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(out, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind(kPartialPrefix, 0) != 0) continue;
    const long pid = std::atol(n.c_str() + std::string(kPartialPrefix).size());
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0) fs::remove_all(e.path(), ec);
  }
}

} // namespace prospector
