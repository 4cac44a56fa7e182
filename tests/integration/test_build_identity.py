"""Build identity: every unit key holds the hash of the computing sources, so a binary rebuilt after its kernels
changed recomputes, and an unchanged rebuild does not.

- cmake/build_id.cmake gives the identity that `prospector --version` reports, for the source tree;
- a copy of the tree with one kernel line changed gets another identity, an unchanged copy the same one;
- prospector_rebuilt (the same program linked with the identity of an edited tree) recomputes every unit of a
  finished run, with the reason "changed: build", and a rerun of either binary against its own results does
  not recompute.
"""
import os
import re
import shutil
import subprocess

from common import BIN, SOURCE, expect, finish, fresh_dir, run

REBUILT = os.environ.get("PROSPECTOR_REBUILT_BIN", "")


def source_id(root):
    p = subprocess.run(["cmake", "-DROOT=" + root, "-DOUT=unused", "-DPRINT=1", "-P",
                        os.path.join(SOURCE, "cmake", "build_id.cmake")], capture_output=True, text=True)
    return p.stderr.strip()


version = run(["--version"]).stdout
m = re.search(r"\(build ([0-9a-f]{16})\)", version)
expect(m is not None, "--version reports the build identity: %s" % version.strip())
expect(m is not None and source_id(SOURCE) == m.group(1), "the identity is that of the source tree")

d = fresh_dir("build_identity")
copy = os.path.join(d, "src")
for sub in ("kernels", "pipeline"):
    shutil.copytree(os.path.join(SOURCE, sub), os.path.join(copy, sub))
same = source_id(copy)
expect(same == source_id(SOURCE), "an unchanged copy of the sources has the same identity")
with open(os.path.join(copy, "kernels", "fuzzy", "fuzzy.cpp"), "a") as f:
    f.write("\n// edited\n")
expect(source_id(copy) != same, "one changed kernel line changes the identity")
with open(os.path.join(copy, "pipeline", "app", "cli.cpp"), "a") as f:
    f.write("\n// edited\n")
edited = source_id(copy)
os.remove(os.path.join(copy, "pipeline", "app", "cli.cpp"))
expect(source_id(copy) == edited, "the command line's sources are not part of it (they compute nothing)")

survey = os.path.join(d, "survey")
run(["synth", "--out", survey, "--size", "60"])
job = os.path.join(survey, "job.json")
run(["run", job])
p = run(["run", job])
expect("0 unit(s) recomputed" in p.stderr, "the same binary recomputes nothing")
expect(REBUILT and os.path.exists(REBUILT), "the rebuilt binary exists: %s" % REBUILT)
if REBUILT and os.path.exists(REBUILT):
    p = subprocess.run([REBUILT, "run", job], capture_output=True, text=True)
    n = len(re.findall(r": recomputing, stale \(changed: build\)", p.stderr))
    expect(p.returncode == 0 and n == 10, "the rebuilt binary recomputes all 10 units because the build changed (%d)" % n)
    p = subprocess.run([REBUILT, "run", job], capture_output=True, text=True)
    expect("0 unit(s) recomputed" in p.stderr, "and its rerun recomputes nothing")
finish()
