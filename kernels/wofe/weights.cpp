#include "kernels/wofe/weights.hpp"

#include "kernels/openmp_util.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace prospector::kernels {

namespace {

constexpr std::int32_t kMaxClasses = 1 << 20;

inline bool inside(const std::uint8_t* study_area, std::int64_t i) {
  return study_area == nullptr || study_area[i] != 0;
}

// Weights of one 2x2 table (a = B∩D, b = B∩~D, c = ~B∩D, d = ~B∩~D).
//
// Zero deposit counts under WofeZeroClass::ArcSdm follow ArcSDM's "Calculate Weights" tool (gtkfi/ArcSDM,
// Toolbox/arcsdm/calculateweights.py, MakeWts): when the class holds no training point (db == 0) it
// returns W+, s(W+), W-, s(W-), C, s(C) and C/s(C) all 0. Here the weight that has a deposit to estimate
// it is still reported (for binary evidence it is the other class's W+, so the two classes stay mirror
// images). Where every point is in the class (db == ds) ArcSDM moves 0.99 of a point out of the class
// (db -= 0.99, its issue 66); here W- and s(W-) are 0 instead, the mirror image of the zero-deposit case,
// so the class that holds no deposit gets W+ = 0 whichever side of the table it is on.
void table_weights(std::int64_t a0, std::int64_t b0, std::int64_t c0, std::int64_t d0, const WofeParams& p,
                   WofeClassWeights& w) {
  const double k = p.continuity;
  const bool arcsdm = p.zero_class == WofeZeroClass::ArcSdm;
  std::uint32_t flags = 0;
  if (a0 == 0) flags |= kWofeNoDeposits;
  if (c0 == 0) flags |= kWofeAllDeposits;
  if (b0 == 0) flags |= kWofeOnlyDeposits;
  if (d0 == 0) flags |= kWofeAllNonDeposits;
  const bool zero_plus = arcsdm && a0 == 0, zero_minus = arcsdm && c0 == 0;
  // A zero count is replaced by k where it enters a weight that is computed: every count under
  // Continuity; under ArcSdm never a deposit count (that weight is 0), and a non-deposit count only for
  // the weight it enters (the totals use the counts as replaced).
  bool corrected = false;
  auto count = [&](std::int64_t v, bool may_correct) {
    if (v != 0 || !may_correct) return static_cast<double>(v);
    corrected = true;
    return k;
  };
  const double a = count(a0, !arcsdm), c = count(c0, !arcsdm);
  const double b = count(b0, !zero_plus), d = count(d0, !zero_minus);
  const double nd = a + c, nn = b + d;
  w.w_plus = w.s_w_plus = w.w_minus = w.s_w_minus = 0.0;
  double vp = 0.0, vm = 0.0;
  if (!zero_plus) {
    w.w_plus = std::log((a / nd) / (b / nn));
    vp = 1.0 / a + 1.0 / b;
    w.s_w_plus = std::sqrt(vp);
  }
  if (!zero_minus) {
    w.w_minus = std::log((c / nd) / (d / nn));
    vm = 1.0 / c + 1.0 / d;
    w.s_w_minus = std::sqrt(vm);
  }
  if (zero_plus || zero_minus) {
    w.contrast = w.s_contrast = w.studentized = 0.0;
  } else {
    w.contrast = w.w_plus - w.w_minus;
    w.s_contrast = std::sqrt(vp + vm);
    w.studentized = w.contrast / w.s_contrast;
  }
  if (zero_plus) flags |= kWofeZeroWPlus;
  if (zero_minus) flags |= kWofeZeroWMinus;
  if (corrected) flags |= kWofeCorrected;
  w.flags = flags;
}

Status check_layers(const WofeLayer* layers, std::int64_t n_layers, std::int64_t n, const char* who) {
  if (n_layers < 0 || (n_layers > 0 && layers == nullptr))
    return Status::Invalid(std::string(who) + ": invalid layer list");
  for (std::int64_t k = 0; k < n_layers; ++k) {
    const WofeWeights* w = layers[k].weights;
    if (w == nullptr || (n > 0 && layers[k].classes == nullptr))
      return Status::Invalid(std::string(who) + ": layer without classes or weights");
    if (w->n_classes < 1 || static_cast<std::int64_t>(w->classes.size()) != w->n_classes)
      return Status::Invalid(std::string(who) + ": layer weights are not from wofe_weights");
  }
  return Status::Ok();
}

Status prior(std::int64_t n, const std::uint8_t* deposits, const std::uint8_t* study_area, const char* who,
             WofePosteriorSummary& s) {
  std::int64_t cells = 0, deps = 0;
#pragma omp parallel for schedule(static) reduction(+ : cells, deps)
  for (std::int64_t i = 0; i < n; ++i) {
    if (!inside(study_area, i)) continue;
    ++cells;
    if (deposits[i] != 0) ++deps;
  }
  if (deps == 0) return Status::Invalid(std::string(who) + ": no deposit cell in the study area");
  if (deps == cells) return Status::Invalid(std::string(who) + ": every study-area cell is a deposit cell");
  s.cells = cells;
  s.deposits = deps;
  s.prior_logit = std::log(static_cast<double>(deps) / static_cast<double>(cells - deps));
  s.prior_variance = 1.0 / static_cast<double>(deps);
  return Status::Ok();
}

} // namespace

Status deposit_mask_from_indices(const std::int64_t* cells, std::int64_t n_cells, std::int64_t n,
                                 std::uint8_t* mask, std::int64_t& duplicates) {
  if (n < 0 || n_cells < 0) return Status::Invalid("deposit_mask_from_indices: negative length");
  if ((n > 0 && mask == nullptr) || (n_cells > 0 && cells == nullptr))
    return Status::Invalid("deposit_mask_from_indices: null array");
  for (std::int64_t j = 0; j < n_cells; ++j)
    if (cells[j] < 0 || cells[j] >= n)
      return Status::Invalid("deposit_mask_from_indices: deposit cell index outside the grid");
  std::fill(mask, mask + n, std::uint8_t{0});
  duplicates = 0;
  for (std::int64_t j = 0; j < n_cells; ++j) {
    if (mask[cells[j]] != 0) ++duplicates;
    mask[cells[j]] = 1;
  }
  return Status::Ok();
}

Status classes_from_grid(const float* in, std::int64_t n, std::int32_t* classes, std::int32_t& n_classes) {
  if (n < 0) return Status::Invalid("classes_from_grid: negative length");
  if (n > 0 && (in == nullptr || classes == nullptr)) return Status::Invalid("classes_from_grid: null array");
  std::int32_t top = -1;
  bool bad = false;
#pragma omp parallel for schedule(static) reduction(max : top) reduction(|| : bad)
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = in[i];
    if (std::isnan(v) || v < 0.0f) {
      classes[i] = -1;
    } else if (!(v < static_cast<float>(kMaxClasses)) || v != std::floor(v)) {
      classes[i] = -1;
      bad = true;
    } else {
      classes[i] = static_cast<std::int32_t>(v);
      top = std::max(top, classes[i]);
    }
  }
  if (bad) return Status::Invalid("classes_from_grid: class codes must be integers in [0, 2^20)");
  n_classes = top + 1;
  return Status::Ok();
}

Status classes_from_mask(const std::uint8_t* mask, std::int64_t n, std::int32_t* classes) {
  if (n < 0) return Status::Invalid("classes_from_mask: negative length");
  if (n > 0 && (mask == nullptr || classes == nullptr))
    return Status::Invalid("classes_from_mask: null array");
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i)
    classes[i] = mask[i] <= 1 ? static_cast<std::int32_t>(mask[i]) : -1;
  return Status::Ok();
}

Status wofe_weights(const std::int32_t* classes, std::int64_t n, std::int32_t n_classes,
                    const std::uint8_t* deposits, const std::uint8_t* study_area, const WofeParams& params,
                    WofeWeights& out) {
  if (n < 0) return Status::Invalid("wofe_weights: negative length");
  if (n > 0 && (classes == nullptr || deposits == nullptr))
    return Status::Invalid("wofe_weights: null array");
  if (n_classes < 1 || n_classes > kMaxClasses)
    return Status::Invalid("wofe_weights: n_classes must be in [1, 2^20]");
  if (!(params.continuity > 0.0) || !std::isfinite(params.continuity))
    return Status::Invalid("wofe_weights: continuity must be finite and > 0");
  if (params.zero_class != WofeZeroClass::ArcSdm && params.zero_class != WofeZeroClass::Continuity)
    return Status::Invalid("wofe_weights: unknown zero_class");

  // Per-thread histograms: the counts are integers, so their sum is exact whatever the thread split.
  const int nt = max_threads();
  const std::int64_t stride = 2 * static_cast<std::int64_t>(n_classes);
  std::vector<std::int64_t> hist(static_cast<std::size_t>(nt) * static_cast<std::size_t>(stride), 0);
  bool bad = false;
#pragma omp parallel num_threads(nt) reduction(|| : bad)
  {
    std::int64_t* h = hist.data() + static_cast<std::int64_t>(thread_id()) * stride;
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int32_t c = classes[i];
      if (c < 0 || !inside(study_area, i)) continue;
      if (c >= n_classes) {
        bad = true;
        continue;
      }
      h[2 * c] += 1;
      if (deposits[i] != 0) h[2 * c + 1] += 1;
    }
  }
  if (bad) return Status::Invalid("wofe_weights: class code >= n_classes");

  out.n_classes = n_classes;
  out.classes.assign(static_cast<std::size_t>(n_classes), WofeClassWeights{});
  std::int64_t cells = 0, deps = 0;
  for (int t = 0; t < nt; ++t)
    for (std::int32_t c = 0; c < n_classes; ++c) {
      out.classes[c].cells += hist[t * stride + 2 * c];
      out.classes[c].deposits += hist[t * stride + 2 * c + 1];
    }
  for (const auto& w : out.classes) {
    cells += w.cells;
    deps += w.deposits;
  }
  out.cells = cells;
  out.deposits = deps;
  if (deps == 0) return Status::Invalid("wofe_weights: no deposit cell where the evidence is valid");
  if (deps == cells) return Status::Invalid("wofe_weights: every valid cell is a deposit cell");

  for (auto& w : out.classes) {
    if (w.cells == 0) {
      w.flags = kWofeEmptyClass;
      continue;
    }
    const std::int64_t a = w.deposits, b = w.cells - w.deposits;
    const std::int64_t c = deps - a, d = (cells - deps) - b;
    table_weights(a, b, c, d, params, w);
  }
  return Status::Ok();
}

Status wofe_posterior(const WofeLayer* layers, std::int64_t n_layers, std::int64_t n,
                      const std::uint8_t* deposits, const std::uint8_t* study_area, float* posterior,
                      float* variance, WofePosteriorSummary& summary) {
  if (n < 0) return Status::Invalid("wofe_posterior: negative length");
  if (n > 0 && (deposits == nullptr || posterior == nullptr))
    return Status::Invalid("wofe_posterior: null array");
  if (Status s = check_layers(layers, n_layers, n, "wofe_posterior"); !s.ok) return s;
  WofePosteriorSummary sum;
  if (Status s = prior(n, deposits, study_area, "wofe_posterior", sum); !s.ok) return s;

  const float nan = std::numeric_limits<float>::quiet_NaN();
  bool bad = false;
#pragma omp parallel for schedule(static) reduction(|| : bad)
  for (std::int64_t i = 0; i < n; ++i) {
    if (!inside(study_area, i)) {
      posterior[i] = nan;
      if (variance != nullptr) variance[i] = nan;
      continue;
    }
    double logit = sum.prior_logit, var = sum.prior_variance;
    bool cell_bad = false;
    for (std::int64_t k = 0; k < n_layers; ++k) {
      const std::int32_t c = layers[k].classes[i];
      if (c < 0) continue;
      if (c >= layers[k].weights->n_classes) {
        cell_bad = true;
        break;
      }
      const WofeClassWeights& w = layers[k].weights->classes[c];
      logit += w.w_plus;
      var += w.s_w_plus * w.s_w_plus;
    }
    if (cell_bad) {
      bad = true;
      posterior[i] = nan;
      if (variance != nullptr) variance[i] = nan;
      continue;
    }
    const double p = 1.0 / (1.0 + std::exp(-logit));
    posterior[i] = static_cast<float>(p);
    if (variance != nullptr) {
      const double g = p * (1.0 - p);
      variance[i] = static_cast<float>(g * g * var);
    }
  }
  if (bad) return Status::Invalid("wofe_posterior: class code beyond its layer's weights");
  summary = sum;
  return Status::Ok();
}

Status wofe_ci_test(const WofeLayer* layers, std::int64_t n_layers, std::int64_t n,
                    const std::uint8_t* deposits, const std::uint8_t* study_area, WofeCiScratch& scratch,
                    WofeCiTest& out) {
  if (n < 0) return Status::Invalid("wofe_ci_test: negative length");
  if (n > 0 && deposits == nullptr) return Status::Invalid("wofe_ci_test: null array");
  if (Status s = check_layers(layers, n_layers, n, "wofe_ci_test"); !s.ok) return s;
  WofePosteriorSummary sum;
  if (Status s = prior(n, deposits, study_area, "wofe_ci_test", sum); !s.ok) return s;

  // Mixed radix with nodata as digit 0, so a code identifies one class combination.
  constexpr std::int64_t kLimit = std::int64_t{1} << 62;
  std::vector<std::int64_t> radix(static_cast<std::size_t>(n_layers));
  std::int64_t combos = 1;
  for (std::int64_t k = 0; k < n_layers; ++k) {
    radix[k] = static_cast<std::int64_t>(layers[k].weights->n_classes) + 1;
    if (combos > kLimit / radix[k])
      return Status::Invalid("wofe_ci_test: too many class combinations to encode (over 2^62)");
    combos *= radix[k];
  }

  auto& codes = scratch.codes;
  codes.resize(static_cast<std::size_t>(sum.cells));
  std::int64_t m = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (!inside(study_area, i)) continue;
    std::int64_t code = 0, mul = 1;
    for (std::int64_t k = 0; k < n_layers; ++k) {
      const std::int32_t c = layers[k].classes[i];
      if (c >= layers[k].weights->n_classes)
        return Status::Invalid("wofe_ci_test: class code beyond its layer's weights");
      code += (c < 0 ? 0 : static_cast<std::int64_t>(c) + 1) * mul;
      mul *= radix[k];
    }
    codes[m++] = code;
  }
  std::sort(codes.begin(), codes.begin() + m);

  double t = 0.0, s2 = 0.0;
  std::int64_t unique = 0;
  for (std::int64_t g0 = 0; g0 < m;) {
    std::int64_t g1 = g0 + 1;
    while (g1 < m && codes[g1] == codes[g0])
      ++g1;
    // Same arithmetic, in the same layer order, as wofe_posterior.
    double logit = sum.prior_logit, var = sum.prior_variance;
    std::int64_t code = codes[g0];
    for (std::int64_t k = 0; k < n_layers; ++k) {
      const std::int64_t digit = code % radix[k];
      code /= radix[k];
      if (digit == 0) continue;
      const WofeClassWeights& w = layers[k].weights->classes[digit - 1];
      logit += w.w_plus;
      var += w.s_w_plus * w.s_w_plus;
    }
    const double p = 1.0 / (1.0 + std::exp(-logit));
    const double g = p * (1.0 - p);
    const double area = static_cast<double>(g1 - g0);
    t += area * p;
    s2 += area * area * g * g * var;
    ++unique;
    g0 = g1;
  }

  out.deposits = sum.deposits;
  out.expected = t;
  out.s_expected = std::sqrt(s2);
  out.z = out.s_expected > 0.0 ? (t - static_cast<double>(sum.deposits)) / out.s_expected : 0.0;
  out.p_value = 0.5 * std::erfc(out.z / std::sqrt(2.0));
  out.ratio = t > 0.0 ? static_cast<double>(sum.deposits) / t : 0.0;
  out.unique_conditions = unique;
  return Status::Ok();
}

} // namespace prospector::kernels
