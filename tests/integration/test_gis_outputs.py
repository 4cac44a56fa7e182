"""Outputs that GIS and Python tools take without help: target polygons are valid OGC geometries (GEOS
ST_IsValid) with a representative point inside each, in targets.gpkg and in the netCDF's CF-1.8 geometries,
for the demo and for a survey built to have cells that touch only at a corner; the output file copied alone
into an empty folder still gives gdalinfo, rasterio and ogrinfo its CRS, geotransform and target layers."""
import csv
import json
import os
import re
import shutil

import numpy as np
from osgeo import gdal, ogr, osr

from common import SOURCE, expect, finish, fresh_dir, run, tool

gdal.UseExceptions()
work = fresh_dir("gis_outputs")


def gpkg_sql(gpkg, sql):
    """One row of an ogrinfo -dialect sqlite query, as {column: int}."""
    o = tool(["ogrinfo", "-ro", "-q", "-dialect", "sqlite", "-sql", sql, gpkg]).stdout
    return {k: int(v) for k, v in re.findall(r"^\s+(\w+) \(Integer\) = (-?\d+)", o, re.M)}


def check_valid(out, commodities, label):
    """ST_IsValid and representative points in targets.gpkg and in the netCDF geometries."""
    gpkg = os.path.join(out, "targets.gpkg")
    for c in commodities:
        r = gpkg_sql(gpkg, "SELECT count(*) AS n, sum(ST_IsValid(geom)) AS valid, "
                           "sum(ST_Within(MakePoint(rep_x, rep_y), geom)) AS rep_inside, "
                           "sum(ST_Within(MakePoint(centroid_x, centroid_y), geom)) AS centroid_inside "
                           "FROM targets_%s" % c)
        expect(r.get("n", 0) > 0 and r.get("valid") == r["n"],
               "%s gpkg targets_%s: ST_IsValid on every polygon (%s of %s)" % (label, c, r.get("valid"), r.get("n")))
        expect(r.get("rep_inside") == r.get("n"),
               "%s gpkg targets_%s: every rep_x/rep_y point lies inside its polygon (%s of %s; centroids %s)" %
               (label, c, r.get("rep_inside"), r.get("n"), r.get("centroid_inside")))
        j = gpkg_sql(gpkg, "SELECT count(*) AS n, sum(ST_Within(p.geom, t.geom)) AS inside FROM "
                           "target_rep_points_%s p JOIN targets_%s t ON p.rank = t.rank" % (c, c))
        expect(j.get("n") == r.get("n") and j.get("inside") == j.get("n"),
               "%s gpkg target_rep_points_%s: every point lies inside its target (%s of %s)" %
               (label, c, j.get("inside"), j.get("n")))
    nc = ogr.Open(os.path.join(out, "prospectivity.nc"))
    expect(nc is not None and nc.GetDriver().GetName() == "netCDF", "%s: OGR opens the .nc with the netCDF driver" % label)
    for c in commodities:
        polys = nc.GetLayerByName("targets_%s_polygon" % c)
        reps = nc.GetLayerByName("targets_%s_rep_point" % c)
        expect(polys is not None and reps is not None, "%s netCDF: layers targets_%s_polygon and _rep_point" % (label, c))
        if polys is None or reps is None:
            continue
        geoms = [f.GetGeometryRef().Clone() for f in polys]
        points = [f.GetGeometryRef().Clone() for f in reps]
        bad = [i + 1 for i, g in enumerate(geoms) if not g.IsValid()]
        expect(geoms and not bad, "%s netCDF targets_%s_polygon: all %d polygons valid (invalid ranks %s)" %
               (label, c, len(geoms), bad[:10]))
        outside = [i + 1 for i, (g, p) in enumerate(zip(geoms, points)) if not g.Contains(p)]
        expect(len(points) == len(geoms) and not outside,
               "%s netCDF targets_%s_rep_point: every point inside its polygon (outside: ranks %s)" %
               (label, c, outside[:10]))


# --- the demo ------------------------------------------------------------------------------------------------
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "400", "--seed", "11"])
job = os.path.join(survey, "job.json")
spec = json.load(open(job))
out = os.path.join(work, "out")
run(["run", job, "--out", out])
expect(os.path.exists(os.path.join(out, "prospectivity.nc")) and
       os.path.exists(os.path.join(out, "prospectivity.nc.aux.xml")) and
       not os.path.exists(os.path.join(out, "prospectivity.h5")),
       "the default output is prospectivity.nc, with its .aux.xml sidecar")
check_valid(out, spec["commodities"], "demo")

# --- a survey built so that target cells touch only at corners -----------------------------------------------
# Each pattern is a separate target (8-connected); GDAL's 8-connected polygonizer makes invalid rings of all but
# the U: a chequerboard (parts touching at corners), a ring closed by a diagonal (a hole touching the exterior
# at one vertex), four holes meeting at corners around an island, nested rings, and a U whose centroid lies
# outside it.
patterns = [
    (2, 2, ["#.#.", ".#.#", "#.#.", ".#.#"]),
    (10, 2, [".##", "#.#", "###"]),
    (16, 2, ["#####", "#.#.#", "##.##", "#.#.#", "#####"]),
    (2, 20, ["#######", "#.....#", "#.###.#", "#.#.#.#", "#.###.#", "#.....#", "#######"]),
    (30, 20, ["#...#", "#...#", "#####"]),
]
n = 40
cell = 50.0
x0, y0 = 400000.0, 7210000.0
rng = np.random.default_rng(20)
values = rng.uniform(0.0, 1.0, (n, n)).astype(np.float32)
pattern_cells = 0
for r0, c0, art in patterns:
    for dr, line in enumerate(art):
        for dc, ch in enumerate(line):
            if ch == "#":
                values[r0 + dr, c0 + dc] = 10.0
                pattern_cells += 1
corner = os.path.join(work, "corner")
os.makedirs(corner)
drv = gdal.GetDriverByName("GTiff")
ds = drv.Create(os.path.join(corner, "pattern.tif"), n, n, 1, gdal.GDT_Float32)
ds.SetGeoTransform((x0, cell, 0, y0, 0, -cell))
srs = osr.SpatialReference()
srs.ImportFromEPSG(28350)
ds.SetProjection(srs.ExportToWkt())
ds.GetRasterBand(1).WriteArray(values)
ds = None
recipe = {"commodity": "cu", "name": "corner-touching test pattern", "deposit_model": "test",
          "evidence": [{"id": "pattern", "source": {"kind": "gravity"}, "transform": "robust_z",
                        "membership": {"shape": "logistic", "midpoint": 1.5, "spread": 2.0}, "weight": 1.0}]}
json.dump(recipe, open(os.path.join(corner, "cu.json"), "w"))
cjob = {"name": "corner-touching cells",
        "grid": {"crs": "EPSG:28350", "cell_size": cell, "extent": [x0, y0 - n * cell, x0 + n * cell, y0]},
        "inputs": [{"id": "pattern", "kind": "gravity", "path": "pattern.tif", "units": "mGal"}],
        "commodities": ["cu"], "recipes": {"cu": {"path": "cu.json"}},
        "targets": {"top_fraction": pattern_cells / float(n * n), "min_cells": 1},
        "output": {"folder": "out"}}
json.dump(cjob, open(os.path.join(corner, "job.json"), "w"), indent=1)
run(["run", os.path.join(corner, "job.json")])
cout = os.path.join(corner, "out")
r = gpkg_sql(os.path.join(cout, "targets.gpkg"),
             "SELECT count(*) AS n, sum(cells) AS cells, max(ST_NumGeometries(geom)) AS parts, "
             "sum(ST_Within(MakePoint(centroid_x, centroid_y), geom)) AS centroid_inside, "
             "sum(abs(ST_Area(geom) - area_m2) < 1e-6) AS area_ok FROM targets_cu")
# The nested rings are two targets: the inner ring lies in the outer one's hole without touching it.
expect(r.get("n") == len(patterns) + 1 and r.get("cells") == pattern_cells,
       "corner case: one target per pattern, two for the nested rings (%s), holding exactly the pattern cells (%s of %d)" %
       (r.get("n"), r.get("cells"), pattern_cells))
expect(r.get("parts") == 8, "corner case: the chequerboard is one target of 8 parts that touch at corners (%s)" %
       r.get("parts"))
expect(r.get("area_ok") == r.get("n"), "corner case: polygon areas equal the targets' cell areas")
expect(r.get("centroid_inside", 0) < r.get("n", 0),
       "corner case: some centroid falls outside its target (the U), so the representative point is needed")
check_valid(cout, ["cu"], "corner case")

# --- the output file alone in an empty folder ----------------------------------------------------------------
alone = os.path.join(work, "alone")
os.makedirs(alone)
nc = os.path.join(alone, "prospectivity.nc")
shutil.copyfile(os.path.join(out, "prospectivity.nc"), nc)
expect(os.listdir(alone) == ["prospectivity.nc"], "the copied folder holds the file alone, no sidecar")
info = json.loads(tool(["gdalinfo", "-json", nc]).stdout)
expect(info.get("driverShortName") == "netCDF", "gdalinfo opens the file alone with the netCDF driver (%s)" %
       info.get("driverShortName"))
subs = info.get("metadata", {}).get("SUBDATASETS", {})
for c in spec["commodities"]:
    expect(('NETCDF:"%s":prospectivity_%s' % (nc, c)) in subs.values(), "gdalinfo lists prospectivity_%s" % c)
gx0 = np.floor(spec["grid"]["extent"][0] / spec["grid"]["cell_size"]) * spec["grid"]["cell_size"]
gy0 = np.ceil(spec["grid"]["extent"][3] / spec["grid"]["cell_size"]) * spec["grid"]["cell_size"]
gcell = spec["grid"]["cell_size"]


def epsg_of(wkt):
    s = osr.SpatialReference()
    s.ImportFromWkt(wkt)
    s.AutoIdentifyEPSG()
    return s.GetAuthorityCode(None)


for c in spec["commodities"]:
    j = json.loads(tool(["gdalinfo", "-json", 'NETCDF:"%s":prospectivity_%s' % (nc, c)]).stdout)
    gt = j.get("geoTransform") or [0] * 6
    expect(np.allclose(gt, [gx0, gcell, 0, gy0, 0, -gcell]), "gdalinfo, file alone: prospectivity_%s geotransform %s" %
           (c, gt))
    expect(epsg_of(j.get("coordinateSystem", {}).get("wkt", "")) == "28350",
           "gdalinfo, file alone: prospectivity_%s in EPSG:28350" % c)
o = tool(["ogrinfo", "-ro", "-so", "-al", nc]).stdout
for c in spec["commodities"]:
    for suffix in ("polygon", "point", "rep_point"):
        expect(re.search(r"Layer name: targets_%s_%s\n" % (c, suffix), o) is not None,
               "ogrinfo, file alone: layer targets_%s_%s" % (c, suffix))
expect(o.count("28350") >= 3 * len(spec["commodities"]), "ogrinfo, file alone: the target layers carry EPSG:28350")
try:
    import rasterio
    with rasterio.open(nc) as src:
        names = list(src.subdatasets)
    expect(any(s.endswith(":prospectivity_cu") for s in names), "rasterio lists the grids of the file alone")
    with rasterio.open('netcdf:%s:prospectivity_cu' % nc) as src:
        expect(src.crs is not None and src.crs.to_epsg() == 28350, "rasterio, file alone: CRS EPSG:28350 (%s)" % src.crs)
        t = src.transform
        expect(np.allclose([t.c, t.a, t.b, t.f, t.d, t.e], [gx0, gcell, 0, gy0, 0, -gcell]),
               "rasterio, file alone: transform %s" % (tuple(t)[:6],))
except ImportError:
    expect(False, "rasterio is installed (Debian python3-rasterio, listed in .ci/install-deps)")

# --- attributes: encoding, CF names, numbers, no text "rasters", globals --------------------------------------
import h5py

f = h5py.File(nc, "r")
wkt_attr = f["crs"].attrs.get_id("crs_wkt")
raw = f["crs"].attrs["crs_wkt"]
text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
cset = wkt_attr.get_type().get_cset()
expect("\u00b0" in text and cset == h5py.h5t.CSET_UTF8,
       "crs_wkt holds non-ASCII text (\u00b0) and is typed UTF-8 (cset %d)" % cset)
ascii_cset = f["crs"].attrs.get_id("grid_mapping_name").get_type().get_cset()
expect(ascii_cset == h5py.h5t.CSET_ASCII, "ASCII text stays typed ASCII")


def attr_text(obj, name):
    v = obj.attrs.get(name)
    return v.decode("utf-8") if isinstance(v, bytes) else v


expect(attr_text(f["crs"], "projected_crs_name") == "GDA94 / MGA zone 50" and
       attr_text(f["crs"], "geographic_crs_name") == "GDA94",
       "crs: projected_crs_name with geographic_crs_name beside it (%s / %s)" %
       (attr_text(f["crs"], "projected_crs_name"), attr_text(f["crs"], "geographic_crs_name")))
for g in ("institution", "references", "comment"):
    expect(bool(attr_text(f, g)), "global attribute %s is set" % g)
expect("John et al., 2010" in attr_text(f, "references"), "references cite the recipes' deposit models")
evidence_in_subdatasets = [v for v in subs.values() if "evidence" in v]
expect(not evidence_in_subdatasets, "no targets_*_evidence text array in GDAL's subdataset list (%s)" %
       evidence_in_subdatasets[:3])
ev = f["targets_cu_evidence"]
expect(ev.ndim == 1 and h5py.check_string_dtype(ev.dtype) is not None,
       "targets_cu_evidence is a 1-D string variable over the targets")
ds_o = ogr.Open(nc)
lyr = ds_o.GetLayerByName("targets_cu_polygon")
feat = lyr.GetNextFeature()
expect(feat is not None and re.match(r"^\w+:[0-9.]+", feat.GetField("targets_cu_evidence") or "") is not None,
       "OGR reads targets_cu_evidence as a string field of the polygon layer (%s)" %
       (feat and feat.GetField("targets_cu_evidence")))
lyr = feat = ds_o = None
f.close()
try:
    import pyproj
    import xarray as xr
    for engine in ("netcdf4", "h5netcdf"):
        try:
            x = xr.open_dataset(nc, engine=engine)
            crs = pyproj.CRS.from_wkt(x["crs"].attrs["crs_wkt"])
            expect(crs.to_epsg() == 28350, "xarray (%s) + pyproj: crs_wkt is EPSG:28350" % engine)
            expect(x["prospectivity_cu"].dims == ("y", "x") and x["prospectivity_cu"].attrs.get("grid_mapping") == "crs",
                   "xarray (%s): prospectivity_cu on (y, x) with grid_mapping crs" % engine)
            e = x["targets_cu_evidence"].values
            expect(len(e) > 0 and isinstance(e[0], str) and ":" in e[0], "xarray (%s): evidence strings" % engine)
            # Select at each planted copper deposit by map coordinates, as an xarray user would, and compare
            # with the cell the geotransform names; planted deposits stand in the top tenth of the map.
            with open(os.path.join(survey, "truth.csv")) as tf:
                planted = [r for r in csv.DictReader(tf) if r["commodity"] == "cu" and r["kind"] == "deposit"]
            pc = x["prospectivity_cu"]
            sub = gdal.Open('NETCDF:"%s":prospectivity_cu' % nc)
            gt = sub.GetGeoTransform()
            sub = None
            grid = pc.values
            top_tenth = np.nanquantile(grid, 0.9)
            picked = []
            for r in planted:
                dx, dy = float(r["x"]), float(r["y"])
                v = float(pc.sel(x=dx, y=dy, method="nearest"))
                col, row = int((dx - gt[0]) // gt[1]), int((gt[3] - dy) // -gt[5])
                picked.append((v, float(grid[row, col]), float(x["x"][col]), float(x["y"][row])))
            expect(planted and all(v == g and abs(cx - float(r["x"])) <= gt[1] / 2 and abs(cy - float(r["y"])) <= gt[1] / 2
                                   for (v, g, cx, cy), r in zip(picked, planted)),
                   "xarray (%s): .sel(x, y, method='nearest') at %d planted Cu deposits gives the cell the "
                   "geotransform names, whose centre is within half a cell" % (engine, len(planted)))
            expect(planted and all(v >= top_tenth for v, _, _, _ in picked),
                   "xarray (%s): prospectivity_cu at every planted Cu deposit is in the map's top tenth "
                   "(%s >= %.3f)" % (engine, [round(v, 3) for v, _, _, _ in picked], top_tenth))
            x.close()
        except Exception as exc:  # a reader failure is a failed check, not a crash of the test
            expect(False, "xarray (%s) opens the file and pyproj reads crs_wkt (%r)" % (engine, exc))
except ImportError as exc:
    expect(False, "xarray and pyproj are installed (Debian python3-xarray, -h5netcdf, -netcdf4, -pyproj): %s" % exc)

# --- output.name ---------------------------------------------------------------------------------------------
named = os.path.join(work, "named")
run(["run", job, "--out", named, "--set", "output.name=prospectivity.h5"])
expect(os.path.exists(os.path.join(named, "prospectivity.h5")) and
       os.path.exists(os.path.join(named, "prospectivity.h5.aux.xml")) and
       not os.path.exists(os.path.join(named, "prospectivity.nc")),
       "output.name=prospectivity.h5 writes that name (and its sidecar) instead")
p = run(["validate", job, "--set", "output.name=../escape.nc"], check=False)
expect(p.returncode == 2 and "output.name" in p.stderr, "output.name with a folder part is refused (exit %d: %s)" %
       (p.returncode, p.stderr.strip()[:200]))
finish()
