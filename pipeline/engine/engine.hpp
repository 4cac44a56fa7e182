#pragma once
/// \file engine.hpp
/// The executor of a stage list: per-unit manifests with content keys, staleness ("recompute only what
/// changed"), status, and crash-safe execution. A unit is up to date when its manifest holds its current key
/// and every output it declares exists. Manifests are written after the outputs, both atomically.

#include "pipeline/engine/stage.hpp"
#include "pipeline/plan/plan.hpp"

#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

namespace prospector {

/// Options of `run` and `status` besides the job overrides (which make_plan applies).
struct EngineOptions {
  int threads = 0;
  std::vector<JobOverride> overrides; ///< from --out, --tile-size and --set
  std::vector<std::string> stages;    ///< only these stages (names or short names); empty = all
  std::vector<std::string> tiles;     ///< only these tiles (index or r<y>_c<x>); empty = all
  bool force = false;
};

/// The state of one unit.
struct UnitStatus {
  std::int64_t unit = kGlobalUnit; ///< tile index or kGlobalUnit
  std::string label;               ///< "all" or the tile label
  std::string state;               ///< done, stale, missing or failed
  std::string reason;
};

/// The states of a stage's units.
struct StageStatus {
  const Stage* stage = nullptr;
  std::vector<UnitStatus> units;
};

/// States of every unit of every stage, evaluated from the manifests without computing anything.
std::vector<StageStatus> unit_status(const Plan& plan, const StageList& stages);

/// unit_status() as text: a line per stage with its counts, then a line per unit.
std::string status_report(const Plan& plan, const std::vector<StageStatus>& status);

/// Resolves --stages names ("ingest" or "pipeline.ingest", comma separated) against `stages`; Error(Usage)
/// naming the unknown one and listing the stages.
std::vector<const Stage*> select_stages(const StageList& stages, const std::vector<std::string>& names);

/// While alive, SIGTERM and SIGINT only set a flag that execute() checks between units, so the unit being
/// computed finishes and its manifest is written before the run stops (exit code 4, "interrupted"); publish,
/// the one long unit, also checks it between grids and stops without publishing anything; a second
/// signal ends the process at once with exit code 4 and the resume hint. SIGXFSZ is ignored so that
/// exceeding a file-size limit is a write error with a clear message, not a kill. Restores the previous
/// handlers on destruction.
class InterruptGuard {
public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  /// The signal received (0 when none).
  static int received();

private:
  struct sigaction* saved_;
};

/// Runs the stale units of the selected stages and tiles of `stages`. Throws prospector::Error.
void execute(const Plan& plan, const StageList& stages, const EngineOptions& opts);

/// Removes the staging folders of publishes killed with SIGKILL (those whose process is gone) from `out`.
/// Every run calls it at its start, whether or not it publishes: a killed publish whose unit an earlier run
/// had already completed with the same inputs is not rerun, and its temporary file would otherwise stay.
void remove_stale_partials(const std::string& out);

/// Name prefix of the staging folder a publish writes its deliverables into (followed by its process id)
/// before renaming them into the output folder.
inline constexpr const char* kPartialPrefix = ".prospectivity.partial-";

} // namespace prospector
