#include "pipeline/stages/learn.hpp"

#include "pipeline/base/sha256.hpp"
#include "pipeline/base/tiles.hpp"
#include "pipeline/stages/learn_models.hpp"

namespace prospector::stages {

const StageInfo& LearnStage::info() const {
  static const StageInfo i{
      "pipeline.learn", "Data-driven models and validation against known deposits",
      "With training deposits (training.path): per commodity, weights of evidence over equal-width "
      "membership "
      "classes of the recipe's evidence (W+, W-, contrast, studentized contrast, generalised weights, "
      "posterior "
      "and its standard deviation, Agterberg-Cheng conditional-independence test) and a regularised logistic "
      "regression; success-rate curve on the training deposits, prediction-rate curve on test deposits or by "
      "spatially blocked k-fold cross-validation, AUC and capture efficiency.",
      false};
  return i;
}

std::vector<Upstream> LearnStage::upstream(const Plan&, std::int64_t) const {
  // Evidence memberships come from the anomaly grids (evidence_contribution).
  return {{"score", kEveryTile}, {"anomaly", kEveryTile}, {"ingest", kEveryTile}, {"transform", kEveryTile}};
}

std::vector<std::string> LearnStage::outputs(const Plan& p, std::int64_t) const {
  return {detail::learn_path(p)};
}

LearnParams LearnStage::params(StageContext& ctx, std::int64_t) const {
  const Plan& p = ctx.plan;
  LearnParams out;
  out.training = p.job.training;
  for (const auto& f : {p.job.training.path, p.job.training.test_path, p.job.models.study_area})
    if (!f.empty() && file_exists(f)) out.deposit_files.push_back(sha256_file(f));
  out.models = p.job.models;
  for (const auto& rc : p.recipes) {
    std::string e = rc.commodity + ":";
    for (const auto& ev : rc.evidence)
      e += ev.id + ",";
    out.evidence.push_back(e);
  }
  return out;
}

std::string LearnStage::compute(StageContext& ctx, std::int64_t, const LearnParams&) const {
  return detail::run_learn(ctx.plan, ctx.log);
}

} // namespace prospector::stages
