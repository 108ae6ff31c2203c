#!/bin/bash
# tsan.sh TSAN_BUILD [BUILD]: hc-verify batch built with ThreadSanitizer
# (make check builds TSAN_BUILD with -fsanitize=thread) on a mixed workload
# with 4 threads: distinct codes of two issuer keys, the same codes
# repeated and shuffled (the signature cache, repeats within one job),
# tampered signatures among them (a block's failures), malformed lines;
# with the cache and without. No ThreadSanitizer report, exit 0, and the
# same bytes as BUILD's hc-verify batch --threads 1 --no-cache --no-tables
# (EVP_PKEY_verify one by one). BUILD (default build) makes the keys and
# codes. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
T=$(cd "${1:-build-tsan}" && pwd)
B=$(cd "${2:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-tsan.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 2
ATS=1795392000
D=86400
ZJ=https://hc.zj.example
SH=https://hc.sh.example
# exit 66 on a report, which also goes to a file per process
export TSAN_OPTIONS="halt_on_error=1:exitcode=66:log_path=$W/tsan${TSAN_OPTIONS:+:$TSAN_OPTIONS}"

for k in root zj sh; do "$B/hc-keys" gen $k.key >/dev/null || bad "gen $k"; done
mkdir -p trust/roots
"$B/hc-keys" pub root.key > trust/roots/root.jwk
cat > tl.json <<JSON
{"seq":1,"iat":$((ATS - D)),"next_update":$((ATS + 10 * D)),"issuers":[
 {"iss":"$ZJ","name":"Zhejiang Health","region":"330000",
  "keys":[$("$B/hc-keys" pub --status active zj.key)]},
 {"iss":"$SH","name":"Shanghai Health","region":"310000",
  "keys":[$("$B/hc-keys" pub --status active sh.key)]}]}
JSON
"$B/hc-keys" trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null ||
	bad "setup: trust list"
# 150 distinct codes per issuer
python3 - > recs.jsonl <<'PY'
import json
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
for i in range(150):
    body = "330106%04d0101%03d" % (1950 + i % 50, i)
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, W)) % 11]
    print(json.dumps({"person": {"name": "张%d" % i, "id": body + check}}, ensure_ascii=False))
PY
for k in zj:$ZJ sh:$SH; do
	"$B/hc-issue" --key "${k%%:*}.key" --iss "${k#*:}" --batch recs.jsonl --at $ATS \
		--risk-areas "$SRC/examples/risk-areas.json" >> codes.txt 2> issue.err ||
		bad "setup: hc-issue --batch ${k%%:*}" "$(head -c 300 issue.err)"
done
[ "$(grep -c '^hc:/' codes.txt)" -eq 300 ] && ok "setup: 300 codes of two issuers" ||
	bad "setup: 300 codes" "$(grep -c '^hc:/' codes.txt) issued"
# each code up to 4 times, every fifth also tampered (a digit pair in its
# signature changed), malformed lines between: shuffled, about 1,000 lines
python3 - codes.txt > work.jsonl <<'PY'
import json, random, sys
rng = random.Random(16)
codes = [l.strip() for l in open(sys.argv[1]) if l.startswith('hc:/')]
lines = []
for i, c in enumerate(codes):
    for _ in range(1 + i % 4):
        lines.append(json.dumps({"code": c, "at": 1795392000 + rng.randrange(3600), "lane": i}))
    if i % 5 == 0:
        p = len(c) - 41
        t = c[:p] + ('11' if c[p:p + 2] == '10' else '10') + c[p + 2:]
        lines.append(json.dumps({"code": t, "at": 1795392000}))
for i in range(20):
    lines.append('{"code":"hc:/12%d"}' % i if i % 2 else 'not a record %d' % i)
rng.shuffle(lines)
print('\n'.join(lines))
PY
n=$(wc -l < work.jsonl)
"$B/hc-verify" batch --trust trust --at $ATS --threads 1 --no-cache --no-tables --in work.jsonl \
	--out evp.out 2>/dev/null || bad "reference run (BUILD, EVP one by one)" "exit $?"
grep -q '"reason":"bad-signature"' evp.out && grep -q '"verdict":"pass"' evp.out &&
	ok "workload: $n lines with passes and bad signatures" || bad "workload" "$(head -c 300 evp.out)"

for mode in cache no-cache; do
	a=()
	[ $mode = no-cache ] && a=(--no-cache)
	s=$(date +%s)
	timeout 300 "$T/hc-verify" batch --trust trust --at $ATS --threads 4 "${a[@]}" --in work.jsonl \
		--out t.out 2> t.err
	rc=$?
	t="TSan hc-verify batch --threads 4 ($mode, $(($(date +%s) - s)) s)"
	if ls "$W"/tsan.* >/dev/null 2>&1; then
		bad "$t" "a ThreadSanitizer report: $(head -n 40 "$W"/tsan.*)"
		rm -f "$W"/tsan.*
	elif [ $rc -ne 0 ]; then
		bad "$t" "exit $rc: $(head -c 300 t.err)"
	else
		ok "$t: no report, exit 0"
	fi
	cmp -s t.out evp.out && ok "TSan run ($mode) = EVP one by one, byte for byte" ||
		bad "TSan run ($mode) differs from EVP one by one" "$(diff t.out evp.out | head -n 4)"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
