#!/bin/bash
# pkcs11.sh BUILD: private keys in a PKCS#11 token (SoftHSM2, initialised
# by this test in a temporary directory through SOFTHSM2_CONF), named by
# RFC 7512 URIs with the PIN in a file (pin-source=file:): P-256 keys
# generated inside the token as sensitive and never extractable; hc-keys
# pub prints the token key's JWK (checked against the public key the token
# gives pkcs11-tool), a trust list and a revocation list signed through
# the URI, codes issued through it that hc-verify accepts; a wrong PIN, a
# missing token, a missing key, a PIN in the URI and a PIN file open to
# others each refused with its reason, exit 2. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-p11.XXXXXX)
DPID=""
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
cd "$W" || exit 2

MOD=${HC_SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
if [ ! -f "$MOD" ] || ! command -v pkcs11-tool >/dev/null; then
	skip 22 pkcs11 "SoftHSM2 ($MOD) or pkcs11-tool (Debian opensc) not installed"
	echo "$(totals)"
	exit 0
fi
AT=2026-11-23T08:00:00+08:00
ATS=1795392000
ZJ=https://hc.zj.example
K() { "$B/hc-keys" "$@"; }
P() { pkcs11-tool --module "$MOD" "$@"; }

# ---- a token of our own ----
mkdir -p tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$W" > softhsm2.conf
export SOFTHSM2_CONF=$W/softhsm2.conf
printf '246810\n' > pin && chmod 600 pin
printf '999999\n' > wrong.pin && chmod 600 wrong.pin
{ P --init-token --slot 0 --label hc-office --so-pin 13572468 &&
	P --token-label hc-office --login --login-type so --so-pin 13572468 --init-pin --pin 246810 &&
	P --token-label hc-office --login --pin 246810 --keypairgen --key-type EC:prime256v1 \
		--label issuer --id 01 --usage-sign --sensitive &&
	P --token-label hc-office --login --pin 246810 --keypairgen --key-type EC:prime256v1 \
		--label root --id 02 --usage-sign --sensitive; } > init.log 2>&1 &&
	ok "token initialised, two P-256 keys generated inside" || bad "token init" "$(tail -3 init.log)"
P --token-label hc-office --login --pin 246810 --list-objects --type privkey > objs.txt 2>&1
[ "$(grep -c 'never extractable' objs.txt)" = 2 ] && [ "$(grep -c 'sensitive' objs.txt)" = 2 ] &&
	ok "both private keys sensitive and never extractable" || bad "key attributes" "$(cat objs.txt)"
P --token-label hc-office --login --pin 246810 --read-object --type privkey --label issuer \
	-o priv.der > read.log 2>&1
[ ! -s priv.der ] && ok "the token refuses to give out the private key" || bad "private key readable"

U() { printf 'pkcs11:token=hc-office;object=%s;type=private?module-path=%s&pin-source=%s' \
	"$1" "$MOD" "${2:-file:$W/pin}"; }
ISSUER=$(U issuer) ROOT=$(U root)

# ---- hc-keys pub: the token key's JWK ----
jwk=$(K pub "$ISSUER" 2>&1); rc=$?
P --token-label hc-office --read-object --type pubkey --label issuer -o pub.der > /dev/null 2>&1
hex=$(openssl pkey -pubin -inform DER -in pub.der -outform DER 2>/dev/null | tail -c 64 | od -An -v -tx1 | tr -d ' \n')
b64u() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
hex2bin() { perl -e 'print pack("H*", $ARGV[0])' "$1"; }
x=$(hex2bin "${hex:0:64}" | b64u); y=$(hex2bin "${hex:64:64}" | b64u)
[ $rc -eq 0 ] && [ ${#hex} -eq 128 ] &&
	case "$jwk" in *"\"crv\":\"P-256\",\"x\":\"$x\",\"y\":\"$y\""*) true ;; *) false ;; esac &&
	ok "hc-keys pub prints the token key's JWK (the point pkcs11-tool reads)" || bad "pub" "$rc $jwk"
K pub --status active "$(U issuer "file://$W/pin")" > issuer.jwk 2>&1 &&
	grep -q '"status":"active"' issuer.jwk && ok "pin-source=file:// URL form" || bad "file://" "$(cat issuer.jwk)"

# ---- a trust list signed by the token's root key, codes from its issuer key ----
mkdir -p trust/roots trust/revocations
K pub "$ROOT" > trust/roots/root.jwk
cat > tl.json <<JSON
{"seq":1,"iat":$((ATS - 86400)),"next_update":$((ATS + 30 * 86400)),"issuers":[
 {"iss":"$ZJ","name":"Zhejiang Health","region":"330000","revocations":"revocations/330000.jws",
  "keys":[$(cat issuer.jwk)]}]}
JSON
K trustlist --root "$ROOT" --in tl.json --out trust/trustlist.jws > /dev/null 2>tl.err &&
	ok "trust list signed through the URI" || bad "trustlist" "$(cat tl.err)"
# the foreign trust data, signed by the same root in the token
cp -r trust trust-f
K foreign --root "$ROOT" --seq 1 --dcc "$SRC/tests/data/foreign/dcc-AT-1-certs.json" \
	--out trust-f/foreign.jws > /dev/null 2>fo.err &&
	"$B/hc-verify" status --trust trust-f 2>&1 | grep -q "^foreign: seq 1, .* 1 DCC certificates" &&
	ok "foreign trust data signed through the URI" || bad "foreign" "$(cat fo.err)"
C1="" C2=""
issue() { "$B/hc-issue" --key "$ISSUER" --iss $ZJ --record "$SRC/examples/green.json" --at $AT --trust trust "$@"; }
C1=$(issue --jws 2>i.err) && C2=$(issue --jws 2>>i.err) && ok "hc-issue --key URI --trust signs codes" ||
	bad "issue" "$(cat i.err)"
Q1=$(issue 2>/dev/null)
out=$("$B/hc-verify" --trust trust --at $((ATS + 60)) --text "$Q1" 2>&1); rc=$?
[ $rc -eq 0 ] && ok "hc-verify accepts a code signed in the token" || bad "verify" "$rc $out"
qr() { perl -e 'print "hc:/", join("", map { sprintf "%02d", ord($_) - 45 } split //, $ARGV[0]), "\n"' "$1"; }
jti=$("$B/hc-verify" --trust trust --at $((ATS + 60)) --json --text "$(qr "$C2")" |
	sed 's/.*"jti":"\([^"]*\)".*/\1/')
printf '["%s"]' "$jti" > rl.json
K revoke --key "$ISSUER" --iss $ZJ --in rl.json --seq 1 --iat $ATS \
	--out trust/revocations/330000.jws > /dev/null 2>rv.err && ok "revocation list signed through the URI" ||
	bad "revoke" "$(cat rv.err)"
out=$("$B/hc-verify" --trust trust --at $((ATS + 60)) --json --text "$(qr "$C2")" 2>&1); rc=$?
[ $rc -eq 1 ] && case "$out" in *'"reason":"revoked"'*) true ;; *) false ;; esac &&
	ok "the listed code is revoked" || bad "revoked" "$rc $out"
out=$("$B/hc-verify" --trust trust --at $((ATS + 60)) --text "$(qr "$C1")" 2>&1); rc=$?
[ $rc -eq 0 ] && ok "the other still passes" || bad "other code" "$rc $out"
find . -type f ! -path './tokens/*' -exec grep -l 'PRIVATE KEY' {} + > pem.txt 2>/dev/null
[ ! -s pem.txt ] && ok "no private key file anywhere outside the token" || bad "PEM found" "$(cat pem.txt)"

# ---- hc-issued with its signing key in the token ----
. "$SRC/tests/tools/service_env.sh"
mkdir -p svc && cd svc || exit 2
D() { "$B/hc-issued" "$@"; }
code=""
if service_env '"threads":2'; then
	now=$(date +%s)
	printf '{"seq":2,"iat":%s,"next_update":%s,"issuers":[{"iss":"%s","name":"Hangzhou Health","region":"%s","keys":[%s]}]}\n' \
		$((now - 60)) $((now + 86400)) "$ISS" "$REGION" "$(cat ../issuer.jwk)" > tl.json &&
		rm -f trust/trustlist.jws && K trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null &&
		rm -rf o/trust && cp -r trust o/trust && rm -f o/office.key &&
		$PY -c 'import json,sys; c=json.load(open(sys.argv[1])); c["key"]=sys.argv[2]; json.dump(c, open(sys.argv[1], "w"))' \
			$CF "$(U issuer)" && grep -q '"key": "pkcs11:' $CF &&
		D init --config $CF >/dev/null && T=$(D token add --config $CF --role counter --name desk) &&
		start_daemon && code=$(curl -s --cacert ca.pem -H "Authorization: Bearer $T" \
			-H 'Content-Type: application/json' --data-binary \
			"{\"person\":{\"name\":\"王小明\",\"id\":\"11010519491231002X\"}}" "$URL/v1/records" |
			$PY -c 'import json,sys; print(json.load(sys.stdin)["qr"])' 2>/dev/null)
fi
out=$("$B/hc-verify" --trust trust --any-status --text "${code:-none}" 2>&1); rc=$?
[ -n "$code" ] && [ $rc -eq 0 ] && ok "hc-issued signs with the token's key; hc-verify accepts the code" ||
	bad "hc-issued with a token key" "$rc $out $(tail -3 o/log 2>/dev/null)"
[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
DPID=""
cd "$W" || exit 2

# ---- refusals, each exit 2 with its reason ----
refuse() { # NAME URI DETAIL [hc-issue]
	local out rc
	if [ "${4:-}" = issue ]; then
		out=$("$B/hc-issue" --key "$2" --iss $ZJ --record "$SRC/examples/green.json" --jws 2>&1)
	else
		out=$(K pub "$2" 2>&1)
	fi
	rc=$?
	[ $rc -eq 2 ] && case "$out" in *"$3"*) true ;; *) false ;; esac && ok "$1 (exit 2)" ||
		bad "$1" "$rc $out"
}
refuse "wrong PIN" "$(U issuer "file:$W/wrong.pin")" "token 'hc-office' refused the PIN" issue
refuse "missing token" "pkcs11:token=elsewhere;object=issuer?module-path=$MOD&pin-source=file:$W/pin" \
	"no token labelled 'elsewhere'" issue
refuse "missing key" "$(U nosuchkey)" "no private key labelled 'nosuchkey'" issue
refuse "PIN in the URI" "pkcs11:token=hc-office;object=issuer?module-path=$MOD&pin-value=246810" \
	"pin-value refused"
refuse "no PIN source" "pkcs11:token=hc-office;object=issuer?module-path=$MOD" "needs its PIN"
cp pin open.pin && chmod 644 open.pin
refuse "PIN file readable by others" "$(U issuer "file:$W/open.pin")" "not a regular file of mode 0600"
refuse "missing module" "pkcs11:token=hc-office;object=issuer?module-path=$W/none.so&pin-source=file:$W/pin" \
	"cannot load the PKCS#11 module"
out=$(K gen "$ISSUER" 2>&1); rc=$?
[ $rc -eq 2 ] && case "$out" in *pkcs11-tool*) true ;; *) false ;; esac && [ -z "$(ls -A | grep '^pkcs11:')" ] &&
	ok "gen on a pkcs11: URI refused, no file made (exit 2)" || bad "gen on a URI" "$rc $out"
refuse "unknown URI attribute" "pkcs11:token=hc-office;object=issuer;colour=red?pin-source=file:$W/pin" \
	"'colour' not supported"

echo "$(totals)"
