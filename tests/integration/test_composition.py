"""geochem.composition = clr: the geochemical evidence reads centred log-ratio coefficients (kernel
geochem.clr) computed per cell among the elements of each point survey, instead of log10 concentrations.
geochem.balances: isometric log-ratio balances (kernel geochem.ilr) as derived layers that evidence can read."""
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
spec.setdefault("output", {})["layers"] = ["prospectivity", "evidence", "anomalies", "multivariate", "learned", "contributions"]  # the clr and balance z-scores too
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

f = h5py.File(os.path.join(out, "prospectivity.nc"), "r")
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

# geochem.balances: an isometric log-ratio balance (kernel geochem.ilr) as a derived layer, bound to the Ni
# evidence by a job override; it must equal sqrt(r s / (r + s)) ln(g(num) / g(den)) from the ingested logs.
bal_job = dict(spec)
bal_job["geochem"] = {"balances": [{"name": "ni_co", "numerator": ["Ni", "co"], "denominator": ["Cu", "Li", "Sn"]}]}
bal_job["recipes"] = {"ni": {"evidence": {"ni_soil": {"layer": "balance_ni_co"}}}}
bal_path = os.path.join(survey, "job_balance.json")
json.dump(bal_job, open(bal_path, "w"))
out = os.path.join(work, "out_balance")
run(["run", bal_path, "--out", out])
lg = {e: tiles("%s_%s" % (soil["id"], e.lower())) for e in elements}
num, den = ["Ni", "Co"], ["Cu", "Li", "Sn"]
r_, s_ = len(num), len(den)
expected = np.sqrt(r_ * s_ / (r_ + s_)) * np.log(10.0) * (
    np.mean([lg[e] for e in num], axis=0) - np.mean([lg[e] for e in den], axis=0))
bal = tiles("balance_ni_co")
ok = ~np.isnan(expected)
expect(ok.sum() > 0.9 * ok.size and np.abs(bal[ok] - expected[ok]).max() < 1e-4 and
       np.array_equal(np.isnan(bal), ~ok),
       "balance_ni_co = sqrt(6/5) ln(g(Ni, Co) / g(Cu, Li, Sn)) per cell, max error %.1e" %
       np.abs(bal[ok] - expected[ok]).max())
f = h5py.File(os.path.join(out, "prospectivity.nc"), "r")
expect("anomaly_balance_ni_co_robust_z" in f, "the balance's robust z-score is published")
nrec = json.load(open(os.path.join(os.environ.get("PROSPECTOR_SOURCE", "."), "jobs", "recipes", "ni.json")))
ev = [e for e in nrec["evidence"] if e["id"] == "ni_soil"][0]
z = f["anomaly_balance_ni_co_robust_z"][...].astype(np.float64).ravel()
m = ev["membership"]
member = 1.0 / (1.0 + np.exp(-m["spread"] * (z - m["midpoint"])))
contrib = tiles("contrib_ni_ni_soil")
valid = (z != -9999) & ~np.isnan(contrib)
expect(valid.sum() > 0 and np.abs(contrib[valid] - ev["weight"] * member[valid]).max() < 1e-5,
       "the ni_soil evidence bound to balance_ni_co is the membership of the balance's robust z-score")

def run_job(job, name):
    """Writes job as job_<name>.json beside the survey, runs it into out_<name>; returns both paths."""
    path = os.path.join(survey, "job_%s.json" % name)
    json.dump(job, open(path, "w"))
    out_dir = os.path.join(work, "out_" + name)
    run(["run", path, "--out", out_dir])
    return path, out_dir


def first_tile(out_dir, layer):
    files = sorted(glob.glob(os.path.join(out_dir, "work", "layers", layer, "*.f32")))
    return np.fromfile(files[0], dtype=np.float32)


# The same balance selected by a recipe (source kind "balance") gives the same evidence as the job override.
custom = json.loads(json.dumps(nrec))
for e in custom["evidence"]:
    if e["id"] == "ni_soil":
        e["source"] = {"kind": "balance", "element": "ni_co"}
json.dump(custom, open(os.path.join(survey, "ni_balance.json"), "w"))
rec_job = dict(bal_job)
rec_job["recipes"] = {"ni": {"path": "ni_balance.json"}}
rec_path, out_rec = run_job(rec_job, "balance_recipe")
expect(np.array_equal(first_tile(out_rec, "contrib_ni_ni_soil"), contrib.astype(np.float32), equal_nan=True),
       "a recipe selecting {kind: balance, element: ni_co} gives the evidence of the job override")
custom["evidence"][0]["source"] = {"kind": "balance", "element": "ni_co", "filter": "rtp"}
json.dump(custom, open(os.path.join(survey, "ni_balance.json"), "w"))
res = run(["run", rec_path, "--out", os.path.join(work, "bad_recipe")], check=False)
expect(res.returncode == 2 and "ni_balance.json" in res.stderr and ".source" in res.stderr,
       "a balance source with a filter is a usage error naming the recipe (exit %d: %s)" % (
           res.returncode, res.stderr.strip()[:200]))

# Naming the input gives the same balance; naming a grid or an unknown input is a usage error.
named = json.loads(json.dumps(bal_job))
named["geochem"]["balances"][0]["input"] = soil["id"]
_, out_named = run_job(named, "balance_named")
expect(np.array_equal(first_tile(out_named, "balance_ni_co"), bal.astype(np.float32), equal_nan=True),
       "balances[0].input = '%s' gives the same balance as the default group" % soil["id"])
grid_id = [i["id"] for i in spec["inputs"] if i["kind"] == "geochem_grid"][0]

for name, geochem, needle in [
        ("bal_grid", {"balances": [{"name": "b", "numerator": ["Ni"], "denominator": ["Cu"], "input": grid_id}]},
         "geochem.balances[0].numerator"),
        ("bal_input", {"balances": [{"name": "b", "numerator": ["Ni"], "denominator": ["Cu"], "input": "nope"}]},
         "geochem.balances[0].input"),
        ("bal_missing", {"balances": [{"name": "b", "numerator": ["Ni"], "denominator": ["Au"]}]},
         "geochem.balances[0].denominator"),
        ("bal_twice", {"balances": [{"name": "b", "numerator": ["Ni", "Cu"], "denominator": ["cu"]}]},
         "geochem.balances[0]"),
        ("bal_empty", {"balances": [{"name": "b", "numerator": [], "denominator": ["Cu"]}]},
         "geochem.balances[0]")]:
    res = run(["run", job_with(geochem, name), "--out", os.path.join(work, name)], check=False)
    expect(res.returncode == 2 and needle in res.stderr,
           "%s: usage error naming %s (exit %d: %s)" % (name, needle, res.returncode, res.stderr.strip()[:200]))

# Elements of one balance must come from one group: with Sn only in the stream-sediment grid, (Sn | Cu) mixes
# the grid with the soil points.
split = json.loads(json.dumps(spec))
for i in split["inputs"]:
    if i["kind"] == "geochem_points":
        i["elements"] = [e for e in i["elements"] if e["element"] != "Sn"]
split["commodities"] = ["cu"]
split["geochem"] = {"balances": [{"name": "b", "numerator": ["Sn"], "denominator": ["Cu"]}]}
split_path = os.path.join(survey, "job_bal_groups.json")
json.dump(split, open(split_path, "w"))
res = run(["run", split_path, "--out", os.path.join(work, "bal_groups")], check=False)
expect(res.returncode == 2 and "geochem.balances[0].denominator" in res.stderr and "same" in res.stderr,
       "a balance mixing two geochemical inputs is a usage error (exit %d: %s)" % (
           res.returncode, res.stderr.strip()[:200]))

run_bad = run(["run", job_with({"composition": "clr", "parts": ["Cu", "Au"]}, "bad"), "--out",
               os.path.join(work, "bad")], check=False)
expect(run_bad.returncode == 2 and "geochem.parts" in run_bad.stderr and "'Au'" in run_bad.stderr,
       "an element without a layer is a usage error naming geochem.parts (exit %d: %s)" % (
           run_bad.returncode, run_bad.stderr.strip()[:160]))
finish()
