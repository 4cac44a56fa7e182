#pragma once
/// \file composition_tiles.hpp
/// Internal to the transform stage: the centred log-ratio and balance layers of one tile (the layers
/// themselves are declared at plan time, plan/composition.hpp).

#include "pipeline/plan/plan.hpp"

#include <functional>
#include <string>
#include <vector>

namespace prospector::stages {

/// Transform stage: the CLR layers of every group and the balance layers for tile t; put(name, tile) writes
/// one.
void compute_composition_tile(const Plan& p, std::int64_t t,
                              const std::function<void(const std::string&, const std::vector<float>&)>& put);

} // namespace prospector::stages
