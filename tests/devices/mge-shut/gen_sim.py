#!/usr/bin/env python3
"""Write a SHUT device description for ups-sim from a HID recording.

    gen_sim.py          (writes eaton-3s-700.sim, eaton-protection-station.sim here)

Input: the report descriptor (.hex) and the reports (.reports.txt, or the report bytes of a
.values.tsv) of MGE/Eaton units in ../shared/testdata/hid-descriptors (see SOURCES there),
plus the device descriptor and the strings below (a SHUT unit answers GET_DESCRIPTOR like a USB one; the recordings have no
strings, so they are ours, marked `added` in the output).

The SHUT framing (NUT 2.8.5 drivers/libshut.c): request = one packet
`0x81 0x88 <8 setup bytes> <xor>`, SET_REPORT = `0x01 0x88 <setup> <xor>` then
`0x81 <n|n<<4> <report> <xor>`; the UPS ACKs (0x06) each request packet and answers a GET
with response packets `0x04|0x80(last) <n|n<<4> <up to 8 bytes> <xor>`. The simulator sends
all answer packets at once instead of waiting for the host's ACK of each: both drivers read
them in order from the line and ACK each; their ACK bytes start no command and are dropped.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "../../../../shared/testdata/hid-descriptors"))

VID, PID, BCD = 0x0463, 0xFFFF, 0x0100
# wLength of the string requests NUT's drivers send: 128 (manufacturer, product at open),
# 0x25 (serial at open), 512 (SMALLBUF: mge-hid's iModel), 20 (usbhid-ups's string
# conversions).
STRING_LENGTHS = [20, 0x25, 128, 512]

# One entry per description. String indexes are those the descriptor's PowerSummary.i* (and
# System.USB.iVersion) fields hold in the recorded report 0x10; the strings themselves are
# ours (the recordings have none).
DEVICES = [
    {
        "name": "eaton-3s-700",
        "stem": "0463-ffff-eaton-3s-700",
        "what": "Eaton 3S 700 fw 02.08.001, NUT issue #2887",
        "reports": "reports.txt",
        "reports_what": "the Feature reports of a second Eaton 3S (same descriptor)",
        "strings": {
            1: "EATON",
            2: "Eaton 3S",
            4: "000000000000",
            5: "PbAc",
            6: "02.08.0001",
            7: "3S700D",
            8: "INTERFACE",
            11: "Eaton 3S 700",
        },
        "ids": (1, 2, 4),
        "expect": [("battery.charge", "100"), ("battery.runtime", "3360"), ("ups.status", "OL"), ("ups.vendorid", "0463")],
        # (report, value, what) SET_REPORTs the UPS acknowledges.
        "sets": [(0x22, 30, "battery.charge.low 30"), (0x20, 1, "beeper.disable"), (0x20, 2, "beeper.enable")],
    },
    {
        "name": "eaton-protection-station",
        "stem": "0463-ffff-eaton-protection-station",
        "what": "Eaton Protection Station, NUT issue #1286",
        "reports": "values.tsv",
        "reports_what": "the report bytes of the values NUT decoded (NUT 2.7.4 debug log; the rows transcribed)",
        "strings": {
            1: "EATON",
            2: "Protection Station",
            3: "Protection Station 650",
            4: "000000000000",
            5: "PbAc",
            6: "01.00.0000",
        },
        "ids": (1, 2, 4),
        "expect": [("battery.charge", "100"), ("battery.runtime", "1875"), ("ups.status", "OL"), ("ups.vendorid", "0463")],
        "sets": [(0x20, 1, "beeper.disable"), (0x20, 2, "beeper.enable")],
    },
]


def read_hex(path):
    out = bytearray()
    for line in open(path):
        line = line.split("#", 1)[0]
        out += bytes(int(t, 16) for t in line.split())
    return bytes(out)


def read_reports(path):
    """`.reports.txt` (id, bytes) or `.values.tsv` (the report bytes of each decoded row)."""
    reps = {}
    for line in open(path):
        if line.startswith("#") or not line.strip() or line.startswith("path\t"):
            continue
        cols = line.rstrip("\n").split("\t")
        if path.endswith(".values.tsv"):
            rid, data = int(cols[2], 16), cols[6]
        else:
            rid, data = int(cols[0]), cols[1]
        reps.setdefault(rid, bytes(int(t, 16) for t in data.split()))
    return reps


def report_lengths(desc):
    """NUT's replen[id]: the longest Input/Output/Feature form of each report, in bytes."""
    size = count = rid = 0
    stack = []
    bits = {}  # (type, id) -> bits
    i = 0
    while i < len(desc):
        b = desc[i]
        if b == 0xFE:  # long item
            i += 3 + desc[i + 1]
            continue
        n = [0, 1, 2, 4][b & 3]
        val = int.from_bytes(desc[i + 1 : i + 1 + n], "little")
        tag, typ = b & 0xFC, (b >> 2) & 3
        if typ == 0 and tag in (0x80, 0x90, 0xB0):  # Input, Output, Feature
            bits[(tag, rid)] = bits.get((tag, rid), 0) + size * count
        elif typ == 1:
            if tag == 0x74:
                size = val
            elif tag == 0x94:
                count = val
            elif tag == 0x84:
                rid = val
            elif tag == 0xA4:
                stack.append((size, count, rid))
            elif tag == 0xB4 and stack:
                size, count, rid = stack.pop()
        i += 1 + n
    lens = {}
    for (_, r), nbits in bits.items():
        lens[r] = max(lens.get(r, 0), (nbits + 7) // 8)
    return lens


def xor(data):
    c = 0
    for b in data:
        c ^= b
    return c


def packet(ptype, last, data):
    assert len(data) <= 8
    n = len(data)
    return bytes([ptype | (0x80 if last else 0), (n << 4) | n]) + data + bytes([xor(data)])


def setup(rt, req, value, index, length):
    return bytes([rt, req]) + value.to_bytes(2, "little") + index.to_bytes(2, "little") + length.to_bytes(2, "little")


def request(s):
    return packet(0x01, True, s)


def answer(data):
    """ACK, then the data in response packets of 8 bytes, the last one flagged."""
    if not data:
        return b"\x06" + packet(0x04, True, b"")
    chunks = [data[i : i + 8] for i in range(0, len(data), 8)]
    return b"\x06" + b"".join(packet(0x04, i == len(chunks) - 1, c) for i, c in enumerate(chunks))


def esc(b):
    return "".join("\\x%02x" % x for x in b)


def rule(cmd, reply, comment=None):
    line = '"%s" -> "%s"' % (esc(cmd), esc(reply))
    return ("# %s\n" % comment if comment else "") + line


def string_desc(s, wlength):
    full = bytes([2 + 2 * len(s), 3]) + b"".join(bytes([ord(c), 0]) for c in s)
    if len(full) <= wlength:
        return full
    n = wlength - (wlength % 2)
    return bytes([n]) + full[1:n]


def generate(dev):
    STEM = dev["stem"]
    STRINGS = dev["strings"]
    I_MFR, I_PRODUCT, I_SERIAL = dev["ids"]
    real = read_hex(os.path.join(DATA, STEM + ".hex"))
    # Debian's NUT 2.8.0 libshut reads the report descriptor length of the HID descriptor
    # through a misaligned struct, as (low byte) * 257 (NUT issue #2022, fixed in 2.8.1 by
    # commit 4fe3c7874): it can only read descriptors of 257 * n bytes. So that both drivers
    # read it, the descriptor is padded to the next such length with Usage Page items, which
    # define no field (both parsers ignore global items after the last collection).
    n = -(-len(real) // 257)
    pad = 257 * n - len(real)
    assert pad % 2 == 0
    desc = real + b"\x05\x84" * (pad // 2)
    reports = read_reports(os.path.join(DATA, STEM + "." + dev["reports"]))
    lens = report_lengths(desc)
    out = []
    w = out.append
    w("# Generated by gen_sim.py (edit that, not this file).")
    w("device %s" % dev["name"])
    w("source ../shared/testdata/hid-descriptors/%s.hex: the report descriptor (%d bytes), %s" % (STEM, len(real), dev["what"]))
    w("source ../shared/testdata/hid-descriptors/%s.%s: %s, the on-line state" % (STEM, dev["reports"], dev["reports_what"]))
    w("source NUT 2.8.5 drivers/libshut.c (fact source): SHUT sync byte 0x18 echoed, request/response packets, ACK 0x06, GET_DESCRIPTOR/GET_REPORT/SET_REPORT setup layout, every report asked as Feature with wLength = longest form + 1")
    w("added the device descriptor (0463:ffff, bcdDevice 1.00, strings 1/2/4) and the strings, which the recordings lack")
    w("added the report descriptor is padded from %d to %d bytes with Usage Page items (no fields): Debian 2.8.0 reads its length as low byte * 257 (NUT issue #2022, fixed by commit 4fe3c7874 in 2.8.1)" % (len(real), len(desc)))
    w("added reports the recording lacks are answered with an empty response packet (no such report)")
    w("added onbattery: PresentStatus (report 0x01) ACPresent 0 Discharging 1, charge 80 %, runtime 2400 s; lowbatt: also BelowRemainingCapacityLimit 1, charge 15 %, runtime 300 s")
    w("added the answers come all at once rather than one packet per host ACK (both drivers read them in order)")
    w("framing prefix")
    w("driver mge-shut")
    for var, val in dev["expect"]:
        w("expect %s %s" % (var, val))
    w("")
    w("state online")
    w(rule(b"\x18", b"\x18", "sync, notifications off"))
    dd = bytes([18, 1, 0x10, 0x01, 0, 0, 0, 8]) + VID.to_bytes(2, "little") + PID.to_bytes(2, "little")
    dd += BCD.to_bytes(2, "little") + bytes([I_MFR, I_PRODUCT, I_SERIAL, 1])
    w(rule(request(setup(0x80, 6, 0x0100, 0, 18)), answer(dd), "GET_DESCRIPTOR device"))
    hid = bytes([9, 0x21, 0x10, 0x01, 0x21, 1, 0x22]) + len(desc).to_bytes(2, "little")
    w(rule(request(setup(0x81, 6, 0x2100, 0, 9)), answer(hid), "GET_DESCRIPTOR HID"))
    w(rule(request(setup(0x81, 6, 0x2200, 0, len(desc))), answer(desc), "GET_DESCRIPTOR report (%d bytes)" % len(desc)))
    for idx, s in sorted(STRINGS.items()):
        for wl in STRING_LENGTHS:
            w(rule(request(setup(0x80, 6, 0x0300 | idx, 0, wl)), answer(string_desc(s, wl)), "string %d, wLength %d: %s" % (idx, wl, s)))
    for rid in sorted(lens):
        wl = lens[rid] + 1
        data = reports.get(rid, b"")
        w(rule(request(setup(0xA1, 1, 0x0300 | rid, 0, wl)), answer(data[:wl]), "GET_REPORT 0x%02x (%d bytes)%s" % (rid, wl, "" if data else ": not in the recording")))
    # SET_REPORT of RemainingCapacityLimitSetting (report 0x22, battery.charge.low) to 30 %,
    # and of BatterySystem.Battery.AudibleAlarmControl (report 0x20: 1 = disabled,
    # 2 = enabled; beeper.disable / beeper.enable): the setup packet, then the report.
    seen = set()
    for rid, val, what in dev["sets"]:
        rep = bytes([rid, val])
        if rid not in seen:
            seen.add(rid)
            w(rule(packet(0x01, False, setup(0x21, 9, 0x0300 | rid, 0, len(rep))), b"\x06", "SET_REPORT 0x%02x: setup" % rid))
        w(rule(packet(0x01, True, rep), b"\x06", "SET_REPORT 0x%02x: data (%s)" % (rid, what)))
    w("")

    def status_state(name, status, charge, runtime):
        w("state %s like online" % name)
        r1 = bytes([0x01, status]) + reports[1][2:]
        w(rule(request(setup(0xA1, 1, 0x0301, 0, lens[1] + 1)), answer(r1), "PresentStatus 0x%02x" % status))
        r6 = bytes([0x06, charge]) + runtime.to_bytes(4, "little")
        w(rule(request(setup(0xA1, 1, 0x0306, 0, lens[6] + 1)), answer(r6), "charge %d %%, runtime %d s" % (charge, runtime)))
        w("")

    status_state("onbattery", 0x30, 80, 2400)
    status_state("lowbatt", 0x32, 15, 300)
    with open(os.path.join(HERE, dev["name"] + ".sim"), "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    for d in DEVICES:
        generate(d)
