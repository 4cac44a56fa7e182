"""Hostile-input suite (issue 16, item 3). Every case is generated here at test time (nothing large is
committed) from a small synthetic survey: a job file, path, raster or CSV that a careless or hostile user could
hand over. Each case states what the user must get: the exit code, a fragment of the one error line (or, for
inputs that are odd but valid, a finished run with finite prospectivity), no prospectivity.nc left behind by a
failure, and an answer within 60 s. Run by ctest (test `hostile`), in CI also under the sanitizer build."""
import copy
import json
import os
import subprocess
import sys
import time

import numpy as np
from osgeo import gdal, osr

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from common import BIN, expect, finish, fresh_dir, run  # noqa: E402

gdal.UseExceptions()
work = fresh_dir("hostile_suite")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "48", "--seed", "3"])
base = json.load(open(os.path.join(survey, "job.json")))
for i in base["inputs"]:
    i["path"] = os.path.join(survey, i["path"])
MAG = next(n for n, i in enumerate(base["inputs"]) if i["kind"] == "magnetics")
PTS = next(n for n, i in enumerate(base["inputs"]) if i["kind"] == "geochem_points")
X0, Y0, X1, Y1 = base["grid"]["extent"][0], base["grid"]["extent"][1], base["grid"]["extent"][2], base["grid"]["extent"][3]
CSV_HEADER = open(base["inputs"][PTS]["path"]).readline().strip()
CSV_ROWS = open(base["inputs"][PTS]["path"]).read().splitlines()[1:]


def tif(path, values, gt, crs="EPSG:28350", nodata=None):
    """A float32 GeoTIFF with geotransform gt."""
    a = np.asarray(values, dtype=np.float32)
    ds = gdal.GetDriverByName("GTiff").Create(path, a.shape[1], a.shape[0], 1, gdal.GDT_Float32)
    ds.SetGeoTransform(gt)
    if crs:
        s = osr.SpatialReference()
        s.SetFromUserInput(crs)
        ds.SetProjection(s.ExportToWkt())
    b = ds.GetRasterBand(1)
    if nodata is not None:
        b.SetNoDataValue(nodata)
    b.WriteArray(a)
    ds = None
    return path


def field(n=40, value=None):
    """A smooth n x n field over the grid's extent (or a constant)."""
    yy, xx = np.mgrid[0:n, 0:n]
    f = 50 * np.sin(xx / 5.0) * np.cos(yy / 7.0) + 58000 if value is None else np.full((n, n), value)
    return f, (X0, (X1 - X0) / n, 0, Y1, 0, -(Y1 - Y0) / n)


cases = []


def case(name, rc, needles=(), command="run"):
    def register(builder):
        cases.append((name, rc, list(needles), command, builder))
        return builder
    return register


def with_mag(path):
    s = copy.deepcopy(base)
    s["inputs"][MAG]["path"] = path
    return s


def with_points(text, d, **extra):
    p = os.path.join(d, "soil.csv")
    with open(p, "w", newline="") as f:
        f.write(text)
    s = copy.deepcopy(base)
    s["inputs"][PTS]["path"] = p
    s["inputs"][PTS].update(extra)
    return s


# --- job files ----------------------------------------------------------------------------------------------
@case("utf8_bom", 0, command="validate")
def _(d):
    return "\ufeff" + json.dumps(base)


@case("nul_in_string", 2, ["job.json", "line 1"], command="validate")
def _(d):
    return json.dumps(base).replace('"name": "', '"name": "a\u0000b', 1).replace("\\u0000", "\x00")


@case("not_utf8", 2, ["UTF-8"], command="validate")
def _(d):
    return json.dumps(base).replace('"name": "', '"name": "caf\udce9', 1).encode("utf-8", "surrogateescape")


@case("empty_job", 2, ["job.json"], command="validate")
def _(d):
    return ""


# --- paths --------------------------------------------------------------------------------------------------
@case("symlink_loop", 3, ["loop.tif"])
def _(d):
    a, b = os.path.join(d, "loop.tif"), os.path.join(d, "loop2.tif")
    os.symlink(b, a)
    os.symlink(a, b)
    return with_mag(a)


@case("dangling_symlink", 3, ["gone.tif"])
def _(d):
    a = os.path.join(d, "gone.tif")
    os.symlink(os.path.join(d, "nothing_here.tif"), a)
    return with_mag(a)


@case("output_is_input_folder", 2, ["output.folder"])
def _(d):
    tiles = os.path.join(d, "tiles")
    os.makedirs(tiles)
    f, gt = field()
    tif(os.path.join(tiles, "a.tif"), f, gt)
    s = with_mag(tiles)
    s["output"] = {"folder": tiles}
    return s


@case("output_inside_input_folder", 2, ["output.folder"])
def _(d):
    tiles = os.path.join(d, "tiles")
    os.makedirs(tiles)
    f, gt = field()
    tif(os.path.join(tiles, "a.tif"), f, gt)
    s = with_mag(tiles)
    s["output"] = {"folder": os.path.join(tiles, "out")}
    return s


# --- rasters ------------------------------------------------------------------------------------------------
@case("one_by_one", 0)
def _(d):
    f, gt = field(1, 58000.0)
    return with_mag(tif(os.path.join(d, "m.tif"), f, gt))


@case("strip_100000x1", 0)
def _(d):
    a = np.sin(np.arange(100000) / 50.0).reshape(1, -1) * 10 + 58000
    return with_mag(tif(os.path.join(d, "m.tif"), a, (X0, (X1 - X0) / 100000, 0, Y1, 0, -(Y1 - Y0))))


@case("zero_pixel_size", 3, ["m.tif", "not georeferenced"])
def _(d):
    f, gt = field()
    return with_mag(tif(os.path.join(d, "m.tif"), f, (gt[0], 0.0, 0, gt[3], 0, gt[5])))


@case("nan_pixel_size", 3, ["m.tif", "pixel size", "not georeferenced"])
def _(d):
    f, gt = field()
    return with_mag(tif(os.path.join(d, "m.tif"), f, (gt[0], float("nan"), 0, gt[3], 0, gt[5])))


@case("rotated_geotransform", 0)
def _(d):
    f, gt = field()
    return with_mag(tif(os.path.join(d, "m.tif"), f, (gt[0], gt[1], 2.0, gt[3], 2.0, gt[5])))


@case("crs_without_transform", 3, ["m.tif"])
def _(d):
    f, gt = field()
    # A Mars geographic CRS: PROJ has no transformation from it to an Earth CRS.
    mars = 'GEOGCRS["Mars 2000",DATUM["D_Mars_2000",ELLIPSOID["Mars_2000_IAU_IAG",3396190,169.894447223612]],' \
           'PRIMEM["Reference_Meridian",0],CS[ellipsoidal,2],AXIS["lat",north],AXIS["lon",east],' \
           'ANGLEUNIT["degree",0.0174532925199433]]'
    return with_mag(tif(os.path.join(d, "m.tif"), f, (100, 0.01, 0, 10, 0, -0.01), crs=mars))


@case("constant_values", 0)
def _(d):
    f, gt = field(value=58000.0)
    return with_mag(tif(os.path.join(d, "m.tif"), f, gt))


@case("single_valid_cell", 0)
def _(d):
    f, gt = field()
    f[:] = -99999
    f[20, 20] = 58000
    return with_mag(tif(os.path.join(d, "m.tif"), f, gt, nodata=-99999))


@case("huge_values", 0)
def _(d):
    f, gt = field()
    f[::2, ::3] = 1e38
    f[1::2, ::5] = -1e38
    return with_mag(tif(os.path.join(d, "m.tif"), f, gt))


@case("denormal_values", 0)
def _(d):
    f, gt = field()
    f = (f - 58000) * 1e-42
    return with_mag(tif(os.path.join(d, "m.tif"), f, gt))


@case("self_referencing_vrt", 3, ["self.vrt"])
def _(d):
    p = os.path.join(d, "self.vrt")
    with open(p, "w") as f:
        f.write('<VRTDataset rasterXSize="40" rasterYSize="40"><GeoTransform>%r, 375, 0, %r, 0, -375</GeoTransform>'
                '<VRTRasterBand dataType="Float32" band="1"><SimpleSource><SourceFilename relativeToVRT="1">'
                'self.vrt</SourceFilename><SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>'
                % (X0, Y1))
    return with_mag(p)


@case("vrt_source_missing", 3, ["away.vrt", "missing.tif"])
def _(d):
    p = os.path.join(d, "away.vrt")
    with open(p, "w") as f:
        f.write('<VRTDataset rasterXSize="40" rasterYSize="40"><SRS>EPSG:28350</SRS>'
                '<GeoTransform>%r, 375, 0, %r, 0, -375</GeoTransform>'
                '<VRTRasterBand dataType="Float32" band="1"><SimpleSource><SourceFilename relativeToVRT="0">'
                '/nonexistent/missing.tif</SourceFilename><SourceBand>1</SourceBand></SimpleSource></VRTRasterBand>'
                '</VRTDataset>' % (X0, Y1))
    return with_mag(p)


# --- CSVs of point samples ----------------------------------------------------------------------------------
@case("csv_no_header", 3, ["soil.csv", "column"])
def _(d):
    return with_points("\n".join(CSV_ROWS) + "\n", d)


@case("csv_windows_line_endings", 0)
def _(d):
    return with_points("\r\n".join([CSV_HEADER] + CSV_ROWS) + "\r\n", d)


@case("csv_quoted_newline", 0)
def _(d):
    cols = CSV_HEADER.split(",")
    rows = [r for r in CSV_ROWS]
    if "sample_id" in cols:
        k = cols.index("sample_id")
        parts = rows[0].split(",")
        parts[k] = '"first\nsample"'
        rows[0] = ",".join(parts)
    return with_points("\n".join([CSV_HEADER] + rows) + "\n", d)


@case("csv_decimal_commas", 3, ["soil.csv", "semicolon-separated", "decimal points"])
def _(d):
    return with_points(CSV_HEADER.replace(",", ";") + "\n" +
                       "\n".join(r.replace(".", "#").replace(",", ";").replace("#", ",") for r in CSV_ROWS) + "\n", d)


@case("csv_below_detection_and_na", 0)
def _(d):
    cols = CSV_HEADER.split(",")
    k = cols.index(base["inputs"][PTS]["elements"][0]["column"])
    rows = []
    for n, r in enumerate(CSV_ROWS):
        parts = r.split(",")
        parts[k] = ["<0.5", "n.a.", "", parts[k]][n % 4]
        rows.append(",".join(parts))
    return with_points("\n".join([CSV_HEADER] + rows) + "\n", d)


def execute(name, rc, needles, command, builder):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    spec = builder(d)
    job = os.path.join(d, "job.json")
    if isinstance(spec, dict):
        spec = dict(spec)
        if spec.get("output") == base["output"]:
            spec["output"] = {"folder": os.path.join(d, "out")}
        spec = json.dumps(spec, indent=1)
    with open(job, "wb") as f:
        f.write(spec if isinstance(spec, bytes) else spec.encode("utf-8"))
    out = os.path.join(d, "out")
    if isinstance(spec, str) and spec.startswith("{"):
        try:
            out = json.loads(spec)["output"]["folder"]
        except ValueError:
            pass
    t0 = time.time()
    try:
        p = subprocess.run([BIN, command, job], capture_output=True, text=True, timeout=60, errors="replace")
        got, err = p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        got, err = None, "(still running after 60 s: killed)"
    dt = time.time() - t0
    lines = [l for l in err.splitlines() if "error:" in l]
    nc = os.path.join(out, "prospectivity.nc")
    if rc == 0:
        ok = got == 0 and not lines
        if ok and command == "run":
            import h5py
            with h5py.File(nc, "r") as f:
                v = f["prospectivity_cu"][:]
            ok = bool(np.isfinite(v).any()) and bool(((v[np.isfinite(v)] >= 0) & (v[np.isfinite(v)] <= 1)).all())
        detail = "finishes with finite prospectivity in [0, 1]" if command == "run" else "is accepted"
    else:
        ok = got == rc and len(lines) == 1 and all(n in lines[0] for n in needles) and not os.path.exists(nc)
        detail = "exit %d, one error line with %s, no prospectivity.nc" % (rc, needles)
    expect(ok, "%s (%s, %.1f s): %s; got exit %s: %s" % (name, command, dt, detail, got,
                                                         (lines[-1] if lines else err.strip()[-300:]) or "-"))


only = sys.argv[1:]
for c in cases:
    if not only or c[0] in only:
        execute(*c)
finish()
