"""Slurm: `prospector submit` against a real single-node Slurm cluster the test starts privately (slurm_cluster.py).

The cluster (munged, slurmctld, slurmd) runs from a temporary directory with its own key, socket, ports, state,
spool and logs; every client command, prospector's included, reaches it through SLURM_CONF, set in this process's
environment and so in every call's. It leaves the machine alone: a /etc/slurm/slurm.conf is planted first when
there is none, and /etc/slurm and /etc/munge are byte-identical (sha256) afterwards, and restored to their exact
previous state; the daemons and the directory are gone when the test ends, also when it fails or is signalled.

Shows: submit without sbatch exits 4 while `run` works locally; --dry-run prints the scripts and sbatch lines; the
demo survey run through Slurm (job arrays + afterok chain) is bit-identical to the local run; an ingest tile made
to fail by a truncated survey tile fails only the array tasks touching it, cancels the dependent jobs, and status
shows the failed tasks with their logs; after fixing the file --resubmit-failed resubmits only what is not done
and the output is identical to the local run; `cancel` leaves no pending or running task; a task killed with
SIGTERM then SIGKILL (what Slurm does at a time limit) leaves no half-written output marked done, and
--resubmit-failed completes it. If the cluster cannot be started the test fails (it never skips)."""
import json
import os
import re
import subprocess
import sys
import time

import h5py
import numpy as np
from osgeo import gdal, ogr

from common import BIN, expect, finish, fresh_dir, run, tool
from slurm_cluster import EtcGuard, PrivateCluster

gdal.UseExceptions()
T0 = time.time()
ACTIVE = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD", "RESIZING",
          "SIGNALING", "STAGE_OUT", "STOPPED"}
TS = "40"
N_TILES = 9


def stamp(what):
    print("[%5.1f s] %s" % (time.time() - T0, what), flush=True)


def squeue(ids, states=None):
    """{"id" or "id_task": state} of the given jobs as squeue reports them (-r: one line per array task)."""
    args = ["squeue", "-h", "-r", "-o", "%i|%T", "-j", ",".join(ids)]
    if states:
        args += ["-t", states]
    p = subprocess.run(args, capture_output=True, text=True)
    out = {}
    for line in p.stdout.splitlines():
        if "|" in line:
            i, s = line.split("|", 1)
            out[i.strip()] = s.strip()
    return out


def recorded(out_dir, submission=-1):
    rec = json.load(open(os.path.join(out_dir, "work", "slurm", "submitted.json")))
    return rec, [j["id"] for j in rec["submissions"][submission]["jobs"]]


def wait_done(ids, timeout=240, what="jobs"):
    t = time.time()
    while time.time() - t < timeout:
        if not any(s in ACTIVE for s in squeue(ids).values()):
            return True
        time.sleep(0.5)
    print("timed out waiting for %s %s: %s" % (what, ids, squeue(ids)))
    return False


def datasets(path):
    f = h5py.File(path, "r")
    data, attrs = {}, {}

    def visit(name, obj):
        a = {k: (v.tobytes() if isinstance(v, np.ndarray) else v) for k, v in obj.attrs.items()
             if k not in ("created_utc", "DIMENSION_LIST", "REFERENCE_LIST", "history")}
        attrs[name] = a
        if isinstance(obj, h5py.Dataset):
            # Variable-length strings come back as objects, whose bytes are pointers: compare their values.
            v = obj[...]
            data[name] = (obj.dtype.str, obj.shape, v.tolist() if v.dtype.kind == "O" else v.tobytes())

    f.visititems(visit)
    return data, attrs


def features(path):
    ds = ogr.Open(path)
    out = {}
    for i in range(ds.GetLayerCount()):
        lyr = ds.GetLayerByIndex(i)
        out[lyr.GetName()] = [(f.items(), f.GetGeometryRef().ExportToWkb() if f.GetGeometryRef() else None)
                              for f in lyr]
    return out


def compare(ref, out, label):
    a, b = os.path.join(ref, "prospectivity.nc"), os.path.join(out, "prospectivity.nc")
    if not os.path.exists(b):
        expect(False, "%s: %s exists" % (label, b))
        return
    (da, aa), (db, ab) = datasets(a), datasets(b)
    differ = sorted(n for n in set(da) | set(db) if da.get(n) != db.get(n))
    expect(len(da) > 20 and not differ,
           "%s: all %d HDF5 datasets bit-identical to the local run (differ: %s)" % (label, len(da), differ[:5]))
    differ = sorted(n for n in set(aa) | set(ab) if aa.get(n) != ab.get(n))
    expect(not differ, "%s: HDF5 attributes identical apart from the creation time (differ: %s)" % (label, differ[:5]))
    fa, fb = features(os.path.join(ref, "targets.gpkg")), features(os.path.join(out, "targets.gpkg"))
    expect(fa == fb and len(fa) > 0,
           "%s: targets.gpkg has the same %d layers, features and geometries" % (label, len(fa)))


def expand(spec):
    out = []
    for part in spec.split("%")[0].split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def status(job, out):
    return run(["status", job, "--out", out, "--tile-size", TS]).stdout


def stage_units(text, stage, state):
    return sorted(re.findall(r"^  %s (r\d+_c\d+|all): %s" % (stage, state), text, re.M))


def main():
    # --- a survey with the magnetics as a folder of four survey tiles -------------------------------------------------
    work = fresh_dir("slurm")
    survey = os.path.join(work, "survey")
    run(["synth", "--out", survey, "--size", "120"])
    spec = json.load(open(os.path.join(survey, "job.json")))
    blocks = os.path.join(work, "tmi_blocks")
    os.makedirs(blocks)
    tmi = [i for i in spec["inputs"] if i["id"] == "tmi"][0]
    src = gdal.Open(os.path.join(survey, tmi["path"]))
    nx, ny = src.RasterXSize, src.RasterYSize
    for k, (xo, yo) in enumerate([(0, 0), (nx // 2, 0), (0, ny // 2), (nx // 2, ny // 2)]):
        gdal.Translate(os.path.join(blocks, "tmi_block_%d.tif" % k), src,
                       srcWin=[xo, yo, nx - nx // 2 if xo else nx // 2, ny - ny // 2 if yo else ny // 2])
    src = None
    for i in spec["inputs"]:
        i["path"] = blocks if i["id"] == "tmi" else os.path.join(survey, i["path"])
    spec["output"] = {"folder": os.path.join(work, "out")}
    job = os.path.join(work, "job.json")
    json.dump(spec, open(job, "w"), indent=1)

    # --- without Slurm: submit says sbatch is missing (exit 4); run works locally and is the reference ----------------
    no_slurm = os.path.join(work, "no_slurm_bin")
    os.makedirs(no_slurm)
    p = run(["submit", job, "--out", os.path.join(work, "never")], check=False, env={"PATH": no_slurm})
    expect(p.returncode == 4 and "sbatch not found" in p.stderr,
           "submit without sbatch on PATH exits 4 saying sbatch is missing (exit %d: %s)"
           % (p.returncode, p.stderr.strip()))
    ref = os.path.join(work, "local")
    run(["run", job, "--out", ref, "--tile-size", TS], env={"PATH": no_slurm})
    expect(os.path.exists(os.path.join(ref, "prospectivity.nc")), "run works locally without Slurm (the reference)")
    stamp("local reference run")

    # --- dry run ------------------------------------------------------------------------------------------------------
    dry_out = os.path.join(work, "dry")
    p = run(["submit", job, "--out", dry_out, "--tile-size", TS, "--array-throttle", "2", "--cpus-per-task", "1",
             "--mem", "stats=2G", "--time", "00:30:00", "--dry-run"])
    d = p.stdout
    stages = re.findall(r"^(\w+)=\$\(sbatch ", d, re.M)
    expect(len(stages) >= 8 and stages[0] == "ingest" and stages[-1] == "publish",
           "dry run lists one sbatch per stage in DAG order: %s" % stages)
    expect("--array=0-%d%%2" % (N_TILES - 1) in d
           and "ingest=$(sbatch --parsable --kill-on-invalid-dep=yes --array=0-8%2" in d,
           "per-tile stages are job arrays --array=0-8%2")
    expect("stats=$(sbatch --parsable --dependency=afterok:$transform" in d and "--array" not in
           re.search(r"^stats=.*$", d, re.M).group(0), "global stages are single jobs chained with afterok")
    expect("#SBATCH --mem=2G" in d.split("stats.sbatch ----")[1].split("# ----")[0] and "#SBATCH --time=00:30:00" in d,
           "per-stage resources from flags (--mem stats=2G, --time) reach the scripts")
    expect('--stages ingest \\\n  --tiles "$((SLURM_ARRAY_TASK_ID + PROSPECTOR_TILE_OFFSET))"' in d,
           "array task i runs `prospector run --stages S --tiles i`")
    commands = [l for l in d.splitlines() if l and not l.startswith("#") and "=$(sbatch" not in l]
    expect(all(l in ("set -u",) or l.startswith("exec " + BIN + " run ") or l.startswith("  --tiles")
               for l in commands),
           "the batch scripts only call the prospector CLI (%s)" % sorted(set(l[:30] for l in commands)))
    expect(not os.path.exists(dry_out), "--dry-run writes and submits nothing")
    p = run(["submit", job, "--mem", "nostage=1G", "--dry-run"], check=False)
    expect(p.returncode == 2 and "unknown stage 'nostage'" in p.stderr, "a resource for an unknown stage exits 2")
    p = run(["submit", job, "--time", "soon", "--dry-run"], check=False)
    expect(p.returncode == 2 and "--time" in p.stderr, "a malformed --time exits 2")

    # --- cancel: with the node busy every task is pending; cancel leaves none pending or running ----------------------
    blocker = tool(["sbatch", "--parsable", "--exclusive", "--mem=64M", "-o", "/dev/null", "-J", "blocker",
                    "--wrap", "sleep 600"]).stdout.strip().split(";")[0]
    t = time.time()
    while squeue([blocker]).get(blocker) != "RUNNING" and time.time() - t < 30:
        time.sleep(0.2)
    cancel_out = os.path.join(work, "cancelled")
    run(["submit", job, "--out", cancel_out, "--tile-size", TS, "--cpus-per-task", "1"])
    _, ids = recorded(cancel_out)
    before = squeue(ids)
    expect(len(before) >= 4 * N_TILES + 4 and all(s == "PENDING" for s in before.values()),
           "while the node is busy all %d submitted tasks are pending" % len(before))
    p = run(["submit", job, "--out", cancel_out, "--tile-size", TS], check=False)
    expect(p.returncode == 4 and "still pending or running" in p.stderr,
           "a second submit while the first is queued is refused (exit %d)" % p.returncode)
    p = run(["cancel", job, "--out", cancel_out])
    left = squeue(ids, "PENDING,RUNNING,CONFIGURING,COMPLETING,SUSPENDED")
    expect(not left and "cancelled %d Slurm job(s)" % len(ids) in p.stdout,
           "cancel leaves no pending or running task (%s; %s)" % (left, p.stdout.strip()[:200]))
    s = status(job, cancel_out)
    expect("CANCELLED %d" % N_TILES in s and "every unit is done" not in s, "status shows the cancelled jobs")
    subprocess.run(["scancel", blocker])
    wait_done([blocker], 30, "the blocker")
    stamp("cancel")

    # --- the demo survey through Slurm: identical to the local run ----------------------------------------------------
    slurm_out = os.path.join(work, "slurm")
    p = run(["submit", job, "--out", slurm_out, "--tile-size", TS, "--cpus-per-task", "1",
             "--cpus-per-task", "publish=2", "--array-throttle", "2"])
    rec, ids = recorded(slurm_out)
    expect(len(ids) >= 8 and all(i.isdigit() for i in ids), "submit records every Slurm job id (%s)" % ids)
    expect(wait_done(ids), "the Slurm run finishes")
    stamp("Slurm run")
    compare(ref, slurm_out, "Slurm run")
    s = status(job, slurm_out)
    first = rec["submissions"][0]["jobs"][0]
    expect("ingest: job %s array 0-8%%2: COMPLETED %d" % (first["id"], N_TILES) in s and "every unit is done" in s,
           "status shows the Slurm job ids and their states next to the manifests")
    logs = os.path.join(slurm_out, "work", "slurm", "logs")
    ingest_log = open(os.path.join(logs, "demo-ingest-%s_0.out" % first["id"])).read()
    publish = [j for j in rec["submissions"][0]["jobs"] if j["stage"] == "publish"][0]
    publish_log = open(os.path.join(logs, "demo-publish-%s.out" % publish["id"])).read()
    expect("1 OpenMP thread(s)" in ingest_log and "2 OpenMP thread(s)" in publish_log,
           "OpenMP threads follow SLURM_CPUS_PER_TASK (1 for array tasks, 2 for publish)")

    # --- one bad survey tile: only the tiles touching it fail; fix it and resubmit what failed ------------------------
    bad_block = os.path.join(blocks, "tmi_block_3.tif")
    good = open(bad_block, "rb").read()
    open(bad_block, "wb").write(good[:len(good) // 2])
    bad_out = os.path.join(work, "bad")
    run(["submit", job, "--out", bad_out, "--tile-size", TS, "--cpus-per-task", "1"])
    rec, ids = recorded(bad_out)
    expect(wait_done(ids), "the run with a bad tile ends (dependents cancelled, nothing left pending)")
    stamp("Slurm run with a bad tile")
    s = status(job, bad_out)
    failed = stage_units(s, "ingest", "failed")
    done = stage_units(s, "ingest", "done")
    expect(failed and done and len(failed) + len(done) == N_TILES,
           "only the ingest tiles touching the truncated file fail (%s), the other %d are done" % (failed, len(done)))
    ingest_id = rec["submissions"][0]["jobs"][0]["id"]
    expect(re.search(r"ingest: job %s array 0-8: COMPLETED %d, FAILED %d" % (ingest_id, len(done), len(failed)), s),
           "status shows the ingest array with %d completed and %d failed tasks" % (len(done), len(failed)))
    log_ok = []
    for lab in failed:
        m = re.search(r"^    ingest %s \(tile (\d+)\): failed; Slurm task %s_(\d+) FAILED.*, log (\S+)$"
                      % (lab, ingest_id), s, re.M)
        log_ok.append(bool(m) and os.path.exists(m.group(3)) and "tmi_block_3.tif" in open(m.group(3)).read())
    expect(log_ok and all(log_ok), "status lists each failed task with its log, which names the bad file")
    expect(re.search(r"transform: job \d+ array 0-8: CANCELLED %d \(DependencyNeverSatisfied\)" % N_TILES, s),
           "the dependent jobs were cancelled (kill_invalid_depend), not left pending")
    open(bad_block, "wb").write(good)
    s = status(job, bad_out)
    todo = sorted(int(lab[1:4]) * 3 + int(lab[6:9]) for lab, st in re.findall(r"^  ingest (r\d+_c\d+): (\w+)", s, re.M)
                  if st != "done")
    p = run(["submit", job, "--out", bad_out, "--tile-size", TS, "--cpus-per-task", "1", "--resubmit-failed"])
    m = re.search(r"ingest: Slurm job (\d+), array ([\d,-]+) \(", p.stdout)
    expect(m and expand(m.group(2)) == todo and len(todo) < N_TILES,
           "--resubmit-failed makes an array of only the %d ingest tiles not done, %s (%s)"
           % (len(todo), todo, m and m.group(0)))
    later = re.findall(r"^  (\w+): Slurm job \d+(?:, array ([\d,-]+))?", p.stdout, re.M)
    expect([st for st, _ in later][1:] == [st for st, _ in later if st != "ingest"] and len(later) >= 8 and
           all(expand(a) == list(range(N_TILES)) for st, a in later if a and st != "ingest"),
           "and everything that depends on them: %s" % [st for st, _ in later])
    rec, ids = recorded(bad_out)
    expect(len(rec["submissions"]) == 2, "the resubmission is recorded next to the first submission")
    expect(wait_done(ids), "the resubmitted jobs finish")
    stamp("resubmission after fixing the tile")
    compare(ref, bad_out, "after fixing the bad tile and --resubmit-failed")
    s = status(job, bad_out)
    expect("every unit is done" in s and "failed tasks" not in s, "status: every unit done after the resubmission")

    # --- a task killed like at a time limit (SIGTERM, then SIGKILL) ---------------------------------------------------
    # The engine finishes the current unit on SIGTERM; SIGKILL ends it wherever it is. Kill publish while it is writing
    # prospectivity.nc (its temporary file exists): SIGTERM, then SIGKILL 0.2 s later.
    big = os.path.join(work, "big")
    run(["synth", "--out", big, "--size", "600"])
    big_job = os.path.join(big, "job.json")
    big_ref = os.path.join(work, "big_local")
    run(["run", big_job, "--out", big_ref, "--tile-size", "600"])
    stamp("local reference of the larger survey")
    kill_out = os.path.join(work, "killed")
    run(["submit", big_job, "--out", kill_out, "--tile-size", "600", "--cpus-per-task", "1"])
    rec, ids = recorded(kill_out)
    victim = [j for j in rec["submissions"][0]["jobs"] if j["stage"] == "publish"][0]["id"]
    t = time.time()
    partial = []
    while time.time() - t < 240 and not partial:
        if squeue([victim]).get(victim, "PENDING") not in ("PENDING", "RUNNING", "CONFIGURING"):
            break
        partial = [f for f in os.listdir(kill_out) if f.startswith(".prospectivity.partial")]
        time.sleep(0.02)
    state_at_kill = squeue([victim]).get(victim)
    # --batch: signal the batch step (the script exec's prospector) without cancelling the job. At a time limit Slurm
    # sends SIGTERM and SIGKILL max(KillWait, 5) s later; 0.2 s here, so that SIGKILL lands inside the unit.
    subprocess.run(["scancel", "--batch", "--signal=TERM", victim])
    time.sleep(0.2)
    subprocess.run(["scancel", "--batch", "--signal=KILL", victim])
    expect(wait_done(ids), "the killed run ends")
    stamp("Slurm run with publish killed")
    expect(state_at_kill == "RUNNING" and partial,
           "publish (job %s) was running and writing %s when it got SIGTERM and SIGKILL" % (victim, partial))
    s = run(["status", big_job, "--out", kill_out, "--tile-size", "600"]).stdout
    final = os.path.join(kill_out, "prospectivity.nc")
    expect(stage_units(s, "publish", "done") == [] and not os.path.exists(final),
           "the killed publish is not marked done and left no prospectivity.nc, only its temporary file")
    expect(re.search(r"publish: job %s: (FAILED|CANCELLED)" % victim, s), "status shows the killed task as failed")
    expect(stage_units(s, "score", "done") == ["r000_c000"], "the units before it stay done")
    m = re.search(r"^    publish all: \w+; Slurm job %s \w+.*, log (\S+)$" % victim, s, re.M)
    expect(m and os.path.exists(m.group(1)), "status names the killed task's log (%s)" % (m and m.group(1)))
    p = run(["submit", big_job, "--out", kill_out, "--tile-size", "600", "--cpus-per-task", "1", "--resubmit-failed"])
    expect(re.findall(r"^  (\w+): Slurm job", p.stdout, re.M) == ["publish"],
           "--resubmit-failed resubmits only publish")
    rec, ids = recorded(kill_out)
    expect(wait_done(ids), "the resubmission finishes")
    stamp("resubmission of the killed task")
    compare(big_ref, kill_out, "after the killed publish and --resubmit-failed")
    print("temporary files of the killed publish still present (they are never read): %s" %
          [f for f in os.listdir(kill_out) if f.startswith(".prospectivity.partial")])


guard = EtcGuard()
cluster = PrivateCluster(subprocess.run(["hostname", "-s"], capture_output=True, text=True).stdout.strip())
try:
    try:
        print(cluster.start(), flush=True)
    except RuntimeError as e:
        print("FAIL %s" % e)
        sys.exit(1)
    # Every command below (prospector, sbatch, squeue, scancel) inherits it and talks to the private cluster only.
    os.environ["SLURM_CONF"] = cluster.conf
    stamp("private cluster up")
    main()
finally:
    cluster.stop()
    changed = guard.finish()
    sha = guard.before.get(guard.conf, "absent")[:16]
    expect(not changed, "%s (sha256 %s%s) and everything below %s are byte-identical after the test (changed: %s)"
           % (guard.conf, sha, ", planted by the test" if guard.planted else "", " and ".join(guard.watched), changed))
    stamp("private cluster stopped and removed")
finish()
