"""`prospector export`: the grids of a run's output as Cloud-Optimized GeoTIFFs (GDAL's validator passes,
LAYOUT=COG, overviews, nodata, the grid's CRS and geotransform, values equal to prospectivity.nc) and as tiled
GeoTIFFs with internal overviews, each with a QGIS style (a colour ramp over the grid's range; unit names for
class codes), a style for targets.gpkg, QGIS itself (headless PyQGIS) opening, styling and drawing them, and
clear errors for an unknown layer or a missing output."""
import glob
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import h5py
import numpy as np
from osgeo import gdal
from osgeo_utils.samples import validate_cloud_optimized_geotiff as cog

from common import expect, finish, fresh_dir, run

gdal.UseExceptions()
work = fresh_dir("export")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "300", "--seed", "5"])
run(["run", os.path.join(survey, "job.json")])
out = os.path.join(survey, "out")
nc = os.path.join(out, "prospectivity.nc")
with h5py.File(nc, "r") as f:
    ys, xs = f["y"][:], f["x"][:]
    grids = {k: f[k][:] for k in f if isinstance(f[k], h5py.Dataset) and f[k].shape == (len(ys), len(xs))}
expect("prospectivity_cu" in grids and "geology" in grids, "the output holds prospectivity and geology grids")

r = run(["export", out])
expect(r.returncode == 0, "export OUT writes every grid")
exp = os.path.join(out, "export")
tifs = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(exp, "*.tif")))
expect(tifs == sorted(grids), "one GeoTIFF per grid of the output (%d)" % len(grids))
expect(not [p for p in os.listdir(exp) if "partial" in p], "no partial file is left")
for name in ("prospectivity_cu", "geology", "faults_distance"):
    path = os.path.join(exp, name + ".tif")
    info = json.loads(subprocess.run(["gdalinfo", "-json", path], capture_output=True, text=True).stdout)
    warnings, errors, _ = cog.validate(path, full_check=True)
    expect(not errors, "%s: GDAL's COG validator finds no error (%s)" % (name, errors))
    expect(info["metadata"].get("IMAGE_STRUCTURE", {}).get("LAYOUT") == "COG", "%s: gdalinfo reports LAYOUT=COG" % name)
    band = info["bands"][0]
    expect(len(band.get("overviews", [])) >= 1, "%s: has overviews" % name)
    expect(band.get("noDataValue") == -9999, "%s: nodata -9999" % name)
    expect("MGA zone 50" in info["coordinateSystem"]["wkt"], "%s: the grid's CRS" % name)
    gt = info["geoTransform"]
    expect(abs(gt[0] - (xs[0] - gt[1] / 2)) < 1e-6 and abs(gt[3] - (ys[0] - gt[5] / 2)) < 1e-6,
           "%s: the grid's geotransform" % name)
    tif = gdal.Open(path)
    a = tif.GetRasterBand(1).ReadAsArray()
    tif = None
    want = np.where(np.isnan(grids[name]), -9999, grids[name])
    expect(np.array_equal(a, want), "%s: values equal prospectivity.nc cell for cell" % name)
    style = ET.parse(os.path.join(exp, name + ".qml")).getroot()
    renderer = style.find("pipe/rasterrenderer")
    if name == "geology":
        labels = [e.get("label") for e in renderer.iter("paletteEntry")]
        expect(renderer.get("type") == "paletted" and "ultramafic" in labels,
               "geology.qml: a paletted style naming the units %s" % labels)
    else:
        lo, hi = float(renderer.get("classificationMin")), float(renderer.get("classificationMax"))
        valid = grids[name][~np.isnan(grids[name])]
        expect(renderer.get("type") == "singlebandpseudocolor" and abs(lo - valid.min()) < 1e-4 * max(1, abs(lo))
               and abs(hi - valid.max()) < 1e-4 * max(1, abs(hi)),
               "%s.qml: a colour ramp over the grid's range [%g, %g]" % (name, lo, hi))
expect(ET.parse(os.path.join(exp, "targets.qml")).getroot().find("renderer-v2") is not None,
       "targets.qml: a QGIS style for targets.gpkg")

# QGIS (headless PyQGIS, in its own process) opens the COGs and targets.gpkg, applies the exported styles and
# draws them.
env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=os.path.join(work, "xdg"))
os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
q = subprocess.run(["/usr/bin/python3", os.path.join(os.path.dirname(os.path.abspath(__file__)), "qgis_open.py"),
                    exp, os.path.join(out, "targets.gpkg"), work, "prospectivity_cu", "geology"],
                   capture_output=True, text=True, timeout=300, env=env)
try:
    qr = json.loads(q.stdout.strip().splitlines()[-1])
except (ValueError, IndexError):
    qr = {}
expect(qr, "QGIS ran on the export (python3-qgis; rc %d: %s)" % (q.returncode, q.stderr.strip()[-300:]))
extent = [xs[0] - (xs[1] - xs[0]) / 2, ys[-1] - (ys[0] - ys[1]) / 2, xs[-1] + (xs[1] - xs[0]) / 2,
          ys[0] + (ys[0] - ys[1]) / 2]
for name, renderer in (("prospectivity_cu", "singlebandpseudocolor"), ("geology", "paletted")):
    r = qr.get(name, {})
    expect(r.get("valid") and r.get("crs") == "EPSG:28350" and
           np.allclose(r.get("extent", [0, 0, 0, 0]), extent, atol=1e-6),
           "QGIS opens %s.tif: valid, EPSG:28350, the grid's extent (%s)" % (name, {k: r.get(k) for k in ("valid", "crs")}))
    expect(r.get("style_loaded") and r.get("renderer") == renderer,
           "QGIS applies %s.qml: a %s renderer (%s %s)" % (name, renderer, r.get("renderer"), r.get("style_message")))
    if r.get("png"):
        img = gdal.Open(r["png"]).ReadAsArray()[:3]
        colours = len(np.unique(img.reshape(3, -1).T, axis=0))
        expect(colours >= (50 if name.startswith("prospectivity") else 4),
               "QGIS draws %s with its style (%d colours)" % (name, colours))
expect(set(qr.get("geology", {}).get("labels", [])) >= {"granite", "ultramafic"},
       "QGIS shows the geology units by name (%s)" % qr.get("geology", {}).get("labels"))
t = qr.get("targets", {})
expect(t.get("valid") and t.get("features", 0) > 0 and t.get("style_loaded") and t.get("renderer"),
       "QGIS opens targets.gpkg's targets_cu and applies targets.qml (%s)" % t)
if t.get("png"):
    img = gdal.Open(t["png"]).ReadAsArray()[:3].astype(int)
    red = ((img[0] > 150) & (img[1] < 80) & (img[2] < 80)).mean()
    expect(red > 0.001, "QGIS draws the target outlines in targets.qml's red (%.2f%% of pixels)" % (100 * red))

# Tiled GeoTIFF with internal overviews, a chosen subset, into a chosen folder.
tdir = os.path.join(work, "gtiff")
r = run(["export", nc, "--format", "GTiff", "--layers", "prospectivity_ni,geology", "--dir", tdir])
expect(sorted(os.listdir(tdir)) == ["geology.qml", "geology.tif", "prospectivity_ni.qml", "prospectivity_ni.tif",
                                   "targets.qml"],
       "--layers and --dir: only the chosen grids, in the chosen folder (%s)" % sorted(os.listdir(tdir)))
ds = gdal.Open(os.path.join(tdir, "prospectivity_ni.tif"))
b = ds.GetRasterBand(1)
expect(b.GetOverviewCount() >= 1 and b.GetBlockSize() == [256, 256], "GTiff: tiled 256 x 256 with overviews")

# Errors.
r = run(["export", out, "--layers", "prospectivity_xx"], check=False)
expect(r.returncode == 2 and "no grid 'prospectivity_xx'" in r.stderr and "prospectivity_cu" in r.stderr,
       "an unknown layer: exit 2, naming the grids there are (%s)" % r.stderr.strip()[:200])
r = run(["export", os.path.join(work, "nowhere")], check=False)
expect(r.returncode == 2 and "nowhere" in r.stderr, "a missing output: exit 2 naming it")
finish()
