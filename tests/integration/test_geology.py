"""Geology, structure and feature inputs through the real binary: the unit layer equals the polygons' attribute
at cell centres (with the class table as CF flag attributes), distances and densities equal brute-force
computations, every vector layer is bit-identical for any tiling and thread count, and a recipe reads them with
a favourability table and a distance membership."""
import copy
import csv
import json
import math
import os

import h5py
import numpy as np
from osgeo import ogr, osr

import vector_fixtures as vf
from common import SOURCE, expect, finish, fresh_dir, run

work = fresh_dir("geology")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "64", "--seed", "3"])
base = json.load(open(os.path.join(survey, "job.json")))
extent = base["grid"]["extent"]
cell = float(base["grid"]["cell_size"])
geo, faults, pts = vf.write_all(work, extent)
MAXD = 1500.0

# A recipe that reads the new layers: a favourability table over the units and "within 1 km of a fault".
recipe = json.load(open(os.path.join(SOURCE, "jobs", "recipes", "ni.json")))
recipe["evidence"].append({"id": "host_unit", "source": {"kind": "geology"}, "transform": "category",
                           "categories": {"ultramafic": 1.0, "volcanics": 0.4}, "other": 0.0, "weight": 0.6,
                           "rationale": "test: Ni-Co sulphides sit in ultramafic units"})
recipe["evidence"].append({"id": "near_fault", "source": {"kind": "structures", "measure": "distance"},
                           "transform": "value", "membership": {"shape": "linear", "low": 1000, "high": 0},
                           "weight": 0.1, "rationale": "test: within 1 km of a fault, decreasing"})
recipe_path = os.path.join(work, "ni_geology.json")
json.dump(recipe, open(recipe_path, "w"), indent=1)

spec = copy.deepcopy(base)
spec["inputs"] = [dict(i, path=os.path.join(survey, i["path"])) for i in spec["inputs"]
                  if i["kind"] not in ("geology", "structures", "features")]  # the demo's own map: replaced here
spec["inputs"] += vf.geology_inputs(geo, faults, pts, MAXD)
spec["commodities"] = ["ni", "cu"]
spec["recipes"] = {"ni": {"path": recipe_path}}
spec["output"] = {"layers": ["prospectivity", "evidence", "anomalies"]}  # z-scores of the distances too
job = os.path.join(work, "job.json")
json.dump(spec, open(job, "w"), indent=1)

p = run(["validate", job])
expect("host_unit=geol" in p.stdout and "near_fault=faults_distance" in p.stdout,
       "validate binds the category and distance evidence: %s" % [l for l in p.stdout.splitlines() if "ni:" in l])
ref = os.path.join(work, "ref")
p = run(["run", job, "--out", ref, "--tile-size", "1024"])
expect("faults: 4 of 4 features" in p.stderr, "the where filter keeps the 4 faults (log: %s)" %
       [l for l in p.stderr.splitlines() if "faults:" in l][:1])
f = h5py.File(os.path.join(ref, "prospectivity.nc"), "r")
ny, nx = f["geol"].shape
xs, ys = f["x"][...], f["y"][...]


def grid_values(name):
    v = f[name][...].astype(np.float64)
    v[v == -9999] = np.nan
    return v


# --- the unit layer equals the polygons' attribute at cell centres ------------------------------------------------
ct = osr.CoordinateTransformation(vf.srs(4326), vf.srs(vf.GRID_CRS))
polys = []
for wkt, v in vf.to_wgs84(vf.geology_features(extent)):
    g = ogr.CreateGeometryFromWkt(wkt)
    g.Transform(ct)
    polys.append((g, vf.UNITS.index(v["unit"]) + 1))
want = np.full((ny, nx), np.nan)
for r in range(ny):
    for c in range(nx):
        pt = ogr.CreateGeometryFromWkt("POINT(%r %r)" % (float(xs[c]), float(ys[r])))
        for g, code in polys:  # the last polygon containing the centre wins, as it is burned last
            if g.Contains(pt):
                want[r, c] = code
geol = grid_values("geol")
same = np.array_equal(np.nan_to_num(geol, nan=-1), np.nan_to_num(want, nan=-1))
expect(same, "geol equals the unit attribute at every cell centre (%d cells differ)" %
       int(np.sum(np.nan_to_num(geol, nan=-1) != np.nan_to_num(want, nan=-1))))
expect(set(np.unique(geol[~np.isnan(geol)]).tolist()) == {1.0, 2.0, 3.0, 4.0}, "all four units are on the grid")
fv = list(f["geol"].attrs["flag_values"])
fm = f["geol"].attrs["flag_meanings"]
fm = fm.decode() if isinstance(fm, bytes) else str(fm)
expect(fv == [1.0, 2.0, 3.0, 4.0] and fm.split() == vf.UNITS,
       "class table as CF flag_values %s / flag_meanings '%s'" % (fv, fm))
expect(f["geol"].attrs["flag_values"].dtype == np.float32, "flag_values have the variable's type (float32)")
expect("anomaly_geol_robust_z" not in f and "anomaly_geol_local_z" not in f, "no z-scores of class codes")

# --- contact distance: one cell beside the contact, and never below one cell ---------------------------------------
contact = grid_values("geol_contact_granite")
gr = geol == 1
beside = np.zeros_like(gr)
beside[:, 1:] |= gr[:, 1:] != gr[:, :-1]
beside[:, :-1] |= gr[:, :-1] != gr[:, 1:]
beside[1:, :] |= gr[1:, :] != gr[:-1, :]
beside[:-1, :] |= gr[:-1, :] != gr[1:, :]
expect(bool(np.all(contact[beside] == cell)) and beside.any(), "contact distance is one cell beside the contact")
expect(bool(np.all(contact >= cell)) and float(np.nanmax(contact)) > 10 * cell,
       "contact distance is at least one cell and grows away from it (max %g)" % float(np.nanmax(contact)))

# --- feature points: distance and density against brute force ------------------------------------------------------
x0, y0 = extent[0], extent[3]
pcells = {}
for wkt, _ in vf.feature_points(extent):
    g = ogr.CreateGeometryFromWkt(wkt)
    key = (math.floor((y0 - g.GetY()) / cell), math.floor((g.GetX() - x0) / cell))
    pcells[key] = pcells.get(key, 0) + 1
d_want = np.zeros((ny, nx), np.float32)
rho_want = np.zeros((ny, nx), np.float32)
R = 260.0
rr = (R / cell) ** 2
for r in range(ny):
    for c in range(nx):
        d2 = min((r - a) ** 2 + (c - b) ** 2 for a, b in pcells)
        d_want[r, c] = min(np.float32(cell * math.sqrt(d2)), np.float32(MAXD))
        # the kernel's order: offsets by row, then column
        s = 0.0
        for (a, b) in sorted(pcells):
            if (a - r) ** 2 + (b - c) ** 2 <= rr:
                s += pcells[(a, b)]
        rho_want[r, c] = np.float32(s / (math.pi * R * R))
expect(np.array_equal(f["intr_distance"][...], d_want), "point distance equals brute force bit for bit (max diff %g)" %
       float(np.max(np.abs(f["intr_distance"][...] - d_want))))
expect(np.allclose(f["intr_density"][...], rho_want, rtol=1e-6, atol=0) and rho_want.max() > 0,
       "point density equals the brute-force count within %g m over the circle's area" % R)

# --- faults: distance within half a cell diagonal of the exact distance to the lines, density near them only ------
lines = [ogr.CreateGeometryFromWkt(w) for w, v in vf.fault_features(extent) if v["type"] == "fault"]
dist = f["faults_distance"][...].astype(np.float64)
worst = 0.0
for r in range(0, ny, 3):
    for c in range(0, nx, 3):
        pt = ogr.CreateGeometryFromWkt("POINT(%r %r)" % (float(xs[c]), float(ys[r])))
        exact = min(min(l.Distance(pt) for l in lines), MAXD)
        worst = max(worst, abs(dist[r, c] - exact))
expect(worst <= cell * math.sqrt(0.5) + 1e-6, "fault distance within half a cell diagonal of the exact distance "
       "(worst %.2f)" % worst)
expect(float(dist.max()) <= MAXD and np.all(dist >= 0), "fault distances in [0, max_distance]")
dens = f["faults_density"][...]
far = dist > 300.0 + cell * 1.5
expect(bool(np.all(dens[far] == 0)) and bool(np.all(dens[dist == 0] > 0)),
       "line density is 0 beyond the radius and positive on the lines")

# --- fault intersections: distance to the cells where two faults cross, against OGR's intersections --------------
icells = set()
for i in range(len(lines)):
    for j in range(i + 1, len(lines)):
        inter = lines[i].Intersection(lines[j])
        if inter is None or inter.IsEmpty():
            continue
        pts = [inter.GetGeometryRef(k) for k in range(inter.GetGeometryCount())] if inter.GetGeometryCount() else [inter]
        for g in pts:
            icells.add((math.floor((y0 - g.GetY()) / cell), math.floor((g.GetX() - x0) / cell)))
expect(len(icells) >= 1, "the synthetic faults cross (%d intersection cells)" % len(icells))
i_want = np.zeros((ny, nx), np.float32)
for r in range(ny):
    for c in range(nx):
        d2 = min((r - a) ** 2 + (c - b) ** 2 for a, b in icells)
        i_want[r, c] = min(np.float32(cell * math.sqrt(d2)), np.float32(MAXD))
got = f["faults_intersections"][...]
expect(np.array_equal(got, i_want), "distance to fault intersections equals brute force from OGR's crossing points "
       "(max diff %g)" % float(np.max(np.abs(got - i_want))))

# --- the recipe reads them ------------------------------------------------------------------------------------------
ni = grid_values("prospectivity_ni")
um = geol == 3
expect(np.nanmean(ni[um]) > np.nanmean(ni[~um]) + 0.2,
       "prospectivity_ni is higher in the ultramafic unit (%.3f vs %.3f)" % (np.nanmean(ni[um]), np.nanmean(ni[~um])))
f.close()

# --- bit-identical for any tiling and thread count -------------------------------------------------------------------
names = ["geol", "geol_contact_granite", "faults_distance", "faults_density", "faults_intersections", "intr_distance",
         "intr_density",
         "prospectivity_ni", "prospectivity_cu", "anomaly_faults_distance_local_z"]
for ts, threads in [(16, "1"), (37, "3")]:
    out = os.path.join(work, "t%d" % ts)
    run(["run", job, "--out", out, "--tile-size", str(ts)], env={"OMP_NUM_THREADS": threads})
    a, b = h5py.File(os.path.join(ref, "prospectivity.nc"), "r"), h5py.File(os.path.join(out, "prospectivity.nc"), "r")
    diff = [n for n in names if a[n][...].tobytes() != b[n][...].tobytes()]
    expect(not diff, "tile size %d, %s thread(s): vector layers and scores bit-identical (differ: %s)" % (ts, threads, diff))

# --- the demo survey's own map: deposits where their models put them ------------------------------------------------
demo_out = os.path.join(work, "demo")
run(["run", os.path.join(survey, "job.json"), "--out", demo_out])
d = h5py.File(os.path.join(demo_out, "prospectivity.nc"), "r")
meanings = d["geology"].attrs["flag_meanings"]
meanings = (meanings.decode() if isinstance(meanings, bytes) else str(meanings)).split()
codes = dict(zip(meanings, [int(v) for v in d["geology"].attrs["flag_values"]]))
x0d, y0d = float(d["x"][0]) - cell / 2, float(d["y"][0]) + cell / 2
placed = {"ni": [], "sn": [], "cu": []}
for row in csv.DictReader(open(os.path.join(survey, "truth.csv"))):
    if row["kind"] != "deposit" or row["commodity"] not in placed:
        continue
    r, c = int((y0d - float(row["y"])) // cell), int((float(row["x"]) - x0d) // cell)
    if 0 <= r < d["geology"].shape[0] and 0 <= c < d["geology"].shape[1]:
        placed[row["commodity"]].append((r, c))
unit = d["geology"][...]
expect(placed["ni"] and all(unit[r, c] == codes["ultramafic"] for r, c in placed["ni"]),
       "demo: every Ni-Co deposit lies in an ultramafic unit (%d)" % len(placed["ni"]))
expect(placed["sn"] and all(d["geology_contact_granite"][r, c] <= 2 * cell for r, c in placed["sn"]),
       "demo: every Sn deposit lies within two cells of a granite contact (%d)" % len(placed["sn"]))
expect(placed["cu"] and all(d["faults_distance"][r, c] <= 2 * cell and d["intrusions_distance"][r, c] <= 2 * cell
                            for r, c in placed["cu"]),
       "demo: every Cu deposit lies beside a fault and an intrusion centre (%d)" % len(placed["cu"]))
expect(set(meanings) == {"granite", "sediments", "ultramafic", "volcanics"}, "demo map units: %s" % meanings)

# --- without geology, the bundled recipes score exactly as they would without their optional evidence -------------
plain = copy.deepcopy(base)
plain["inputs"] = [dict(i, path=os.path.join(survey, i["path"])) for i in base["inputs"]
                   if i["kind"] not in ("geology", "structures", "features")]
stripped = copy.deepcopy(plain)
stripped["recipes"] = {}
for c in plain["commodities"]:
    r = json.load(open(os.path.join(SOURCE, "jobs", "recipes", c + ".json")))
    expect(any(e.get("optional") for e in r["evidence"]), "recipe %s uses geological evidence when given" % c)
    r["evidence"] = [e for e in r["evidence"] if not e.get("optional")]
    rp = os.path.join(work, "stripped_%s.json" % c)
    json.dump(r, open(rp, "w"), indent=1)
    stripped["recipes"][c] = {"path": rp}
outs = {}
for label, s_ in [("plain", plain), ("stripped", stripped)]:
    jp = os.path.join(work, "job_%s.json" % label)
    json.dump(s_, open(jp, "w"), indent=1)
    outs[label] = os.path.join(work, label)
    run(["run", jp, "--out", outs[label]])
a = h5py.File(os.path.join(outs["plain"], "prospectivity.nc"), "r")
b = h5py.File(os.path.join(outs["stripped"], "prospectivity.nc"), "r")
diff = [c for c in plain["commodities"] if a["prospectivity_" + c][...].tobytes() != b["prospectivity_" + c][...].tobytes()]
expect(not diff, "without geology inputs the recipes score bit for bit as without their optional evidence (%s)" % diff)
finish()
