"""Data safety (issue 19, items 1, 3, 5, 6 and 8): a run never destroys an input, never publishes a flat grid
of zeros as evidence, never crashes on a full disk, and stops when its lock is taken away.

- Every job whose outputs would replace one of its inputs is refused by `validate` and `run` (exit 2, one
  error line naming the key), and every input is byte-identical afterwards (sha256).
- A layer without robust spread (a constant grid, a binary map) gives a warning naming it, nodata robust_z
  and local_z grids, and its evidence is left out of the weights; values scaled by 1e-20 or 1e20 keep the
  z-scores of the unscaled layer.
- Training deposits that are all unusable fail a job that asks for models (exit 3) and warn otherwise.
- A full disk (a small tmpfs, skipped with a message where the test cannot mount) ends in exit 4 with one
  error line, never above 4, and leaves no deliverable.
- Deleting the output folder under a running job stops it (exit 4)."""
import copy
import csv
import hashlib
import json
import os
import shutil
import subprocess
import time

import h5py
import numpy as np
from osgeo import gdal

from common import BIN, expect, finish, fresh_dir, run

gdal.UseExceptions()
work = fresh_dir("data_safety")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "96", "--seed", "21"])
base = json.load(open(os.path.join(survey, "job.json")))
for i in base["inputs"]:
    if not os.path.isabs(i["path"]):
        i["path"] = os.path.join(survey, i["path"])
kinds = {i["kind"]: n for n, i in reversed(list(enumerate(base["inputs"])))}
MAG = kinds["magnetics"]
truth = [r for r in csv.DictReader(open(os.path.join(survey, "truth.csv"))) if r["kind"] == "deposit"]
with open(os.path.join(survey, "deposits.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["commodity", "x", "y", "kind"])
    w.writeheader()
    w.writerows(truth)


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def input_files(spec):
    out = [i["path"] for i in spec["inputs"]]
    if "training" in spec:
        out.append(spec["training"]["path"])
    return [os.path.realpath(p) for p in out]


def errors(p):
    return [l for l in p.stderr.splitlines() if "error:" in l]


def warnings(p):
    return [l for l in (p.stdout + p.stderr).splitlines() if "warn" in l.lower()]


def write_job(d, spec):
    os.makedirs(d, exist_ok=True)
    job = os.path.join(d, "job.json")
    with open(job, "w") as f:
        json.dump(spec, f, indent=1)
    return job


# --- item 1: an output that would replace an input is refused, and the input is untouched -------------------
def refused(name, spec, needles, job_dir=None):
    d = job_dir or os.path.join(work, name)
    job = write_job(d, spec)
    files = [f for f in input_files(spec) if os.path.exists(f)]
    before = {f: sha(f) for f in files}
    for command in ("validate", "run"):
        p = run([command, job], check=False)
        lines = errors(p)
        expect(p.returncode == 2 and len(lines) == 1 and all(n in lines[0] for n in needles),
               "%s (%s): exit 2, one error line with %s; got %d: %s" %
               (name, command, needles, p.returncode, lines[-1] if lines else p.stderr[-300:]))
    expect(all(sha(f) == before[f] for f in files), "%s: every input byte-identical after the refused runs" % name)


# Training deposits saved as targets.gpkg beside the job, with output folder "." (the reported data loss).
d = os.path.join(work, "training_is_targets")
os.makedirs(d, exist_ok=True)
shutil.copy(os.path.join(survey, "deposits.csv"), os.path.join(d, "targets.gpkg.csv"))
gdal.VectorTranslate(os.path.join(d, "targets.gpkg"), os.path.join(d, "targets.gpkg.csv"), format="GPKG",
                     options="-oo X_POSSIBLE_NAMES=x -oo Y_POSSIBLE_NAMES=y -a_srs EPSG:28350")
s = copy.deepcopy(base)
s["training"] = {"path": "targets.gpkg"}
s["output"] = {"folder": "."}
refused("training_is_targets", s, ["key 'training.path'", "would be destroyed", "targets.gpkg"], job_dir=d)

# A magnetic grid named like the gridded output, in the output folder.
d = os.path.join(work, "raster_is_output")
os.makedirs(os.path.join(d, "out"), exist_ok=True)
shutil.copy(base["inputs"][MAG]["path"], os.path.join(d, "out", "prospectivity.nc"))
s = copy.deepcopy(base)
s["inputs"][MAG]["path"] = os.path.join(d, "out", "prospectivity.nc")
s["output"] = {"folder": os.path.join(d, "out")}
refused("raster_is_output", s, ["key 'inputs[%d].path'" % MAG, "prospectivity.nc"], job_dir=d)

# The same through a symlink with another name, and through a hard link to an existing deliverable.
d = os.path.join(work, "symlink_to_output")
os.makedirs(os.path.join(d, "out"), exist_ok=True)
shutil.copy(base["inputs"][MAG]["path"], os.path.join(d, "out", "report.html"))
os.symlink(os.path.join(d, "out", "report.html"), os.path.join(d, "mag.tif"))
s = copy.deepcopy(base)
s["inputs"][MAG]["path"] = "mag.tif"
s["output"] = {"folder": "out"}
refused("symlink_to_output", s, ["key 'inputs[%d].path'" % MAG, "report.html"], job_dir=d)

d = os.path.join(work, "hard_link_to_output")
os.makedirs(os.path.join(d, "out"), exist_ok=True)
shutil.copy(os.path.join(survey, "deposits.csv"), os.path.join(d, "deposits.csv"))
os.link(os.path.join(d, "deposits.csv"), os.path.join(d, "out", "targets.gpkg"))
s = copy.deepcopy(base)
s["training"] = {"path": "deposits.csv", "crs": "EPSG:28350", "x_column": "x", "y_column": "y"}
s["output"] = {"folder": "out"}
refused("hard_link_to_output", s, ["key 'training.path'", "same file as the deliverable"], job_dir=d)

# An input inside the output's work folder, and an output folder inside another run's work folder.
first = os.path.join(work, "first_run")
s = copy.deepcopy(base)
s["output"] = {"folder": os.path.join(first, "out")}
p = run(["run", write_job(first, s)], check=False)
expect(p.returncode == 0, "a first run finishes (exit %d)" % p.returncode)
kept = os.path.join(first, "out", "work", "mag_copy.tif")
shutil.copy(base["inputs"][MAG]["path"], kept)
s2 = copy.deepcopy(s)
s2["inputs"][MAG]["path"] = kept
refused("input_in_work_folder", s2, ["key 'inputs[%d].path'" % MAG, "work folder"],
        job_dir=os.path.join(work, "input_in_work_folder"))
s3 = copy.deepcopy(base)
s3["output"] = {"folder": os.path.join(first, "out", "work", "nested")}
refused("output_in_other_work_folder", s3, ["key 'output.folder'", "work folder of another run"],
        job_dir=os.path.join(work, "output_in_other_work_folder"))


# --- item 6 (and issue 18 item 4): no robust spread -> nodata, a warning, and no weight ----------------------
def write_like(src, dst, fn):
    ds = gdal.Open(src)
    a = ds.GetRasterBand(1).ReadAsArray().astype(np.float32)
    nd = ds.GetRasterBand(1).GetNoDataValue()
    valid = np.ones(a.shape, bool) if nd is None else a != nd
    b = fn(a).astype(np.float32)
    if nd is not None:
        b[~valid] = nd
    out = gdal.GetDriverByName("GTiff").Create(dst, ds.RasterXSize, ds.RasterYSize, 1, gdal.GDT_Float32)
    out.SetGeoTransform(ds.GetGeoTransform())
    out.SetProjection(ds.GetProjection())
    if nd is not None:
        out.GetRasterBand(1).SetNoDataValue(nd)
    out.GetRasterBand(1).WriteArray(b)
    out = None


d = os.path.join(work, "degenerate")
os.makedirs(d, exist_ok=True)
flat_id = base["inputs"][kinds["gravity"]]["id"]
write_like(base["inputs"][kinds["gravity"]]["path"], os.path.join(d, "flat.tif"), lambda a: np.full_like(a, 9.81))
s = copy.deepcopy(base)
s["inputs"][kinds["gravity"]]["path"] = os.path.join(d, "flat.tif")
s["output"] = {"folder": os.path.join(d, "out"), "layers": ["prospectivity", "anomalies"]}
p = run(["run", write_job(d, s)], check=False)
expect(p.returncode == 0, "a constant gravity layer still gives a run (exit %d): %s" % (p.returncode, errors(p)))
warn = warnings(p)
expect(any("layer " + flat_id + ": no robust spread" in l for l in warn),
       "a warning names the constant layer '%s': %s" % (flat_id, [l[-160:] for l in warn][:3]))
dropped = [l for l in warn if "left out of the weights: layer " + flat_id in l]
expect(len(dropped) >= 1, "the evidence reading it is left out of the weights, with a log line (%d)" % len(dropped))
with h5py.File(os.path.join(d, "out", "prospectivity.nc"), "r") as f:
    for kind in ("robust_z", "local_z"):
        v = f["anomaly_%s_%s" % (flat_id, kind)][:]
        fill = f["anomaly_%s_%s" % (flat_id, kind)].attrs.get("_FillValue")
        nodata = np.isnan(v) | (v == fill) if fill is not None else np.isnan(v)
        expect(bool(nodata.all()), "anomaly_%s_%s is nodata everywhere (it was a valid grid of zeros)" % (flat_id, kind))
    pc = f["prospectivity_cu"][:]
    expect(bool(np.isfinite(pc).any()), "prospectivity_cu is still mapped from the other evidence")

# Scale: the magnetic layer times 1e-20 and 1e20 gives the z-scores of the unscaled layer.
zs = {}
for tag, factor in (("unit", 1.0), ("tiny", 1e-20), ("huge", 1e20)):
    dd = os.path.join(work, "scale_" + tag)
    os.makedirs(dd, exist_ok=True)
    write_like(base["inputs"][MAG]["path"], os.path.join(dd, "mag.tif"), lambda a: a.astype(np.float64) * factor)
    s = copy.deepcopy(base)
    s["inputs"][MAG]["path"] = os.path.join(dd, "mag.tif")
    s["output"] = {"folder": os.path.join(dd, "out"), "layers": ["prospectivity", "anomalies"]}
    p = run(["run", write_job(dd, s)], check=False)
    expect(p.returncode == 0, "magnetics x %g: the run finishes (exit %d)" % (factor, p.returncode))
    mid = base["inputs"][MAG]["id"]
    with h5py.File(os.path.join(dd, "out", "prospectivity.nc"), "r") as f:
        zs[tag] = {k: f["anomaly_%s_%s" % (mid, k)][:] for k in ("robust_z", "local_z")}
for tag in ("tiny", "huge"):
    for k in ("robust_z", "local_z"):
        a, b = zs["unit"][k], zs[tag][k]
        ok = np.isfinite(a)
        err = float(np.max(np.abs(a[ok] - b[ok]))) if ok.any() else float("nan")
        expect(ok.sum() > 0 and np.array_equal(np.isfinite(b), ok) and err < 2e-2 and float(np.std(b[ok])) > 0.1,
               "magnetics scaled (%s): %s equals the unscaled one to float rounding of the 58000 nT level (max |diff| %.2g, std %.2f)" %
               (tag, k, err, float(np.std(b[ok])) if ok.any() else 0))

# --- item 8: training deposits that are all unusable ----------------------------------------------------------
d = os.path.join(work, "training_off_grid")
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, "far.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["commodity", "x", "y", "kind"])
    w.writeheader()
    w.writerows([dict(r, x=float(r["x"]) + 5e6) for r in truth])
s = copy.deepcopy(base)
s["training"] = {"path": os.path.join(d, "far.csv"), "crs": "EPSG:28350", "x_column": "x", "y_column": "y"}
s["output"] = {"folder": os.path.join(d, "out")}
p = run(["run", write_job(d, s)], check=False)
lines = errors(p)
expect(p.returncode == 3 and len(lines) == 1 and "none of the" in lines[0] and "outside the grid" in lines[0],
       "deposits all off the grid, models asked for: exit 3 with one error line (got %d: %s)" %
       (p.returncode, lines[-1] if lines else "-"))
expect(not os.path.exists(os.path.join(d, "out", "prospectivity.nc")), "... and no deliverable")
s["models"] = {"wofe": False, "logistic": False}
p = run(["run", write_job(d, s)], check=False)
expect(p.returncode == 0 and any("none of the" in l for l in warnings(p)),
       "without models: exit 0 with a warning (got %d)" % p.returncode)


# --- item 3: a full disk ends in exit 4, never a crash, and leaves no deliverable ----------------------------
def deliverables(out):
    return [n for n in ("prospectivity.nc", "targets.gpkg", "report.html") if os.path.exists(os.path.join(out, n))]


mnt = os.path.join(work, "tmpfs")
os.makedirs(mnt, exist_ok=True)
m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mnt], capture_output=True, text=True)
if m.returncode != 0:
    print("skip: full-disk cases need a tmpfs mount (%s)" % m.stderr.strip())
else:
    try:
        out = os.path.join(mnt, "out")
        s = copy.deepcopy(base)
        s["output"] = {"folder": out}
        job = write_job(os.path.join(work, "full_disk"), s)
        p = run(["run", job], check=False)
        expect(p.returncode == 0, "the job fits the 64 MiB tmpfs (exit %d)" % p.returncode)
        sizes = {n: os.path.getsize(os.path.join(out, n)) for n in deliverables(out)}
        for frac in (0.0, 0.3, 0.7, 0.9, 0.97, 0.995):
            for n in sizes:
                os.remove(os.path.join(out, n))
            st = os.statvfs(mnt)
            room = int(frac * sum(sizes.values()))
            filler = os.path.join(mnt, "filler")
            with open(filler, "wb") as f:
                left = st.f_bavail * st.f_frsize - room
                while left > 0:
                    n = f.write(b"\0" * min(left, 1 << 20))
                    left -= n
            p = run(["run", job], check=False)
            lines = errors(p)
            expect(p.returncode == 4 and len(lines) == 1 and not deliverables(out),
                   "disk full at publish with %d KiB free: exit 4 (got %d), one error line, no deliverable %s: %s" %
                   (room >> 10, p.returncode, deliverables(out), lines[-1][-200:] if lines else p.stderr[-200:]))
            leftovers = [n for n in os.listdir(out) if ".partial" in n]
            os.remove(filler)
            p = run(["run", job], check=False)
            expect(p.returncode == 0 and len(deliverables(out)) == 3,
                   "with room again the rerun completes (exit %d, partial files before: %s)" % (p.returncode, leftovers))
        # Validate's estimate is checked before the first write of a fresh run.
        shutil.rmtree(out)
        st = os.statvfs(mnt)
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            left = st.f_bavail * st.f_frsize - (256 << 10)
            while left > 0:
                left -= f.write(b"\0" * min(left, 1 << 20))
        p = run(["run", job], check=False)
        lines = errors(p)
        expect(p.returncode == 4 and len(lines) == 1 and "MiB free" in lines[0] and not os.path.exists(out + "/work"),
               "a fresh run on a disk too small for validate's estimate stops before writing: %s" %
               (lines[-1][-200:] if lines else p.returncode))
        os.remove(filler)
    finally:
        subprocess.run(["umount", "-l", mnt])

# --- item 5: deleting the output folder under a running job stops it ------------------------------------------
big = os.path.join(work, "big")
run(["synth", "--out", big, "--size", "768", "--seed", "4"])
d = os.path.join(work, "lock_lost")
s = json.load(open(os.path.join(big, "job.json")))
for i in s["inputs"]:
    if not os.path.isabs(i["path"]):
        i["path"] = os.path.join(big, i["path"])
s["output"] = {"folder": os.path.join(d, "out")}
s["tiling"] = {"tile_size": 64}
job = write_job(d, s)
proc = subprocess.Popen([BIN, "run", job], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
lock = os.path.join(d, "out", "work", ".lock")
t0 = time.time()
while not os.path.exists(lock) and time.time() - t0 < 60 and proc.poll() is None:
    time.sleep(0.05)
time.sleep(0.5)
shutil.rmtree(os.path.join(d, "out"), ignore_errors=True)
_, err = proc.communicate(timeout=600)
lines = [l for l in err.splitlines() if "error:" in l]
expect(proc.returncode == 4 and len(lines) == 1,
       "output folder deleted mid-run: the run stops with exit 4 (got %s): %s" %
       (proc.returncode, lines[-1][-220:] if lines else err[-300:]))

# --- item 8: SIGTERM during publish exits 4 and publishes nothing ---------------------------------------------
import signal  # noqa: E402

d = os.path.join(work, "term_publish")
s["output"] = {"folder": os.path.join(d, "out"), "layers": ["prospectivity", "anomalies", "contributions"],
               "deflate_level": 12}
job = write_job(d, s)
run(["run", job, "--stages", "ingest,fft,transform,stats,anomaly,model,score,targets,learn"], check=False)
proc = subprocess.Popen([BIN, "run", job], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
err = []
for line in proc.stderr:
    err.append(line)
    if "publish all: recomputing" in line:
        proc.send_signal(signal.SIGTERM)
        break
err += proc.stderr.readlines()
proc.wait(timeout=600)
out = os.path.join(d, "out")
expect(proc.returncode == 4 and any("interrupted by SIGTERM" in l for l in err) and not deliverables(out),
       "SIGTERM during publish: exit 4 (got %s), no deliverable (%s): %s" %
       (proc.returncode, deliverables(out), [l for l in err if "error" in l][-1:]))

# --- item 8: a geographic grid across the antimeridian (longitudes 179..181) -------------------------------
d = os.path.join(work, "antimeridian")
os.makedirs(d, exist_ok=True)
ds = gdal.GetDriverByName("GTiff").Create(os.path.join(d, "m.tif"), 40, 20, 1, gdal.GDT_Float32)
ds.SetGeoTransform((179.0, 0.05, 0, -20.0, 0, -0.05))
ds.SetProjection("EPSG:4326")
yy, xx = np.mgrid[0:20, 0:40]
ds.GetRasterBand(1).WriteArray((58000 + 30 * np.sin(xx / 4.0) * np.cos(yy / 3.0)).astype(np.float32))
ds = None
spec = {"name": "antimeridian", "grid": {"crs": "EPSG:4326", "cell_size": 0.05, "extent": "union"},
        "inputs": [{"id": "tmi", "kind": "magnetics", "path": "m.tif", "units": "nT", "inclination": -50.0,
                    "declination": 10.0}],
        "commodities": ["cu"], "recipes": {"cu": {"min_weight_fraction": 0.1}}, "output": {"folder": "out"}}
p = run(["run", write_job(d, spec)], check=False)
ok = p.returncode == 0
if ok:
    g = gdal.Open(os.path.join(d, "out", "prospectivity.nc"))
    subs = [n for n, _ in g.GetSubDatasets() if n.endswith(":prospectivity_cu")]
    gt = gdal.Open(subs[0]).GetGeoTransform() if subs else None
    ok = gt is not None and abs(gt[0] - 179.0) < 1e-9 and abs(gt[0] + 40 * gt[1] - 181.0) < 1e-9
expect(ok, "a raster over longitudes 179..181 with extent union runs on a grid from 179 to 181 (exit %d: %s)" %
       (p.returncode, errors(p)[-1:]))
finish()
