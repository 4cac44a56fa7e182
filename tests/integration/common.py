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
