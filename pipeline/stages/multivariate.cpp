#include "pipeline/stages/multivariate.hpp"

#include "kernels/anomaly/mcd.hpp"
#include "kernels/anomaly/pca.hpp"
#include "kernels/anomaly/rx.hpp"
#include "pipeline/base/errors.hpp"
#include "pipeline/stages/tile_store.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace prospector::detail {

using nlohmann::json;

namespace {

std::string list_bands(const Plan& p) {
  std::string list;
  for (const auto& b : p.rx_bands)
    list += (list.empty() ? "" : ", ") + b;
  return list;
}

std::int64_t sample_stride(const Plan& p) {
  return std::max<std::int64_t>(1, p.grid.nx * p.grid.ny /
                                       std::max<std::int64_t>(1, p.job.anomaly.robust_sample));
}

// Classical mean and covariance from the merged moments, inverse with a ridge of 1e-9 of the mean variance.
bool classical_statistics(std::int64_t n, const std::vector<double>& sum, const std::vector<double>& cross,
                          kernels::BandStatistics& bs) {
  const auto k = static_cast<Eigen::Index>(sum.size());
  Eigen::MatrixXd cov(k, k);
  std::vector<double> mean(sum.size());
  for (Eigen::Index a = 0; a < k; ++a)
    mean[a] = sum[a] / static_cast<double>(n);
  for (Eigen::Index a = 0; a < k; ++a)
    for (Eigen::Index b = 0; b < k; ++b)
      cov(a, b) =
          (cross[a * k + b] - static_cast<double>(n) * mean[a] * mean[b]) / static_cast<double>(n - 1);
  Eigen::MatrixXd reg = cov;
  reg.diagonal().array() += 1e-9 * cov.diagonal().mean();
  Eigen::LLT<Eigen::MatrixXd> llt(reg);
  if (llt.info() != Eigen::Success) return false;
  const Eigen::MatrixXd inv = llt.solve(Eigen::MatrixXd::Identity(k, k));
  bs.bands = k;
  bs.count = n;
  bs.mean = mean;
  bs.cov.assign(static_cast<size_t>(k * k), 0.0);
  bs.inv_cov.assign(static_cast<size_t>(k * k), 0.0);
  for (Eigen::Index a = 0; a < k; ++a)
    for (Eigen::Index b = 0; b < k; ++b) {
      bs.cov[static_cast<size_t>(a * k + b)] = cov(a, b);
      bs.inv_cov[static_cast<size_t>(a * k + b)] = inv(a, b);
    }
  return true;
}

kernels::BandStatistics statistics_from_json(const json& rx) {
  kernels::BandStatistics bs;
  bs.mean = rx["mean"].get<std::vector<double>>();
  bs.bands = static_cast<std::int64_t>(bs.mean.size());
  bs.count = rx["count"];
  bs.cov = rx["cov"].get<std::vector<double>>();
  bs.inv_cov = rx["inv_cov"].get<std::vector<double>>();
  return bs;
}

} // namespace

json rx_tile_partial(const Plan& p, std::int64_t t, const std::vector<std::vector<float>>& bands) {
  const size_t k = bands.size();
  const Window w = p.tiles.window(t);
  const bool mcd = p.job.anomaly.rx_covariance == "mcd";
  const std::int64_t stride = sample_stride(p);
  std::vector<double> sum(k, 0.0), cross(k * k, 0.0);
  std::vector<std::int64_t> index;
  std::vector<float> sample;
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < w.size(); ++i) {
    bool ok = true;
    for (size_t b = 0; b < k && ok; ++b)
      ok = !std::isnan(bands[b][static_cast<size_t>(i)]);
    if (!ok) continue;
    ++count;
    for (size_t a = 0; a < k; ++a) {
      const double va = bands[a][static_cast<size_t>(i)];
      sum[a] += va;
      for (size_t b = 0; b < k; ++b)
        cross[a * k + b] += va * bands[b][static_cast<size_t>(i)];
    }
    const std::int64_t g = (w.row0 + i / w.cols) * p.grid.nx + (w.col0 + i % w.cols);
    if (mcd && g % stride == 0) {
      index.push_back(g);
      for (size_t b = 0; b < k; ++b)
        sample.push_back(bands[b][static_cast<size_t>(i)]);
    }
  }
  json j = {{"count", count}, {"sum", sum}, {"cross", cross}};
  if (mcd) {
    j["sample_index"] = index;
    j["sample"] = sample;
  }
  return j;
}

json fit_multivariate(const Plan& p, const std::function<json(std::int64_t)>& partial,
                      std::vector<std::string>& log) {
  json model = json::object();
  model["pca"] = {{"enabled", false}};
  const size_t k = p.rx_bands.size();
  if (k < 2) {
    model["rx"] = {{"enabled", false}, {"reason", "fewer than two geophysical layers"}};
    if (p.job.anomaly.pca_components > 0)
      log.push_back("anomaly_pc skipped: fewer than two layers in the RX stack");
    return model;
  }
  std::int64_t n = 0;
  std::vector<double> sum(k, 0.0), cross(k * k, 0.0);
  std::vector<std::pair<std::int64_t, std::vector<float>>> samples;
  const bool mcd = p.job.anomaly.rx_covariance == "mcd";
  for (std::int64_t t = 0; t < p.tiles.count(); ++t) {
    const json part = partial(t);
    n += part["count"].get<std::int64_t>();
    for (size_t a = 0; a < k; ++a)
      sum[a] += part["sum"][a].get<double>();
    for (size_t a = 0; a < k * k; ++a)
      cross[a] += part["cross"][a].get<double>();
    if (!mcd) continue;
    const auto idx = part["sample_index"].get<std::vector<std::int64_t>>();
    const auto val = part["sample"].get<std::vector<float>>();
    for (size_t s = 0; s < idx.size(); ++s)
      samples.push_back({idx[s], std::vector<float>(val.begin() + static_cast<std::ptrdiff_t>(s * k),
                                                    val.begin() + static_cast<std::ptrdiff_t>((s + 1) * k))});
  }
  if (n <= static_cast<std::int64_t>(k)) {
    model["rx"] = {{"enabled", false}, {"reason", "fewer cells with all bands valid than bands + 1"}};
    log.push_back("anomaly_rx skipped: too few cells where all bands are valid");
    return model;
  }
  kernels::BandStatistics bs;
  json extra = json::object();
  if (!mcd) {
    if (!classical_statistics(n, sum, cross, bs)) {
      model["rx"] = {{"enabled", false}, {"reason", "singular covariance"}};
      log.push_back("anomaly_rx skipped: singular covariance of the bands");
      return model;
    }
    log.push_back("anomaly_rx over " + list_bands(p) + " (" + std::to_string(n) +
                  " cells with all bands, classical covariance)");
  } else {
    // Grid order, whatever order the tiles came in: the MCD's deterministic search depends on the order.
    std::sort(samples.begin(), samples.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    const auto m = static_cast<std::int64_t>(samples.size());
    std::vector<std::vector<float>> cols(k, std::vector<float>(static_cast<size_t>(m)));
    for (std::int64_t s = 0; s < m; ++s)
      for (size_t b = 0; b < k; ++b)
        cols[b][static_cast<size_t>(s)] = samples[static_cast<size_t>(s)].second[b];
    std::vector<kernels::ConstGridView> views;
    for (const auto& c : cols)
      views.push_back({c.data(), m, 1});
    kernels::McdParams mp;
    kernels::McdScratch scratch;
    kernels::McdInfo info;
    const kernels::Status st =
        kernels::mcd_statistics(views.data(), static_cast<std::int64_t>(k), mp, scratch, bs, info);
    if (!st.ok) {
      model["rx"] = {{"enabled", false}, {"reason", "MCD estimate failed: " + st.message}};
      log.push_back("anomaly_rx skipped: the MCD estimate failed on " + std::to_string(m) +
                    " sample cells: " + st.message + " (set anomaly.rx_covariance to classical)");
      return model;
    }
    extra = {
        {"sample_cells", m}, {"sample_stride", sample_stride(p)}, {"inliers", info.inliers}, {"h", info.h}};
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  " (MCD on %lld sample cells, every %lld-th; %lld inliers after reweighting)",
                  static_cast<long long>(m), static_cast<long long>(sample_stride(p)),
                  static_cast<long long>(info.inliers));
    log.push_back("anomaly_rx over " + list_bands(p) + buf);
    bs.count = n; // the cells the RX grid covers; the estimate's own count is in "sample_cells"
  }
  model["rx"] = {{"enabled", true},      {"bands", p.rx_bands},
                 {"count", n},           {"covariance", mcd ? "mcd" : "classical"},
                 {"mean", bs.mean},      {"cov", bs.cov},
                 {"inv_cov", bs.inv_cov}};
  for (auto it = extra.begin(); it != extra.end(); ++it)
    model["rx"][it.key()] = it.value();

  const std::int64_t want = p.job.anomaly.pca_components;
  if (want > 0) {
    kernels::PcaParams pp;
    pp.matrix = kernels::PcaMatrix::Correlation;
    pp.components = std::min<std::int64_t>(want, static_cast<std::int64_t>(k));
    kernels::PcaModel pm;
    const kernels::Status st = kernels::pca_fit_statistics(bs, pp, pm);
    if (!st.ok) {
      log.push_back("anomaly_pc skipped: " + st.message);
    } else {
      model["pca"] = {
          {"enabled", true},           {"components", pp.components}, {"bands", p.rx_bands},
          {"mean", pm.mean},           {"scale", pm.scale},           {"eigenvalues", pm.eigenvalues},
          {"explained", pm.explained}, {"vectors", pm.vectors},       {"count", pm.count}};
      std::string ex;
      for (std::int64_t c = 0; c < pp.components; ++c) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%spc%lld %.1f%%", c ? ", " : "", static_cast<long long>(c + 1),
                      100.0 * pm.explained[static_cast<size_t>(c)]);
        ex += buf;
      }
      if (want > pp.components)
        log.push_back("anomaly.pca_components " + std::to_string(want) + " > " + std::to_string(k) +
                      " bands: " + std::to_string(k) + " components");
      log.push_back("anomaly_pc over " + list_bands(p) + " (correlation matrix, " +
                    (mcd ? std::string("MCD") : std::string("classical")) + " estimate): " + ex);
    }
  }
  return model;
}

void apply_multivariate(const Plan& p, const json& model, std::int64_t t,
                        const std::function<void(const std::string&, const std::vector<float>&)>& put) {
  const bool rx = model["rx"]["enabled"].get<bool>();
  const bool pca = model.contains("pca") && model["pca"]["enabled"].get<bool>();
  if (!rx && !pca) return;
  const Window w = p.tiles.window(t);
  const size_t k = p.rx_bands.size();
  // One buffer, band b starting b * 320 bytes further along modulo 4 KiB: bands in separate page-aligned
  // allocations start at equal addresses modulo 4 KiB, and the apply loop, which reads them side by side,
  // then keeps evicting its own lines from the same first-level cache sets (about 1.4x slower with 8 bands).
  const auto cells = static_cast<size_t>(w.size());
  const size_t stride = (cells + 1023) / 1024 * 1024 + 80;
  std::vector<float> band_buffer(k * stride);
  std::vector<kernels::ConstGridView> views;
  for (size_t b = 0; b < k; ++b) {
    float* dst = band_buffer.data() + b * stride;
    read_tile_block(p.work.layer_tile("anomaly_" + p.rx_bands[b] + "_robust_z", t), w.cols, 0, w.rows, 0,
                    w.cols, dst, w.cols);
    views.push_back({dst, w.cols, w.rows});
  }
  if (rx) {
    const kernels::BandStatistics bs = statistics_from_json(model["rx"]);
    std::vector<float> out(static_cast<size_t>(w.size()));
    const kernels::Status st = kernels::mahalanobis_apply(views.data(), static_cast<std::int64_t>(k), bs,
                                                          {out.data(), w.cols, w.rows});
    if (!st.ok) throw_runtime("score tile " + p.tiles.label(t) + ": anomaly_rx: " + st.message);
    put("anomaly_rx", out);
  }
  if (pca) {
    const json& j = model["pca"];
    kernels::PcaModel pm;
    pm.bands = static_cast<std::int64_t>(k);
    pm.count = j["count"];
    pm.mean = j["mean"].get<std::vector<double>>();
    pm.scale = j["scale"].get<std::vector<double>>();
    pm.eigenvalues = j["eigenvalues"].get<std::vector<double>>();
    pm.explained = j["explained"].get<std::vector<double>>();
    pm.vectors = j["vectors"].get<std::vector<double>>();
    const std::int64_t m = j["components"];
    std::vector<std::vector<float>> scores(static_cast<size_t>(m),
                                           std::vector<float>(static_cast<size_t>(w.size())));
    std::vector<kernels::GridView> outs;
    for (auto& s : scores)
      outs.push_back({s.data(), w.cols, w.rows});
    const kernels::Status st =
        kernels::pca_scores(views.data(), static_cast<std::int64_t>(k), pm, outs.data(), m);
    if (!st.ok) throw_runtime("score tile " + p.tiles.label(t) + ": anomaly_pc: " + st.message);
    for (std::int64_t c = 0; c < m; ++c)
      put("anomaly_pc" + std::to_string(c + 1), scores[static_cast<size_t>(c)]);
  }
}

void multivariate_grids(const Plan& p, const json& model,
                        std::vector<std::pair<std::string, std::string>>& grids) {
  const std::string est =
      model["rx"].value("covariance", std::string("classical")) == "mcd" ? "robust (FAST-MCD)" : "classical";
  if (model["rx"]["enabled"].get<bool>())
    grids.push_back({"anomaly_rx", "RX anomaly: squared Mahalanobis distance (" + est +
                                       " covariance) over the robust z-scores of " + list_bands(p)});
  if (!model.contains("pca") || !model["pca"]["enabled"].get<bool>()) return;
  const json& j = model["pca"];
  for (std::int64_t c = 0; c < j["components"].get<std::int64_t>(); ++c) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * j["explained"][static_cast<size_t>(c)].get<double>());
    grids.push_back(
        {"anomaly_pc" + std::to_string(c + 1), "principal component " + std::to_string(c + 1) + " score (" +
                                                   buf + " of the variance; correlation matrix, " + est +
                                                   " estimate) of the robust z-scores of " + list_bands(p)});
  }
}

} // namespace prospector::detail
