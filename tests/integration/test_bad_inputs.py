"""Bad input, each a case: a one-line error naming the file or key, the documented exit code, no crash, and
no prospectivity.nc left behind."""
import copy
import json
import os
import shutil

import numpy as np
from osgeo import gdal, osr

from common import SOURCE, expect, finish, fresh_dir, run

gdal.UseExceptions()
work = fresh_dir("bad")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "64", "--seed", "3"])
with open(os.path.join(survey, "job.json")) as f:
    base = json.load(f)
corpus = os.path.join(SOURCE, "tests", "data", "gdal_autotest")


def abspaths(spec):
    for i in spec["inputs"]:
        if not os.path.isabs(i["path"]):
            i["path"] = os.path.join(survey, i["path"])
    return spec


def check_case(name, spec, code, needle, raw=None):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    job = os.path.join(d, "job.json")
    if isinstance(spec, dict) and "output" not in spec:
        spec["output"] = {"folder": os.path.join(d, "out")}
    with open(job, "w") as f:
        f.write(raw if raw is not None else json.dumps(spec, indent=2))
    p = run(["run", job], check=False)
    err_lines = [l for l in p.stderr.splitlines() if "error:" in l]
    out_dir = (spec.get("output", {}) or {}).get("folder", os.path.join(d, "out")) if isinstance(spec, dict) else ""
    left = out_dir and os.path.exists(os.path.join(out_dir, "prospectivity.nc"))
    ok = p.returncode == code and len(err_lines) == 1 and needle in err_lines[0] and not left
    expect(ok, "%s: exit %d (got %d), one error line naming '%s': %s%s" %
           (name, code, p.returncode, needle, err_lines[-1] if err_lines else p.stderr[-300:],
            " [prospectivity.nc left behind]" if left else ""))


# Job file errors: exit 2, naming the key and the file.
s = abspaths(copy.deepcopy(base)); s["colour"] = "red"
check_case("unknown_key", s, 2, "colour")
s = abspaths(copy.deepcopy(base)); s["inputs"][0]["nodataa"] = 0
check_case("unknown_nested_key", s, 2, "inputs[0].nodataa")
s = abspaths(copy.deepcopy(base)); s["grid"]["cell_size"] = "50 m"
check_case("wrong_type", s, 2, "grid.cell_size")
s = abspaths(copy.deepcopy(base)); s["commodities"] = ["cu", "gold"]
check_case("unknown_commodity", s, 2, "gold")
check_case("not_json", {"output": {}}, 2, "job.json", raw="{ this is not json")

# Input data errors: exit 3, naming the file.
s = abspaths(copy.deepcopy(base)); s["inputs"][0]["path"] = os.path.join(work, "no_such_tmi.tif")
check_case("missing_file", s, 3, "no_such_tmi.tif")
s = abspaths(copy.deepcopy(base)); s["grid"]["extent"] = [100000, 1000000, 110000, 1010000]
check_case("no_overlap", s, 3, "does not overlap")

# An all-nodata layer over the survey area.
src = gdal.Open(os.path.join(survey, base["inputs"][0]["path"]))
nd_path = os.path.join(work, "all_nodata.tif")
dst = gdal.GetDriverByName("GTiff").Create(nd_path, src.RasterXSize, src.RasterYSize, 1, gdal.GDT_Float32)
dst.SetGeoTransform(src.GetGeoTransform()); dst.SetProjection(src.GetProjection())
b = dst.GetRasterBand(1); b.SetNoDataValue(-99999); b.WriteArray(np.full((src.RasterYSize, src.RasterXSize), -99999, np.float32))
dst = None
s = abspaths(copy.deepcopy(base)); s["inputs"][0]["path"] = nd_path
check_case("all_nodata", s, 3, "all_nodata.tif")

# Corrupt rasters from GDAL's autotest corpus, on a grid that covers them so that every byte is read.
for rel in ["gcore/byte_truncated.tif", "gcore/hugeblocksize.tif", "gcore_gtiff/lzw_corrupted.tif",
            "gcore/corrupted_deflate_singlestrip.tif", "gcore/tiled_bad_offset.tif", "gdrivers_ehdr/truncated.bin",
            "gdrivers_netcdf/byte_truncated.nc", "gdrivers_aaigrid/starting_with_nan.asc"]:
    path = os.path.join(corpus, rel)
    grid = {"crs": "EPSG:32611", "cell_size": 60.0, "extent": [440720, 3750120, 441920, 3751320]}
    try:
        ds = gdal.Open(path)
        gt = ds.GetGeoTransform()
        if ds.GetProjection():
            grid["crs"] = ds.GetProjection()
        xs = [gt[0], gt[0] + gt[1] * ds.RasterXSize]
        ys = [gt[3], gt[3] + gt[5] * ds.RasterYSize]
        grid = {"crs": grid["crs"], "cell_size": abs(gt[1]), "extent": [min(xs), min(ys), max(xs), max(ys)]}
        ds = None
    except Exception:
        pass
    s = {"grid": grid, "inputs": [{"id": "mag", "kind": "gravity", "path": path, "crs": grid["crs"]}],
         "commodities": ["ni"], "recipes": {"ni": {"min_weight_fraction": 0.0}}}
    check_case("corrupt_" + os.path.basename(rel).replace(".", "_"), s, 3, os.path.basename(rel))

# Unwritable output folder: its parent is a regular file (root ignores permission bits).
blocker = os.path.join(work, "a_file")
open(blocker, "w").write("x")
s = abspaths(copy.deepcopy(base)); s["output"] = {"folder": os.path.join(blocker, "out")}
check_case("unwritable_output", s, 4, "a_file/out")
finish()
