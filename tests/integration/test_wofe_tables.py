"""ArcSDM-style weights of evidence on any layer (models.wofe_evidence), through the real binary on the demo
survey: the categorical geology table and a cumulative descending table of a published anomaly grid are
recomputed independently here with numpy (cells from GDAL's rasterisation of the geology polygons and from the
published grid, points from the training CSV) and must match the CSV files to 1e-6; the generalised weights,
the posterior at every cell and the netCDF table agree; the ultramafic unit has positive contrast for nickel;
geology raises the nickel prediction-rate AUC; bad wofe_evidence entries are refused before any work."""
import csv
import json
import math
import os

import h5py
import numpy as np
from osgeo import gdal, ogr, osr

from common import expect, finish, fresh_dir, run


def check(cond, message, detail=None):
    expect(cond, message)
    if not cond and detail is not None:
        print("     ", str(detail)[:3000])

gdal.UseExceptions()
work = fresh_dir("wofe_tables")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "300", "--seed", "11"])
spec = json.load(open(os.path.join(survey, "job.json")))
truth = [r for r in csv.DictReader(open(os.path.join(survey, "truth.csv"))) if r["kind"] == "deposit"]
train, test = [], []
for c in spec["commodities"]:
    deps = [r for r in truth if r["commodity"] == c]
    half = (len(deps) + 1) // 2
    train += deps[:half]
    test += deps[half:]


def write_csv(name, rows):
    with open(os.path.join(survey, name), "w") as fh:
        w = csv.DictWriter(fh, fieldnames=["commodity", "x", "y", "kind"])
        w.writeheader()
        w.writerows(rows)


write_csv("all.csv", truth)
write_csv("train.csv", train)
write_csv("test.csv", test)
BREAKS = [0.0, 1.0, 2.0]
anomaly = {"layer": "anomaly_soil_ni_robust_z", "type": "descending", "breaks": BREAKS, "confidence": 0,
           "commodities": ["ni", "co"]}
geology = {"layer": "geology", "type": "categorical", "confidence": 0.5}


def job_with(name, evidence, training, extra=None):
    job = dict(spec)
    job["training"] = dict(training, crs=spec["grid"]["crs"])
    job["models"] = dict({"wofe_evidence": evidence, "logistic": False}, **(extra or {}))
    job["output"] = {"folder": "out_" + name}
    path = os.path.join(survey, "job_%s.json" % name)
    json.dump(job, open(path, "w"), indent=1)
    return path, os.path.join(survey, "out_" + name)


# 1. All planted deposits as training points: tables recomputed with numpy.
path, out = job_with("all", [anomaly, geology], {"path": "all.csv"}, {"logistic": True})
r = run(["run", path], check=False)
check(r.returncode == 0, "the run with models.wofe_evidence succeeds", r.stderr[-2000:])
nc = os.path.join(out, "prospectivity.nc")
# Grids through h5py (rows north to south, as the y coordinate runs).
nc_file = h5py.File(nc, "r")


def grid(name):
    return nc_file[name][:].astype(np.float64)


xs, ys = nc_file["x"][:], nc_file["y"][:]
cs = float(xs[1] - xs[0])
check(ys[1] < ys[0], "rows run north to south")
gt = (float(xs[0]) - cs / 2, cs, 0.0, float(ys[0]) + cs / 2, 0.0, -cs)
nx, ny = len(xs), len(ys)
study = ~np.isnan(grid("prospectivity_ni"))
z = grid("anomaly_soil_ni_robust_z")


def cell_of(row):
    col = int(math.floor((float(row["x"]) - gt[0]) / gt[1]))
    lin = int(math.floor((float(row["y"]) - gt[3]) / gt[5]))
    return lin, col


# Geology codes: units numbered 1, 2, .. in the sorted order of their names, burnt at cell centres.
vec = ogr.Open(os.path.join(survey, "geology_mga50.gpkg"))
units = sorted({f.GetField("unit") for f in vec.GetLayer(0)})
mem = gdal.GetDriverByName("MEM").Create("", nx, ny, 1, gdal.GDT_Int32)
mem.SetGeoTransform(gt)
srs = osr.SpatialReference()
srs.SetFromUserInput(spec["grid"]["crs"])
mem.SetProjection(srs.ExportToWkt())
mem.GetRasterBand(1).Fill(-1)
# One pass in feature order (a later polygon covers an earlier one, as in ingest).
case = " ".join("WHEN '%s' THEN %d" % (u, k + 1) for k, u in enumerate(units))
gdal.Rasterize(mem, os.path.join(survey, "geology_mga50.gpkg"), attribute="code",
               SQLStatement="SELECT *, CASE unit %s END AS code FROM %s" % (case, vec.GetLayer(0).GetName()))
geo = mem.GetRasterBand(1).ReadAsArray()
published = grid("geology")
check(np.array_equal(np.where(np.isnan(published), -1, published), geo),
      "GDAL's rasterisation of the geology polygons equals the published geology grid")


def make_wts(s, b, ds_, db):
    """ArcSDM MakeWts with its traps, written from the ArcSDM documentation."""
    if db == 0:
        return [0.0] * 7
    if db == ds_:
        db -= 0.99
    if (s - b) <= (ds_ - db):
        b = s + db - ds_ - 0.01
    wp = math.log((db / ds_) / ((b - db) / (s - ds_)))
    wm = math.log(((ds_ - db) / ds_) / ((s - b - ds_ + db) / (s - ds_)))
    vp, vm = 1 / db + 1 / (b - db), 1 / (ds_ - db) + 1 / (s - b - ds_ + db)
    c = wp - wm
    return [wp, math.sqrt(vp), wm, math.sqrt(vm), c, math.sqrt(vp + vm), c / math.sqrt(vp + vm)]


def read_table(c, layer):
    p = os.path.join(out, "wofe_%s_%s.csv" % (c, layer))
    check(os.path.exists(p), "the weights table %s is written as CSV" % os.path.basename(p))
    return list(csv.DictReader(open(p)))


def close(a, b, tol=1e-6):
    return abs(a - b) <= tol * max(1.0, abs(b))


pts = [cell_of(r) for r in truth if r["commodity"] == "ni"]
for layer, codes, kind in (("geology", geo, "categorical"), ("anomaly_soil_ni_robust_z", None, "descending")):
    if codes is None:
        codes = np.where(np.isnan(z), -1, np.searchsorted(np.array(BREAKS), z, side="left"))
    valid = study & (codes >= 0)
    classes = sorted(int(k) for k in np.unique(codes[valid]))
    if kind == "descending":
        classes = classes[::-1]
    s = float(valid.sum())
    pt_codes = [int(codes[p]) for p in pts if study[p] and codes[p] >= 0]
    ds_ = float(len(pt_codes))
    rows = read_table("ni", layer)
    check([int(x["CLASS"]) for x in rows] == classes, "%s: the table's rows are the classes %s" % (layer, classes),
           [x["CLASS"] for x in rows])
    ok, acc_b, acc_d, want = True, 0.0, 0.0, []
    for k, row in zip(classes, rows):
        cells = float((valid & (codes == k)).sum())
        npts = float(sum(1 for x in pt_codes if x == k))
        acc_b += cells
        acc_d += npts
        b, db = (acc_b, acc_d) if kind == "descending" else (cells, npts)
        w = make_wts(s, b, ds_, db)
        want.append(w)
        got = [float(row[f]) for f in ("WPLUS", "S_WPLUS", "WMINUS", "S_WMINUS", "CONTRAST", "S_CONTRAST",
                                       "STUD_CNT")]
        ok &= int(row["CELLS"]) == cells and int(row["NO_POINTS"]) == npts
        ok &= all(close(g, e) for g, e in zip(got, w))
    check(ok, "%s (%s): cells, points and W+, s(W+), W-, s(W-), C, s(C), C/s(C) equal numpy's to 1e-6"
           % (layer, kind), rows)
    if kind == "descending":
        # Generalisation at maximum contrast among rows reaching the confidence (0), never the last row.
        cand = [i for i in range(len(rows) - 1) if want[i][6] >= 0]
        cut = max(cand, key=lambda i: (want[i][4], -i))
        gen_ok = all(int(r_["GEN_CLASS"]) == (2 if i <= cut else 1) and
                     close(float(r_["WEIGHT"]), want[cut][0] if i <= cut else want[cut][2])
                     for i, r_ in enumerate(rows))
        check(gen_ok, "the descending table is cut at the row of maximum contrast (row %d)" % cut)
    else:
        ultra = [r_ for r_ in rows if r_["LABEL"] == "ultramafic"]
        check(ultra and float(ultra[0]["CONTRAST"]) > 0 and int(ultra[0]["GEN_CLASS"]) == int(ultra[0]["CLASS"]),
               "nickel: the ultramafic unit has positive contrast and keeps its own generalised class", ultra)

# Posterior at every cell from the generalised weights of the CSVs, and the netCDF tables.
learn = json.load(open(os.path.join(out, "work", "global", "learn.json")))
w = learn["commodities"]["ni"]["wofe"]
post = grid("posterior_wofe_ni")
logit = np.full(post.shape, w["prior_logit"])
for layer, codes in (("geology", geo),
                     ("anomaly_soil_ni_robust_z",
                      np.where(np.isnan(z), -1, np.searchsorted(np.array(BREAKS), z, side="left")))):
    t = [t for t in w["tables"] if t["layer"] == layer][0]
    if not t["in_posterior"]:
        continue
    for row in t["rows"]:
        logit[codes == row["class"]] += row["weight"]
check(close(w["prior_probability"], len(pts) / study.sum(), 1e-9), "the prior is N(D) / N(T) in unit cells")
want_post = 1 / (1 + np.exp(-logit))
diff = np.nanmax(np.abs(np.where(study, post - want_post, 0)))
check(diff < 1e-6, "the posterior equals the logistic of prior + generalised weights at every cell", diff)
for g in ("posterior_wofe_ni_std", "posterior_wofe_ni_confidence"):
    a = grid(g)
    check(np.isfinite(a[study]).all() and (a[study] > 0).all(), "%s is positive on the study area" % g)
check("wofe_tables_ni_w_plus" in nc_file and "wofe_tables_ni_gen_class" in nc_file,
      "the weights tables are 1-D variables of prospectivity.nc")
nc_file.close()
report = open(os.path.join(out, "report.html")).read()
check("Pairwise conditional independence" in report and "ultramafic" in report,
       "the report shows the tables and the pairwise test")

# The logistic regression takes the same layers, the geology one-hot against its largest unit.
lg = learn["commodities"]["ni"].get("logistic", {})
feats = lg.get("features", [])
check("anomaly_soil_ni_robust_z" in feats and "geology=ultramafic" in feats and "geology=sediments" not in feats,
      "logistic regression: the anomaly values and one-hot geology units (sediments, the largest, is the reference)",
      lg)
if "geology=ultramafic" in feats:
    check(lg["coefficients"][1 + feats.index("geology=ultramafic")] > 0,
          "logistic regression: the ultramafic indicator has a positive coefficient for nickel", lg)

# 2. Half the deposits train, the other half test: the nickel prediction-rate AUC with and without geology.
auc = {}
for name, ev in (("base", [anomaly]), ("geo", [anomaly, geology])):
    path, o = job_with(name, ev, {"path": "train.csv", "test_path": "test.csv"})
    r = run(["run", path], check=False)
    check(r.returncode == 0, "half-training run %s succeeds" % name, r.stderr[-2000:])
    L = json.load(open(os.path.join(o, "work", "global", "learn.json")))
    auc[name] = L["commodities"]["ni"].get("prediction_rate", {}).get("auc")
print("nickel prediction-rate AUC without / with geology:", auc)
check(auc["base"] is not None and auc["geo"] is not None and auc["geo"] >= auc["base"],
       "geology does not lower the nickel prediction-rate AUC", auc)

# 3. Bad entries: refused before any work, naming the key and the file.
for bad, words in (({"layer": "no_such_layer", "type": "ascending"}, "no layer 'no_such_layer'"),
                   ({"layer": "geology", "type": "ascending"}, "must be categorical or unique"),
                   ({"layer": "bouguer", "type": "ascending", "breaks": [2, 1]}, "strictly increasing"),
                   ({"layer": "bouguer", "type": "ascending", "generalise": "manual"}, "needs the cutoff"),
                   ({"layer": "bouguer", "type": "sideways"}, "sideways")):
    path, o = job_with("bad", [bad], {"path": "all.csv"})
    r = run(["run", path], check=False)
    check(r.returncode == 2 and words in r.stderr and "job_bad.json" in r.stderr and not os.path.exists(o),
           "bad wofe_evidence %s: exit 2, the message names it and the file, no output" % json.dumps(bad),
           (r.returncode, r.stderr[-600:]))
finish()
