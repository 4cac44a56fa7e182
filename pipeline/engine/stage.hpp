#pragma once
/// \file stage.hpp
/// The Stage interface. A stage is one class (in pipeline/stages/) holding its info record, the typed
/// parameters of a unit and the computation of a unit. The executor, `status`, `validate` and the Slurm
/// submitter only know this interface and the registry's list; they never name a stage.
///
/// A unit is a stage on one tile, or the single unit of a global stage. Its key is the hash of the build
/// identity, of its parameters (everything the unit reads besides upstream outputs, as the params struct's
/// JSON) and of the output hashes of the upstream units it reads. What a stage reads is what it hashes:
/// compute() receives the params struct that params() built.

#include "pipeline/engine/build_id.hpp"
#include "pipeline/plan/plan.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

/// Defines `to_json` for a params struct from its member list, so the key of a unit is its params.
#define PROSPECTOR_PARAMS_JSON(Type, ...)                                                                    \
  inline void to_json(nlohmann::json& nlohmann_json_j, const Type& nlohmann_json_t) {                        \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_TO, __VA_ARGS__))                                 \
  }

namespace nlohmann {
/// Optional params members: null when absent.
template <class T> struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& o) {
    if (o)
      j = *o;
    else
      j = nullptr;
  }
  static void from_json(const json& j, std::optional<T>& o) {
    if (j.is_null())
      o.reset();
    else
      o = j.get<T>();
  }
};
} // namespace nlohmann

namespace prospector {

/// The stable record of a stage.
struct StageInfo {
  std::string name;        ///< stable dotted name, e.g. "pipeline.ingest"
  std::string description; ///< one line
  std::string doc;         ///< what it computes and how
  bool per_tile = false;   ///< one unit per tile (else one global unit)
  /// The name after "pipeline.": used on the command line, in manifests and in Slurm job names.
  std::string short_name() const;
};

/// The unit index of a global stage.
inline constexpr std::int64_t kGlobalUnit = -1;
/// In an Upstream: every tile of a per-tile stage.
inline constexpr std::int64_t kEveryTile = -2;

/// An upstream unit whose output a unit reads: a stage's short name and a tile, kGlobalUnit or kEveryTile.
struct Upstream {
  std::string stage;
  std::int64_t unit = kGlobalUnit;
};

/// What a unit may use besides its params: the plan, a log, and state shared by the units of one run
/// (opened datasets, prepared point sets). Not thread-safe: units run one at a time in a process.
class StageContext {
public:
  explicit StageContext(const Plan& plan) : plan(plan) {}
  StageContext(const StageContext&) = delete;
  StageContext& operator=(const StageContext&) = delete;

  const Plan& plan;
  /// Lines for the run log; the executor writes them after each unit (a line starting "warning: " at
  /// warning level).
  std::vector<std::string> log;

  /// The run-wide state named `key`, made by `make` on first use.
  template <class T> T& state(const std::string& key, const std::function<std::unique_ptr<T>()>& make) {
    auto it = state_.find(key);
    if (it == state_.end())
      it = state_.emplace(key, std::shared_ptr<void>(make().release(), deleter<T>)).first;
    return *static_cast<T*>(it->second.get());
  }

private:
  template <class T> static void deleter(void* p) { delete static_cast<T*>(p); }
  std::map<std::string, std::shared_ptr<void>> state_;
};

/// One pipeline stage.
class Stage {
public:
  virtual ~Stage() = default;
  /// Its record.
  virtual const StageInfo& info() const = 0;
  /// The upstream units that `unit` reads.
  virtual std::vector<Upstream> upstream(const Plan& plan, std::int64_t unit) const = 0;
  /// The unit's params as JSON; each top-level key is a part of the unit key (named in "changed: ..."
  /// reasons; upstream parts are named "upstream:<stage>").
  virtual nlohmann::json params_json(StageContext& ctx, std::int64_t unit) const = 0;
  /// Computes the unit, writing its outputs atomically; returns the content hash of what it wrote.
  virtual std::string run(StageContext& ctx, std::int64_t unit) const = 0;
  /// Files the unit writes; a unit whose manifest matches but one of these is missing is stale.
  virtual std::vector<std::string> outputs(const Plan& plan, std::int64_t unit) const {
    (void)plan;
    (void)unit;
    return {};
  }
};

/// A stage whose unit parameters are the typed struct Params (with a to_json, see PROSPECTOR_PARAMS_JSON).
template <class Params> class StageWith : public Stage {
public:
  nlohmann::json params_json(StageContext& ctx, std::int64_t unit) const final { return params(ctx, unit); }
  std::string run(StageContext& ctx, std::int64_t unit) const final {
    return compute(ctx, unit, params(ctx, unit));
  }

protected:
  /// Everything `unit` reads besides upstream outputs.
  virtual Params params(StageContext& ctx, std::int64_t unit) const = 0;
  /// Computes `unit` from `params` and the upstream outputs.
  virtual std::string compute(StageContext& ctx, std::int64_t unit, const Params& params) const = 0;
};

/// The stages of a pipeline in execution order (see stage_registry()).
using StageList = std::vector<const Stage*>;

} // namespace prospector
