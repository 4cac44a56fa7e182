"""geochem.composition = clr: the geochemical evidence reads centred log-ratio coefficients (kernel
geochem.clr) computed per cell among the elements of each point survey, instead of log10 concentrations."""
import csv
import glob
import json
import os

import h5py
import numpy as np

from common import expect, finish, fresh_dir, run

work = fresh_dir("composition")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "200", "--seed", "4"])
spec = json.load(open(os.path.join(survey, "job.json")))
soil = [i for i in spec["inputs"] if i["kind"] == "geochem_points"][0]
elements = [e["element"] for e in soil["elements"]]


def job_with(geochem, name):
    job = dict(spec)
    job["geochem"] = geochem
    path = os.path.join(survey, "job_%s.json" % name)
    json.dump(job, open(path, "w"))
    return path


out = os.path.join(work, "out")
run(["run", job_with({"composition": "clr"}, "clr"), "--out", out])


def tiles(layer):
    files = sorted(glob.glob(os.path.join(out, "work", "layers", layer, "*.f32")))
    return np.concatenate([np.fromfile(f, dtype=np.float32) for f in files]).astype(np.float64)


names = ["%s_%s" % (soil["id"], e.lower()) for e in elements]
logs = np.array([tiles(n) for n in names])        # log10 concentrations, as ingested
clr = np.array([tiles("clr_" + n) for n in names])  # the transform stage's centred log-ratios
ok = np.all(~np.isnan(logs), axis=0)
expected = np.log(10.0) * (logs - logs.mean(axis=0))
expect(ok.sum() > 0.9 * ok.size and np.abs(clr[:, ok].sum(axis=0)).max() < 1e-5,
       "CLR coefficients of the %d soil elements sum to 0 in every cell (max |sum| %.1e)" % (
           len(elements), np.abs(clr[:, ok].sum(axis=0)).max()))
expect(np.abs(clr[:, ok] - expected[:, ok]).max() < 1e-4,
       "clr_k = ln(10) (log10 x_k - mean_l log10 x_l), max error %.1e" % np.abs(clr[:, ok] - expected[:, ok]).max())
expect(np.array_equal(np.isnan(clr).any(axis=0), ~ok), "a cell missing any element has no CLR coefficients")

f = h5py.File(os.path.join(out, "prospectivity.h5"), "r")
expect(all("anomaly_clr_%s_robust_z" % n in f for n in names) and "anomaly_%s_robust_z" % names[0] in f,
       "the CLR layers' anomalies are published beside the log10 ones")
# The Cu evidence reads clr_soil_cu: its weighted membership equals the recipe's membership of the CLR z-score.
recipe = json.load(open(os.path.join(os.environ.get("PROSPECTOR_SOURCE", "."), "jobs", "recipes", "cu.json")))
ev = [e for e in recipe["evidence"] if e["id"] == "cu_soil"][0]
z = f["anomaly_clr_%s_%s_robust_z" % (soil["id"], "cu")][...].astype(np.float64).ravel()
m = ev["membership"]
member = 1.0 / (1.0 + np.exp(-m["spread"] * (z - m["midpoint"])))
contrib = tiles("contrib_cu_cu_soil")
# Tiles are stored tile by tile; with one tile (200 x 200 < tile_size) the order is the grid's.
valid = (z != -9999) & ~np.isnan(contrib)
expect(np.abs(contrib[valid] - ev["weight"] * member[valid]).max() < 1e-5,
       "the cu_soil evidence is the membership of the CLR robust z-score (max error %.1e)" %
       np.abs(contrib[valid] - ev["weight"] * member[valid]).max())

# Planted Cu deposits still score high.
xs, ys = f["x"][...], f["y"][...]
score = f["prospectivity_cu"][...].astype(np.float64)
vals = score[score != -9999]
ranks = []
for d in csv.DictReader(open(os.path.join(survey, "truth.csv"))):
    if d["commodity"] == "cu" and d["kind"] == "deposit":
        c, r = int(np.argmin(np.abs(xs - float(d["x"])))), int(np.argmin(np.abs(ys - float(d["y"]))))
        ranks.append((vals < score[max(0, r - 2):r + 3, max(0, c - 2):c + 3].max()).mean())
expect(len(ranks) > 0 and min(ranks) > 0.95, "planted Cu deposits in the top 5%% of the CLR-based score %s" %
       np.round(ranks, 4))

run_bad = run(["run", job_with({"composition": "clr", "parts": ["Cu", "Au"]}, "bad"), "--out",
               os.path.join(work, "bad")], check=False)
expect(run_bad.returncode == 2 and "geochem.parts" in run_bad.stderr and "'Au'" in run_bad.stderr,
       "an element without a layer is a usage error naming geochem.parts (exit %d: %s)" % (
           run_bad.returncode, run_bad.stderr.strip()[:160]))
finish()
