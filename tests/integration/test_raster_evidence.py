"""Any raster as evidence: a continuous `raster` input (a slope grid) read by a recipe with transform value, and
a `categorical_raster` (class codes on a coarser, offset lattice) resampled nearest-neighbour, so every cell holds
the code of the source pixel under its centre, with class names from the raster attribute table."""
import copy
import json
import math
import os

import h5py
import numpy as np
from osgeo import gdal

from common import SOURCE, expect, finish, fresh_dir, run

gdal.UseExceptions()
work = fresh_dir("raster_evidence")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "48", "--seed", "6"])
base = json.load(open(os.path.join(survey, "job.json")))
xmin, ymin, xmax, ymax = base["grid"]["extent"]
src = gdal.Open(os.path.join(survey, "tmi_mga50.tif"))
wkt = src.GetProjection()

# Class codes on a 70 m lattice offset from the 50 m grid, with an attribute table naming them.
gt = (xmin - 33.0, 70.0, 0.0, ymax + 41.0, 0.0, -70.0)
nx, ny = int((xmax - xmin + 100) / 70) + 1, int((ymax - ymin + 100) / 70) + 1
codes = ((np.add.outer(np.arange(ny) // 5, np.arange(nx) // 4)) % 3 + 1).astype(np.uint8)
codes[0:3, 0:3] = 7
cls = os.path.join(work, "lith.tif")
ds = gdal.GetDriverByName("GTiff").Create(cls, nx, ny, 1, gdal.GDT_Byte)
ds.SetGeoTransform(gt)
ds.SetProjection(wkt)
band = ds.GetRasterBand(1)
band.WriteArray(codes)
rat = gdal.RasterAttributeTable()
rat.CreateColumn("value", gdal.GFT_Integer, gdal.GFU_MinMax)
rat.CreateColumn("name", gdal.GFT_String, gdal.GFU_Name)
for i, (v, n) in enumerate([(1, "granite"), (2, "mafic volcanics"), (3, "shale"), (7, "ultramafic")]):
    rat.SetValueAsInt(i, 0, v)
    rat.SetValueAsString(i, 1, n)
band.SetDefaultRAT(rat)
ds = None

# A continuous raster: a smooth "slope" field.
slope = os.path.join(work, "slope.tif")
ds = gdal.GetDriverByName("GTiff").Create(slope, src.RasterXSize, src.RasterYSize, 1, gdal.GDT_Float32)
ds.SetGeoTransform(src.GetGeoTransform())
ds.SetProjection(wkt)
yy, xx = np.mgrid[0:src.RasterYSize, 0:src.RasterXSize]
ds.GetRasterBand(1).WriteArray((20.0 * xx / src.RasterXSize).astype(np.float32))
ds = None

recipe = json.load(open(os.path.join(SOURCE, "jobs", "recipes", "sn.json")))
recipe["evidence"].append({"id": "steep", "source": {"kind": "raster", "element": "slope"}, "transform": "value",
                           "membership": {"shape": "linear", "low": 5, "high": 15}, "weight": 0.5,
                           "rationale": "test: a user's own grid as evidence"})
recipe["evidence"].append({"id": "host", "source": {"kind": "categorical_raster"}, "transform": "category",
                           "categories": {"granite": 1.0}, "weight": 0.5, "rationale": "test"})
rpath = os.path.join(work, "sn.json")
json.dump(recipe, open(rpath, "w"), indent=1)
spec = copy.deepcopy(base)
spec["inputs"] = [dict(i, path=os.path.join(survey, i["path"])) for i in spec["inputs"]
                  if i["kind"] not in ("geology", "structures", "features")]  # the demo's own map: replaced here
spec["inputs"] += [{"id": "lith", "kind": "categorical_raster", "path": cls},
                   {"id": "slope", "kind": "raster", "element": "slope", "path": slope, "units": "degree"}]
spec["commodities"] = ["sn"]
spec["output"] = {"layers": ["prospectivity", "evidence", "anomalies"]}  # every z-score grid, to check which exist
spec["recipes"] = {"sn": {"path": rpath}}
job = os.path.join(work, "job.json")
json.dump(spec, open(job, "w"), indent=1)
out = os.path.join(work, "out")
p = run(["run", job, "--out", out])
expect("lith: warped" in p.stderr and "nearest resampling" in p.stderr,
       "the categorical raster is warped nearest-neighbour (%s)" % [l for l in p.stderr.splitlines() if "lith:" in l])
f = h5py.File(os.path.join(out, "prospectivity.nc"), "r")
lith = f["lith"][...]
xs, ys = f["x"][...], f["y"][...]
want = np.empty_like(lith)
for r, y in enumerate(ys):
    for c, x in enumerate(xs):
        want[r, c] = codes[int(math.floor((y - gt[3]) / gt[5])), int(math.floor((x - gt[0]) / gt[1]))]
expect(np.array_equal(lith, want), "every cell holds the code of the source pixel under its centre (%d differ)" %
       int(np.sum(lith != want)))
fm = f["lith"].attrs["flag_meanings"]
fm = fm.decode() if isinstance(fm, bytes) else str(fm)
expect(list(f["lith"].attrs["flag_values"]) == [1, 2, 3, 7] and fm == "granite mafic_volcanics shale ultramafic",
       "class names from the raster attribute table as flag_values / flag_meanings (%s)" % fm)
expect("anomaly_slope_robust_z" in f and "anomaly_lith_robust_z" not in f,
       "the continuous raster gets z-scores, the categorical one not")
sn = f["prospectivity_sn"][...]
gran = lith == 1
expect(float(np.mean(sn[gran])) > float(np.mean(sn[~gran])), "prospectivity_sn is higher on granite")
east = np.zeros_like(gran)
east[:, 3 * lith.shape[1] // 4:] = True
expect(float(np.mean(sn[east & gran])) > float(np.mean(sn[~east & gran])), "and higher where the slope is steep")
finish()
