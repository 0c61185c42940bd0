#!/usr/bin/env python3
"""A Megatec-family UPS on a pty, for tests: answers each CR-terminated command from a
transcript (`> cmd` / `< answer` lines with C escapes, as in NUT's testing tables).
Usage: pty_responder.py TRANSCRIPT LINK — creates the symlink LINK to the pty slave, prints
"ready" on stdout, then serves until killed. Unknown commands get no answer."""
import os, pty, re, select, sys, tty

def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s):
            n = s[i + 1]
            if n == 'x':
                m = re.match(r'[0-9a-fA-F]{1,2}', s[i + 2:])
                if m:
                    out.append(int(m.group(0), 16)); i += 2 + len(m.group(0)); continue
            out.extend({'r': b'\r', 'n': b'\n', 't': b'\t', '0': b'\0'}.get(n, n.encode()))
            i += 2
            continue
        out.extend(c.encode()); i += 1
    return bytes(out)

def main():
    path, link = sys.argv[1], sys.argv[2]
    answers, cmd = {}, None
    for line in open(path, encoding='utf-8'):
        line = line.rstrip('\n')
        if line.startswith('> '):
            cmd = unescape(line[2:])
            if not cmd.endswith(b'\r'):
                cmd += b'\r'
        elif (line.startswith('< ') or line == '<') and cmd is not None:
            answers[cmd] = unescape(line[2:])
            cmd = None
    master, slave = pty.openpty()
    tty.setraw(slave)
    name = os.ttyname(slave)
    try:
        os.unlink(link)
    except FileNotFoundError:
        pass
    os.symlink(name, link)
    print('ready', flush=True)
    buf = b''
    while True:
        r, _, _ = select.select([master], [], [], 1.0)
        if not r:
            continue
        try:
            data = os.read(master, 256)
        except OSError:
            continue
        buf += data
        while b'\r' in buf:
            c, buf = buf.split(b'\r', 1)
            a = answers.get(c + b'\r')
            if a:
                os.write(master, a)

main()
