"""SIGTERM and SIGINT during a run finish the current unit cleanly and leave the manifests consistent, a
rerun resumes to the same output; a file-size limit (like a full disk) gives a clear error and leaves the
earlier outputs intact."""
import os
import signal
import subprocess
import time

import h5py

from common import BIN, expect, finish, fresh_dir, run

work = fresh_dir("signals")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "160", "--seed", "8"])
job = os.path.join(survey, "job.json")
ref = os.path.join(work, "ref")
run(["run", job, "--out", ref, "--tile-size", "40"])


def same(a, b):
    fa, fb = h5py.File(a, "r"), h5py.File(b, "r")
    names = []
    fa.visit(lambda n: names.append(n) if isinstance(fa[n], h5py.Dataset) else None)
    # Variable-length strings come back as objects, whose bytes are pointers: compare their values.
    content = lambda v: v.tolist() if v.dtype.kind == "O" else v.tobytes()
    return all(n in fb and content(fa[n][...]) == content(fb[n][...]) for n in names if n != "anomaly_rx")


for sig, name in [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")]:
    out = os.path.join(work, "out_" + name)
    proc = subprocess.Popen([BIN, "run", job, "--out", out, "--tile-size", "20", "--threads", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # Signal once the anomaly stage is under way, whatever the machine's speed.
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "anomaly r" in line and "recomputing" in line:
            proc.send_signal(sig)
            break
    err = "".join(seen) + proc.stderr.read()
    proc.wait(timeout=120)
    expect(proc.returncode == 4 and "interrupted by " + name in err,
           "%s: the run stops after the current unit with exit 4 (%d: %s)" % (name, proc.returncode, err.strip()[-160:]))
    p = run(["status", job, "--out", out, "--tile-size", "20"])
    expect("failed 1" not in p.stdout and " done " in p.stdout, "%s: status shows completed units and no failure" % name)
    run(["run", job, "--out", out, "--tile-size", "20"])
    expect(same(os.path.join(ref, "prospectivity.nc"), os.path.join(out, "prospectivity.nc")),
           "%s: the resumed run equals an uninterrupted one" % name)

# Out of space, simulated with a file-size limit: clear error, exit 4, earlier outputs intact.
out = os.path.join(work, "out_full")
run(["run", job, "--out", out, "--tile-size", "40"])
before = open(os.path.join(out, "prospectivity.nc"), "rb").read()
p = subprocess.run(["bash", "-c", "ulimit -f 64; exec \"$0\" run \"$1\" --out \"$2\" --tile-size 40 --force", BIN, job, out],
                   capture_output=True, text=True, timeout=300)
expect(p.returncode == 4 and "disk space" in p.stderr,
       "a write beyond the file-size limit fails with exit 4 and says so (%d: %s)" % (p.returncode, p.stderr.strip()[-200:]))
after = open(os.path.join(out, "prospectivity.nc"), "rb").read()
expect(before == after, "the earlier prospectivity.nc is left intact")
left = [f for f in os.listdir(out) if ".partial" in f]
expect(not left, "no partial output is left behind (%s)" % left)

# A read-only output folder (a read-only bind mount: root ignores permission bits) holding an earlier output.
ro = os.path.join(work, "out_readonly")
run(["run", job, "--out", ro, "--tile-size", "40"])
before = open(os.path.join(ro, "prospectivity.nc"), "rb").read()
m = subprocess.run(["mount", "--bind", ro, ro], capture_output=True, text=True)
m2 = subprocess.run(["mount", "-o", "remount,ro,bind", ro], capture_output=True, text=True)
expect(m.returncode == 0 and m2.returncode == 0, "made the output folder read-only (%s)" % (m.stderr + m2.stderr).strip())
try:
    p = run(["run", job, "--out", ro, "--tile-size", "40", "--force"], check=False)
    err = [l for l in p.stderr.splitlines() if "error:" in l]
    expect(p.returncode == 4 and len(err) == 1 and "not writable" in err[0],
           "a read-only output folder: one clear error, exit 4 (%d: %s)" % (p.returncode, err))
    expect(open(os.path.join(ro, "prospectivity.nc"), "rb").read() == before, "the earlier output is intact")
finally:
    subprocess.run(["umount", ro])
finish()
