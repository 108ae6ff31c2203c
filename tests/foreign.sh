#!/bin/bash
# foreign.sh BUILD: travellers' foreign codes. hc-keys foreign signs the
# foreign trust data (the SMART Health Cards examples' issuer keys and crl
# from tests/data/shc, a DCC signer certificate from tests/data/foreign);
# hc-verify verifies each SHC example (02 chunked), refuses 03 by the crl,
# and tampered, truncated, oversized and malformed cards with their
# reasons; HC1: texts are routed to the DCC verifier; hc-verify sync
# installs foreign.jws from a loopback HTTPS server and refuses a rollback;
# status shows it; batch's signature cache serves foreign repeats; hc-verify
# scan reassembles chunked cards. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
D=$SRC/tests/data/shc
W=$(mktemp -d /tmp/hc-foreign.XXXXXX)
PIDS=""
cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 2
K() { "$B/hc-keys" "$@"; }

# The examples' nbf is 2023-06-22 (fractional seconds); 03 alone has an
# exp (2024-06-21). Verified as of 2024-01-01.
AT=2024-01-01T00:00:00Z
ISS=https://spec.smarthealth.cards/examples/issuer
qr() { cat "$D/example-$1-f-qr-code-numeric-value-${2:-0}.txt"; } # no newline at the end
S00=$(qr 00) S01=$(qr 01) S03=$(qr 03)
C1=$(qr 02 0) C2=$(qr 02 1) C3=$(qr 02 2)

# ---- trust: a root, a trust list naming foreign.jws, the foreign data ----
K gen other.key >/dev/null && K gen zj.key >/dev/null
printf '{"seq":1,"iat":1700000000,"next_update":1900000000,"foreign":"foreign.jws","issuers":[{"iss":"https://hc.zj.example","name":"Zhejiang Health","region":"330000","keys":[%s]}]}\n' \
	"$(K pub --status active zj.key)" > tl.json
trust_dir dev tl.json && ok "trust list naming foreign.jws signed" || bad "trust list naming foreign.jws"
sed 's|"foreign.jws"|"../foreign.jws"|' tl.json > tl-bad.json
K trustlist --root root.key --in tl-bad.json --out x.jws >/dev/null 2>err.txt
[ $? -eq 1 ] && has "$(cat err.txt)" "not foreign.jws" && ok "trust list naming another foreign path refused" ||
	bad "foreign path" "$(cat err.txt)"

# issuers FILE [all|one] [crl]: ISSUERS.json from the examples' JWKS
issuers() {
	python3 - "$D" "$2" "${3:-}" > "$1" <<'EOF'
import json, sys
d, which, crl = sys.argv[1], sys.argv[2], sys.argv[3]
keys = json.load(open(d + "/issuer-jwks.json"))["keys"]
if which == "one":
    keys = keys[:1]
e = {"iss": "https://spec.smarthealth.cards/examples/issuer",
     "name": "SMART Health Card Example Issuer", "keys": keys}
if crl:
    e["crls"] = [json.load(open(d + "/crl-3Kfdg.json"))]
print(json.dumps([e]))
EOF
}
issuers iss.json all crl && issuers iss-one.json one crl && issuers iss-nocrl.json all
out=$(K foreign --root root.key --seq 1 --shc iss.json --dcc "$SRC/tests/data/foreign/dcc-AT-1-certs.json" --out f1.jws)
[ $? -eq 0 ] && has "$out" "seq 1 certs 1 issuers 1 keys 2 rids 4" && ok "hc-keys foreign: $out" || bad "hc-keys foreign" "$out"
K foreign --root root.key --seq 2 --shc iss.json --dcc "$SRC/tests/data/foreign/dcc-AT-1-certs.json" --out f2.jws >/dev/null &&
	K foreign --root root.key --seq 3 --shc iss-one.json --out f-one.jws >/dev/null &&
	K foreign --root root.key --seq 3 --shc iss-nocrl.json --out f-nocrl.jws >/dev/null &&
	K foreign --root other.key --seq 9 --shc iss.json --out f-other.jws >/dev/null &&
	ok "more foreign trust files signed" || bad "more foreign trust files"

# refused inputs: exit status and a reason
refuse() { # NAME EXIT WORDS ARGS...
	local name=$1 want=$2 words=$3 rc
	shift 3
	K foreign --root root.key --out r.jws "$@" >/dev/null 2>err.txt; rc=$?
	[ $rc -eq "$want" ] && has "$(cat err.txt)" "$words" && [ ! -e r.jws ] && ok "refused: $name" ||
		bad "refused: $name" "exit $rc: $(cat err.txt)"
}
python3 -c "
import json; e=json.load(open('iss.json')); k=e[0]['keys'][0]; k['kid']=k['kid'][:-1]+('A' if k['kid'][-1]!='A' else 'B')
print(json.dumps(e))" > iss-badkid.json
python3 -c "
import json; e=json.load(open('iss.json')); e[0]['keys'][0]['d']='AAAA'; print(json.dumps(e))" > iss-priv.json
python3 -c "
import json; e=json.load(open('iss.json')); e[0]['crls'][0]['rids'].append('FKDIxsTCGlU'); print(json.dumps(e))" > iss-dup.json
python3 -c "
import json; c=json.load(open('$SRC/tests/data/foreign/dcc-AT-1-certs.json')); c[0]['cert']=c[0]['cert'][:-8]+'AAAAAAAA'; print(json.dumps(c))" > certs-bad.json
head -c $((5 << 20)) /dev/zero | tr '\0' ' ' > big.json
refuse "SHC key whose kid is not its thumbprint" 1 "kid" --seq 1 --shc iss-badkid.json
refuse "a private JWK" 1 "public JWK" --seq 1 --shc iss-priv.json
refuse "a rid listed twice" 1 "listed twice" --seq 1 --shc iss-dup.json
refuse "a damaged certificate" 1 "X.509" --seq 1 --dcc certs-bad.json
python3 -c "
import json; c=json.load(open('$SRC/tests/data/foreign/dcc-AT-1-certs.json')); c[0]['cert']=c[0]['cert'][:64]+'\\n'+c[0]['cert'][64:]; print(json.dumps(c))" > certs-wrapped.json
refuse "a certificate in base64 with a line break" 1 "not standard base64" --seq 1 --dcc certs-wrapped.json
refuse "an oversized input" 2 "too large" --seq 1 --shc big.json
refuse "seq 0" 2 "--seq" --seq 0 --shc iss.json

cp f1.jws dev/foreign.jws
V() { # hc-verify --json, as of $AT unless --at is given
	case " $* " in *" --at "*) ;; *) set -- --at $AT "$@" ;; esac
	"$B/hc-verify" --trust dev --json "$@" 2>&1
}
# card NAME EXIT REASON WORDS [hc-verify args]: the verdict on the cards given
card() {
	local name=$1 want_rc=$2 want=$3 words=$4 out rc
	shift 4
	out=$(V "$@"); rc=$?
	[ $rc -eq "$want_rc" ] && has "$out" "\"reason\":\"$want\"" && has "$out" "$words" &&
		ok "$name" || bad "$name" "exit $rc, want $want_rc $want ($words): $out"
}
card "00 verifies" 0 ok '"format":"shc","issuer":"'$ISS'","issuer_name":"SMART Health Card Example Issuer","type":"vaccination","summary":{"doses":3,"date":"2022-09-05"},"name":"John B. Anyperson","dob":"1951-01-20"' --text "$S00"
card "01 verifies (the x5c key)" 0 ok '"doses":3' --text "$S01"
card "02 chunked reassembles from stdin" 0 ok '"type":"test"' - < <(printf '%s\n%s\n%s\n' "$C1" "$C2" "$C3")
card "02 chunks in another order, as arguments" 0 ok '"format":"shc"' --text "$C3" --text "$C1" --text "$C2"
card "02 chunks joined by newlines in one text" 0 ok '"format":"shc"' --text "$C2
$C1
$C3"
card "02 with a chunk missing" 1 malformed "missing" - < <(printf '%s\n%s\n' "$C1" "$C3")
card "02 with a chunk given twice" 1 malformed "given twice" --text "$C1
$C1
$C3"
card "03 revoked by the crl (rid.timestamp after its nbf)" 1 revoked "rid vwAjHdarZuc" --text "$S03"
out=$("$B/hc-verify" --trust dev --at $AT --text "$S03" 2>&1)
has "$out" "FAIL revoked" && has "$out" "Johnny Revoked" && ok "03 revoked, line output names the card" || bad "03 line" "$out"
card "03 expired after its exp" 1 expired "" --at 2025-01-01 --text "$S03"
card "00 not valid before its nbf" 1 not-yet-valid "" --at 2023-06-01 --text "$S00"
card "--require-doses 3 met" 0 ok "" --require-doses 3 --text "$S00"
card "--require-doses 4 not met" 1 requirement-not-met "doses" --require-doses 4 --text "$S00"
card "--require-nat not met by a vaccination card" 1 requirement-not-met "test" --require-nat 72 --text "$S00"

# hostile cards
sig_digit=$((${#S00} - 5))
d=${S00:$sig_digit:1}; nd=$(( (d + 1) % 10 )); [ "$nd" -gt 7 ] && nd=0
T1=${S00:0:$sig_digit}$nd${S00:$((sig_digit + 1))}
card "tampered signature digit" 1 bad-signature "" --text "$T1"
card "truncated (odd digits)" 1 malformed "odd" --text "${S00:0:$((${#S00} - 1))}"
card "truncated (a part cut off)" 1 malformed "" --text "${S00:0:200}"
card "a digit pair above 77" 1 malformed "above 77" --text "shc:/9956"
card "not digits" 1 malformed "not a digit" --text "shc:/56x6"
card "empty" 1 malformed "no digits" --text "shc:/"
big=$(head -c 17000 /dev/zero | tr '\0' '5')
card "oversized text" 1 malformed "too large" --text "shc:/$big"
card "chunk 4 of 3" 1 malformed "" --text "shc:/4/3/5656
shc:/1/3/5656"
# a card with other contents re-signed by a key the trust data does not hold
python3 - "$D/example-00-d-jws.txt" > forged.txt <<'EOF'
import base64, json, sys
h, p, s = open(sys.argv[1]).read().strip().split(".")
hd = json.loads(base64.urlsafe_b64decode(h + "=="))
hd["kid"] = "A" * 43
h2 = base64.urlsafe_b64encode(json.dumps(hd, separators=(",", ":")).encode()).decode().rstrip("=")
print("shc:/" + "".join("%02d" % (ord(c) - 45) for c in h2 + "." + p + "." + s))
EOF
card "a kid that is not the issuer's" 1 unknown-key "not a key of" --text "$(cat forged.txt)"
# mkjws HEADER-JSON PAYLOAD-BYTES SIG-BYTES: a framed card (unsigned)
mkjws() {
	python3 -c '
import base64, sys, zlib
b = lambda x: base64.urlsafe_b64encode(x).decode().rstrip("=")
c = zlib.compressobj(9, zlib.DEFLATED, -15)
p = c.compress(eval(sys.argv[2])) + c.flush()
t = b(sys.argv[1].encode()) + "." + b(p) + "." + b(eval(sys.argv[3]))
print("shc:/" + "".join("%02d" % (ord(ch) - 45) for ch in t))' "$@"
}
KID=3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s
card "a payload inflating past 64 KiB" 1 malformed "65536" \
	--text "$(mkjws '{"zip":"DEF","alg":"ES256","kid":"'$KID'"}' 'b"{" + b" " * 70000 + b"}"' 'b"\1" * 64')"
card "a DER signature" 1 malformed "64 bytes" \
	--text "$(mkjws '{"zip":"DEF","alg":"ES256","kid":"'$KID'"}' 'b"{}"' 'bytes.fromhex("3044022001" + "00" * 31 + "022001" + "00" * 31)')"
card "alg confusion (HS256)" 1 unsupported-alg "" \
	--text "$(mkjws '{"zip":"DEF","alg":"HS256","kid":"'$KID'"}' 'b"{}"' 'b"\1" * 64')"
card "a header without zip" 1 malformed "header" \
	--text "$(mkjws '{"alg":"ES256","kid":"'$KID'"}' 'b"{}"' 'b"\1" * 64')"
cp f-one.jws dev/foreign.jws
card "01's key not in the trust data (one key only)" 1 unknown-key "" --text "$S01"
cp f-nocrl.jws dev/foreign.jws
card "03 passes where the trust data has no crl" 0 ok "" --text "$S03"
rm dev/foreign.jws
card "no foreign trust data: unknown issuer" 1 unknown-issuer "" --text "$S00"
cp f-other.jws dev/foreign.jws
out=$("$B/hc-verify" --trust dev --at $AT --text "$S00" 2>&1); rc=$?
[ $rc -eq 2 ] && has "$out" "not a pinned root" && ok "foreign.jws signed by another key: the directory does not load" || bad "foreign by other key" "exit $rc: $out"
python3 - f1.jws > dev/foreign.jws <<'EOF'
import sys
h, p, s = open(sys.argv[1]).read().strip().split(".")
p = p[:40] + ("A" if p[40] != "A" else "B") + p[41:]
print(h + "." + p + "." + s)
EOF
out=$("$B/hc-verify" --trust dev --at $AT --text "$S00" 2>&1); rc=$?
[ $rc -eq 2 ] && has "$out" "foreign.jws" && ok "tampered foreign.jws: the directory does not load" || bad "tampered foreign.jws" "exit $rc: $out"
cp f1.jws dev/foreign.jws

# HC1: texts go to hc_dcc_verify with the trust data's certificates.
HC1=$(cat "$SRC/tests/data/foreign/dcc-AT-1.txt")
out=$(V --at 2021-05-06T18:00:00Z --text "$HC1"); rc=$?
[ $rc -eq 0 ] && has "$out" '"verdict":"pass"' && has "$out" '"format":"dcc"' && has "$out" '"issuer":"AT"' &&
	has "$out" '"type":"vaccination"' && has "$out" '"doses":1,"doses_total":2' &&
	ok "HC1: verified by its signer certificate in the foreign trust data" || bad "HC1 routing" "exit $rc: $out"
mv dev/foreign.jws f-away.jws
card "no foreign trust data: a DCC's issuer is unknown" 1 unknown-issuer "no foreign trust data" \
	--at 2021-05-06T18:00:00Z --text "$HC1"
mv f-away.jws dev/foreign.jws
out=$(printf '%s\n%s\n' "$S00" "$HC1" | "$B/hc-verify" --trust dev --at $AT - 2>&1); rc=$?
[ $rc -eq 1 ] && has "$out" "stdin:1: PASS shc" && has "$out" "stdin:2: FAIL expired" &&
	ok "SHC and HC1: on one stdin (the DCC expired in 2021)" || bad "mixed stdin" "exit $rc: $out"
out=$(python3 -c 'print("HC1:" + "A" * 5000)' | V -); rc=$?
[ $rc -eq 1 ] && has "$out" '"reason":"malformed"' && has "$out" "base45" &&
	ok "a 5000-byte HC1: line on stdin reaches the DCC verifier" || bad "long HC1: line" "exit $rc: $out"

# batch: every format, a chunked card as its chunks joined in "code"
{
	echo "$S00"
	printf '{"code":"%s","id":7}\n' "$S03"
	python3 -c 'import json, sys; print(json.dumps({"code": "\n".join(sys.argv[1:])}))' "$C1" "$C2" "$C3"
	echo "$HC1"
	echo "shc:/5656"
} > batch.in
"$B/hc-verify" batch --trust dev --at $AT --threads 1 --in batch.in --out batch.out 2>/dev/null
got=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    print(o["line"], o["verdict"], o["reason"], o.get("format"), o.get("issuer") is not None, o.get("id", "-"))' batch.out 2>&1)
want="1 pass ok shc True -
2 fail revoked shc True 7
3 pass ok shc True -
4 fail expired dcc True -
5 fail malformed shc False -"
[ "$got" = "$want" ] && ok "batch: SHC single, revoked, chunked, HC1: (expired), malformed" || bad "batch" "$got"

# batch's signature cache for foreign codes: a repeat skips the signature
# check (cache_hits counts it) but gets its own times, revocation and
# requirements; a repeat with a tampered signature misses and fails; the
# output is byte-identical with --no-cache.
# a DCC whose signature's last byte is changed (base45, zlib, COSE redone)
HC1T=$(python3 - "$HC1" <<'EOF2'
import sys, zlib
A = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
t = sys.argv[1][4:]
raw = bytearray()
for i in range(0, len(t), 3):
    g = [A.index(c) for c in t[i:i + 3]]
    v = g[0] + 45 * g[1] + (2025 * g[2] if len(g) == 3 else 0)
    raw += v.to_bytes(2 if len(g) == 3 else 1, "big")
cose = bytearray(zlib.decompress(bytes(raw)))
cose[-1] ^= 1  # the signature is the last item: its last byte
z = zlib.compress(bytes(cose), 9)
out = ""
for i in range(0, len(z), 2):
    v = int.from_bytes(z[i:i + 2], "big")
    out += A[v % 45] + A[v // 45 % 45] + (A[v // 2025] if i + 1 < len(z) else "")
print("HC1:" + out)
EOF2
)
{
	echo "$S00"
	printf '{"code":"%s","at":"2023-06-01T00:00:00Z"}\n' "$S00"
	echo "$S03"
	echo "$S03"
	printf '{"code":"%s","at":"2021-05-06T18:00:00Z"}\n' "$HC1"
	echo "$HC1"
	echo "$T1"
	echo "$HC1T"
	echo "$S00"
} > cache.in
BC() { "$B/hc-verify" batch --trust dev --at $AT --threads 1 --in cache.in "$@" 2>/dev/null; }
BC --out cache.out --report cache.json
BC --out cache-nc.out --report cache-nc.json --no-cache
hits() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["cache_hits"])' "$1" 2>&1; }
got=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    print(o["line"], o["reason"], o.get("format"))' cache.out 2>&1)
want="1 ok shc
2 not-yet-valid shc
3 revoked shc
4 revoked shc
5 ok dcc
6 expired dcc
7 bad-signature shc
8 bad-signature dcc
9 ok shc"
[ "$got" = "$want" ] && [ "$(hits cache.json)" = 4 ] &&
	ok "batch cache: 4 foreign repeats hit; each repeat still gets its own time and revocation check" ||
	bad "batch cache" "hits $(hits cache.json): $got"
grep -q '"line":8,.*ES256 signature does not verify' cache.out && grep -q '"line":7,.*"detail":"signature does not verify"' cache.out &&
	ok "batch cache: tampered repeats fail with their own detail" || bad "batch cache: tampered" "$(sed -n '7,8p' cache.out)"
cmp -s cache.out cache-nc.out && [ "$(hits cache-nc.json)" = 0 ] &&
	ok "batch cache: output byte-identical with --no-cache (0 hits)" || bad "batch cache vs --no-cache" "$(diff cache.out cache-nc.out)"
same=$(python3 - "$B/hc-verify" "$AT" cache.in cache.out <<'EOF2'
import json, subprocess, sys
hv, at, recs, outs = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().splitlines(), open(sys.argv[4]).read().splitlines()
same = 0
for l, o in zip(recs, outs):
    r = json.loads(l) if l[0] == "{" else {"code": l}
    p = subprocess.run([hv, "--trust", "dev", "--at", str(r.get("at", at)), "--json", "--text", r["code"]],
                       capture_output=True, text=True)
    same += json.loads(p.stdout.splitlines()[-1])["reason"] == json.loads(o)["reason"]
print(same)
EOF2
)
[ "$same" = 9 ] && ok "batch cache: each record's reason equals hc-verify's" || bad "batch cache vs hc-verify" "$same of 9 equal"

# --require-nat on a test card of our own issuer (signed with tests/tools/forge):
# a negative NAAT 10 h old meets 24 hours when its status is final, and
# not when it is preliminary or entered in error
OWN=https://shc.test.example
printf '[{"iss":"%s","name":"Test Lab","keys":[%s]}]' "$OWN" "$(K pub zj.key)" > iss-own.json
K foreign --root root.key --seq 20 --shc iss-own.json --out f-own.jws >/dev/null || bad "foreign with our issuer"
cp dev/foreign.jws f-held.jws && cp f-own.jws dev/foreign.jws
# labcard STATUS: shc:/ text of a card with one SARS-CoV-2 NAAT observation
labcard() {
	python3 - "$OWN" "$1" > lab.json <<'PY'
import json, sys
ats = 1704067200  # 2024-01-01T00:00:00Z
obs = {"resourceType": "Observation", "status": sys.argv[2],
       "code": {"coding": [{"system": "http://loinc.org", "code": "94500-6"}]},
       "effectiveDateTime": "2023-12-31T14:00:00Z",
       "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "260385009"}]}}
pat = {"resourceType": "Patient", "name": [{"family": "Lab", "given": ["Test"]}], "birthDate": "1990-01-01"}
vc = {"type": ["https://smarthealth.cards#health-card"], "credentialSubject": {"fhirVersion": "4.0.1",
      "fhirBundle": {"resourceType": "Bundle", "type": "collection",
                     "entry": [{"fullUrl": "resource:0", "resource": pat}, {"fullUrl": "resource:1", "resource": obs}]}}}
print(json.dumps({"iss": sys.argv[1], "nbf": ats - 3600, "vc": vc}, separators=(",", ":")))
PY
	"$B/forge" zj.key '{"zip":"DEF","alg":"ES256","kid":"'"$(K pub zj.key | sed 's/.*"kid":"\([^"]*\)".*/\1/')"'"}' lab.json zip rs |
		python3 -c 'import sys; t = sys.stdin.read().strip(); print("shc:/" + "".join("%02d" % (ord(c) - 45) for c in t))'
}
card "a final negative NAAT 10 h old meets --require-nat 24" 0 ok "" --require-nat 24 --text "$(labcard final)"
card "the same NAAT misses --require-nat 8" 1 requirement-not-met "" --require-nat 8 --text "$(labcard final)"
card "a preliminary NAAT meets no --require-nat" 1 requirement-not-met "" --require-nat 24 --text "$(labcard preliminary)"
card "a NAAT entered in error meets no --require-nat" 1 requirement-not-met "" --require-nat 24 --text "$(labcard entered-in-error)"
cp f-held.jws dev/foreign.jws

# scan: a foreign code gets a verdict
printf '%s\n%s\n' "$S00" "$S03" | timeout 30 "$B/hc-verify" scan --trust dev --stdin --at $AT --ui json > scan.out 2>&1
got=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    print(o["verdict"], o["reason"])' scan.out 2>&1)
[ "$got" = "pass ok
fail revoked" ] && ok "scan: SHC codes get their verdicts" || bad "scan" "$got: $(cat scan.out)"
# scan: the chunks of card 02 collected across lines (a keyboard wedge),
# other codes between them verified as they come, one verdict for the card
# once complete, logged with its chunks joined (batch over the log agrees);
# a chunk read twice adds nothing; a set left incomplete fails after
# --shc-wait, or at the end of the input; an HC1: line of 5000 bytes is read
scol() { python3 -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    print(o["verdict"], o["reason"], o.get("detail", ""))' "$1" 2>&1; }
SC() { timeout 30 "$B/hc-verify" scan --trust dev --stdin --at $AT --ui json "$@"; }
printf '%s\n' "$C2" "$S00" "$C2" "$C3" "$C1" "$S03" | SC --log chunks.jsonl > scan2.out 2>&1
got=$(scol scan2.out | cut -d' ' -f1-2)
[ "$got" = "pass ok
pass ok
fail revoked" ] && ok "scan: chunks of one card across lines (one read twice) give one verdict" || bad "scan chunks" "$got: $(cat scan2.out)"
"$B/hc-verify" batch --trust dev --at $AT --in chunks.jsonl --out chunks.out 2>/dev/null
[ "$(python3 -c '
import json, sys
print(" ".join(json.loads(l)["reason"] for l in open(sys.argv[1])))' chunks.out 2>&1)" = "ok ok revoked" ] &&
	ok "scan: the log's joined chunks verify the same in batch" || bad "scan chunks log" "$(cat chunks.out)"
# (the pause starts once the scanner runs, known by the verdict on a first
# line "x": hc-verify under valgrind takes seconds to exec the scanner,
# which would then read all the lines at once)
rm -f in3 && mkfifo in3
timeout 30 "$B/hc-verify" scan --trust dev --stdin --at $AT --ui json --shc-wait 1 < in3 > scan3.out 2>&1 &
sp=$!
exec 7> in3
echo x >&7
for _ in $(seq 300); do [ -s scan3.out ] && break; sleep 0.1; done
printf '%s\n' "$C1" "$C3" >&7
sleep 1.6
printf '%s\n' "$S00" "$C2" >&7
exec 7>&-
wait $sp
got=$(scol scan3.out | tail -n +2)
has "$got" "fail malformed" && has "$(echo "$got" | head -1)" "chunks missing: 2 of 3" &&
	[ "$(echo "$got" | sed -n 2p | cut -d' ' -f1)" = pass ] &&
	has "$(echo "$got" | sed -n 3p)" "chunks missing: 1 of 3" && [ "$(echo "$got" | wc -l)" = 3 ] &&
	ok "scan: an incomplete set fails after --shc-wait, and at the end of the input" || bad "scan chunk timeout" "$got"
# scan, frames (QR pictures made by tests/tools/qrpng): chunks 1 and 2 of
# card 02 in view from the first frame, chunk 3 from the sixth, 1 s apart,
# --shc-wait 3: the set fails at 3 s, and the chunks still in view are
# offered again at once (not after the 30 s repeat), so the card passes
# when chunk 3 comes; a QR holding two chunks' text with a line break
# between them is a code of its own (it fails) and joins no set.
mkdir -p fr1 fr2
"$B/qrpng" c12.png "$C1" "$C2" && "$B/qrpng" c123.png "$C1" "$C2" "$C3" &&
	"$B/qrpng" fr2/0.png "shc:/1/3/5656
shc:/2/3/5656" "$C3" || echo "qrpng failed"
for i in 0 1 2 3 4; do cp c12.png fr1/$i.png; done
for i in 5 6 7; do cp c123.png fr1/$i.png; done
timeout 60 "$B/hc-verify" scan --trust dev --frames fr1 --fps 1 --at $AT --ui json --shc-wait 3 > scan6.out 2>&1
got=$(scol scan6.out)
[ "$(echo "$got" | wc -l)" = 2 ] && has "$(echo "$got" | head -1)" "fail malformed" &&
	has "$(echo "$got" | head -1)" "chunks missing: 2 of 3" && [ "$(echo "$got" | sed -n 2p | cut -d' ' -f1-2)" = "pass ok" ] &&
	ok "scan frames: a card's chunks still in view after a set timed out complete the next set" ||
	bad "scan frames chunks" "$got"
timeout 60 "$B/hc-verify" scan --trust dev --frames fr2 --at $AT --ui json > scan7.out 2>&1
got=$(scol scan7.out)
[ "$(echo "$got" | wc -l)" = 2 ] && ! has "$got" "pass" && has "$got" "chunks missing: 1 of 3" &&
	ok "scan frames: a QR with a line break between two chunks' texts is no chunk" || bad "scan frames newline" "$got"
printf '%s\n' "$C1" "shc:/1/2/5656" "$C2" "$C3" | SC > scan4.out 2>&1
got=$(scol scan4.out)
has "$(echo "$got" | head -1)" "chunks missing: 1 of 3" && [ "$(echo "$got" | wc -l)" = 3 ] &&
	has "$(echo "$got" | sed -n 2p)" "chunks missing: 1 of 2" && has "$(echo "$got" | sed -n 3p)" "chunks missing: 2 of 3" &&
	ok "scan: a chunk of another N ends the set held, and starts its own" || bad "scan chunk of another N" "$got"
printf '%s\n' "$HC1" "HC1:$(head -c 5000 /dev/zero | tr '\0' 'A')" "HC1:$(head -c 8200 /dev/zero | tr '\0' 'A')" |
	SC > scan5.out 2>&1
got=$(scol scan5.out)
[ "$(echo "$got" | cut -d' ' -f1-2 | tr '\n' ' ')" = "fail expired fail malformed fail malformed " ] &&
	has "$(echo "$got" | sed -n 2p)" "base45" && has "$(echo "$got" | sed -n 3p)" "more than 8192" &&
	ok "scan: HC1: lines up to 8192 bytes reach the DCC verifier" || bad "scan HC1: cap" "$got"

# status
out=$("$B/hc-verify" status --trust dev 2>&1)
has "$out" "foreign: seq 1" && has "$out" "1 DCC certificates, 1 SHC issuers (2 keys, 4 revoked rids)" &&
	has "$out" "sha256 " && ok "status shows foreign.jws" || bad "status" "$out"
out=$("$B/hc-verify" status --trust dev --json 2>&1)
has "$out" '"foreign":{"seq":1' && has "$out" '"shc_revoked":4' && ok "status --json shows foreign.jws" || bad "status --json" "$out"

# ---- sync from a loopback HTTPS server ----
test_ca || bad "test CA"
mkdir -p pub && cp dev/trustlist.jws pub/ && cp f2.jws pub/foreign.jws
python3 "$SRC/tests/tools/https_server.py" --root pub --cert srv.pem --key srv.key \
	--port-file port --log srv.log &
PIDS="$PIDS $!"
for i in $(seq 100); do [ -s port ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(cat port 2>/dev/null)
mkdir -p dev2/roots && cp dev/roots/root.jwk dev2/roots/
sy() { timeout 30 "$B/hc-verify" sync --trust dev2 --cacert ca.pem "$URL" > out.txt 2>&1; }
sy; rc=$?
[ $rc -eq 0 ] && has "$(cat out.txt)" "foreign.jws: installed (seq 2)" && cmp -s dev2/current/foreign.jws f2.jws &&
	ok "sync installs foreign.jws" || bad "sync installs foreign.jws" "exit $rc: $(cat out.txt)"
out=$("$B/hc-verify" --trust dev2 --at $AT --text "$S00" 2>&1)
has "$out" "PASS shc" && ok "a card verifies after sync" || bad "card after sync" "$out"
out=$("$B/hc-verify" status --trust dev2 2>&1)
has "$out" "foreign: seq 2" && ok "status after sync: foreign seq 2" || bad "status after sync" "$out"
state() { (cd dev2 && find . -type f -printf '%p %s\n' | sort; cat current/foreign.jws); }
before=$(state)
cp f1.jws pub/foreign.jws
sy; rc=$?
[ $rc -eq 1 ] && has "$(cat out.txt)" "rollback" && [ "$(state)" = "$before" ] &&
	ok "sync refuses foreign.jws seq 1 after 2, directory unchanged" || bad "foreign rollback" "exit $rc: $(cat out.txt)"
cp f-other.jws pub/foreign.jws
sy; rc=$?
[ $rc -eq 1 ] && has "$(cat out.txt)" "not a pinned root" && [ "$(state)" = "$before" ] &&
	ok "sync refuses a foreign.jws no pinned root signed" || bad "foreign bad signature" "exit $rc: $(cat out.txt)"
cp f-nocrl.jws pub/foreign.jws
sy; rc=$?
[ $rc -eq 0 ] && has "$(cat out.txt)" "foreign.jws: updated (seq 2 -> 3)" &&
	ok "sync updates foreign.jws to seq 3" || bad "foreign update" "exit $rc: $(cat out.txt)"
rm -rf dev2/current dev2/gen
cp f2.jws pub/foreign.jws
sy; rc=$?
[ $rc -eq 1 ] && has "$(cat out.txt)" "rollback" && ok "the durable baseline refuses seq 2 after the held data is gone" ||
	bad "foreign baseline" "exit $rc: $(cat out.txt)"

totals
