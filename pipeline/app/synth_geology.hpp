#pragma once
/// \file synth_geology.hpp
/// The geological map and structures of `prospector synth`, drawn from its model and written as GeoPackage
/// through OGR: units (granite, ultramafic, volcanics, sediments) placed where the planted deposits' models
/// put them, faults, and intrusion centres. Used only by synth.cpp.

#include "pipeline/app/synth_model.hpp"

#include <string>

namespace prospector::synth {

/// File names, in the survey folder, of the map layers write_geology writes.
inline constexpr const char* kGeologyFile = "geology_mga50.gpkg";
inline constexpr const char* kFaultsFile = "faults_mga50.gpkg";
inline constexpr const char* kIntrusionsFile = "intrusions_mga50.gpkg";

/// Writes, in EPSG:28350, the polygon layer `units` (attribute `unit`) to `geology`: sediments everywhere,
/// the greenstone belt as volcanics, the I-type stock and a granite whose contact passes through each Sn-W
/// deposit (the cupola's margin), and an ultramafic intrusion around each Ni-Co deposit (drawn last, so it
/// lies on top); the line layer `faults` (attribute `type`: fault or dyke) to `faults`, with a fault within
/// 60 m of each porphyry Cu deposit, regional faults away from the deposits and the two dolerite dykes; and
/// the point layer `intrusions` (attribute `kind`) at the porphyry stocks and the granite stock to
/// `intrusions`. Throws Error(Runtime) naming the file when OGR cannot write it.
void write_geology(const Model& m, const std::string& geology, const std::string& faults,
                   const std::string& intrusions);

} // namespace prospector::synth
