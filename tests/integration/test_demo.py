"""End to end on the synthetic demo survey: planted deposits recovered, decoys rejected, GIS tools read the
output georeferenced, and results are bit-identical with 1 and 2 OpenMP threads."""
import csv
import json
import math
import os
import re

import h5py
import numpy as np
from osgeo import gdal, ogr, osr

from common import expect, finish, fresh_dir, run, tool

gdal.UseExceptions()
work = fresh_dir("demo")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "400", "--seed", "11"])
job = os.path.join(survey, "job.json")
expect(os.path.exists(os.path.join(survey, "truth.csv")), "synth writes truth.csv")
with open(job) as f:
    spec = json.load(f)

p = run(["validate", job])
expect("is valid" in p.stdout and "estimate" in p.stdout, "validate prints the plan with estimates")

out2 = os.path.join(work, "out_t2")
out1 = os.path.join(work, "out_t1")
p2 = run(["run", job, "--out", out2, "--threads", "2"])
run(["run", job, "--out", out1, "--threads", "1"])
log = p2.stderr
expect("[ingest]" in log or "ingest" in log, "run logs progress per stage")
h5 = os.path.join(out2, "prospectivity.nc")
gpkg = os.path.join(out2, "targets.gpkg")
expect(os.path.exists(h5) and os.path.exists(gpkg) and os.path.exists(h5 + ".aux.xml"),
       "run writes prospectivity.nc, its .aux.xml sidecar and targets.gpkg")

cell = spec["grid"]["cell_size"]
xmin, ymin, xmax, ymax = spec["grid"]["extent"]
x0 = math.floor(xmin / cell) * cell
y0 = math.ceil(ymax / cell) * cell
commodities = spec["commodities"]

# --- planted deposits and decoys ---------------------------------------------------------------------------
truth = list(csv.DictReader(open(os.path.join(survey, "truth.csv"))))
ds = ogr.Open(gpkg)


def targets_of(c):
    lyr = ds.GetLayerByName("targets_" + c)
    feats = [(f.GetField("rank"), f.GetGeometryRef().Clone()) for f in lyr]
    return sorted(feats, key=lambda t: t[0])


def hits(targets, x, y, max_rank):
    pt = ogr.Geometry(ogr.wkbPoint)
    pt.AddPoint_2D(float(x), float(y))
    return [r for r, g in targets if r <= max_rank and (g.Contains(pt) or g.Distance(pt) <= cell)]


all_targets = {c: targets_of(c) for c in commodities}
for c in commodities:
    planted = [t for t in truth if t["commodity"] == c and t["kind"] == "deposit"]
    expect(len(planted) >= 2, "%s: at least two planted deposits (%d)" % (c, len(planted)))
    for d in planted:
        h = hits(all_targets[c], d["x"], d["y"], 2 * len(planted))
        expect(bool(h), "%s deposit at (%s, %s) lies in a top-%d target (ranks %s)" %
               (c, d["x"], d["y"], 2 * len(planted), h))
decoys = [t for t in truth if t["kind"] == "decoy"]
expect(len(decoys) >= 4, "at least four decoys planted (%d)" % len(decoys))
for d in decoys:
    for c in commodities:
        h = hits(all_targets[c], d["x"], d["y"], 2)
        expect(not h, "decoy (%s) at (%s, %s) is not a top-2 %s target" % (d["commodity"], d["x"], d["y"], c))

# --- GDAL: plain listing (netCDF driver, from the .nc name), HDF5 subdatasets via the sidecar, NETCDF: --------
info = tool(["gdalinfo", h5]).stdout
expect("Driver: netCDF" in info, "plain gdalinfo opens prospectivity.nc with the netCDF driver")
for c in commodities:
    expect(('NETCDF:"%s":prospectivity_%s' % (h5, c)) in info, "plain gdalinfo lists prospectivity_%s" % c)


def check_georef(name, label):
    j = json.loads(tool(["gdalinfo", "-json", name]).stdout)
    gt = j.get("geoTransform")
    ok_gt = gt is not None and abs(gt[0] - x0) < 1e-6 and abs(gt[3] - y0) < 1e-6 and abs(gt[1] - cell) < 1e-9 \
        and abs(gt[5] + cell) < 1e-9
    expect(ok_gt, "%s: origin (%s) and cell size match the analysis grid" % (label, gt))
    wkt = j.get("coordinateSystem", {}).get("wkt", "")
    srs = osr.SpatialReference()
    epsg = None
    if wkt:
        srs.ImportFromWkt(wkt)
        srs.AutoIdentifyEPSG()
        epsg = srs.GetAuthorityCode(None)
    expect(epsg == "28350", "%s: EPSG code 28350 (got %s)" % (label, epsg))
    nd = j["bands"][0].get("noDataValue")
    expect(nd == -9999, "%s: nodata -9999 (got %s)" % (label, nd))


for c in commodities:
    check_georef('HDF5:"%s"://prospectivity_%s' % (h5, c), "HDF5 prospectivity_%s" % c)
    check_georef('NETCDF:"%s":prospectivity_%s' % (h5, c), "NETCDF prospectivity_%s" % c)

# --- values: gdallocationinfo at a planted deposit equals what the pipeline holds -------------------------
f = h5py.File(h5, "r")
for c in commodities:
    d = [t for t in truth if t["commodity"] == c and t["kind"] == "deposit"][0]
    x, y = float(d["x"]), float(d["y"])
    col = int((x - x0) // cell)
    row = int((y0 - y) // cell)
    held = float(f["prospectivity_" + c][row, col])
    for name in ['HDF5:"%s"://prospectivity_%s' % (h5, c), 'NETCDF:"%s":prospectivity_%s' % (h5, c)]:
        v = tool(["gdallocationinfo", "-valonly", "-geoloc", name, str(x), str(y)]).stdout.strip()
        expect(v != "" and abs(float(v) - held) < 1e-6,
               "gdallocationinfo at the %s deposit via %s returns the held value %.6f (got %s)" %
               (c, name.split(":")[0], held, v))

# --- OGR: target layers with CRS and feature count --------------------------------------------------------
for c in commodities:
    o = tool(["ogrinfo", "-so", gpkg, "targets_" + c]).stdout
    m = re.search(r"Feature Count: (\d+)", o)
    n_h5 = f["target_" + c].shape[0]
    expect(m is not None and int(m.group(1)) == n_h5 and n_h5 > 0,
           "ogrinfo: targets_%s has %s features, as many as the HDF5 (%d)" % (c, m and m.group(1), n_h5))
    expect('ID["EPSG",28350]' in o or "EPSG\",\"28350" in o or "28350" in o, "ogrinfo: targets_%s in EPSG:28350" % c)
    o = tool(["ogrinfo", "-so", gpkg, "target_points_" + c]).stdout
    expect("Point" in o, "ogrinfo lists the target_points_%s layer" % c)

# --- netCDF and h5py --------------------------------------------------------------------------------------
nc = tool(["ncdump", "-h", h5], check=False)
expect(nc.returncode == 0, "ncdump -h reads the file (%s)" % nc.stderr.strip()[:200])
expect("prospectivity_cu(y, x)" in nc.stdout, "ncdump shows prospectivity_cu(y, x)")
expect(":Conventions = \"CF-1.8\"" in nc.stdout, "ncdump shows Conventions CF-1.8")
expect(f["x"].shape[0] == f["prospectivity_cu"].shape[1] and f["y"].shape[0] == f["prospectivity_cu"].shape[0],
       "h5py: x/y coordinates match the grid shape")
expect(abs(f["x"][0] - (x0 + cell / 2)) < 1e-9 and abs(f["y"][0] - (y0 - cell / 2)) < 1e-9,
       "h5py: coordinates are pixel centres, north-up")
pc = f["prospectivity_cu"][...]
valid = pc[pc != -9999]
expect(valid.size > 0 and valid.min() >= 0 and valid.max() <= 1, "prospectivity is in [0, 1]")
expect(f["prospectivity_cu"].compression == "gzip" and f["prospectivity_cu"].chunks is not None,
       "grids are chunked and deflate-compressed")
prov = f["provenance"].attrs
expect(b"tmi" in prov["inputs"] if isinstance(prov["inputs"], bytes) else "tmi" in prov["inputs"],
       "provenance lists the inputs")
expect(len(re.findall(r"[0-9a-f]{64}", str(prov["inputs"]))) == len(spec["inputs"]),
       "provenance holds a SHA-256 per input")

# --- determinism: 1 vs 2 threads --------------------------------------------------------------------------
g = h5py.File(os.path.join(out1, "prospectivity.nc"), "r")
names = []
f.visit(lambda n: names.append(n) if isinstance(f[n], h5py.Dataset) else None)


def content(d):
    # Variable-length strings come back as objects, whose bytes are pointers: compare their values.
    v = d[...]
    return v.tolist() if v.dtype.kind == "O" else v.tobytes()


different = [n for n in names if f[n].shape != g[n].shape or content(f[n]) != content(g[n])]
expect(not different, "all %d datasets bit-identical with 1 and 2 threads (differ: %s)" % (len(names), different))

# --- report: the demo has no training deposits, so no curves; the report and the log say why -------------------
html = open(os.path.join(out2, "report.html")).read()
maps = re.findall(r"<svg class='map'.*?</svg>", html, re.S)
expect(len(maps) == len(commodities) and all("training deposits" not in m and "test deposits" not in m and
                                             ">no known deposits given for this commodity</text>" in m for m in maps),
       "the map legends promise no training or test deposits the job does not have, and say so")
notes = re.findall(r"<p class='note'>([^<]*)", html)
expect(len(notes) == len(commodities) and all("No success- or prediction-rate curve" in n and "training.path" in n
                                              for n in notes),
       "the report says per commodity why no rate curve is drawn (%s)" % notes[:1])
expect(len(re.findall(r"report, \w+: No success- or prediction-rate curve", log)) == len(commodities),
       "the log says why the report has no rate curves")

p = run(["inspect", h5])
expect("prospectivity_cu" in p.stdout, "inspect summarises the output")
finish()
