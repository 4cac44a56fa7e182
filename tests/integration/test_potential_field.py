"""Potential-field transforms a geophysicist can compare (issue 18 item 6). A small magnetic grid with a
regional gradient runs through `prospector run` with output.layers "transforms" under three conventions:
GMT grdfft's default (potential_field.detrend plane, padding edge_point), no detrend with edge-point padding,
and prospector's own (auto, mirror). Every raw transform grid in prospectivity.nc (RTP, upward continuation,
vertical derivative, d/dx, d/dy, total horizontal gradient, tilt, analytic signal) must equal an independent
float64 numpy implementation of the same convention to 1e-5 (relative RMS; the tilt, an angle, to 1e-5 rad
RMS), carry its units and name the convention in its attributes.

The numpy side follows the conventions as documented (README, "Conventions"): remove the trend, extend each
row by point symmetry about its edge cell, f(-m) = 2 f(0) - f(m), then each column of the x-extended grid
the same way, both under the taper 0.5 (1 + cos(pi m / (P + 1))) over a pad of P cells; multiply the
spectrum by the operator (kx = 2 pi m / (Nx dx), ky = -2 pi n / (Ny dy) because row 0 is north, z down);
take the real part of the inverse transform and crop; add back what the convention restores (the plane for
continuation and RTP, its constant gradient for d/dx and d/dy)."""
import copy
import json
import os

import h5py
import numpy as np
from osgeo import gdal

from common import expect, finish, fresh_dir, run

gdal.UseExceptions()
work = fresh_dir("potential_field")
NX, NY, CELL = 72, 56, 100.0
X0, Y1 = 400000.0, 7000000.0
INC, DEC, HEIGHT = -58.0, 4.0, 300.0

# A field with short and long wavelengths, an off-centre dipole-like high and a regional gradient.
yy, xx = np.mgrid[0:NY, 0:NX].astype(np.float64)
field = (58000.0 + 0.8 * xx - 0.5 * yy + 40.0 * np.exp(-((xx - 30) ** 2 + (yy - 22) ** 2) / 30.0)
         - 25.0 * np.exp(-((xx - 34) ** 2 + (yy - 27) ** 2) / 20.0) + 6.0 * np.sin(xx / 3.1) * np.cos(yy / 4.3))
field = field.astype(np.float32)
tif = os.path.join(work, "tmi.tif")
ds = gdal.GetDriverByName("GTiff").Create(tif, NX, NY, 1, gdal.GDT_Float32)
ds.SetGeoTransform((X0, CELL, 0, Y1, 0, -CELL))
ds.SetProjection("EPSG:28350")
ds.GetRasterBand(1).WriteArray(field)
ds = None

FILTERS = ["rtp", "upward_continuation", "vertical_derivative", "total_horizontal_gradient", "tilt_derivative",
           "analytic_signal"]
recipe = {"commodity": "cu", "name": "transform test", "deposit_model": "none (a test of the transforms)",
          "references": ["this test"], "combination": {"min_weight_fraction": 0.1},
          "evidence": [{"id": "ev_" + f, "source": {"kind": "magnetics", "filter": f}, "transform": "robust_z",
                        "membership": {"shape": "logistic", "midpoint": 1.0, "spread": 1.0}, "weight": 1.0,
                        "rationale": "reads the " + f} for f in FILTERS]}
json.dump(recipe, open(os.path.join(work, "transforms_recipe.json"), "w"), indent=1)
base = {"name": "potential field conventions",
        "grid": {"crs": "EPSG:28350", "cell_size": CELL, "align_to": "tmi"},
        "inputs": [{"id": "tmi", "kind": "magnetics", "path": "tmi.tif", "units": "nT", "inclination": INC,
                    "declination": DEC, "upward_height": HEIGHT}],
        "commodities": ["cu"], "recipes": {"cu": {"path": "transforms_recipe.json"}},
        "output": {"layers": ["prospectivity", "transforms"]}}


def fast_size(n):
    m = max(n, 1)
    while True:
        r = m
        for f in (2, 3, 5, 7):
            while r % f == 0:
                r //= f
        if r == 1:
            return m
        m += 1


def axis(n, frac, min_pad):
    pad = max(min_pad, int(np.ceil(frac * n)))
    N = fast_size(n + 2 * pad)
    before = (N - n) // 2
    return N, before, N - n - before


def extend(a, ax, before, after, mode):
    """Extends array a along axis ax (0 rows, 1 columns) by the convention, tapered."""
    a = np.moveaxis(a, ax, 0)
    n = a.shape[0]
    out = np.zeros((n + before + after,) + a.shape[1:])
    out[before:before + n] = a
    for m in range(1, before + 1):
        if mode == "edge_point":
            v, w = 2 * a[0] - a[m], 0.5 * (1 + np.cos(np.pi * m / (before + 1)))
        else:
            v, w = a[m - 1], 0.5 * (1 + np.cos(np.pi * m / before))
        out[before - m] = w * v
    for m in range(1, after + 1):
        if mode == "edge_point":
            v, w = 2 * a[n - 1] - a[n - 1 - m], 0.5 * (1 + np.cos(np.pi * m / (after + 1)))
        else:
            v, w = a[n - m], 0.5 * (1 + np.cos(np.pi * m / after))
        out[before + n - 1 + m] = w * v
    return np.moveaxis(out, 0, ax)


def reference(f, detrend, padding, frac=0.25, min_pad=16):
    f = f.astype(np.float64)
    v, u = np.mgrid[0:NY, 0:NX].astype(np.float64)
    A = np.column_stack([np.ones(f.size), u.ravel() - u.mean(), v.ravel() - v.mean()])
    mean, bu, bv = np.linalg.lstsq(A, f.ravel(), rcond=None)[0]
    plane = mean + bu * (u - u.mean()) + bv * (v - v.mean())
    # What each transform removes under `detrend` (auto: the plane, but only the mean for RTP).
    trend = {"none": 0 * plane, "mean": 0 * plane + f.mean(), "plane": plane}
    Nx, w, e = axis(NX, frac, min_pad)
    Ny, n, s = axis(NY, frac, min_pad)
    kx = 2 * np.pi * np.fft.fftfreq(Nx, CELL)
    ky = -2 * np.pi * np.fft.fftfreq(Ny, CELL)
    KX, KY = np.meshgrid(kx, ky)
    K = np.hypot(KX, KY)

    def apply(t, H):
        g = extend(extend(f - t, 1, w, e, padding), 0, n, s, padding)
        r = np.real(np.fft.ifft2(np.fft.fft2(g) * H))
        return r[n:n + NY, w:w + NX]

    d2r = np.pi / 180
    si, ci, sd, cd = np.sin(INC * d2r), np.cos(INC * d2r), np.sin(DEC * d2r), np.cos(DEC * d2r)
    ia = max(abs(INC), 20.0) * d2r
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(K > 0, (KX * sd + KY * cd) / np.where(K > 0, K, 1), 0)
    a, b = si, ci * c
    t2 = a * a + b * b
    phase = np.where(t2 > 0, ((a * a - b * b) - 2j * a * b) / np.where(t2 > 0, t2, 1), -1)
    Hrtp = np.where(K > 0, phase / (np.sin(ia) ** 2 + np.cos(ia) ** 2 * c * c), 1.0)

    t_plane = trend["plane" if detrend == "auto" else detrend]
    t_rtp = trend["mean" if detrend == "auto" else detrend]
    gx = (bu if detrend in ("auto", "plane") else 0.0) / CELL
    gy = (-bv if detrend in ("auto", "plane") else 0.0) / CELL
    dx = apply(t_plane, 1j * KX) + gx
    dy = apply(t_plane, 1j * KY) + gy
    dz = apply(t_plane, K)
    thg = np.hypot(dx, dy)
    return {"rtp": apply(t_rtp, Hrtp) + t_rtp, "upward_continuation": apply(t_plane, np.exp(-K * HEIGHT)) + t_plane,
            "vertical_derivative": dz, "derivative_x": dx, "derivative_y": dy, "total_horizontal_gradient": thg,
            "tilt_derivative": np.arctan2(dz, thg), "analytic_signal": np.sqrt(dx * dx + dy * dy + dz * dz)}


UNITS = {"rtp": "nT", "upward_continuation": "nT", "tilt_derivative": "rad"}
for detrend, padding, label in [("plane", "edge_point", "GMT grdfft default (-N+d+e)"),
                                ("none", "edge_point", "no detrend, edge-point symmetric pad (-N+l+e)"),
                                ("auto", "mirror", "prospector's default")]:
    d = os.path.join(work, detrend + "_" + padding)
    os.makedirs(d, exist_ok=True)
    spec = copy.deepcopy(base)
    spec["inputs"][0]["path"] = tif
    spec["recipes"]["cu"]["path"] = os.path.join(work, "transforms_recipe.json")
    spec["potential_field"] = {"detrend": detrend, "padding": padding}
    spec["output"]["folder"] = os.path.join(d, "out")
    job = os.path.join(d, "job.json")
    json.dump(spec, open(job, "w"), indent=1)
    run(["run", job])
    ref = reference(field, detrend, padding)
    with h5py.File(os.path.join(d, "out", "prospectivity.nc"), "r") as g:
        for name, want in ref.items():
            var = "tmi_" + name
            if var not in g:
                expect(False, "%s: %s is published" % (label, var))
                continue
            got = g[var][...].astype(np.float64)
            attr = lambda k: (lambda v: v.decode() if isinstance(v, bytes) else str(v))(g[var].attrs.get(k, b""))
            if name == "tilt_derivative":
                err, what = float(np.sqrt(np.mean((got - want) ** 2))), "rad RMS"
            else:
                err, what = float(np.sqrt(np.mean((got - want) ** 2)) / np.sqrt(np.mean(want ** 2))), "relative RMS"
            # Without detrend the 58000 nT level itself is extended and tapered into the pad, and the
            # horizontal derivatives are read off that tapered level in float32: 3e-4 is its resolution there.
            tol = 1e-3 if detrend == "none" and name in ("derivative_x", "derivative_y",
                                                         "total_horizontal_gradient") else 1e-5
            expect(err < tol, "%s: %s equals the numpy implementation of the convention (%.2e %s, bound %g)" %
                   (label, var, err, what, tol))
            expect(attr("units") == UNITS.get(name, "nT/m"), "%s: %s has units %s (%s)" %
                   (label, var, UNITS.get(name, "nT/m"), attr("units")))
            conv = attr("transform_convention")
            expect(("detrend=%s padding=%s" % (detrend, padding)) in conv and attr("transform") == name,
                   "%s: %s names its convention (%s)" % (label, var, conv))
finish()
