"""Grid alignment: a job keeps the cells of its survey instead of resampling them.

A 100 m survey whose origin (345975, 6912025) is not a multiple of the cell size is ingested
- with grid.align_to naming it (no cell_size), and
- with an explicit extent starting at its origin,
and in both cases ingest's tile equals the raster bit for bit (nodata as NaN), and the log says the input was
read directly, not warped. A grid whose cells do not line up (half a cell off) is warped, as before.
"""
import json
import os

import numpy as np
from osgeo import gdal, osr

from common import expect, finish, fresh_dir, run

gdal.UseExceptions()
d = fresh_dir("grid_alignment")
nx, ny, cell, x0, y0 = 73, 51, 100.0, 345975.0, 6912025.0
rng = np.random.default_rng(5)
values = (rng.normal(50000.0, 300.0, (ny, nx))).astype(np.float32)
values[10:14, 20:25] = -99999.0  # nodata
values[30, 40] = 1e30  # an undeclared dummy
path = os.path.join(d, "tmi.tif")
ds = gdal.GetDriverByName("GTiff").Create(path, nx, ny, 1, gdal.GDT_Float32)
ds.SetGeoTransform((x0, cell, 0, y0, 0, -cell))
srs = osr.SpatialReference()
srs.ImportFromEPSG(32755)
ds.SetProjection(srs.ExportToWkt())
ds.GetRasterBand(1).SetNoDataValue(-99999.0)
ds.GetRasterBand(1).WriteArray(values)
ds = None
expected = values.astype(np.float64)
expected[(values == -99999.0) | (np.abs(values) >= 1e29)] = np.nan


def job(name, grid):
    j = {"name": name, "grid": dict(grid, crs="EPSG:32755"),
         "inputs": [{"id": "tmi", "kind": "magnetics", "path": path, "units": "nT",
                     "inclination": -55.0, "declination": 8.0}],
         "commodities": ["cu"], "recipes": {"cu": {"min_weight_fraction": 0.1}}, "anomaly": {"rx": False}, "output": {"folder": os.path.join(d, "out_" + name)}}
    p = os.path.join(d, name + ".json")
    json.dump(j, open(p, "w"))
    return p


def ingested(name):
    raw = np.fromfile(os.path.join(d, "out_" + name, "work", "layers", "tmi", "r000_c000.f32"), dtype=np.float32)
    return raw


cases = [("align_to", {"align_to": "tmi", "extent": "union"}),
         ("explicit", {"cell_size": cell, "extent": [x0, y0 - ny * cell, x0 + nx * cell, y0]})]
for name, grid in cases:
    v = run(["validate", job(name, grid)]).stdout
    expect("73 x 51 cells of 100 m, x 345975..353275, y 6906925..6912025" in v,
           "%s: the grid has the survey's cells: %s" % (name, v.split("\n")[1]))
    p = run(["run", os.path.join(d, name + ".json"), "--stages", "ingest"])
    got = ingested(name)
    expect(got.size == nx * ny and np.array_equal(got.reshape(ny, nx), expected.astype(np.float32), equal_nan=True),
           "%s: ingest's tile equals the survey raster bit for bit" % name)
    expect("read " in p.stderr and "directly" in p.stderr, "%s: the log says the input was read directly" % name)

off = {"cell_size": cell, "extent": [x0 + 50, y0 - ny * cell + 50, x0 + nx * cell - 50, y0 - 50]}
p = run(["run", job("shifted", off), "--stages", "ingest"])
expect("warped" in p.stderr, "a grid half a cell off the survey's cells is warped")

bad = job("bad", {"align_to": "nope", "extent": "union"})
p = run(["validate", bad], check=False)
expect(p.returncode == 2 and "grid.align_to" in p.stderr and "nope" in p.stderr,
       "align_to naming no input is a usage error naming the key: %s" % p.stderr.strip())
finish()
