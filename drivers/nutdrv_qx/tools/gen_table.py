#!/usr/bin/env python3
"""Turn the item table of a NUT nutdrv_qx subdriver (drivers/nutdrv_qx_<name>.c) into the data
part of drivers/nutdrv_qx/src/protocols/<name>.rs. Only the table rows are converted (their
fields are facts: names, commands, positions, formats, flags); the hooks (claim, preprocess
functions...) are written by hand in Rust and named in HOOKS below.

usage: gen_table.py <nut-source.c> [--hooks-only] [--off PREFIX]
  --off PREFIX: `#if` blocks of the table whose condition only ORs macros named PREFIX...
  are left out (they are 0 in NUT's default build, e.g. --off TESTING_AXPERT_ for
  voltronic-axpert's unmapped data points); any other preprocessor line stops the script.
  prints the Rust `pub static TABLE: &[Item] = &[...]` to stdout; with --hooks-only, the
  C function names the table refers to (so the Rust ones can be written first).
"""
import re, sys

# C hook name -> Rust path (add a line when a table refers to a new C function).
HOOKS = {
    'qx_multiply_battvolt': 'engine::multiply_battvolt',
    'qx_multiply_x1000': 'engine::multiply_x1000',
    'qx_multiply_m2s': 'engine::multiply_m2s',
    'blazer_process_status_bits': 'blazer::process_status_bits',
    'blazer_process_command': 'blazer::process_command',
    'blazer_process_setvar': 'blazer::process_setvar',
}
RW = {
    'blazer_r_ondelay': 'blazer::R_ONDELAY',
    'blazer_r_offdelay': 'blazer::R_OFFDELAY',
}
DFL = {'DEFAULT_ONDELAY': '"180"', 'DEFAULT_OFFDELAY': '"30"'}
QXF = {f'QX_FLAG_{n}': f'qf::{n}' for n in
       'STATIC SEMI_STATIC ABSENT QUICK_POLL CMD SETVAR TRIM ENUM RANGE NONUT SKIP'.split()}
STF = {'ST_FLAG_RW': 'st::RW', 'ST_FLAG_STRING': 'st::STRING', 'ST_FLAG_NUMBER': 'st::NUMBER'}


def split_fields(row):
    out, cur, q = [], '', False
    i = 0
    while i < len(row):
        c = row[i]
        if q:
            cur += c
            if c == '\\':
                cur += row[i + 1]
                i += 1
            elif c == '"':
                q = False
        elif c == '"':
            q = True
            cur += c
        elif c == "'":
            j = row.index("'", i + 2 if row[i + 1] == '\\' else i + 1)
            cur += row[i:j + 1]
            i = j
        elif c == ',':
            out.append(cur.strip())
            cur = ''
        else:
            cur += c
        i += 1
    out.append(cur.strip())
    return out


def off_prefix():
    if '--off' in sys.argv:
        return sys.argv[sys.argv.index('--off') + 1]
    return None


def is_off(line):
    """An `#if A || B` whose macros all start with the --off prefix."""
    pre = off_prefix()
    if not pre or not line.startswith('#if '):
        return False
    names = [n.strip() for n in line[4:].split('||')]
    return all(re.fullmatch(re.escape(pre) + r'\w+', n) for n in names)


def rows(src):
    m = re.search(r'static\s+item_t\s+\w+\[\]\s*=\s*\{(.*?)\n\};', src, re.S)
    body = re.sub(r'/\*.*?\*/', '', m.group(1), flags=re.S)
    skipping = False
    for line in body.splitlines():
        line = line.strip()
        if line == '#if 0' or is_off(line):
            skipping = True
            continue
        if skipping:
            skipping = line != '#endif'
            continue
        if line.startswith('#'):
            sys.exit(f'preprocessor line in the table, convert by hand: {line}')
        if not line.startswith('{') or line.startswith('{ NULL'):
            continue
        f = split_fields(line.strip('{},').rstrip().rstrip('}'))
        assert len(f) == 15, (len(f), line)
        yield f


def flags(expr, table):
    if expr in ('0', ''):
        return None
    return ' | '.join(table[p.strip()] for p in expr.split('|'))


def hook(name):
    if name == 'NULL':
        return None
    if name not in HOOKS:
        return f'{name}'  # a function of the protocol's own file, same name
    return HOOKS[name]


def item(f):
    (info, iflags, irw, cmd, _ans, alen, lead, _val, frm, to, dfl, qx, pc, pa, pre) = f
    parts = [f'info_type: {info}']
    if (s := flags(iflags, STF)):
        parts.append(f'info_flags: {s}')
    if irw != 'NULL':
        parts.append(f'info_rw: {RW.get(irw, irw.upper())}')
    if cmd != 'NULL' and cmd != '""':
        parts.append(f'command: {cmd}')
    if alen != '0':
        parts.append(f'answer_len: {alen}')
    if lead != '0':
        parts.append(f'leading: b{lead}')
    if frm != '0':
        parts.append(f'from: {frm}')
    if to != '0':
        parts.append(f'to: {to}')
    if dfl != 'NULL':
        parts.append(f'dfl: Some({DFL.get(dfl, dfl)})')
    if (s := flags(qx, QXF)):
        parts.append(f'qxflags: {s}')
    for field, v in (('preprocess_command', pc), ('preprocess_answer', pa), ('preprocess', pre)):
        if (h := hook(v)):
            parts.append(f'{field}: Some({h})')
    return '    Item {\n' + ''.join(f'        {p},\n' for p in parts) + '        ..Item::NONE\n    },\n'


def main():
    src = open(sys.argv[1], encoding='utf-8', errors='replace').read()
    if '--hooks-only' in sys.argv:
        names = set()
        for f in rows(src):
            names |= {f[2], f[12], f[13], f[14]}
        print('\n'.join(sorted(n for n in names if n != 'NULL')))
        return
    print('/// The table.\npub static TABLE: &[Item] = &[')
    for f in rows(src):
        sys.stdout.write(item(f))
    print('];')


if __name__ == '__main__':
    main()
