#pragma once
/// \file anomaly.hpp
/// Anomaly stage: per layer robust (median/MAD) and local (moving-window) z-scores, and the RX (Mahalanobis)
/// anomaly of a layer stack. Output layers are named anomaly_<layer>_robust_z, anomaly_<layer>_local_z and
/// anomaly_rx.

#include "kernels/moving_window.hpp"
#include "pipeline/job.hpp"
#include "pipeline/layer_store.hpp"

#include <string>
#include <vector>

namespace prospector {

/// Buffers reused across layers so that no stage allocates per layer in its hot path.
struct AnomalyScratch {
  std::vector<float> values, out, sort;
  kernels::WindowScratch window;
};

/// Name of the anomaly layer of `layer` for base transform "robust_z" or "local_z".
std::string anomaly_layer_name(const std::string& layer, const std::string& base);

/// Computes `base` ("robust_z" or "local_z") of `in` into `out` using the kernels. Errors: InputData when
/// the layer has no valid cell.
void z_transform(const std::vector<float>& in, std::int64_t nx, std::int64_t ny, const std::string& base,
                 std::int64_t radius, AnomalyScratch& scratch, std::vector<float>& out, const std::string& what);

/// Computes and stores both z-scores of every listed layer, and the RX anomaly. Returns the names written.
std::vector<std::string> compute_anomalies(const std::vector<LayerMeta>& layers, const AnomalyOptions& opts,
                                           LayerStore& store, std::vector<std::string>& log);

} // namespace prospector
