#include "pipeline/job/job_detail.hpp"

#include "pipeline/base/errors.hpp"

#include <algorithm>
#include <cmath>

namespace prospector::detail {

using namespace options;

namespace {

Decl<WofeEvidenceSpec> evidence_decl() {
  Decl<WofeEvidenceSpec> d(
      "wofe_evidence", "One evidence layer of the ArcSDM-style weights of evidence (models.wofe_evidence).");
  d.add(&WofeEvidenceSpec::layer, "layer",
        "name of a layer of the run: an input or derived layer (e.g. \"tmi\", \"geology\", "
        "\"faults_distance\") or an anomaly grid (e.g. \"anomaly_tmi_robust_z\"); `validate` lists them")
      .required();
  d.add(&WofeEvidenceSpec::type, "type",
        "binary (value against `threshold`), categorical (each class, weak classes pooled), ascending "
        "(cumulative from low values: distances), descending (cumulative from high values: anomalies) or "
        "unique (each class, no generalisation)")
      .required()
      .choices({"binary", "categorical", "ascending", "descending", "unique"});
  d.add(&WofeEvidenceSpec::threshold, "threshold", "binary: the value that starts the pattern");
  d.add(&WofeEvidenceSpec::pattern, "pattern",
        "binary: above (value >= threshold is the pattern) or below (value <= threshold)")
      .choices({"above", "below"});
  d.add(&WofeEvidenceSpec::classes, "classes",
        "ascending, descending: number of quantile classes of the layer's values (equal-area classes; "
        "tied values stay in one class)")
      .range(2, 100);
  d.add(&WofeEvidenceSpec::breaks, "breaks",
        "ascending, descending: explicit class breaks in the layer's units, strictly increasing (class 0 "
        "= values <= breaks[0]); replaces `classes`");
  d.add(&WofeEvidenceSpec::generalise, "generalise",
        "ascending, descending: the row that becomes the binary pattern: max_contrast (ArcSDM: largest "
        "contrast among rows whose studentized contrast reaches `confidence`), max_studentized, or manual "
        "(`cutoff`)")
      .choices({"max_contrast", "max_studentized", "manual"});
  d.add(&WofeEvidenceSpec::cutoff, "cutoff",
        "generalise manual: class index (0 = lowest values) of the last class inside the pattern for "
        "ascending, of the first for descending")
      .range(-1, 100);
  d.add(&WofeEvidenceSpec::confidence, "confidence",
        "gate on the studentized contrast C / s(C) (ArcSDM's default 2; EIS Toolkit's 1): a layer none "
        "of whose rows reaches it stays out of the posterior, with a log line")
      .range(0.0, 100.0);
  d.add(&WofeEvidenceSpec::commodities, "commodities", "commodities this layer is evidence for (default all)")
      .item_choices(known_commodities());
  return d;
}

} // namespace

Decl<ModelOptions> models_decl() {
  Decl<ModelOptions> d("models",
                       "Data-driven models fitted to the training deposits over each recipe's evidence.");
  d.add(&ModelOptions::wofe, "wofe", "weights-of-evidence posterior per commodity with training deposits");
  d.add(&ModelOptions::wofe_evidence, "wofe_evidence",
        "ArcSDM-style weights of evidence on any layer of the run, one entry per layer (weights table, "
        "generalisation, posterior with deviations and confidence); empty = the recipe memberships in "
        "`classes` equal-width classes",
        evidence_decl());
  d.add(&ModelOptions::unit_area, "unit_area",
        "unit cell area in square grid-CRS units (ArcSDM's unit area; 1e6 = 1 km2 in a metre CRS): areas "
        "of the weights tables are counted in unit cells; 0 = one grid cell")
      .range(0.0, std::nullopt);
  d.add(
      &ModelOptions::study_area, "study_area",
      "polygons (any OGR vector, relative to the job file) bounding the study area of the data-driven "
      "models: weights, prior, unit area and deposit counts are taken inside it, and the posteriors are "
      "nodata outside. The study area is always limited to cells where the evidence is valid (prospectivity "
      "is not nodata); empty = all of those");
  d.add(&ModelOptions::study_area_layer, "study_area_layer",
        "layer of models.study_area (default: the dataset's first layer)");
  d.add(&ModelOptions::wofe_points, "wofe_points",
        "how training deposits are counted in weights tables: points (ArcSDM: every point, several in one "
        "cell counted each) or cells (EIS Toolkit: deposit cells, one per cell)")
      .choices({"points", "cells"});
  d.add(&ModelOptions::wofe_traps, "wofe_traps",
        "zero-count traps of the weights tables: arcsdm (MakeWts: a pattern without points gets zero "
        "weights, one with every point gives 0.99 of a point away) or eis (EIS Toolkit's)")
      .choices({"arcsdm", "eis"});
  d.add(&ModelOptions::wofe_std, "wofe_std",
        "posterior standard deviation from the weights' variances: arcsdm (sqrt(P^2 (1/N(D) + sum "
        "s2(W))), as ArcSDM and EIS Toolkit) or delta (P (1 - P) sqrt(..))")
      .choices({"arcsdm", "delta"});
  d.add(&ModelOptions::wofe_missing_variance, "wofe_missing_variance",
        "add ArcSDM's missing-data variance to the total posterior deviation where a layer has no data");
  d.add(&ModelOptions::wofe_zero_class, "wofe_zero_class",
        "weights of evidence of a class without training deposits: arcsdm (ArcSDM's convention: W+ = 0, "
        "s(W+) = 0, contrast 0, flagged; likewise W- = 0 for a class holding every deposit) or continuity "
        "(the zero count is replaced by wofe_continuity, which gives the class a weight of its own)")
      .choices({"arcsdm", "continuity"});
  d.add(&ModelOptions::wofe_continuity, "wofe_continuity",
        "continuity correction: the value replacing a zero count of a class's 2x2 table (every zero count "
        "with wofe_zero_class continuity, only non-deposit counts with arcsdm)")
      .range(0.0, 1.0, true);
  d.add(&ModelOptions::logistic, "logistic",
        "regularised logistic regression per commodity with training deposits");
  d.add(&ModelOptions::lambda, "lambda",
        "L2 penalty of the logistic regression (on standardised coefficients)")
      .range(0.0, std::nullopt);
  d.add(&ModelOptions::classes, "classes",
        "equal-width membership classes per evidence layer for weights of evidence")
      .range(2, 20);
  d.add(&ModelOptions::folds, "folds", "folds of the spatially blocked cross-validation").range(2, 50);
  d.add(&ModelOptions::block_size, "block_size",
        "cross-validation block edge in grid map units; 0 = 20 cells")
      .range(0.0, std::nullopt);
  d.add(&ModelOptions::capture_fractions, "capture_fractions", "area fractions for capture efficiency")
      .item_range(0.0, 1.0);
  return d;
}

void check_model_options(const ModelOptions& m, const std::string& file,
                         const std::function<void(const std::string&)>& report) {
  for (size_t i = 0; i < m.wofe_evidence.size(); ++i) {
    const WofeEvidenceSpec& e = m.wofe_evidence[i];
    const std::string key = file + ": key 'models.wofe_evidence[" + std::to_string(i) + "]";
    const bool cumulative = e.type == "ascending" || e.type == "descending";
    for (size_t k = 1; k < e.breaks.size(); ++k)
      if (!(e.breaks[k] > e.breaks[k - 1])) {
        report(key + ".breaks': breaks must be strictly increasing (" + std::to_string(e.breaks[k - 1]) +
               " then " + std::to_string(e.breaks[k]) + ")");
        break;
      }
    if (!e.breaks.empty() && !cumulative)
      report(key + ".breaks': breaks apply to ascending and descending layers only");
    if (e.generalise == "manual" && !cumulative)
      report(key + ".generalise': manual generalisation applies to ascending and descending layers only");
    if (e.generalise == "manual" && e.cutoff < 0)
      report(key + ".cutoff': generalise manual needs the cutoff class index (0 = lowest values)");
    if (e.generalise != "manual" && e.cutoff >= 0)
      report(key + ".cutoff': a cutoff is used with generalise manual only");
    for (size_t k = 0; k < i; ++k)
      if (m.wofe_evidence[k].layer == e.layer)
        report(key + ".layer': layer '" + e.layer + "' is listed twice; give each layer once");
  }
}

} // namespace prospector::detail
