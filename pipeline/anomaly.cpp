#include "pipeline/anomaly.hpp"

#include "kernels/mahalanobis.hpp"
#include "kernels/robust_stats.hpp"
#include "pipeline/errors.hpp"
#include "pipeline/progress.hpp"

#include <cmath>
#include <cstdio>

namespace prospector {

std::string anomaly_layer_name(const std::string& layer, const std::string& base) {
  return "anomaly_" + layer + "_" + base;
}

void z_transform(const std::vector<float>& in, std::int64_t nx, std::int64_t ny, const std::string& base,
                 std::int64_t radius, AnomalyScratch& scratch, std::vector<float>& out, const std::string& what) {
  out.resize(in.size());
  kernels::ConstGridView view{in.data(), nx, ny};
  kernels::GridView ov{out.data(), nx, ny};
  kernels::Status st;
  if (base == "robust_z") {
    kernels::RobustLocation loc;
    st = kernels::robust_location(view, scratch.sort, loc);
    if (st.ok) st = kernels::robust_z(view, loc, {}, ov);
  } else {
    kernels::LocalZParams p;
    p.radius = radius;
    kernels::WindowOutputs wo;
    wo.z = out.data();
    st = kernels::moving_window_stats(view, p, scratch.window, wo);
  }
  if (!st.ok) throw_input(what + ": " + base + " failed: " + st.message);
}

std::vector<std::string> compute_anomalies(const std::vector<LayerMeta>& layers, const AnomalyOptions& opts,
                                           LayerStore& store, std::vector<std::string>& log) {
  std::vector<std::string> written;
  AnomalyScratch s;
  const GridSpec& g = store.grid();
  Progress progress("anomaly", static_cast<std::int64_t>(layers.size()) + (opts.rx ? 1 : 0));
  std::int64_t done = 0;
  for (const auto& m : layers) {
    store.get(m.name, s.values);
    for (const char* base : {"robust_z", "local_z"}) {
      z_transform(s.values, g.nx, g.ny, base, opts.local_radius, s, s.out, "layer " + m.name);
      LayerMeta a{anomaly_layer_name(m.name, base),
                  std::string(base == std::string("robust_z") ? "robust z-score (median/MAD) of "
                                                              : "local z-score (moving window) of ") +
                      m.long_name,
                  "1", "anomaly", m.element, m.source_id};
      store.put(a, s.out);
      written.push_back(a.name);
    }
    progress.update(++done, m.name);
  }
  if (opts.rx) {
    std::vector<std::string> names;
    if (!opts.rx_layers.empty()) {
      for (const auto& id : opts.rx_layers)
        for (const auto& m : layers)
          if (m.source_id == id) names.push_back(m.name);
    } else {
      for (const auto& m : layers)
        if (m.kind != "geochem") names.push_back(m.name);
    }
    if (names.size() >= 2) {
      // Standardised (robust z) bands keep the covariance well conditioned across units.
      std::vector<std::vector<float>> bands(names.size());
      std::vector<kernels::ConstGridView> views;
      for (size_t i = 0; i < names.size(); ++i) {
        store.get(anomaly_layer_name(names[i], "robust_z"), bands[i]);
        views.push_back({bands[i].data(), g.nx, g.ny});
      }
      kernels::BandStatistics stats;
      kernels::Status st = kernels::band_statistics(views.data(), static_cast<std::int64_t>(views.size()), {}, stats);
      if (!st.ok) {
        log.push_back("anomaly_rx skipped: " + st.message);
      } else {
        s.out.assign(static_cast<size_t>(g.size()), NAN);
        kernels::mahalanobis_apply(views.data(), static_cast<std::int64_t>(views.size()), stats,
                                   {s.out.data(), g.nx, g.ny});
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        LayerMeta a{"anomaly_rx", "RX anomaly: squared Mahalanobis distance over " + list, "1", "anomaly", "", ""};
        store.put(a, s.out);
        written.push_back(a.name);
        log.push_back("anomaly_rx over " + list + " (" + std::to_string(stats.count) + " cells with all bands)");
      }
    } else {
      log.push_back("anomaly_rx skipped: fewer than two geophysical layers");
    }
    progress.update(++done, "rx");
  }
  progress.finish();
  return written;
}

} // namespace prospector
