#pragma once
/// \file registry.hpp
/// The kernel registry: one record per kernel with its stable dotted name, description, doc and parameters.

#include <string>
#include <vector>

namespace prospector::kernels {

/// One declared kernel parameter (for `prospector kernels` and the job schema).
struct KernelParam {
  std::string name;
  std::string type;  ///< "integer", "number", "string"
  std::string default_value;
  std::string help;
};

/// One kernel record.
struct KernelInfo {
  std::string name;        ///< stable dotted name, e.g. "window.local_z"
  std::string description; ///< one line
  std::string doc;         ///< a paragraph: method, nodata behaviour, complexity
  std::vector<KernelParam> params;
};

/// All kernels, registered explicitly in one list (see registry.cpp). Sorted by name.
const std::vector<KernelInfo>& kernel_registry();

/// The record of `name`, or nullptr.
const KernelInfo* find_kernel(const std::string& name);

} // namespace prospector::kernels
