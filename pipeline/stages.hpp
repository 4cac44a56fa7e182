#pragma once
/// \file stages.hpp
/// The pipeline stages and their registry: ingest -> anomaly -> score -> targets -> publish.

#include "pipeline/h5_writer.hpp"
#include "pipeline/job.hpp"
#include "pipeline/layer_store.hpp"
#include "pipeline/recipe.hpp"
#include "pipeline/scoring.hpp"
#include "pipeline/targets.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace prospector {

/// State shared by the stages of one run.
struct RunContext {
  Job job;
  GridSpec grid;
  std::unique_ptr<LayerStore> store;
  std::vector<Recipe> recipes;             ///< one per job commodity, loaded and validated before any I/O
  std::vector<LayerMeta> input_layers;     ///< ingest output
  std::vector<std::string> anomaly_layers; ///< anomaly output
  std::vector<ScoreResult> scores;         ///< score output, per commodity
  std::vector<CommodityTargets> targets;   ///< targets output, per commodity
  std::vector<InputRecord> input_records;  ///< provenance
};

/// One stage record: stable dotted name, one-line description, doc, and its function.
struct StageInfo {
  std::string name;
  std::string description;
  std::string doc;
  std::function<void(RunContext&)> run;
};

/// All stages in execution order, registered explicitly in one list (stages.cpp).
const std::vector<StageInfo>& stage_registry();

/// Description of the layout of OUT/prospectivity.h5 (committed as schemas/output_layout.json).
nlohmann::json output_layout();

} // namespace prospector
