"""Real public survey data through real job files (jobs/real/*.json): georeferenced output, and for the
Capricorn soil geochemistry every kind of odd value handled as documented and counted in the log."""
import csv
import json
import math
import os
import re
import sys

import h5py
import numpy as np
from osgeo import gdal, osr

from common import SOURCE, expect, finish, fresh_dir, run, tool

case = sys.argv[1]
job = os.path.join(SOURCE, "jobs", "real", case + ".json")
spec = json.load(open(job))
epsg = spec["grid"]["crs"].split(":")[1]
out = fresh_dir("real_" + case)
p = run(["run", job, "--out", out, "--threads", "2"])
log = p.stderr
h5 = os.path.join(out, "prospectivity.nc")
expect(os.path.exists(h5), "%s: prospectivity.nc written" % case)

for c in spec["commodities"]:
    for name in ['HDF5:"%s"://prospectivity_%s' % (h5, c), 'NETCDF:"%s":prospectivity_%s' % (h5, c)]:
        j = json.loads(tool(["gdalinfo", "-json", name]).stdout)
        srs = osr.SpatialReference()
        srs.ImportFromWkt(j["coordinateSystem"]["wkt"])
        srs.AutoIdentifyEPSG()
        gt = j["geoTransform"]
        expect(srs.GetAuthorityCode(None) == epsg and abs(gt[1] - spec["grid"]["cell_size"]) < 1e-9,
               "%s: %s georeferenced in EPSG:%s with %s m cells" % (case, name.split(":")[0], epsg, gt[1]))
f = h5py.File(h5, "r")
for c in spec["commodities"]:
    a = f["prospectivity_" + c][...]
    valid = a[a != -9999]
    expect(valid.size > 0 and 0 <= valid.min() and valid.max() <= 1,
           "%s: prospectivity_%s has %d valid cells in [0, 1]" % (case, c, valid.size))
    expect(f["target_" + c].shape[0] > 0, "%s: %s has ranked targets" % (case, c))

if case == "sirsam":
    # Geographic inputs were reprojected: the grid lies in MGA zone 51 eastings/northings.
    x = f["x"][...]
    y = f["y"][...]
    expect(300000 < x.min() < x.max() < 500000 and 6900000 < y.min() < y.max() < 7000000,
           "sirsam: grid coordinates are MGA51 metres (x %.0f..%.0f, y %.0f..%.0f)" % (x.min(), x.max(), y.min(), y.max()))
    expect(re.search(r"gravity: warped \S+ with average", log) is not None,
           "sirsam: the ~85 m gravity was averaged onto the 200 m grid (resampling chosen per input)")
    expect("regolith" in log and "samples outside the grid extent" in log, "sirsam: regolith points counted")

if case == "capricorn":
    rows = list(csv.DictReader(open(os.path.join(SOURCE, "tests", "data", "csiro_capricorn",
                                                 "capricorn_soil_geochem_CSIRO.csv"))))
    bad = [r for r in rows if not (math.isfinite(float(r["X"])) and abs(float(r["X"])) < 1e300 and
                                   math.isfinite(float(r["Y"])) and abs(float(r["Y"])) < 1e300)]
    expect(("%d skipped for missing/invalid coordinates" % len(bad)) in log,
           "capricorn: %d rows with missing coordinates counted in the log" % len(bad))
    good = [r for r in rows if r not in bad]
    for el in ["Cu", "Ni", "Co", "Li", "Sn"]:
        v = np.array([float(r[el + "_ppm"]) for r in good])
        zeros, neg, pos = int((v == 0).sum()), int((v < 0).sum()), int((v > 0).sum())
        m = re.search(r"soil\.%s: (\d+) measured, (\d+) censored '<DL', (\d+) censored negative \(below detection\), "
                      r"(\d+) not analysed \(0\)" % el, log)
        got = tuple(int(g) for g in m.groups()) if m else None
        expect(got == (pos, 0, neg, zeros),
               "capricorn %s: log counts measured/censored/negative/not-analysed %s == %s" % (el, got, (pos, 0, neg, zeros)))
finish()
