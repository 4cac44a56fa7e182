#include "pipeline/engine.hpp"

#include "pipeline/composition.hpp"
#include "pipeline/evidence.hpp"

#include "pipeline/errors.hpp"
#include "pipeline/learn.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/sha256.hpp"
#include "pipeline/units.hpp"

#include <omp.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <filesystem>
#include <set>
#include <sstream>

namespace prospector {

using nlohmann::json;
namespace fs = std::filesystem;

std::vector<LayerDef> Plan::all_layers() const {
  std::vector<LayerDef> v = input_layers;
  v.insert(v.end(), derived_layers.begin(), derived_layers.end());
  return v;
}

std::vector<std::string> Plan::anomaly_layers() const {
  std::vector<std::string> v;
  for (const auto& l : all_layers()) {
    v.push_back("anomaly_" + l.name + "_robust_z");
    v.push_back("anomaly_" + l.name + "_local_z");
  }
  return v;
}

const std::vector<std::string>& stage_names() {
  static const std::vector<std::string> s = {"ingest", "fft", "transform", "stats", "anomaly", "model", "score",
                                             "targets", "learn", "publish"};
  return s;
}

namespace {

bool tile_stage(const std::string& s) { return s == "ingest" || s == "transform" || s == "anomaly" || s == "score"; }

std::string sanitize(std::string s) {
  for (auto& c : s) c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return s;
}

} // namespace

Plan make_plan(const std::string& job_path, const EngineOptions& opts) {
  Plan p;
  p.job = load_job(job_path);
  if (!opts.out_folder.empty()) p.job.output_folder = fs::absolute(opts.out_folder).lexically_normal().string();
  for (const auto& c : p.job.commodities) p.recipes.push_back(load_recipe(p.job, c));
  p.grid = resolve_grid(p.job);
  p.tiles = TileGrid(p.grid, opts.tile_size > 0 ? opts.tile_size : p.job.tile_size);
  p.halo = p.job.anomaly.local_radius;
  p.out = p.job.output_folder;
  p.work = p.out + "/work";

  for (size_t i = 0; i < p.job.inputs.size(); ++i) {
    const InputSpec& in = p.job.inputs[i];
    const std::string kind = (in.kind == "geochem_grid" || in.kind == "geochem_points") ? "geochem" : in.kind;
    if (in.kind == "geochem_points") {
      for (size_t k = 0; k < in.elements.size(); ++k) {
        const auto& e = in.elements[k];
        p.input_layers.push_back({in.id + "_" + sanitize(e.element),
                                  kind + " " + e.element + " (" + in.id + ")", "log10(" + e.units + ")", kind,
                                  e.element, in.id, static_cast<int>(i), static_cast<int>(k), "", "", false,
                                  "", -1, -1});
      }
    } else {
      const std::string units = kind == "geochem" ? "log10(" + (in.units.empty() ? std::string("ppm") : in.units) + ")" : in.units;
      p.input_layers.push_back(
          {in.id, in.kind + (in.element.empty() ? "" : " " + in.element) + " (" + in.id + ")", units, kind,
           in.element, in.id, static_cast<int>(i), -1, "", "", false, "", -1, -1});
    }
  }
  detail::add_composition_layers(p);
  detail::add_balance_layers(p);
  detail::bind_evidence(p);
  if (p.job.anomaly.rx) {
    for (const auto& l : p.input_layers) {
      const bool listed = p.job.anomaly.rx_layers.empty()
                              ? l.kind != "geochem"
                              : std::find(p.job.anomaly.rx_layers.begin(), p.job.anomaly.rx_layers.end(), l.source_id) !=
                                    p.job.anomaly.rx_layers.end();
      if (listed) p.rx_bands.push_back(l.name);
    }
  }
  return p;
}

namespace {

struct Unit {
  std::string stage;
  std::int64_t tile = -1; ///< -1: global unit
};

std::string unit_name(const Plan& p, const Unit& u) { return u.tile < 0 ? "all" : p.tiles.label(u.tile); }
std::string manifest_path(const Plan& p, const Unit& u) {
  return p.work + "/manifests/" + u.stage + "/" + unit_name(p, u) + ".json";
}
std::string failed_path(const Plan& p, const Unit& u) {
  return p.work + "/manifests/" + u.stage + "/" + unit_name(p, u) + ".failed";
}

std::string join_key(const std::map<std::string, std::string>& parts) {
  Hash64 h;
  for (const auto& [k, v] : parts) h.add(k).add(v);
  return h.hex();
}

// Manifest state of the units, evaluated in DAG order without executing anything.
class Evaluator {
public:
  Evaluator(const Plan& p, detail::IngestCache* cache) : p_(p), cache_(cache) {}

  struct State {
    std::string state;  ///< done, stale, missing, failed
    std::string reason;
    std::string key;
    std::map<std::string, std::string> parts;
    std::string out_hash; ///< of the recorded outputs (done only)
  };

  /// Output hash of an up-to-date unit, or "" when it is not up to date.
  std::string out_hash(const Unit& u) {
    const State& s = state(u);
    return s.state == "done" ? s.out_hash : "";
  }

  const State& state(const Unit& u) {
    const std::string id = u.stage + "/" + std::to_string(u.tile);
    auto it = cache_state_.find(id);
    if (it != cache_state_.end()) return it->second;
    State s;
    std::string waiting;
    s.parts = key_parts(u, waiting);
    const std::string mpath = manifest_path(p_, u);
    json m;
    const bool have = file_exists(mpath);
    if (have) {
      try {
        m = json::parse(read_file(mpath));
      } catch (...) {
      }
    }
    if (!waiting.empty()) {
      s.state = have ? "stale" : "missing";
      s.reason = "waiting for " + waiting;
    } else {
      s.key = join_key(s.parts);
      if (have && m.is_object() && m.value("key", "") == s.key) {
        s.state = "done";
        s.out_hash = m.value("out_hash", "");
      } else if (file_exists(failed_path(p_, u))) {
        s.state = "failed";
        try {
          s.reason = json::parse(read_file(failed_path(p_, u))).value("error", "");
        } catch (...) {
          s.reason = "failed";
        }
      } else if (have && m.is_object()) {
        s.state = "stale";
        std::string changed;
        const json old = m.value("parts", json::object());
        for (const auto& [k, v] : s.parts)
          if (old.value(k, "") != v) changed += (changed.empty() ? "" : ", ") + k;
        s.reason = "changed: " + (changed.empty() ? std::string("parameters") : changed);
      } else {
        s.state = "missing";
        s.reason = "never computed";
      }
    }
    return cache_state_[id] = s;
  }

  void forget(const Unit& u) { cache_state_.erase(u.stage + "/" + std::to_string(u.tile)); }

private:
  // Adds an upstream unit's output hash, or records that it is not up to date.
  void need(std::map<std::string, std::string>& parts, const std::string& name, const Unit& up, std::string& waiting) {
    const std::string h = out_hash(up);
    if (h.empty()) {
      if (waiting.empty()) waiting = up.stage + (up.tile < 0 ? "" : " " + p_.tiles.label(up.tile));
    }
    parts[name] = h;
  }

  std::map<std::string, std::string> key_parts(const Unit& u, std::string& waiting) {
    std::map<std::string, std::string> parts;
    parts["version"] = PROSPECTOR_VERSION;
    const std::int64_t nt = p_.tiles.count();
    auto all_of = [&](const std::string& stage) {
      Hash64 h;
      for (std::int64_t t = 0; t < nt; ++t) {
        const std::string o = out_hash({stage, t});
        if (o.empty() && waiting.empty()) waiting = stage + " " + p_.tiles.label(t);
        h.add(o);
      }
      return h.hex();
    };
    if (u.stage == "ingest") {
      if (!cache_) {
        // Status without reading inputs: report what the manifest says.
        parts["inputs"] = "unknown";
      } else {
        for (const auto& [k, v] : detail::ingest_key_parts(p_, u.tile, *cache_)) parts[k] = v;
      }
    } else if (u.stage == "fft") {
      parts["ingest"] = all_of("ingest");
      Hash64 h;
      for (const auto& d : p_.derived_layers)
        if (!d.filter.empty()) {
          h.add(d.name).add(d.num).add(d.filter).add(p_.job.fft_block);
          for (const auto& in : p_.job.inputs)
            if (in.id == d.num || d.num.rfind(in.id + "_", 0) == 0)
              h.add(in.inclination ? *in.inclination : 999.0).add(in.declination ? *in.declination : 999.0).add(in.upward_height);
        }
      parts["filters"] = h.hex();
    } else if (u.stage == "transform") {
      need(parts, "ingest", {"ingest", u.tile}, waiting);
      need(parts, "fft", {"fft", -1}, waiting);
      Hash64 h;
      for (const auto& d : p_.derived_layers) h.add(d.name).add(d.num).add(d.den).add(static_cast<std::int64_t>(d.clr_group));
      for (const auto& b : p_.balances) {
        for (const auto& n : b.numerator)
          h.add(n);
        h.add("/");
        for (const auto& n : b.denominator)
          h.add(n);
      }
      parts["derived"] = h.hex();
    } else if (u.stage == "stats") {
      parts["transform"] = all_of("transform");
    } else if (u.stage == "anomaly") {
      need(parts, "stats", {"stats", -1}, waiting);
      Hash64 h;
      for (std::int64_t t : p_.tiles.tiles_in(p_.tiles.halo_window(u.tile, p_.halo)))
        h.add(out_hash({"transform", t})).add(out_hash({"ingest", t}));
      parts["neighbourhood"] = h.hex();
      Hash64 q;
      q.add(p_.halo);
      for (const auto& b : p_.rx_bands) q.add(b);
      q.add("gi");
      for (const auto& g : p_.gi_layers) q.add(g);
      q.add(p_.job.anomaly.rx_covariance).add(p_.job.anomaly.robust_sample);
      parts["params"] = q.hex();
    } else if (u.stage == "model") {
      parts["anomaly"] = all_of("anomaly");
      parts["params"] = Hash64()
                            .add(p_.job.anomaly.rx_covariance)
                            .add(p_.job.anomaly.robust_sample)
                            .add(p_.job.anomaly.pca_components)
                            .hex();
    } else if (u.stage == "score") {
      need(parts, "model", {"model", -1}, waiting);
      need(parts, "anomaly", {"anomaly", u.tile}, waiting);
      Hash64 h;
      for (const auto& r : p_.recipes) {
        h.add(read_file(r.path)).add(r.min_weight_fraction).add(r.combination).add(r.gamma);
        for (const auto& e : r.evidence) h.add(e.id).add(e.weight).add(e.bound_layer);
      }
      parts["recipes"] = h.hex();
    } else if (u.stage == "targets") {
      parts["score"] = all_of("score");
      Hash64 h;
      h.add(p_.job.targets.top_fraction).add(p_.job.targets.min_cells).add(p_.job.targets.max_targets);
      h.add(p_.job.targets.threshold);
      for (const auto& [c, o] : p_.job.recipes) h.add(c).add(o.top_fraction ? *o.top_fraction : -1.0);
      parts["params"] = h.hex();
    } else if (u.stage == "learn") {
      parts["score"] = all_of("score");
      const TrainingSpec& t = p_.job.training;
      Hash64 h;
      h.add(t.path).add(t.layer).add(t.commodity_column).add(t.x_column).add(t.y_column).add(t.crs);
      h.add(t.where_column).add(t.where_value).add(t.test_path);
      for (const auto& f : {t.path, t.test_path})
        if (!f.empty() && file_exists(f)) h.add(read_file(f));
      const ModelOptions& m = p_.job.models;
      h.add(std::string(m.wofe ? "w" : "-") + (m.logistic ? "l" : "-")).add(m.lambda).add(static_cast<std::int64_t>(m.classes));
      h.add(static_cast<std::int64_t>(m.folds)).add(m.block_size);
      for (double a : m.capture_fractions) h.add(a);
      parts["training"] = h.hex();
    } else if (u.stage == "publish") {
      need(parts, "targets", {"targets", -1}, waiting);
      need(parts, "learn", {"learn", -1}, waiting);
      parts["anomaly"] = all_of("anomaly");
      parts["score"] = all_of("score");
      parts["job"] = Hash64().add(p_.job.text).hex();
    }
    return parts;
  }

  const Plan& p_;
  detail::IngestCache* cache_;
  std::map<std::string, State> cache_state_;
};

std::vector<Unit> units_of(const Plan& p, const std::string& stage) {
  std::vector<Unit> u;
  if (tile_stage(stage))
    for (std::int64_t t = 0; t < p.tiles.count(); ++t) u.push_back({stage, t});
  else
    u.push_back({stage, -1});
  return u;
}

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

std::vector<std::string> parse_stages(const std::vector<std::string>& list) {
  std::vector<std::string> out;
  for (const auto& item : list) {
    std::stringstream ss(item);
    std::string tok;
    while (std::getline(ss, tok, ',')) {
      if (tok.rfind("pipeline.", 0) == 0) tok = tok.substr(9);
      if (std::find(stage_names().begin(), stage_names().end(), tok) == stage_names().end())
        throw_usage("--stages: unknown stage '" + tok + "' (stages: ingest, fft, transform, stats, anomaly, model, "
                    "score, targets, learn, publish)");
      out.push_back(tok);
    }
  }
  return out;
}

// Per-unit lock so that concurrent array tasks never compute the same unit at once.
class UnitLock {
public:
  UnitLock(const std::string& path) {
    fs::create_directories(fs::path(path).parent_path());
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
    if (fd_ < 0 || ::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (fd_ >= 0) ::close(fd_);
      throw_runtime("unit " + path + " is being computed by another process");
    }
  }
  ~UnitLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

private:
  int fd_ = -1;
};

// The run-wide lock: exclusive for a full run, shared for --tiles runs (Slurm array tasks).
class RunLock {
public:
  RunLock(const std::string& dir, bool shared) {
    fs::create_directories(dir);
    const std::string path = dir + "/.lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
    if (fd_ < 0) throw_runtime("cannot create lock file " + path);
    if (::flock(fd_, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
      ::close(fd_);
      throw_runtime("another prospector run is using " + dir +
                    "; wait for it to finish or use another output folder (--out)");
    }
  }
  ~RunLock() {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

private:
  int fd_ = -1;
};

std::string run_unit(const Plan& p, const Unit& u, detail::IngestCache& cache, std::vector<std::string>& log) {
  if (u.stage == "ingest") return detail::run_ingest_tile(p, u.tile, cache);
  if (u.stage == "fft") return detail::run_fft(p, log);
  if (u.stage == "transform") return detail::run_transform_tile(p, u.tile);
  if (u.stage == "stats") return detail::run_stats(p, log);
  if (u.stage == "anomaly") return detail::run_anomaly_tile(p, u.tile);
  if (u.stage == "model") return detail::run_model(p, log);
  if (u.stage == "score") return detail::run_score_tile(p, u.tile);
  if (u.stage == "targets") return detail::run_targets(p, log);
  if (u.stage == "learn") return detail::run_learn(p, log);
  return detail::run_publish(p, log);
}

void check_output_folder(const std::string& out) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw_runtime("output folder " + out + ": cannot create it: " + ec.message() + " (choose a writable folder)");
  const std::string probe = out + "/.prospector-write-test-" + std::to_string(getpid());
  try {
    write_text_atomic(probe, "x");
  } catch (const Error&) {
    throw_runtime("output folder " + out + " is not writable (check permissions or free space, or choose another folder)");
  }
  fs::remove(probe, ec);
}

} // namespace

namespace {
volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_interrupt(int sig) { g_signal = sig; }
} // namespace

InterruptGuard::InterruptGuard() : saved_(new struct sigaction[3]) {
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, &saved_[0]);
  sigaction(SIGINT, &sa, &saved_[1]);
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGXFSZ, &ign, &saved_[2]);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGTERM, &saved_[0], nullptr);
  sigaction(SIGINT, &saved_[1], nullptr);
  sigaction(SIGXFSZ, &saved_[2], nullptr);
  delete[] saved_;
}

int InterruptGuard::received() { return g_signal; }

void execute(const Plan& p, const EngineOptions& opts) {
  const auto t0 = std::chrono::steady_clock::now();
  check_output_folder(p.out);
  const std::set<std::int64_t> only_tiles = parse_tiles(p, opts.tiles);
  std::vector<std::string> stages = parse_stages(opts.stages);
  const bool all_stages = stages.empty();
  if (all_stages) stages = stage_names();
  RunLock lock(p.work, !only_tiles.empty() || !all_stages);
  detail::remove_stale_partials(p.out);
  spdlog::info("analysis grid: {}; {} tile(s) of {} cells (halo {})", describe(p.grid), p.tiles.count(),
               p.tiles.tile_size, p.halo);
  detail::IngestCache cache(p);
  for (const auto& l : cache.log) spdlog::info("{}", l);
  cache.log.clear();
  Evaluator ev(p, &cache);
  std::int64_t recomputed = 0, skipped = 0;
  for (const auto& stage : stage_names()) {
    const bool selected = std::find(stages.begin(), stages.end(), stage) != stages.end();
    std::vector<Unit> units = units_of(p, stage);
    if (!only_tiles.empty() && tile_stage(stage))
      units.erase(std::remove_if(units.begin(), units.end(), [&](const Unit& u) { return !only_tiles.count(u.tile); }),
                  units.end());
    if (!only_tiles.empty() && !tile_stage(stage) && !all_stages && selected) {
      spdlog::warn("stage {} is global: ignored with --tiles", stage);
      continue;
    }
    if (!only_tiles.empty() && !tile_stage(stage) && all_stages) continue;
    if (!selected) continue;
    const auto s0 = std::chrono::steady_clock::now();
    Progress progress(stage, static_cast<std::int64_t>(units.size()));
    std::int64_t done = 0, stage_recomputed = 0;
    for (const auto& u : units) {
      if (const int sig = InterruptGuard::received())
        throw_runtime(std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + " before " + stage + " " +
                      unit_name(p, u) + "; completed units are kept: rerun the same command to resume");
      const auto st = ev.state(u);
      const bool run = opts.force || st.state != "done";
      if (st.reason.rfind("waiting for ", 0) == 0 && !all_stages)
        throw_usage("stage " + stage + " " + unit_name(p, u) + " needs " + st.reason.substr(12) +
                    ", which is not up to date: run that stage first");
      if (run) {
        // Recompute the key now: in a full run upstream units have just been brought up to date.
        ev.forget(u);
        const auto fresh = ev.state(u);
        if (!opts.force && fresh.state == "done") {
          ++skipped;
          progress.update(++done, unit_name(p, u));
          continue;
        }
        const std::string why = opts.force ? "forced" : fresh.state + (fresh.reason.empty() ? "" : " (" + fresh.reason + ")");
        spdlog::info("{} {}: recomputing, {}", stage, unit_name(p, u), why);
        UnitLock ulock(p.work + "/locks/" + stage + "/" + unit_name(p, u) + ".lock");
        std::vector<std::string> log;
        std::string out_hash;
        try {
          out_hash = run_unit(p, u, cache, log);
        } catch (const Error& e) {
          write_text_atomic(failed_path(p, u), json{{"key", fresh.key}, {"error", e.what()}}.dump());
          throw;
        }
        for (const auto& l : cache.log) spdlog::info("{}", l);
        cache.log.clear();
        for (const auto& l : log) spdlog::info("{}", l);
        const json m = {{"stage", stage}, {"unit", unit_name(p, u)}, {"key", fresh.key}, {"parts", fresh.parts},
                        {"out_hash", out_hash}};
        write_text_atomic(manifest_path(p, u), m.dump(1));
        std::error_code ec;
        fs::remove(failed_path(p, u), ec);
        ev.forget(u);
        ++recomputed;
        ++stage_recomputed;
      } else {
        ++skipped;
      }
      progress.update(++done, unit_name(p, u));
    }
    progress.finish();
    spdlog::info("stage {}: {} of {} unit(s) recomputed in {:.2f} s", stage, stage_recomputed, units.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count());
  }
  spdlog::info("run finished in {:.2f} s: {} unit(s) recomputed, {} up to date", 
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), recomputed, skipped);
}

std::string status_report(const Plan& p) {
  detail::IngestCache cache(p);
  Evaluator ev(p, &cache);
  std::ostringstream os;
  os << "job " << p.job.name << ": " << p.tiles.count() << " tile(s), work folder " << p.work << "\n";
  for (const auto& stage : stage_names()) {
    std::map<std::string, int> counts;
    std::vector<std::string> lines;
    for (const auto& u : units_of(p, stage)) {
      const auto& st = ev.state(u);
      counts[st.state]++;
      lines.push_back("  " + stage + " " + unit_name(p, u) + ": " + st.state + (st.reason.empty() ? "" : " (" + st.reason + ")"));
    }
    os << stage << ":";
    for (const char* k : {"done", "stale", "missing", "failed"}) os << " " << k << " " << counts[k];
    os << "\n";
    for (const auto& l : lines) os << l << "\n";
  }
  return os.str();
}

std::string describe_plan(const Plan& p) {
  std::ostringstream os;
  os << "job: " << p.job.name << " (" << p.job.path << ") is valid\n";
  os << "grid: " << describe(p.grid) << "\n";
  os << "tiles: " << p.tiles.count() << " (" << p.tiles.nty << " x " << p.tiles.ntx << ") of up to " << p.tiles.tile_size
     << " x " << p.tiles.tile_size << " cells, halo " << p.halo << " cells\n";
  os << "inputs:\n";
  for (const auto& in : p.job.inputs) os << "  " << probe_input(in, p.grid) << "\n";
  os << "layers: " << p.input_layers.size() << " ingested, " << p.derived_layers.size() << " derived";
  for (const auto& d : p.derived_layers) os << " [" << d.name << "]";
  os << "\ncommodities:\n";
  for (size_t r = 0; r < p.recipes.size(); ++r) {
    os << "  " << p.recipes[r].commodity << ": " << p.recipes[r].name << " (" << p.recipes[r].path << "):";
    for (size_t e = 0; e < p.recipes[r].evidence.size(); ++e)
      os << " " << p.recipes[r].evidence[e].id << "=" << (p.evidence[r][e].layer.empty() ? "missing" : p.evidence[r][e].layer);
    os << "\n";
  }
  os << "stages:\n";
  for (const auto& s : stage_names())
    os << "  " << s << ": " << (tile_stage(s) ? std::to_string(p.tiles.count()) + " tile unit(s)" : "1 global unit") << "\n";
  const double tile_mb = static_cast<double>(std::min(p.grid.ny, p.tiles.tile_size + 2 * p.halo)) *
                         static_cast<double>(std::min(p.grid.nx, p.tiles.tile_size + 2 * p.halo)) * 4.0 / 1048576.0;
  const double layer_mb = static_cast<double>(p.grid.size()) * 4.0 / 1048576.0;
  const size_t layers = p.all_layers().size();
  size_t evidence = 0;
  for (const auto& r : p.recipes) evidence += r.evidence.size();
  const double grids = static_cast<double>(3 * layers + 2 * p.recipes.size() + evidence + 1);
  // Whole-grid stages: FFT (input, output, padded complex plan ~ 2.25 x 2 x 4 bytes per cell) and learn
  // (a commodity's evidence memberships, classes, score and model grids).
  bool fft = false;
  for (const auto& d : p.derived_layers) fft = fft || !d.filter.empty();
  size_t max_evidence = 0;
  for (const auto& r : p.recipes) max_evidence = std::max(max_evidence, r.evidence.size());
  const double fb = 1.5 * static_cast<double>(p.job.fft_block);
  const double fft_mb = std::min(static_cast<double>(p.grid.size()), fb * fb) * 4.0 / 1048576.0;
  const double whole = std::max(fft ? fft_mb * 20.0 : 0.0,
                                p.job.training.path.empty() ? 0.0 : layer_mb * (2.0 * static_cast<double>(max_evidence) + 8.0));
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "estimate: peak memory about %.0f MiB (tile with halo %.1f MiB x ~8 buffers: layers, z-scores, "
      "memberships, + %.0f MiB per output row block; whole-grid fft/learn stages %.0f MiB); work folder "
      "about %.0f MiB; prospectivity.h5 at most %.0f MiB before compression\n",
      std::max(tile_mb * 8 + 256.0 * static_cast<double>(p.grid.nx) * 4 / 1048576.0, whole) + 64, tile_mb,
      256.0 * static_cast<double>(p.grid.nx) * 4 / 1048576.0, whole,
      layer_mb * (grids + static_cast<double>(layers)),
      layer_mb * static_cast<double>(2 * layers + p.recipes.size() + 1));
  os << buf;
  os << "output: " << p.out << "\n";
  return os.str();
}

} // namespace prospector
