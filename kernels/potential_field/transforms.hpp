#pragma once
/// \file transforms.hpp
/// Kernel family `potential_field.*`: wavenumber-domain transforms of gridded potential-field data (total
/// magnetic intensity, gravity): reduction to the pole, upward continuation, vertical derivative, total
/// horizontal gradient, tilt derivative, analytic signal amplitude and pseudo-gravity.
///
/// Coordinates and wavenumbers. Row 0 is the northern row; x points east (increasing column), y points north
/// (decreasing row) and z is positive down for every vertical derivative, so the vertical derivative of a
/// positive anomaly is positive over its source. A grid value f(x, y) is expanded as
/// sum F(kx, ky) exp(+i (kx x + ky y)), with kx = 2 pi m / (Nx dx) and ky = -2 pi n / (Ny dy) for FFT column
/// index m and row index n (the minus sign because rows run south); |k| = sqrt(kx^2 + ky^2) in rad/m. Hence
/// d/dx = i kx, d/dy = i ky, d/dz = |k| and upward continuation by h is exp(-|k| h). At the Nyquist row and
/// column each operator is replaced by the mean of its values at +k and -k, which keeps the output real (and
/// zeroes odd derivatives there).
///
/// Preparing the grid (every transform does this in the plan's buffers, nothing is allocated). Steps 1 and 3
/// describe the defaults (PfDetrend::Auto, PfPadding::Mirror); PotentialFieldPlanParams can ask instead for
/// no detrend, the mean or the plane for every transform, and for GMT grdfft's edge-point symmetric pad
/// (f(-m) = 2 f(0) - f(m), taper 0.5 (1 + cos(pi m / (P + 1))) over each pad of P cells, pad rows formed from
/// the x-padded rows and transformed like grid rows). Whatever was removed is restored as below.
/// 1. Upward continuation and the derivatives remove a least-squares plane through the valid cells, so that a
///    regional gradient does not turn into a triangle wave in the mirrored pad (whose kinks ring in every
///    derivative: with only the mean removed, a regional gradient gave a 150% error in the vertical
///    derivative test). Upward continuation adds the plane back unchanged; d/dx and d/dy add its constant
///    gradient; the vertical derivative drops it (a plane has no vertical derivative). Reduction to the pole
///    and pseudo-gravity remove only the mean: the best-fitting plane of a dipolar anomaly is part of the
///    signal the operator must transform (passing it through unchanged made the reduction-to-pole test error
///    15 times larger); remove a regional field before these two. The reduction to the pole adds the mean
///    back (H(0) = 1), pseudo-gravity drops it.
/// 2. Nodata holes are filled for the transform only: a push-pull pyramid (each coarser level holds the mean
///    of the valid cells below it, then every hole takes the bilinear interpolation of the next coarser
///    level, so holes of any size are filled in O(cells)), then `fill_iterations` red-black Gauss-Seidel
///    sweeps of the Laplace equation over the hole cells smooth the fill, with the valid cells as fixed
///    boundary values. Cells that were NaN (or +-inf) on input are NaN on output.
/// 3. The grid is padded to Nx x Ny, each the smallest 2^a 3^b 5^c 7^d >= n + 2 pad with
///    pad = max(min_pad, ceil(pad_fraction * n)) per axis, the extra split evenly between the two sides. The
///    pad holds the mirror image of the grid (even symmetry about the grid edge: the first pad cell repeats
///    the edge cell) multiplied by a cosine taper 0.5 (1 + cos(pi d / P)), d = 1..P being the distance into
///    a pad of width P, reaching 0 at the outer edge (the pads of opposite edges meet at the wrap-around of
///    the periodic continuation that the FFT assumes). The padded field is thus continuous everywhere, with
///    slope changes only where the (detrended) field has an edge slope, so map edges do not ring.
///
/// Every transform checks that the grids match the plan's size, that dx, dy > 0 (metres) and its parameters;
/// `out` may be the same buffer as `in`. A grid without any valid cell gives an all-NaN output.
///
/// FFT and determinism. FFTW3 single precision. 2-D transforms are done as 1-D passes: real-to-complex FFTs
/// of the padded rows that hold grid cells (each pad row is taper_y times the grid row it mirrors, so by
/// linearity its spectrum is taper_y times that row's spectrum and is read from there), then complex FFTs of
/// blocks of 8 spectrum columns (the last block narrower), each block copied into a per-thread scratch as
/// contiguous columns, where its forward FFT, the operator and its inverse FFT run in cache, then
/// complex-to-real FFTs of the rows that hold grid cells. The operators are evaluated a column at a time in
/// plain float arithmetic (exp and atan as polynomials, not library calls), which vectorises. The rows and
/// column blocks are shared out over OpenMP threads, while each 1-D plan is single-threaded and created once
/// with FFTW_ESTIMATE: FFTW's own multithreading and FFTW_MEASURE (which chooses algorithms by timing them,
/// about 1.5x faster here) give no documented guarantee that the floating-point operations are the same from
/// run to run or for another thread count. This way each row and each column block always sees the same
/// arithmetic, so results are bit-identical for any thread count. FFTW's planner is not thread-safe: plans
/// are created and destroyed under one mutex; executing them concurrently is safe.
///
/// Cost: O(Nx Ny log(Nx Ny)); the operators with several derivatives (total horizontal gradient, tilt,
/// analytic signal) run one forward and two or three inverse transforms.
///
/// Code: plan.hpp holds the workspace (PotentialFieldPlan); prepare.cpp steps 1 to 3, spectral.hpp the FFT
/// passes (plan_impl.hpp: the plan's internals) and transforms.cpp the operators.

#include "kernels/potential_field/plan.hpp"
#include "kernels/views.hpp"

#include <cstdint>

namespace prospector::kernels {

/// Parameters of `potential_field.rtp`.
struct RtpParams {
  double inclination_deg = 90.0;           ///< geomagnetic field inclination, degrees, positive down
  double declination_deg = 0.0;            ///< geomagnetic field declination, degrees east of grid north
  double amplitude_inclination_deg = 20.0; ///< low-latitude stabilisation: floor on |I| in the amplitude term
};

/// Parameters of `potential_field.upward_continuation`.
struct UpwardContinuationParams {
  double height = 100.0; ///< continuation height in metres (>= 0)
};

/// Parameters of `potential_field.vertical_derivative`.
struct VerticalDerivativeParams {
  double order = 1.0; ///< derivative order (> 0; |k|^order, fractional orders allowed)
};

/// Parameters of `potential_field.pseudo_gravity`.
struct PseudoGravityParams {
  RtpParams rtp;                               ///< field direction and low-latitude stabilisation
  double density_magnetisation_ratio = 1000.0; ///< density contrast / magnetisation, (kg/m^3) / (A/m)
};

/// Reduction to the pole of a total-field magnetic anomaly, assuming magnetisation parallel to the present
/// field (induced). With the field direction f = (cos I sin D, cos I cos D, sin I) (east, north, down) and
/// theta(k) = sin I + i cos I (kx sin D + ky cos D) / |k|, the operator is
/// H = conj(theta)^2 / (|theta|^2 |theta_a|^2), theta_a being theta evaluated with the amplitude inclination
/// Ia = max(|I|, amplitude_inclination_deg). For |I| >= Ia this is exactly 1 / theta^2, the pole operator;
/// at low latitudes the phase is still exact but the gain is bounded by 1 / sin^2(Ia) instead of growing
/// without limit where k is perpendicular to the declination (the amplitude correction of MacLeod, Jones and
/// Dai 1993). The output is the anomaly the same body would give at the pole (I = +90 or -90: the field and
/// magnetisation reverse together, the anomaly is the same), in the input units. H(0) = 1.
Status reduce_to_pole(ConstGridView in, double dx, double dy, const RtpParams& params,
                      PotentialFieldPlan& plan, GridView out);

/// Upward continuation by `height` metres: H = exp(-|k| height), H(0) = 1.
Status upward_continuation(ConstGridView in, double dx, double dy, const UpwardContinuationParams& params,
                           PotentialFieldPlan& plan, GridView out);

/// Vertical derivative (z down) of order `order`: H = |k|^order; units of the input per metre^order.
Status vertical_derivative(ConstGridView in, double dx, double dy, const VerticalDerivativeParams& params,
                           PotentialFieldPlan& plan, GridView out);

/// Total horizontal gradient sqrt((df/dx)^2 + (df/dy)^2), both derivatives spectral (i kx, i ky); units of
/// the input per metre.
Status total_horizontal_gradient(ConstGridView in, double dx, double dy, PotentialFieldPlan& plan,
                                 GridView out);

/// Horizontal derivatives df/dx (x east) and df/dy (y north), spectral (i kx, i ky), with the removed
/// plane's constant gradient added back; units of the input per metre.
Status derivative_x(ConstGridView in, double dx, double dy, PotentialFieldPlan& plan, GridView out);
Status derivative_y(ConstGridView in, double dx, double dy, PotentialFieldPlan& plan, GridView out);

/// Tilt derivative atan2(VDR, THG) in radians, in [-pi/2, pi/2] (Miller and Singh 1994), with the spectral
/// first vertical derivative (z down) and total horizontal gradient above.
Status tilt_derivative(ConstGridView in, double dx, double dy, PotentialFieldPlan& plan, GridView out);

/// Analytic signal amplitude sqrt((df/dx)^2 + (df/dy)^2 + (df/dz)^2), all three derivatives spectral.
Status analytic_signal(ConstGridView in, double dx, double dy, PotentialFieldPlan& plan, GridView out);

/// Pseudo-gravity (Baranov 1957; Poisson's relation): the vertical gravity, in mGal, of a body whose density
/// contrast / magnetisation ratio is `density_magnetisation_ratio`, from its total-field anomaly in nT:
/// H = 1e3 G ratio H_rtp / |k| (G = 6.6743e-11 m^3 kg^-1 s^-2, |k| in rad/m, H_rtp as in reduce_to_pole).
/// H(0) = 0 and the mean is dropped: the result is defined up to a constant.
Status pseudo_gravity(ConstGridView in, double dx, double dy, const PseudoGravityParams& params,
                      PotentialFieldPlan& plan, GridView out);

} // namespace prospector::kernels
