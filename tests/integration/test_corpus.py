"""Hostile inputs: `validate` and `run` over every raster in GDAL's autotest corpus (tests/data/gdal_autotest)
and the Geosoft fixtures. Each ends with success or a clear one-line error with the documented exit code, in
bounded time, never a crash, and a failed run leaves no prospectivity.nc."""
import json
import os
import subprocess

from osgeo import gdal

from common import BIN, SOURCE, expect, finish, fresh_dir

gdal.UseExceptions()
work = fresh_dir("corpus")
roots = [os.path.join(SOURCE, "tests", "data", "gdal_autotest"), os.path.join(SOURCE, "tests", "data", "geosoft")]
# Companion files that are not rasters on their own (headers, data halves, projections).
skip_ext = (".hdr", ".prj", ".gri", ".gi", ".xml", ".nc.aux.xml", ".md", ".txt")
files = []
for root in roots:
    for d, _, names in os.walk(root):
        for n in sorted(names):
            if n.lower().endswith(skip_ext) or n in ("8s", "caseinsensitive", "ers_dem", "srtm", "om_expected.nc"):
                continue
            files.append(os.path.join(d, n))
rows = []
for i, path in enumerate(sorted(files)):
    name = os.path.relpath(path, os.path.join(SOURCE, "tests", "data"))
    grid = {"crs": "EPSG:32611", "cell_size": 1.0, "extent": [0, 0, 20, 20]}
    try:
        ds = gdal.Open(path)
        gt = ds.GetGeoTransform()
        xs = sorted([gt[0], gt[0] + gt[1] * ds.RasterXSize])
        ys = sorted([gt[3], gt[3] + gt[5] * ds.RasterYSize])
        # A 40 x 40 analysis grid over the file: huge declared rasters are read through the warper, not whole.
        grid["extent"] = [xs[0], ys[0], xs[1], ys[1]]
        grid["cell_size"] = max((xs[1] - xs[0]) / 40.0, (ys[1] - ys[0]) / 40.0, 1e-9)
        ds = None
    except Exception:
        pass
    d = os.path.join(work, "case_%03d" % i)
    os.makedirs(d)
    job = {"grid": grid, "inputs": [{"id": "layer", "kind": "gravity", "path": path, "crs": "EPSG:32611"}],
           "commodities": ["ni"], "recipes": {"ni": {"min_weight_fraction": 0.0}}, "output": {"folder": os.path.join(d, "out")}}
    jp = os.path.join(d, "job.json")
    json.dump(job, open(jp, "w"))
    outcome = []
    for cmd in ["validate", "run"]:
        try:
            p = subprocess.run([BIN, cmd, jp], capture_output=True, text=True, timeout=120)
            rc, err = p.returncode, [l for l in p.stderr.splitlines() if "error:" in l]
        except subprocess.TimeoutExpired:
            rc, err = "timeout", []
        outcome.append((rc, err))
    (vrc, verr), (rrc, rerr) = outcome
    left = os.path.exists(os.path.join(d, "out", "prospectivity.nc"))
    ok = vrc in (0, 2, 3) and rrc in (0, 3) and (rrc == 0) == left and (rrc == 0 or len(rerr) == 1)
    msg = rerr[0].split("error: ", 1)[1][:150] if rerr else ("ok" if rrc == 0 else "")
    rows.append((name, vrc, rrc, msg))
    expect(ok, "%-55s validate %s, run %s: %s" % (name, vrc, rrc, msg))
print("\ncorpus outcome (file | validate exit | run exit | message):")
for r in rows:
    print("| %s | %s | %s | %s |" % r)
finish()
