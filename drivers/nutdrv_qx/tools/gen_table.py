import subprocess, re, os
T='/work/shared/testdata/qx-transcripts'
OUT='/work/wt-sim/tests/devices/qx'
SIM='/work/wt-sim/target/debug/qx-sim'
def body(rel, drop=()):
    s=subprocess.run([SIM,'--import',f'{T}/{rel}'],capture_output=True,text=True,check=True).stdout
    lines=s.split('state online\n',1)[1].splitlines()
    return [l for l in lines if not any(l.strip().startswith(f'"{d}') for d in drop)]
def q1(fields_status, base):
    pass
def write(name, header, states, extra=''):
    path=f'{OUT}/{name}.qx'
    txt=header.strip('\n')+'\n\n'
    for st,lines in states:
        txt+=st+'\n'+'\n'.join('  '+l.strip() if not l.startswith('  #') else l for l in lines)+'\n\n'
    txt+=extra.strip('\n')+'\n' if extra else ''
    open(path,'w').write(txt.rstrip('\n')+'\n')

MEGATEC_STATES_NOTE = """# Added by us, following NUT's Megatec protocol document (protocols/megatec.txt): the Q1 status
# byte b7..b0 = utility fail, battery low, bypass/boost/buck active, UPS failed, standby type,
# test in progress, shutdown active, beeper on. The on-battery and low-battery variants set b7
# (and b6) with the input voltage at 0; the test variant sets b2 and is entered by the test
# commands; the beeper command "Q" toggles b0."""

def megatec_family(name, rel, status_cmd, q1, drivers, extra_added='', unknown='silent', expects=(), more_header=''):
    # q1 = the status reply without "(" prefix fields list
    b = body(rel)
    f = q1.split()
    def var(bits, inp=None, batt=None):
        g=list(f)
        if inp is not None: g[0]=inp; g[4]='00.0' if False else g[4]
        if batt is not None: g[5]=batt
        g[7]=bits
        return '(' + ' '.join(g) + '\\r'
    st = f[7]
    onb = '1'+st[1:]
    low = '11'+st[2:]
    tst = st[:5]+'1'+st[6:]
    bee = st[:7]+('0' if st[7]=='1' else '1')
    cmd = status_cmd
    header=f"""# {name}: {drivers[0][1]}
device {name}
source {T.replace('/work/','')}/{rel}
added on-battery, low-battery, self-test and beeper-toggled reply sets (see below)
{extra_added}unknown {unknown}
"""+''.join(f"driver {d} {o}\n" if o else f"driver {d}\n" for d,o in drivers)+''.join(f"expect {k} {v}\n" for k,v in expects)+more_header
    def with_then(lines, mapping):
        out=[]
        for l in lines:
            m=re.match(r'\s*("[^"]*") -> (.*)$', l.strip())
            if m and m.group(1) in mapping:
                out.append(f'{m.group(1)} -> {m.group(2)} then {mapping[m.group(1)]}')
            else: out.append(l)
        return out
    tests={'"T\\r"':'test','"TL\\r"':'test','"T04\\r"':'test'}
    online=with_then(b, {**tests, '"Q\\r"':'beeper'})
    states=[('state online', online),
            ('\n'.join(MEGATEC_STATES_NOTE.splitlines())+'\nstate onbattery like online', [f'"{cmd}" -> "{var(onb, inp="000.0")}"']),
            ('state lowbatt like onbattery', [f'"{cmd}" -> "{var(low, inp="000.0", batt=None)}"']),
            ('state test like online', [f'"{cmd}" -> "{var(tst)}"', '"CT\\r" -> none then online']),
            ('state beeper like online', [f'"{cmd}" -> "{var(bee)}"', '"Q\\r" -> none then online'])]
    write(name, header, states)

Q1T='215.0 195.0 230.0 014 49.0 22.7 30.0 00000000'
TT='nut-testing-tables'
megatec_family('megatec', f'{TT}/megatec.txt', 'Q1\\r', Q1T,
    [('nutdrv_qx','protocol=megatec'),('blazer_ser','')],
    expects=[('input.voltage','215.0'),('input.voltage.fault','195.0'),('output.voltage','230.0'),('ups.load','14'),('input.frequency','49.0'),('ups.temperature','30.0'),('ups.status','OL')])
megatec_family('megatec-old', f'{TT}/megatec-old.txt', 'D\\r', Q1T,
    [('nutdrv_qx','protocol=megatec/old'),('blazer_ser','')], expects=[('input.voltage','215.0'),('ups.status','OL')])
megatec_family('mustek', f'{TT}/mustek.txt', 'QS\\r', Q1T,
    [('nutdrv_qx','protocol=mustek')], expects=[('input.voltage','215.0'),('ups.status','OL')])
megatec_family('q1', f'{TT}/q1.txt', 'Q1\\r', Q1T,
    [('nutdrv_qx','protocol=q1'),('blazer_ser','')], expects=[('input.voltage','215.0'),('ups.status','OL')])
megatec_family('ablerex', f'{TT}/ablerex.txt', 'Q1\\r', Q1T,
    [('nutdrv_qx','protocol=ablerex')], expects=[('input.voltage','215.0'),('ups.status','OL')])
megatec_family('innovatae', f'{TT}/innovatae.txt', 'Q1\\r', Q1T,
    [('nutdrv_qx','protocol=innovatae')], expects=[('input.voltage','215.0'),('ups.status','OL')])
megatec_family('omron', f'{TT}/omron.txt', 'Q1\\r', '102.5 000.0 102.4 000 49.9 54.5 22.7 00101000',
    [('nutdrv_qx','protocol=omron')], expects=[('input.voltage','102.5')])

def simple(name, rel, drivers, unknown='silent', added=(), expects=(), extra_states=(), drop=(), more='', comment=''):
    b=body(rel, drop)
    header=f"# {name}\n{comment}device {name}\nsource {T.replace('/work/','')}/{rel}\n"+''.join(f"added {a}\n" for a in added)+f"unknown {unknown}\n"+''.join(f"driver {d} {o}\n" if o else f"driver {d}\n" for d,o in drivers)+''.join(f"expect {k} {v}\n" for k,v in expects)+more
    write(name, header, [('state online', b)]+list(extra_states))

simple('q2', f'{TT}/q2.txt', [('nutdrv_qx','protocol=q2')], expects=[('ups.status','OL')])
simple('q6', f'{TT}/q6.txt', [('nutdrv_qx','protocol=q6')], expects=[('ups.status','OL')])
simple('gtec', f'{TT}/gtec.txt', [('nutdrv_qx','protocol=gtec')])
simple('innovart31', f'{TT}/innovart31.txt', [('nutdrv_qx','protocol=innovart31')])
simple('voltronic', f'{TT}/voltronic.txt', [('nutdrv_qx','protocol=voltronic')], unknown='reply "(NAK\\r"',
       added=['unknown commands answer "(NAK\\r", as the table does for the commands it lists as unsupported'])
simple('voltronic-axpert', f'{TT}/voltronic-axpert.txt', [('nutdrv_qx','protocol=voltronic-axpert')], unknown='reply "(NAK\\r"',
       added=['unknown commands answer "(NAK\\r" (Voltronic units refuse unknown commands so)'])
simple('voltronic-qs', f'{TT}/voltronic-qs.txt', [('nutdrv_qx','protocol=voltronic-qs')], expects=[('ups.status','OL')])
simple('voltronic-qs-hex', f'{TT}/voltronic-qs-hex.txt', [('nutdrv_qx','protocol=voltronic-qs-hex')])

PD='protocol-doc-examples'
simple('megatec-doc', f'{PD}/megatec.txt', [('nutdrv_qx','protocol=megatec'),('blazer_ser','')],
       added=['every reply ends in CR as the document says; V answer kept as documented (without "(")'],
       expects=[('input.voltage','208.4'),('input.voltage.fault','140.0'),('output.voltage','208.4'),('ups.load','34'),('input.frequency','59.9'),('battery.voltage','2.05'),('ups.temperature','35.0')])
simple('voltronic-qs-doc', f'{PD}/voltronic-qs.txt', [('nutdrv_qx','protocol=voltronic-qs')], drop=['QS\\r'],
       added=['only the V-protocol (ASCII) QS example; M answers "V" for it (the document lists P, T or V)'],
       more='', comment='# The P and T binary examples are in voltronic-qs-hex-doc-p.qx and voltronic-qs-hex-doc-t.qx.\n',
       extra_states=[])
