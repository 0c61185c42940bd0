#!/usr/bin/env python3
"""Compare our dummy-ups with Debian's on many .dev files, at the driver socket (DUMPALL) and
optionally through Debian's upsd and clients (upsc, upsc <var>, upsrw -l, upscmd -l).

usage: compare_dumps.py OUR_DUMMY_UPS DEV_DIR [--clients] [--limit N]
       compare_dumps.py --self-test

A file passes only when Debian's dump is complete (SETINFO lines, ends with DUMPDONE) and ours
is the same: an empty dump, one cut before DUMPDONE, or the same failure on both sides is a
failure, not an agreement (judge_dump; --self-test checks those rules).

Starts one driver per file per implementation (all at once, many UPSes per state directory),
then compares. Prints one line per mismatching file and a closing 'N passed, N failed' line;
exits 1 on any mismatch. Needs root (drivers run with -u root) and Debian's NUT in /lib/nut.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DEBIAN = "/lib/nut/dummy-ups"


# What NUT 2.8.1-2.8.5's driver framework adds to every driver and Debian's 2.8.0 lacks:
# driver.state, driver.debug and driver.flag.allow_killpower, and the commands driver.killpower,
# driver.reload, driver.reload-or-error, driver.reload-or-exit and shutdown.default. Our
# driver publishes them (tested against the 2.8.5 man pages elsewhere); here they are set
# aside, in every form the socket and the clients show them.
ADDED_VARS = r"(driver\.debug|driver\.flag\.allow_killpower|driver\.state)"
ADDED_CMDS = r"(driver\.killpower|driver\.reload|driver\.reload-or-error|driver\.reload-or-exit|shutdown\.default)"
ADDED = [
    re.compile(r"^(SETINFO|SETFLAGS|SETAUX) %s( .*)?\n" % ADDED_VARS, re.M),
    re.compile(r"^ADDCMD %s\n" % ADDED_CMDS, re.M),
    re.compile(r"^%s: .*\n" % ADDED_VARS, re.M),
    re.compile(r"^%s( - .*)?\n" % ADDED_CMDS, re.M),
    re.compile(r"^\[%s\]\n(.+\n)*\n?" % ADDED_VARS, re.M),
]


def normalize(text):
    """NUT's drivers in synchronous=auto mode switch to yes when a reader is too slow for the
    socket buffer: a race that depends on machine load, so that one value is not compared.
    The 2.8.5 framework additions (ADDED) are removed."""
    for r in ADDED:
        text = r.sub("", text)
    return text.replace('driver.parameter.synchronous "yes"', 'driver.parameter.synchronous "auto"').replace(
        "driver.parameter.synchronous: yes", "driver.parameter.synchronous: auto")


# Our NUT version (2.8.5), which the Rust caller passes: ours publishes it as driver.version
# where Debian's 2.8.0 publishes 2.8.0. Only that value is mapped to Debian's before comparing.
OUR_VERSION = os.environ.get("NUT_OUR_VERSION")


def deb_version_of(dump):
    m = re.search(r'SETINFO driver.version "([^"]*)"', dump)
    return m.group(1) if m else None


def as_debian(text, deb_v, single=False):
    """Our driver.version read as Debian's (socket SETINFO, upsc list, upsc <var> views)."""
    if not OUR_VERSION or not deb_v:
        return text
    text = text.replace('driver.version "%s"' % OUR_VERSION, 'driver.version "%s"' % deb_v)
    text = text.replace("driver.version: %s\n" % OUR_VERSION, "driver.version: %s\n" % deb_v)
    if single and text.startswith(OUR_VERSION + "\n"):
        text = deb_v + text[len(OUR_VERSION):]
    return text


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def dumpall(path, timeout=10.0):
    """Send DUMPALL to a driver socket and return the text up to DUMPDONE."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(b"DUMPALL\n")
    buf = b""
    # NUT 2.8.5 drivers broadcast driver.state at every poll: read up to DUMPDONE and no further.
    while b"DUMPDONE\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    if b"DUMPDONE\n" in buf:
        buf = buf[:buf.index(b"DUMPDONE\n") + len(b"DUMPDONE\n")]
    return buf.decode("latin-1")


def judge_dump(theirs, ours):
    """None when both dumps agree and show a real dump; otherwise why the file fails.

    Equal texts are not enough: two empty answers, two dumps cut before DUMPDONE or two
    identical connection errors would compare equal while checking nothing."""
    def problem(text):
        if text.startswith("ERROR "):
            return "no dump (%s)" % text[len("ERROR "):].strip()
        if not text:
            return "empty dump"
        if not text.endswith("DUMPDONE\n"):
            return "dump lacks DUMPDONE (%d bytes)" % len(text)
        if "\nSETINFO " not in "\n" + text:
            return "empty dump (no SETINFO before DUMPDONE)"
        return None

    p_theirs, p_ours = problem(theirs), problem(ours)
    if p_theirs:
        if theirs == ours:
            return "both sides failed the same way: %s" % p_theirs
        return "Debian's driver: %s" % p_theirs
    if p_ours:
        return "ours: %s" % p_ours
    if theirs != ours:
        return "DUMPALL differs"
    return None


def self_test():
    """The comparison rules, on made-up dumps."""
    good = 'SETINFO battery.charge "100"\nDATAOK\nDUMPDONE\n'
    assert judge_dump(good, good) is None
    assert judge_dump(good, good.replace("100", "99")) == "DUMPALL differs"
    assert judge_dump("", "") == "both sides failed the same way: empty dump"
    assert judge_dump("DATAOK\nDUMPDONE\n", "DATAOK\nDUMPDONE\n").startswith(
        "both sides failed the same way: empty dump")
    cut = 'SETINFO battery.charge "100"\n'
    assert judge_dump(cut, cut) == "both sides failed the same way: dump lacks DUMPDONE (29 bytes)"
    assert judge_dump(good, cut) == "ours: dump lacks DUMPDONE (29 bytes)"
    assert judge_dump(cut, good) == "Debian's driver: dump lacks DUMPDONE (29 bytes)"
    err = "ERROR [Errno 111] Connection refused"
    assert judge_dump(err, err) == "both sides failed the same way: no dump ([Errno 111] Connection refused)"
    assert judge_dump(good, err).startswith("ours: no dump")
    print("compare_dumps self-test: ok")
    return 0


class Stack:
    """Drivers (ours or Debian's) for a list of files, plus optionally Debian's upsd."""

    def __init__(self, binary, files, with_upsd):
        self.dir = tempfile.mkdtemp(prefix="dummycmp.")
        self.names = ["u%d" % i for i in range(len(files))]
        self.files = files
        self.procs = []
        with open(os.path.join(self.dir, "ups.conf"), "w") as f:
            for n, path in zip(self.names, files):
                f.write('[%s]\n driver = dummy-ups\n port = "%s"\n' % (n, path))
        env = dict(os.environ, NUT_CONFPATH=self.dir, NUT_STATEPATH=self.dir, NUT_ALTPIDPATH=self.dir)
        self.env = env
        # Our binary must be called dummy-ups: the socket name comes from the program name.
        for n in self.names:
            p = subprocess.Popen([binary, "-a", n, "-u", "root", "-F", "-q"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.procs.append(p)
        deadline = time.time() + 60
        for n in self.names:
            sock = os.path.join(self.dir, "dummy-ups-" + n)
            while not os.path.exists(sock) and time.time() < deadline:
                time.sleep(0.05)
        # Debian's driver finishes its start-up (device.* copies) about a second after the
        # socket appears.
        time.sleep(1.5)
        self.port = None
        if with_upsd:
            self.port = free_port()
            with open(os.path.join(self.dir, "upsd.conf"), "w") as f:
                f.write("LISTEN 127.0.0.1 %d\nSTATEPATH %s\n" % (self.port, self.dir))
            with open(os.path.join(self.dir, "upsd.users"), "w") as f:
                f.write("[admin]\n password = p\n actions = SET\n instcmds = ALL\n")
            os.chmod(os.path.join(self.dir, "upsd.users"), 0o600)
            p = subprocess.Popen(["/lib/nut/upsd", "-u", "root", "-F"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.procs.append(p)
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                    break
                except OSError:
                    time.sleep(0.1)
            time.sleep(2)

    def dump(self, i):
        # NUT's driver drops a client whose socket buffer fills during a big DUMPALL, so a
        # truncated answer is retried.
        out = ""
        for _ in range(5):
            try:
                out = dumpall(os.path.join(self.dir, "dummy-ups-" + self.names[i]))
            except OSError as e:
                out = "ERROR %s" % e
            if out.endswith("DUMPDONE\n"):
                break
        return out

    def client(self, args):
        r = subprocess.run(args, env=self.env, capture_output=True, timeout=30)
        err = b"\n".join(l for l in r.stderr.splitlines() if b"Init SSL" not in l)
        return r.stdout.decode("latin-1") + "\n--stderr--\n" + err.decode("latin-1")

    def client_views(self, i):
        ups = "%s@127.0.0.1:%d" % (self.names[i], self.port)
        out = {"upsc": self.client(["upsc", ups]),
               "upsrw": self.client(["upsrw", "-l", ups]),
               "upscmd": self.client(["upscmd", "-l", ups])}
        for line in out["upsc"].splitlines()[:3]:
            var = line.split(":")[0]
            if var and "--stderr--" not in line:
                out["upsc " + var] = self.client(["upsc", ups, var])
        return out

    def close(self):
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def files_in(devdir):
    files = []
    for root, _, names in os.walk(devdir):
        files += [os.path.join(root, n) for n in names if n.endswith(".dev")]
    files.sort()
    return files


def main():
    args = sys.argv[1:]
    if args == ["--self-test"]:
        return self_test()
    clients = "--clients" in args
    limit = None
    if "--limit" in args:
        limit = int(args[args.index("--limit") + 1])
    ours_bin, devdir = [a for a in args if not a.startswith("--") and not a.isdigit()][:2]
    if not os.path.exists(DEBIAN) or not shutil.which("upsc"):
        # The Rust caller skips (and records it) before running this without Debian's NUT.
        print("Debian's NUT is not installed (apt-get install nut-server nut-client)")
        return 2
    if not files_in(devdir):
        print("no .dev files under %s" % devdir)
        return 2
    files = files_in(devdir)
    if limit:
        files = files[:limit]
    # The drivers' program name must be dummy-ups for the socket names to match.
    bindir = tempfile.mkdtemp(prefix="dummybin.")
    ours_link = os.path.join(bindir, "dummy-ups")
    os.symlink(os.path.abspath(ours_bin), ours_link)
    passed = failed = 0
    batch = 60
    for start in range(0, len(files), batch):
        chunk = files[start:start + batch]
        theirs = Stack(DEBIAN, chunk, clients)
        ours = Stack(ours_link, chunk, clients)
        try:
            for i, path in enumerate(chunk):
                a = normalize(theirs.dump(i))
                deb_v = deb_version_of(a)
                b = as_debian(normalize(ours.dump(i)), deb_v)
                bad = []
                why = judge_dump(a, b)
                if why:
                    bad.append(why)
                if clients:
                    va = theirs.client_views(i)
                    vb = ours.client_views(i)
                    for k in va:
                        ta = normalize(va[k]).replace(theirs.names[i], "U")
                        tb = as_debian(normalize(vb.get(k, "")), deb_v, k == "upsc driver.version")
                        tb = tb.replace(ours.names[i], "U")
                        if ta != tb:
                            bad.append(k)
                            if os.environ.get("SHOW_DIFF"):
                                import difflib
                                sys.stdout.writelines(difflib.unified_diff(ta.splitlines(True), tb.splitlines(True), "debian " + k, "ours " + k))
                if bad:
                    failed += 1
                    print("MISMATCH %s: %s" % (os.path.relpath(path, devdir), ", ".join(bad)))
                    if os.environ.get("SHOW_DIFF"):
                        import difflib
                        sys.stdout.writelines(difflib.unified_diff(a.splitlines(True), b.splitlines(True), "debian", "ours"))
                else:
                    passed += 1
        finally:
            theirs.close()
            ours.close()
    shutil.rmtree(bindir, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
