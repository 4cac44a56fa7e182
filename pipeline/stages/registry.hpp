#pragma once
/// \file registry.hpp
/// The stage registry: the one list of the pipeline's stages, in execution order
/// (ingest -> fft -> transform -> stats -> anomaly -> model -> score -> targets -> learn -> publish).
/// The executor, `status`, `validate`, `kernels` and the Slurm submitter iterate it. Adding a stage is one
/// file in this folder and one line in stage_registry().

#include "pipeline/engine/stage.hpp"

#include <nlohmann/json.hpp>

namespace prospector {

/// All stages in execution order, registered explicitly in one list (registry.cpp).
const StageList& stage_registry();

/// Description of the layout of OUT/prospectivity.nc (output.name) (committed as schemas/output_layout.json).
nlohmann::json output_layout();

} // namespace prospector
