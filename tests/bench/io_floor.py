#!/usr/bin/python3
"""I/O floor of the end-to-end benchmark (issue 4): the time any implementation needs to read the survey with
GDAL and to write an output of the same size to HDF5, measured on the same machine in the same script.

    io_floor.py read FILE...           read each raster fully with GDAL, in blocks of whole rows
    io_floor.py write REAL_H5 OUT_H5   write every 2-D float32 grid of REAL_H5 (the pipeline's own
                                       prospectivity.nc) again into OUT_H5 with the same layout: chunks
                                       256 x 256, shuffle + deflate level 4, fill value -9999, in blocks of
                                       256 rows. Each grid is read from REAL_H5 before its timed write, so
                                       only the write is timed; the data, and so the compression work,
                                       are the pipeline's own.

Prints "FLOOR read <seconds> <bytes>" or "FLOOR write <seconds> <bytes> <grids>". Debian's /usr/bin/python3.
"""
import sys
import time

import numpy as np


def read(paths, block_rows=256):
    from osgeo import gdal
    gdal.UseExceptions()
    total, nbytes = 0.0, 0
    for p in paths:
        t0 = time.perf_counter()
        ds = gdal.Open(p)
        b = ds.GetRasterBand(1)
        nx, ny = ds.RasterXSize, ds.RasterYSize
        buf = np.empty((block_rows, nx), dtype=np.float32)
        checksum = 0.0
        for r0 in range(0, ny, block_rows):
            rows = min(block_rows, ny - r0)
            view = buf[:rows]
            b.ReadAsArray(0, r0, nx, rows, buf_obj=view)
            checksum += float(view[0, 0])
        ds = None
        dt = time.perf_counter() - t0
        total += dt
        nbytes += nx * ny * 4
        print("io_floor: read %s %.2f s" % (p, dt), file=sys.stderr, flush=True)
    print("FLOOR read %.3f %d" % (total, nbytes), flush=True)


def write(real, out, block_rows=256):
    import h5py
    src = h5py.File(real, "r")
    names = []
    src.visit(lambda n: names.append(n) if isinstance(src[n], h5py.Dataset) and src[n].ndim == 2
              and src[n].dtype == np.float32 and min(src[n].shape) > 1 else None)
    total, nbytes = 0.0, 0
    t0 = time.perf_counter()
    dst = h5py.File(out, "w")
    total += time.perf_counter() - t0
    for name in names:
        data = src[name][...]  # untimed: the pipeline computes its grids, the floor only writes them
        ny, nx = data.shape
        t0 = time.perf_counter()
        ds = dst.create_dataset(name, shape=data.shape, dtype=np.float32,
                                chunks=(min(256, ny), min(256, nx)), shuffle=True, compression="gzip",
                                compression_opts=4, fillvalue=np.float32(-9999.0))
        for r0 in range(0, ny, block_rows):
            ds[r0:r0 + block_rows] = data[r0:r0 + block_rows]
        dst.flush()
        dt = time.perf_counter() - t0
        total += dt
        nbytes += data.nbytes
        print("io_floor: wrote %s %.2f s" % (name, dt), file=sys.stderr, flush=True)
        del data
    t0 = time.perf_counter()
    dst.close()
    total += time.perf_counter() - t0
    print("FLOOR write %.3f %d %d" % (total, nbytes, len(names)), flush=True)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "read":
        read(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
