"""Inputs made of several files: a VRT mosaic's source GeoTIFF (or an ERS header's data file) rewritten behind an
unchanged VRT makes ingest recompute, found through GDALGetFileList; an untouched rerun recomputes nothing and
reads no input again (the digests come from work/global/file_digests.json)."""
import json
import os
import time

import numpy as np
from osgeo import gdal, osr

from common import expect, finish, fresh_dir, run

gdal.UseExceptions()
d = fresh_dir("vrt_sources")
nx, ny, cell, x0, y0 = 40, 30, 100.0, 400000.0, 7000000.0
srs = osr.SpatialReference()
srs.ImportFromEPSG(32755)


def write_tif(path, values):
    ds = gdal.GetDriverByName("GTiff").Create(path, nx, ny, 1, gdal.GDT_Float32)
    ds.SetGeoTransform((x0, cell, 0, y0, 0, -cell))
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(values)
    ds = None


rng = np.random.default_rng(11)
base = rng.normal(50000.0, 200.0, (ny, nx)).astype(np.float32)
tif = os.path.join(d, "tmi_source.tif")
write_tif(tif, base)
vrt = os.path.join(d, "tmi.vrt")
gdal.BuildVRT(vrt, [tif])
job = {"name": "vrt sources", "grid": {"crs": "EPSG:32755", "align_to": "tmi", "extent": "union"},
       "inputs": [{"id": "tmi", "kind": "magnetics", "path": vrt, "units": "nT", "inclination": -55.0,
                   "declination": 8.0}],
       "commodities": ["cu"], "recipes": {"cu": {"min_weight_fraction": 0.1}}, "anomaly": {"rx": False},
       "output": {"folder": os.path.join(d, "out")}}
jpath = os.path.join(d, "job.json")
json.dump(job, open(jpath, "w"))


def ingest_recomputed(p):
    return "ingest all: recomputing" in p.stderr or "ingest: 1 of 1 unit(s) recomputed" in p.stderr


tile = os.path.join(d, "out", "work", "layers", "tmi", "r000_c000.f32")
run(["run", jpath, "--stages", "ingest"])
first = np.fromfile(tile, dtype=np.float32).reshape(ny, nx)
expect(np.array_equal(first, base), "ingest reads the VRT's source")
cache = json.load(open(os.path.join(d, "out", "work", "global", "file_digests.json")))
expect(any(k.endswith("tmi_source.tif") for k in cache) and any(k.endswith("tmi.vrt") for k in cache),
       "the digest cache holds the VRT and its source (%s)" % sorted(os.path.basename(k) for k in cache))
p = run(["run", jpath, "--stages", "ingest"])
expect(not ingest_recomputed(p), "an untouched rerun recomputes no ingest tile")

vrt_bytes = open(vrt, "rb").read()
time.sleep(0.05)
write_tif(tif, base + 100.0)  # the source changes, the VRT does not
expect(open(vrt, "rb").read() == vrt_bytes, "the VRT file itself is unchanged")
p = run(["run", jpath, "--stages", "ingest"])
expect(ingest_recomputed(p), "rewriting the VRT's source recomputes ingest")
second = np.fromfile(tile, dtype=np.float32).reshape(ny, nx)
expect(np.array_equal(second, base + 100.0), "and ingest reads the new values")
finish()
