#!/usr/bin/python3
"""Writes a synthetic N x N x 8-layer survey for the end-to-end benchmark (issue 4), directly with GDAL.

Eight float32 GeoTIFFs in EPSG:28350 (MGA zone 50), 50 m cells, all on the same N x N grid: magnetics (nT),
gravity (mGal), radiometric K (%), Th (ppm), U (ppm), EM (mS/m) and two geochem_grid layers, Cu and Ni (ppm).
Each is a smooth random field (a sum of random plane waves) plus a few planted Gaussian anomalies, a little
white noise and a 1% strip of nodata along the western edge, written band by band in blocks of rows so memory
stays at a few blocks. Files are uncompressed and tiled 256 x 256. Also writes job.json (tile_size, commodities
cu and ni, anomaly.local_radius) next to them.

    /usr/bin/python3 make_survey.py OUT_DIR [--size 8192] [--tile-size 1024] [--radius 10] [--seed 1]
"""
import argparse
import json
import os
import sys

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()

LAYERS = [
    # id, kind, element, units, offset, amplitude, noise, log-normal
    ("tmi", "magnetics", None, "nT", 58000.0, 250.0, 2.0, False),
    ("grav", "gravity", None, "mGal", -20.0, 8.0, 0.05, False),
    ("rad_k", "radiometric", "K", "%", 1.6, 0.5, 0.05, False),
    ("rad_th", "radiometric", "Th", "ppm", 12.0, 3.0, 0.3, False),
    ("rad_u", "radiometric", "U", "ppm", 2.5, 0.7, 0.1, False),
    ("em", "em", None, "mS/m", 40.0, 15.0, 1.0, False),
    ("cu_grid", "geochem_grid", "Cu", "ppm", np.log(30.0), 0.6, 0.05, True),
    ("ni_grid", "geochem_grid", "Ni", "ppm", np.log(25.0), 0.6, 0.05, True),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=8192)
    ap.add_argument("--cell", type=float, default=50.0)
    ap.add_argument("--tile-size", type=int, default=1024)
    ap.add_argument("--radius", type=int, default=10)
    ap.add_argument("--block-rows", type=int, default=256)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    n, cell = a.size, a.cell
    os.makedirs(a.out, exist_ok=True)
    x0, y1 = 400000.0, 6500000.0 + n * cell  # north-up: row 0 at the top
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(28350)
    rng = np.random.default_rng(a.seed)
    cols = np.arange(n, dtype=np.float64)
    drv = gdal.GetDriverByName("GTiff")
    bodies = rng.uniform(0.05 * n, 0.95 * n, size=(12, 2))  # planted sources (row, col), shared by the layers
    widths = rng.uniform(0.002 * n, 0.01 * n, size=12)
    inputs = []
    for li, (lid, kind, element, units, offset, amp, noise, lognormal) in enumerate(LAYERS):
        path = os.path.join(a.out, lid + ".tif")
        ds = drv.Create(path, n, n, 1, gdal.GDT_Float32,
                        ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "BIGTIFF=IF_SAFER"])
        ds.SetGeoTransform((x0, cell, 0.0, y1, 0.0, -cell))
        ds.SetProjection(srs.ExportToWkt())
        band = ds.GetRasterBand(1)
        band.SetNoDataValue(-99999.0)
        # Random plane waves with wavelengths from 2% to 50% of the grid: a smooth, non-periodic-looking field.
        k = 12
        wl = np.exp(rng.uniform(np.log(0.02 * n), np.log(0.5 * n), size=k))
        ang = rng.uniform(0, 2 * np.pi, size=k)
        kx, ky = 2 * np.pi / wl * np.cos(ang), 2 * np.pi / wl * np.sin(ang)
        ph = rng.uniform(0, 2 * np.pi, size=k)
        w = rng.normal(size=k) / np.sqrt(k)
        sign = rng.choice([-1.0, 1.0], size=12)
        nodata_cols = max(1, n // 100)
        for r0 in range(0, n, a.block_rows):
            rows = np.arange(r0, min(n, r0 + a.block_rows), dtype=np.float64)[:, None]
            f = np.zeros((rows.shape[0], n))
            for j in range(k):
                f += w[j] * np.cos(kx[j] * cols[None, :] + ky[j] * rows + ph[j])
            for (br, bc), bw, s in zip(bodies, widths, sign):
                if rows[0, 0] - 6 * bw <= br <= rows[-1, 0] + 6 * bw:
                    f += 2.5 * s * np.exp(-((rows - br) ** 2 + (cols[None, :] - bc) ** 2) / (2 * bw * bw))
            f = offset + amp * f + noise * rng.standard_normal(f.shape)
            if lognormal:
                f = np.exp(f)
            f = f.astype(np.float32)
            f[:, :nodata_cols] = -99999.0
            band.WriteArray(f, 0, r0)
        band.FlushCache()
        ds = None
        item = {"id": lid, "kind": kind, "path": lid + ".tif", "units": units}
        if element:
            item["element"] = element
        if kind == "magnetics":  # field direction for the reduction to the pole (south-west Western Australia)
            item["inclination"] = -64.0
            item["declination"] = -1.0
        inputs.append(item)
        print("make_survey: wrote %s (%d x %d)" % (path, n, n), flush=True)

    job = {
        "name": "bench_%d" % n,
        "grid": {"crs": "EPSG:28350", "cell_size": cell, "extent": [x0, 6500000.0, x0 + n * cell, y1]},
        "inputs": inputs,
        "commodities": ["cu", "ni"],
        "anomaly": {"local_radius": a.radius},
        "tiling": {"tile_size": a.tile_size},
        "output": {"folder": "out"},
    }
    with open(os.path.join(a.out, "job.json"), "w") as fh:
        json.dump(job, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
