#!/bin/bash
# batch.sh BUILD: `hc-verify batch` end to end: a mixed batch (JSON records
# with integer and RFC 3339 times, plain QR lines, the same codes at many
# times, malformed lines) checked line by line against single `hc-verify
# --json` runs; cache, threads and stdin/stdout give byte-identical output;
# empty input; the report's counts recomputed from the output; usage and
# trust errors; tables of edges (record times against --at's bounds, a
# cached failure's detail, members copied as written and those named like
# result fields under "record", whitespace, byte-order marks and CRLF at
# the 64 KiB cap, --out never the input and written through a temporary);
# MPI ranks (mpirun -np 2, and --mpi without --out; HC_SKIP_MPI=1 skips it).
# Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-batch.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 2
finish() { totals; [ "$fail" -eq 0 ]; exit; }

ATS=1795392000 # 2026-11-23T08:00:00+08:00
D=86400
ZJ=https://hc.zj.example
SH=https://hc.sh.example
TO=${HC_BATCH_TIMEOUT:-120} # cap on any one batch run (a hang is a failure)
export B ATS
BV() { timeout "$TO" "$B/hc-verify" batch "$@"; }
# tally [-v|-E REGEX] < <(python3 bt.py ...): python results "PASS name" /
# "FAIL name<TAB>detail" -> ok / bad, only the lines (not) matching REGEX;
# a helper that exits non-zero (it died: its later checks never ran) fails
tally() {
	local l rc mode=${1:-} re=${2:-}
	while IFS= read -r l; do
		case "$mode" in -v) [[ $l =~ $re ]] && continue ;; -E) [[ $l =~ $re ]] || continue ;; esac
		case "$l" in
		"PASS "*) ok "${l#PASS }" ;;
		"FAIL "*) l=${l#FAIL }; bad "${l%%$'\t'*}" "$([ "${l#*$'\t'}" != "$l" ] && printf '%s' "${l#*$'\t'}")" ;;
		*) echo "$l" ;;
		esac
	done
	wait $!; rc=$?
	[ $rc -eq 0 ] || bad "helper (batch.sh line ${BASH_LINENO[0]}) exited $rc" "the checks after its last output did not run"
}
first() { head -c 600 "$1" | tr '\n' ' '; }

# ---- helper: fixtures, expectations from single hc-verify runs, checks ----
cat > bt.py <<'PY'
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
PY

# ---- 1. setup: keys, trust list, codes, a revocation list ----
for k in root zj sh; do "$B/hc-keys" gen $k.key >/dev/null || bad "gen $k"; done
mkdir -p trust/roots trust/revocations
"$B/hc-keys" pub root.key > trust/roots/root.jwk
cat > tl.json <<JSON
{"seq":1,"iat":$((ATS - D)),"next_update":$((ATS + 10 * D)),"issuers":[
 {"iss":"$ZJ","name":"Zhejiang Health","region":"330000","revocations":"revocations/330000.jws",
  "max_validity":2592000,"keys":[$("$B/hc-keys" pub --status active zj.key)]},
 {"iss":"$SH","name":"Shanghai Health","region":"310000",
  "keys":[$("$B/hc-keys" pub --status active sh.key)]}]}
JSON
"$B/hc-keys" trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null &&
	ok "setup: trust list with two issuers signed" || bad "setup: trust list signed"
printf '{"person":{"name":"李四","id":"33010619900101123X"}}\n' > rec.json
issue() { # KEY ISS RECORD [hc-issue args]
	local k=$1 i=$2 r=$3
	shift 3
	"$B/hc-issue" --key "$k" --iss "$i" --record "$r" --risk-areas "$SRC/examples/risk-areas.json" \
		--at $ATS "$@"
}
G1=$(issue zj.key $ZJ "$SRC/examples/green.json") && G2=$(issue sh.key $SH rec.json) &&
	Y=$(issue sh.key $SH "$SRC/examples/yellow.json") && R=$(issue zj.key $ZJ "$SRC/examples/red.json") &&
	S=$(issue zj.key $ZJ rec.json --validity 1h) && X=$(issue zj.key $ZJ rec.json --validity 7d) &&
	L=$(issue zj.key $ZJ rec.json --validity 30d --trust trust) && ok "setup: codes issued" || bad "setup: codes issued"
# tampered: one digit pair inside the signature changed, still valid digits
T=$(printf '%s' "$G1" | awk '{ p = length($0) - 41; c = substr($0, p, 2); r = (c == "10") ? "11" : "10"; print substr($0, 1, p - 1) r substr($0, p + 2) }')
JX=$(python3 bt.py jti "$X")
printf '[{"jti":"%s","at":%d}]\n' "$JX" $((ATS + 3600)) > rev.json
"$B/hc-keys" revoke --key zj.key --iss $ZJ --in rev.json --seq 1 --iat $ATS \
	--out trust/revocations/330000.jws >/dev/null && ok "setup: revocation list (X from ATS+1h)" ||
	bad "setup: revocation list"
python3 bt.py codes G1="$G1" G2="$G2" Y="$Y" R="$R" S="$S" X="$X" T="$T" L="$L"

# single verdicts the fixtures are meant to have
sv() { # NAME AT CODE WANT-REASON WANT-STATUS
	local out r s
	out=$("$B/hc-verify" --trust trust --json --at "$2" --text "$3" 2>&1)
	r=$(printf '%s' "$out" | python3 bt.py field reason 2>/dev/null)
	s=$(printf '%s' "$out" | python3 bt.py field status 2>/dev/null)
	[ "$r" = "$4" ] && [ "$s" = "$5" ] && ok "setup: $1" || bad "setup: $1" "want $4/$5: $out"
}
sv "green ZJ code passes" $ATS "$G1" ok green
sv "green SH code passes" $ATS "$G2" ok green
sv "yellow code fails the green rule" $ATS "$Y" requirement-not-met yellow
sv "red code fails the green rule" $ATS "$R" requirement-not-met red
sv "1h code valid at ATS+30m" $((ATS + 1800)) "$S" ok green
sv "1h code expired at ATS+2h" $((ATS + 7200)) "$S" expired green
sv "revoked code passes before its entry time" $ATS "$X" ok green
sv "revoked code revoked from its entry time" $((ATS + 3600)) "$X" revoked green
sv "tampered code: bad-signature" $ATS "$T" bad-signature null
out=$("$B/hc-verify" --trust trust --json --at $((ATS + 12 * D)) --text "$L" 2>&1)
case "$out" in *'"reason":"ok"'*'stale-trust'*) ok "setup: 30d code passes with stale-trust at ATS+12d" ;;
*) bad "setup: 30d code stale" "$out" ;; esac

python3 bt.py gen codes.json && ok "setup: batch inputs written" || bad "setup: batch inputs"
echo "# inputs: mix $(wc -l < mix.jsonl) lines, big $(wc -l < big.jsonl) lines"

if ! "$B/hc-verify" batch --help 2>&1 | grep -q -- '--threads'; then
	bad "hc-verify batch exists" "'hc-verify batch --help' does not describe --threads"
	finish
fi
"$B/hc-verify" batch --help >/dev/null 2>&1 && ok "batch --help exits 0" || bad "batch --help exits 0"

# ---- 2. the mixed batch against single verdicts ----
BV --trust trust --at $ATS --in mix.jsonl --out mix.out --report mix.json 2> mix.err; rc=$?
[ $rc -eq 0 ] && ok "mix: exit 0 although codes fail and lines are malformed" ||
	bad "mix: exit 0" "exit $rc: $(first mix.err)"
[ -f mix.out ] || : > mix.out
tally < <(python3 bt.py check mix mix.out mix.man '[]')
# the same with requirement options passed on
BV --trust trust --at $ATS --any-status --require-doses 2 --strict --in mix.jsonl --out mixo.out \
	2> mixo.err; rc=$?
[ $rc -eq 0 ] && ok "mix with options: exit 0" || bad "mix with options: exit 0" "exit $rc: $(first mixo.err)"
[ -f mixo.out ] || : > mixo.out
tally < <(python3 bt.py check "mix --any-status --require-doses 2 --strict" mixo.out mix.man \
	'["--any-status","--require-doses","2","--strict"]')
BV --trust trust --at $ATS --in nonl.jsonl --out nonl.out 2>/dev/null; rc=$?
[ $rc -eq 0 ] && [ "$(wc -l < nonl.out 2>/dev/null)" = 2 ] && ok "last line without a newline gets its output line" ||
	bad "last line without a newline" "exit $rc: $(first nonl.out)"
tally -v '^PASS' < <(python3 bt.py check nonl nonl.out nonl.man '[]')
BV --trust trust --at $ATS --in endempty.jsonl --out endempty.out 2>/dev/null; rc=$?
tally -E '^FAIL|one output line' < <(python3 bt.py check "final empty line" endempty.out endempty.man '[]')
t0=$(date +%s)
BV --trust trust --in now.jsonl --out now.out 2>/dev/null; rc=$?
t1=$(date +%s)
python3 - "$t0" "$t1" <<'PY' && ok "no at and no --at: the time used is now" || bad "no at and no --at: now" "$(first now.out)"
import json, sys
t0, t1 = int(sys.argv[1]), int(sys.argv[2])
outs = [json.loads(l) for l in open('now.out')]
assert len(outs) == 2 and all(type(o['at']) is int and t0 <= o['at'] <= t1 for o in outs)
PY

# ---- 3/4. cache, threads: byte-identical outputs ----
BV --trust trust --at $ATS --no-cache --in mix.jsonl --out mix-nc.out --report mix-nc.json 2>/dev/null
cmp -s mix.out mix-nc.out && ok "mix: cache and --no-cache outputs byte-identical" ||
	bad "mix: cache vs --no-cache" "$(cmp mix.out mix-nc.out 2>&1)"
BV --trust trust --at $ATS --threads 1 --in big.jsonl --out big1.out --report big1.json 2>/dev/null; rc=$?
[ $rc -eq 0 ] && ok "big: --threads 1 exit 0" || bad "big: --threads 1 exit 0" "exit $rc"
[ -f big1.out ] || : > big1.out
tally < <(python3 bt.py check big big1.out big.man '[]')
BV --trust trust --at $ATS --threads 4 --in big.jsonl --out big4.out --report big4.json 2>/dev/null
cmp -s big1.out big4.out && ok "big: --threads 1 and --threads 4 byte-identical" ||
	bad "big: threads 1 vs 4" "$(cmp big1.out big4.out 2>&1)"
BV --trust trust --at $ATS --threads 4 --no-cache --in big.jsonl --out big-nc.out --report big-nc.json 2>/dev/null
cmp -s big4.out big-nc.out && ok "big: cache and --no-cache byte-identical (4 threads)" ||
	bad "big: cache vs --no-cache" "$(cmp big4.out big-nc.out 2>&1)"
BV --trust trust --at $ATS --threads 1 --no-cache --in big.jsonl --out big1-nc.out 2>/dev/null
cmp -s big1.out big1-nc.out && ok "big: cache and --no-cache byte-identical (1 thread)" ||
	bad "big: cache vs --no-cache, 1 thread" "$(cmp big1.out big1-nc.out 2>&1)"
BV --trust trust --at $ATS --in big.jsonl --out bigd.out 2>/dev/null
cmp -s big1.out bigd.out && ok "big: default threads byte-identical to --threads 1" ||
	bad "big: default threads" "$(cmp big1.out bigd.out 2>&1)"
BV --trust trust --at $ATS --threads 4 --in mix.jsonl --out mix4.out 2>/dev/null
BV --trust trust --at $ATS --threads 1 --in mix.jsonl --out mix1.out 2>/dev/null
cmp -s mix1.out mix4.out && cmp -s mix.out mix1.out && ok "mix: --threads 1, 4 and default byte-identical" ||
	bad "mix: threads" "$(cmp mix1.out mix4.out 2>&1) $(cmp mix.out mix1.out 2>&1)"

# ---- 5. empty input ----
: > empty.jsonl
BV --trust trust --at $ATS --in empty.jsonl --out empty.out --report empty.json 2>/dev/null; rc=$?
[ $rc -eq 0 ] && [ -f empty.out ] && [ ! -s empty.out ] && ok "empty file: exit 0, empty output" ||
	bad "empty file" "exit $rc, output '$(first empty.out 2>/dev/null)'"
python3 -c 'import json; r = json.load(open("empty.json")); assert r["records"] == 0 and r["pass"] == 0 and r["fail"] == 0' 2>/dev/null &&
	ok "empty file: report records 0" || bad "empty file: report" "$(first empty.json 2>/dev/null)"
BV --trust trust --at $ATS --report empty2.json < /dev/null > empty2.out 2>/dev/null; rc=$?
[ $rc -eq 0 ] && [ ! -s empty2.out ] && ok "/dev/null on stdin: exit 0, no output" ||
	bad "/dev/null on stdin" "exit $rc: $(first empty2.out)"
python3 -c 'import json; r = json.load(open("empty2.json")); assert r["records"] == 0' 2>/dev/null &&
	ok "/dev/null on stdin: report records 0" || bad "/dev/null report" "$(first empty2.json 2>/dev/null)"

# ---- 5b. the fast path for flat records reads lines as the strict path ----
# Every line below is written twice: as is (flat lines take the fast path)
# and with a space after '{' (always the strict cJSON path). Apart from the
# line number, the result lines must be byte-identical.
python3 - "$G1" <<'PY' > flat.jsonl
import sys
c = sys.argv[1]
L = [
 '{"code":"%s","at":%d,"checkpoint":"cp-1"}',
 '{"checkpoint":"cp-2","at":%d,"code":"%s"}',
 '{"code":"%s","at":"2026-11-23T09:00:00+08:00","k":"v"}',
 '{"code":"%s","at":"2026-11-23T01:00:00Z"}',
 '{"code":"%s","at":"not a time"}',
 '{"code":"%s","at":"1795395600"}',
 '{"code":"%s","at":-5}',
 '{"code":"%s","at":-0}',
 '{"code":"%s","at":0}',
 '{"code":"%s","at":1.5}',
 '{"code":"%s","at":1e9}',
 '{"code":"%s","at":1795392000123456}',
 '{"code":"%s","at":999999999999999}',
 '{"code":"%s","n":-0,"m":-12,"z":0,"big":123456789012345,"bigger":1234567890123456}',
 '{"code":"%s","n":007}',
 '{"code":"%s","name":"张三","e":"","":"empty key","emoji":"\U0001F600"}',
 '{"code":"%s","esc":"a\\"b","nl":"a\\nb","u":"\\u00e9"}',
 '{"code":"%s","t":true,"f":false,"nul":null,"o":{"a":1},"a":[1,2]}',
 '{"code":"%s","status":"forged","line":7,"verdict":"pass","reason":"ok","iss":"x","region":"1","warnings":[],"detail":"d"}',
 '{"code":"%s","dup":1,"dup":2}',
 '{"code":"%s","code":"%s"}',
 '{"code":12,"at":%d}',
 '{"at":%d}',
 '{"code":"%s","x":"\x7f"}',
 '{"code":"%s",' + ','.join('"m%d":%d' % (i, i) for i in range(20)) + '}',
 '{"code":"%s","k\u00e9y":1}',
 '{"code":"%s","x":1,}',
 '{"code":"%s" ,"x":1}',
 '{"code":"%s","x":"\xff"}',
 '{"code":"hc:/12345"}',
 '{"code":"%s","x":"tab\there"}',
]
for t in L:
    n = t.count('%')
    args = []
    for part in t.split('%')[1:]:
        args.append(1795392000 + 3600 if part.startswith('d') else c)
    line = (t % tuple(args)) if n else t
    sys.stdout.buffer.write(line.encode('utf-8', 'surrogateescape') + b'\n')
PY
sed 's/^{/{ /' flat.jsonl > strict.jsonl
BV --trust trust --at $ATS --in flat.jsonl --out flat.out 2>/dev/null
BV --trust trust --at $ATS --in strict.jsonl --out strict.out 2>/dev/null
n=$(wc -l < flat.jsonl)
if [ "$(wc -l < flat.out)" = "$n" ] && [ "$(wc -l < strict.out)" = "$n" ]; then
	while IFS= read -r i; do
		a=$(sed -n "${i}p" flat.out | sed 's/^{"line":[0-9]*,//')
		b=$(sed -n "${i}p" strict.out | sed 's/^{"line":[0-9]*,//')
		[ "$a" = "$b" ] && ok "fast path = strict path: line $i" ||
			bad "fast path = strict path: line $i" "$(sed -n "${i}p" flat.jsonl | cut -c1-60)... fast: $a strict: $b"
	done < <(seq 1 "$n")
else
	bad "fast path = strict path" "line counts $(wc -l < flat.out) $(wc -l < strict.out) of $n"
fi
i=$(grep -n '"at":"1795395600"' flat.jsonl | cut -d: -f1)
sed -n "${i}p" flat.out | grep -q '"reason":"malformed"' && ok "a string of digits as at is malformed, not seconds" ||
	bad "digit-string at" "$(sed -n "${i}p" flat.out)"
grep -q '"reason":"ok".*"checkpoint":"cp-1"}$' flat.out && ok "fast path: a flat record passes with its members" ||
	bad "fast path: flat record" "$(head -n 1 flat.out)"

# A NUL byte inside a line is part of the line: a valid code followed by
# NUL and garbage is malformed (as for hc-verify -), and so is a record.
{ printf '%s\0garbage\n' "$G1"; printf '{"code":"%s"}\0x\n' "$G1"; printf '%s\n' "$G1"; } > nul.jsonl
BV --trust trust --at $ATS --in nul.jsonl --out nul.out 2>/dev/null
python3 - <<'PY' && ok "a NUL inside a line: malformed, the next line still passes" || bad "NUL inside a line" "$(first nul.out)"
import json
o = [json.loads(l) for l in open('nul.out')]
assert [r['reason'] for r in o] == ['malformed', 'malformed', 'ok'], o
PY

# ---- 6. report counts ----
tally < <(python3 bt.py report mix mix.out mix.json dup)
tally < <(python3 bt.py report "mix --no-cache" mix-nc.out mix-nc.json nocache)
tally < <(python3 bt.py report "big threads 1" big1.out big1.json dup)
tally -v 'seconds' < <(python3 bt.py report "big threads 4" big4.out big4.json dup)
tally -E 'cache_hits|records matches' < <(python3 bt.py report "big --no-cache" big-nc.out big-nc.json nocache)
n=$(grep -c . mix.err)
[ "$n" -eq 1 ] && grep -q "$(wc -l < mix.jsonl | tr -d ' ')" mix.err &&
	ok "stderr: one summary line naming the record count, no progress off a terminal" ||
	bad "stderr summary" "$n lines: $(first mix.err)"

# ---- 7. stdin / stdout (Hadoop Streaming, Spark pipe()) ----
BV --trust trust --at $ATS < big.jsonl > big-stdio.out 2>/dev/null; rc=$?
[ $rc -eq 0 ] && cmp -s big1.out big-stdio.out && ok "stdin/stdout: same output as --in/--out" ||
	bad "stdin/stdout" "exit $rc; $(cmp big1.out big-stdio.out 2>&1)"
cat mix.jsonl | BV --trust trust --at $ATS --report pipe.json 2>/dev/null | cat > mix-pipe.out
cmp -s mix.out mix-pipe.out && ok "pipes in and out: same output, report only in its file" ||
	bad "pipes" "$(cmp mix.out mix-pipe.out 2>&1)"

# ---- 8. errors: exit 2 ----
err() { # NAME ARGS...: batch must exit 2
	local name=$1 rc
	shift
	BV "$@" < mix.jsonl > err.out 2> err.err; rc=$?
	[ $rc -eq 2 ] && ok "exit 2: $name" || bad "exit 2: $name" "exit $rc: $(first err.err)"
}
mkdir -p badtl && cp -r trust/roots trust/revocations badtl/ &&
	sed 's/\.\(.\)/.A\1/' trust/trustlist.jws > badtl/trustlist.jws
mkdir -p badrev && cp -r trust/roots trust/trustlist.jws badrev/ && mkdir -p badrev/revocations &&
	echo garbage > badrev/revocations/330000.jws
err "no --trust" --at $ATS --in mix.jsonl --out e.out
err "trust directory missing" --trust nodir --at $ATS --in mix.jsonl --out e.out
err "trust list signature broken" --trust badtl --at $ATS --in mix.jsonl --out e.out
err "revocation list unreadable" --trust badrev --at $ATS --in mix.jsonl --out e.out
err "--in missing file" --trust trust --at $ATS --in nosuch.jsonl --out e.out
err "--out in a missing directory" --trust trust --at $ATS --in mix.jsonl --out nodir/x.out
err "--threads 0" --trust trust --at $ATS --threads 0 --in mix.jsonl --out e.out
err "--threads abc" --trust trust --at $ATS --threads abc --in mix.jsonl --out e.out
err "--threads -1" --trust trust --at $ATS --threads -1 --in mix.jsonl --out e.out
err "unknown option" --trust trust --at $ATS --bogus --in mix.jsonl --out e.out

# ---- 10. edges: times, cache details, members as written, line edges ----
# One helper runs every table below; it writes its checks to a file, and a
# helper that dies fails here instead of taking its checks with it.
KID=$("$B/hc-keys" pub zj.key | python3 -c 'import json, sys; print(json.load(sys.stdin)["kid"])')
cat > fclaims.json <<JSON
{"iss":"$ZJ","iat":$ATS,"nbf":$ATS,"exp":$((ATS + D)),"jti":"3q2-7wAAAAAAAAAAAAAAAA","hc":{"v":1,"st":"green","pol":"default-1","why":[],"sub":{"name":"O*","id":"330***********1234"}}}
JSON
sed 's/"st":"green"/"st":"purple"/' fclaims.json > fclaims-st.json
sed 's/"exp":[0-9]*/"exp":'$((ATS - 60))'/' fclaims.json > fclaims-exp.json
{
	"$B/forge" zj.key '{"alg":"HS256","zip":"DEF","kid":"'"$KID"'"}' fclaims.json zip rs && echo
	"$B/forge" zj.key '{"alg":"ES256","zip":"DEF","kid":"abc"}' fclaims.json zip rs && echo
	"$B/forge" zj.key '{"alg":"ES256","zip":"DEF","kid":"'"$KID"'"}' fclaims-st.json zip rs && echo
	"$B/forge" zj.key '{"alg":"ES256","zip":"DEF","kid":"'"$KID"'"}' fclaims-exp.json zip rs && echo
	"$B/forge" zj.key '{"alg":"ES256","zip":"DEF","kid":"'"$KID"'","typ":"JWT"}' fclaims.json zip rs && echo
} > forged.txt 2> forged.err
[ "$(grep -c . forged.txt)" = 5 ] && ok "setup: 5 forged tokens" || bad "setup: forged tokens" "$(first forged.err)"
cat > edges.py <<'PY'
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
PY
python3 edges.py > edges.res 2> edges.err; rc=$?
tally < <(grep -v '^DONE' edges.res)
[ $rc -eq 0 ] && grep -q '^DONE' edges.res && ok "edges: the helper ran every table" ||
	bad "edges: the helper ran every table" "exit $rc: $(first edges.err)"

# --out: never the input, written through a temporary renamed at the end
cp mix.jsonl in.jsonl && cp mix.jsonl in.keep && ln -sf in.jsonl in.link && ln -f in.jsonl in.hard
mkdir -p sub
outerr() { # NAME ARGS...: exit 2 and the input intact
	local name=$1 rc
	shift
	BV --trust trust --at $ATS "$@" > /dev/null 2> oe.err; rc=$?
	[ $rc -eq 2 ] && cmp -s in.jsonl in.keep && ok "--out refused: $name" ||
		bad "--out refused: $name" "exit $rc, input $(cmp -s in.jsonl in.keep && echo intact || echo CHANGED): $(first oe.err)"
	cp in.keep in.jsonl
}
outerr "the input itself" --in in.jsonl --out in.jsonl
outerr "a symbolic link to the input" --in in.jsonl --out in.link
outerr "a hard link to the input" --in in.jsonl --out in.hard
outerr "the input by another path" --in in.jsonl --out sub/../in.jsonl
outerr "input read through a symbolic link" --in in.link --out in.jsonl
BV --trust trust --at $ATS --in in.jsonl >> in.jsonl 2> oe.err; rc=$?
[ $rc -eq 2 ] && cmp -s in.jsonl in.keep && ok "standard output appending to the input file: exit 2" ||
	bad "stdout appending to the input" "exit $rc: $(first oe.err)"
cp in.keep in.jsonl
BV --trust trust --at $ATS < in.jsonl >> in.jsonl 2> oe.err; rc=$?
[ $rc -eq 2 ] && cmp -s in.jsonl in.keep && ok "standard input and output the same file: exit 2" ||
	bad "stdin and stdout the same file" "exit $rc: $(first oe.err)"
cp in.keep in.jsonl
echo old > kept.out
BV --trust trust --at $ATS --in sub --out kept.out 2> oe.err; rc=$?
[ $rc -eq 2 ] && [ "$(cat kept.out)" = old ] && [ -z "$(ls -a | grep 'kept\.out\.tmp')" ] &&
	ok "a run failing while reading leaves the old output and no temporary" ||
	bad "failed run and its output" "exit $rc, output '$(head -c 40 kept.out)', $(ls -a | grep tmp | tr '\n' ' ')"
echo old > target.out && ln -sf target.out link.out
BV --trust trust --at $ATS --in mix.jsonl --out link.out 2> oe.err; rc=$?
[ $rc -eq 0 ] && [ -L link.out ] && cmp -s target.out mix.out && [ -z "$(ls -a | grep '\.tmp\.')" ] &&
	ok "--out through a symbolic link replaces its target, the link stays, no temporary left" ||
	bad "--out through a symbolic link" "exit $rc: $(ls -l link.out target.out 2>&1 | tr '\n' ' ')"
rm -f new.out; (umask 027 && BV --trust trust --at $ATS --in mix.jsonl --out new.out 2>/dev/null)
[ "$(stat -c %a new.out 2>/dev/null)" = 640 ] && cmp -s new.out mix.out &&
	ok "a new --out file gets 0666 less the umask" || bad "new --out mode" "$(stat -c %a new.out 2>&1)"
BV --trust trust --at $ATS --in mix.jsonl --out /dev/null 2>/dev/null; rc=$?
[ $rc -eq 0 ] && [ -c /dev/null ] && ok "--out /dev/null: written as it is, exit 0" || bad "--out /dev/null" "exit $rc"
err "--mpi without --out" --trust trust --at $ATS --mpi --in mix.jsonl

# ---- 9. MPI ----
if [ "${HC_SKIP_MPI:-0}" = 1 ]; then
	skip 22 "mpi: the MPI section" "HC_SKIP_MPI=1" # 22: the checks of the else branch
elif ! command -v mpirun >/dev/null 2>&1; then
	bad "mpi: mpirun found" "mpirun is not installed (Debian openmpi-bin); HC_SKIP_MPI=1 skips this"
else
	# Under LeakSanitizer, OpenMPI's own allocations in MPI_Init/MPI_Finalize
	# and its threads show as leaks (in dlopen'ed components, so only full
	# stacks name them): suppressed for the MPI runs only; hc code stays checked.
	printf 'leak:%s\n' ompi_mpi_init ompi_mpi_finalize libmpi.so libopen-pal.so libopen-rte.so \
		libpmix.so libevent libhwloc mca_ > lsan-mpi.supp
	MPI() {
		LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$W/lsan-mpi.supp:fast_unwind_on_malloc=0" \
			timeout "$TO" mpirun --allow-run-as-root --oversubscribe "$@"
	}
	MPI -np 2 "$B/hc-verify" batch --mpi --trust trust --at $ATS --in big.jsonl --out mpi.out \
		--report mpi.json > mpi.log 2>&1; rc=$?
	[ $rc -eq 0 ] && ok "mpi -np 2: exit 0" || bad "mpi -np 2: exit 0" "exit $rc: $(tail -c 600 mpi.log)"
	[ -s mpi.out.0 ] && [ -s mpi.out.1 ] && ok "mpi -np 2: mpi.out.0 and mpi.out.1 non-empty" ||
		bad "mpi -np 2: rank files" "$(ls -l mpi.out* 2>&1 | tr '\n' ' ')"
	cat mpi.out.0 mpi.out.1 > mpi.cat 2>/dev/null
	cmp -s mpi.cat big1.out && ok "mpi -np 2: rank files concatenated equal the single-process output" ||
		bad "mpi -np 2: concatenation" "$(cmp mpi.cat big1.out 2>&1)"
	if [ -f mpi.json ]; then tally < <(python3 bt.py same_counts "mpi -np 2" mpi.json big1.json)
	else bad "mpi -np 2: report written" "no mpi.json"; fi
	# more ranks than some ranges hold lines, on the mixed file (long lines, empty lines)
	MPI -np 3 "$B/hc-verify" batch --mpi --trust trust --at $ATS --in mix.jsonl --out mpi3.out \
		--report mpi3.json > mpi3.log 2>&1; rc=$?
	[ $rc -eq 0 ] && ok "mpi -np 3 on the mixed file: exit 0" || bad "mpi -np 3: exit 0" "exit $rc: $(tail -c 600 mpi3.log)"
	cat mpi3.out.0 mpi3.out.1 mpi3.out.2 > mpi3.cat 2>/dev/null
	cmp -s mpi3.cat mix.out && ok "mpi -np 3: rank files concatenated equal the single-process output" ||
		bad "mpi -np 3: concatenation" "$(cmp mpi3.cat mix.out 2>&1)"
	if [ -f mpi3.json ]; then tally < <(python3 bt.py same_counts "mpi -np 3" mpi3.json mix.json)
	else bad "mpi -np 3: report written" "no mpi3.json"; fi
	# without --out the ranks' results would mix on one standard output
	MPI -np 2 "$B/hc-verify" batch --mpi --trust trust --at $ATS --in big.jsonl > mpino.out 2> mpino.log; rc=$?
	[ $rc -eq 2 ] && [ ! -s mpino.out ] && grep -q -- '--mpi needs --out' mpino.log &&
		ok "mpi -np 2 without --out: exit 2, nothing on standard output" ||
		bad "mpi without --out" "exit $rc, $(wc -c < mpino.out) bytes out: $(first mpino.log)"
	# hc-verify is not linked with MPI; --mpi runs hc-verify-mpi from its directory
	readelf -d "$B/hc-verify" | grep -q 'NEEDED.*libmpi' &&
		bad "hc-verify links no MPI library" "$(readelf -d "$B/hc-verify" | grep NEEDED | tr '\n' ' ')" ||
		ok "hc-verify links no MPI library (hc-verify-mpi does)"
	mkdir -p alone && cp "$B/hc-verify" alone/
	alone/hc-verify batch --mpi --trust trust --at $ATS --in mix.jsonl --out alone.out > alone.log 2>&1; rc=$?
	[ $rc -eq 2 ] && grep -q 'alone/hc-verify-mpi' alone.log && [ ! -e alone.out.0 ] &&
		ok "--mpi without hc-verify-mpi beside hc-verify: exit 2, naming the path" ||
		bad "--mpi without hc-verify-mpi" "exit $rc: $(first alone.log)"
fi

finish
