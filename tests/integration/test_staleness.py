"""Staleness: a changed option recomputes the units that read it and nothing upstream of them.

Each case changes one declared job option with `prospector run JOB --set KEY=VALUE` on a small synthetic survey
and reads from the log which stages recomputed: the stage that reads the option must recompute, and no stage
before it may. Every stage declares what it reads in its params struct, and the unit key is the hash of those
params, so an option missing from a stage's params shows here as a stage that does not recompute.
"""
import json
import os
import re

from common import BIN, expect, finish, fresh_dir, run

STAGES = ["ingest", "fft", "transform", "stats", "anomaly", "model", "score", "targets", "learn", "publish"]

# (option, value, the first stage that reads it)
CASES = [
    ("name", "renamed", "publish"),
    ("grid.cell_size", 60, "ingest"),
    ("grid.extent", [400000.0, 7206000.0, 403500.0, 7209500.0], "ingest"),
    ("inputs[1].resampling", "nearest", "ingest"),
    ("inputs[1].nodata", -12345.0, "ingest"),
    ("inputs[0].units", "pT", "publish"),
    ("inputs[0].inclination", -60.0, "fft"),
    ("inputs[0].declination", 5.0, "fft"),
    ("inputs[5].gridding.radius", 300, "ingest"),
    ("inputs[5].gridding.power", 3.0, "ingest"),
    ("inputs[5].gridding.max_points", 6, "ingest"),
    ("inputs[5].gridding.method", "nearest", "ingest"),
    ("inputs[5].below_detection.substitute", "dl_sqrt2_over_2", "ingest"),
    ("geochem.composition", "clr", "transform"),
    ("anomaly.local_radius", 6, "anomaly"),
    ("anomaly.rx", False, "anomaly"),
    ("anomaly.rx_covariance", "mcd", "anomaly"),
    ("anomaly.pca_components", 2, "model"),
    # Anomaly grids are computed on demand: the Ni recipe reads grids the Cu recipe does not.
    ("commodities", ["cu", "ni"], "anomaly"),
    ("output.layers", ["prospectivity", "anomalies"], "anomaly"),
    ("output.layers", ["prospectivity", "evidence", "contributions"], "score"),
    ("output.layers", ["prospectivity"], "publish"),
    # The FFT conventions, and the transforms group (which adds d/dx and d/dy of the magnetic input).
    ("potential_field.detrend", "plane", "fft"),
    ("potential_field.padding", "edge_point", "fft"),
    ("potential_field.pad_fraction", 0.5, "fft"),
    ("potential_field.min_pad", 8, "fft"),
    ("output.layers", ["prospectivity", "transforms"], "fft"),
    ("recipes.cu.min_weight_fraction", 0.6, "score"),
    ("recipes.cu.evidence.magnetite.weight", 0.5, "score"),
    ("recipes.cu.top_fraction", 0.05, "targets"),
    ("targets.top_fraction", 0.04, "targets"),
    ("targets.max_targets", 3, "targets"),
    ("targets.min_cells", 4, "targets"),
    ("targets.threshold", "concentration_area", "targets"),
]

# With training deposits (set on the command line too), the learn stage's options.
TRAINING = ["training.path=%s", "training.crs=EPSG:28350"]
LEARN_CASES = [
    ("models.lambda", 0.1, "learn"),
    ("models.classes", 5, "learn"),
    ("models.folds", 3, "learn"),
    ("models.logistic", False, "learn"),
    ("models.wofe_zero_class", "continuity", "learn"),
    ("models.wofe_continuity", 0.25, "learn"),
    ("training.where_column", "kind", "learn"),
    ("models.study_area", "STUDY_AREA", "learn"),
]


def recomputed(stderr):
    return set(re.findall(r"\] (\w+) (?:all|r\d+_c\d+): recomputing", stderr))


def check(base_args, key, value, reader):
    args = base_args + ["--set", "%s=%s" % (key, json.dumps(value))]
    if key == "training.where_column":
        args += ["--set", "training.where_value=deposit"]
    p = run(args)
    got = recomputed(p.stderr)
    first = STAGES.index(reader)
    early = sorted((s for s in got if STAGES.index(s) < first), key=STAGES.index)
    expect(reader in got and not early,
           "%s=%s recomputes %s and nothing before it (recomputed: %s)"
           % (key, json.dumps(value), reader, ", ".join(sorted(got, key=STAGES.index)) or "nothing"))
    # Back to the baseline, so that the next case changes one option only.
    run(base_args)


d = fresh_dir("staleness")
run(["synth", "--out", d, "--size", "80", "--seed", "7"])
job = os.path.join(d, "job.json")
base = ["run", job, "--tile-size", "40", "--threads", "2"]
run(base)
p = run(base)
expect(not recomputed(p.stderr), "an unchanged rerun recomputes nothing")

for key, value, reader in CASES:
    check(base, key, value, reader)

# --tile-size (an option declared once, tiling.tile_size) retiles: every ingest unit is new.
p = run(["run", job, "--tile-size", "48", "--threads", "2"])
expect("ingest: 4 of 4 unit(s) recomputed" in p.stderr, "--tile-size 48 recomputes every ingest tile")
run(base)

truth = os.path.join(d, "truth.csv")
train = base + ["--set", TRAINING[0] % truth, "--set", TRAINING[1]]
p = run(train)
expect("learn" in recomputed(p.stderr), "adding training deposits recomputes learn")
# A study-area polygon over the western two thirds of the grid (models.study_area).
from osgeo import ogr, osr  # noqa: E402

spec = json.load(open(job))
x0, y0, x1, y1 = spec["grid"]["extent"]
poly = os.path.join(d, "study_area.gpkg")
srs = osr.SpatialReference()
srs.ImportFromEPSG(28350)
ds = ogr.GetDriverByName("GPKG").CreateDataSource(poly)
lyr = ds.CreateLayer("area", srs, ogr.wkbPolygon)
f = ogr.Feature(lyr.GetLayerDefn())
xm = x0 + (x1 - x0) * 2 / 3
f.SetGeometry(ogr.CreateGeometryFromWkt("POLYGON ((%f %f, %f %f, %f %f, %f %f, %f %f))" %
                                        (x0, y0, xm, y0, xm, y1, x0, y1, x0, y0)))
lyr.CreateFeature(f)
ds = None
for key, value, reader in LEARN_CASES:
    check(train, key, poly if value == "STUDY_AREA" else value, reader)

# A deleted work file makes its unit stale, and status says so.
tile = os.path.join(d, "out", "work", "layers", "tmi", "r000_c000.f32")
os.remove(tile)
st = run(["status", job, "--tile-size", "40"] + ["--set", TRAINING[0] % truth, "--set", TRAINING[1]])
expect("ingest r000_c000: stale (output missing: " in st.stdout, "status reports the unit whose output was deleted")
p = run(train)
expect(os.path.exists(tile) and "ingest r000_c000: recomputing, stale (output missing" in p.stderr,
       "a rerun recomputes the unit whose output was deleted")

finish()
