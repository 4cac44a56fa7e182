#include "kernels/geochem/log_ratio.hpp"

#include "kernels/openmp_util.hpp"

#include "kernels/fastmath.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace prospector::kernels {

namespace {

const float kNaNf = std::numeric_limits<float>::quiet_NaN();

template <typename T> void ensure_size(std::vector<T>& v, std::size_t n) {
  if (v.size() < n) v.resize(n);
}

// Resolves the subset to explicit indices in `idx` (stored in the caller's subset when given, else 0..m-1).
Status resolve_subset(const VariablesView& in, const PartSubset& subset, std::vector<std::int64_t>& idx,
                      const char* who) {
  const std::int64_t m = in.vars();
  idx.clear();
  if (subset.parts.empty()) {
    for (std::int64_t j = 0; j < m; ++j)
      idx.push_back(j);
  } else {
    for (std::int64_t p : subset.parts) {
      if (p < 0 || p >= m) return Status::Invalid(std::string(who) + ": subset index out of range");
      if (std::find(idx.begin(), idx.end(), p) != idx.end())
        return Status::Invalid(std::string(who) + ": subset index repeated");
      idx.push_back(p);
    }
  }
  return Status::Ok();
}

// Samples per block of block_logs.
constexpr std::int64_t kLogBlock = 256;

// One block of samples for the emitters of block_logs: ln of part k of sample s at log[k * kLogBlock + s]
// (part-major, so every loop over the samples is contiguous and vectorises) and sum[s], the sum of the
// sample's logs over the parts in order. The sum is finite exactly when every log is (a float's log is
// below 104 in magnitude, so finite sums cannot overflow): ok(s).
struct LogBlock {
  std::int64_t i0, len;
  const double* log;
  const double* sum;
  PROSPECTOR_ALWAYS_INLINE double at(std::int64_t k, std::int64_t s) const { return log[k * kLogBlock + s]; }
  PROSPECTOR_ALWAYS_INLINE bool ok(std::int64_t s) const {
    return std::fabs(sum[s]) < std::numeric_limits<double>::infinity();
  }
};

// Shared driver: for each block of samples, ln of each chosen part (fastmath's float log, vectorised over
// the samples; libm's log kept the loop scalar), the validity flags, then emit(block), which writes every
// output of the block's samples (NaN where ok is 0). The logs and emit run in the widest vector build
// `allowed` permits (emit must be a PROSPECTOR_ALWAYS_INLINE lambda); every loop is elementwise or sums the
// parts in order per sample, so every build gives the same bits. The per-thread buffers are a cache line
// apart, so threads never share one.
template <typename Emit>
Status block_logs(const VariablesView& in, const std::vector<std::int64_t>& idx, CompositionScratch& scratch,
                  Emit emit, cpu::Isa allowed = cpu::Isa::avx512) {
  const std::int64_t d = static_cast<std::int64_t>(idx.size());
  const int threads = max_threads();
  // d log rows, then the sums, then a cache line.
  const std::int64_t per = (std::max<std::int64_t>(1, d) + 1) * kLogBlock + 8;
  ensure_size(scratch.work, static_cast<std::size_t>(threads) * static_cast<std::size_t>(per));
  double* work = scratch.work.data();
  const std::int64_t* ix = idx.data();
  const std::int64_t n = in.n, st = in.stride;
  const std::int64_t blocks = (n + kLogBlock - 1) / kLogBlock;
  const cpu::Isa isa = cpu::widest(allowed);
#pragma omp parallel num_threads(threads)
  {
    double* w = work + static_cast<std::size_t>(thread_id()) * static_cast<std::size_t>(per);
    double* sum = w + d * kLogBlock;
#pragma omp for schedule(static)
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t i0 = b * kLogBlock, len = std::min(kLogBlock, n - i0);
      for (std::int64_t s = 0; s < len; ++s)
        sum[s] = 0.0;
      for (std::int64_t k = 0; k < d; ++k) {
        const float* v = in.var[static_cast<std::size_t>(ix[k])] + i0 * st;
        double* wk = w + k * kLogBlock;
        // The log in the widest vector build (elementwise, so the same bits in every build).
        cpu::run(isa, 0, len, [=](std::int64_t s0, std::int64_t s1) PROSPECTOR_ALWAYS_INLINE {
          const float* __restrict src = v;
          double* __restrict dst = wk;
          double* __restrict acc = sum;
          if (st == 1) {
#pragma omp simd
            for (std::int64_t s = s0; s < s1; ++s)
              dst[s] = static_cast<double>(fastmath::log_f(src[s])); // NaN or inf when not valid
          } else {
#pragma omp simd
            for (std::int64_t s = s0; s < s1; ++s)
              dst[s] = static_cast<double>(fastmath::log_f(src[s * st]));
          }
#pragma omp simd
          for (std::int64_t s = s0; s < s1; ++s)
            acc[s] += dst[s];
        });
      }
      const LogBlock block{i0, len, w, sum};
      cpu::run(isa, 0, len, [&](std::int64_t, std::int64_t) PROSPECTOR_ALWAYS_INLINE { emit(block); });
    }
  }
  return Status::Ok();
}

} // namespace

Status log_parts(const VariablesView& in, const PartSubset& subset, CompositionScratch& scratch,
                 const VariablesOut& out) {
  std::vector<std::int64_t> idx;
  if (Status s = resolve_subset(in, subset, idx, "log_parts"); !s.ok) return s;
  if (idx.empty()) return Status::Invalid("log_parts: no parts");
  const std::int64_t d = static_cast<std::int64_t>(idx.size());
  if (Status s = detail::check_variables_io(in, out, d, "log_parts"); !s.ok) return s;
  const std::int64_t os = out.stride;
  return block_logs(in, idx, scratch, [&](const LogBlock& b) PROSPECTOR_ALWAYS_INLINE {
    for (std::int64_t k = 0; k < d; ++k) {
      float* o = out.var[static_cast<std::size_t>(k)] + b.i0 * os;
#pragma omp simd
      for (std::int64_t s = 0; s < b.len; ++s)
        o[s * os] = b.ok(s) ? static_cast<float>(b.at(k, s)) : kNaNf;
    }
  });
}

Status clr(const VariablesView& in, const PartSubset& subset, CompositionScratch& scratch,
           const VariablesOut& out) {
  return detail::clr_isa(in, subset, scratch, out, cpu::Isa::avx512);
}

Status detail::clr_isa(const VariablesView& in, const PartSubset& subset, CompositionScratch& scratch,
                       const VariablesOut& out, cpu::Isa allowed) {
  std::vector<std::int64_t> idx;
  if (Status s = resolve_subset(in, subset, idx, "clr"); !s.ok) return s;
  if (idx.size() < 2) return Status::Invalid("clr: need at least 2 parts");
  const std::int64_t d = static_cast<std::int64_t>(idx.size());
  if (Status s = detail::check_variables_io(in, out, d, "clr"); !s.ok) return s;
  const double inv_d = 1.0 / static_cast<double>(d);
  const std::int64_t os = out.stride;
  return block_logs(
      in, idx, scratch,
      [&](const LogBlock& b) PROSPECTOR_ALWAYS_INLINE {
        double mean[kLogBlock];
        for (std::int64_t s = 0; s < b.len; ++s)
          mean[s] = b.sum[s] * inv_d;
        for (std::int64_t k = 0; k < d; ++k) {
          float* o = out.var[static_cast<std::size_t>(k)] + b.i0 * os;
#pragma omp simd
          for (std::int64_t s = 0; s < b.len; ++s)
            o[s * os] = b.ok(s) ? static_cast<float>(b.at(k, s) - mean[s]) : kNaNf;
        }
      },
      allowed);
}

Status ilr_pivot_basis(std::int64_t parts, IlrBasis& out) {
  if (parts < 2) return Status::Invalid("ilr_pivot_basis: need at least 2 parts");
  const std::int64_t d = parts, c = parts - 1;
  out.parts = d;
  out.v.assign(static_cast<std::size_t>(d * c), 0.0);
  for (std::int64_t j = 0; j < c; ++j) {
    // Coordinate j (0-based) balances part j against the t = D - j - 1 parts after it.
    const double t = static_cast<double>(d - j - 1);
    out.v[j * c + j] = std::sqrt(t / (t + 1.0));
    const double rest = -1.0 / std::sqrt(t * (t + 1.0));
    for (std::int64_t k = j + 1; k < d; ++k)
      out.v[k * c + j] = rest;
  }
  return Status::Ok();
}

Status ilr_sbp_basis(const std::vector<int>& sbp, std::int64_t parts, IlrBasis& out) {
  if (parts < 2) return Status::Invalid("ilr_sbp_basis: need at least 2 parts");
  const std::int64_t d = parts, c = parts - 1;
  if (static_cast<std::int64_t>(sbp.size()) != c * d)
    return Status::Invalid("ilr_sbp_basis: the partition must have (parts - 1) x parts entries");
  std::vector<double> v(static_cast<std::size_t>(d * c), 0.0);
  for (std::int64_t j = 0; j < c; ++j) {
    std::int64_t r = 0, s = 0;
    for (std::int64_t k = 0; k < d; ++k) {
      const int e = sbp[j * d + k];
      if (e != 0 && e != 1 && e != -1) return Status::Invalid("ilr_sbp_basis: entries must be +1, -1 or 0");
      r += e == 1;
      s += e == -1;
    }
    if (r == 0 || s == 0)
      return Status::Invalid("ilr_sbp_basis: every row needs at least one +1 and one -1 part");
    const double rd = static_cast<double>(r), sd = static_cast<double>(s);
    const double k_all = std::sqrt(rd * sd / (rd + sd));
    for (std::int64_t k = 0; k < d; ++k) {
      const int e = sbp[j * d + k];
      v[k * c + j] = e == 1 ? k_all / rd : (e == -1 ? -k_all / sd : 0.0);
    }
  }
  // A valid sequential binary partition gives exactly orthonormal contrasts; anything else is rejected.
  for (std::int64_t a = 0; a < c; ++a)
    for (std::int64_t b = a; b < c; ++b) {
      double dot = 0.0;
      for (std::int64_t k = 0; k < d; ++k)
        dot += v[k * c + a] * v[k * c + b];
      if (std::abs(dot - (a == b ? 1.0 : 0.0)) > 1e-9)
        return Status::Invalid("ilr_sbp_basis: rows are not a sequential binary partition (not orthonormal)");
    }
  out.parts = d;
  out.v = std::move(v);
  return Status::Ok();
}

Status ilr(const VariablesView& in, const PartSubset& subset, const IlrBasis& basis,
           CompositionScratch& scratch, const VariablesOut& out) {
  return detail::ilr_isa(in, subset, basis, scratch, out, cpu::Isa::avx512);
}

Status detail::ilr_isa(const VariablesView& in, const PartSubset& subset, const IlrBasis& basis,
                       CompositionScratch& scratch, const VariablesOut& out, cpu::Isa allowed) {
  std::vector<std::int64_t> idx;
  if (Status s = resolve_subset(in, subset, idx, "ilr"); !s.ok) return s;
  const std::int64_t d = static_cast<std::int64_t>(idx.size());
  if (d < 2) return Status::Invalid("ilr: need at least 2 parts");
  if (basis.parts != d || static_cast<std::int64_t>(basis.v.size()) != d * (d - 1))
    return Status::Invalid("ilr: basis does not match the number of parts");
  if (Status s = detail::check_variables_io(in, out, d - 1, "ilr"); !s.ok) return s;
  const std::int64_t c = d - 1;
  const double* v = basis.v.data();
  const std::int64_t os = out.stride;
  return block_logs(
      in, idx, scratch,
      [&](const LogBlock& b) PROSPECTOR_ALWAYS_INLINE {
        // The contrasts sum to zero over the parts, so V^T ln(x) = V^T clr(x) without centring first.
        double z[kLogBlock];
        for (std::int64_t j = 0; j < c; ++j) {
          for (std::int64_t s = 0; s < b.len; ++s)
            z[s] = 0.0;
          for (std::int64_t k = 0; k < d; ++k) {
            const double vk = v[k * c + j];
#pragma omp simd
            for (std::int64_t s = 0; s < b.len; ++s)
              z[s] += vk * b.at(k, s);
          }
          float* o = out.var[static_cast<std::size_t>(j)] + b.i0 * os;
#pragma omp simd
          for (std::int64_t s = 0; s < b.len; ++s)
            o[s * os] = b.ok(s) ? static_cast<float>(z[s]) : kNaNf;
        }
      },
      allowed);
}

Status ilr_inverse(const VariablesView& coords, const IlrBasis& basis, const IlrInverseParams& params,
                   CompositionScratch& scratch, const VariablesOut& out) {
  const std::int64_t d = basis.parts, c = basis.parts - 1;
  if (d < 2 || static_cast<std::int64_t>(basis.v.size()) != d * c)
    return Status::Invalid("ilr_inverse: invalid basis");
  if (coords.vars() != c) return Status::Invalid("ilr_inverse: coordinates do not match the basis");
  if (!(std::isfinite(params.total) && params.total > 0.0))
    return Status::Invalid("ilr_inverse: total must be finite and > 0");
  if (Status s = detail::check_variables_io(coords, out, d, "ilr_inverse"); !s.ok) return s;

  const int threads = max_threads();
  ensure_size(scratch.work, static_cast<std::size_t>(threads) * static_cast<std::size_t>(d));
  double* work = scratch.work.data();
  const double* v = basis.v.data();
  const double total = params.total;
  const std::int64_t n = coords.n;
#pragma omp parallel num_threads(threads)
  {
    double* w = work + static_cast<std::size_t>(thread_id()) * static_cast<std::size_t>(d);
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) {
      bool ok = true;
      for (std::int64_t k = 0; k < d; ++k)
        w[k] = 0.0;
      for (std::int64_t j = 0; j < c && ok; ++j) {
        const float zj = coords.var[static_cast<std::size_t>(j)][i * coords.stride];
        if (!std::isfinite(zj)) {
          ok = false;
          break;
        }
        for (std::int64_t k = 0; k < d; ++k)
          w[k] += v[k * c + j] * static_cast<double>(zj);
      }
      if (!ok) {
        for (std::int64_t k = 0; k < d; ++k)
          out.var[static_cast<std::size_t>(k)][i * out.stride] = kNaNf;
        continue;
      }
      // Subtracting the largest clr value keeps exp() in range for extreme coordinates.
      double mx = w[0];
      for (std::int64_t k = 1; k < d; ++k)
        mx = std::max(mx, w[k]);
      double sum = 0.0;
      for (std::int64_t k = 0; k < d; ++k) {
        w[k] = std::exp(w[k] - mx);
        sum += w[k];
      }
      const double f = total / sum;
      for (std::int64_t k = 0; k < d; ++k)
        out.var[static_cast<std::size_t>(k)][i * out.stride] = static_cast<float>(w[k] * f);
    }
  }
  return Status::Ok();
}

} // namespace prospector::kernels
