#include "kernels/registry.hpp"

#include <algorithm>

namespace prospector::kernels {

// Defaults below mirror the default member initialisers of the Params structs in the kernel headers;
// registry_test.cpp checks that they agree.
const std::vector<KernelInfo>& kernel_registry() {
  static const std::vector<KernelInfo> registry = [] {
    std::vector<KernelInfo> r = {
        {"anomaly.ca_fractal",
         "Concentration-area (C-A) fractal thresholds at the breaks of log A(>= v) against log v.",
         "Cheng, Agterberg & Ballantyne (1994). For `thresholds` values on a logarithmic grid between the "
         "smallest and largest valid value (or `min_value` / `max_value`), A(>= v) is the number of valid "
         "cells (finite, > 0) with value >= v, counted exactly from per-block histograms. The points (log10 "
         "v, log10 A) with A >= `min_area` are fitted with `segments` (1 to 3) consecutive least-squares "
         "lines of at least `min_points` points each, trying every break position and keeping the smallest "
         "total SSE; with `weighted` each point is weighted by A ln(10)^2 (inverse Poisson variance of log10 "
         "A) so the sparse top of the curve does not dominate. The number of segments is not estimated (the "
         "cumulative counts have correlated residuals, which defeats BIC-type criteria). Reports the "
         "threshold at each break (first threshold of the upper population), where adjacent lines intersect, "
         "and the slopes (negative fractal dimensions). O(cells + thresholds^2), bit-identical for any "
         "thread count.",
         {{"thresholds", "integer", "100", "points of the logarithmic threshold grid (>= 4)"},
          {"min_value", "number", "0", "lowest threshold; <= 0 means the smallest valid value"},
          {"max_value", "number", "0", "highest threshold; <= 0 means the largest valid value"},
          {"segments", "integer", "2", "straight segments fitted (1 to 3)"},
          {"min_points", "integer", "4", "fewest thresholds per segment (>= 2)"},
          {"min_area", "number", "1", "thresholds with fewer cells above them are left out of the fit"},
          {"weighted", "integer", "1", "1: weight points by A (inverse Poisson variance); 0: ordinary fit"}}},
        {"anomaly.gi_star",
         "Getis-Ord Gi* hot-spot z-score in a square window, constant time per cell.",
         "Gi* = (sum_j w_ij x_j - Xbar W_i) / (S sqrt((n W_i - W_i^2) / (n - 1))) with binary weights over "
         "the valid cells of the (2 radius + 1)^2 window (the cell itself included, clipped at the edges), "
         "W_i their count, n, Xbar and S (population) over all valid cells (Ord & Getis 1995). Window sums "
         "come from summed-area tables of the count and of (x - Xbar) in double, so the cost is O(cells) "
         "whatever the radius and offset fields keep their precision; results are bit-identical for any "
         "thread count. NaN cells are excluded from every sum and give NaN; where the statistic is undefined "
         "(S = 0, or a window holding every valid cell) the output is 0.",
         {{"radius", "integer", "3", "half-width of the square window in cells (>= 1)"}}},
        {"anomaly.gi_star_exact",
         "Getis-Ord Gi* z-score, identical for any tiling (the pipeline's gi_star transform).",
         "The formula of anomaly.gi_star with the window sums of window.local_z_exact's exact fixed-point "
         "engine and the layer's n, Xbar and S given (from exact integer moments, ExactMoments), so a tile "
         "computed with a halo of `radius` cells equals the untiled result bit for bit, for any thread "
         "count: sum_j w_ij (x_j - Xbar) = S1 / scale + W_i (shift - Xbar) from the exact window sum S1 and "
         "count W_i. NaN cells and windows with fewer than `min_count` valid cells give NaN; where the "
         "statistic is undefined (S = 0, or a window holding every valid cell) the output is 0. O(cells) "
         "whatever the radius.",
         {{"radius", "integer", "10", "half-width of the square window in cells (>= 1)"},
          {"min_count", "integer", "3", "fewer valid cells in the window gives NaN"},
          {"shift", "number", "0", "subtracted before quantising (the global median)"},
          {"scale", "number", "1", "quantisation factor (fixed_point_scale of the largest deviation)"},
          {"n", "integer", "0", "the layer's valid cells (GiStarGlobal)"},
          {"mean", "number", "0", "the layer's mean"},
          {"std", "number", "0", "the layer's population standard deviation"}}},
        {"anomaly.mcd",
         "Robust mean and covariance of a band stack by FAST-MCD (Rousseeuw & Van Driessen 1999).",
         "Minimum Covariance Determinant over the cells where every band is finite: h = floor(2 n2 - n + 2 "
         "alpha (n - n2)), n2 = floor((n + p + 1) / 2). `starts` random (p + 1)-cell starts from a seeded "
         "SplitMix64 generator on a deterministic stratified sample of `max_search` cells (all cells when "
         "fewer), two C-steps each; the `keep` best are iterated to convergence, then C-steps continue on "
         "all cells. The raw covariance gets the consistency factor (h/n) / F_{p+2}(F_p^-1(h/n)); cells with "
         "squared distance <= F_p^-1(`reweight_quantile`) are then reweighted (factor q / "
         "F_{p+2}(F_p^-1(q))). Chi-square quantiles by bisection on the regularised incomplete gamma "
         "function. The result is a BandStatistics for anomaly.rx's mahalanobis_apply (robust RX). "
         "Bit-identical for any thread count; an exact fit (h cells on a hyperplane) is an error.",
         {{"alpha", "number", "0.5", "coverage in [0.5, 1]; 0.5 gives h = floor((n + p + 1) / 2)"},
          {"starts", "integer", "500", "random elemental starts"},
          {"keep", "integer", "10", "best starts iterated to convergence"},
          {"max_csteps", "integer", "100", "C-step limit per refinement"},
          {"max_search", "integer", "1500", "cells in the deterministic sample used for the search"},
          {"seed", "integer", "20240917", "seed of the SplitMix64 generator"},
          {"reweight_quantile", "number", "0.975", "chi-square quantile of the reweighting cutoff"},
          {"ridge", "number", "1e-9", "diagonal load for the inverse, relative to the mean variance"}}},
        {"anomaly.pca",
         "Principal component scores of a band stack, with explained variance.",
         "Mean and covariance (divisor count - 1) of the cells where every band is finite, by two passes of "
         "per-block partial sums (or given statistics, e.g. anomaly.mcd for robust PCA); with the "
         "correlation matrix each band is first divided by its standard deviation. Eigen's "
         "SelfAdjointEigenSolver gives the eigenpairs, sorted by decreasing eigenvalue; each eigenvector is "
         "signed so that its entry of largest magnitude is positive (lowest band index on ties). Scores = "
         "sum_b v_bk (x_b - mean_b) / scale_b for the first `components` components; a cell with any band "
         "not finite gives NaN. O(cells * bands^2), bit-identical for any thread count.",
         {{"components", "integer", "3", "score grids computed (at most the number of bands)"},
          {"matrix", "string", "correlation", "correlation (bands standardised) or covariance"}}},
        {"anomaly.rx",
         "Squared Mahalanobis distance of a band stack from its mean (Reed-Xiaoli anomaly detector).",
         "Estimates the mean vector and sample covariance (divisor count - 1) over the cells where every "
         "band "
         "is valid, in double precision with two passes (mean, then centred cross products) and per-block "
         "partial sums combined in a fixed order, so results are bit-identical for any thread count. A ridge "
         "of `ridge` times the mean variance is added to the diagonal before a Cholesky (LLT) factorisation "
         "gives the inverse. Each cell then receives (x - mean)^T inv_cov (x - mean), which follows a "
         "chi-square distribution with `bands` degrees of freedom for multivariate normal data. A cell where "
         "any band is NaN gives NaN. Fails when fewer than bands+1 cells are complete or the covariance is "
         "singular. Cost O(cells * bands^2) plus O(bands^3) for the inverse.",
         {{"ridge", "number", "1e-9", "diagonal load relative to the mean variance, keeps cov invertible"}}},
        {"distance.circular_density",
         "Density within a circle: the sum of a per-cell quantity within a radius over the circle's area.",
         "out = (sum of value over the cells whose centre lies within `radius` of the cell's centre) / (pi "
         "radius^2): with per-cell line lengths (distance.segment_lengths) the line density in length per "
         "unit area (ArcGIS Line Density), with per-cell point counts (distance.point_counts) the point "
         "density. Sums in double in a fixed offset order, so any thread count gives the same bits; cells "
         "outside the grid add nothing (callers pad the grid by the radius). O(cells * (radius / cell)^2), "
         "OpenMP-parallel over rows.",
         {{"cell", "number", "1", "cell size in map units"},
          {"radius", "number", "1", "search radius in map units (>= cell / 2)"}}},
        {"distance.edt",
         "Exact Euclidean distance transform of a feature mask (Felzenszwalb & Huttenlocher 2012).",
         "For every cell, cell times the distance from its centre to the centre of the nearest feature cell "
         "(0 on feature cells): a column pass of 1-D distances, then a row pass of the lower envelope of "
         "parabolas over the squared column distances, with squared distances as exact 64-bit integers, so "
         "the result equals the brute-force minimum bit for bit for any thread count. A mask without a "
         "feature gives NaN. O(cells), OpenMP-parallel over columns, then rows; buffers are allocated before "
         "the parallel regions.",
         {{"cell", "number", "1", "cell size in map units (> 0)"}}},
        {"distance.point_counts",
         "Points per cell of a grid.",
         "Adds 1 to the cell holding each point (x, y) in map coordinates; points outside the grid are "
         "dropped, points on an inner cell edge count for the cell east or south of it. Non-finite points "
         "are "
         "skipped. O(points), sequential.",
         {}},
        {"distance.segment_intersections",
         "Points where lines of different features cross or meet (fault intersections and junctions).",
         "Segments are sorted into square buckets; each pair of segments of different owners in a bucket "
         "is tested: non-parallel segments meet where their lines cross if that point lies on both within "
         "`tolerance` (so a fault ending just short of another still meets it; the point is put on the "
         "segment it ends on), parallel ones where an endpoint of one lies within `tolerance` of the other. "
         "A pair is reported only from the bucket holding its point; points are sorted and exact duplicates "
         "removed, so the result is deterministic. Sequential, O(n + bucket cells + candidate pairs).",
         {{"tolerance", "number", "0", "map units a line may end short of another and still meet it"},
          {"bucket", "number", "1", "bucket edge in map units (a few cells)"}}},
        {"distance.segment_lengths",
         "Length of line segments inside each cell of a grid.",
         "Each segment is clipped to the grid (Liang-Barsky) and cut at every cell edge it crosses; the "
         "length of each piece is added to the cell holding its midpoint, so a segment's pieces sum to its "
         "length inside the grid. Sequential in segment order (deterministic). O(segments + cells crossed).",
         {}},
        {"fuzzy.and",
         "Fuzzy AND: the minimum of the membership layers at each cell.",
         "out = min_k m_k (Bonham-Carter 1994): a cell is only as favourable as its weakest evidence. "
         "Memberships are clamped to [0, 1] and combined in double in layer order, so results do not depend "
         "on the thread count. With nodata = propagate a cell where any layer is NaN is NaN; with ignore "
         "the layers valid at the cell are combined and a cell is NaN only where none is valid. O(n * "
         "layers), OpenMP-parallel.",
         {{"nodata", "string", "propagate",
           "propagate: any NaN layer gives NaN; ignore: combine the valid layers"}}},
        {"fuzzy.category",
         "Membership of a categorical layer from a favourability table (class index -> membership).",
         "Each cell holds a class index (an integer stored as float, e.g. a rasterized geological unit); its "
         "membership is table[index], and `other` for a finite value that is not an index of the table "
         "(a unit the table does not list). Table entries and `other` lie in [0, 1] or are NaN (no evidence "
         "there). NaN in gives NaN out. Element-wise, O(n), OpenMP-parallel.",
         {{"other", "number", "0", "membership of classes the table does not list"}}},
        {"fuzzy.gamma",
         "Fuzzy gamma operator: (algebraic sum)^gamma * (algebraic product)^(1 - gamma).",
         "out = (1 - prod_k (1 - m_k))^gamma * (prod_k m_k)^(1 - gamma) (An et al. 1991, Bonham-Carter "
         "1994); gamma = 0 gives the algebraic product, gamma = 1 the algebraic sum, values in between "
         "trade the increasive sum against the decreasive product. Memberships are clamped to [0, 1] and "
         "combined in double in layer order, so results do not depend on the thread count. With nodata = "
         "propagate a cell where any layer is NaN is NaN; with ignore the layers valid at the cell are "
         "combined and a cell is NaN only where none is valid. O(n * layers), OpenMP-parallel.",
         {{"gamma", "number", "0.9", "exponent in [0, 1]: 0 = algebraic product, 1 = algebraic sum"},
          {"nodata", "string", "propagate",
           "propagate: any NaN layer gives NaN; ignore: combine the valid layers"}}},
        {"fuzzy.membership",
         "Maps evidence values to fuzzy membership in [0, 1] with a linear, large, small, logistic or "
         "gaussian function.",
         "Shapes as in ArcGIS Fuzzy Membership / Bonham-Carter (1994): linear ramps from 0 at `low` to 1 at "
         "`high` (reversed when low > high); large = 1 / (1 + (x / midpoint)^-spread) for x > 0, else 0; "
         "small = 1 / (1 + (x / midpoint)^spread) for x > 0, else 1; logistic = 1 / (1 + exp(-spread * "
         "(x - midpoint))), suited to z-scores; gaussian = exp(-spread * (x - midpoint)^2). Results are "
         "evaluated in double and clamped to [0, 1]. NaN in gives NaN out. Element-wise, O(n), "
         "OpenMP-parallel.",
         {{"shape", "string", "logistic", "one of linear, large, small, logistic, gaussian"},
          {"low", "number", "0", "linear: value with membership 0"},
          {"high", "number", "1", "linear: value with membership 1"},
          {"midpoint", "number", "0", "large, small, logistic, gaussian: centre of the function"},
          {"spread", "number", "1", "large, small, logistic, gaussian: steepness"}}},
        {"fuzzy.or",
         "Fuzzy OR: the maximum of the membership layers at each cell.",
         "out = max_k m_k (Bonham-Carter 1994): a cell is as favourable as its strongest evidence. "
         "Memberships are clamped to [0, 1] and combined in double in layer order, so results do not depend "
         "on the thread count. With nodata = propagate a cell where any layer is NaN is NaN; with ignore "
         "the layers valid at the cell are combined and a cell is NaN only where none is valid. O(n * "
         "layers), OpenMP-parallel.",
         {{"nodata", "string", "propagate",
           "propagate: any NaN layer gives NaN; ignore: combine the valid layers"}}},
        {"fuzzy.overlay",
         "Weighted mean of fuzzy membership layers over the layers valid at each cell.",
         "out = sum_k w_k m_k / sum_k w_k, the sums running over the layers whose membership is not NaN at "
         "the cell; weights are non-negative and given per layer. A cell whose valid layers carry less than "
         "`min_weight_fraction` of the total weight (or no weight at all) is NaN. The result is clamped to "
         "[0, 1]. Layers are combined in their given order, so results do not depend on the thread count. "
         "O(n * layers), OpenMP-parallel.",
         {{"min_weight_fraction", "number", "0.5",
           "minimum share of the total weight that must be valid at a cell"}}},
        {"fuzzy.product",
         "Fuzzy algebraic product of the membership layers at each cell.",
         "out = prod_k m_k (Bonham-Carter 1994); decreasive: never above the smallest membership. "
         "Memberships are clamped to [0, 1] and combined in double in layer order, so results do not depend "
         "on the thread count. With nodata = propagate a cell where any layer is NaN is NaN; with ignore "
         "the layers valid at the cell are combined and a cell is NaN only where none is valid. O(n * "
         "layers), OpenMP-parallel.",
         {{"nodata", "string", "propagate",
           "propagate: any NaN layer gives NaN; ignore: combine the valid layers"}}},
        {"fuzzy.sum",
         "Fuzzy algebraic sum 1 - prod_k (1 - m_k) of the membership layers at each cell.",
         "out = 1 - prod_k (1 - m_k) (Bonham-Carter 1994); increasive: never below the largest membership. "
         "Memberships are clamped to [0, 1] and combined in double in layer order, so results do not depend "
         "on the thread count. With nodata = propagate a cell where any layer is NaN is NaN; with ignore "
         "the layers valid at the cell are combined and a cell is NaN only where none is valid. O(n * "
         "layers), OpenMP-parallel.",
         {{"nodata", "string", "propagate",
           "propagate: any NaN layer gives NaN; ignore: combine the valid layers"}}},
        {"geochem.clr",
         "Centred log-ratio transform of compositions: clr_k = ln x_k - mean_l ln x_l.",
         "Over a chosen subset of parts of n samples (row-major sample arrays, part-major arrays or stacks "
         "of grids, one per part). Rows sum to zero and are unchanged by closure. A sample with any NaN, "
         "infinite or non-positive part in the subset gives NaN in every output. Element-wise in double, O(n "
         "D), OpenMP-parallel.",
         {}},
        {"geochem.ilr",
         "Isometric log-ratio coordinates (pivot coordinates or a sequential binary partition) and inverse.",
         "ilr(x) = V^T ln(x) with an orthonormal contrast matrix V (D x (D-1)): by default pivot coordinates "
         "z_j = sqrt((D-j)/(D-j+1)) ln(x_j / g(x_{j+1..D})) (Filzmoser et al. 2018), or the balances of a "
         "user sequential binary partition (Egozcue & Pawlowsky-Glahn 2005), checked to be orthonormal. "
         "Aitchison distances equal Euclidean distances between coordinates. The inverse returns C[exp(V z)] "
         "closed to `total`. Same layouts and nodata rule as geochem.clr; O(n D^2), OpenMP-parallel.",
         {{"total", "number", "1", "closure constant of the inverse (1, 100 for %, 1e6 for ppm)"}}},
        {"geochem.log",
         "Natural logarithm of a subset of composition parts, NaN for the whole sample if any part is "
         "invalid.",
         "out_k = ln x_k for the parts of the subset, in double. Unlike transform.log10 (value by value), a "
         "sample with any NaN, infinite or non-positive part gives NaN in all its outputs, the nodata rule "
         "of the log-ratio kernels. Same layouts as geochem.clr; O(n D), OpenMP-parallel.",
         {}},
        {"geochem.robust_standardise",
         "Per-variable robust standardisation (x - median) / (1.4826 MAD).",
         "For each variable (e.g. CLR or ILR coordinates) independently: median and median absolute "
         "deviation of its finite values by selection in double (even counts: mean of the two middle "
         "values), then (x - median) / (1.4826 MAD). NaN and infinite values are ignored and give NaN; a "
         "variable whose scale is below `min_scale` gives 0. O(n) expected per variable.",
         {{"min_scale", "number", "1e-12", "scale below this is treated as zero spread (output 0)"}}},
        {"geochem.substitute_censored",
         "Replaces below-detection (censored) values: DL/2, DL*sqrt(2)/2 or robust ROS.",
         "Values flagged censored carry their detection limit DL (limits may differ). half_dl gives DL * "
         "0.5, dl_sqrt2_over_2 gives DL * sqrt(2)/2; ros fits ln(detected) against normal quantiles of "
         "Hirsch-Stedinger plotting positions (robust regression on order statistics, Helsel 2005, any "
         "number of limits) and imputes min(DL, exp(a + b z)) at the censored positions, falling back to "
         "DL/2 with fewer than `min_detected` detected values. Detected values pass unchanged; NaN, "
         "non-positive values and invalid limits give NaN and are counted. O(n) or O(n log n) for ros.",
         {{"method", "string", "half_dl", "half_dl, dl_sqrt2_over_2 or ros"},
          {"min_detected", "integer", "3", "ros: fewer detected values fall back to DL/2"}}},
        {"model.logistic_fit",
         "L2-regularised logistic regression of deposit labels on evidence features, fitted by Newton/IRLS.",
         "Minimises (1/N) sum [log(1 + exp(eta)) - y eta] + (lambda / 2) |beta|^2 over the samples without "
         "NaN, with eta = beta_0 + sum_f beta_f z_f on features standardised internally (mean and "
         "population standard deviation; a constant feature gets scale 1) and the intercept not penalised. "
         "Newton steps are solved by LDLT with a backtracking line search, starting from the intercept-only "
         "model, until the largest coefficient change is below `tolerance` or `max_iterations` is reached. "
         "Returns the coefficients on the standardised and on the raw features. Sums over samples run per "
         "fixed block of rows and are combined in block order: deterministic and bit-identical for any "
         "thread count. lambda > 0 keeps separable data finite; with lambda = 0 a singular Hessian is an "
         "error. O(iterations * N * features^2).",
         {{"lambda", "number", "0.0001",
           "L2 penalty on the standardised coefficients (intercept free), >= 0"},
          {"tolerance", "number", "1e-08", "convergence: largest change of a standardised coefficient"},
          {"max_iterations", "integer", "100", "Newton iterations at most"}}},
        {"model.logistic_predict",
         "Probability of a fitted logistic model at every cell of a stack of feature grids.",
         "p = 1 / (1 + exp(-(beta_0 + sum_f beta_f (x_f - mean_f) / scale_f))) with the standardisation of "
         "the fit, evaluated in double per cell. A cell where any feature is NaN gives NaN. O(n * "
         "features), OpenMP-parallel.",
         {}},
        {"potential_field.analytic_signal",
         "Analytic signal amplitude sqrt(dx^2 + dy^2 + dz^2) of a potential field, by FFT.",
         "Spectral first derivatives i kx, i ky and |k| (x east, y north, z down, row 0 north) of one "
         "forward transform, after removing a least-squares plane whose constant gradient is added back to "
         "d/dx and d/dy; units of the input per metre. FFTW single precision in a reusable "
         "PotentialFieldPlan (nothing allocated per call); the grid is padded to a 2^a 3^b 5^c 7^d size >= "
         "n + 2 max(min_pad, pad_fraction n) with its mirror image under a cosine taper to zero; NaN holes "
         "are filled for the transform (push-pull pyramid, then fill_iterations red-black Gauss-Seidel "
         "Laplace sweeps) and are NaN in the output; row and column-block FFTs shared over OpenMP make "
         "results bit-identical for any thread count. O(N log N) in the padded size.",
         {{"pad_fraction", "number", "0.25", "pad width per side as a fraction of the grid dimension"},
          {"min_pad", "integer", "16", "minimum pad width per side in cells"},
          {"fill_iterations", "integer", "100", "Gauss-Seidel sweeps smoothing the filled nodata holes"}}},
        {"potential_field.pseudo_gravity",
         "Pseudo-gravity (mGal) of a total-field magnetic anomaly (nT) by Poisson's relation.",
         "The reduction-to-pole operator (potential_field.rtp) divided by |k| and scaled by 1e3 G "
         "density_magnetisation_ratio (G = 6.6743e-11): the vertical gravity of a body with that density "
         "contrast / magnetisation ratio (Baranov 1957). Only the mean is removed, and H(0) = 0: the output "
         "is defined up to a constant. FFTW single precision in a reusable PotentialFieldPlan (nothing "
         "allocated per call); the grid is padded to a 2^a 3^b 5^c 7^d size >= n + 2 max(min_pad, "
         "pad_fraction n) with its mirror image under a cosine taper to zero; NaN holes are filled for the "
         "transform (push-pull pyramid, then fill_iterations red-black Gauss-Seidel Laplace sweeps) and are "
         "NaN in the output; row and column-block FFTs shared over OpenMP make results bit-identical for "
         "any thread count. O(N log N) in the padded size.",
         {{"inclination_deg", "number", "90", "field inclination, degrees, positive down"},
          {"declination_deg", "number", "0", "field declination, degrees east of grid north"},
          {"amplitude_inclination_deg", "number", "20", "low-latitude floor on |I| in the amplitude term"},
          {"density_magnetisation_ratio", "number", "1000",
           "density contrast / magnetisation, (kg/m^3) / (A/m)"},
          {"pad_fraction", "number", "0.25", "pad width per side as a fraction of the grid dimension"},
          {"min_pad", "integer", "16", "minimum pad width per side in cells"},
          {"fill_iterations", "integer", "100", "Gauss-Seidel sweeps smoothing the filled nodata holes"}}},
        {"potential_field.rtp",
         "Reduction to the pole of a total-field magnetic anomaly (induced magnetisation), low-latitude "
         "stabilised.",
         "H = conj(theta)^2 / (|theta|^2 |theta_a|^2), theta = sin I + i cos I (kx sin D + ky cos D) / |k| "
         "(x east, y north, I positive down, D east of north), theta_a the same with the amplitude "
         "inclination max(|I|, amplitude_inclination_deg): exactly 1 / theta^2 when |I| is at or above the "
         "floor; below it the phase is exact and the gain bounded by 1 / sin^2(floor) (MacLeod, Jones & Dai "
         "1993). The output is the anomaly at the pole (I = +90 and -90 give the same). The mean is removed "
         "and added back (H(0) = 1); remove a regional field first. FFTW single precision in a reusable "
         "PotentialFieldPlan (nothing allocated per call); the grid is padded to a 2^a 3^b 5^c 7^d size >= "
         "n + 2 max(min_pad, pad_fraction n) with its mirror image under a cosine taper to zero; NaN holes "
         "are filled for the transform (push-pull pyramid, then fill_iterations red-black Gauss-Seidel "
         "Laplace sweeps) and are NaN in the output; row and column-block FFTs shared over OpenMP make "
         "results bit-identical for any thread count. O(N log N) in the padded size.",
         {{"inclination_deg", "number", "90", "field inclination, degrees, positive down"},
          {"declination_deg", "number", "0", "field declination, degrees east of grid north"},
          {"amplitude_inclination_deg", "number", "20", "low-latitude floor on |I| in the amplitude term"},
          {"pad_fraction", "number", "0.25", "pad width per side as a fraction of the grid dimension"},
          {"min_pad", "integer", "16", "minimum pad width per side in cells"},
          {"fill_iterations", "integer", "100", "Gauss-Seidel sweeps smoothing the filled nodata holes"}}},
        {"potential_field.tilt_derivative",
         "Tilt derivative atan2(VDR, THG) of a potential field in radians, by FFT.",
         "Miller & Singh (1994): the angle, in [-pi/2, pi/2], of the first vertical derivative (|k|, z "
         "down) against the total horizontal gradient (spectral i kx, i ky), after removing a least-squares "
         "plane whose constant gradient is added back to the horizontal derivatives. FFTW single precision "
         "in a reusable PotentialFieldPlan (nothing allocated per call); the grid is padded to a 2^a 3^b "
         "5^c 7^d size >= n + 2 max(min_pad, pad_fraction n) with its mirror image under a cosine taper to "
         "zero; NaN holes are filled for the transform (push-pull pyramid, then fill_iterations red-black "
         "Gauss-Seidel Laplace sweeps) and are NaN in the output; row and column-block FFTs shared over "
         "OpenMP make results bit-identical for any thread count. O(N log N) in the padded size.",
         {{"pad_fraction", "number", "0.25", "pad width per side as a fraction of the grid dimension"},
          {"min_pad", "integer", "16", "minimum pad width per side in cells"},
          {"fill_iterations", "integer", "100", "Gauss-Seidel sweeps smoothing the filled nodata holes"}}},
        {"potential_field.derivative_x",
         "Horizontal derivative df/dx (x east) of a potential field, by FFT.",
         "Spectral derivative i kx after the plan's detrend (by default a least-squares plane, whose "
         "constant "
         "gradient is added back) and padding; units of the input per metre. Same plan, padding, hole fill "
         "and determinism as potential_field.total_horizontal_gradient.",
         {}},
        {"potential_field.derivative_y",
         "Horizontal derivative df/dy (y north) of a potential field, by FFT.",
         "Spectral derivative i ky (row 0 north) after the plan's detrend and padding, the removed plane's "
         "gradient added back; units of the input per metre. As potential_field.derivative_x.",
         {}},
        {"potential_field.total_horizontal_gradient",
         "Total horizontal gradient sqrt((df/dx)^2 + (df/dy)^2) of a potential field, by FFT.",
         "Spectral derivatives i kx and i ky (x east, y north, row 0 north), after removing a least-squares "
         "plane whose constant gradient is added back; units of the input per metre. FFTW single precision "
         "in a reusable PotentialFieldPlan (nothing allocated per call); the grid is padded to a 2^a 3^b "
         "5^c 7^d size >= n + 2 max(min_pad, pad_fraction n) with its mirror image under a cosine taper to "
         "zero; NaN holes are filled for the transform (push-pull pyramid, then fill_iterations red-black "
         "Gauss-Seidel Laplace sweeps) and are NaN in the output; row and column-block FFTs shared over "
         "OpenMP make results bit-identical for any thread count. O(N log N) in the padded size.",
         {{"pad_fraction", "number", "0.25", "pad width per side as a fraction of the grid dimension"},
          {"min_pad", "integer", "16", "minimum pad width per side in cells"},
          {"fill_iterations", "integer", "100", "Gauss-Seidel sweeps smoothing the filled nodata holes"}}},
        {"potential_field.upward_continuation",
         "Upward continuation of a potential field by a height in metres, by FFT.",
         "H = exp(-|k| height). A least-squares plane is removed first and added back unchanged (a plane "
         "continues to itself). FFTW single precision in a reusable PotentialFieldPlan (nothing allocated "
         "per call); the grid is padded to a 2^a 3^b 5^c 7^d size >= n + 2 max(min_pad, pad_fraction n) "
         "with its mirror image under a cosine taper to zero; NaN holes are filled for the transform "
         "(push-pull pyramid, then fill_iterations red-black Gauss-Seidel Laplace sweeps) and are NaN in "
         "the output; row and column-block FFTs shared over OpenMP make results bit-identical for any "
         "thread count. O(N log N) in the padded size.",
         {{"height", "number", "100", "continuation height in metres (>= 0)"},
          {"pad_fraction", "number", "0.25", "pad width per side as a fraction of the grid dimension"},
          {"min_pad", "integer", "16", "minimum pad width per side in cells"},
          {"fill_iterations", "integer", "100", "Gauss-Seidel sweeps smoothing the filled nodata holes"}}},
        {"potential_field.vertical_derivative",
         "Vertical derivative (z down) of a potential field, |k|^order, by FFT.",
         "H = |k|^order: order 1 is the first vertical derivative, positive over a positive source; "
         "fractional orders up to 4 are allowed. A least-squares plane is removed and dropped (a plane has "
         "no vertical derivative). FFTW single precision in a reusable PotentialFieldPlan (nothing "
         "allocated per call); the grid is padded to a 2^a 3^b 5^c 7^d size >= n + 2 max(min_pad, "
         "pad_fraction n) with its mirror image under a cosine taper to zero; NaN holes are filled for the "
         "transform (push-pull pyramid, then fill_iterations red-black Gauss-Seidel Laplace sweeps) and are "
         "NaN in the output; row and column-block FFTs shared over OpenMP make results bit-identical for "
         "any thread count. O(N log N) in the padded size.",
         {{"order", "number", "1", "derivative order in (0, 4]"},
          {"pad_fraction", "number", "0.25", "pad width per side as a fraction of the grid dimension"},
          {"min_pad", "integer", "16", "minimum pad width per side in cells"},
          {"fill_iterations", "integer", "100", "Gauss-Seidel sweeps smoothing the filled nodata holes"}}},
        {"stats.merged",
         "Exact k-th smallest value, median, MAD and top-fraction threshold over sorted per-tile runs.",
         "Each tile keeps its valid values sorted. The k-th smallest value of their union is found by a "
         "binary "
         "search over the totally ordered float32 bit patterns, counting values <= candidate in every run by "
         "binary search: O(runs log n) per step, 32 steps, touching few pages of memory-mapped runs. The MAD "
         "is the median of |x - median| in double, found the same way over [m - t, m + t] counts. Order "
         "statistics are unique, so the result is the same for any tiling.",
         {}},
        {"stats.robust_location",
         "Median and median absolute deviation (MAD) of the valid cells of a grid.",
         "Selects the median exactly (the mean of the two middle values for an even count), then the median "
         "of the absolute deviations the same way, by parallel radix selection on order-preserving keys: a "
         "pass for the smallest and largest key, a histogram pass per digit of the bits that vary, and once "
         "the chosen bin holds few cells a pass that gathers them into a scratch buffer for the remaining "
         "digits. Reports median, raw MAD, scale = 1.4826 * MAD (consistent with the standard deviation for "
         "normal data) and the valid count. NaN cells are ignored; a grid without valid cells is an error. "
         "O(n) time, OpenMP-parallel, the same result for any thread count; scratch at most the valid count.",
         {}},
        {"stats.robust_z",
         "Robust z-score (x - median) / (1.4826 * MAD) per cell.",
         "Uses the median and scale from stats.robust_location. Where the spread is degenerate (scale at "
         "most "
         "`rel_floor` * |median| or `min_scale`: a constant field, one sample, a binary map whose MAD is 0) "
         "no z-score exists and every cell is NaN. NaN in gives NaN out. Element-wise in double, O(n), "
         "OpenMP-parallel and bit-identical for any thread count.",
         {{"rel_floor", "number", "9.5367431640625e-07",
           "spread relative to |median| at or below which the layer is degenerate (2^-20: float32 rounding)"},
          {"min_scale", "number", "1.1754943508222875e-38",
           "absolute scale at or below which the layer is degenerate (smallest normal float32)"}}},
        {"targets.label_components",
         "Labels 8-connected components of the cells at or above a threshold.",
         "Cells with value >= threshold qualify; NaN never does. A raster-order union-find pass (path "
         "halving, the smallest cell index as root) joins each cell to its west, north-west, north and "
         "north-east neighbours, then a second pass numbers components 1..n in the raster order of their "
         "first cell, so the labelling is deterministic. Background is 0. O(n * alpha(n)) time, O(n) memory.",
         {}},
        {"targets.outline_cells",
         "Outlines a set of raster cells as valid OGC polygons (exterior and holes).",
         "One polygon per 4-connected group of cells, so cells that touch only at a corner become separate "
         "polygons meeting at one point. Boundary edges run clockwise around each cell on the raster "
         "(anticlockwise on a north-up map); at a corner where two diagonal cells of one group meet, the "
         "ring turns so that it bounds a single piece of background, which keeps every ring simple and "
         "lets a hole touch the exterior or another hole at that vertex, as OGC allows. Only turning "
         "vertices are kept. O(cells) time and memory.",
         {}},
        {"targets.representative_cell",
         "A cell of a mask nearest the mean of its cell centres, whose centre lies inside the outline.",
         "The mean of the set cells' centres, then the set cell nearest to it (ties: first in raster "
         "order). Unlike the centroid, its centre is always inside the target's polygons. O(cells).",
         {}},
        {"targets.top_fraction_threshold",
         "Threshold that keeps a given top fraction of the valid cells.",
         "With k = max(1, ceil(top_fraction * valid count)) (nearest rank), returns the k-th largest valid "
         "value, so at least a fraction top_fraction of the valid cells are >= it; ties at the threshold are "
         "all included. NaN cells are ignored. Fails when no cell is valid or top_fraction is outside (0, "
         "1]. "
         "O(n) expected time by selection, O(valid) scratch.",
         {{"top_fraction", "number", "0.02", "fraction of valid cells to keep, in (0, 1]"}}},
        {"transform.log10",
         "Base-10 logarithm of values plus an offset, for log-normal geochemical concentrations.",
         "out = log10(x + offset) in double where x + offset > 0. NaN and non-positive values give NaN, and "
         "the number of finite non-positive values is reported so censored or zero assays can be flagged. "
         "Works on any contiguous array (grid cells or point values). O(n), OpenMP-parallel.",
         {{"offset", "number", "0", "added before the log, for data that contain zeros"}}},
        {"validation.blocked_folds",
         "Spatially blocked k-fold assignment of deposits for cross-validated prediction-rate curves.",
         "Deposits are grouped into square blocks of `block_size` cells (row / block_size, col / "
         "block_size); every deposit of a block gets the same fold. Blocks are taken by descending deposit "
         "count (ties by a hash of the block coordinates and `seed`, then by the coordinates) and each goes "
         "to the fold with the fewest deposits so far, which balances the folds to within the size of the "
         "largest block. Deterministic. Fails when fewer blocks hold deposits than there are folds. Callers "
         "train on k - 1 folds and draw the prediction-rate curve of the held-out fold. O(m log m) for m "
         "deposits.",
         {{"block_size", "integer", "32", "side of the square blocks in cells (>= 1)"},
          {"folds", "integer", "5", "number of folds k (>= 2)"},
          {"seed", "integer", "0", "changes the order among blocks with equal deposit counts"}}},
        {"validation.rate_curve",
         "Success-rate / prediction-rate curve of a score grid against deposit cells, its AUC and capture "
         "efficiency.",
         "Ranks the valid (non-NaN) cells by descending score and returns the fraction of deposits captured "
         "against the fraction of valid area, from (0, 0) to (1, 1). All cells sharing a score form one "
         "group crossed on a straight line (the expectation over orderings within ties, independent of cell "
         "order). AUC by the trapezoid rule, equal to the Mann-Whitney statistic with ties counted half. "
         "Capture efficiency reads the share of deposits in the top fraction a of the area off the curve. "
         "Deposits on NaN cells are left out and counted. Only the deposit scores are sorted; the cells are "
         "binned against them in one OpenMP pass with exact integer counts: O(n log m) for m deposits, "
         "independent of the thread count.",
         {}},
        {"window.local_z",
         "Moving-window mean, standard deviation and z-score in constant time per cell.",
         "The exact engine of window.local_z_exact with the shift and scale taken from the grid itself: "
         "shift = the mid-range of the valid values, scale = 2^24 over half the range (a power of two), so "
         "values are quantised in steps of at most 2^-23 of the half-range and fields on a large offset keep "
         "their variance precision. Bit-identical for any thread count; O(cells) whatever the radius. Only "
         "valid cells are counted; a NaN cell or a window with fewer than `min_count` valid cells gives NaN; "
         "a window whose population standard deviation is below `min_std` gives z = 0; an infinite value is "
         "an error.",
         {{"radius", "integer", "10", "half-width of the square window in cells (>= 1)"},
          {"min_count", "integer", "3", "fewer valid cells in the window gives NaN"},
          {"min_std", "number", "1e-12", "window standard deviation below this gives z = 0"}}},
        {"window.local_z_exact",
         "Moving-window mean, standard deviation and z-score, identical for any tiling.",
         "Values are quantised to fixed point, q = round((x - shift) * scale), with a shift and power-of-two "
         "scale shared by every tile (the global median, and 2^24 over the largest deviation), and summed in "
         "exact integers: each thread slides per-column count, sum and sum of squares down its band of rows "
         "(one row entering and one leaving per output row, quantised rows kept in a small ring) and the "
         "window sums along each row, so only the input and the output cross memory. Integer sums do not "
         "depend on the origin, so a tile computed with a halo of `radius` cells equals the untiled result "
         "bit for bit, for any thread count; n*S2 - S1^2 is formed exactly in 128 bits, so a field on a "
         "large offset keeps its variance. O(cells) whatever the radius. NaN cells, and windows with fewer "
         "than `min_count` valid cells, give NaN.",
         {{"radius", "integer", "10", "half-width of the square window in cells (>= 1)"},
          {"min_count", "integer", "3", "fewer valid cells in the window gives NaN"},
          {"min_std", "number", "1e-12", "window standard deviation below this gives z = 0"},
          {"shift", "number", "0", "subtracted before quantising (the global median)"},
          {"scale", "number", "1", "quantisation factor (fixed_point_scale of the largest deviation)"}}},
        {"wofe.ci_test",
         "Agterberg-Cheng conditional-independence test of a weights-of-evidence posterior.",
         "Groups the study-area cells into unique conditions (class combinations; nodata is its own state), "
         "computes each condition's posterior P_k and var(P_k) as wofe.posterior does, and compares the "
         "predicted deposit count T = sum_k A_k P_k (unit cell area) with the observed n: s2(T) = sum_k "
         "A_k^2 var(P_k) (cells of one condition fully correlated, conditions independent), z = (T - n) / "
         "s(T), one-sided p = P(Z >= z), and the ratio n / T (below about 0.85 suggests conditional "
         "dependence). Sequential, O(N log N) for sorting the condition codes.",
         {}},
        {"wofe.posterior",
         "Weights-of-evidence posterior probability and its variance per cell.",
         "logit = ln(N(D) / (N(T) - N(D))) + the sum over layers of the generalised weight of the cell's "
         "class (W+ / W- for binary layers; a nodata layer adds 0), P = 1 / (1 + exp(-logit)). Variance due "
         "to the prior and the weights: var(logit) = 1/N(D) + sum s2(W), propagated by the delta method "
         "var(P) = (P (1 - P))^2 var(logit). The prior is taken over the study area (all cells by default); "
         "cells outside it are NaN. Double per cell, OpenMP-parallel, O(n * layers).",
         {}},
        {"wofe.table",
         "ArcSDM-style weights table of any class layer: W+, W-, C, s(C), C/s(C) per row, generalised.",
         "Counts cells and training points per class code (areas in unit cells: a grid cell is cell area / "
         "unit area; points counted with multiplicity; negative codes are missing data and leave the "
         "totals). Row patterns: binary (class 1), categorical and unique (each class), cumulative "
         "ascending (codes <= the row's) or descending (codes >= the row's). Weights per pattern with "
         "ArcSDM's MakeWts traps (no point: zeros; all points: db - 0.99; b = s + db - ds - 0.01) or EIS "
         "Toolkit's. Generalisation: cumulative tables cut at the row of maximum contrast among rows whose "
         "C/s(C) reaches the confidence (ArcSDM), at the maximum C/s(C), or at a chosen class, giving "
         "class 2 (W+) inside and 1 (W-) outside; categorical tables keep classes with |C/s(C)| >= "
         "confidence and pool the rest into class 99 (W+ of the pooled counts). A table no row of which "
         "reaches the confidence is invalid and stays out of responses. Exact integer counts, "
         "OpenMP-parallel, O(n + classes).",
         {{"type", "string", "categorical", "binary, categorical, ascending, descending or unique"},
          {"generalise", "string", "max_contrast", "max_contrast, max_studentized or manual"},
          {"confidence", "number", "2", "gate on the studentized contrast"},
          {"unit_cells", "number", "1", "unit cells per grid cell (cell area / unit area)"},
          {"traps", "string", "arcsdm", "zero-count traps: arcsdm or eis"}}},
        {"wofe.response",
         "Posterior probability, its deviations, missing-data variance and confidence from weights tables.",
         "logit = ln(p0 / (1 - p0)) + the sum of each layer's generalised weight at the cell (p0 = N(D) / "
         "N(T) in unit cells; missing data add 0). s(P) = sqrt(P^2 (1/N(D) + sum s2(W))) as ArcSDM and EIS "
         "Toolkit (or the delta method P (1 - P) sqrt(..)); missing-data variance sum over missing layers of "
         "sum over their generalised classes of (P_g - P)^2 A_g / A_data (ArcSDM's MissingDataVar); total "
         "deviation sqrt(s2(P) + md variance), confidence P / total. Also the Agterberg-Cheng test: T = sum "
         "P (unit cells), s2(T) = sum over unique conditions (A_k s(P_k))^2. OpenMP per cell, O(n layers).",
         {{"std", "string", "arcsdm", "arcsdm (P^2 approximation) or delta"},
          {"missing_variance", "string", "true", "add the missing-data variance to the total deviation"}}},
        {"wofe.pair_test",
         "Pairwise chi-square conditional-independence test of two binary patterns over training points.",
         "The 2x2 table of training points by presence in pattern a and pattern b (points missing in either "
         "left out) against the counts expected from its margins; chi2 with one degree of freedom and its "
         "upper-tail p-value (Bonham-Carter 1994). Undefined when a pattern holds all or none of the points.",
         {}},
        {"wofe.weights",
         "Weights of evidence (Bonham-Carter 1994) of a binary or multi-class evidence layer against "
         "deposit cells.",
         "Unit cell: counts are cells, one deposit per cell. For every class B_j against all other valid "
         "classes: W+ = ln[P(B|D) / P(B|~D)], W- = ln[P(~B|D) / P(~B|~D)], contrast C = W+ - W-, s2(W+) = "
         "1/N(B&D) + 1/N(B&~D), s2(W-) = 1/N(~B&D) + 1/N(~B&~D), s(C) = sqrt(s2(W+) + s2(W-)) and the "
         "studentized contrast C / s(C); W+ of a class is its generalised weight. With `zero_class` arcsdm "
         "(ArcSDM's convention) a class without deposits gets W+ = s(W+) = 0 and a class holding every "
         "deposit W- = s(W-) = 0, with C = s(C) = C/s(C) = 0; other zero counts, and with `zero_class` "
         "continuity every zero count, are replaced by `continuity` (totals recomputed). Either keeps every "
         "weight finite; the class is flagged (no deposits, all deposits, only deposits, all non-deposits, "
         "weight set to 0, corrected; empty classes get zeros). Cells with a negative class code (nodata) "
         "or outside the study area are ignored. OpenMP counting with exact integers, O(n + classes).",
         {{"zero_class", "string", "arcsdm",
           "arcsdm: a weight with no deposit to estimate it is 0; continuity: the zero count is replaced"},
          {"continuity", "number", "0.5", "value replacing a zero count of the 2x2 table (> 0)"}}},
    };
    std::sort(r.begin(), r.end(), [](const KernelInfo& a, const KernelInfo& b) { return a.name < b.name; });
    return r;
  }();
  return registry;
}

const KernelInfo* find_kernel(const std::string& name) {
  const auto& r = kernel_registry();
  auto it = std::lower_bound(r.begin(), r.end(), name,
                             [](const KernelInfo& k, const std::string& n) { return k.name < n; });
  return (it != r.end() && it->name == name) ? &*it : nullptr;
}

} // namespace prospector::kernels
