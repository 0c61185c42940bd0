#!/usr/bin/env python3
"""Write a ups-sim description (framing prefix) for an APC Smart-protocol UPS from an apcupsd
`apcaccess status` dump: each STATUS field is the decoded answer to one Smart command (apcupsd
manual, smartprotocol.rst; NUT's protocol page protocols/apcsmart.html); the raw answer is
rebuilt in the format the protocol page shows for that command (e.g. LINEV 235.3 -> L "235.3",
TIMELEFT 105.0 -> j "0105:", SENSE High -> s "H"). Fields shown as N/A are commands the unit
does not take (answer NA).

usage: from-apcupsd.py STATUS_FILE NAME [--start online|onbattery] > NAME.sim
"""
import re
import sys

ESPHOME_A = "syssi/esphome-apc-ups components/apc_ups/apc_ups.cpp (a unit's `a` answer quoted in a comment)"
CAPS_SRC = ("apcupsd manual doc/manual/smartprotocol.rst \"Capabilities\" table (therealbstern/apcupsd "
            "@224d19d5), as quoted in shared/testdata/apcsmart-transcripts/protocol-doc-examples/apcsmart-command-table.txt")

# The capability table of the apcupsd manual, per locale (RSP, FSZ, values).
CAPS = [
    ("u", "D", ["127", "130", "133", "136"]), ("u", "M", ["229", "234", "239", "224"]),
    ("u", "A", ["108", "110", "112", "114"]), ("u", "I", ["253", "257", "261", "265"]),
    ("l", "D", ["106", "103", "100", "097"]), ("l", "M", ["177", "172", "168", "182"]),
    ("l", "A", ["092", "090", "088", "086"]), ("l", "I", ["208", "204", "200", "196"]),
    ("e", "4", ["00", "15", "50", "90"]), ("o", "D", ["115"]), ("o", "J", ["100"]),
    ("o", "I", ["230"]), ("o", "M", ["208"]), ("s", "4", ["H", "M", "L", "L"]),
    ("q", "4", ["02", "05", "07", "10"]), ("p", "4", ["020", "180", "300", "600"]),
    ("k", "4", ["0", "T", "L", "N"]), ("r", "4", ["000", "060", "180", "300"]),
    ("E", "4", ["336", "168", " ON", "OFF"]),
]


def num(v):
    m = re.match(r"\s*(-?[0-9.]+)", v)
    return float(m.group(1)) if m else None


def esc(b):
    out = ""
    for ch in b:
        c = ord(ch)
        if ch == '"' or ch == "\\":
            out += "\\" + ch
        elif ch == "\r":
            out += "\\r"
        elif ch == "\n":
            out += "\\n"
        elif c < 0x20 or c > 0x7E:
            out += "\\x%02X" % c
        else:
            out += ch
    return out


SENSE = {"High": "H", "Medium": "M", "Low": "L", "Auto Adjust": "A"}
ALARM = {"5 seconds": "0", "30 seconds": "T", "Low Battery": "L", "No alarm": "N"}
XFER = {
    "Unacceptable Utility Voltage Change": "R", "High line voltage": "H", "Low line voltage": "L",
    "Line voltage notch or spike": "T", "No transfers since turnon": "O",
    "Automatic or explicit self test": "S", "Automatic or explicit SelfTest": "S",
}


def raw_replies(f):
    """(command byte, raw answer) per supported field."""
    r = {}

    def fl(key, cmd, fmt):
        v = f.get(key)
        if v is not None and num(v) is not None:
            r[cmd] = fmt % num(v)

    if "MODEL" in f:
        r["\x01"] = f["MODEL"]
    if f.get("UPSNAME", "N/A") != "N/A":
        r["c"] = f["UPSNAME"]
    fl("LINEV", "L", "%05.1f")
    fl("MAXLINEV", "M", "%05.1f")
    fl("MINLINEV", "N", "%05.1f")
    fl("OUTPUTV", "O", "%05.1f")
    fl("LINEFREQ", "F", "%05.2f")
    fl("LOADPCT", "P", "%05.1f")
    fl("BCHARGE", "f", "%05.1f")
    fl("BATTV", "B", "%05.2f")
    fl("ITEMP", "C", "%05.1f")
    fl("HUMIDITY", "h", "%05.1f")
    fl("AMBTEMP", "t", "%05.1f")
    fl("DWAKE", "r", "%03d")
    fl("DSHUTD", "p", "%03d")
    fl("DLOWBATT", "q", "%02d")
    fl("LOTRANS", "l", "%03d")
    fl("HITRANS", "u", "%03d")
    fl("RETPCT", "e", "%02d")
    fl("NOMOUTV", "o", "%03d")
    fl("NOMBATTV", "g", "%03d")
    fl("EXTBATTS", ">", "%03d")
    fl("BADBATTS", "<", "%03d")
    if "TIMELEFT" in f and num(f["TIMELEFT"]) is not None:
        r["j"] = "%04d:" % num(f["TIMELEFT"])
    if f.get("SENSE") in SENSE:
        r["s"] = SENSE[f["SENSE"]]
    if f.get("ALARMDEL", "").strip() in ALARM:
        r["k"] = ALARM[f["ALARMDEL"].strip()]
    if f.get("LASTXFER") in XFER:
        r["G"] = XFER[f["LASTXFER"]]
    if f.get("SELFTEST", "N/A") != "N/A":
        r["X"] = f["SELFTEST"]
    if f.get("STESTI", "N/A") != "N/A":
        r["E"] = f["STESTI"]
    if "STATFLAG" in f:
        r["Q"] = "%02X" % (int(f["STATFLAG"].split()[0], 16) & 0xFF)
    for key, cmd in (("DIPSW", "7"), ("REG1", "~"), ("REG2", "'"), ("REG3", "8")):
        if f.get(key, "N/A") != "N/A":
            r[cmd] = "%02X" % int(f[key].split()[0], 16)
    for key, cmd in (("MANDATE", "m"), ("SERIALNO", "n"), ("BATTDATE", "x"), ("FIRMWARE", "b"), ("APCMODEL", "V")):
        if f.get(key, "N/A") != "N/A":
            r[cmd] = f[key]
    return r


def main():
    path, name = sys.argv[1], sys.argv[2]
    start = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--start" else "online"
    fields = {}
    for line in open(path, encoding="latin-1"):
        m = re.match(r"^([A-Z0-9 ]{8,9}): (.*?)\s*$", line.rstrip("\n"))
        if m:
            k = m.group(1).strip()
            v = m.group(2)
            if k == "MODEL":  # keep the blanks the UPS sends
                v = line.rstrip("\n").split(": ", 1)[1]
            fields.setdefault(k, v)
    r = raw_replies(fields)
    fw = r.get("b") or r.get("V") or ""
    loc = fw[-1:] if fw else "D"
    # Commands of a unit's `a` answer (esphome capture), without what this unit lacks
    # (fields apcupsd shows as N/A) and with what it has beyond it.
    cmds = "\x01\x0e\x1a')+-789@ABCDEFGKLMNOPQRSUVWXYZabcdefgjklmnopqrsuxyz~><ht"
    answers = set(r) | set("\x0e\x1a)+-@ADKRSUWYZadyz")
    cmdset = "".join(c for c in cmds if c in answers)
    caps = "#" + "".join(c + l + chr(48 + len(v)) + chr(48 + len(v[0])) + "".join(v)
                         for c, l, v in CAPS if (l == "4" or l == loc) and c in r)
    rel = "shared/testdata/apcsmart-transcripts/apcupsd-status/" + path.rsplit("/", 1)[-1]
    out = []
    p = out.append
    p("# %s: APC Smart protocol (apcsmart), generated by from-apcupsd.py" % name)
    p("device %s" % name)
    p("source %s (apcaccess status of the real unit: every value below)" % rel)
    p("source NUT protocols/apcsmart.html (networkupstools/nut-website @29fe221e) for the raw answer formats")
    p("added the command set `a` (its shape from %s), keeping the commands whose field the dump shows" % ESPHOME_A)
    p("added the capability string ^Z for locale %s from the %s" % (loc, CAPS_SRC))
    p("added on-battery and low-battery reply sets (Q 10 / 50, line voltage 000.0, charge and runtime falling)")
    p("added the answers OK to the test and shutdown commands, BYE to R, NA to anything else (protocol page)")
    p("framing prefix")
    p('unknown reply "NA\\r\\n"')
    p("driver apcsmart")
    model = r.get("\x01")
    # Units NUT knows by their V answer (its firmware table) are never asked ^A: NUT names
    # them Smart-UPS or Matrix-UPS itself.
    if model and r.get("V") not in ("6TD", "6TI", "6QD", "6QI", "7TD", "7TI", "8TD", "8TI"):
        p("expect ups.model %s" % model.strip())
    for var, cmd in (("input.voltage", "L"), ("battery.charge", "f"), ("ups.serial", "n")):
        if cmd in r:
            p("expect %s %s" % (var, r[cmd]))
    p("expect ups.status %s" % ("OL" if start == "online" else "OB"))
    p("start %s" % start)
    p("")
    p("state online")
    p('  "Y" -> "SM\\r\\n"')
    p('  "a" -> "%s\\r\\n"' % esc("3.!$%+?=#|." + cmdset))
    p('  "\\x1A" -> "%s\\r\\n"' % esc(caps))
    online = dict(r)
    if start != "online":
        online["Q"] = "08"
        online["L"] = online.get("O", "120.0")
    for cmd in sorted(online, key=lambda c: cmds.find(c) if c in cmds else 99):
        if cmd in ("u",):
            continue
        p('  "%s" -> "%s\\r\\n"' % (esc(cmd), esc(online[cmd])))
    if "u" in online:
        p('  "u" -> "%s\\r\\n" then online_u' % online["u"])
    for c, reply in (("A", "OK"), ("W", "OK"), ("D", "OK"), ("U", "OK"), ("S", "OK"), ("R", "BYE")):
        p('  "%s" -> "%s\\r\\n"' % (c, reply))
    p('  "@000" -> "OK\\r\\n"')
    p('  "K" -> none')
    p('  "Z" -> none')
    p('  "\\x0E" -> none')
    p('  "\\x1B" -> none')
    if "u" in online:
        uvals = next((v for c, l, v in CAPS if c == "u" and l == loc), None)
        if uvals and online["u"] in uvals:
            nxt = uvals[(uvals.index(online["u"]) + 1) % len(uvals)]
            p("")
            p("# Added: after a read of u (input.transfer.high), '-' steps it to the next capability value")
            p("# (the protocol page's '-' command); one step is modelled, for the SET tests.")
            p("state online_u like online")
            p('  "-" -> "OK\\r\\n" then online_u_next')
            p("")
            p("state online_u_next like online")
            p('  "u" -> "%s\\r\\n"' % nxt)
        else:
            p("")
            p("state online_u like online")
    p("")
    p("state onbattery like online")
    p('  "Q" -> "10\\r\\n"')
    # A unit captured on battery keeps its captured line voltage there.
    p('  "L" -> "%s\\r\\n"' % (r["L"] if start != "online" and "L" in r else "000.0"))
    if "u" in online:
        p('  "u" -> "%s\\r\\n"' % online["u"])
    if "G" in online and start == "online":
        p('  "G" -> "L\\r\\n"')
    p("")
    p("state lowbatt like onbattery")
    p('  "Q" -> "50\\r\\n"')
    if "f" in online:
        p('  "f" -> "008.0\\r\\n"')
    if "j" in online:
        p('  "j" -> "0001:\\r\\n"')
    print("\n".join(out))


main()
