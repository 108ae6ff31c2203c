#!/bin/bash
# make_trust.sh [BUILD]: regenerates the fixed trust store of fuzz_verify and
# fuzz_batch (tests/fuzz/trust/), the public keys their pass check uses
# (tests/fuzz/pub/KID.pem, first line the key's iss) and their seed inputs
# (tests/fuzz/corpus/{verify,batch}/seed-*), all from fresh keys made in a
# temporary directory and deleted afterwards: no private key is committed.
# Needs BUILD/hc-keys, hc-issue and forge (make all build/forge).
# Inputs found by fuzzing stay in the corpora; after a run of this script
# their signatures no longer match, which makes them other inputs, not
# wrong ones.
set -eu
B=$(cd "${1:-build}" && pwd)
F=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$F/../.." && pwd)
W=$(mktemp -d /tmp/hc-fuzztrust.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"

ATS=1795392000 # the targets' fixed time, 2026-11-23T08:00:00+08:00
D=86400
ISS=https://hc.zj.example
SISS=https://hc.sh.example
V=$F/corpus/verify
BT=$F/corpus/batch

for k in root zj zjr zjx zjf sh rogue; do "$B/hc-keys" gen $k.key >/dev/null; done
kid() { "$B/hc-keys" pub "$1" | sed 's/.*"kid":"\([^"]*\)".*/\1/'; }

rm -rf "$F/trust" "$F/pub"
mkdir -p "$F/trust/roots" "$F/trust/revocations" "$F/pub" "$V" "$BT"
"$B/hc-keys" pub root.key > "$F/trust/roots/root.jwk"
# zj: active, retired (window ended yesterday), revoked and future keys.
zjkeys="$("$B/hc-keys" pub --status active --nbf $((ATS - 30 * D)) zj.key),\
$("$B/hc-keys" pub --status retired --nbf $((ATS - 60 * D)) --exp $((ATS - D)) zjr.key),\
$("$B/hc-keys" pub --status revoked zjx.key),\
$("$B/hc-keys" pub --status active --nbf $((ATS + 10 * D)) zjf.key)"
cat > tl.json <<JSON
{"seq":3,"iat":$((ATS - D)),"next_update":$((ATS + 30 * D)),"issuers":[
 {"iss":"$ISS","name":"Zhejiang \u202eHealth\u001b[2J","region":"330000",
  "revocations":"revocations/330000.jws","keys":[$zjkeys]},
 {"iss":"$SISS","name":"Shanghai Health","region":"310000",
  "revocations":"revocations/310000.jws","keys":[$("$B/hc-keys" pub --status active sh.key)]}]}
JSON
"$B/hc-keys" trustlist --root root.key --in tl.json --out "$F/trust/trustlist.jws" >/dev/null
# Keys a passing code may be signed with (not the revoked one), with their iss.
for k in zj zjr zjf; do
	{ echo "$ISS"; openssl pkey -in $k.key -pubout; } > "$F/pub/$(kid $k.key).pem"
done
{ echo "$SISS"; openssl pkey -in sh.key -pubout; } > "$F/pub/$(kid sh.key).pem"

# ---- codes ----
printf '{"person":{"name":"李四","id":"33010619900101123X"}}\n' > rec.json
# issue KEY ISS AT [hc-issue args]: bare JWS
issue() {
	local k=$1 i=$2 a=$3
	shift 3
	"$B/hc-issue" --key "$k" --iss "$i" --at "$a" --jws "$@"
}
qr() { printf 'hc:/'; printf '%s' "$1" | od -An -v -tu1 | tr -s ' ' '\n' | grep -v '^$' |
	while read -r c; do printf '%02d' $((c - 45)); done; }
jti() { python3 -c 'import base64,json,sys,zlib
p=sys.argv[1].split(".")[1]
print(json.loads(zlib.decompress(base64.urlsafe_b64decode(p+"="*(-len(p)%4)),-15))["jti"])' "$1"; }

rm -f "$V"/seed-* "$BT"/seed-*
RA=$SRC/examples/risk-areas.json
T_green=$(issue zj.key $ISS $ATS --record "$SRC/examples/green.json" --risk-areas "$RA")
T_yellow=$(issue zj.key $ISS $ATS --record "$SRC/examples/yellow.json" --risk-areas "$RA")
T_red=$(issue zj.key $ISS $ATS --record "$SRC/examples/red.json" --risk-areas "$RA")
T_strict=$(issue zj.key $ISS $ATS --record "$SRC/examples/green.json" \
	--policy "$SRC/examples/policy-strict.json")
T_plain=$(issue zj.key $ISS $ATS --record rec.json --validity 7d)
T_revoked=$(issue zj.key $ISS $ATS --record rec.json)
T_revlater=$(issue zj.key $ISS $ATS --record rec.json)
T_expired=$(issue zj.key $ISS $((ATS - 3 * D)) --record rec.json --validity 1d)
T_future=$(issue zj.key $ISS $((ATS + D)) --record rec.json)
T_retired=$(issue zjr.key $ISS $((ATS - 2 * D)) --record rec.json --validity 7d)
T_retired_late=$(issue zjr.key $ISS $ATS --record rec.json)
T_keyrevoked=$(issue zjx.key $ISS $ATS --record rec.json)
T_keyfuture=$(issue zjf.key $ISS $ATS --record rec.json)
T_rogue=$(issue rogue.key $ISS $ATS --record rec.json)
T_sh=$(issue sh.key $SISS $ATS --record "$SRC/examples/yellow.json" --risk-areas "$RA")
T_shrevoked=$(issue sh.key $SISS $ATS --record rec.json)

# Revocation lists: one code revoked before the fixed time, one an hour
# after it (passes at ATS, fails at ATS + 1 h), one of sh's.
printf '[{"jti":"%s","at":%d},{"jti":"%s","at":%d},"AAAAAAAAAAAAAAAAAAAAAA"]' \
	"$(jti "$T_revoked")" $((ATS - 3600)) "$(jti "$T_revlater")" $((ATS + 1800)) > zj-rev.json
"$B/hc-keys" revoke --key zj.key --iss $ISS --in zj-rev.json --seq 2 --iat $((ATS - 7200)) \
	--out "$F/trust/revocations/330000.jws" >/dev/null
printf '["%s"]' "$(jti "$T_shrevoked")" > sh-rev.json
"$B/hc-keys" revoke --key sh.key --iss $SISS --in sh-rev.json --seq 1 --iat $((ATS - 7200)) \
	--out "$F/trust/revocations/310000.jws" >/dev/null

# Forged tokens: claims and headers the issuer would never write, signed.
KID=$(kid zj.key)
HDR='{"alg":"ES256","zip":"DEF","kid":"'$KID'"}'
forge() { "$B/forge" "$1" "$2" "$3" "${4:-zip}" "${5:-rs}"; }
claims() { # extra-hc-members [top-level tweaks via sed]
	printf '{"iss":"%s","iat":%d,"nbf":%d,"exp":%d,"jti":"3q2-7wAAAAAAAAAAAAAAAA","hc":{"v":1,"st":"green","pol":"default-1","why":[],"sub":{"name":"O*","id":"330***********1234"}%s}}' \
		"$ISS" $ATS $ATS $((ATS + D)) "$1"
}
claims ',"nat":{"at":'$((ATS - 3600))',"res":"neg"},"vac":{"doses":2,"at":1700000000},"trv":{"risk":"low"}' > c-full.json
claims ',"nat":{"at":'$((ATS - 3600))',"res":"pos"},"vac":{"doses":1,"at":1700000000}' > c-pos.json
claims '' | sed 's/"st":"green","pol":"default-1","why":\[\]/"st":"red","pol":"default-1","why":["nat-positive","flag-confirmed"]/' > c-red.json
claims '' | sed "s/\"nbf\":$ATS,//" > c-nonbf.json
claims '' | sed "s/\"iat\":$ATS/\"iat\":$((ATS - 40 * D))/" > c-oldiat.json
claims '' | sed "s|$ISS|$SISS|" > c-shiss.json
claims '' | sed "s|$ISS|https://hc.xx.example|" > c-unkiss.json
claims '' | sed 's/"hc":{/"extra":1,"hc":{/' > c-unknown.json
claims '' | sed 's/"name":"O\*"/"name":"O*","name":"X"/' > c-dup.json
claims '' | sed "s/\"exp\":$((ATS + D))/\"exp\":$((ATS + D)).5/" > c-frac.json
claims '' | sed 's/"O\*"/"\\u202eO\\u001b[31m*"/' > c-bidi.json
T_full=$(forge zj.key "$HDR" c-full.json)
printf '%s\n' "$T_green" "$T_yellow" "$T_red" "$T_strict" "$T_plain" "$T_revoked" "$T_revlater" \
	"$T_expired" "$T_future" "$T_retired" "$T_retired_late" "$T_keyrevoked" "$T_keyfuture" \
	"$T_rogue" "$T_sh" "$T_shrevoked" "$T_full" > all.txt
for n in green yellow red strict plain revoked revlater expired future retired retired_late \
	keyrevoked keyfuture rogue sh shrevoked full; do
	v=T_$n
	printf '%s' "${!v}" > "$V/seed-tok-$n"
done
for n in green red revlater expired retired sh full; do
	v=T_$n
	qr "${!v}" > "$V/seed-qr-$n"
done
for c in pos red nonbf oldiat shiss unkiss unknown dup frac bidi; do
	forge zj.key "$HDR" c-$c.json > "$V/seed-tok-forged-$c"
done
# r = s = 0, and r = s = n (the group order)
printf '%s.%s' "$(forge zj.key "$HDR" c-full.json zip unsigned)" \
	"$(head -c 64 /dev/zero | openssl base64 -A | tr '+/' '-_' | tr -d '=')" > "$V/seed-tok-zero-sig"
N=FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
printf '%s.%s' "$(forge zj.key "$HDR" c-full.json zip unsigned)" \
	"$(printf '%s%s' $N $N | xxd -r -p | openssl base64 -A | tr '+/' '-_' | tr -d '=')" > "$V/seed-tok-order-sig"
forge sh.key '{"alg":"ES256","zip":"DEF","kid":"'"$(kid sh.key)"'"}' c-full.json > "$V/seed-tok-other-issuers-kid"
forge zj.key '{"alg":"HS256","zip":"DEF","kid":"'$KID'"}' c-full.json > "$V/seed-tok-alg-hs256"
forge zj.key '{"alg":"ES256","kid":"'$KID'"}' c-full.json raw > "$V/seed-tok-nozip"
forge zj.key '{"kid":"'$KID'","zip":"DEF","alg":"ES256"}' c-full.json > "$V/seed-tok-header-order"
forge zj.key "$HDR" c-full.json zip der > "$V/seed-tok-der-sig"
t=$T_full
# (a character inside the signature: the last one also holds unused bits)
printf '%s' "${t:0:$((${#t} - 20))}$([ "${t: -20:1}" = A ] && echo B || echo A)${t: -19}" \
	> "$V/seed-tok-flipped-sig"
printf 'hc:/%s' "$(qr "$T_green" | cut -c5- | rev | cut -c2- | rev)" > "$V/seed-qr-odd"

# ---- batch records ----
G=$(qr "$T_green")
R=$(qr "$T_revlater")
printf '{"code":"%s","at":%d,"checkpoint":"gate-1"}' "$G" $ATS > "$BT/seed-rec"
printf '{"code":"%s","at":"2026-11-23T08:20:00+08:00","checkpoint":"gate-1"}\n{"code":"%s","at":%d}\n' \
	"$R" "$R" $((ATS + 3600)) > "$BT/seed-rec-revoked-later"
printf '%s\r\n%s\n\n{"code":"%s"}' "$G" "$G" "$(qr "$T_expired")" > "$BT/seed-bare-crlf"
printf '{"code":"%s","at":%d,"line":7,"verdict":"pass","status":"green","x":{"y":[1,2.5,"\\u001b[2J\\u202e"]}}' \
	"$(qr "$T_sh")" $ATS > "$BT/seed-rec-reserved"
printf '{"code":1,"at":%d,"checkpoint":"\\u0007"}\n{"at":%d}\n{"code":"%s","at":1.5}\n{"code":"%s","at":"soon"}\n' \
	$ATS $ATS "$G" "$G" > "$BT/seed-rec-types"
printf '{"code":"%s","code":"%s"}\n{"code":"hc:/00","x":"\xff"}\n{"code"\n' "$G" "$G" > "$BT/seed-rec-bad-json"
printf '%s' "$(qr "$T_rogue")" > "$BT/seed-bare-rogue"
printf '{"code":"%s","at":%d,"checkpoint":"\\u202e\\u001b\\ud83d\\ude00"}' "$(qr "$(cat "$V/seed-tok-forged-bidi")")" $ATS > "$BT/seed-rec-bidi"

# The trust store must load and the seeds must give their verdicts at the
# fixed time (on a copy: hc-verify stores revocation indexes beside lists).
cp -r "$F/trust" tcheck
while read -r n want; do
	got=$("$B/hc-verify" --trust tcheck --at $ATS --json --text "$(qr "$(cat "$V/seed-tok-$n")")" |
		sed -n 's/.*"reason":"\([^"]*\)".*/\1/p')
	[ "$got" = "$want" ] || { echo "make_trust.sh: seed-tok-$n: $got, want $want" >&2; exit 1; }
done <<EOF
green ok
yellow requirement-not-met
plain ok
revoked revoked
revlater ok
expired expired
future not-yet-valid
retired ok
retired_late key-not-valid
keyrevoked key-not-valid
keyfuture key-not-valid
rogue unknown-key
shrevoked revoked
full ok
flipped-sig bad-signature
zero-sig bad-signature
order-sig bad-signature
other-issuers-kid unknown-key
EOF
if "$B/hc-verify" --trust tcheck --at $((ATS + 3600)) --text "$R" >/dev/null 2>&1; then
	echo "make_trust.sh: the code revoked from ATS + 1800 passes at ATS + 3600" >&2
	exit 1
fi
echo "trust store: $F/trust; $(ls "$V"/seed-* | wc -l) verify seeds, $(ls "$BT"/seed-* | wc -l) batch seeds"
