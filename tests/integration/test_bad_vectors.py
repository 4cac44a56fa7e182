"""Bad geology, structure, feature and categorical inputs, each a case: one error line naming the file, layer or
key, exit code 3 (bad input data, README's table) or 2 (bad job file), and no prospectivity.nc left behind.
Invalid geometries are counted, skipped and logged by default (invalid_geometries skip), an error with
invalid_geometries error."""
import copy
import json
import os

import numpy as np
from osgeo import gdal, ogr

import vector_fixtures as vf
from common import expect, finish, fresh_dir, run

gdal.UseExceptions()
work = fresh_dir("bad_vectors")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "48", "--seed", "4"])
base = json.load(open(os.path.join(survey, "job.json")))
base["inputs"] = [dict(i, path=os.path.join(survey, i["path"])) for i in base["inputs"]
                  if i["kind"] not in ("geology", "structures", "features")]  # the demo's own map: replaced here
base["commodities"] = ["ni"]
extent = base["grid"]["extent"]
geo, faults, pts = vf.write_all(work, extent)


def job_with(extra, name):
    s = copy.deepcopy(base)
    s["inputs"] += extra
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    s["output"] = {"folder": os.path.join(d, "out")}
    path = os.path.join(d, "job.json")
    json.dump(s, open(path, "w"), indent=1)
    return path, os.path.join(d, "out")


def check_case(name, extra, code, needles):
    job, out = job_with(extra, name)
    p = run(["run", job], check=False)
    errs = [l for l in p.stderr.splitlines() if "error:" in l]
    left = os.path.exists(os.path.join(out, "prospectivity.nc"))
    ok = p.returncode == code and len(errs) == 1 and all(n in errs[0] for n in needles) and not left
    expect(ok, "%s: exit %d (got %d), one error line naming %s: %s%s" % (
        name, code, p.returncode, needles, errs[-1] if errs else p.stderr[-300:], " [output left]" if left else ""))


def geology(path, **kw):
    return dict({"id": "geol", "kind": "geology", "path": path, "attribute": "unit"}, **kw)


# A missing attribute, a missing layer, a bad filter, a unit that is not in the map.
check_case("missing_attribute", [geology(geo, attribute="lithology")], 3,
           ["geology.gpkg", "layer 'units'", "'attribute'", "no attribute 'lithology'", "unit"])
check_case("missing_layer", [geology(geo, layer="rocks")], 3, ["geology.gpkg", "no layer 'rocks'", "units"])
check_case("bad_where", [{"id": "f", "kind": "structures", "path": faults, "where": "type === 'fault'"}], 3,
           ["faults.geojson", "'where'"])
check_case("unknown_contact_unit", [geology(geo, contact_units=["gneiss"])], 3,
           ["geology.gpkg", "'contact_units'", "gneiss", "granite"])

# A layer without a CRS: a shapefile without its .prj.
noprj = os.path.join(work, "noprj.shp")
vf.write_layer(noprj, "ESRI Shapefile", "noprj", None, ogr.wkbPolygon, ["unit"], vf.geology_features(extent))
check_case("no_crs", [geology(noprj)], 3, ["noprj.shp", "no coordinate reference system", "crs"])
# ... which the input's crs fixes.
job, out = job_with([geology(noprj, crs="EPSG:28350")], "no_crs_fixed")
p = run(["run", job], check=False)
expect(p.returncode == 0 and os.path.exists(os.path.join(out, "prospectivity.nc")),
       "a layer without CRS runs once the input gives crs (exit %d)" % p.returncode)

# Empty layers: no feature at all, and none matching the filter.
empty = os.path.join(work, "empty.gpkg")
vf.write_layer(empty, "GPKG", "units", vf.GRID_CRS, ogr.wkbPolygon, ["unit"], [])
check_case("empty_layer", [geology(empty)], 3, ["empty.gpkg", "layer 'units' has no feature"])
check_case("empty_after_where", [{"id": "f", "kind": "structures", "path": faults, "where": "type = 'thrust'"}], 3,
           ["faults.geojson", "has no feature matching key 'where'"])

# Lines where polygons are expected, polygons where points are expected.
check_case("lines_for_geology", [geology(faults)], 3, ["faults.geojson", "Line String", "polygons"])
check_case("polygons_for_features", [{"id": "f", "kind": "features", "path": geo}], 3,
           ["geology.gpkg", "Polygon", "points"])

# Invalid geometries: a self-intersecting ring among valid polygons.
feats = vf.geology_features(extent)
x0, y0 = extent[0] + 300, extent[1] + 300
bowtie = "POLYGON((%r %r,%r %r,%r %r,%r %r,%r %r))" % (x0, y0, x0 + 400, y0 + 400, x0 + 400, y0, x0, y0 + 400, x0, y0)
bad = os.path.join(work, "bowtie.gpkg")
vf.write_layer(bad, "GPKG", "units", vf.GRID_CRS, ogr.wkbPolygon, ["unit"], feats + [(bowtie, {"unit": "granite"})])
check_case("invalid_geometry_error", [geology(bad, invalid_geometries="error")], 3,
           ["bowtie.gpkg", "feature 5", "invalid geometry", "invalid_geometries"])
job, out = job_with([geology(bad)], "invalid_geometry_skipped")
p = run(["run", job], check=False)
expect(p.returncode == 0 and "1 with invalid geometries skipped" in p.stderr,
       "invalid geometries are skipped, counted and logged by default (exit %d)" % p.returncode)

# A category table that does not match the raster: class 3 has no name in the class file.
src = gdal.Open(os.path.join(survey, "tmi_mga50.tif"))
cls = os.path.join(work, "classes.tif")
ds = gdal.GetDriverByName("GTiff").Create(cls, src.RasterXSize, src.RasterYSize, 1, gdal.GDT_Byte)
ds.SetGeoTransform(src.GetGeoTransform())
ds.SetProjection(src.GetProjection())
a = np.ones((src.RasterYSize, src.RasterXSize), np.uint8)
a[:, src.RasterXSize // 2:] = 2
a[: src.RasterYSize // 3, :] = 3
ds.GetRasterBand(1).WriteArray(a)
ds = None
csv = os.path.join(work, "classes.csv")
open(csv, "w").write("value,name\n1,granite\n2,basalt\n")
check_case("category_table_mismatch", [{"id": "lith", "kind": "categorical_raster", "path": cls, "class_file": csv}],
           3, ["classes.tif", "category table does not match", "value(s) 3", "classes.csv"])
check_case("no_class_names", [{"id": "lith", "kind": "categorical_raster", "path": cls}], 3,
           ["classes.tif", "no attribute table", "class_file"])
check_case("categorical_bilinear", [{"id": "lith", "kind": "categorical_raster", "path": cls, "class_file": csv,
                                     "resampling": "bilinear"}], 2, ["inputs[%d].resampling" % len(base["inputs"]), "nearest"])
check_case("attribute_on_lines", [{"id": "f", "kind": "structures", "path": faults, "attribute": "type"}], 2,
           ["inputs[%d].attribute" % len(base["inputs"]), "only allowed for kind geology"])
finish()
