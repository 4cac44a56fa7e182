#pragma once
/// \file composition.hpp
/// Internal: compositional treatment of the geochemical layers (job option geochem.composition). With
/// "clr", every geochemical layer of a composition group gets a derived layer clr_<layer> (the centred
/// log-ratio coefficient, kernel geochem.clr, natural-log units), and recipe evidence of kind geochem reads
/// it instead of the log10 concentration. Groups: the elements of each geochem_points input, and all
/// geochem_grid inputs together, restricted to geochem.parts when given; a group of a single part keeps its
/// log10 values (its centred log-ratio would be 0). Each geochem.balances entry adds the derived layer
/// balance_<name>, the isometric log-ratio balance of its two element groups (kernel geochem.ilr). Used by
/// make_plan and evidence binding; the transform stage computes the layers (stages/composition_tiles.hpp).

#include "pipeline/base/tiles.hpp"
#include "pipeline/plan/plan.hpp"

#include <functional>
#include <string>
#include <vector>

namespace prospector::detail {

/// Adds the clr_<layer> derived layers and Plan::clr_groups; throws a usage error naming the key when a
/// listed part has no layer or no group has two parts.
void add_composition_layers(Plan& p);

/// Adds a derived layer balance_<name> per geochem.balances entry, and Plan::balances; throws a usage error
/// naming the key when an element has no layer or the elements come from different groups.
void add_balance_layers(Plan& p);

/// The derived layer of the balance named `name`, or "" when the job defines none.
std::string balance_layer(const Plan& p, const std::string& name);

/// The layer geochemical evidence reads: clr_<layer> when `layer` belongs to a composition group.
std::string composition_layer(const Plan& p, const std::string& layer);

} // namespace prospector::detail
