#include "pipeline/stages/registry.hpp"

#include "pipeline/stages/anomaly.hpp"
#include "pipeline/stages/fft.hpp"
#include "pipeline/stages/ingest.hpp"
#include "pipeline/stages/learn.hpp"
#include "pipeline/stages/model.hpp"
#include "pipeline/stages/publish.hpp"
#include "pipeline/stages/score.hpp"
#include "pipeline/stages/stats.hpp"
#include "pipeline/stages/targets.hpp"
#include "pipeline/stages/transform.hpp"

namespace prospector {

using namespace stages;

const StageList& stage_registry() {
  static const IngestStage ingest;
  static const FftStage fft;
  static const TransformStage transform;
  static const StatsStage stats;
  static const AnomalyStage anomaly;
  static const ModelStage model;
  static const ScoreStage score;
  static const TargetsStage targets;
  static const LearnStage learn;
  static const PublishStage publish;
  static const StageList list = {&ingest, &fft,   &transform, &stats, &anomaly,
                                 &model,  &score, &targets,   &learn, &publish};
  return list;
}

nlohmann::json output_layout() {
  using nlohmann::json;
  return json{
      {"file", "OUT/prospectivity.nc (the name is output.name)"},
      {"format",
       "HDF5 in netCDF-4 layout, CF-1.8 conventions; open with GDAL (the netCDF driver from the .nc name, "
       "NETCDF:\"f\":var, or HDF5:\"f\"://var with the sidecar), QGIS, rasterio, xarray, h5py, ncdump"},
      {"global_attributes",
       {{"Conventions", "CF-1.8"},
        {"title", "prospector: <job name>"},
        {"history", "string"},
        {"source", "prospector <version>"},
        {"institution", "output.institution (or a note that it was not recorded)"},
        {"references", "deposit models and references of the recipes used, one per line"},
        {"comment", "what the scores and targets are, then output.comment"}}},
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
        {"<id>, <id>_contact_<unit>, <id>_distance, <id>_density, <id>_intersections",
         "float32 (y, x): layers of geology (unit class codes, distance to a unit's contact), structures and "
         "features (distance in grid units, line length or points per unit area; structures also the "
         "distance "
         "to the nearest intersection or junction of two lines) inputs and of "
         "categorical rasters (class codes); class codes carry CF flag_values (float32) and flag_meanings"},
        {"targets_<c>_polygon",
         "CF-1.8 geometry container (polygon): node_count, part_node_count, interior_ring, "
         "node_coordinates targets_<c>_node_x targets_<c>_node_y"},
        {"targets_<c>_point", "CF-1.8 geometry container (point) at target centroids"},
        {"targets_<c>_rep_point",
         "CF-1.8 geometry container (point) at a point inside each target's polygons (targets_<c>_rep_x, "
         "targets_<c>_rep_y)"},
        {"targets_<c>_rank, _peak_score, _mean_score, _area, _centroid_x, _centroid_y, _rep_x, _rep_y",
         "per target fields on dimension target_<c>, geometry targets_<c>_polygon"},
        {"targets_<c>_point_rank, _point_peak_score, _point_area",
         "per target fields, geometry targets_<c>_point"},
        {"targets_<c>_rep_point_rank", "per target field, geometry targets_<c>_rep_point"},
        {"targets_<c>_evidence",
         "netCDF-4 string per target (id:share of the top evidence layers), geometry targets_<c>_polygon"},
        {"provenance",
         "scalar; attributes job_path, job_text, prospector_version, created_utc, inputs (id, path, "
         "SHA-256 per line)"}}},
      {"sidecars",
       {{"OUT/prospectivity.nc.aux.xml",
         "GDAL PAM: SRS, GeoTransform and nodata per grid for GDAL's HDF5 driver (the netCDF driver needs "
         "no sidecar)"},
        {"OUT/targets.gpkg",
         "layers targets_<c> (multipolygon, valid OGC), target_points_<c> (centroids) and "
         "target_rep_points_<c> (a point inside each target) per commodity"}}},
      {"learned",
       {{"posterior_wofe_<c>, posterior_wofe_<c>_std",
         "float32 (y, x): weights-of-evidence posterior and its std"},
        {"probability_logistic_<c>", "float32 (y, x): logistic-regression probability"},
        {"wofe_<c> table",
         "per evidence and class: evidence index, class, cells, deposits, W+, W-, contrast, s(C), "
         "studentized contrast, flags (bit mask: 1 no deposits, 32 W+ set to 0, 128 continuity-corrected, "
         "...); attributes: evidence ids, prior logit, zero_class, continuity, flags (the bits), CI test"},
        {"success_rate_<c>, prediction_rate_<c> tables", "curve points area_fraction, deposit_fraction; "
                                                         "attributes auc, source, capture efficiency"}}},
      {"report",
       "OUT/report.html: self-contained report (quicklook maps, targets, curves, weights, provenance)"},
      {"nodata", "-9999 (_FillValue and dataset fill value)"},
  };
}

} // namespace prospector
