#!/usr/bin/env python3
"""batch_bt.py: tests/batch.sh's helper: the batch inputs (fixtures), the
results expected from single hc-verify runs, and the checks of a batch's
output and report, printed as "PASS name" / "FAIL name<TAB>detail". Runs in
the script's work directory (codes.json and the inputs are there), with B
(the build directory) and ATS (the time of issue) in the environment.

  codes NAME=QR...          the codes the fixtures use, into codes.json
  gen CODES.JSON            the batch inputs and their manifests
  check NAME OUT MAN OPTS   a batch's output against single verdicts
  report NAME OUT JSON MODE the report's counts recomputed from the output
  same_counts NAME A B      two reports with the same counts
  jti QR                    a code's jti
  field KEY...              a member of the JSON on stdin (its last line)
"""
import base64, collections, json, os, random, subprocess, sys, zlib
from datetime import datetime, timedelta, timezone

B = os.environ['B']
ATS = int(os.environ['ATS'])
D = 86400
CST = timezone(timedelta(hours=8))

def rfc(t, z=False):
    if z:
        return datetime.fromtimestamp(t, timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    return datetime.fromtimestamp(t, CST).isoformat()

def jb(o):
    return json.dumps(o, ensure_ascii=False, separators=(',', ':')).encode()

def jti(qr):
    d = qr[4:]
    tok = ''.join(chr(int(d[i:i + 2]) + 45) for i in range(0, len(d), 2))
    p = tok.split('.')[1]
    return json.loads(zlib.decompress(base64.urlsafe_b64decode(p + '=' * (-len(p) % 4)), -15))['jti']

# A line is (bytes, manifest); manifest None = malformed record, else
# {"code", "at" (int, the time the batch must use), "extra" (other members)}.
def rec(code, at, extra=None, form='int', default_at=ATS):
    o = {'code': code}
    if at is not None:
        o['at'] = {'int': at, 'rfc': rfc(at) if at is not None else None,
                   'z': rfc(at, True) if at is not None else None}[form]
    extra = dict(extra or {})
    o.update(extra)
    return jb(o), {'code': code, 'at': default_at if at is None else at, 'extra': extra}

def plain(code):
    return code.encode(), {'code': code, 'at': ATS, 'extra': {}}

def malformed_lines(C, rng):
    G1 = C['G1']
    garbage = ''.join(rng.choice('abcdefghijklmnopqrstuvwxyz{}[]":,0123456789 \\') for _ in range(10240))
    return [
        b'not json at all',
        jb({'at': ATS}),                                  # no code
        jb({'code': 12345, 'at': ATS}),                   # code not a string
        jb({'code': G1, 'at': 'yesterday'}),              # at invalid
        jb({'code': G1, 'at': True}),                     # at not a time
        jb({'code': G1, 'at': 1.5}),                      # at not an integer
        b'{}',
        b'',                                              # empty line
        garbage.encode(),                                 # 10 KB of garbage
        b'\xff\xfe\x80\x81 hc:/ \xc0\xaf',                # invalid UTF-8
        b'{"code":"' + G1.encode() + b'","checkpoint":"\xc3\x28"}',  # invalid UTF-8 in JSON
        b'[1,2]',                                         # JSON, not an object
        jb({'code': G1, 'at': ATS}) + b' x',              # trailing garbage after the object
        b'hello world',                                   # neither JSON nor QR text
    ]

def gen(codes_file):
    C = json.load(open(codes_file))
    rng = random.Random(20261123)
    G1, G2, Y, R, S, X, T, L = (C[k] for k in ('G1', 'G2', 'Y', 'R', 'S', 'X', 'T', 'L'))
    M = malformed_lines(C, rng)
    lines = [
        rec(G1, ATS, {'checkpoint': '杭州东站-3', 'lane': 3}),
        plain(G1),
        rec(X, ATS + 7200, {'checkpoint': 'A'}),          # revoked first ...
        rec(X, ATS),                                      # ... then before the entry: passes
        (M[0], None),
        rec(S, ATS + 7200, form='rfc'),                   # expired first ...
        rec(S, ATS + 1800, form='z'),                     # ... then valid
        (M[1], None), (M[2], None), (M[3], None),
        rec(Y, ATS, {'meta': {'a': [1, 2.5, {'b': None}], 's': 'q"uote\\ é 中'}, 'ok': False}),
        (M[6], None), (M[7], None),
        rec(R, ATS + 600, {'lane': 7}),
        (M[8], None),
        rec(T, ATS),
        (M[9], None),
        rec(G2, None, {'checkpoint': '沪'}),               # no at: --at
        (M[4], None),
        rec(X, ATS + 3600),                               # at == entry time: revoked
        rec(X, ATS + 3599),
        (M[5], None), (M[10], None),
        rec(S, ATS + 3600), rec(S, ATS + 3601),           # exp boundary
        rec(G1, ATS - 3600),                              # not yet valid
        (M[11], None),
        rec(G1, ATS + D), rec(G1, ATS + D + 1, form='rfc'),
        rec(G1, ATS + 12 * D, {'checkpoint': 'late'}),    # expired, stale trust
        rec(L, ATS + 12 * D),                             # valid, stale trust
        (M[12], None),
        rec('hc:/1234', ATS),                             # a record whose code is bad
        rec('hc:/' + '12' * 5000, ATS),                   # code over 4,096 bytes
        rec(G1, ATS, {'lane': 3, 'checkpoint': None}),
        (b'{ "code" : "' + G2.encode() + b'" , "at" : ' + str(ATS).encode() + b' }',
         {'code': G2, 'at': ATS, 'extra': {}}),
        plain(X), plain(T), (M[13], None),
        rec(G2, ATS + 60, {'big': 'x' * 12000}),          # a long passthrough member
        rec(X, ATS + 7200, form='rfc'), plain(G2),
        rec(R, ATS), rec(Y, ATS + 60, form='z'), rec(L, ATS),
        (M[0], None),
    ]
    write('mix', lines)
    # big: a few hundred records over a few distinct (code, at) pairs
    ats = [ATS - 3600, ATS, ATS + 1800, ATS + 3600, ATS + 3601, ATS + 7200]
    pool = ['G1', 'G2', 'Y', 'R', 'S', 'X', 'T', 'L']
    big = []
    for i in range(600):
        r = rng.random()
        if r < 0.06:
            m = rng.choice(M)
            big.append((m, None))
            continue
        k = rng.choice(pool)
        if r < 0.16:
            big.append(plain(C[k]))
            continue
        at = rng.choice(ats)
        extra = {'checkpoint': 'cp-%d' % (i % 7)}
        if i % 3 == 0:
            extra['lane'] = i % 5
        big.append(rec(C[k], at, extra, form=rng.choice(['int', 'int', 'rfc', 'z'])))
    write('big', big)
    # no trailing newline on the last line; a final empty line
    write('nonl', [plain(G1), rec(X, ATS + 7200)], trailing=False)
    write('endempty', [plain(G1), (b'', None)])
    # records without at and no --at: now
    write('now', [rec(G1, None), plain(G2)])

def write(name, lines, trailing=True):
    data = b'\n'.join(l for l, _ in lines) + (b'\n' if trailing else b'')
    open(name + '.jsonl', 'wb').write(data)
    json.dump([m for _, m in lines], open(name + '.man', 'w'))

EXP = 'expect-cache.json'
def single(code, at, opts, cache):
    key = json.dumps([opts, code, at])
    if key not in cache:
        p = subprocess.run([B + '/hc-verify', '--trust', 'trust', '--json', '--at', str(at)] + opts +
                           ['--text', code], capture_output=True)
        if p.returncode not in (0, 1):
            raise SystemExit('single hc-verify exit %d: %s' % (p.returncode, p.stderr.decode()))
        cache[key] = json.loads(p.stdout.decode().strip().splitlines()[-1])
    return cache[key]

def read_out(path, n_expected, name, res):
    raw = open(path, 'rb').read()
    lines = raw.split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    else:
        res.append(('FAIL', name + ': output ends with a newline', 'last bytes %r' % raw[-40:]))
    outs, bad = [], []
    for i, l in enumerate(lines):
        try:
            o = json.loads(l.decode('utf-8'))
            if not isinstance(o, dict):
                raise ValueError('not an object')
            outs.append(o)
        except Exception as e:
            bad.append('output line %d %r: %s' % (i + 1, l[:120], e))
            outs.append({})
    res.append(('FAIL' if bad else 'PASS', name + ': every output line is a JSON object in valid UTF-8',
                '; '.join(bad[:3])))
    return outs

def check(name, out, man, opts):
    opts = json.loads(opts)
    man = json.load(open(man))
    cache = json.load(open(EXP)) if os.path.exists(EXP) else {}
    res = []
    outs = read_out(out, len(man), name, res)
    res.append(('PASS' if len(outs) == len(man) else 'FAIL', name + ': one output line per input line',
                '%d output lines for %d input lines' % (len(outs), len(man))))
    nums = [o.get('line') for o in outs]
    want = list(range(1, len(outs) + 1))
    bad = [(i + 1, n) for i, n in enumerate(nums) if n != want[i] or type(n) is not int]
    res.append(('FAIL' if bad else 'PASS', name + ': line = 1..N in input order',
                'first mismatches (position, line): %s' % bad[:5]))
    n = min(len(outs), len(man))
    mism, warn, mal, pt, atm, echo = [], [], [], [], [], []
    for i in range(n):
        o, m = outs[i], man[i]
        if 'code' in o:
            echo.append(i + 1)
        if m is None:
            if (o.get('verdict'), o.get('reason')) != ('fail', 'malformed') or \
                    any(o.get(k, 'absent') is not None for k in ('status', 'iss', 'region')):
                mal.append('line %d: %s' % (i + 1, json.dumps(o, ensure_ascii=False)[:200]))
            continue
        s = single(m['code'], m['at'], opts, cache)
        for k in ('verdict', 'reason', 'status', 'iss', 'region'):
            if o.get(k, 'absent') != s.get(k):
                mism.append('line %d at %d: %s=%r, single hc-verify says %r' %
                            (i + 1, m['at'], k, o.get(k, 'absent'), s.get(k)))
        if (o.get('warnings') or []) != (s.get('warnings') or []):
            warn.append('line %d at %d: warnings %r, single %r' % (i + 1, m['at'], o.get('warnings'),
                                                                  s.get('warnings')))
        for k, v in m['extra'].items():
            if k not in o or o[k] != v or type(o[k]) is not type(v):
                pt.append('line %d: %s=%s, input %s' % (i + 1, k, json.dumps(o.get(k, 'ABSENT'))[:80],
                                                         json.dumps(v)[:80]))
        if type(o.get('at')) is not int or o['at'] != m['at']:
            atm.append('line %d: at=%r, want %d' % (i + 1, o.get('at'), m['at']))
    json.dump(cache, open(EXP, 'w'))
    nv = sum(1 for m in man[:n] if m is not None)
    nm = n - nv
    res.append(('FAIL' if mism else 'PASS',
                name + ': verdict/reason/status/iss/region equal single hc-verify (%d records)' % nv,
                '%d mismatches: %s' % (len(mism), '; '.join(mism[:4]))))
    res.append(('FAIL' if warn else 'PASS', name + ': stale-trust warnings as single hc-verify',
                '; '.join(warn[:4])))
    res.append(('FAIL' if mal else 'PASS',
                name + ': %d malformed lines give fail/malformed with null status/iss/region' % nm,
                '; '.join(mal[:4])))
    res.append(('FAIL' if pt else 'PASS', name + ': other members passed through unchanged',
                '; '.join(pt[:4])))
    res.append(('FAIL' if echo else 'PASS', name + ': code is not echoed', 'lines %s' % echo[:10]))
    res.append(('FAIL' if atm else 'PASS', name + ': at is the integer time used (RFC 3339 converted)',
                '; '.join(atm[:4])))
    for r in res:
        print(r[0] + ' ' + r[1] + ('\t' + r[2] if r[0] == 'FAIL' else ''))

def counts(outs):
    c = {'records': len(outs), 'pass': 0, 'fail': 0}
    by = {k: collections.Counter() for k in ('by_reason', 'by_status', 'by_issuer', 'by_region')}
    for o in outs:
        c['pass' if o.get('verdict') == 'pass' else 'fail'] += 1
        by['by_reason'][o.get('reason')] += 1
        for k, f in (('by_status', 'status'), ('by_issuer', 'iss'), ('by_region', 'region')):
            if o.get(f) is not None:
                by[k][o[f]] += 1
    c.update({k: dict(v) for k, v in by.items()})
    return c

def nz(rep):
    r = {k: rep.get(k) for k in ('records', 'pass', 'fail')}
    for k in ('by_reason', 'by_status', 'by_issuer', 'by_region'):
        v = rep.get(k)
        r[k] = {a: b for a, b in v.items() if b != 0} if isinstance(v, dict) else v
    return r

def report(name, out, rep, mode):
    res = []
    try:
        R = json.load(open(rep, encoding='utf-8'))
    except Exception as e:
        print('FAIL %s: report is a JSON object\t%s' % (name, e))
        return
    outs = [json.loads(l) for l in open(out, 'rb').read().decode().splitlines()]
    want, got = counts(outs), nz(R)
    for k in ('records', 'pass', 'fail', 'by_reason', 'by_status', 'by_issuer', 'by_region'):
        res.append(('PASS' if got[k] == want[k] else 'FAIL', '%s: report %s matches the output' % (name, k),
                    'report %s, output gives %s' % (json.dumps(got[k]), json.dumps(want[k]))))
    num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
    res.append(('PASS' if num(R.get('seconds')) and num(R.get('records_per_second')) else 'FAIL',
                name + ': report has seconds and records_per_second',
                'seconds=%r records_per_second=%r' % (R.get('seconds'), R.get('records_per_second'))))
    ch = R.get('cache_hits')
    if mode == 'dup':
        res.append(('PASS' if type(ch) is int and ch > 0 else 'FAIL', name + ': cache_hits > 0 with duplicates',
                    'cache_hits=%r' % ch))
    elif mode == 'nocache':
        res.append(('PASS' if ch == 0 and type(ch) is int else 'FAIL', name + ': cache_hits 0 with --no-cache',
                    'cache_hits=%r' % ch))
    for r in res:
        print(r[0] + ' ' + r[1] + ('\t' + r[2] if r[0] == 'FAIL' else ''))

def same_counts(name, a, b):
    A, Bb = nz(json.load(open(a))), nz(json.load(open(b)))
    for k in ('records', 'pass', 'fail', 'by_reason', 'by_status', 'by_issuer', 'by_region'):
        print(('PASS %s: %s equals the single-process report' % (name, k)) if A[k] == Bb[k] else
              ('FAIL %s: %s equals the single-process report\tmpi %s, single %s' %
               (name, k, json.dumps(A[k]), json.dumps(Bb[k]))))

def field(js, *path):
    o = json.loads(js.strip().splitlines()[-1]) if isinstance(js, str) else js
    for p in path:
        o = o[p] if isinstance(o, dict) else None
    print('null' if o is None else o)

if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'gen': gen(*args)
    elif cmd == 'check': check(*args)
    elif cmd == 'report': report(*args)
    elif cmd == 'same_counts': same_counts(*args)
    elif cmd == 'jti': print(jti(args[0]))
    elif cmd == 'field': field(sys.stdin.read(), *args)
    elif cmd == 'codes':
        json.dump(dict(a.split('=', 1) for a in args), open('codes.json', 'w'))
