"""Every subcommand has --help; usage errors exit 2; kernels and stages are listed."""
import json

from common import expect, finish, run

for sub in ["synth", "validate", "run", "status", "submit", "cancel", "inspect", "schema", "kernels"]:
    p = run([sub, "--help"], check=False)
    expect(p.returncode == 0 and sub in p.stdout, "%s --help exits 0 and documents the subcommand" % sub)

p = run(["--help"], check=False)
expect(p.returncode == 0 and "Exit codes" in p.stdout, "top-level --help documents the exit codes")
p = run(["frobnicate"], check=False)
expect(p.returncode == 2, "an unknown subcommand exits 2 (got %d)" % p.returncode)
p = run(["run"], check=False)
expect(p.returncode == 2, "run without a job exits 2 (got %d)" % p.returncode)
p = run(["run", "/nonexistent/job.json"], check=False)
expect(p.returncode == 2 and "/nonexistent/job.json" in p.stderr, "a missing job file exits 2 naming it")
p = run(["inspect", "/nonexistent/out.h5"], check=False)
expect(p.returncode == 3, "inspect of a missing file exits 3 (got %d)" % p.returncode)

p = run(["kernels", "--json"])
doc = json.loads(p.stdout)
names = [k["name"] for k in doc["kernels"]]
for k in ["stats.robust_z", "window.local_z", "transform.log10", "anomaly.rx", "fuzzy.overlay"]:
    expect(k in names, "kernel %s is registered" % k)
expect(all(k["description"] and k["doc"] for k in doc["kernels"]), "every kernel has a description and a doc")
expect([s["name"] for s in doc["stages"]] ==
       ["pipeline.ingest", "pipeline.fft", "pipeline.transform", "pipeline.stats", "pipeline.anomaly", "pipeline.model",
        "pipeline.score", "pipeline.targets", "pipeline.learn", "pipeline.publish"],
       "stages are registered in execution order")
p = run(["kernels"])
expect("window.local_z" in p.stdout and "radius" in p.stdout, "kernels prints names and parameters")
finish()
