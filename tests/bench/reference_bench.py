#!/usr/bin/python3
"""Reference timings for kernel_bench (issue 3): numpy / scipy implementations of what the kernels compute.

Run by kernel_bench (or by hand) with Debian's /usr/bin/python3. Prints one line per reference:

    REF <key> <threads> <best seconds>

Every output array is allocated and touched once before timing, and numpy's out= arguments are used wherever
numpy allows them (numpy.fft has no out=, so its transforms allocate their results on every call; scipy's
uniform_filter writes into a given output but allocates its own line buffers). Inputs hold no NaN, so the
references skip the nodata handling the kernels do. Thread count: only BLAS (the matmul of the Mahalanobis
reference) uses threads, set through OPENBLAS_NUM_THREADS / OMP_NUM_THREADS by the caller before this script
starts; uniform_filter and numpy.fft are single-threaded whatever the setting.
"""
import argparse
import sys
import time

import numpy as np
from scipy import ndimage


def best_of(reps, fn):
    fn()  # warm-up: first-touch of any internal buffers, caches, FFT twiddles
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=1, help="label only; set the BLAS env before starting")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--fft-reps", type=int, default=2)
    ap.add_argument("--padded", type=int, nargs=2, metavar=("NX", "NY"), help="FFT size of the kernel's plan")
    ap.add_argument("--radii", type=int, nargs="*", default=[1, 5, 20, 50])
    ap.add_argument("--bands", type=int, nargs="*", default=[4, 8])
    ap.add_argument("--only", default="", help="comma-separated key prefixes to run (default all)")
    a = ap.parse_args()
    n, T = a.size, a.threads
    only = [s for s in a.only.split(",") if s]

    def want(key):  # a group key matches a more specific --only item and the reverse
        return not only or any(key.startswith(s) or s.startswith(key) for s in only)

    def report(key, seconds):
        print("REF %s %d %.6f" % (key, T, seconds), flush=True)

    # Timing only: float32 x^2 near 58,000 cancels to zero variance in places, which is not what is measured.
    np.seterr(all="ignore")
    rng = np.random.default_rng(12345)
    f32 = np.float32
    x = (58000.0 + 100.0 * rng.standard_normal((n, n), dtype=f32)).astype(f32)
    o = np.empty_like(x)
    t1 = np.empty_like(x)
    t2 = np.empty_like(x)
    t3 = np.empty_like(x)
    for arr in (o, t1, t2, t3):
        arr.fill(0)

    # stats.robust_z: median, MAD, (x - median) / (1.4826 MAD); np.median partitions a copy of its input.
    if want("stats.robust_z"):
        def robust_z():
            np.copyto(t1, x)
            med = np.median(t1, overwrite_input=True)
            np.subtract(x, f32(med), out=t1)
            np.abs(t1, out=t1)
            mad = np.median(t1, overwrite_input=True)
            np.subtract(x, f32(med), out=o)
            np.divide(o, f32(1.4826 * mad), out=o)
        report("stats.robust_z", best_of(a.reps, robust_z))

    # window.local_z: mean and std from uniform filters of x and x^2, z = (x - mean) / std.
    if want("window"):
        for r in a.radii:
            size = 2 * r + 1

            def local_z():
                ndimage.uniform_filter(x, size=size, output=t1, mode="reflect")
                np.multiply(x, x, out=t2)
                ndimage.uniform_filter(t2, size=size, output=t3, mode="reflect")
                np.multiply(t1, t1, out=t2)
                np.subtract(t3, t2, out=t3)
                np.maximum(t3, 0, out=t3)
                np.sqrt(t3, out=t3)
                np.subtract(x, t1, out=o)
                np.divide(o, t3, out=o)
            report("window.r%d" % r, best_of(a.reps, local_z))

    # transform.log10
    if want("transform.log10"):
        g = (10.0 ** (1.0 + 0.5 * rng.standard_normal((n, n)))).astype(f32)
        report("transform.log10", best_of(a.reps, lambda: np.log10(g, out=o)))
        del g

    # fuzzy.membership (logistic): 1 / (1 + exp(-spread (x - midpoint)))
    zz = rng.standard_normal((n, n), dtype=f32)
    if want("fuzzy.membership"):
        def logistic():
            np.subtract(zz, f32(1.5), out=o)
            np.multiply(o, f32(-2.0), out=o)
            np.exp(o, out=o)
            np.add(o, f32(1.0), out=o)
            np.reciprocal(o, out=o)
        report("fuzzy.membership", best_of(a.reps, logistic))

    # fuzzy.overlay: weighted mean of 4 membership layers (no nodata, so no per-cell weight sum)
    if want("fuzzy.overlay"):
        layers = [rng.random((n, n), dtype=f32) for _ in range(4)]
        w = [0.34, 0.26, 0.24, 0.16]
        inv_w = f32(1.0 / sum(w))

        def overlay():
            np.multiply(layers[0], f32(w[0]), out=o)
            for k in range(1, 4):
                np.multiply(layers[k], f32(w[k]), out=t1)
                np.add(o, t1, out=o)
            np.multiply(o, inv_w, out=o)
        report("fuzzy.overlay", best_of(a.reps, overlay))
        del layers

    # geochem.clr over a stack of 5 part grids: ln x - mean_k ln x_k
    if want("geochem.clr"):
        parts = (10.0 ** rng.random((5, n * n), dtype=f32)).astype(f32)
        logs = np.empty_like(parts)
        outp = np.empty_like(parts)
        gm = np.empty(n * n, dtype=f32)
        for arr in (logs, outp, gm):
            arr.fill(0)

        def clr():
            np.log(parts, out=logs)
            np.mean(logs, axis=0, out=gm)
            np.subtract(logs, gm, out=outp)
        report("geochem.clr", best_of(a.reps, clr))
        del parts, logs, outp, gm

    # anomaly.gi_star: window sums of (x - mean) from a uniform filter (edge windows not clipped)
    if want("anomaly.gi_star"):
        for r in (3, 20):
            size = 2 * r + 1

            def gi():
                xm = float(x.mean(dtype=np.float64))
                S = float(x.std(dtype=np.float64))
                np.subtract(x, f32(xm), out=t2)
                ndimage.uniform_filter(t2, size=size, output=t1, mode="constant")
                W = float(size * size)
                N = float(x.size)
                den = S * np.sqrt((N * W - W * W) / (N - 1.0))
                np.multiply(t1, f32(W / den), out=o)
            report("anomaly.gi_star.r%d" % r, best_of(a.reps, gi))

    # anomaly.rx: squared Mahalanobis distance, band-major stack (b, cells): D = X - mean,
    # q = einsum(inv_cov @ D, D) (the matmul is BLAS, the einsum a per-cell dot product).
    if want("anomaly.rx"):
        for b in a.bands:
            X = rng.standard_normal((b, n * n), dtype=f32)
            D = np.empty_like(X)
            Y = np.empty_like(X)
            q = np.empty(n * n, dtype=f32)
            for arr in (D, Y, q):
                arr.fill(0)
            mean = X[:, :: 97].mean(axis=1, dtype=np.float64).astype(f32)[:, None]
            cov = np.cov(X[:, :: 97].astype(np.float64))
            inv = np.linalg.inv(cov).astype(f32)

            def rx():
                np.subtract(X, mean, out=D)
                np.matmul(inv, D, out=Y)
                np.einsum("ij,ij->j", Y, D, out=q)
            report("anomaly.rx.b%d" % b, best_of(a.reps, rx))
            del X, D, Y, q

    # potential_field.*: numpy.fft (pocketfft, double precision) on the kernel's padded size. The padded
    # buffer is prepared once; each call copies the grid into it, then rfft2, operator, irfft2 and crop.
    if want("potential_field") and a.padded:
        nxp, nyp = a.padded
        west, north = (nxp - n) // 2, (nyp - n) // 2
        P = np.zeros((nyp, nxp), dtype=np.float64)
        P[north:north + n, west:west + n] = x - x.mean()
        dx = dy = 50.0
        kx = (2 * np.pi * np.fft.rfftfreq(nxp, d=dx))[None, :]
        ky = (-2 * np.pi * np.fft.fftfreq(nyp, d=dy))[:, None]
        K = np.sqrt(kx * kx + ky * ky)
        ikx = (1j * kx)
        iky = (1j * ky)
        Hup = np.exp(-K * 100.0)
        inc, dec = np.radians(-60.0), np.radians(2.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(K > 0, (kx * np.sin(dec) + ky * np.cos(dec)) / K, 0.0)
            theta = np.sin(inc) + 1j * np.cos(inc) * c
            Hrtp = np.where(K > 0, 1.0 / theta ** 2, 1.0)
            Hpg = np.where(K > 0, Hrtp * (1e3 * 6.6743e-11 * 1000.0) / K, 0.0)
        crop = (slice(north, north + n), slice(west, west + n))

        def put():
            P[crop] = x
            P[crop] -= 58000.0

        def single(H):
            def fn():
                put()
                F = np.fft.rfft2(P)
                F *= H
                np.copyto(o, np.fft.irfft2(F, s=P.shape)[crop], casting="unsafe")
            return fn

        def derivs(ops, combine):
            def fn():
                put()
                F = np.fft.rfft2(P)
                outs = [np.fft.irfft2(F * H, s=P.shape)[crop] for H in ops]
                combine(outs)
            return fn

        def thg(d):
            np.copyto(o, np.sqrt(d[0] ** 2 + d[1] ** 2), casting="unsafe")

        def tilt(d):
            np.copyto(o, np.arctan2(d[0], np.sqrt(d[1] ** 2 + d[2] ** 2)), casting="unsafe")

        def asa(d):
            np.copyto(o, np.sqrt(d[0] ** 2 + d[1] ** 2 + d[2] ** 2), casting="unsafe")

        cases = [
            ("potential_field.upward_continuation", single(Hup)),
            ("potential_field.vertical_derivative", single(K)),
            ("potential_field.rtp", single(Hrtp)),
            ("potential_field.pseudo_gravity", single(Hpg)),
            ("potential_field.total_horizontal_gradient", derivs([ikx, iky], thg)),
            ("potential_field.tilt_derivative", derivs([K, ikx, iky], tilt)),
            ("potential_field.analytic_signal", derivs([K, ikx, iky], asa)),
        ]
        for key, fn in cases:
            if want(key):
                report(key, best_of(a.fft_reps, fn))
    return 0


if __name__ == "__main__":
    sys.exit(main())
