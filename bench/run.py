#!/usr/bin/env python3
"""Side-by-side benchmark of Debian's NUT 2.8.0 and ours on this machine.

Called by scripts/bench.sh (which builds everything first). For each run and each
implementation it starts three dummy-ups drivers (bench/devices/ups{1,2,3}.dev, ~50 variables
each) and upsd on a free loopback port in a temporary directory, drives them with the load
generator (bench/target/release/nut-bench, one JSON object per measurement), stops them by
PID, and at the end writes docs/benchmarks.md with medians and ours/NUT ratios.

Every process this script starts gets its own session (process group); it is stopped by that
ID, never by name.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench", "target", "release", "nut-bench")
DEVICES = os.path.join(ROOT, "bench", "devices")
UPSES = ["ups1", "ups2", "ups3"]
POLLINTERVAL = 2  # dummy-ups poll interval, the same for both (NUT's default for drivers)
POLLFREQ = 5  # upsmon's default

IMPLS = {
    "nut": {
        "label": "NUT 2.8.0 (Debian)",
        "upsd": "/lib/nut/upsd",
        "dummy-ups": "/lib/nut/dummy-ups",
        "upsmon": "/lib/nut/upsmon",
    },
    "ours": {
        "label": "ours (release build)",
        "upsd": os.path.join(ROOT, "target", "release", "upsd"),
        "dummy-ups": os.path.join(ROOT, "target", "release", "dummy-ups"),
        "upsmon": os.path.join(ROOT, "target", "release", "upsmon"),
    },
}

USERS = """\
[mon]
\tpassword = monpw
\tupsmon primary

[sec]
\tpassword = secpw
\tupsmon secondary
"""

NOTIFY_TYPES = ["ONLINE", "ONBATT", "LOWBATT", "FSD", "COMMOK", "COMMBAD", "SHUTDOWN",
                "REPLBATT", "NOCOMM", "NOPARENT"]


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def session_pids(sid):
    """PIDs whose session is `sid` (a process this script started with its own session)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            if int(rest[3]) == sid:  # field 6 of stat(5): session id
                out.append(int(d))
        except (OSError, IndexError, ValueError):
            pass
    return out


class Proc:
    """A process started in its own session; stop() ends that session's processes by ID."""

    def __init__(self, argv, env, logpath, cwd):
        self.argv = argv
        self.logpath = logpath
        self.logf = open(logpath, "wb")
        self.p = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                  stdout=self.logf, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        pids = session_pids(self.pid)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass
            for pid in pids:
                # upsmon's children may leave the process group; they stay in the session.
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            try:
                self.p.wait(timeout=3)
                if not any(os.path.exists(f"/proc/{p}") for p in pids if p != self.pid):
                    break
            except subprocess.TimeoutExpired:
                pass
        self.logf.close()

    def log_tail(self, n=15):
        try:
            with open(self.logpath, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


def request_lines(port, line, end_prefix, timeout=2.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall((line + "\n").encode())
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            lines = buf.decode(errors="replace").split("\n")
            if any(l.startswith("ERR") or l.startswith(end_prefix) for l in lines):
                break
        return buf.decode(errors="replace").splitlines()


class Stack:
    """Three dummy-ups drivers and upsd of one implementation in a temporary directory."""

    def __init__(self, impl, tag):
        self.impl = impl
        self.bins = IMPLS[impl]
        self.dir = tempfile.mkdtemp(prefix=f"nut-bench-{impl}-{tag}-")
        self.port = free_port()
        self.drivers = {}
        self.upsd = None
        self.upsmon = None
        self.env = dict(os.environ, NUT_CONFPATH=self.dir, NUT_STATEPATH=self.dir,
                        NUT_ALTPIDPATH=self.dir)
        for u in UPSES:
            shutil.copy(os.path.join(DEVICES, f"{u}.dev"), os.path.join(self.dir, f"{u}.dev"))
        ups_conf = "".join(
            f"[{u}]\n\tdriver = dummy-ups\n\tport = {self.dir}/{u}.dev\n"
            f"\tpollinterval = {POLLINTERVAL}\n\n" for u in UPSES)
        self.write("ups.conf", ups_conf)
        self.write("upsd.conf", f"LISTEN 127.0.0.1 {self.port}\nSTATEPATH {self.dir}\n")
        self.write("upsd.users", USERS)
        self.write("nut.conf", "MODE=standalone\n")

    def write(self, name, text, mode=0o600):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def start(self):
        for u in UPSES:
            self.drivers[u] = Proc([self.bins["dummy-ups"], "-a", u, "-u", "root", "-F"],
                                   self.env, os.path.join(self.dir, f"drv-{u}.log"), self.dir)
        deadline = time.time() + 20
        for u in UPSES:
            # Only look at the socket file: connecting and hanging up makes Debian's dummy-ups
            # spin on the dead connection.
            sock = os.path.join(self.dir, f"dummy-ups-{u}")
            while not os.path.exists(sock):
                if not self.drivers[u].alive() or time.time() > deadline:
                    raise RuntimeError(f"{self.impl} dummy-ups for {u} did not create {sock}:\n"
                                       + self.drivers[u].log_tail())
                time.sleep(0.02)
        self.upsd = Proc([self.bins["upsd"], "-u", "root", "-F"], self.env,
                         os.path.join(self.dir, "upsd.log"), self.dir)
        while not port_open(self.port):
            if not self.upsd.alive() or time.time() > deadline:
                raise RuntimeError(f"{self.impl} upsd did not listen on 127.0.0.1:{self.port}:\n"
                                   + self.upsd.log_tail())
            time.sleep(0.02)
        # Data is loaded when every UPS lists its ~50 variables.
        pending = set(UPSES)
        while pending:
            for u in list(pending):
                try:
                    lines = request_lines(self.port, f"LIST VAR {u}", "END LIST VAR")
                except OSError:
                    lines = []
                if sum(1 for l in lines if l.startswith("VAR ")) >= 40:
                    pending.discard(u)
            if pending:
                if time.time() > deadline:
                    raise RuntimeError(f"{self.impl} upsd has no data for {sorted(pending)}:\n"
                                       + self.upsd.log_tail())
                time.sleep(0.1)

    def start_upsmon(self):
        notify_log = os.path.join(self.dir, "notify.log")
        open(notify_log, "w").close()
        script = self.write("notify.sh",
                            f"#!/bin/sh\necho \"$(date +%s%N) $NOTIFYTYPE\" >> {notify_log}\n",
                            mode=0o755)
        lines = ["RUN_AS_USER root"]
        lines += [f"MONITOR {u}@127.0.0.1:{self.port} 1 sec secpw secondary" for u in UPSES]
        lines += ["MINSUPPLIES 1", 'SHUTDOWNCMD "/bin/true"', f'NOTIFYCMD "{script}"',
                  f"POLLFREQ {POLLFREQ}", f"POLLFREQALERT {POLLFREQ}", "DEADTIME 15",
                  f"POWERDOWNFLAG {self.dir}/killpower"]
        lines += [f"NOTIFYFLAG {t} {'EXEC' if t in ('ONLINE', 'ONBATT') else 'IGNORE'}"
                  for t in NOTIFY_TYPES]
        self.write("upsmon.conf", "\n".join(lines) + "\n")
        argv = [self.bins["upsmon"], "-u", "root", "-F"]
        if self.impl == "nut":
            # NUT's upsmon always writes /run/nut/upsmon.pid: give it a private /run/nut.
            argv = ["unshare", "-m", "sh", "-c",
                    'mount -t tmpfs tmpfs /run/nut && exec "$0" "$@"'] + argv
        self.upsmon = Proc(argv, self.env, os.path.join(self.dir, "upsmon.log"), self.dir)
        return notify_log

    def upsmon_rss(self):
        pids = session_pids(self.upsmon.pid)
        vals = [r for r in (rss_kib(p) for p in pids) if r]
        return sum(vals) if vals else None, len(vals)

    def stop(self):
        for p in [self.upsmon, self.upsd] + list(self.drivers.values()):
            if p:
                p.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def nut_bench(sub, args, timeout=180):
    argv = [BENCH, sub] + [str(a) for a in args]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    if r.returncode != 0:
        return {"error": (r.stderr or r.stdout).strip()[-500:]}
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"unparsable output: {r.stdout[-300:]!r}"}


def measure_load(impl, cfg):
    """Request-rate measurements on one fresh stack."""
    st = Stack(impl, "load")
    out = {}
    try:
        st.start()
        pid = st.upsd.pid
        time.sleep(0.3)
        out["rss_upsd_idle"] = rss_kib(pid)
        out["rss_drivers"] = [rss_kib(p.pid) for p in st.drivers.values()]
        ups = ",".join(UPSES)
        for c in (1, 16, 256):
            out[f"getvar_{c}"] = nut_bench("getvar", ["--port", st.port, "--pid", pid, "--conns", c,
                                                      "--secs", cfg.secs, "--ups", ups])
        out["listvar"] = nut_bench("listvar", ["--port", st.port, "--pid", pid,
                                               "--secs", cfg.secs, "--ups", ups])
        out["logins"] = nut_bench("logins", ["--port", st.port, "--pid", pid, "--secs", cfg.short,
                                             "--user", "mon", "--pass", "monpw", "--ups", "ups1"])
        out["neverread"] = nut_bench("neverread", ["--port", st.port, "--secs", cfg.short,
                                                   "--base-secs", cfg.short])
        time.sleep(0.5)
        out["burst"] = nut_bench("burst", ["--port", st.port, "--count", cfg.burst, "--timeout", 10])
        out["upsd_alive_after"] = st.upsd.alive()
    except Exception as e:  # One failed stack must not lose the other measurements.
        out["error"] = str(e)
        log(f"{impl} load stack: {e}")
    finally:
        st.stop()
    return out


def measure_idle(impl, cfg, n):
    """Idle-client measurements on a fresh upsd: memory per connection, GET VAR with `n` idle
    clients connected."""
    st = Stack(impl, f"idle{n}")
    out = {}
    try:
        st.start()
        pid = st.upsd.pid
        time.sleep(0.3)
        # The same measurement without idle clients just before, on the same upsd: the pair
        # is compared, which keeps the noise of a shared machine out of the ratio.
        out[f"noidle_{n}"] = nut_bench("getvar", ["--port", st.port, "--pid", pid, "--conns", 1,
                                                  "--secs", cfg.short, "--ups", ",".join(UPSES)])
        time.sleep(0.3)
        out[f"idle_{n}"] = nut_bench("getvar", ["--port", st.port, "--pid", pid, "--conns", 1,
                                                "--idle", n, "--secs", cfg.short,
                                                "--ups", ",".join(UPSES)])
        out["upsd_alive_after"] = st.upsd.alive()
    except Exception as e:
        out["error"] = str(e)
        log(f"{impl} idle stack: {e}")
    finally:
        st.stop()
    return out


def measure_epoll(cfg):
    port = free_port()
    d = tempfile.mkdtemp(prefix="nut-bench-epoll-")
    p = Proc([BENCH, "epoll-server", "--port", str(port), "--max-secs", "600"], dict(os.environ),
             os.path.join(d, "epoll.log"), d)
    out = {}
    try:
        deadline = time.time() + 5
        while not port_open(port):
            if time.time() > deadline or not p.alive():
                raise RuntimeError("the minimal epoll server did not listen: " + p.log_tail())
            time.sleep(0.02)
        for c in (1, 16, 256):
            out[f"getvar_{c}"] = nut_bench("getvar", ["--port", port, "--pid", p.pid, "--conns", c,
                                                      "--secs", cfg.secs, "--ups", "ups1"])
    except Exception as e:
        out["error"] = str(e)
        log(f"epoll baseline: {e}")
    finally:
        p.stop()
        shutil.rmtree(d, ignore_errors=True)
    return out


def measure_monitor(impl, cfg):
    """upsmon RSS and status change -> NOTIFYCMD latency."""
    st = Stack(impl, "mon")
    out = {}
    try:
        st.start()
        notify_log = st.start_upsmon()
        # Two poll cycles: upsmon has logged in and polled every UPS.
        time.sleep(2 * POLLFREQ + 0.5)
        if not st.upsmon.alive():
            raise RuntimeError(f"{impl} upsmon exited:\n" + st.upsmon.log_tail())
        out["rss_upsmon"], out["upsmon_procs"] = st.upsmon_rss()
        out["rss_drivers"] = [rss_kib(p.pid) for p in st.drivers.values()]
        out["notify"] = nut_bench("notify", ["--port", st.port, "--ups", "ups1",
                                             "--dev", os.path.join(st.dir, "ups1.dev"),
                                             "--notify-file", notify_log,
                                             "--trials", cfg.trials, "--pollfreq", POLLFREQ,
                                             "--timeout", 3 * POLLFREQ + 2 * POLLINTERVAL],
                                  timeout=cfg.trials * (4 * POLLFREQ + 2 * POLLINTERVAL) + 30)
        out["upsmon_log_tail"] = st.upsmon.log_tail(8)
    except Exception as e:
        out["error"] = str(e)
        log(f"{impl} monitor stack: {e}")
    finally:
        st.stop()
    return out


# ---------------------------------------------------------------------------------------------
# nutdrv_qx on a simulated serial UPS

QX_SIM = os.path.join(ROOT, "target", "release", "ups-sim")
QX_DESC = os.path.join(ROOT, "tests", "devices", "qx", "megatec.qx")
QX_PROTOCOL = "megatec"
QX_POLLINTERVAL = 1  # seconds; NUT's default is 2: 1 gives twice the cycles per window
QX_DRIVERS = {
    "nut": "/lib/nut/nutdrv_qx",
    "ours": os.path.join(ROOT, "target", "release", "nutdrv_qx"),
}
QX_POLL_CMD = 'rx "Q1\\r"'  # the simulator's event line for one Q1 status query


def serial_spec(driver, desc, poll, options=None, debian=True, ups="ups", note=""):
    """One serial driver benchmark: `driver` (ours in target/release, Debian's in /lib/nut
    when `debian`) on `ups-sim` playing `desc` (under tests/devices), a poll cycle being one
    simulator event line starting with `poll`."""
    return {
        "driver": driver,
        "desc": os.path.join(ROOT, "tests", "devices", desc),
        "poll": poll,
        "options": dict(options or {}, pollinterval=str(QX_POLLINTERVAL)),
        "ups": ups,
        "note": note,
        "paths": {"nut": f"/lib/nut/{driver}", "ours": os.path.join(ROOT, "target", "release", driver)}
        if debian else {"ours": os.path.join(ROOT, "target", "release", driver)},
    }


QX_SPEC = serial_spec("nutdrv_qx", "qx/megatec.qx", QX_POLL_CMD, {"protocol": QX_PROTOCOL}, ups="qx")

# The serial drivers of issue 12 (`--only serial`): one row each in their section. A driver
# Debian 2.8.0 lacks runs alone (debian=False) and its row says so.
SERIAL_SPECS = [
    serial_spec("metasys", "metasys/hf-millennium-820.sim", 'rx "\\x02\\x02\\x03\\x05"'),
    serial_spec("powerpanel", "powerpanel/pr3000e-binary.sim", 'rx "D\\r"'),
    serial_spec("apcsmart", "apcsmart/smart-ups-700-doc.sim", 'rx "Q"'),
    # The UPS streams a data packet every second: a cycle is one packet sent (no command).
    serial_spec("nhs_ser", "nhs_ser/premium-1500-120v.sim", r'tx "\xFF\x14', {"ah": "7"}, debian=False,
                note="not in Debian 2.8.0; the UPS streams"),
    serial_spec("nutdrv_hashx", "nutdrv_hashx/atlantis-a03-s1200.sim", 'rx "B\\r"', debian=False,
                note="not in Debian 2.8.0"),
    # One GET_REPORT of report 0x01 (PresentStatus) per poll.
    serial_spec("mge-shut", "mge-shut/eaton-3s-700.sim",
                r'rx "\x81\x88\xA1\x01\x01\x03\x00\x00\x04\x00\xA6"'),
    # One meter block request (AB 01 34 20) per poll.
    serial_spec("bcmxcp", "bcmxcp/pw5125.sim", r'rx "\xAB\x014 "'),
    serial_spec("riello_ser", "riello_ser/gpser-vst800.sim", 'rx "\\x02 \\"RS00', note="GPSER"),
    serial_spec("riello_ser", "riello_ser/sentr-sentinel-3k.sim", 'rx "\\xC0"', note="SENTR"),
]


def proc_cpu(pid):
    """(utime+stime in clock ticks from /proc/<pid>/stat, on-CPU nanoseconds summed over the
    threads' /proc/<pid>/task/*/schedstat), or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        ticks = int(rest[11]) + int(rest[12])  # fields 14 and 15 of stat(5)
        ns = 0
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                ns += int(f.read().split()[0])
        return ticks, ns
    except (OSError, IndexError, ValueError):
        return None


def proc_counters(pid):
    """Context switches (voluntary + involuntary, all threads), read/write system calls
    (/proc/<pid>/io syscr, syscw), threads, VmRSS, VmHWM (KiB)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0])
                elif k == "Threads":
                    out["threads"] = int(v)
        cs = 0
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        cs += int(line.split()[1])
        out["ctxt"] = cs
        with open(f"/proc/{pid}/io") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("syscr", "syscw"):
                    out[k] = int(v)
    except (OSError, ValueError):
        pass
    return out


def count_lines(path, prefix):
    """Lines of `path` starting with `prefix`, and all `rx` lines."""
    n = rx = 0
    try:
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith("rx "):
                    rx += 1
                if line.startswith(prefix):
                    n += 1
    except OSError:
        pass
    return n, rx


class SerialBench:
    """One simulator on a spec's description and one driver on its pty, in a temporary
    directory that is the driver's NUT_CONFPATH and NUT_STATEPATH."""

    def __init__(self, spec, impl):
        self.spec = spec
        self.impl = impl
        self.dir = tempfile.mkdtemp(prefix=f"nut-bench-{spec['driver']}-{impl}-")
        self.tty = os.path.join(self.dir, "tty")
        self.events = os.path.join(self.dir, "sim.events")
        self.sim = None
        self.drv = None
        self.env = dict(os.environ, NUT_CONFPATH=self.dir, NUT_STATEPATH=self.dir,
                        NUT_ALTPIDPATH=self.dir)
        self.env.pop("NUT_DEBUG_LEVEL", None)
        with open(os.path.join(self.dir, "ups.conf"), "w") as f:
            f.write(f"[{spec['ups']}]\n\tdriver = {spec['driver']}\n\tport = {self.tty}\n"
                    + "".join(f"\t{k} = {v}\n" for k, v in spec["options"].items()))

    def start_sim(self):
        # The simulator's stdout (its event lines, line-buffered) goes to a file that is
        # counted at the window's edges.
        self.sim = Proc([QX_SIM, self.spec["desc"], "--link", self.tty], dict(os.environ),
                        self.events, self.dir)

    def sim_ready(self):
        try:
            with open(self.events, errors="replace") as f:
                return any(line.startswith("ready ") for line in f)
        except OSError:
            return False

    def start_driver(self):
        self.drv = Proc([self.spec["paths"][self.impl], "-a", self.spec["ups"], "-u", "root", "-F"],
                        self.env, os.path.join(self.dir, "driver.log"), self.dir)

    def driver_ready(self):
        return os.path.exists(os.path.join(self.dir, f"{self.spec['driver']}-{self.spec['ups']}"))

    def polls(self):
        return count_lines(self.events, self.spec["poll"])

    def stop(self):
        for p in (self.drv, self.sim):
            if p:
                p.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def measure_qx(cfg):
    return measure_serial(QX_SPEC, cfg.qx_secs)


def measure_serial(spec, secs):
    """Both drivers at the same time (or ours alone when Debian has none), each on its own
    simulator, over the same window."""
    name = spec["driver"]
    benches = {impl: SerialBench(spec, impl) for impl in spec["paths"]}
    out = {impl: {} for impl in benches}
    try:
        for b in benches.values():
            b.start_sim()
        deadline = time.time() + 10
        while not all(b.sim_ready() for b in benches.values()):
            for b in benches.values():
                if not b.sim.alive():
                    raise RuntimeError(f"ups-sim for {b.impl} exited:\n" + b.sim.log_tail())
            if time.time() > deadline:
                raise RuntimeError("ups-sim did not become ready")
            time.sleep(0.05)
        for b in benches.values():
            b.start_driver()
        # Steady state: the driver has made its socket (start-up walk done) and has polled a
        # few times since.
        deadline = time.time() + 40
        base = {}
        while len(base) < len(benches) or any(b.polls()[0] < base[i] + 2
                                               for i, b in benches.items()):
            for i, b in benches.items():
                if not b.drv.alive():
                    raise RuntimeError(f"{i} {name} exited:\n" + b.drv.log_tail())
                if i not in base and b.driver_ready():
                    base[i] = b.polls()[0]
            if time.time() > deadline:
                raise RuntimeError("a driver did not reach steady polling within 40 s: "
                                   + ", ".join(f"{i}: socket {b.driver_ready()}, {b.polls()[0]} polls"
                                               for i, b in benches.items()))
            time.sleep(0.1)
        start = {}
        for i, b in benches.items():
            start[i] = (time.monotonic(), proc_cpu(b.drv.pid), proc_counters(b.drv.pid), b.polls())
        time.sleep(secs)  # the measurement window: both drivers poll on their own
        for i, b in benches.items():
            t1, cpu1, cnt1, polls1 = (time.monotonic(), proc_cpu(b.drv.pid),
                                      proc_counters(b.drv.pid), b.polls())
            t0, cpu0, cnt0, polls0 = start[i]
            o = out[i]
            if cpu0 is None or cpu1 is None or not b.drv.alive():
                o["error"] = f"{i} {name} exited during the window:\n" + b.drv.log_tail()
                continue
            cycles = polls1[0] - polls0[0]
            o["secs"] = t1 - t0
            o["cycles"] = cycles
            o["commands"] = polls1[1] - polls0[1]
            o["cpu_ticks"] = cpu1[0] - cpu0[0]
            o["cpu_ns"] = cpu1[1] - cpu0[1]
            o["rss_kib"] = cnt1.get("VmRSS")
            o["hwm_kib"] = cnt1.get("VmHWM")
            o["threads"] = cnt1.get("threads")
            if cycles > 0:
                o["cpu_us_per_cycle"] = o["cpu_ns"] / cycles / 1000
                o["ticks_us_per_cycle"] = o["cpu_ticks"] * 1e6 / os.sysconf("SC_CLK_TCK") / cycles
                o["commands_per_cycle"] = o["commands"] / cycles
                for k in ("ctxt", "syscr", "syscw"):
                    if k in cnt0 and k in cnt1:
                        o[f"{k}_per_cycle"] = (cnt1[k] - cnt0[k]) / cycles
            else:
                o["error"] = f"{i} {name} made no poll during the window:\n" + b.drv.log_tail()
    except Exception as e:
        for i in out:
            out[i].setdefault("error", str(e))
        log(f"{name}: {e}")
    finally:
        for b in benches.values():
            b.stop()
    return out


# ---------------------------------------------------------------------------------------------
# Report


def dig(d, path):
    for k in path.split("."):
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d


def med(runs, section, path):
    vals = [dig(r, f"{section}.{path}" if path else section) for r in runs]
    vals = [v for v in vals if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return statistics.median(vals) if vals else None


def med_ratio(runs_a, runs_b, path_a, path_b=None):
    """Median over runs of run-by-run ratios a/b (runs paired by index)."""
    vals = []
    for a, b in zip(runs_a, runs_b):
        x, y = dig(a, path_a), dig(b, path_b or path_a)
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and y:
            vals.append(x / y)
    return statistics.median(vals) if vals else None


def fmt(v, unit="", digits=None):
    if v is None:
        return "n/a"
    if digits is None:
        a = abs(v)
        digits = 0 if a >= 100 else 1 if a >= 10 else 2 if a >= 1 else 3
    s = f"{v:,.{digits}f}"
    return f"{s} {unit}".strip()


def ratio(ours, nut):
    if ours is None or nut is None or nut == 0:
        return "n/a"
    r = ours / nut
    if r < 0.1:
        return f"1/{1 / r:,.0f}" if r > 0 else "0"
    return f"{r:.2f}×" if r < 100 else f"{r:,.0f}×"


def met(cond):
    if cond is None:
        return "n/a"
    return "**met**" if cond else "**not met**"


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def machine_details():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except Exception:
            return "?"
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "mem": sh("free -h | awk '/Mem:/{print $2}'"),
        "kernel": platform.release(),
        "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
        "nut": sh("dpkg-query -W -f '${Version}' nut-server"),
        "rustc": sh("rustc --version"),
        "commit": sh(f"git -C {ROOT} rev-parse --short HEAD"),
        "dirty": sh(f"git -C {ROOT} status --porcelain -- server crates drivers clients | head -1"),
        "loadavg": sh("cut -d' ' -f1-3 /proc/loadavg"),
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        # Whether our upsmon can subscribe to status changes (docs/event-subscription.md): the
        # request verb is in its binary once the feature is there.
        "ours_upsmon_watch": watch_in_binary(IMPLS["ours"]["upsmon"]),
    }


def watch_in_binary(path):
    try:
        with open(path, "rb") as f:
            return b"WATCH " in f.read()
    except OSError:
        return None


QX_BEGIN = "<!-- bench:qx begin (scripts/bench.sh --only qx rewrites this section alone) -->"
QX_END = "<!-- bench:qx end -->"


def report_qx(qx, cfg, machine, started, command, partial):
    """The markdown of the nutdrv_qx section, between QX_BEGIN and QX_END."""
    L = [QX_BEGIN]
    w = L.append
    w("## nutdrv_qx on a simulated serial UPS\n")
    if partial:
        w(f"Measured alone by `{command}` on {started} ({len(qx)} run(s), "
          f"{cfg.qx_secs:g} s each; ours at commit {machine['commit']}"
          + (" with uncommitted changes" if machine["dirty"] else "")
          + f", {machine['rustc']}; {machine['cpu']}, {machine['cores']} cores shared with other "
          f"work, load average {machine['loadavg']} at start, {machine.get('loadavg_end', '?')} at "
          "the end). **The rest of this file is from the earlier full run** described at the top.\n")
    w(f"Two `ups-sim` simulators (`tools/ups-sim`, release build) play the same UPS "
      f"(`tests/devices/qx/{os.path.basename(QX_DESC)}`: Megatec `Q1` replies on a pty); Debian's "
      f"`/lib/nut/nutdrv_qx` polls one and ours (`target/release/nutdrv_qx`) the other, at the same "
      f"time, with the same `ups.conf` section (`protocol = {QX_PROTOCOL}`, "
      f"`pollinterval = {QX_POLLINTERVAL}`, NUT's default is 2; `pollfreq` left at its default "
      "30), `-a qx -u root -F`, each in its own temporary `NUT_CONFPATH`/`NUT_STATEPATH`, no "
      "upsd. Once a driver has made its socket and polled twice more, a window of "
      f"{cfg.qx_secs:g} s starts for both: a *poll cycle* is one `Q1` status query (the "
      "simulator's `rx \"Q1\\r\"` event lines); *CPU* is the driver's on-CPU time over the window "
      "from `/proc/<pid>/task/*/schedstat` (nanoseconds). utime+stime from `/proc/<pid>/stat` "
      "count 10 ms clock ticks, more than a driver spends in the whole window, so they are shown "
      "only as a cross-check. RSS is `VmRSS` at the end of the window. Figures are medians over "
      "runs.\n")
    runs = {impl: [r.get(impl, {}) for r in qx] for impl in ("nut", "ours")}

    def m(impl, k):
        return med(runs[impl], k, "")

    def row(label, k, unit="", digits=None, target=None, cond=None):
        n, o = m("nut", k), m("ours", k)
        ok = "" if cond is None else met(None if None in (n, o) else cond(o, n))
        return [label, fmt(n, unit, digits), fmt(o, unit, digits), ratio(o, n), target or "", ok]

    le = lambda o, n: o <= n  # noqa: E731
    rows = [
        row("CPU time per poll cycle", "cpu_us_per_cycle", "µs", target="≤ NUT", cond=le),
        row("RSS (VmRSS)", "rss_kib", "KiB", digits=0, target="≤ NUT", cond=le),
        row("peak RSS (VmHWM)", "hwm_kib", "KiB", digits=0),
        row("utime+stime per cycle (10 ms ticks: cross-check only)", "ticks_us_per_cycle", "µs"),
        row("poll cycles in the window", "cycles", digits=0),
        row("commands sent per cycle", "commands_per_cycle", digits=2),
        row("context switches per cycle", "ctxt_per_cycle", digits=2),
        row("read system calls per cycle", "syscr_per_cycle", digits=2),
        row("write system calls per cycle", "syscw_per_cycle", digits=2),
        row("threads", "threads", digits=0),
    ]
    w(table(["per driver process", "NUT 2.8.0 (Debian)", "ours", "ours/NUT", "target", "met?"],
             rows))
    w("")
    pr = med_ratio(runs["ours"], runs["nut"], "cpu_us_per_cycle")
    per_run = "; ".join(
        f"run {i + 1}: {fmt(dig(n, 'cpu_us_per_cycle'), 'µs')} / {fmt(dig(o, 'cpu_us_per_cycle'), 'µs')}"
        for i, (n, o) in enumerate(zip(runs["nut"], runs["ours"])))
    w(f"CPU per cycle run by run, NUT / ours (both drivers measured over the same window): "
      f"{per_run}. Median of the run-by-run ratios ours/NUT: "
      f"{'n/a' if pr is None else f'{pr:.2f}×'}.\n")
    errs = [f"- run {i + 1}, {impl}: `{r[impl]['error'][:300]}`"
            for i, r in enumerate(qx) for impl in ("nut", "ours") if r.get(impl, {}).get("error")]
    if errs:
        w("Errors:\n")
        w("\n".join(errs))
        w("")
    w(QX_END)
    return "\n".join(L)


SERIAL_BEGIN = "<!-- bench:serial begin (scripts/bench.sh --only serial rewrites this section alone) -->"
SERIAL_END = "<!-- bench:serial end -->"


def report_serial(results, cfg, machine, started, command):
    """The markdown of the serial-drivers section (issue 12), between SERIAL_BEGIN and SERIAL_END."""
    L = [SERIAL_BEGIN]
    w = L.append
    w("## The other serial drivers on simulated UPSes\n")
    w(f"Measured alone by `{command}` on {started} ({cfg.runs} run(s) per driver, "
      f"{cfg.serial_secs:g} s each; ours at commit {machine['commit']}"
      + (" with uncommitted changes" if machine["dirty"] else "")
      + f", {machine['rustc']}; {machine['cpu']}, {machine['cores']} cores shared with other "
      f"work, load average {machine['loadavg']} at start, {machine.get('loadavg_end', '?')} at "
      "the end).\n")
    w("As for nutdrv_qx above: per driver, two `ups-sim` simulators play the same description "
      "(`tests/devices/...`), Debian's `/lib/nut/<driver>` polls one and ours the other at the same "
      f"time (`pollinterval = {QX_POLLINTERVAL}`, `-a ups -u root -F`, no upsd); a *poll cycle* is "
      "one status query of the protocol (the simulator's event line named in the table); CPU is "
      "on-CPU time from schedstat over the window, RSS is VmRSS at its end; figures are medians "
      "over runs. A driver Debian 2.8.0 does not have runs alone.\n")
    rows = []
    errs = []
    for spec, runs_list in results:
        name = spec["driver"]
        runs = {impl: [r.get(impl, {}) for r in runs_list] for impl in ("nut", "ours")}
        n_cpu, o_cpu = med(runs["nut"], "cpu_us_per_cycle", ""), med(runs["ours"], "cpu_us_per_cycle", "")
        n_rss, o_rss = med(runs["nut"], "rss_kib", ""), med(runs["ours"], "rss_kib", "")
        n_cmd, o_cmd = (med(runs["nut"], "commands_per_cycle", ""),
                        med(runs["ours"], "commands_per_cycle", ""))
        ok = None
        if None not in (n_cpu, o_cpu, n_rss, o_rss):
            ok = o_cpu <= n_cpu and o_rss <= n_rss
        rows.append([f"{name}" + (f" ({spec['note']})" if spec["note"] else ""),
                     f"`{os.path.relpath(spec['desc'], os.path.join(ROOT, 'tests', 'devices'))}`",
                     f"`{spec['poll']}`", f"{fmt(n_cmd, digits=1)} / {fmt(o_cmd, digits=1)}",
                     fmt(n_cpu, "µs"), fmt(o_cpu, "µs"), ratio(o_cpu, n_cpu),
                     fmt(n_rss, "KiB", 0), fmt(o_rss, "KiB", 0), ratio(o_rss, n_rss),
                     met(ok)])
        for i, r in enumerate(runs_list):
            for impl in ("nut", "ours"):
                if r.get(impl, {}).get("error"):
                    errs.append(f"- {name}, run {i + 1}, {impl}: `{r[impl]['error'][:300]}`")
    w(table(["driver", "description", "poll cycle", "requests/cycle NUT / ours", "CPU/cycle NUT", "CPU/cycle ours", "ratio",
             "RSS NUT", "RSS ours", "ratio", "ours ≤ NUT?"], rows))
    w("")
    w("> **Why RSS is above NUT's for these drivers** (measured 2026-12-07 with "
      "`/proc/<pid>/smaps`, metasys on hf-millennium-820): NUT's metasys is 2,484 KiB, ours "
      "3,240 KiB. The shared C libraries are the same on both sides (libc, libm, ld.so, "
      "libnss_systemd for `-u`: about 2.3 MiB). The difference is the program's own code: "
      "NUT's metasys maps 100 KiB of itself, ours 652 KiB, plus 80 KiB for libgcc_s (the Rust "
      "unwinder). Of our 512 KiB of machine code, 168 KiB is the standard library's backtrace "
      "symbolizer (gimli, addr2line, rustc-demangle, miniz_oxide), which Rust's default panic "
      "handler links into every program and which stable Rust cannot leave out; 117 KiB is "
      "the driver framework (nut-driver: flags, ups.conf, sockets, reload, the `driver.*` "
      "controls); the rest is std/core/alloc and the driver. Private memory (heap and other "
      "anonymous pages) is close: 220 KiB ours, 164 KiB NUT's. nutdrv_qx, whose NUT binary "
      "carries every protocol table, is the one driver where ours is below (section above). "
      "mge-shut's CPU per cycle is above NUT's because it sends more requests per cycle (column "
      "4): NUT 2.8.5's MGE table, which we follow, reads reports the 2.8.0 table of Debian's "
      "driver does not.\n")
    if errs:
        w("Errors:\n")
        w("\n".join(errs))
        w("")
    w(SERIAL_END)
    return "\n".join(L)


def splice(path, section, begin, end):
    """Replace a section of an existing report (or add it before the errors, or at the end)."""
    with open(path) as f:
        text = f.read()
    if begin in text and end in text:
        a = text.index(begin)
        b = text.index(end) + len(end)
        text = text[:a] + section + text[b:]
    elif "## Errors during the run" in text:
        a = text.index("## Errors during the run")
        text = text[:a] + section + "\n\n" + text[a:]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as f:
        f.write(text)


def run_only_serial(cfg):
    """`--only serial`: the serial drivers of SERIAL_SPECS; only their section is rewritten."""
    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    machine = machine_details()
    t0 = time.time()
    results = []
    for spec in SERIAL_SPECS:
        missing = [p for p in spec["paths"].values() if not os.access(p, os.X_OK)]
        if missing:
            sys.exit(f"{missing[0]} is missing (cargo build --release -p {spec['driver']}; "
                     "Debian's: apt-get install nut-server)")
        runs = []
        for i in range(cfg.runs):
            log(f"run {i + 1}/{cfg.runs}: {spec['driver']} for {cfg.serial_secs} s")
            runs.append(measure_serial(spec, cfg.serial_secs))
        results.append((spec, runs))
    machine["loadavg_end"] = machine_details()["loadavg"]
    os.makedirs(os.path.join(ROOT, "bench", "target"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "target", "results-serial.json"), "w") as f:
        json.dump({"machine": machine, "serial": [(s["driver"], r) for s, r in results],
                   "started": started, "elapsed": time.time() - t0, "command": cfg.command}, f, indent=1)
    section = report_serial(results, cfg, machine, started, cfg.command)
    if os.path.exists(cfg.out):
        splice(cfg.out, section, SERIAL_BEGIN, SERIAL_END)
    else:
        with open(cfg.out, "w") as f:
            f.write(section + "\n")
    log(f"wrote the serial drivers section of {cfg.out} in {(time.time() - t0) / 60:.1f} min")


def report(res, cfg, started, elapsed, machine, command):
    runs = res["runs"]
    ep = res["epoll"]
    nut, ours = runs["nut"], runs["ours"]
    L = []
    w = L.append
    w("# Benchmarks: our upsd stack vs Debian's NUT 2.8.0, side by side\n")
    w(f"Generated by `{command}` on {started} in {elapsed / 60:.1f} min "
      f"({cfg.runs} run(s) per measurement, {cfg.idle_runs} for the idle-client ones; figures are "
      "medians over runs, ratios are ours / NUT). "
      "Do not edit by hand: rerun the command.\n")
    w("## Machine and setup\n")
    w(table(["", ""], [
        ["CPU", f"{machine['cpu']} ({machine['cores']} cores, shared with other work on this machine)"],
        ["memory", machine["mem"]],
        ["OS / kernel", f"{machine['os']} / {machine['kernel']}"],
        ["NUT", f"Debian nut-server {machine['nut']}: `/lib/nut/upsd`, `/lib/nut/dummy-ups`, `/lib/nut/upsmon`"],
        ["ours", f"`cargo build --release` at commit {machine['commit']}"
                 + (" (with uncommitted changes)" if machine["dirty"] else "")
                 + f", {machine['rustc']}"],
        ["load average (1, 5, 15 min) at start / end", f"{machine['loadavg']} / {machine.get('loadavg_end', '?')}"],
        ["open files limit", machine["nofile"]],
    ]))
    w("")
    w("Both stacks run the same way: three dummy-ups drivers serving real device dumps "
      "(`bench/devices/`, 48-51 variables each, see its SOURCES.md), `pollinterval = "
      f"{POLLINTERVAL}`, upsd on a free 127.0.0.1 port, everything as root with `-u root -F`, default "
      "upsd.conf otherwise (no MAXCONN: both default to the descriptor limit). The load generator "
      "(`bench/`, Rust, tokio current-thread runtime) runs on one thread on the same 2 cores, so at "
      "16 and 256 connections **the generator is the bottleneck**: the rates there say more about "
      "the generator than the server, and the server's CPU time per request (utime+stime from "
      "`/proc/<pid>/stat` over the measured window, divided by the requests answered) is the "
      "figure to compare. The *minimal epoll server* (`nut-bench epoll-server`: one thread, answers "
      "every line with a fixed `VAR` line) measured the same way is the practical limit.\n")
    w("Closed loop: each connection sends `GET VAR <ups> ups.status` (cycling over the three "
      "UPSes), waits for the reply, sends the next one.\n")

    # GET VAR
    w("## GET VAR throughput and latency\n")
    rows = []
    for c in (1, 16, 256):
        k = f"getvar_{c}"
        n, o, e = med(nut, k, "rate"), med(ours, k, "rate"), med(ep, k, "rate")
        rows.append([f"{c}", fmt(n, "req/s"), fmt(o, "req/s"), ratio(o, n), fmt(e, "req/s"),
                     "≥ NUT", met(None if None in (n, o) else o >= n)])
    w(table(["connections", "NUT", "ours", "ours/NUT", "minimal epoll server", "target", "met?"], rows))
    w("")
    rows = []
    for c in (1, 16, 256):
        k = f"getvar_{c}"
        for p in ("p50", "p99"):
            n, o, e = (med(x, k, f"latency.{p}_us") for x in (nut, ours, ep))
            rows.append([f"{c}", p, fmt(n, "µs"), fmt(o, "µs"), ratio(o, n), fmt(e, "µs")])
    w(table(["connections", "percentile", "NUT", "ours", "ours/NUT", "minimal epoll server"], rows))
    w("")
    w("### upsd CPU time per GET VAR\n")
    rows = []
    for c in (1, 16, 256):
        k = f"getvar_{c}"
        n, o, e = (med(x, k, "server_cpu_us_per_req") for x in (nut, ours, ep))
        oe = med_ratio(ours, ep, f"{k}.server_cpu_us_per_req")
        ne = med_ratio(nut, ep, f"{k}.server_cpu_us_per_req")
        target = "ours ≤ 1.10 × epoll server" if c in (1, 16) else "(none)"
        ok = None if (c == 256 or oe is None) else oe <= 1.10
        rows.append([f"{c}", fmt(n, "µs"), fmt(o, "µs"), ratio(o, n), fmt(e, "µs"),
                     "n/a" if ne is None else f"{ne:.2f}×", "n/a" if oe is None else f"{oe:.2f}×",
                     target, met(ok)])
    w(table(["connections", "NUT", "ours", "ours/NUT", "minimal epoll server", "NUT/epoll",
             "ours/epoll", "target", "met?"], rows))
    w("")
    w("NUT/epoll and ours/epoll are medians of the run-by-run ratios (each run measures the "
      "epoll server, NUT and ours back to back). CPU time is counted in clock ticks (10 ms), "
      "so each figure carries about ±2% of rounding.\n")

    # LIST VAR and logins
    w("## LIST VAR on one connection\n")
    n, o = med(nut, "listvar", "rate"), med(ours, "listvar", "rate")
    np_, op = med(nut, "listvar", "latency.p50_us"), med(ours, "listvar", "latency.p50_us")
    w(table(["", "NUT", "ours", "ours/NUT", "target", "met?"], [
        ["lists per second", fmt(n, "/s"), fmt(o, "/s"), ratio(o, n), "≥ 100 × NUT",
         met(None if None in (n, o) else o >= 100 * n)],
        ["time per LIST VAR (p50)", fmt(None if np_ is None else np_ / 1000, "ms"),
         fmt(None if op is None else op / 1000, "ms"), ratio(op, np_), "", ""],
        ["variables per list", fmt(med(nut, "listvar", "vars_per_list"), digits=0),
         fmt(med(ours, "listvar", "vars_per_list"), digits=0), "", "", ""],
    ]))
    w("")
    w("## Logins per second\n")
    w("Each login is a new connection: `USERNAME`, `PASSWORD`, `LOGIN ups1`, `LOGOUT`, each "
      "waiting for its `OK`.\n")
    n, o = med(nut, "logins", "rate"), med(ours, "logins", "rate")
    w(table(["", "NUT", "ours", "ours/NUT"], [
        ["logins per second", fmt(n, "/s"), fmt(o, "/s"), ratio(o, n)],
        ["upsd CPU per login", fmt(med(nut, "logins", "server_cpu_us_per_login"), "µs"),
         fmt(med(ours, "logins", "server_cpu_us_per_login"), "µs"),
         ratio(med(ours, "logins", "server_cpu_us_per_login"),
               med(nut, "logins", "server_cpu_us_per_login"))],
    ]))
    w("")

    # Idle clients
    w("## GET VAR with idle clients connected\n")
    w("On a fresh upsd, one connection first runs the closed loop alone (*no idle*); then the "
      "idle clients connect (16 at a time), make one `GET VAR` each so the server has surely "
      "accepted them, and stay silent; then the one connection runs the closed loop again. "
      "Target: throughput within 20% of the no-idle figure (median of the run-by-run ratios), "
      "p99 under 10 ms.\n")
    rows = []
    for k in (5000, 10000):
        key = f"idle_{k}"
        n, o = med(runs["nut_idle"], key, "rate"), med(runs["ours_idle"], key, "rate")
        n99 = med(runs["nut_idle"], key, "latency.p99_us")
        o99 = med(runs["ours_idle"], key, "latency.p99_us")
        nr = med_ratio(runs["nut_idle"], runs["nut_idle"], f"{key}.rate", f"noidle_{k}.rate")
        orr = med_ratio(runs["ours_idle"], runs["ours_idle"], f"{key}.rate", f"noidle_{k}.rate")
        rows.append([f"{k:,}", "req/s without idle clients",
                     fmt(med(runs["nut_idle"], f"noidle_{k}", "rate"), "req/s"),
                     fmt(med(runs["ours_idle"], f"noidle_{k}", "rate"), "req/s"), "", "", "", "", ""])
        rows.append([f"{k:,}", "req/s with them", fmt(n, "req/s"), fmt(o, "req/s"), ratio(o, n),
                     "n/a" if nr is None else f"{nr:.2f}×", "n/a" if orr is None else f"{orr:.2f}×",
                     "ours ≥ 0.80 × no idle", met(None if orr is None else orr >= 0.8)])
        rows.append([f"{k:,}", "p99 with them", fmt(n99, "µs"), fmt(o99, "µs"), ratio(o99, n99),
                     "", "", "ours < 10 ms", met(None if o99 is None else o99 < 10000)])
        nc = med_ratio(runs["nut_idle"], runs["nut_idle"], f"{key}.server_cpu_us_per_req",
                       f"noidle_{k}.server_cpu_us_per_req")
        oc = med_ratio(runs["ours_idle"], runs["ours_idle"], f"{key}.server_cpu_us_per_req",
                       f"noidle_{k}.server_cpu_us_per_req")
        rows.append([f"{k:,}", "upsd CPU per request with them",
                     fmt(med(runs["nut_idle"], key, "server_cpu_us_per_req"), "µs"),
                     fmt(med(runs["ours_idle"], key, "server_cpu_us_per_req"), "µs"),
                     ratio(med(runs["ours_idle"], key, "server_cpu_us_per_req"),
                           med(runs["nut_idle"], key, "server_cpu_us_per_req")),
                     "n/a" if nc is None else f"{nc:.2f}×", "n/a" if oc is None else f"{oc:.2f}×",
                     "", ""])
        rows.append([f"{k:,}", "time to connect them all",
                     fmt(med(runs["nut_idle"], key, "idle.open_secs"), "s"),
                     fmt(med(runs["ours_idle"], key, "idle.open_secs"), "s"), "", "", "", "", ""])
        nf = med(runs["nut_idle"], key, "idle.failed")
        of = med(runs["ours_idle"], key, "idle.failed")
        rows.append([f"{k:,}", "idle clients that failed to connect", fmt(nf, digits=0),
                     fmt(of, digits=0), "", "", "", "", ""])
    w(table(["idle clients", "", "NUT", "ours", "ours/NUT", "NUT with / without",
             "ours with / without", "target", "met?"], rows))
    w("")

    # Memory
    w("## Memory (RSS)\n")
    n_idle, o_idle = med(nut, "rss_upsd_idle", ""), med(ours, "rss_upsd_idle", "")
    rows = [["upsd, idle (data loaded, no client)", fmt(n_idle, "KiB"), fmt(o_idle, "KiB"),
             ratio(o_idle, n_idle), "≤ 1.5 × NUT",
             met(None if None in (n_idle, o_idle) else o_idle <= 1.5 * n_idle)]]
    for k in (5000, 10000):
        key = f"idle_{k}"
        rows.append([f"upsd with {k:,} idle clients",
                     fmt(med(runs["nut_idle"], key, "idle.rss_kib_idle"), "KiB"),
                     fmt(med(runs["ours_idle"], key, "idle.rss_kib_idle"), "KiB"),
                     ratio(med(runs["ours_idle"], key, "idle.rss_kib_idle"),
                           med(runs["nut_idle"], key, "idle.rss_kib_idle")), "", ""])
        npc = med(runs["nut_idle"], key, "idle.rss_kib_per_conn")
        opc = med(runs["ours_idle"], key, "idle.rss_kib_per_conn")
        rows.append([f"upsd per idle connection ({k:,})", fmt(npc, "KiB"), fmt(opc, "KiB"),
                     ratio(opc, npc), "≤ 2 KiB" if k == 5000 else "",
                     met(None if opc is None else opc <= 2.0) if k == 5000 else ""])

    def drv(rs):
        vals = []
        for r in rs:
            d = [x for x in (r.get("rss_drivers") or []) if x]
            if d:
                vals.append(statistics.median(d))
        return statistics.median(vals) if vals else None
    nd, od = drv(nut), drv(ours)
    rows.append(["one dummy-ups driver (median of the 3)", fmt(nd, "KiB"), fmt(od, "KiB"),
                 ratio(od, nd), "", ""])
    nm, om = med(runs["nut_mon"], "rss_upsmon", ""), med(runs["ours_mon"], "rss_upsmon", "")
    npr = med(runs["nut_mon"], "upsmon_procs", "")
    opr = med(runs["ours_mon"], "upsmon_procs", "")
    rows.append([f"upsmon monitoring the 3 UPSes (all its processes: NUT {fmt(npr, digits=0)}, "
                 f"ours {fmt(opr, digits=0)})", fmt(nm, "KiB"), fmt(om, "KiB"), ratio(om, nm), "", ""])
    w(table(["process", "NUT", "ours", "ours/NUT", "target", "met?"], rows))
    w("")
    w("Per idle connection = (RSS with the idle clients − RSS just before opening them) / "
      "clients, each on a fresh upsd.\n")

    # Never-reading client
    w("## A client that never reads\n")
    w("One client runs closed-loop `GET VAR` alone, then another client connects and sends "
      "`LIST VAR ups1` as fast as it can without ever reading, until its socket buffers are full; "
      "the first client's latency is measured again while it is there. A reply slower than 1 s "
      "counts as *stalled*. Target: the others keep their normal latency (here: not stalled, and "
      "p99 at most 2× the p99 before, or +1 ms).\n")
    rows = []
    for impl in ("nut", "ours"):
        rs = runs[impl]
        stalls = sum(1 for r in rs if dig(r, "neverread.during.stalled") is True)
        total = sum(1 for r in rs if dig(r, "neverread.during") is not None)
        b50, b99 = med(rs, "neverread", "before.latency.p50_us"), med(rs, "neverread", "before.latency.p99_us")
        d50, d99 = med(rs, "neverread", "during.latency.p50_us"), med(rs, "neverread", "during.latency.p99_us")
        dr = med(rs, "neverread", "during.rate")
        ok = None
        if total:
            ok = stalls == 0 and None not in (b99, d99) and d99 <= max(2 * b99, b99 + 1000)
        rows.append([IMPLS[impl]["label"], f"{stalls} of {total}", fmt(b50, "µs"), fmt(b99, "µs"),
                     fmt(d50, "µs"), fmt(d99, "µs"), fmt(dr, "req/s"),
                     met(ok) if impl == "ours" else ""])
    w(table(["server", "runs where the other client stalled", "p50 before", "p99 before",
             "p50 during", "p99 during", "rate during", "target met?"], rows))
    w("")

    # Burst
    w("## Connect burst\n")
    w(f"{cfg.burst:,} clients connect at once (non-blocking connects issued back to back), each "
      "sends one `GET VAR` and waits for the reply. *Late* = answered after 0.9 s (a dropped SYN "
      "is retried by the client's kernel after 1 s); *failed* = error or no answer within 10 s. "
      "Target: none late, none failed.\n")
    rows = []
    for impl in ("nut", "ours"):
        rs = runs[impl]
        late, failed = med(rs, "burst", "answered_late"), med(rs, "burst", "failed")
        ok = None if None in (late, failed) else late == 0 and failed == 0
        rows.append([IMPLS[impl]["label"], fmt(med(rs, "burst", "answered_fast"), digits=0),
                     fmt(late, digits=0), fmt(failed, digits=0),
                     fmt(med(rs, "burst", "latency.p50_us") and med(rs, "burst", "latency.p50_us") / 1000, "ms"),
                     fmt(med(rs, "burst", "latency.max_us") and med(rs, "burst", "latency.max_us") / 1000, "ms"),
                     met(ok) if impl == "ours" else ""])
    w(table(["server", "answered < 0.9 s", "late", "failed", "p50 time to answer",
             "slowest answer", "target met?"], rows))
    w("")

    # Notify
    w("## Status change → NOTIFYCMD\n")
    w(f"upsmon (secondary, `POLLFREQ {POLLFREQ}`) monitors the three UPSes; NOTIFYCMD is a shell "
      "script appending `date +%s%N` and `$NOTIFYTYPE` to a file. Each trial waits a random "
      f"0-{POLLFREQ} s, then flips `ups.status` of ups1's `.dev` file (OL → OB, then OB → OL; "
      "written to a temporary file and renamed) and measures (a) until upsd answers the new status "
      "to a `GET VAR` poller running every millisecond (the driver's share: dummy-ups notices the "
      f"new file at its next poll, every {POLLINTERVAL} s), and (b) until the NOTIFYCMD line "
      "(ONBATT or ONLINE). The target is for (b) − (a): from upsd having the new status to "
      "NOTIFYCMD, which is what upsd and upsmon control (±1 ms poller resolution).\n")
    watch = machine.get("ours_upsmon_watch")
    if watch is False:
        w("**Our upsmon does not send `WATCH` yet** (docs/event-subscription.md): at this commit it "
          "polls every POLLFREQ like NUT's, so the target cannot be met until it subscribes.\n")
    elif watch:
        w("Our upsmon subscribes with `WATCH` (docs/event-subscription.md) and polls a UPS as soon "
          "as upsd pushes a change.\n")
    rows = []
    for impl in ("nut", "ours"):
        r = runs[f"{impl}_mon"]
        one = r[0] if r else {}
        tr = dig(one, "notify.trials") or []
        fails = dig(one, "notify.failures") or []
        after = dig(one, "notify.median_after_upsd_ms")
        mx = dig(one, "notify.max_after_upsd_ms")
        ok = None if impl == "nut" or after is None else (after < 100 and not fails)
        rows.append([IMPLS[impl]["label"], f"{len(tr)}" + (f" ({len(fails)} failed)" if fails else ""),
                     fmt(dig(one, "notify.median_total_ms"), "ms"),
                     fmt(dig(one, "notify.median_to_upsd_ms"), "ms"), fmt(after, "ms"), fmt(mx, "ms"),
                     "< 100 ms" if impl == "ours" else "", met(ok) if impl == "ours" else ""])
    w(table(["stack", "trials", "(b) file change → NOTIFYCMD, median", "(a) → upsd, median",
             "upsd → NOTIFYCMD, median", "upsd → NOTIFYCMD, max", "target", "met?"], rows))
    w("")
    for impl in ("nut", "ours"):
        r = runs[f"{impl}_mon"]
        if r and r[0].get("error"):
            w(f"- {IMPLS[impl]['label']} monitor stack failed: `{r[0]['error'][:300]}`")
        f = dig(r[0], "notify.failures") if r else None
        if f:
            w(f"- {IMPLS[impl]['label']}: " + "; ".join(f[:3]))
    w("")

    if res.get("qx"):
        w(report_qx(res["qx"], cfg, machine, started, command, partial=False))
        w("")

    # Errors
    errs = []
    for key, rs in list(runs.items()) + [("epoll", ep)]:
        for i, r in enumerate(rs):
            for sec, v in r.items():
                if isinstance(v, dict) and v.get("error"):
                    errs.append(f"- {key} run {i + 1}, {sec}: `{v['error'][:300]}`")
                if sec == "error":
                    errs.append(f"- {key} run {i + 1}: `{str(v)[:300]}`")
                if isinstance(v, dict) and v.get("conn_errors"):
                    errs.append(f"- {key} run {i + 1}, {sec}: {v['conn_errors']} connection "
                                f"error(s), first: `{v.get('first_error')}`")
            if r.get("upsd_alive_after") is False:
                errs.append(f"- {key} run {i + 1}: upsd was not running any more at the end")
    w("## Errors during the run\n")
    w("\n".join(errs) if errs else "None.")
    w("")
    w("## How to run\n")
    w("```\nscripts/bench.sh           # full run (5 runs, about 15 minutes)\n"
      "scripts/bench.sh --quick   # 1 run with shorter windows, a smoke test\n"
      "scripts/bench.sh --only qx # only the nutdrv_qx section (5 runs, about 3 minutes; "
      "with --quick 1 run)\n"
      "scripts/bench.sh --only serial # only the other serial drivers (1 run each, 20 s per driver)\n```\n")
    w("It needs root (the daemons run with `-u root`, NUT's upsmon gets a private `/run/nut` "
      "through `unshare -m`), Debian's `nut-server` and `nut-client` packages, and raises the "
      "open-files limit to the hard limit (at least 10,100 for the 10,000 idle clients). Raw "
      "per-run figures are written to `bench/target/results.json`.\n")
    return "\n".join(L)


def run_only_qx(cfg):
    """`--only qx`: the nutdrv_qx runs alone; only that section of cfg.out is rewritten."""
    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    machine = machine_details()
    t0 = time.time()
    qx = []
    for i in range(cfg.runs):
        log(f"run {i + 1}/{cfg.runs}: nutdrv_qx, both drivers for {cfg.qx_secs} s")
        qx.append(measure_qx(cfg))
    machine["loadavg_end"] = machine_details()["loadavg"]
    os.makedirs(os.path.join(ROOT, "bench", "target"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "target", "results-qx.json"), "w") as f:
        json.dump({"machine": machine, "qx": qx, "started": started,
                   "elapsed": time.time() - t0, "command": cfg.command}, f, indent=1)
    section = report_qx(qx, cfg, machine, started, cfg.command, partial=True)
    if os.path.exists(cfg.out):
        splice(cfg.out, section, QX_BEGIN, QX_END)
    else:
        with open(cfg.out, "w") as f:
            f.write(section + "\n")
    log(f"wrote the nutdrv_qx section of {cfg.out} in {(time.time() - t0) / 60:.1f} min")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 run with short windows (smoke test)")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    ap.add_argument("--command", default="scripts/bench.sh")
    ap.add_argument("--from-json", help="only rewrite the report from a results.json of a past run")
    ap.add_argument("--only", choices=["qx", "serial"],
                    help="run one section alone and rewrite only that section of --out "
                         "(qx: nutdrv_qx on a simulated serial UPS; serial: the other serial "
                         "drivers, one run each unless --runs)")
    cfg = ap.parse_args()
    explicit_runs = cfg.runs
    cfg.runs = cfg.runs or (1 if cfg.quick else 5)
    cfg.secs = 1.5 if cfg.quick else 3
    cfg.short = 1 if cfg.quick else 2
    cfg.burst = 2000
    cfg.trials = 4 if cfg.quick else 2 * cfg.runs
    cfg.idle_runs = min(cfg.runs, 3)
    cfg.qx_secs = 20 if cfg.quick else 30
    cfg.serial_secs = 20

    if cfg.only == "serial":
        cfg.runs = explicit_runs or 1
        if not os.access(QX_SIM, os.X_OK):
            sys.exit(f"{QX_SIM} is missing: cargo build --release -p ups-sim")
        run_only_serial(cfg)
        return

    if cfg.from_json:
        with open(cfg.from_json) as f:
            saved = json.load(f)
        cfg.runs = len(saved["results"]["epoll"])
        cfg.idle_runs = len(saved["results"]["runs"]["nut_idle"])
        md = report(saved["results"], cfg, saved.get("started", "?"), saved.get("elapsed", 0),
                    saved["machine"], saved.get("command", cfg.command))
        with open(cfg.out, "w") as f:
            f.write(md)
        log(f"wrote {cfg.out} from {cfg.from_json}")
        return

    for path, fix in ((QX_DRIVERS["nut"], "apt-get install nut-server"),
                      (QX_DRIVERS["ours"], "cargo build --release -p nutdrv_qx"),
                      (QX_SIM, "cargo build --release -p ups-sim")):
        if not os.access(path, os.X_OK):
            sys.exit(f"{path} is missing: {fix}")
    if cfg.only == "qx":
        run_only_qx(cfg)
        return

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 10300:
        sys.exit(f"the hard open-files limit is {hard}; the 10,000-idle-client test needs about "
                 "10,300: raise it (e.g. `ulimit -Hn 65536` as root) and rerun")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    for impl, b in IMPLS.items():
        for k in ("upsd", "dummy-ups", "upsmon"):
            if not os.access(b[k], os.X_OK):
                sys.exit(f"{b[k]} is missing: " + ("apt-get install nut-server nut-client"
                                                    if impl == "nut" else
                                                    "cargo build --release -p upsd -p dummy-ups -p upsmon"))
    if not os.access(BENCH, os.X_OK):
        sys.exit(f"{BENCH} is missing: cargo build --release --manifest-path bench/Cargo.toml")

    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    machine = machine_details()
    t0 = time.time()
    res = {"epoll": [], "runs": {k: [] for k in
                                 ("nut", "ours", "nut_idle", "ours_idle", "nut_mon", "ours_mon")},
           "qx": []}
    for i in range(cfg.runs):
        # Alternate the order so neither implementation always runs on a warmer machine.
        order = ("nut", "ours") if i % 2 == 0 else ("ours", "nut")
        log(f"run {i + 1}/{cfg.runs}: minimal epoll server")
        res["epoll"].append(measure_epoll(cfg))
        for impl in order:
            log(f"run {i + 1}/{cfg.runs}: {impl} load")
            res["runs"][impl].append(measure_load(impl, cfg))
            if i < cfg.idle_runs:
                # Connecting 10,000 clients to NUT takes about half a minute (its poll loop is
                # O(connections) per accept), so these run fewer times than the rest.
                log(f"run {i + 1}/{cfg.runs}: {impl} idle clients")
                r = {}
                for n in (5000, 10000):
                    r.update(measure_idle(impl, cfg, n))
                res["runs"][f"{impl}_idle"].append(r)
    for i in range(cfg.runs):
        log(f"run {i + 1}/{cfg.runs}: nutdrv_qx, both drivers for {cfg.qx_secs} s")
        res["qx"].append(measure_qx(cfg))
    for impl in ("nut", "ours"):
        log(f"{impl}: upsmon and status change -> NOTIFYCMD ({cfg.trials} trials)")
        res["runs"][f"{impl}_mon"].append(measure_monitor(impl, cfg))
    elapsed = time.time() - t0
    machine["loadavg_end"] = machine_details()["loadavg"]
    os.makedirs(os.path.join(ROOT, "bench", "target"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "target", "results.json"), "w") as f:
        json.dump({"machine": machine, "results": res, "started": started, "elapsed": elapsed,
                   "command": cfg.command, "quick": cfg.quick}, f, indent=1)
    md = report(res, cfg, started, elapsed, machine, cfg.command)
    with open(cfg.out, "w") as f:
        f.write(md)
    log(f"wrote {cfg.out} in {elapsed / 60:.1f} min")


if __name__ == "__main__":
    main()
