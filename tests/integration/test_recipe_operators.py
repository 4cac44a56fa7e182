"""Recipes may combine evidence with the fuzzy operators (and, or, product, sum, gamma) instead of the
weighted mean: the published prospectivity equals the operator applied to the evidence memberships."""
import json
import os

import h5py
import numpy as np

from common import SOURCE, expect, finish, fresh_dir, run

work = fresh_dir("operators")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "120", "--seed", "2"])
spec = json.load(open(os.path.join(survey, "job.json")))
base = json.load(open(os.path.join(SOURCE, "jobs", "recipes", "cu.json")))
n = 120 * 120


def memberships(out):
    """The published weighted memberships (output.layers "contributions") divided by their weights."""
    f = h5py.File(os.path.join(out, "prospectivity.nc"), "r")
    layers = {}
    for e in base["evidence"]:
        v = f["contrib_cu_" + e["id"]][...].reshape(-1).astype(np.float64)
        v[v == -9999] = np.nan
        layers[e["id"]] = v / e["weight"]
    return np.array(list(layers.values()))


for op, gamma in [("and", None), ("or", None), ("product", None), ("sum", None), ("gamma", 0.75)]:
    recipe = dict(base)
    recipe["combination"] = {"min_weight_fraction": 0.3, "operator": op}
    if gamma is not None:
        recipe["combination"]["gamma"] = gamma
    rpath = os.path.join(work, "cu_%s.json" % op)
    json.dump(recipe, open(rpath, "w"))
    job = dict(spec)
    job["commodities"] = ["cu"]
    job["recipes"] = {"cu": {"path": rpath}}
    job["output"] = {"layers": ["prospectivity", "contributions"]}
    jpath = os.path.join(survey, "job_%s.json" % op)
    json.dump(job, open(jpath, "w"))
    out = os.path.join(work, "out_" + op)
    run(["run", jpath, "--out", out])
    m = np.clip(memberships(out), 0, 1)
    all_valid = np.all(~np.isnan(m), axis=0)
    expected = {"and": lambda: m.min(axis=0), "or": lambda: m.max(axis=0), "product": lambda: m.prod(axis=0),
                "sum": lambda: 1 - (1 - m).prod(axis=0),
                "gamma": lambda: (1 - (1 - m).prod(axis=0)) ** gamma * m.prod(axis=0) ** (1 - gamma)}[op]()
    got = h5py.File(os.path.join(out, "prospectivity.nc"), "r")["prospectivity_cu"][...].reshape(-1).astype(np.float64)
    ok = np.allclose(got[all_valid], expected[all_valid], atol=2e-6)
    expect(ok and all_valid.sum() > n // 2, "operator %s: prospectivity equals the fuzzy %s of the memberships "
           "(max error %.2g over %d cells)" % (op, op, np.abs(got[all_valid] - expected[all_valid]).max(), all_valid.sum()))
finish()
