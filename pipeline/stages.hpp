#pragma once
/// \file stages.hpp
/// The pipeline stage records: ingest -> transform -> stats -> anomaly -> model -> score -> targets -> publish.
/// Execution lives in engine.hpp; this is the documented, tested list.


#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace prospector {

/// One stage record: stable dotted name, one-line description, doc, and whether it runs per tile.
struct StageInfo {
  std::string name;
  std::string description;
  std::string doc;
  bool per_tile = false;
};

/// All stages in execution order, registered explicitly in one list (stages.cpp).
const std::vector<StageInfo>& stage_registry();

/// Description of the layout of OUT/prospectivity.h5 (committed as schemas/output_layout.json).
nlohmann::json output_layout();

} // namespace prospector
