"""A recipe evidence with transform gi_star: the pipeline's Getis-Ord Gi* grid equals Gi* computed
independently (numpy box sums over the clipped window) and does not depend on the tiling."""
import json
import os

import h5py
import numpy as np

from common import SOURCE, expect, finish, fresh_dir, run

work = fresh_dir("hotspots")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "200", "--seed", "3"])
spec = json.load(open(os.path.join(survey, "job.json")))
radius = spec.get("anomaly", {}).get("local_radius", 15)

recipe = json.load(open(os.path.join(SOURCE, "jobs", "recipes", "cu.json")))
for e in recipe["evidence"]:
    if e["id"] == "cu_soil":
        e["transform"] = "gi_star"
        e["membership"] = {"shape": "logistic", "midpoint": 3.0, "spread": 1.0}
rpath = os.path.join(work, "cu_gi.json")
json.dump(recipe, open(rpath, "w"))
job = dict(spec)
job["commodities"] = ["cu"]
job.setdefault("output", {})["layers"] = ["prospectivity", "evidence", "anomalies", "multivariate", "learned", "contributions"]  # the robust z-scores too
job["recipes"] = {"cu": {"path": rpath}}
jpath = os.path.join(survey, "job_gi.json")
json.dump(job, open(jpath, "w"))


def outputs(name, extra=()):
    out = os.path.join(work, name)
    p = run(["run", jpath, "--out", out] + list(extra))
    return h5py.File(os.path.join(out, "prospectivity.nc"), "r"), p.stdout + p.stderr


f, log = outputs("out")
gi_names = [k for k in f.keys() if k.endswith("_gi_star")]
expect(len(gi_names) == 1, "one Gi* grid, for the layer the cu_soil evidence reads (%s)" % gi_names)
name = gi_names[0]
layer = name[len("anomaly_"):-len("_gi_star")]
gi = f[name][...].astype(np.float64)
gi[gi == -9999] = np.nan
# Gi* does not change under x -> (x - a) / b, b > 0: the published robust z-score is the layer for this check.
z = f["anomaly_%s_robust_z" % layer][...].astype(np.float64)
z[z == -9999] = np.nan
valid = ~np.isnan(z)
x = np.where(valid, z, 0.0)
n = valid.sum()
xbar = x.sum() / n
s = np.sqrt((x[valid] ** 2).sum() / n - xbar ** 2)


def box(a):
    c = np.pad(a, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    ny, nx = a.shape
    r0 = np.clip(np.arange(ny) - radius, 0, ny)
    r1 = np.clip(np.arange(ny) + radius + 1, 0, ny)
    c0 = np.clip(np.arange(nx) - radius, 0, nx)
    c1 = np.clip(np.arange(nx) + radius + 1, 0, nx)
    return c[r1][:, c1] - c[r0][:, c1] - c[r1][:, c0] + c[r0][:, c0]


w = box(valid.astype(np.float64))
sw = box(x)
ref = (sw - xbar * w) / (s * np.sqrt((n * w - w * w) / (n - 1)))
ref[~valid] = np.nan
both = valid & ~np.isnan(gi)
err = np.abs(gi[both] - ref[both])
expect(np.array_equal(np.isnan(gi), ~valid) and err.max() < 2e-3 * max(1.0, np.abs(ref[both]).max()),
       "%s equals numpy Gi* (radius %d) from the robust z-score, max error %.2g (|Gi*| up to %.1f)" % (
           name, radius, err.max(), np.abs(ref[both]).max()))
expect(np.nanmax(gi) > 5, "the soil Cu hot spots stand out (max Gi* %.1f)" % np.nanmax(gi))

t, _ = outputs("out_tiled", ["--tile-size", "48"])
expect(np.array_equal(f[name][...], t[name][...]) and np.array_equal(f["prospectivity_cu"][...], t["prospectivity_cu"][...]),
       "Gi* and the prospectivity built on it are bit-identical with 48-cell tiles")
finish()
