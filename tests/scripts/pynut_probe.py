"""Drive Debian's python3-nut (PyNUT.PyNUTClient) through its whole API against one upsd and
print every result, so the output can be compared between Debian's upsd and ours.

Usage: python3 pynut_probe.py <port> <ups>
"""
import sys
import time

import PyNUT

port = int(sys.argv[1])
ups = sys.argv[2]


# What NUT 2.8.1-2.8.5's driver framework adds to every UPS (our drivers follow 2.8.5, the
# Debian 2.8.0 reference has none): set aside, as nut_tests::without_driver_2_8_5_additions.
DRIVER_2_8_5 = {b"driver.debug", b"driver.flag.allow_killpower", b"driver.state", b"driver.killpower",
                b"driver.reload", b"driver.reload-or-error", b"driver.reload-or-exit", b"shutdown.default"}


def show(label, fn):
    try:
        r = fn()
        if isinstance(r, dict):
            r = sorted((k, v) for k, v in r.items() if k not in DRIVER_2_8_5)
        print("%s: %r" % (label, r))
    except Exception as e:  # PyNUT raises PyNUTError with the server's reply.
        print("%s: raised %s %r" % (label, type(e).__name__, e.args))


anon = PyNUT.PyNUTClient(host="127.0.0.1", port=port, timeout=5)
show("ver", anon.ver)
show("help", anon.help)
show("list", anon.GetUPSList)
show("vars", lambda: anon.GetUPSVars(ups))
show("vars-unknown", lambda: anon.GetUPSVars("nope"))
show("cmds", lambda: anon.GetUPSCommands(ups))
show("rw", lambda: anon.GetRWVars(ups))
show("set-anon", lambda: anon.SetRWVar(ups, "ups.mfr", "X"))
show("cmd-anon", lambda: anon.RunUPSCommand(ups, "load.off"))

admin = PyNUT.PyNUTClient(host="127.0.0.1", port=port, login="admin", password="adminpw", timeout=5)
show("set", lambda: admin.SetRWVar(ups, "ups.mfr", "Changed"))
show("set-readonly", lambda: admin.SetRWVar(ups, "driver.name", "x"))
show("cmd", lambda: admin.RunUPSCommand(ups, "load.off"))
show("cmd-unknown", lambda: admin.RunUPSCommand(ups, "no.such.cmd"))
show("fsd-admin", lambda: admin.FSD(ups))

mon = PyNUT.PyNUTClient(host="127.0.0.1", port=port, login="mon", password="monpw", timeout=5)
show("fsd-mon", lambda: mon.FSD(ups))


def after_set():
    # The SET VAR above reaches the driver and comes back asynchronously (on NUT's upsd as on
    # ours): wait for it, with a deadline, instead of racing it.
    deadline = time.time() + 10
    while True:
        v = mon.GetUPSVars(ups)
        if v.get(b"ups.mfr") == b"Changed" or time.time() > deadline:
            return v
        time.sleep(0.05)


show("vars-after-fsd", after_set)
show("clients", lambda: mon.ListClients(ups))
