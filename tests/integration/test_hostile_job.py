"""Hostile job files and input paths (issue 16's table, issue 19 items 2, 7 and 8): each case is refused before
any work with the documented exit code and one error line holding the expected fragments, within a time limit
(a FIFO used to hang), and leaves no prospectivity.nc. Every case is generated here; nothing large is
committed."""
import copy
import json
import os
import shutil
import subprocess
import time

from common import BIN, expect, finish, fresh_dir, run

work = fresh_dir("hostile")
survey = os.path.join(work, "survey")
run(["synth", "--out", survey, "--size", "48", "--seed", "5"])
with open(os.path.join(survey, "job.json")) as f:
    base = json.load(f)
for i in base["inputs"]:
    if not os.path.isabs(i["path"]):
        i["path"] = os.path.join(survey, i["path"])
by_kind = {i["kind"]: n for n, i in reversed(list(enumerate(base["inputs"])))}
points = by_kind["geochem_points"]
mag = by_kind["magnetics"]


def job_text(name, spec):
    spec = copy.deepcopy(spec)
    spec["output"] = {"folder": os.path.join(work, name, "out")}
    return json.dumps(spec, indent=2)


def check(name, code, needles, spec=None, raw=None, command="validate", timeout=20, as_user=None, job=None):
    """Runs COMMAND on the case's job file; expects exit CODE and one error line holding every needle."""
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    if job is None:
        job = os.path.join(d, "job.json")
        with open(job, "w") as f:
            f.write(raw if raw is not None else job_text(name, spec))
    cmd = [BIN, command, job]
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           preexec_fn=(lambda: os.setuid(as_user)) if as_user is not None else None)
        rc, err = p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        rc, err = None, "(still running after %d s: killed)" % timeout
    lines = [l for l in err.splitlines() if "error:" in l]
    left = os.path.exists(os.path.join(d, "out", "prospectivity.nc"))
    ok = rc == code and len(lines) == 1 and all(n in lines[0] for n in needles) and not left
    expect(ok, "%s (%s, %.1f s): exit %d (got %s), one error line with %s: %s%s" %
           (name, command, time.time() - t0, code, rc, needles, lines[-1] if lines else err[-300:],
            " [prospectivity.nc left behind]" if left else ""))


# --- job files: exit 2 -------------------------------------------------------------------------------------
# A million levels of nesting used to overflow the stack (exit 139); the streaming pass stops at 64.
check("deep_nesting", 2, ["nested deeper than 64", "line 1"], raw='{"name": ' + "[" * 1000000 + "]" * 1000000 + "}")
check("deep_nesting_open", 2, ["nested deeper than 64"], raw="[" * 1000000)

# A job file above 16 MiB is refused before it is read (a 200 MB one needed GBs to validate).
big = job_text("big_file", base) + " " * (17 << 20)
check("big_file", 2, ["job file is 17", "16 MiB"], raw=big)
del big

# A key given twice in one object: both lines, at the top level and nested.
text = job_text("duplicate_key", base)
lines = text.split("\n")
lines.insert(1, '  "output": {"folder": "elsewhere"},')
out_line = next(n + 1 for n, l in enumerate(lines) if l.startswith('  "output"') and n > 1)
check("duplicate_key", 2, ["key 'output'", "twice", "lines 2 and %d" % out_line], raw="\n".join(lines))
text = job_text("duplicate_nested_key", base).replace('"id": "%s"' % base["inputs"][1]["id"],
                                                     '"id": "%s", "id": "x"' % base["inputs"][1]["id"], 1)
check("duplicate_nested_key", 2, ["key 'inputs[1].id'", "twice"], raw=text)

# A 70,000-character name used to fail only at publish, with exit 4 (HDF5 attribute limit).
s = copy.deepcopy(base); s["name"] = "n" * 70000
check("long_name", 2, ["key 'name'", "70000 characters", "4096"], spec=s)
s = copy.deepcopy(base); s["inputs"][mag]["units"] = "u" * 5000
check("long_units", 2, ["key 'inputs[%d].units'" % mag, "4096"], spec=s)

# The job file itself is a FIFO: refused, not waited on.
fifo_job = os.path.join(work, "fifo_job.json")
os.mkfifo(fifo_job)
check("fifo_job_file", 2, ["not a regular file"], job=fifo_job)

# --- input paths: exit 3, before anything is read ---------------------------------------------------------
fifo = os.path.join(work, "fifo.tif")
os.mkfifo(fifo)
s = copy.deepcopy(base); s["inputs"][mag]["path"] = fifo
check("fifo_raster", 3, ["not a regular file", "FIFO", "fifo.tif"], spec=s)
check("fifo_raster_run", 3, ["not a regular file", "FIFO"], spec=s, command="run")
s = copy.deepcopy(base); s["inputs"][points]["path"] = fifo
check("fifo_csv", 3, ["not a regular file", "fifo.tif"], spec=s)
s = copy.deepcopy(base); s["inputs"][points]["path"] = "/dev/null"
check("device_csv", 3, ["not a regular file", "character device"], spec=s)
s = copy.deepcopy(base); s["inputs"][mag]["path"] = [base["inputs"][mag]["path"], fifo]
check("fifo_in_list", 3, ["not a regular file", "fifo.tif"], spec=s)
# The folder form: a FIFO among the files matching the pattern used to be skipped without a word.
folder = os.path.join(work, "tiles")
os.makedirs(folder, exist_ok=True)
shutil.copy(base["inputs"][mag]["path"], os.path.join(folder, "a.tif"))
os.mkfifo(os.path.join(folder, "b.tif"))
s = copy.deepcopy(base); s["inputs"][mag]["path"] = folder
check("fifo_in_folder", 3, ["not a regular file", "b.tif"], spec=s)

# A file this user may not read is "permission denied", not "not a raster".
locked = os.path.join(work, "locked.tif")
shutil.copy(base["inputs"][mag]["path"], locked)
os.chmod(locked, 0)
s = copy.deepcopy(base); s["inputs"][mag]["path"] = locked
if os.getuid() == 0:
    # root reads anything: run as nobody, who can reach the binary and the survey but not this file.
    os.chmod(work, 0o755)
    check("permission_denied", 3, ["permission denied", "locked.tif"], spec=s, as_user=65534)
else:
    check("permission_denied", 3, ["permission denied", "locked.tif"], spec=s)

# --- layer names colliding after sanitising: exit 2 from validate and run, naming both keys -----------------
soil = base["inputs"][points]
cu = next(k for k, e in enumerate(soil["elements"]) if e["element"] == "Cu")
collide = "%s_cu" % soil["id"]
s = copy.deepcopy(base)
s["inputs"].append(dict(base["inputs"][mag], id=collide))
n = len(s["inputs"]) - 1
for command in ["validate", "run"]:
    check("collide_element_" + command, 2,
          ["key 'inputs[%d].id'" % n, "inputs[%d].elements[%d].element" % (points, cu), "'%s'" % collide],
          spec=s, command=command)

s = copy.deepcopy(base)
s["inputs"][points]["elements"].append(dict(soil["elements"][cu]))
check("element_twice", 2, ["key 'inputs[%d].elements[%d].element'" % (points, len(soil["elements"])),
                           "inputs[%d].elements[%d].element" % (points, cu)], spec=s, command="run")

# Ids equal to derived layers of the bundled cu recipe: the RTP of the magnetics, the K/Th ratio.
rad = {i.get("element"): i["id"] for i in base["inputs"] if i["kind"] == "radiometric"}
for name, new_id, needle in [("collide_rtp", base["inputs"][mag]["id"] + "_rtp", "evidence 'magnetite'"),
                             ("collide_ratio", "ratio_%s_%s" % (rad["K"], rad["Th"]), "evidence 'potassic'")]:
    s = copy.deepcopy(base)
    s["inputs"].append(dict(base["inputs"][mag], id=new_id))
    for command in ["validate", "run"]:
        check(name + "_" + command, 2, ["key 'inputs[%d].id'" % (len(s["inputs"]) - 1), needle, "'%s'" % new_id],
              spec=s, command=command)

# An input id equal to an output grid.
s = copy.deepcopy(base)
s["inputs"].append(dict(base["inputs"][mag], id="prospectivity_cu"))
check("collide_output", 2, ["key 'inputs[%d].id'" % (len(s["inputs"]) - 1), "key 'commodities'"], spec=s)

# Every problem of a job file in one pass, each on its own line naming the file and the key (as a JSON Schema
# validator run on `prospector schema job` finds them all); the hint names the command, not the source tree.
s = copy.deepcopy(base)
s["grid"]["cell_size"] = -5
s["inputs"][mag]["kynd"] = "magnetics"
s["targets"] = {"top_fraction": "many"}
d = os.path.join(work, "three_errors")
os.makedirs(d, exist_ok=True)
jf = os.path.join(d, "job.json")
with open(jf, "w") as f:
    f.write(job_text("three_errors", s))
p = subprocess.run([BIN, "validate", jf], capture_output=True, text=True, timeout=20)
lines = [l for l in p.stderr.splitlines() if "error:" in l]
keys = ["key 'grid.cell_size'", "unknown key 'inputs[%d].kynd'" % mag, "key 'targets.top_fraction'"]
expect(p.returncode == 2 and len(lines) == 3 and all(any(k in l and jf in l for l in lines) for k in keys),
       "a job with three errors: exit 2 (got %d) and three error lines, each naming the file and its key: %s" %
       (p.returncode, lines))
expect(any("prospector schema job" in l for l in lines) and "schemas/job.schema.json" not in p.stderr,
       "the unknown-key hint says `prospector schema job`")
s = copy.deepcopy(base)
for k in range(30):
    s["unknown_%02d" % k] = k
with open(jf, "w") as f:
    f.write(job_text("three_errors", s))
p = subprocess.run([BIN, "validate", jf], capture_output=True, text=True, timeout=20)
lines = [l for l in p.stderr.splitlines() if "error:" in l]
expect(p.returncode == 2 and len(lines) == 21 and "more problems not listed" in lines[-1],
       "30 errors: the first 20 listed and one line saying more were not (%d lines)" % len(lines))

finish()
