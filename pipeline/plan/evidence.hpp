#pragma once
/// \file evidence.hpp
/// Internal: binding of the recipes' evidence to the job's layers (make_plan, engine.cpp). Each evidence
/// reads an input layer (by kind and element, or a job override's layer id), a balance layer, a
/// potential-field transform of a layer (a derived layer of the fft stage), the centred log-ratio of a
/// geochemical layer (geochem.composition = clr) or a ratio of two layers (a derived layer of the transform
/// stage).

#include "pipeline/plan/plan.hpp"

namespace prospector::detail {

/// Fills Plan::evidence (one binding per recipe evidence, in recipe order), the derived filter and ratio
/// layers the evidence needs, and Plan::gi_layers. Throws a usage error naming the key for a bad override,
/// and an input error when a recipe's present evidence weighs less than its min_weight_fraction.
void bind_evidence(Plan& p);

} // namespace prospector::detail
