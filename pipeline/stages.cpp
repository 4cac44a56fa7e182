#include "pipeline/stages.hpp"


namespace prospector {

const std::vector<StageInfo>& stage_registry() {
  static const std::vector<StageInfo> stages = {
      {"pipeline.ingest", "Resample every input onto the analysis grid, tile by tile",
       "Rasters (a file, a folder or list of survey tiles mosaicked through a VRT) are reprojected and "
       "resampled "
       "with GDAL's warper using an exact per-cell transformation (bilinear for fields, average when "
       "coarsening by "
       "more than 1.5x, or the input's resampling option); geochemical point CSVs are read with their "
       "below-detection conventions, log10-transformed and gridded with GDAL's gridding API; geochemical "
       "grids are "
       "log10-transformed. A tile depends only on the source files and samples that reach it.",
       true},
      {"pipeline.fft",
       "Potential-field transforms (RTP, derivatives, analytic signal, ...) on the whole grid",
       "For recipe evidence with a source filter, the FFT transforms of kernels potential_field.* run on the "
       "whole "
       "grid, or for grids over 4096 x 4096 cells on 4096-cell blocks fixed from the grid origin, each with "
       "a "
       "1024-cell margin of real data (padded with mirrored, tapered edges inside the kernel; nodata filled "
       "for "
       "the transform and restored); results are stored per tile as derived layers, the same for every "
       "tiling.",
       false},
      {"pipeline.transform",
       "Derived layers (ratios such as K/Th) and per-tile sorted partials for global statistics",
       "Computes the ratio layers the recipes ask for, the centred log-ratios of the geochemical parts "
       "(geochem.composition = clr, kernel geochem.clr), the isometric log-ratio balances of "
       "geochem.balances "
       "(kernel geochem.ilr) and, for every layer, the tile's valid values sorted, from which the stats "
       "stage "
       "merges exact order statistics.",
       true},
      {"pipeline.stats", "Exact global median, MAD, minimum and maximum per layer from the per-tile partials",
       "Order statistics of the union of the sorted per-tile runs (kernel stats.merged): identical for any "
       "tiling.",
       false},
      {"pipeline.anomaly", "Robust and local z-scores per layer, tile by tile with a halo",
       "Robust z-score with the global median/MAD; moving-window z-score with exact fixed-point window sums "
       "over the tile plus a halo of anomaly.local_radius cells (kernel window.local_z_exact), so tiles "
       "equal an "
       "untiled run bit for bit; Getis-Ord Gi* over the same window for layers recipes read with transform "
       "gi_star (kernel anomaly.gi_star_exact); moments of the RX bands for the model stage, and for "
       "anomaly.rx_covariance = mcd a sample of them (every k-th cell of the grid).",
       true},
      {"pipeline.model", "Global models fitted from per-tile partials (RX mean and covariance, PCA)",
       "Merges the per-tile moments of the RX bands in tile order into their mean and covariance, or fits "
       "the "
       "robust FAST-MCD estimate (kernel anomaly.mcd) to the sampled cells in grid order; the PCA "
       "(anomaly.pca_components, kernel anomaly.pca) decomposes the correlation matrix of that estimate.",
       false},
      {"pipeline.score", "Fuzzy prospectivity per commodity from its recipe, tile by tile; RX and PC grids",
       "Each recipe evidence is transformed (robust/local z, sign or absolute value), mapped through its "
       "membership function and combined by weighted fuzzy overlay into a [0, 1] prospectivity grid; the RX "
       "anomaly and the principal-component scores apply the model stage's statistics.",
       true},
      {"pipeline.targets", "Threshold, 8-connected components across tiles, ranking",
       "The exact top targets.top_fraction threshold from per-tile sorted scores, or (targets.threshold = "
       "concentration_area) the break of a concentration-area fractal fit of exact area counts; components "
       "labelled per tile "
       "and joined across tile edges and corners with union-find; statistics in exact fixed-point sums; "
       "ranked by "
       "peak, then mean score, then area; outlined with GDAL's polygonizer; evidence shares per target.",
       false},
      {"pipeline.learn", "Data-driven models and validation against known deposits",
       "With training deposits (training.path): per commodity, weights of evidence over equal-width "
       "membership "
       "classes of the recipe's evidence (W+, W-, contrast, studentized contrast, generalised weights, "
       "posterior and its standard deviation, Agterberg-Cheng conditional-independence test) and a "
       "regularised logistic regression; success-rate curve on the training deposits, prediction-rate curve "
       "on "
       "test deposits or by spatially blocked k-fold cross-validation, AUC and capture efficiency.",
       false},
      {"pipeline.publish", "Write prospectivity.h5 (netCDF-4/CF-1.8), its GDAL sidecar and targets.gpkg",
       "Grids are streamed tile row by tile row into a temporary HDF5 file that is renamed to "
       "prospectivity.h5 "
       "only when complete, with targets (CF-1.8 simple geometries) and provenance; targets.gpkg holds the "
       "same "
       "targets.",
       false},
  };
  return stages;
}

nlohmann::json output_layout() {
  using nlohmann::json;
  return json{
      {"file", "OUT/prospectivity.h5"},
      {"format",
       "HDF5 in netCDF-4 classic-model layout, CF-1.8 conventions; open with GDAL (HDF5:\"f\"://var or "
       "NETCDF:\"f\":var), QGIS, xarray, h5py, ncdump"},
      {"global_attributes",
       {{"Conventions", "CF-1.8"},
        {"title", "prospector: <job name>"},
        {"history", "string"},
        {"source", "prospector <version>"}}},
      {"dimensions",
       {{"y", "rows, north to south; coordinate variable of pixel-centre y (float64)"},
        {"x", "columns, west to east; coordinate variable of pixel-centre x (float64)"},
        {"target_<c>", "targets of commodity c; coordinate variable holding the rank (int32)"},
        {"node_<c>", "polygon nodes of commodity c's targets"},
        {"part_<c>", "polygon rings of commodity c's targets"}}},
      {"variables",
       {{"crs", "scalar grid mapping: grid_mapping_name, crs_wkt (WKT2), spatial_ref (WKT1), GeoTransform, "
                "epsg_code"},
        {"prospectivity_<c>",
         "float32 (y, x) in [0, 1], c in cu, li, ni, co, sn; chunked, deflated; _FillValue "
         "-9999; grid_mapping crs; long_name names the recipe"},
        {"anomaly_<layer>_robust_z", "float32 (y, x): robust z-score (median/MAD) of an input layer"},
        {"anomaly_<layer>_local_z", "float32 (y, x): moving-window z-score of an input layer"},
        {"anomaly_<layer>_gi_star",
         "float32 (y, x): Getis-Ord Gi* z-score (window radius anomaly.local_radius) "
         "of a layer some recipe evidence takes with transform gi_star"},
        {"anomaly_rx",
         "float32 (y, x): squared Mahalanobis distance over the geophysical layers' robust z-scores "
         "(classical or FAST-MCD covariance, anomaly.rx_covariance)"},
        {"anomaly_pc<k>",
         "float32 (y, x), k = 1 .. anomaly.pca_components: principal-component scores of the RX "
         "layers' robust z-scores (correlation matrix); long_name gives the share of variance"},
        {"anomaly_clr_<layer>_robust_z, anomaly_clr_<layer>_local_z",
         "float32 (y, x): z-scores of the centred log-ratio of a geochemical layer (geochem.composition = "
         "clr)"},
        {"anomaly_balance_<name>_robust_z, anomaly_balance_<name>_local_z",
         "float32 (y, x): z-scores of an isometric log-ratio balance of geochem.balances"},
        {"anomaly_ratio_<a>_<b>_robust_z, anomaly_ratio_<a>_<b>_local_z",
         "float32 (y, x): z-scores of ratio layers "
         "the recipes use (e.g. K/Th)"},
        {"targets_<c>_polygon",
         "CF-1.8 geometry container (polygon): node_count, part_node_count, interior_ring, "
         "node_coordinates targets_<c>_node_x targets_<c>_node_y"},
        {"targets_<c>_point", "CF-1.8 geometry container (point) at target centroids"},
        {"targets_<c>_rank, _peak_score, _mean_score, _area, _centroid_x, _centroid_y",
         "per target fields on dimension target_<c>, geometry targets_<c>_polygon"},
        {"targets_<c>_point_rank, _point_peak_score, _point_area",
         "per target fields, geometry targets_<c>_point"},
        {"provenance",
         "scalar; attributes job_path, job_text, prospector_version, created_utc, inputs (id, path, "
         "SHA-256 per line)"}}},
      {"sidecars",
       {{"OUT/prospectivity.h5.aux.xml",
         "GDAL PAM: SRS, GeoTransform and nodata per grid for GDAL's HDF5 driver"},
        {"OUT/targets.gpkg",
         "layers targets_<c> (multipolygon) and target_points_<c> (point) per commodity"}}},
      {"learned",
       {{"posterior_wofe_<c>, posterior_wofe_<c>_std",
         "float32 (y, x): weights-of-evidence posterior and its std"},
        {"probability_logistic_<c>", "float32 (y, x): logistic-regression probability"},
        {"wofe_<c> table",
         "per evidence and class: evidence index, class, cells, deposits, W+, W-, contrast, s(C), "
         "studentized contrast, flags; attributes: evidence ids, prior logit, CI test"},
        {"success_rate_<c>, prediction_rate_<c> tables", "curve points area_fraction, deposit_fraction; "
                                                         "attributes auc, source, capture efficiency"}}},
      {"report",
       "OUT/report.html: self-contained report (quicklook maps, targets, curves, weights, provenance)"},
      {"nodata", "-9999 (_FillValue and dataset fill value)"},
  };
}

} // namespace prospector
