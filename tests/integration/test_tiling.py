"""Tiled execution: tiled output equals untiled output, a target across a tile corner is one target, a new
survey tile recomputes only the tiles it touches, kill -9 at random moments then rerun gives identical output,
a second concurrent run is refused, and status reports every stage and tile."""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np
from osgeo import gdal

from common import BIN, expect, finish, fresh_dir, run

gdal.UseExceptions()
work = fresh_dir("tiling")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "200", "--seed", "5"])
job = os.path.join(survey, "job.json")
spec = json.load(open(job))
# Every grid, not only those the recipes read, so that every anomaly layer is compared across tilings.
spec.setdefault("output", {})["layers"] = ["prospectivity", "evidence", "anomalies", "multivariate", "learned", "contributions"]
json.dump(spec, open(job, "w"), indent=1)
RX_TOL = 1e-5  # anomaly_rx uses a covariance merged from per-tile moments in double


def datasets(path):
    f = h5py.File(path, "r")
    out = {}
    f.visit(lambda n: out.__setitem__(n, f[n][...]) if isinstance(f[n], h5py.Dataset) else None)
    return out


def content(v):
    # Variable-length strings come back as objects, whose bytes are pointers: compare their values.
    return v.tolist() if v.dtype.kind == "O" else v.tobytes()


def compare(a, b, label):
    da, db = datasets(a), datasets(b)
    expect(sorted(da) == sorted(db), "%s: same variables" % label)
    exact_diff, rx_ok = [], True
    for n in da:
        if n not in db:
            continue
        if n == "anomaly_rx":
            x, y = da[n], db[n]
            rx_ok = x.shape == y.shape and bool(np.all((x == y) | (np.abs(x - y) <= RX_TOL * np.maximum(1, np.abs(x)))))
        elif da[n].shape != db[n].shape or content(da[n]) != content(db[n]):
            exact_diff.append(n)
    expect(not exact_diff, "%s: every grid and target variable bit-identical (differ: %s)" % (label, exact_diff[:5]))
    expect(rx_ok, "%s: anomaly_rx within relative %g" % (label, RX_TOL))


# --- tiled == untiled for several tile sizes, including ones that do not divide the 200-cell grid ---------------
ref = os.path.join(work, "untiled")
run(["run", job, "--out", ref, "--tile-size", "1024"])
for ts in [64, 48, 37]:
    out = os.path.join(work, "tiles_%d" % ts)
    p = run(["run", job, "--out", out, "--tile-size", str(ts)])
    n_tiles = ((200 + ts - 1) // ts) ** 2
    expect(("ingest: %d of %d unit(s) recomputed" % (n_tiles, n_tiles)) in p.stderr, "tile size %d: %d tiles" % (ts, n_tiles))
    compare(os.path.join(ref, "prospectivity.nc"), os.path.join(out, "prospectivity.nc"), "tile size %d" % ts)
    expect(all(n in datasets(os.path.join(out, "prospectivity.nc")) for n in
               ["geology", "geology_contact_granite", "faults_distance", "faults_density", "intrusions_distance"]),
           "tile size %d: the demo's geology, fault and intrusion layers are among the compared grids" % ts)

# --- a target straddling a tile corner is one target -------------------------------------------------------------
cell = spec["grid"]["cell_size"]
x0, y0 = spec["grid"]["extent"][0], spec["grid"]["extent"][3]
ref_ds = gdal.OpenEx(os.path.join(ref, "targets.gpkg"))
found = None
for ts in range(24, 100):
    for c in spec["commodities"]:
        for feat in ref_ds.GetLayerByName("targets_" + c):
            xmin, ymin, xmax, ymax = (feat.GetField(k) for k in ["xmin", "ymin", "xmax", "ymax"])
            c0, c1 = (xmin - x0) / cell, (xmax - x0) / cell
            r0, r1 = (y0 - ymax) / cell, (y0 - ymin) / cell
            corners = [(i * ts, j * ts) for i in range(1, 200 // ts + 1) for j in range(1, 200 // ts + 1)]
            if feat.GetField("cells") >= 20 and any(c0 < cx < c1 and r0 < cy < r1 for cy, cx in corners):
                found = (ts, c, feat.GetField("rank"), feat.GetField("cells"))
                break
        if found:
            break
    if found:
        break
expect(found is not None, "some target of the untiled run spans a tile corner for some tile size (%s)" % (found,))
if found:
    ts, c, rank, cells = found
    out = os.path.join(work, "corner_%d" % ts)
    run(["run", job, "--out", out, "--tile-size", str(ts)])
    compare(os.path.join(ref, "prospectivity.nc"), os.path.join(out, "prospectivity.nc"), "tile size %d" % ts)
    tiled_ds = gdal.OpenEx(os.path.join(out, "targets.gpkg"))
    same = [f for f in tiled_ds.GetLayerByName("targets_" + c) if f.GetField("rank") == rank]
    expect(len(same) == 1 and same[0].GetField("cells") == cells,
           "the %s target of rank %d (%d cells) spanning a corner of %d-cell tiles is one target with the same "
           "cells when tiled" % (c, rank, cells, ts))

# --- FFT transforms of large grids run on fixed blocks: independent of the tile size, close to whole-grid ------
blk_spec = json.loads(json.dumps(spec))
for i in blk_spec["inputs"]:
    i["path"] = os.path.join(survey, i["path"])
blk_spec["tiling"] = {"fft_block": 64}
blk_job = os.path.join(work, "job_fft_block.json")
json.dump(blk_spec, open(blk_job, "w"))
run(["run", blk_job, "--out", os.path.join(work, "blk_a"), "--tile-size", "50"])
run(["run", blk_job, "--out", os.path.join(work, "blk_b"), "--tile-size", "37"])
compare(os.path.join(work, "blk_a", "prospectivity.nc"), os.path.join(work, "blk_b", "prospectivity.nc"),
        "blocked FFT (64-cell blocks) with tile sizes 50 and 37")
whole = h5py.File(os.path.join(ref, "prospectivity.nc"), "r")["anomaly_tmi_rtp_robust_z"][...]
blocked = h5py.File(os.path.join(work, "blk_a", "prospectivity.nc"), "r")["anomaly_tmi_rtp_robust_z"][...]
ok = (whole != -9999) & (blocked != -9999)
corr = np.corrcoef(whole[ok], blocked[ok])[0, 1]
expect(corr > 0.95, "RTP from 64-cell blocks with 16-cell margins agrees with the whole-grid RTP (r = %.3f)" % corr)

# --- status --------------------------------------------------------------------------------------------------------
p = run(["status", job, "--out", os.path.join(work, "tiles_64"), "--tile-size", "64"])
expect("ingest: done 16 stale 0 missing 0 failed 0" in p.stdout and "publish: done 1" in p.stdout,
       "status reports every stage done after a run")

# --- a new survey tile: only the tiles it touches are recomputed ---------------------------------------------------
inc = os.path.join(work, "incremental")
os.makedirs(inc)
tmi_src = os.path.join(survey, [i for i in spec["inputs"] if i["id"] == "tmi"][0]["path"])
src = gdal.Open(tmi_src)
nx, ny = src.RasterXSize, src.RasterYSize
pieces = []
for k, (xo, yo) in enumerate([(0, 0), (nx // 2, 0), (0, ny // 2), (nx // 2, ny // 2)]):
    pth = os.path.join(inc, "tmi_block_%d.tif" % k)
    gdal.Translate(pth, src, srcWin=[xo, yo, nx - nx // 2 if xo else nx // 2, ny - ny // 2 if yo else ny // 2])
    pieces.append(pth)
blocks = os.path.join(inc, "tmi_blocks")
os.makedirs(blocks)
for pth in pieces[:3]:
    shutil.copy(pth, blocks)
inc_spec = json.loads(json.dumps(spec))
for i in inc_spec["inputs"]:
    i["path"] = os.path.join(survey, i["path"]) if not os.path.isabs(i["path"]) else i["path"]
    if i["id"] == "tmi":
        i["path"] = blocks
inc_spec["output"] = {"folder": os.path.join(inc, "out")}
inc_job = os.path.join(inc, "job.json")
json.dump(inc_spec, open(inc_job, "w"), indent=1)
run(["run", inc_job, "--tile-size", "50"])
shutil.copy(pieces[3], blocks)
p = run(["run", inc_job, "--tile-size", "50"])
recomputed = sorted(set(re.findall(r"ingest (r\d+_c\d+): recomputing", p.stderr)))
# The new block covers the south-east quarter of the grid: 50-cell tiles r001..r003 x c001..c003 at most.
gt = gdal.Open(pieces[3]).GetGeoTransform()
col0 = int((gt[0] - x0) // cell)
row0 = int((y0 - gt[3]) // cell)
expect(recomputed and all(int(t[1:4]) >= row0 // 50 - 1 and int(t[6:9]) >= col0 // 50 - 1 for t in recomputed)
       and len(recomputed) < 16,
       "adding the south-east block recomputes only the ingest tiles it touches: %s" % recomputed)
expect("changed: input:tmi" in p.stderr, "the log says why a tile was recomputed")
fresh = os.path.join(inc, "fresh")
run(["run", inc_job, "--tile-size", "50", "--out", fresh])
compare(os.path.join(inc, "out", "prospectivity.nc"), os.path.join(fresh, "prospectivity.nc"),
        "incremental rerun vs from scratch")

# --- kill -9 at random moments, then rerun: identical output -------------------------------------------------------
crash = os.path.join(work, "crash")
rng = random.Random(1234)
# Kill moments are drawn relative to the duration of a full forced run, so they land mid-run on any machine.
run(["run", job, "--out", crash, "--tile-size", "40", "--threads", "1"])
t0 = time.time()
run(["run", job, "--out", crash, "--tile-size", "40", "--threads", "1", "--force"])
full = time.time() - t0
kills = 0
attempt = 0
while kills < 6 and attempt < 15:
    # --force after the first attempt: every attempt rewrites units, so a kill can land anywhere, including
    # while a unit that is already marked done is being rewritten.
    proc = subprocess.Popen([BIN, "run", job, "--out", crash, "--tile-size", "40", "--threads", "1"] +
                            (["--force"] if attempt else []), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.05, 0.7) * full)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        kills += 1
    proc.wait()
    attempt += 1
expect(kills >= 5, "killed the run with SIGKILL %d times mid-way" % kills)
run(["run", job, "--out", crash, "--tile-size", "40"])
compare(os.path.join(ref, "prospectivity.nc"), os.path.join(crash, "prospectivity.nc"), "after kill -9 and rerun")
leftovers = [f for f in os.listdir(crash) if f.startswith(".prospectivity.partial")]
expect(not leftovers, "no partial output left after the rerun (%s)" % leftovers)
# A publish killed while rewriting an output that an earlier run had completed with the same inputs leaves its
# temporary file, and the next run has nothing to publish: it must still remove the file (its process is gone).
gone = subprocess.Popen(["true"])
gone.wait()
stale = os.path.join(crash, ".prospectivity.partial-%d" % gone.pid)
with open(stale, "wb") as f:
    f.write(b"\x89HDF half-written")
run(["run", job, "--out", crash, "--tile-size", "40"])
expect(not os.path.exists(stale), "an up-to-date run removes a dead publish's temporary file")

# --- a second run on the same output folder is refused -------------------------------------------------------------
lock_out = os.path.join(work, "lock")
proc = subprocess.Popen([BIN, "run", job, "--out", lock_out, "--tile-size", "20", "--threads", "1"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.5)
p = run(["run", job, "--out", lock_out, "--tile-size", "20"], check=False)
proc.wait()
expect(p.returncode == 4 and "another prospector run is using" in p.stderr,
       "a concurrent run on the same folder is refused (exit %d: %s)" % (p.returncode, p.stderr.strip()[-120:]))
finish()
