#pragma once
/// \file job_detail.hpp
/// Internal to job.cpp: the options and checks of the geology, structures, features and categorical_raster
/// inputs, kept in vector_options.cpp, the models options, kept in model_options.cpp, and the output-path
/// checks, kept in job_paths.cpp.

#include "pipeline/job/job.hpp"

#include <functional>
#include <string>

namespace prospector::detail {

/// Declares the inputs' vector and categorical options (layer, attribute, where, contact_units,
/// max_distance, density_radius, invalid_geometries, class_file) on the input declaration.
void add_vector_options(options::Decl<InputSpec>& d);

/// The `models` section's declaration (model_options.cpp).
options::Decl<ModelOptions> models_decl();

/// Cross-field checks of models.wofe_evidence that need no layer list; `file` names the job file.
void check_model_options(const ModelOptions& m, const std::string& file,
                         const std::function<void(const std::string&)>& report);

/// Checks of the output folder against the inputs (job_paths.cpp): not a folder of survey tiles, not inside
/// another run's work folder, and no input among the files the run replaces (its deliverables, by name,
/// symlink or hard link) or rewrites (its work folder). Paths are absolute (resolved) by then.
void check_output_paths(const Job& job, const std::string& file,
                        const std::function<void(const std::string&)>& report);

/// Cross-field checks of those options for input `in`; `where` is "FILE: key 'inputs[i]" (Error(Usage)).
void check_vector_input(const InputSpec& in, const std::string& where);

} // namespace prospector::detail
