"""Data-driven prospectivity and validation on the demo survey: half of the planted deposits train weights of
evidence and logistic regression, the other half must fall in the top 10% of area of their commodity's
posterior, with prediction-rate AUC above 0.9; blocked cross-validation; deposits that cannot be used are
counted and listed; the self-contained report renders in headless Chromium."""
import csv
import json
import os
import re
import shutil
import subprocess

import h5py
import numpy as np
from osgeo import gdal, ogr, osr

from common import check_map_figures, expect, finish, fresh_dir, run

gdal.UseExceptions()
work = fresh_dir("learn")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "400", "--seed", "11"])
spec = json.load(open(os.path.join(survey, "job.json")))
truth = [r for r in csv.DictReader(open(os.path.join(survey, "truth.csv"))) if r["kind"] == "deposit"]
train, test = [], []
for c in spec["commodities"]:
    deps = [r for r in truth if r["commodity"] == c]
    half = (len(deps) + 1) // 2
    train += deps[:half]
    test += deps[half:]

# Commodities spelled as deposit databases write them: symbols and names in any case, lists with other
# elements. Each row still names exactly one of the five, so the planted truth is unchanged.
NAMES = {"cu": "Copper", "li": "lithium", "ni": "NICKEL", "co": "Cobalt", "sn": "tin"}


def spelled(c, i):
    return [c, " %s " % c.upper(), NAMES[c], "Au-%s-Ag" % c.capitalize(), "%s / Gold" % NAMES[c],
            "Zn; %s" % c, "Au+%s" % c.upper()][i % 7]


# Training deposits as a GeoPackage in geographic coordinates (another CRS than the grid), plus three bad rows.
src = osr.SpatialReference()
src.ImportFromEPSG(28350)
dst = osr.SpatialReference()
dst.ImportFromEPSG(4326)
dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
ct = osr.CoordinateTransformation(src, dst)
gpkg = os.path.join(survey, "known_deposits.gpkg")
ds = ogr.GetDriverByName("GPKG").CreateDataSource(gpkg)
lyr = ds.CreateLayer("deposits", dst, ogr.wkbPoint)
lyr.CreateField(ogr.FieldDefn("commodity", ogr.OFTString))
gold = dict(train[0], commodity="Au, Ag")  # names no known commodity: counted as unknown
for i, r in enumerate(train + [{"commodity": "cu", "x": "300000", "y": "7000000"}]):  # the last one lies off the grid
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetField("commodity", spelled(r["commodity"], i))
    lon, lat, _ = ct.TransformPoint(float(r["x"]), float(r["y"]))
    g = ogr.Geometry(ogr.wkbPoint)
    g.AddPoint_2D(lon, lat)
    f.SetGeometry(g)
    lyr.CreateFeature(f)
f = ogr.Feature(lyr.GetLayerDefn())  # no geometry at all
f.SetField("commodity", "li")
lyr.CreateFeature(f)
f = ogr.Feature(lyr.GetLayerDefn())
f.SetField("commodity", gold["commodity"])
lon, lat, _ = ct.TransformPoint(float(gold["x"]), float(gold["y"]))
g = ogr.Geometry(ogr.wkbPoint)
g.AddPoint_2D(lon, lat)
f.SetGeometry(g)
lyr.CreateFeature(f)
ds = None
with open(os.path.join(survey, "test_deposits.csv"), "w") as fh:
    w = csv.DictWriter(fh, fieldnames=["commodity", "x", "y", "kind"])
    w.writeheader()
    w.writerows(test)

job = dict(spec)
job["training"] = {"path": "known_deposits.gpkg", "test_path": "test_deposits.csv", "crs": "EPSG:4326"}
# The test CSV is in grid coordinates: give it its own job run below; here both share training.crs, so write
# the test points in lon/lat as well.
with open(os.path.join(survey, "test_deposits.csv"), "w") as fh:
    w = csv.DictWriter(fh, fieldnames=["commodity", "x", "y"])
    w.writeheader()
    for r in test:
        lon, lat, _ = ct.TransformPoint(float(r["x"]), float(r["y"]))
        w.writerow({"commodity": r["commodity"], "x": lon, "y": lat})
job_path = os.path.join(survey, "job_learn.json")
json.dump(job, open(job_path, "w"), indent=1)
out = os.path.join(work, "out")
p = run(["run", job_path, "--out", out])
log = p.stderr
expect("1 bad geometry, 1 outside the grid, 1 unknown commodity" in log,
       "the bad, off-grid and gold-only training deposits are counted")
expect(len(re.findall(r"left out: .*known_deposits.gpkg: feature \d+", log)) == 3, "and listed with their feature")
per = ", ".join("%s %d" % (c, n) for c in spec["commodities"]
                for n in [sum(1 for r in train if r["commodity"] == c)] if n)
expect("training deposits on the grid per commodity (a row naming several counts for each): " + per in log,
       "every spelling counts for its commodity, and the log counts each (%s)" % per)

# Weights of evidence: a class without training deposits gets W+ = 0, flagged (ArcSDM, the default), in the
# work folder's learn.json, the published table and the log.
learn = json.load(open(os.path.join(out, "work", "global", "learn.json")))
zero_classes = 0
for c, cj in learn["commodities"].items():
    wj = cj["wofe"]
    expect(wj["zero_class"] == "arcsdm", "%s: weights of evidence under the ArcSDM convention by default" % c)
    for ev in wj["evidence"]:
        for k, cl in enumerate(ev["classes"]):
            if cl["deposits"] == 0 and cl["cells"] > 0:
                zero_classes += 1
                expect(cl["w_plus"] == 0 and cl["s_w_plus"] == 0 and cl["studentized"] == 0 and
                       "w_plus_zero" in cl["flag_names"] and cl["flags"] & 32,
                       "%s %s class %d without deposits: W+ = 0, flagged (%s)" % (c, ev["id"], k, cl))
expect(zero_classes > 0, "the demo has classes without training deposits (%d)" % zero_classes)
expect(re.search(r"class\(es\) flagged with a weight set to 0 \(models.wofe_zero_class = arcsdm\)", log),
       "the log reports the classes whose weight was set to 0")

f = h5py.File(os.path.join(out, "prospectivity.nc"), "r")
for c in spec["commodities"]:
    post = f["posterior_wofe_" + c][...]
    valid = post[post != -9999]
    cell = spec["grid"]["cell_size"]
    x0, y0 = spec["grid"]["extent"][0], spec["grid"]["extent"][3]
    for r in [t for t in test if t["commodity"] == c]:
        row, col = int((y0 - float(r["y"])) // cell), int((float(r["x"]) - x0) // cell)
        v = post[row, col]
        share = (np.count_nonzero(valid > v) + 0.5 * np.count_nonzero(valid == v)) / valid.size
        expect(share <= 0.10, "%s test deposit at (%s, %s) lies in the top %.2f%% of the posterior's area" %
               (c, r["x"], r["y"], 100 * share))
    auc_attr = f["prediction_rate_" + c].attrs["auc"]
    expect(isinstance(auc_attr, (float, np.floating)) and
           isinstance(f["success_rate_" + c].attrs["auc"], (float, np.floating)),
           "%s: AUCs are stored as numbers (%r)" % (c, auc_attr))
    p_attr = f["wofe_" + c].attrs.get("ci_test_p_value")
    expect(isinstance(p_attr, (float, np.floating)),
           "%s: the conditional-independence p-value is stored as a number (%r)" % (c, p_attr))
    auc = float(auc_attr)
    expect(auc > 0.9, "%s prediction-rate AUC %.3f > 0.9 (independent test deposits)" % (c, auc))
    expect("success_rate_" + c in f and "wofe_" + c + "_w_plus" in f and "probability_logistic_" + c in f,
           "%s: success-rate curve, weights table and logistic probability written" % c)
    wp = f["wofe_" + c + "_w_plus"][...]
    expect(np.all(np.isfinite(wp)), "%s: all weights finite" % c)
    deps, cells = f["wofe_" + c + "_deposits"][...], f["wofe_" + c + "_cells"][...]
    flags = f["wofe_" + c + "_flags"][...].astype(np.int64)
    empty = (deps == 0) & (cells > 0)
    expect(np.all(wp[empty] == 0) and np.all(flags[empty] & 32) and not np.any(flags[~empty] & 32),
           "%s: the published table flags exactly the classes without deposits, with W+ = 0" % c)
    attrs = f["wofe_" + c].attrs
    text = lambda v: v.decode() if isinstance(v, bytes) else str(v)
    expect(text(attrs.get("zero_class")) == "arcsdm" and "32 w_plus_zero" in text(attrs.get("flags")),
           "%s: the table names the convention and its flag bits" % c)

# Blocked k-fold cross-validation when there is no test set (all deposits as training, 2 folds).
job_cv = dict(spec)
all_csv = os.path.join(survey, "all_deposits.csv")
shutil.copy(os.path.join(survey, "truth.csv"), all_csv)
job_cv["training"] = {"path": "all_deposits.csv", "crs": "EPSG:28350", "where_column": "kind", "where_value": "deposit"}
job_cv["models"] = {"folds": 2, "block_size": 2000, "wofe_zero_class": "continuity", "wofe_continuity": 0.5}
json.dump(job_cv, open(os.path.join(survey, "job_cv.json"), "w"), indent=1)
out_cv = os.path.join(work, "out_cv")
p = run(["run", os.path.join(survey, "job_cv.json"), "--out", out_cv])
g = h5py.File(os.path.join(out_cv, "prospectivity.nc"), "r")
src_attr = g["prediction_rate_ni"].attrs.get("source")
src_attr = src_attr.decode() if isinstance(src_attr, bytes) else str(src_attr)
expect("cross-validation" in src_attr, "prediction-rate curve from spatially blocked cross-validation (%s)" % src_attr)
# With models.wofe_zero_class = continuity a class without deposits gets the corrected, non-zero weight.
learn_cv = json.load(open(os.path.join(out_cv, "work", "global", "learn.json")))
corrected = [cl for cj in learn_cv["commodities"].values() for ev in cj["wofe"]["evidence"] for cl in ev["classes"]
             if cl["deposits"] == 0 and cl["cells"] > 0]
expect(corrected and all(cl["w_plus"] != 0 and "continuity_corrected" in cl["flag_names"] and cl["flags"] & 128
                         and not cl["flags"] & 32 for cl in corrected),
       "continuity: %d class(es) without deposits get a corrected, non-zero W+, flagged" % len(corrected))

# Study area (issue 18 item 3): a polygon over the west half bounds the models. Posteriors are nodata
# outside it, the weights count cells and deposits inside it only, and deposits outside are listed.
x0, y0, x1, y1 = spec["grid"]["extent"]
cell = spec["grid"]["cell_size"]
ncols = int(round((x1 - x0) / cell))
mid = x0 + (ncols // 2) * cell
poly = os.path.join(survey, "study_area.gpkg")
sr = osr.SpatialReference()
sr.ImportFromEPSG(28350)
ds = ogr.GetDriverByName("GPKG").CreateDataSource(poly)
lyr = ds.CreateLayer("west", sr, ogr.wkbPolygon)
f = ogr.Feature(lyr.GetLayerDefn())
f.SetGeometry(ogr.CreateGeometryFromWkt("POLYGON ((%f %f, %f %f, %f %f, %f %f, %f %f))" %
                                        (x0 - 1, y0 - 1, mid, y0 - 1, mid, y1 + 1, x0 - 1, y1 + 1, x0 - 1, y0 - 1)))
lyr.CreateFeature(f)
ds = None
job_sa = dict(job_cv)
job_sa["models"] = {"folds": 2, "block_size": 2000, "study_area": "study_area.gpkg"}
json.dump(job_sa, open(os.path.join(survey, "job_study.json"), "w"), indent=1)
out_sa = os.path.join(work, "out_study")
p = run(["run", os.path.join(survey, "job_study.json"), "--out", out_sa])
learn_sa = json.load(open(os.path.join(out_sa, "work", "global", "learn.json")))
west = [r for r in truth if float(r["x"]) < mid]
with h5py.File(os.path.join(out_sa, "prospectivity.nc"), "r") as g:
    for c in spec["commodities"]:
        cj = learn_sa["commodities"][c]
        pc = g["prospectivity_" + c][...]
        inside = (pc != -9999) & np.isfinite(pc)
        inside[:, ncols // 2:] = False
        expect(cj["study_area_cells"] == int(inside.sum()),
               "%s: the study area is the %d valid cells west of %.0f (got %d)" %
               (c, int(inside.sum()), mid, cj["study_area_cells"]))
        n_west = sum(1 for r in west if r["commodity"] == c)
        if "wofe" in cj and "cells" in cj["wofe"]:
            expect(cj["wofe"]["cells"] == int(inside.sum()) and cj["wofe"]["deposits"] == n_west,
                   "%s: weights of evidence count %d cells and %d deposits inside it (got %s, %s)" %
                   (c, int(inside.sum()), n_west, cj["wofe"]["cells"], cj["wofe"]["deposits"]))
        for name in ("posterior_wofe_" + c, "probability_logistic_" + c):
            if name not in g:
                continue
            v = g[name][...]
            ok = np.isfinite(v) & (v != -9999)
            expect(not ok[:, ncols // 2:].any() and ok[:, :ncols // 2].any(),
                   "%s is nodata east of the study area and mapped inside it" % name)
        east = sum(1 for r in truth if r["commodity"] == c and float(r["x"]) >= mid)
        expect(len([x for x in cj["rejected"] if "outside the study area" in x]) == east,
               "%s: the %d deposit(s) east of it are left out, each with its reason" % (c, east))

# The report: self-contained, renders in headless Chromium without console errors, and is not blank.
report = os.path.join(out, "report.html")
html = open(report).read()
expect("data:image/png;base64," in html and "<svg" in html and "Weights of evidence" in html,
       "report.html holds the quicklook maps, curves and the weights table")
expect(not re.search(r"(src|href)=['\"]https?:", html), "report.html loads nothing from the network")
svgs = re.findall(r"<svg.*?</svg>", html, re.S)
curves = [s for s in svgs if not s.startswith("<svg class='map'")]
maps = [s for s in svgs if s.startswith("<svg class='map'")]
ticks = [set(re.findall(r">(0\.[02468]|1)</text>", svg)) for svg in curves]
expect(curves and all({"0.2", "0.4", "0.6", "0.8"} <= t for t in ticks),
       "every rate-curve plot has numbered axis ticks (%s)" % [sorted(t) for t in ticks][:2])
expect(maps and all(re.search(r">training deposits \(\d+\)</text>", m) and re.search(r">test deposits \(\d+\)</text>", m)
                    for m in maps),
       "with training and test deposits every map legend names both")
expect(maps and all("easting (m)" in m and "northing (m)" in m and " km</text>" in m for m in maps),
       "every map has easting/northing axes and a scale bar in km")
check_map_figures(html, work, "learn")
chromium = shutil.which("chromium")
expect(chromium is not None, "chromium is installed")
if chromium:
    shot = os.path.join(work, "report.png")
    profile = os.path.join(work, "chromium-profile")
    p = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                        "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
                        "--window-size=1300,1500", "--screenshot=" + shot, "file://" + report],
                       capture_output=True, text=True, timeout=120)
    console = [l for l in p.stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]
    expect(p.returncode == 0 and os.path.exists(shot), "headless Chromium rendered the report")
    expect(not console, "no console errors (%s)" % console[:3])
    if os.path.exists(shot):
        img = gdal.Open(shot).ReadAsArray().astype(np.float64)
        colours = len(np.unique(img.reshape(img.shape[0], -1).T, axis=0))
        expect(img.std() > 20 and colours > 50,
               "the screenshot is not blank (std %.1f, %d colours)" % (img.std(), colours))
finish()
