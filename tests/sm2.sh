#!/bin/bash
# sm2.sh BUILD: SM2 with SM3 (DESIGN 13): keys, JWKs and thumbprints,
# codes, trust lists and revocation lists signed with SM2 beside P-256,
# batch; cross-checked by the openssl command line (SM3 and the
# distinguishing ID 1234567812345678) and by the npm package sm-crypto run
# with node (an independent implementation, installed by this test into a
# cache outside the repository; skipped with the reason when npm cannot
# reach its registry); adversarial: algorithm confusion both ways, another
# distinguishing ID, r or s of 0 or >= n, points off the curve, a P-256
# point labelled SM2. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-sm2.XXXXXX)
DPID=""
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
cd "$W" || exit 2

AT=2026-11-23T08:00:00+08:00
ATS=1795392000
ZJ=https://hc.zj.example
SM=https://hc.sm.example
ID=1234567812345678
# the SM2 group order n (GB/T 32918.5)
N=FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
K() { "$B/hc-keys" "$@"; }
V() { "$B/hc-verify" --trust trust --at $((ATS + 60)) "$@"; }
qr() { perl -e 'print "hc:/", join("", map { sprintf "%02d", ord($_) - 45 } split //, $ARGV[0]), "\n"' "$1"; }
b64u() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
b64d() { local v=$1; v=$(printf '%s' "$v" | tr -- '-_' '+/'); while [ $(( ${#v} % 4 )) -ne 0 ]; do v="$v="; done; printf '%s' "$v" | openssl base64 -d -A; }
hex2bin() { perl -e 'print pack("H*", $ARGV[0])' "$1"; }
kid() { K pub "$1" | sed 's/.*"kid":"\([^"]*\)".*/\1/'; }
# expect NAME EXIT REASON DETAIL TOKEN: hc-verify --json on the token's QR text
expect() {
	local out rc
	qr "$5" >> "$W/adv.txt" # for the batch comparison at the end of the batch part
	out=$(V --json --text "$(qr "$5")" 2>&1); rc=$?
	if [ $rc -ne "$2" ]; then bad "$1" "exit $rc, want $2: $out"; return; fi
	case "$out" in *"\"reason\":\"$3\""*) ;; *) bad "$1" "want $3: $out"; return ;; esac
	case "$out" in *"$4"*) ok "$1" ;; *) bad "$1" "want detail '$4': $out" ;; esac
}
# der2raw DER-FILE: r||s as 128 hex digits
der2raw() { openssl asn1parse -inform DER -in "$1" | awk -F: '/INTEGER/ { v = $NF;
	while (length(v) > 64 && substr(v, 1, 2) == "00") v = substr(v, 3);
	while (length(v) < 64) v = "0" v; printf "%s", v }'; }
# clisign KEY ALG ID IN: the openssl CLI's signature of file IN, r||s hex
clisign() {
	if [ "$2" = SM2 ]; then
		openssl pkeyutl -sign -inkey "$1" -rawin -digest sm3 -pkeyopt "distid:$3" -in "$4" -out s.der
	else
		openssl dgst -sha256 -sign "$1" -out s.der "$4"
	fi 2>/dev/null && der2raw s.der
}
# mktok HEADER-JSON PAYLOAD-B64 KEY ALG ID: a token signed by the openssl CLI
mktok() {
	local h
	h=$(printf '%s' "$1" | b64u)
	printf '%s.%s' "$h" "$2" > in.txt
	printf '%s.%s.%s' "$h" "$2" "$(hex2bin "$(clisign "$3" "$4" "$5" in.txt)" | b64u)"
}
# withsig TOKEN HEX: the token with its signature replaced
withsig() { printf '%s.%s' "${1%.*}" "$(hex2bin "$2" | b64u)"; }

# ---- keys ----
K gen --alg SM2 root.key >/dev/null && K gen --alg SM2 sm.key >/dev/null && K gen zj.key >/dev/null &&
	K gen --alg ES256 proot.key >/dev/null && ok "gen --alg SM2 and --alg ES256" || bad "gen"
[ "$(stat -c %a sm.key)" = 600 ] && head -1 sm.key | grep -q 'BEGIN PRIVATE KEY' &&
	openssl pkey -in sm.key -text -noout 2>/dev/null | grep -q 'ASN1 OID: SM2' &&
	ok "SM2 key: PEM PKCS#8 on the SM2 curve, mode 0600" || bad "SM2 key file"
out=$(K gen --alg ES384 x.key 2>&1); rc=$?
[ $rc -eq 2 ] && [ ! -e x.key ] && case "$out" in *"ES256 or SM2"*) true ;; *) false ;; esac &&
	ok "gen --alg ES384 refused (exit 2)" || bad "gen --alg ES384" "$rc $out"
jwk=$(K pub sm.key)
case "$jwk" in *'"crv":"SM2"'*'"alg":"SM2"'*) ok "SM2 JWK has crv SM2, alg SM2" ;; *) bad "SM2 JWK" "$jwk" ;; esac
pubder=$(openssl pkey -in sm.key -pubout -outform DER 2>/dev/null | tail -c 64 | od -An -v -tx1 | tr -d ' \n')
xb=$(hex2bin "${pubder:0:64}" | b64u); yb=$(hex2bin "${pubder:64:64}" | b64u)
tp=$(printf '{"crv":"SM2","kty":"EC","x":"%s","y":"%s"}' "$xb" "$yb" | openssl dgst -sha256 -binary | b64u)
[ "$(kid sm.key)" = "$tp" ] && ok "SM2 kid is the RFC 7638 thumbprint over crv SM2 (openssl)" ||
	bad "SM2 thumbprint" "$(kid sm.key) vs $tp"

# ---- a trust list signed by an SM2 root, with a P-256 and an SM2 issuer ----
mkdir -p trust/roots trust/revocations
K pub root.key > trust/roots/root.jwk
cat > tl.json <<JSON
{"seq":1,"iat":$((ATS - 86400)),"next_update":$((ATS + 30 * 86400)),"issuers":[
 {"iss":"$ZJ","name":"Zhejiang Health","region":"330000","revocations":"revocations/330000.jws",
  "keys":[$(K pub --status active zj.key)]},
 {"iss":"$SM","name":"SM Health","region":"110000","revocations":"revocations/110000.jws",
  "keys":[$(K pub --status active sm.key)]}]}
JSON
K trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null &&
	ok "mixed trust list signed by an SM2 root" || bad "trustlist with SM2 root"
L=$(cat trust/trustlist.jws)
[ "$(b64d "${L%%.*}")" = "{\"alg\":\"SM2\",\"kid\":\"$(kid root.key)\"}" ] &&
	ok "trust list header alg SM2" || bad "trust list header" "$(b64d "${L%%.*}")"
openssl pkey -in root.key -pubout -out root.pub 2>/dev/null
printf '%s' "${L%.*}" > tl-in.txt
hex2bin "$(b64d "${L##*.}" | od -An -v -tx1 | tr -d ' \n')" > /dev/null
sighex=$(b64d "${L##*.}" | od -An -v -tx1 | tr -d ' \n')
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "${sighex:0:64}" "${sighex:64:64}" > sig.cnf
openssl asn1parse -genconf sig.cnf -out sig.der >/dev/null
cliverify() { # PUB IN SIGDER ID
	openssl pkeyutl -verify -pubin -inkey "$1" -rawin -digest sm3 -pkeyopt "distid:$4" -in "$2" \
		-sigfile "$3" >/dev/null 2>&1
}
cliverify root.pub tl-in.txt sig.der $ID && ok "openssl verifies the trust list (SM2, SM3, ID $ID)" ||
	bad "openssl verify SM2 trust list"
cliverify root.pub tl-in.txt sig.der 1234567812345679 && bad "openssl with another ID (control)" ||
	ok "openssl refuses it under another ID (control)"

# ---- codes: SM2 beside ES256 ----
issue() { "$B/hc-issue" --key "$1" --iss "$2" --record "$SRC/examples/green.json" --at $AT --jws; }
S1=$(issue sm.key $SM) && S2=$(issue sm.key $SM) && Z1=$(issue zj.key $ZJ) || bad "issue"
[ "$(b64d "${S1%%.*}")" = "{\"alg\":\"SM2\",\"zip\":\"DEF\",\"kid\":\"$(kid sm.key)\"}" ] &&
	ok "SM2 code header alg SM2" || bad "SM2 code header" "$(b64d "${S1%%.*}")"
expect "SM2 code passes" 0 ok '"status":"green"' "$S1"
expect "ES256 code passes beside it" 0 ok '"status":"green"' "$Z1"
"$B/hc-issue" --key sm.key --iss $SM --record "$SRC/examples/green.json" --at $AT --trust trust \
	--jws >/dev/null && ok "hc-issue --trust takes the SM2 key" || bad "hc-issue --trust with SM2"
openssl pkey -in sm.key -pubout -out sm.pub 2>/dev/null
printf '%s' "${S1%.*}" > s1-in.txt
sighex=$(b64d "${S1##*.}" | od -An -v -tx1 | tr -d ' \n')
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "${sighex:0:64}" "${sighex:64:64}" > sig.cnf
openssl asn1parse -genconf sig.cnf -out sig.der >/dev/null
cliverify sm.pub s1-in.txt sig.der $ID && ok "openssl verifies an hc-issue SM2 code" ||
	bad "openssl verify SM2 code"
P1=${S1#*.}; P1=${P1%%.*}
T=$(mktok "{\"alg\":\"SM2\",\"zip\":\"DEF\",\"kid\":\"$(kid sm.key)\"}" "$P1" sm.key SM2 $ID)
expect "a code signed by the openssl CLI (SM2, ID $ID) passes" 0 ok '"status":"green"' "$T"

# ---- adversarial ----
T=$(mktok "{\"alg\":\"SM2\",\"zip\":\"DEF\",\"kid\":\"$(kid sm.key)\"}" "$P1" sm.key SM2 1234567812345679)
expect "SM2 signature under another distinguishing ID" 1 bad-signature "" "$T"
T=$(mktok "{\"alg\":\"ES256\",\"zip\":\"DEF\",\"kid\":\"$(kid sm.key)\"}" "$P1" sm.key SM2 $ID)
expect "confusion: alg ES256 over an SM2 key" 1 unsupported-alg "alg ES256 names a SM2 key" "$T"
PZ=${Z1#*.}; PZ=${PZ%%.*}
T=$(mktok "{\"alg\":\"SM2\",\"zip\":\"DEF\",\"kid\":\"$(kid zj.key)\"}" "$PZ" zj.key ES256 -)
expect "confusion: alg SM2 over a P-256 key (ES256 signature)" 1 unsupported-alg "alg SM2 names a P-256 key" "$T"
T=$(mktok "{\"alg\":\"ES256\",\"zip\":\"DEF\",\"kid\":\"$(kid zj.key)\"}" "$PZ" zj.key ES256 -)
expect "control: the same built by the CLI as ES256 passes" 0 ok "" "$T"
sig=$(b64d "${S1##*.}" | od -An -v -tx1 | tr -d ' \n')
Z64=0000000000000000000000000000000000000000000000000000000000000000
expect "r = 0" 1 bad-signature "" "$(withsig "$S1" "$Z64${sig:64}")"
expect "s = 0" 1 bad-signature "" "$(withsig "$S1" "${sig:0:64}$Z64")"
expect "r = n" 1 bad-signature "" "$(withsig "$S1" "$N${sig:64}")"
expect "s = n" 1 bad-signature "" "$(withsig "$S1" "${sig:0:64}$N")"
expect "r = 2^256 - 1" 1 bad-signature "" "$(withsig "$S1" "$(printf 'F%.0s' $(seq 64))${sig:64}")"
# s + n still fits 32 bytes for a small s: the same s mod n, never accepted
expect "s replaced by n + 1" 1 bad-signature "" "$(withsig "$S1" "${sig:0:64}${N%?}4")"

# JWKs: a point off the SM2 curve, a P-256 point labelled SM2 and the
# reverse, alg not the curve's: hc-keys trustlist refuses each (exit 1)
jwkfix() { # FILE.key PYTHON-EXPR-ON-j: a changed JWK, kid its thumbprint
	K pub --status active "$1" | python3 -c 'import base64,hashlib,json,sys; j=json.load(sys.stdin); '"$2"'
t=json.dumps({m: j[m] for m in ("crv","kty","x","y")}, separators=(",",":"), sort_keys=True)
j["kid"]=base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).decode().rstrip("=")
print(json.dumps(j))'
}
tlwith() { printf '{"seq":2,"iat":%d,"next_update":%d,"issuers":[{"iss":"%s","name":"X","region":"110000","keys":[%s]}]}' \
	$((ATS - 86400)) $((ATS + 86400)) "$SM" "$1" > bad-tl.json; }
refuse_jwk() { # NAME JWK DETAIL
	local out rc
	tlwith "$2"; rm -f x.jws
	out=$(K trustlist --root root.key --in bad-tl.json --out x.jws 2>&1); rc=$?
	[ $rc -eq 1 ] && [ ! -e x.jws ] && case "$out" in *"$3"*) true ;; *) false ;; esac &&
		ok "$1" || bad "$1" "$rc $out"
}
offy=$(python3 -c 'import base64,sys; b=bytearray(base64.urlsafe_b64decode(sys.argv[1]+"=")); b[-1]^=1; print(base64.urlsafe_b64encode(bytes(b)).decode().rstrip("="))' "$yb")
refuse_jwk "SM2 JWK with a point off the curve" "$(jwkfix sm.key "j['y']='$offy'")" "not on SM2"
refuse_jwk "P-256 point labelled SM2" "$(jwkfix zj.key "j['crv']='SM2'; j['alg']='SM2'")" "not on SM2"
refuse_jwk "SM2 point labelled P-256" "$(jwkfix sm.key "j['crv']='P-256'; j['alg']='ES256'")" "not on P-256"
refuse_jwk "SM2 JWK with alg ES256" "$(jwkfix sm.key "j['alg']='ES256'")" "alg, use or kid"
refuse_jwk "P-256 JWK with alg SM2" "$(jwkfix zj.key "j['alg']='SM2'")" "alg, use or kid"
jwkfix zj.key "j['crv']='SM2'; j['alg']='SM2'" > trust/roots/bad.jwk
out=$(V --text "$(qr "$S1")" 2>&1); rc=$?
[ $rc -eq 2 ] && case "$out" in *"not on SM2"*) true ;; *) false ;; esac &&
	ok "a root file with a P-256 point labelled SM2: exit 2" || bad "bad SM2 root" "$rc $out"
rm -f trust/roots/bad.jwk

# ---- revocation lists signed with SM2 ----
jti() { V --json --any-status --text "$(qr "$1")" | sed 's/.*"jti":"\([^"]*\)".*/\1/'; }
J2=$(jti "$S2")
printf '[{"jti":"%s","at":%d}]\n' "$J2" $ATS > rl.json
K revoke --key sm.key --iss $SM --in rl.json --seq 1 --iat $ATS --out trust/revocations/110000.jws \
	>/dev/null && ok "SM2 issuer signs its revocation list" || bad "SM2 revoke"
R=$(cat trust/revocations/110000.jws)
[ "$(b64d "${R%%.*}")" = "{\"alg\":\"SM2\",\"kid\":\"$(kid sm.key)\"}" ] &&
	ok "revocation list header alg SM2" || bad "revocation list header" "$(b64d "${R%%.*}")"
expect "SM2 code on the SM2 list: revoked" 1 revoked "" "$S2"
expect "the other SM2 code still passes" 0 ok "" "$S1"
# the list re-signed by the P-256 issuer key under the SM2 issuer's name
K revoke --key zj.key --iss $SM --in rl.json --seq 2 --iat $ATS --out rl-zj.jws >/dev/null 2>&1
cp trust/revocations/110000.jws rl-good.jws; cp rl-zj.jws trust/revocations/110000.jws
out=$(V --json --text "$(qr "$S1")" 2>&1); rc=$?
[ $rc -ne 0 ] && ok "a list for the SM2 issuer signed by a P-256 key is not taken (exit $rc)" ||
	bad "foreign-key revocation list" "$rc $out"
cp rl-good.jws trust/revocations/110000.jws

# ---- batch: SM2 and ES256 codes, per-key contexts ----
# (the first byte of S1's signature flipped: set to ff, it was S1 itself
# whenever the random signature began with ff, one run in 256)
sx=$(b64d "${S1##*.}" | od -An -v -tx1 | tr -d ' \n')
Sx=$(withsig "$S1" "$(printf '%02x' $((0x${sx:0:2} ^ 0xff)))${sx:2}")
for t in "$S1" "$S2" "$Z1" "$Sx" "$S1" "$Z1"; do qr "$t"; done > recs.txt
for opt in "" --no-tables --no-cache; do
	"$B/hc-verify" batch --trust trust --at $((ATS + 60)) --threads 2 $opt --in recs.txt --out res.jsonl \
		2>/dev/null
	got=$(python3 -c 'import json,sys
print(",".join((o.get("reason","") if o.get("verdict")=="fail" else "ok") for o in map(json.loads, open(sys.argv[1]))))' res.jsonl)
	[ "$got" = "ok,revoked,ok,bad-signature,ok,ok" ] && ok "batch ${opt:-(tables, cache)}: SM2 and ES256 verdicts" ||
		bad "batch ${opt:-default}" "$got"
done

# Batch by the keys' tables gives the very bytes of OpenSSL one by one:
# every token checked above (another ID, alg confusion both ways, r or s
# at the edges, revoked) and these (r, s and both at each edge, t = 0,
# r of another code, r and s swapped, bytes of the signature changed),
# amid valid SM2 and ES256 codes, twice (the cache): --threads 4 with
# tables and cache against --threads 1 --no-tables --no-cache.
sig=$(b64d "${S1##*.}" | od -An -v -tx1 | tr -d ' \n')
sig2=$(b64d "${S2##*.}" | od -An -v -tx1 | tr -d ' \n')
python3 - "$sig" "$sig2" > sigs.txt <<'PY'
import sys
n = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
p = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
r, s = int(sys.argv[1][:64], 16), int(sys.argv[1][64:], 16)
r2 = int(sys.argv[2][:64], 16)
h = lambda a, b: "%064x%064x" % (a, b)
for v in (0, 1, n - 1, n, n + 1, p - 1, 2**256 - 1):
    print(h(v, s)); print(h(r, v)); print(h(v, v))
print(h(r, n - r)); print(h(r2, s)); print(h(s, r))
for i in (0, 31, 32, 63):
    b = bytearray.fromhex(sys.argv[1]); b[i] ^= 0x80; print(b.hex())
PY
while read -r x; do qr "$(withsig "$S1" "$x")"; done < sigs.txt >> adv.txt
for t in "$S1" "$Z1" "$S1" "$S2"; do qr "$t"; done >> adv.txt
cat adv.txt adv.txt > adv2.txt
"$B/hc-verify" batch --trust trust --at $((ATS + 60)) --threads 4 --in adv2.txt --out tab.out 2>/dev/null
"$B/hc-verify" batch --trust trust --at $((ATS + 60)) --threads 1 --no-tables --no-cache --in adv2.txt \
	--out evp.out 2>/dev/null
np=$(grep -c '"verdict":"pass"' tab.out) nf=$(grep -c '"reason":"bad-signature"' tab.out)
[ "$(wc -l < tab.out)" -eq "$(wc -l < adv2.txt)" ] && cmp -s tab.out evp.out && [ "$np" -ge 6 ] &&
	[ "$nf" -ge 60 ] && ok "batch tables = OpenSSL one by one ($(wc -l < adv2.txt) records, $np pass, $nf bad-signature)" ||
	bad "batch tables vs one by one" "$np pass, $nf bad-signature: $(diff tab.out evp.out | head -n 4)"

# ---- hc-issued with an SM2 office key ----
. "$SRC/tests/tools/service_env.sh"
mkdir -p svc && cd svc || exit 2
code=""
if service_env '"threads":2'; then
	rm -f o/office.key && K gen --alg SM2 o/office.key >/dev/null && now=$(date +%s) &&
		printf '{"seq":2,"iat":%s,"next_update":%s,"issuers":[{"iss":"%s","name":"Hangzhou Health","region":"%s","keys":[%s]}]}\n' \
			$((now - 60)) $((now + 86400)) "$ISS" "$REGION" "$(K pub --status active o/office.key)" > tl.json &&
		rm -f trust/trustlist.jws && K trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null &&
		rm -rf o/trust && cp -r trust o/trust && "$B/hc-issued" init --config $CF >/dev/null &&
		T=$("$B/hc-issued" token add --config $CF --role counter --name desk) && start_daemon &&
		code=$(curl -s --cacert ca.pem -H "Authorization: Bearer $T" -H 'Content-Type: application/json' \
			--data-binary '{"person":{"name":"王小明","id":"11010519491231002X"}}' "$URL/v1/records" |
			$PY -c 'import json,sys; print(json.load(sys.stdin)["qr"])' 2>/dev/null)
fi
out=$("$B/hc-verify" --trust trust --any-status --json --text "${code:-none}" 2>&1); rc=$?
[ $rc -eq 0 ] && case "$out" in *"\"kid\":\"$(kid o/office.key)\""*) true ;; *) false ;; esac &&
	ok "hc-issued signs with an SM2 key; hc-verify accepts the code" ||
	bad "hc-issued with SM2" "$rc $out $(tail -3 o/log 2>/dev/null)"
[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
DPID=""
cd "$W" || exit 2

# ---- sm-crypto (npm, run with node): an independent SM2 ----
NPMDIR=${HC_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hcode-tests/npm}
SMC=sm-crypto@0.3.13
have_smc() { [ -f "$NPMDIR/node_modules/sm-crypto/package.json" ] &&
	grep -q '"version": "0.3.13"' "$NPMDIR/node_modules/sm-crypto/package.json"; }
why=""
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	why="node or npm not installed"
elif ! have_smc; then
	mkdir -p "$NPMDIR" && timeout 120 npm install --prefix "$NPMDIR" --no-audit --no-fund --no-save --fetch-retries=1 \
		$SMC > npm.log 2>&1
	have_smc || why="npm could not install $SMC from its registry: $(grep -m1 "error" npm.log)"
fi
if [ -n "$why" ]; then
	skip 4 sm-crypto "$why"
else
	priv=$(openssl pkey -in sm.key -text -noout 2>/dev/null | awk '/^priv:/ { p = 1; next } /^pub:/ { p = 0 } p' |
		tr -d ' :\n')
	priv=$(printf '%064s' "${priv: -64}" | tr ' ' 0)
	cat > smc.js <<'JS'
const path = require('path'), zlib = require('zlib'), crypto = require('crypto');
const sm2 = require(path.join(process.env.NPMDIR, 'node_modules/sm-crypto')).sm2;
const [cmd, tok, pub, arg] = process.argv.slice(2);
const b64u = (b) => Buffer.from(b).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const unb64u = (s) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
if (cmd === 'verify') { // verify TOKEN PUBHEX USERID
	const i = tok.lastIndexOf('.');
	const ok = sm2.doVerifySignature(tok.slice(0, i), unb64u(tok.slice(i + 1)).toString('hex'), pub,
		{hash: true, userId: arg});
	console.log(ok ? 'valid' : 'invalid');
} else { // sign TOKEN PUBHEX PRIVHEX: a new code from TOKEN's claims, a fresh jti
	const [h, p] = tok.split('.');
	const claims = JSON.parse(zlib.inflateRawSync(unb64u(p)).toString());
	claims.jti = b64u(crypto.randomBytes(16));
	const hdr = JSON.parse(unb64u(h).toString());
	const input = b64u(JSON.stringify({alg: 'SM2', zip: 'DEF', kid: hdr.kid})) + '.' +
		b64u(zlib.deflateRawSync(Buffer.from(JSON.stringify(claims))));
	const sig = sm2.doSignature(input, arg, {hash: true, userId: '1234567812345678', publicKey: pub});
	console.log(input + '.' + b64u(Buffer.from(sig, 'hex')) + ' ' + claims.jti);
}
JS
	pubhex=04$pubder
	out=$(NPMDIR=$NPMDIR node smc.js verify "$S1" "$pubhex" $ID 2>&1)
	[ "$out" = valid ] && ok "sm-crypto verifies an hc-issue SM2 code (ID $ID)" || bad "sm-crypto verify" "$out"
	out=$(NPMDIR=$NPMDIR node smc.js verify "$S1" "$pubhex" 1234567812345679 2>&1)
	[ "$out" = invalid ] && ok "sm-crypto refuses it under another ID (control)" || bad "sm-crypto control" "$out"
	set -- $(NPMDIR=$NPMDIR node smc.js sign "$S1" "$pubhex" "$priv" 2>&1)
	expect "hc-verify passes a code signed by sm-crypto" 0 ok "\"jti\":\"${2:-none}\"" "${1:-none}"
	sig=$(b64d "${1##*.}" | od -An -v -tx1 | tr -d ' \n')
	[ "${sig: -2}" = 01 ] && last=02 || last=01
	expect "the sm-crypto code with one byte of s changed" 1 bad-signature "" \
		"$(withsig "${1:-x.x}" "${sig%??}$last")"
fi

echo "$(totals)"
