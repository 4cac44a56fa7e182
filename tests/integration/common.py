"""Shared helpers for the integration tests: run the real prospector binary and inspect its outputs."""
import os
import shutil
import subprocess
import sys

BIN = os.environ.get("PROSPECTOR_BIN", "prospector")
SOURCE = os.environ.get("PROSPECTOR_SOURCE", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
WORK = os.environ.get("PROSPECTOR_WORK", "/tmp/prospector_it")

failures = []


def fresh_dir(name):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d, exist_ok=True)
    return d


def run(args, check=True, env=None, timeout=600):
    cmd = [BIN] + [str(a) for a in args]
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=timeout)
    if check and p.returncode != 0:
        print(p.stdout)
        print(p.stderr)
        raise SystemExit("command failed (%d): %s" % (p.returncode, " ".join(cmd)))
    return p


def tool(args, check=True):
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        print(p.stdout)
        print(p.stderr)
        raise SystemExit("command failed (%d): %s" % (p.returncode, " ".join(map(str, args))))
    return p


def expect(cond, message):
    status = "ok  " if cond else "FAIL"
    print("%s %s" % (status, message))
    if not cond:
        failures.append(message)


def finish():
    if failures:
        print("%d checks failed:" % len(failures))
        for f in failures:
            print("  - " + f)
        sys.exit(1)
    print("all checks passed")


def chromium_screenshot(html_path, png_path, width, height, profile):
    """Renders a local HTML file in headless Debian Chromium at width x height CSS pixels.
    Returns (ok, console error lines)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        return False, ["chromium is not installed (Debian package chromium)"]
    p = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                        "--hide-scrollbars", "--force-device-scale-factor=1",
                        "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
                        "--window-size=%d,%d" % (width, height), "--screenshot=" + png_path,
                        "file://" + os.path.abspath(html_path)],
                       capture_output=True, text=True, timeout=120)
    console = [l for l in p.stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l]
    return p.returncode == 0 and os.path.exists(png_path), console


def check_map_figures(html, work, name):
    """Renders each map figure of a report (<svg class='map'>) on its own in headless Chromium and checks that
    every region its data-box attributes name (map, axes, colour bar, scale bar, north arrow, legend) holds
    drawn content in the screenshot: dark pixels on the white page, and colour in the map itself."""
    import re
    import numpy as np
    from osgeo import gdal
    maps = re.findall(r"<svg class='map'.*?</svg>", html, re.S)
    expect(len(maps) > 0, "%s: the report has map figures" % name)
    for i, svg in enumerate(maps[:2]):
        w, h = (float(v) for v in re.search(r"width='([0-9.]+)' height='([0-9.]+)'", svg).groups())
        page = os.path.join(work, "%s_map%d.html" % (name, i))
        shot = os.path.join(work, "%s_map%d.png" % (name, i))
        with open(page, "w") as f:
            f.write("<!DOCTYPE html><html><head><meta charset='utf-8'><style>body{margin:0}</style></head>"
                    "<body>" + svg + "</body></html>")
        ok, console = chromium_screenshot(page, shot, int(w) + 1, int(h) + 1, os.path.join(work, "chromium-maps"))
        expect(ok and not console, "%s: headless Chromium renders map figure %d (%s)" % (name, i, console[:2]))
        if not ok:
            continue
        ds = gdal.Open(shot)
        img = ds.ReadAsArray()[:3].astype(np.float64)
        ds = None
        boxes = dict(re.findall(r"<g class='([\w-]+)' data-box='([^']+)'", svg))
        expect(set(boxes) == {"map", "x-axis", "y-axis", "colourbar", "scalebar", "north", "legend"},
               "%s: map figure %d names all its regions (%s)" % (name, i, sorted(boxes)))
        for region, b in sorted(boxes.items()):
            x, y, bw, bh = (float(v) for v in b.split())
            r0, r1 = max(0, int(y)), min(img.shape[1], int(np.ceil(y + bh)))
            c0, c1 = max(0, int(x)), min(img.shape[2], int(np.ceil(x + bw)))
            crop = img[:, r0:r1, c0:c1]
            dark = float((crop.max(axis=0) < 110).mean()) if crop.size else 0.0
            if region == "map":
                colours = len(np.unique(crop.reshape(3, -1).T, axis=0)) if crop.size else 0
                expect(colours > 20 and crop.std() > 20,
                       "%s: map %d shows the grid in colour (%d colours, std %.1f)" % (name, i, colours, crop.std()))
            else:
                expect(0.005 < dark < 0.9, "%s: map %d region %s is drawn, not blank (%.1f%% dark pixels)" %
                       (name, i, region, 100 * dark))
