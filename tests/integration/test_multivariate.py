"""Job options of the multivariate anomalies and the target threshold, run on the synthetic demo survey:
anomaly.pca_components (principal-component score grids), anomaly.rx_covariance = mcd (robust FAST-MCD
covariance for RX and PCA) and targets.threshold = concentration_area (C-A fractal break)."""
import csv
import json
import os
import re

import h5py
import numpy as np

from common import expect, finish, fresh_dir, run

work = fresh_dir("multivariate")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "240", "--seed", "5"])
spec = json.load(open(os.path.join(survey, "job.json")))


def run_job(name, anomaly, targets=None, extra=()):
    job = json.loads(json.dumps(spec))
    job.setdefault("anomaly", {}).update(anomaly)
    if targets:
        job.setdefault("targets", {}).update(targets)
    path = os.path.join(survey, "job_%s.json" % name)
    json.dump(job, open(path, "w"))
    out = os.path.join(work, "out_" + name)
    p = run(["run", path, "--out", out] + list(extra))
    log = p.stdout + p.stderr
    return out, log


def grids(out):
    return h5py.File(os.path.join(out, "prospectivity.nc"), "r")


def model(out):
    return json.load(open(os.path.join(out, "work", "global", "model.json")))


classical, log_c = run_job("classical", {"pca_components": 3})
robust, log_r = run_job("mcd", {"pca_components": 3, "rx_covariance": "mcd"},
                        {"threshold": "concentration_area"})

# PCA of the classical estimate: score k has the variance of eigenvalue k, and scores are uncorrelated.
f = grids(classical)
k = len(model(classical)["rx"]["bands"])
pcs = []
for c in range(1, 4):
    v = f["anomaly_pc%d" % c]
    m = re.search(r"\(([0-9.]+)% of the variance", v.attrs["long_name"].decode() if isinstance(
        v.attrs["long_name"], bytes) else v.attrs["long_name"])
    expect(m is not None, "anomaly_pc%d long_name gives its share of the variance" % c)
    pcs.append(np.where(v[...] == -9999, np.nan, v[...]).astype(np.float64).ravel())
pcs = np.array(pcs)
ok = np.all(~np.isnan(pcs), axis=0)
var = pcs[:, ok].var(axis=1, ddof=1)
shares = [float(re.search(r"\(([0-9.]+)%", (f["anomaly_pc%d" % c].attrs["long_name"].decode() if isinstance(
    f["anomaly_pc%d" % c].attrs["long_name"], bytes) else f["anomaly_pc%d" % c].attrs["long_name"])).group(1))
          for c in range(1, 4)]
expect(np.allclose(100 * var / k, shares, atol=0.06),
       "PC score variances / %d bands = the shares in long_name (%s vs %s)" % (k, np.round(100 * var / k, 2), shares))
corr = np.corrcoef(pcs[:, ok])
expect(np.abs(corr[np.triu_indices(3, 1)]).max() < 1e-3,
       "PC scores are uncorrelated (max |r| %.1e)" % np.abs(corr[np.triu_indices(3, 1)]).max())
expect(var[0] >= var[1] >= var[2], "components ordered by decreasing variance %s" % np.round(var, 3))

# MCD: the planted deposits are outliers of the layer stack; the robust covariance leaves them out, so
# its variances are smaller than the classical ones and the deposits stand out more in anomaly_rx.
mc, mr = model(classical)["rx"], model(robust)["rx"]
dc = np.diag(np.array(mc["cov"]).reshape(k, k))
dr = np.diag(np.array(mr["cov"]).reshape(k, k))
expect(mr["covariance"] == "mcd" and mr["sample_cells"] > 1000 and np.all(dr < dc),
       "MCD covariance on %d sample cells has smaller variances than the classical one (%s < %s)" % (
           mr.get("sample_cells", 0), np.round(dr, 3), np.round(dc, 3)))
expect("MCD on" in log_r and "FAST-MCD" in (grids(robust)["anomaly_rx"].attrs["long_name"].decode() if isinstance(
    grids(robust)["anomaly_rx"].attrs["long_name"], bytes) else grids(robust)["anomaly_rx"].attrs["long_name"]),
       "the log and anomaly_rx's long_name say the covariance is the robust estimate")

ds = grids(robust)
xs, ys = ds["x"][...], ds["y"][...]
deposits = [r for r in csv.DictReader(open(os.path.join(survey, "truth.csv"))) if r["kind"] == "deposit"]


def contrast_at_deposits(out):
    """Median over the deposits of the highest RX within 2 cells, over the median RX of all cells; and the
    median share of cells below that value."""
    rx = grids(out)["anomaly_rx"][...].astype(np.float64)
    valid = rx[rx != -9999]
    med = np.median(valid)
    contrast, ranks = [], []
    for d in deposits:
        c = int(np.argmin(np.abs(xs - float(d["x"]))))
        r = int(np.argmin(np.abs(ys - float(d["y"]))))
        peak = rx[max(0, r - 2):r + 3, max(0, c - 2):c + 3].max()
        contrast.append(peak / med)
        ranks.append((valid < peak).mean())
    return float(np.median(contrast)), float(np.median(ranks))


(cc, rc), (cr, rr) = contrast_at_deposits(classical), contrast_at_deposits(robust)
expect(cr > cc and rr > 0.95,
       "planted deposits against the RX background (median): MCD %.1fx, classical %.1fx (median percentile %.4f "
       "and %.4f: the robust covariance also lifts other non-background structure)" % (cr, cc, rr, rc))

# C-A thresholds: logged per commodity, and the targets lie above the threshold they report.
breaks = re.findall(r"(\w+): threshold from the upper C-A break at ([0-9.eE+-]+)", log_r)
expect(len(breaks) == len(spec.get("commodities", ["cu", "li", "ni", "co", "sn"])),
       "a C-A threshold for every commodity (%s)" % breaks)
targets = json.load(open(os.path.join(robust, "work", "global", "targets.json")))
for t in targets:
    thr = {c: float(v) for c, v in breaks}.get(t["commodity"])
    peaks = [g["peak"] for g in t["targets"]]
    expect(thr is not None and abs(t["threshold"] - thr) <= 5e-4 * thr and min(peaks) >= t["threshold"] and
           0.0 < t["top_fraction"] < 0.5,
           "%s: targets above the C-A threshold %.4f (%.1f%% of the cells)" % (
               t["commodity"], t["threshold"], 100 * t["top_fraction"]))

# The MCD sample is chosen by grid position and put in grid order, so RX and PC grids do not depend on
# the tiling.
tiled, _ = run_job("mcd_tiled", {"pca_components": 3, "rx_covariance": "mcd"}, {"threshold": "concentration_area"},
                   ["--tile-size", "64"])
same = all(np.array_equal(grids(robust)[v][...], grids(tiled)[v][...], equal_nan=True)
           for v in ["anomaly_rx", "anomaly_pc1", "anomaly_pc2", "anomaly_pc3"])
expect(same and model(robust)["rx"]["cov"] == model(tiled)["rx"]["cov"],
       "MCD covariance, anomaly_rx and anomaly_pc1..3 bit-identical with 64-cell tiles")
finish()
