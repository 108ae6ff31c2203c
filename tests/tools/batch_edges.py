#!/usr/bin/env python3
"""batch_edges.py: tests/batch.sh's tables of edges: record times against
--at's bounds, a cached failure's detail, members copied as written and
those named like result fields under "record", whitespace, byte-order marks
and CRLF at the 64 KiB cap. Runs in the script's work directory (codes.json,
forged.txt, the trust directory), with B, ATS and TO in the environment;
prints "PASS name" / "FAIL name<TAB>detail" lines, then "DONE N".
"""
import json, os, subprocess, sys

B, ATS = os.environ['B'], int(os.environ['ATS'])
C = json.load(open('codes.json'))
G1, G2, T, X = C['G1'], C['G2'], C['T'], C['X']
TO = int(os.environ.get('TO', '120'))
out = []

def res(ok, name, why=''):
    out.append(('PASS ' if ok else 'FAIL ') + name + ('' if ok else '\t' + why))

def batch(data, *args):
    open('e.in', 'wb').write(data)
    at = [] if '--at' in args else ['--at', str(ATS)]
    p = subprocess.run([B + '/hc-verify', 'batch', '--trust', 'trust', '--in', 'e.in'] + at + list(args),
                       capture_output=True, timeout=TO)
    if p.returncode != 0:
        raise SystemExit('batch exit %d: %s' % (p.returncode, p.stderr.decode()[:300]))
    return p.stdout

def results(data, *args):
    return [json.loads(l) for l in batch(data, *args).decode().splitlines()]

def qr(tok):
    return 'hc:/' + ''.join('%02d' % (ord(c) - 45) for c in tok)

def single_at(v):
    """What single hc-verify does with --at V: the time used, or None (refused)."""
    p = subprocess.run([B + '/hc-verify', '--trust', 'trust', '--json', '--at', v, '--text', G1],
                       capture_output=True, timeout=TO)
    return p.returncode

# -- record times: the bounds of --at, on the fast and the strict path --
TIMES = [  # (JSON text of "at", --at text, time used or None when refused)
    ('0', '0', 0),
    ('253402300799', '253402300799', 253402300799),
    ('253402300800', '253402300800', None),
    ('9007199254740991', '9007199254740991', None),
    ('999999999999999', '999999999999999', None),
    ('-1', '-1', None),
    ('1e9', '1e9', None),
    ('1795392000.0', '1795392000.0', None),
    ('"1970-01-01"', '1970-01-01', None),
    ('"1970-01-01T08:00:00+08:00"', '1970-01-01T08:00:00+08:00', 0),
    ('"9999-12-31T23:59:59Z"', '9999-12-31T23:59:59Z', 253402300799),
    ('"9999-12-31T23:59:59-00:01"', '9999-12-31T23:59:59-00:01', None),
    ('"2026-11-23"', '2026-11-23', ATS - 8 * 3600),
]
lines = []
for at, _, _ in TIMES:
    lines.append(('{"code":"%s","at":%s}' % (G1, at)).encode())
    lines.append(('{ "code":"%s","at":%s}' % (G1, at)).encode())  # strict path
R = results(b'\n'.join(lines) + b'\n')
for i, (at, arg, want) in enumerate(TIMES):
    src = single_at(arg)
    for k, path in ((0, 'fast'), (1, 'strict')):
        o = R[2 * i + k]
        if want is None:
            good = o['reason'] == 'malformed' and o['at'] == ATS and src == 2
        else:
            good = o['reason'] != 'malformed' and o['at'] == want and src in (0, 1)
        res(good, 'record time %s (%s path): %s, as --at' % (at, path, 'refused' if want is None else 'used'),
            'batch %s at %s; single --at exit %d' % (o['reason'], o['at'], src))

# -- a cached failure keeps its detail: byte-identical with --no-cache --
forged = [qr(t) for t in open('forged.txt').read().split()]
codes = forged + [T, 'hc:/1', G1, X, 'hc:/' + '99' * 30]
seq = [codes[i % len(codes)] for i in range(4 * len(codes))]
data = b''.join((c + '\n').encode() for c in seq)
a, b = batch(data), batch(data, '--no-cache')
res(a == b, 'repeated failing and passing codes: cache and --no-cache byte-identical',
    'first difference at byte %d' % next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), -1))
first = {}
det = []
for c, o in zip(seq, [json.loads(l) for l in a.decode().splitlines()]):
    d = o.get('detail')
    if c in first and first[c] != d:
        det.append('%s...: first %r, repeat %r' % (c[:12], first[c], d))
    first.setdefault(c, d)
res(not det and len(first) == len(codes), 'each repeat of a failing code has its first detail', '; '.join(det[:3]))
# (an unsupported alg names no detail: nothing from the header is quoted)
res(sum(1 for c in forged if '(' in (first.get(c) or '')
        or (first.get(c) or '').startswith('algorithm not allowed: ES256 or SM2')) == len(forged),
    'the forged codes fail with a detail', repr([first.get(c) for c in forged]))

# -- members pass through as written --
MEMBERS = [  # (JSON text of a value)
    '1234567890123456789', '9007199254740993', '1.0', '-0', '-0.0', '1E+2', '2.50e-3', '123456789012345',
    '"\\u00e9\\/\\"x"', '"张三"', '{"a":[1.50,2e0,null,true]}', '[]', '{}', 'false',
]
for k, tmpl in ((0, '{"code":"%s",%s}'), (1, '{ "code":"%s",%s}')):
    body = ','.join('"m%d":%s' % (i, v) for i, v in enumerate(MEMBERS))
    line = (tmpl % (G1, body)).encode('utf-8')
    o = batch(line + b'\n').decode('utf-8').rstrip('\n')
    for i, v in enumerate(MEMBERS):
        want = '"m%d":%s' % (i, v)
        res((',' + want + ',') in o or (',' + want + '}') in o,
            'member %s passes as written (%s)' % (v, ('fast', 'strict')[k]), o[-300:])
o = batch(('{"code":"%s","o" : { "a" : [ 1.0 , "x y" ] } ,"n":\t7}\n' % G1).encode()).decode()
res(o.rstrip('\n').endswith(',"o":{"a":[1.0,"x y"]},"n":7}'),
    'whitespace between a member\'s tokens is dropped, strings and numbers kept', o[-120:])

# -- members named like result fields: kept under "record" --
NAMED = ['line', 'verdict', 'reason', 'detail', 'status', 'iss', 'region', 'warnings', 'record']
rec = {'code': G1, 'id': 'r-1'}
for i, n in enumerate(NAMED):
    rec[n] = 'v%d' % i
line = json.dumps(rec, ensure_ascii=False, separators=(',', ':')).encode()
for k, l in ((0, line), (1, b'{ ' + line[1:])):
    o = results(l + b'\n')[0]
    want = {n: 'v%d' % i for i, n in enumerate(NAMED)}
    res(o.get('record') == want and o['status'] == 'green' and o['reason'] == 'ok' and o['line'] == 1 and
        o.get('id') == 'r-1' and o['iss'] == 'https://hc.zj.example' and 'detail' not in o,
        'members named like result fields kept under "record" (%s)' % ('as is', 'with a space')[k],
        json.dumps(o)[:300])
o = results(('{"code":"%s","st\\u0061tus":"x","lin\\u0065":1,"k":2}\n' % G1).encode())[0]
res(o.get('record') == {'status': 'x', 'line': 1} and o.get('k') == 2 and o['status'] == 'green',
    'a result name written with escapes is kept under "record" too', json.dumps(o)[:300])
o = results(('{"code":"%s","at":%d,"k":1}\n' % (G1, ATS)).encode())[0]
res('record' not in o and o.get('k') == 1, 'no "record" object when no member is named like a result field',
    json.dumps(o)[:200])

# -- line edges --
rec = '{"code":"%s","at":%d}' % (G1, ATS)
def padded(n, end=b'\n'):  # a record of exactly n bytes before its terminator
    base = '{"code":"%s","at":%d,"pad":"' % (G1, ATS)
    return (base + 'x' * (n - len(base) - 2) + '"}').encode() + end
RUN = ATS + 5  # the run's --at
EDGES = [  # (name, input bytes, index of the line checked, reason, detail part, time used)
    ('space before {', b' ' + rec.encode() + b'\n', 0, 'ok', None, ATS),
    ('tab before {', b'\t' + rec.encode() + b'\n', 0, 'ok', None, ATS),
    ('space after }', rec.encode() + b' \n', 0, 'ok', None, ATS),
    ('tab and CRLF after }', rec.encode() + b'\t\r\n', 0, 'ok', None, ATS),
    ('spaces around a bare code', b'  ' + G1.encode() + b' \r\n', 0, 'ok', None, RUN),
    ('BOM at the start of the input', b'\xef\xbb\xbf' + rec.encode() + b'\n', 0, 'ok', None, ATS),
    ('BOM before a bare code at the start', b'\xef\xbb\xbf' + G1.encode() + b'\n', 0, 'ok', None, RUN),
    ('BOM on a later line', rec.encode() + b'\n\xef\xbb\xbf' + rec.encode() + b'\n', 1, 'malformed',
     'byte-order mark', RUN),
    ('BOM after leading space', b' \xef\xbb\xbf' + rec.encode() + b'\n', 0, 'malformed', 'byte-order mark', RUN),
    ('whitespace-only line', b' \t \r\n' + rec.encode() + b'\n', 0, 'malformed', 'empty line', RUN),
    ('64 KiB record, LF', padded(65536), 0, 'ok', None, ATS),
    ('64 KiB record, CRLF', padded(65536, b'\r\n'), 0, 'ok', None, ATS),
    ('64 KiB record, CRLF, last line without LF', padded(65536, b'\r'), 0, 'ok', None, ATS),
    ('64 KiB record after a BOM, CRLF', b'\xef\xbb\xbf' + padded(65536, b'\r\n'), 0, 'ok', None, ATS),
    ('64 KiB + 1 record, LF', padded(65537), 0, 'malformed', 'longer than 65536', RUN),
    ('64 KiB + 1 record, CRLF', padded(65537, b'\r\n'), 0, 'malformed', 'longer than 65536', RUN),
]
for name, data, idx, reason, part, at in EDGES:
    o = results(data, '--at', str(RUN))
    got = o[idx] if idx < len(o) else {}
    good = got.get('reason') == reason and got.get('at') == at and \
        (part is None or part in (got.get('detail') or ''))
    res(good, 'line edge: %s: %s%s' % (name, reason, ', at = --at' if reason != 'ok' else ''),
        json.dumps(got)[:240])

print('\n'.join(out))
print('DONE %d' % len(out))
