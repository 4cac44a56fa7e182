"""A private single-node Slurm cluster for the Slurm integration test, started and stopped by the test itself.

Everything lives in one temporary directory: munged with its own key, socket, pid, seed and log files; slurmctld
and slurmd in the foreground (-D) with `-f` on a slurm.conf written there, whose StateSaveLocation,
SlurmdSpoolDir, pid, log and jobcomp files are there too, whose addresses are loopback and whose ports are free
TCP ports picked at run time, and whose AuthInfo names the private munge socket. Client commands (sbatch, squeue,
sacct, scancel, scontrol, and prospector through them) find it through SLURM_CONF. Nothing reads or writes
/etc/slurm, /etc/munge, /run or /var: a system Slurm or munged on the same machine is left alone.

stop() (also run at exit, on SIGTERM, SIGINT and SIGHUP, and as the context manager's exit) cancels the jobs,
ends the daemons and every process that carries this cluster's SLURM_CONF (batch steps), and removes the
directory. Should the test itself be killed with SIGKILL (a ctest timeout), the kernel kills the daemons
(PR_SET_PDEATHSIG) and a guardian process, which waits on a pipe from the test outside its process tree, kills the
batch steps and removes the directory.

`python3 slurm_cluster.py --guard CONF DIR` is that guardian."""
import atexit
import ctypes
import fcntl
import getpass
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    # Runs in the child between fork and exec: the daemon is killed when the test process ends, however it ends.
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def free_ports(n):
    """n distinct TCP ports that nothing listens on now (on any address), chosen by the kernel."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def node_attributes():
    """CPUs, sockets, cores, threads and RealMemory as slurmd -C reports them, so the node is never drained."""
    line = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, timeout=60).stdout.splitlines()
    line = line[0] if line else ""
    if not line.startswith("NodeName="):
        raise RuntimeError("slurmd -C printed no node line: %r" % line)
    keep = ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore", "RealMemory")
    return " ".join(w for w in line.split() if w.split("=", 1)[0] in keep)


def marked_processes(conf):
    """Pids of the processes that carry SLURM_CONF=conf: the daemons and the batch steps (slurmstepd and the job's
    processes, which are not children of slurmd once started); no other process on the machine has it."""
    marker = ("SLURM_CONF=" + conf).encode()
    me = os.getpid()
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                if marker in f.read().split(b"\0"):
                    found.append(int(pid))
        except OSError:
            continue
    return found


def reap_adopted():
    """Reaps the ended children of this process that no Popen waits for: with PR_SET_CHILD_SUBREAPER the batch
    steps, which slurmd orphans, are reparented here rather than to init (which may leave them zombies a while)."""
    me = str(os.getpid())
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % pid) as f:
                state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me and state == "Z":
            try:
                os.waitpid(int(pid), os.WNOHANG)
            except ChildProcessError:
                pass


def kill_and_reap(pids, timeout=10):
    """SIGKILL to pids, then waits until they are gone from /proc, so that not even a zombie of the cluster is
    left."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    t = time.time()
    while True:
        reap_adopted()
        if time.time() - t > timeout or not any(os.path.exists("/proc/%d" % pid) for pid in pids):
            return
        time.sleep(0.1)


def guard(conf, directory):
    """The guardian: returns at once to its parent, then in a grandchild outside the test's process tree waits
    until the pipe from the test on stdin closes (the test stopped the cluster, or died) and removes what is
    left."""
    if os.fork():
        os._exit(0)
    os.setsid()
    sys.stdin.buffer.read()
    kill_and_reap(marked_processes(conf))
    shutil.rmtree(directory, ignore_errors=True)


def snapshot(tops):
    """{path: sha256 of the file, "dir", or the link target} of everything below the folders tops."""
    out = {}
    for top in tops:
        for root, dirs, files in os.walk(top):
            out[root] = "dir"
            for name in dirs + files:
                p = os.path.join(root, name)
                if os.path.islink(p):
                    out[p] = "link " + os.readlink(p)
                elif os.path.isfile(p):
                    try:
                        out[p] = hashlib.sha256(open(p, "rb").read()).hexdigest()
                    except OSError as e:
                        out[p] = "unreadable (%s)" % e.strerror
    return out


class EtcGuard:
    """Proof that the test leaves the machine's Slurm and munge configuration alone: plants a foreign slurm.conf
    when there is none, snapshots the watched folders, and finish() returns what changed below them and restores
    the exact previous state (removing what it planted)."""

    def __init__(self, conf="/etc/slurm/slurm.conf", watched=("/etc/slurm", "/etc/munge"),
                 lock="/tmp/prospector-test-slurm-etc.lock"):
        self.conf, self.watched = conf, watched
        # Concurrent runs of the test would take each other's planted file for the machine's: they take turns.
        self.lock = open(lock, "a")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        self.dir_existed = os.path.isdir(os.path.dirname(conf))
        self.old = open(conf, "rb").read() if os.path.isfile(conf) else None
        self.planted = False
        if not os.path.lexists(conf):
            try:
                os.makedirs(os.path.dirname(conf), exist_ok=True)
                with open(conf, "xb") as f:
                    f.write(b"# foreign slurm.conf planted by prospector's test_slurm.py, which must neither read\n"
                            b"# nor change it; removed again when the test ends\n"
                            b"ClusterName=foreign\nSlurmctldHost=foreign-host.invalid\n")
                self.planted = True
            except OSError as e:
                print("note: cannot plant %s (%s); checking that it stays absent" % (conf, e))
        self.before = snapshot(watched)
        self.changed = None

    def finish(self):
        """The paths below the watched folders that differ from the snapshot (idempotent), after restoring."""
        if self.changed is not None:
            return self.changed
        after = snapshot(self.watched)
        self.changed = sorted(p for p in set(self.before) | set(after) if self.before.get(p) != after.get(p))
        if self.planted:
            os.unlink(self.conf)
            if not self.dir_existed:
                os.rmdir(os.path.dirname(self.conf))
        elif self.old is not None and (not os.path.isfile(self.conf) or open(self.conf, "rb").read() != self.old):
            with open(self.conf, "wb") as f:
                f.write(self.old)
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        self.lock.close()
        return self.changed


class PrivateCluster:
    """start() brings the cluster up (its node named host) and says where; stop() takes it down and away."""

    def __init__(self, host):
        self.host = host
        self.dir = None
        self.conf = None
        self.procs = {}  # name -> Popen
        self.env = None
        self._stopped = False
        self._guardian = None  # write end of the guardian's pipe

    # --- start --------------------------------------------------------------------------------------------------
    def start(self, timeout=90):
        # Registered first, so that a failure half-way through start() still stops what was started.
        atexit.register(self.stop)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        for prog in ("munged", "munge", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol"):
            if not shutil.which(prog, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"):
                raise RuntimeError("%s not found (install munge slurmctld slurmd slurm-client: .ci/install-deps)"
                                   % prog)
        # Short, so that the munge socket path stays far below the 108 bytes of sun_path; 0755, which munged
        # requires of every folder above its socket.
        self.dir = tempfile.mkdtemp(prefix="prospector-slurm-")
        os.chmod(self.dir, 0o755)
        d = self.dir
        for sub in ("state", "spool"):
            os.makedirs(os.path.join(d, sub))
        self.conf = os.path.join(d, "slurm.conf")
        self.munge_socket = os.path.join(d, "munge.socket")
        self.jobcomp = os.path.join(d, "jobcomp.txt")
        open(self.jobcomp, "w").close()
        genv = {k: v for k, v in os.environ.items() if k != "SLURM_CONF"}
        g = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--guard", self.conf, d],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=genv)
        g.wait()
        self._guardian = g.stdin
        # After the guardian has left for init: orphaned batch steps come to this process, which reaps them.
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        self.env["PATH"] = self.env.get("PATH", "") + ":/usr/sbin:/sbin"

        key = os.path.join(d, "munge.key")
        with open(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            f.write(os.urandom(1024))
        self._spawn("munged", ["munged", "-F", "--key-file=" + key, "--socket=" + self.munge_socket,
                               "--pid-file=" + os.path.join(d, "munged.pid"),
                               "--log-file=" + os.path.join(d, "munged.log"),
                               "--seed-file=" + os.path.join(d, "munged.seed")])
        self._wait(lambda: self._munge_ok(), timeout, "munged answering on " + self.munge_socket, "munged")

        ctld_port, slurmd_port = free_ports(2)
        node = node_attributes()
        user = getpass.getuser()
        with open(self.conf, "w") as f:
            f.write(SLURM_CONF.format(dir=d, host=self.host, user=user, ctld_port=ctld_port,
                                      slurmd_port=slurmd_port, munge_socket=self.munge_socket,
                                      jobcomp=self.jobcomp, node=node))
        # Slurm reads plugstack.conf from the folder of slurm.conf; an empty one keeps SPANK plugins out.
        open(os.path.join(d, "plugstack.conf"), "w").close()

        self._spawn("slurmctld", ["slurmctld", "-D", "-f", self.conf])
        self._wait(lambda: self.run(["scontrol", "ping"]).returncode == 0, timeout, "slurmctld answering",
                   "slurmctld")
        self._spawn("slurmd", ["slurmd", "-D", "-f", self.conf])
        state = [""]

        def node_up():
            state[0] = self.run(["sinfo", "-h", "-n", self.host, "-o", "%T"]).stdout.strip()
            if state[0].startswith(("down", "drain", "fail")):
                self.run(["scontrol", "update", "NodeName=" + self.host, "State=RESUME"])
            return state[0] in ("idle", "mixed", "allocated", "completing")

        self._wait(node_up, timeout, lambda: "node %s idle (it is %r)" % (self.host, state[0]), "slurmd")
        return "private Slurm cluster in %s: slurmctld port %d, slurmd port %d, node %s (%s)" % (
            d, ctld_port, slurmd_port, self.host, node)

    def run(self, args, timeout=60):
        """Runs a client command against this cluster."""
        return subprocess.run(args, capture_output=True, text=True, env=self.env, timeout=timeout)

    def _spawn(self, name, args):
        log = open(os.path.join(self.dir, name + ".out"), "ab")
        # Own session: a terminal's Ctrl-C reaches the test (which then stops them), not the daemons directly.
        self.procs[name] = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                            env=self.env, start_new_session=True, preexec_fn=_die_with_parent)
        log.close()

    def _munge_ok(self):
        enc = subprocess.run(["munge", "-S", self.munge_socket, "-n"], capture_output=True, env=self.env)
        if enc.returncode != 0:
            return False
        return subprocess.run(["unmunge", "-S", self.munge_socket], input=enc.stdout, capture_output=True,
                              env=self.env).returncode == 0

    def _wait(self, ok, timeout, what, daemon):
        t = time.time()
        while time.time() - t < timeout:
            if ok():
                return
            if self.procs[daemon].poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError("the private Slurm cluster did not start: no %s after %.0f s\n%s" % (
            what() if callable(what) else what, time.time() - t, self.logs()))

    def logs(self, lines=30):
        """The tails of the daemons' logs, for a failure message."""
        out = []
        for name in ("munged.out", "slurmctld.out", "slurmctld.log", "slurmd.out", "slurmd.log"):
            p = os.path.join(self.dir or "", name)
            if os.path.exists(p):
                tail = open(p, errors="replace").read().splitlines()[-lines:]
                out.append("--- %s\n%s" % (p, "\n".join(tail)))
        return "\n".join(out)

    # --- stop ---------------------------------------------------------------------------------------------------
    def _on_signal(self, signum, frame):
        self.stop()
        sys.exit(128 + signum)

    def stop(self):
        """Cancels every job, ends every process of this cluster and removes its directory; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self.dir is None:
            return
        ours = set(marked_processes(self.conf))
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            try:
                self.run(["scancel", "--full", "--user=" + getpass.getuser()], timeout=20)
                t = time.time()
                while time.time() - t < 15 and self.run(["squeue", "-h", "-t", "PD,R,CG,CF"], 10).stdout.strip():
                    time.sleep(0.2)
            except (subprocess.SubprocessError, OSError):
                pass
        for name in ("slurmd", "slurmctld", "munged"):
            p = self.procs.get(name)
            if p is None or p.poll() is not None:
                continue
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        strays = marked_processes(self.conf)
        kill_and_reap(sorted(ours | set(strays)))
        shutil.rmtree(self.dir, ignore_errors=True)
        if self._guardian is not None:
            self._guardian.close()
        print("private Slurm cluster stopped (%d stray process(es) killed), %s removed" % (len(strays), self.dir),
              flush=True)


SLURM_CONF = """# private test cluster of prospector's tests/integration/test_slurm.py (removed when the test ends)
ClusterName=prospector_test
SlurmctldHost={host}(127.0.0.1)
SlurmUser={user}
SlurmdUser={user}
AuthType=auth/munge
AuthInfo=socket={munge_socket}
CredType=cred/munge
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
PlugStackConfig={dir}/plugstack.conf
# No systemd and no cgroups in a container: track processes through /proc, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
# Look for startable jobs every second, so that a chain of dependent jobs does not idle.
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=512
ReturnToService=2
# A job whose afterok dependency failed is cancelled instead of pending forever.
DependencyParameters=kill_invalid_depend
# No slurmdbd: finished jobs are recorded in a text file instead (prospector status reads it).
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc={jobcomp}
# Time limits are enforced at once, SIGTERM then SIGKILL 2 s later.
OverTimeLimit=0
KillWait=2
InactiveLimit=0
MinJobAge=300
SlurmdTimeout=60
NodeName={host} NodeAddr=127.0.0.1 {node} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--guard":
    guard(sys.argv[2], sys.argv[3])
