#!/bin/bash
# make.sh [BUILD]: regenerates the adversarial corpus from scratch with
# fresh keys: cases/ (QR texts, standard-input files, images) and the trust
# directories trust/, trust-offcurve/, trust-offcurve-root/, trust-dupkey/.
# The private keys live in a temporary directory and are deleted at the end.
# What each case must produce is in expect (and args, show), written by
# hand; run tests/adversarial.sh BUILD afterwards. Needs BUILD/forge (make tests).
set -eu
B=$(cd "${1:-build}" && pwd)
D=$(cd "$(dirname "$0")" && pwd)
K=$(mktemp -d /tmp/hc-adv.XXXXXX)
trap 'rm -rf "$K"' EXIT
H() { python3 "$D/helper.py" "$@"; }

AT=1795392000            # 2026-11-23T00:00:00Z, the --at of every case
IAT=$((AT - 3600))
EXP=$((AT + 82800))
ZJ=https://hc.zj.example SH=https://hc.sh.example EV=https://hc.ev.example
JTI=YWR2ZXJzYXJpYWwtY2FzZQ                 # "adversarial-case"
JREV=$(printf 'revoked-jti-0001' | base64 | tr '+/' '-_' | tr -d '=')
JLATER=$(printf 'revoked-jti-0002' | base64 | tr '+/' '-_' | tr -d '=')

rm -rf "$D/cases" "$D/trust" "$D/trust-offcurve" "$D/trust-offcurve-root" "$D/trust-dupkey"
mkdir -p "$D/cases" "$D/trust/roots" "$D/trust/revocations" "$D/trust-dupkey/roots" \
	"$D/trust-offcurve/roots" "$D/trust-offcurve-root/roots"
C=$D/cases
cd "$K"

# ---- keys and the trust directory ----
for k in root zj zjold zjnext zjrev sh ev rogue; do "$B/hc-keys" gen $k.key >/dev/null; done
kid() { "$B/hc-keys" pub "$1" | sed 's/.*"kid":"\([^"]*\)".*/\1/'; }
ZJK=$(kid zj.key) SHK=$(kid sh.key) EVK=$(kid ev.key) ROGK=$(kid rogue.key)
OLDK=$(kid zjold.key) NEXTK=$(kid zjnext.key) REVK=$(kid zjrev.key) ROOTK=$(kid root.key)
"$B/hc-keys" pub root.key > "$D/trust/roots/root.jwk"
pub() { "$B/hc-keys" pub "$@"; }
ZJKEY=$(pub --status active --nbf 2025-01-01 zj.key)
trustlist() { # ZJ-KEY-ENTRY -> trust list payload
	cat <<JSON
{"seq":1,"iat":1763856000,"next_update":4102444800,"issuers":[
 {"iss":"$ZJ","name":"Zhejiang Health","region":"330000","revocations":"revocations/330000.jws",
  "keys":[$1,
   $(pub --status retired --nbf 2024-01-01 --exp 2026-01-01 zjold.key),
   $(pub --status active --nbf 2027-01-01 zjnext.key),
   $(pub --status revoked zjrev.key)]},
 {"iss":"$SH","name":"Shanghai Health","region":"310000","keys":[$(pub --status active sh.key)]},
 {"iss":"$EV","name":"Evil \u001b[31mRED\u001b[0m \u202eexe.GNP\u202c \u2066x\u2069 \u009b1m end","region":"440000",
  "keys":[$(pub --status active ev.key)]}]}
JSON
}
trustlist "$ZJKEY" > tl.json
"$B/hc-keys" trustlist --root root.key --in tl.json --out "$D/trust/trustlist.jws" >/dev/null
printf '[{"jti":"%s","at":%d},{"jti":"%s","at":%d}]' "$JREV" $((AT - 86400)) "$JLATER" $((AT + 86400)) > rev.json
"$B/hc-keys" revoke --key zj.key --iss $ZJ --in rev.json --seq 1 --iat $((AT - 7200)) \
	--out "$D/trust/revocations/330000.jws" >/dev/null

# A trust list whose zj key is not on the curve: hc-keys refuses to sign
# it, so it is signed with forge, as an attacker holding a root key would.
trustlist "$(printf '%s' "$ZJKEY" | H flipy)" > tl-off.json
"$B/forge" root.key '{"alg":"ES256","kid":"'$ROOTK'"}' tl-off.json raw rs > "$D/trust-offcurve/trustlist.jws"
cp "$D/trust/roots/root.jwk" "$D/trust-offcurve/roots/"
# A trust list that names sh's key under zj as well (revoked there): hc-keys
# refuses it (a key belongs to one issuer), so it is signed with forge too.
trustlist "$ZJKEY,$(pub --status revoked sh.key)" > tl-dup.json
"$B/forge" root.key '{"alg":"ES256","kid":"'$ROOTK'"}' tl-dup.json raw rs > "$D/trust-dupkey/trustlist.jws"
cp "$D/trust/roots/root.jwk" "$D/trust-dupkey/roots/"
# A pinned root key that is not on the curve.
H flipy < "$D/trust/roots/root.jwk" > "$D/trust-offcurve-root/roots/root.jwk"
cp "$D/trust/trustlist.jws" "$D/trust-offcurve-root/"

# ---- helpers ----
HDR='{"alg":"ES256","zip":"DEF","kid":"'$ZJK'"}'
# claims from variables: ISS_ IAT_ NBF_ EXP_ JTI_ ST_ NAME_ ID_ TOPX HCX
claims() {
	printf '{"iss":"%s","iat":%s%s,"exp":%s,"jti":"%s"%s,"hc":{"v":1,"st":"%s","pol":"default-1","why":[%s],"sub":{"name":"%s","id":"%s"}%s}}' \
		"${ISS_-$ZJ}" "${IAT_-$IAT}" "${NBF_:+,\"nbf\":$NBF_}" "${EXP_-$EXP}" "${JTI_-$JTI}" \
		"${TOPX-}" "${ST_-green}" "${WHY_-}" "${NAME_-Z*}" "${ID_-330***********1234}" "${HCX-}"
}
claims > base.json
# tok NAME KEY HEADER CLAIMSFILE [zip|raw] [SIGMODE]: token into NAME.tok
tok() { "$B/forge" "$2" "$3" "$4" "${5:-zip}" "${6:-rs}" > "$1.tok"; }
# qrcase NAME: NAME.tok framed as cases/NAME.txt
qrcase() { H qr "$1.tok" > "$C/$1.txt"; }
# fcase NAME [KEY HEADER] CLAIMS [zip|raw] [SIGMODE]: forge, then frame
fcase() {
	local n=$1
	shift
	if [ $# -le 1 ]; then tok "$n" zj.key "$HDR" "$1"; else tok "$n" "$@"; fi
	qrcase "$n"
}
# jcase NAME JSON: claims text given literally (printf %b: \xHH are bytes)
jcase() { printf '%b' "$2" > "$1.json"; fcase "$1" "$1.json"; }
# text NAME: cases/NAME.txt from standard input, byte for byte
text() { cat > "$C/$1.txt"; }
# tcase NAME TOKEN: a literal token framed
tcase() { printf '%s\n' "$2" > "$1.tok"; qrcase "$1"; }

fcase ok-forged base.json
G=$(cat "$C/ok-forged.txt")
GT=$(cat ok-forged.tok)
GH=${GT%%.*} GR=${GT#*.} GP=${GR%%.*} GS=${GR#*.}

# ---- 1. QR text framing ----
printf '' | text qr-empty
printf 'hc:/' | text qr-prefix-only
printf 'HC:/%s' "${G#hc:/}" | text qr-prefix-upper
printf 'shc:/%s' "${G#hc:/}" | text qr-prefix-shc
printf ' %s' "$G" | text qr-leading-space
printf '%s ' "$G" | text qr-trailing-space
printf '%s\n' "$G" | text qr-trailing-newline
printf '%s\r\n' "$G" | text qr-trailing-crlf
printf '%s %s' "${G:0:100}" "${G:100}" | text qr-inner-space
printf '%s\t%s' "${G:0:100}" "${G:100}" | text qr-inner-tab
printf '%s1' "$G" | text qr-odd-digits
printf 'hc:/78%s' "${G:6}" | text qr-pair-78
printf 'hc:/99%s' "${G:6}" | text qr-pair-99
printf '%sa%s' "${G:0:100}" "${G:101}" | text qr-letter
printf '%s' "${G:0:$((${#G} - 4))}" | text qr-truncated-sig
printf '%s' "${G:0:600}" | text qr-truncated-half
{ printf 'hc:/'; head -c 4092 /dev/zero | tr '\0' 0; } | text qr-at-cap
{ printf 'hc:/'; head -c 4093 /dev/zero | tr '\0' 0; } | text qr-over-cap
printf '%s\n' "$G" > "$C/in-trailing-newline.stdin"
printf '%s\r\n' "$G" > "$C/in-crlf.stdin"
printf ' %s\n' "$G" > "$C/in-leading-space.stdin"
{ printf '%s\0%s\n' "${G:0:100}" "${G:100}"; printf '%s\n' "$G"; } > "$C/in-nul-then-valid.stdin"
# header and payload of 1 MiB: far past the 4096-byte QR text cap
{ printf '{"alg":"ES256","zip":"DEF","kid":"%s","x":"' "$ZJK"; head -c 1048576 /dev/zero | tr '\0' a; printf '"}'; } > big-hdr.json
"$B/forge" zj.key @big-hdr.json base.json zip rs > big-hdr.tok
{ H qr big-hdr.tok; echo; } > "$C/in-header-1mib.stdin"
{ printf '{"iss":"%s","pad":"' "$ZJ"; head -c 1048576 /dev/zero | tr '\0' a; printf '"}'; } > big-pl.json
H deflate stored big-pl.json > big-pl.bin
"$B/forge" zj.key "$HDR" big-pl.bin raw rs > big-pl.tok
{ H qr big-pl.tok; echo; } > "$C/in-payload-1mib.stdin"

# ---- compact JWS structure ----
tcase jws-two-parts "$GH.$GP"
tcase jws-four-parts "$GT.AAAA"
tcase jws-trailing-dot "$GT."
tcase jws-trailing-garbage "${GT}AAAA"
tcase jws-trailing-at "$GT@@"
tcase jws-empty-parts ".."
tcase jws-bad-char "${GH:0:10}@${GH:11}.$GP.$GS"

# ---- 2. header ----
openssl pkey -in zj.key -pubout -out zj.pub.pem # the HMAC secret of alg confusion
tok hdr-alg-none - '{"alg":"none","zip":"DEF","kid":"'$ZJK'"}' base.json zip hex:
qrcase hdr-alg-none
tok hdr-alg-none-only - '{"alg":"none"}' base.json zip hex:
qrcase hdr-alg-none-only
fcase hdr-alg-hs256-pubkey - '{"alg":"HS256","zip":"DEF","kid":"'$ZJK'"}' base.json zip hmac:zj.pub.pem
fcase hdr-alg-lowercase zj.key '{"alg":"es256","zip":"DEF","kid":"'$ZJK'"}' base.json
fcase hdr-alg-es384 zj.key '{"alg":"ES384","zip":"DEF","kid":"'$ZJK'"}' base.json
fcase hdr-alg-array zj.key '{"alg":["ES256"],"zip":"DEF","kid":"'$ZJK'"}' base.json
fcase hdr-alg-twice zj.key '{"alg":"ES256","alg":"none","zip":"DEF","kid":"'$ZJK'"}' base.json
fcase hdr-typ zj.key '{"alg":"ES256","zip":"DEF","kid":"'$ZJK'","typ":"JWT"}' base.json
fcase hdr-crit zj.key '{"alg":"ES256","zip":"DEF","kid":"'$ZJK'","crit":["exp"]}' base.json
fcase hdr-jku zj.key '{"alg":"ES256","zip":"DEF","kid":"'$ZJK'","jku":"https://127.0.0.1:1/jwks.json"}' base.json
fcase hdr-x5u zj.key '{"alg":"ES256","zip":"DEF","kid":"'$ZJK'","x5u":"https://127.0.0.1:1/x.pem"}' base.json
fcase hdr-jwk rogue.key '{"alg":"ES256","zip":"DEF","kid":"'$ZJK'","jwk":'"$(pub rogue.key)"'}' base.json
fcase hdr-b64-false zj.key '{"alg":"ES256","zip":"DEF","kid":"'$ZJK'","b64":false,"crit":["b64"]}' base.json
fcase hdr-no-zip zj.key '{"alg":"ES256","kid":"'$ZJK'"}' base.json
fcase hdr-zip-gzip zj.key '{"alg":"ES256","zip":"GZIP","kid":"'$ZJK'"}' base.json
fcase hdr-kid-traversal zj.key '{"alg":"ES256","zip":"DEF","kid":"../../etc/passwd"}' base.json
fcase hdr-kid-slash zj.key '{"alg":"ES256","zip":"DEF","kid":"a/b"}' base.json
fcase hdr-kid-pct zj.key '{"alg":"ES256","zip":"DEF","kid":"%2e%2e%2f%2e%2e%2fetc%2fpasswd"}' base.json
fcase hdr-kid-traversal-43 zj.key '{"alg":"ES256","zip":"DEF","kid":"../../../../../../../../../../../etc/passwd"}' base.json
fcase hdr-kid-number zj.key '{"alg":"ES256","zip":"DEF","kid":1}' base.json
fcase hdr-600-bytes zj.key '{"alg":"ES256","zip":"DEF","kid":"'$ZJK'","x":"'"$(head -c 520 /dev/zero | tr '\0' a)"'"}' base.json
fcase hdr-deep zj.key '{"alg":"ES256","zip":"DEF","kid":"'$ZJK'","x":'"$(head -c 40 /dev/zero | tr '\0' '[')$(head -c 40 /dev/zero | tr '\0' ']')"'}' base.json
fcase hdr-array zj.key '["ES256","DEF","'$ZJK'"]' base.json
# untrusted bytes quoted in a detail: shown neutralised, and never cut
# inside a UTF-8 sequence on the way out
fcase hdr-alg-escapes zj.key '{"alg":"\u001b[2J\u202eES256","zip":"DEF","kid":"'$ZJK'"}' base.json
fcase hdr-alg-utf8-cut zj.key '{"alg":"aaaaaaaaaaaaaaaaaaa\u20ac","zip":"DEF","kid":"'$ZJK'"}' base.json
fcase hdr-whitespace zj.key '{ "kid" : "'$ZJK'" ,
 "zip" : "DEF" , "alg" : "ES256" }' base.json

# ---- signature ----
fcase sig-der zj.key "$HDR" base.json zip der
for op in b65 b63 pad std noncanon flip r0 s0 rn sn rmax smax rnm1 snm1 highs; do
	H sig ok-forged.tok $op > sig-$op.tok
	qrcase sig-$op
done
fcase sig-zero - "$HDR" base.json zip hex:$(head -c 128 /dev/zero | tr '\0' 0)
fcase sig-ones - "$HDR" base.json zip hex:$(head -c 128 /dev/zero | tr '\0' f)
fcase sig-hmac - "$HDR" base.json zip hmac:zj.pub.pem
ST_=red claims > red.json
tok red zj.key "$HDR" red.json
tcase sig-of-other-code "$GH.$GP.$(cut -d. -f3 red.tok)"
tcase sig-wrong-key "$(cut -d. -f1-2 ok-forged.tok).$(cut -d. -f3 < <("$B/forge" sh.key "$HDR" base.json zip rs))"
# payload bits flipped inside a stored DEFLATE block: one byte of exp
# ('0' -> '1'), or BFINAL so that the stream never ends
EXP_=$((AT + 82800)) claims > exp-claims.json
H deflate stored exp-claims.json > stored.bin
tok pl-stored zj.key "$HDR" stored.bin raw
qrcase pl-stored
python3 - "$EXP" stored.bin <<'EOF' > flipped.bin
import sys
d = bytearray(open(sys.argv[2], "rb").read())
i = d.index(b'"exp":' + sys.argv[1].encode()) + 6 + len(sys.argv[1]) - 1
assert d[i] == ord("0")
d[i] ^= 1
sys.stdout.buffer.write(d)
EOF
SP=$(H b64u flipped.bin)
tcase pl-flip-exp "$(cut -d. -f1 pl-stored.tok).$SP.$(cut -d. -f3 pl-stored.tok)"
H deflate nofinal base.json > nofinal.bin
fcase pl-flip-bfinal zj.key "$HDR" nofinal.bin raw

# ---- 3. payload ----
fcase pl-not-deflated zj.key "$HDR" base.json raw
H deflate zlib base.json > zlib.bin; fcase pl-zlib zj.key "$HDR" zlib.bin raw
H deflate gzip base.json > gzip.bin; fcase pl-gzip zj.key "$HDR" gzip.bin raw
H deflate trailing base.json > trail.bin; fcase pl-deflate-trailing zj.key "$HDR" trail.bin raw
: > empty.bin; fcase pl-empty zj.key "$HDR" empty.bin raw
fcase pl-inflates-empty zj.key "$HDR" empty.bin zip
{ printf '{"iss":"%s","pad":"' "$ZJ"; head -c 1048576 /dev/zero | tr '\0' a; printf '"}'; } > bomb.json
H deflate raw bomb.json > bomb.bin
fcase pl-deflate-bomb zj.key "$HDR" bomb.bin raw
H pad base.json 16384 > cap.json; fcase pl-cap-exact cap.json
H pad base.json 16385 > cap1.json; fcase pl-cap-plus-one cap1.json

# ---- claims JSON ----
Z=$ZJ
DEEP="$(head -c 1000 /dev/zero | tr '\0' '[')$(head -c 1000 /dev/zero | tr '\0' ']')"
TOPX=',"x":'"$DEEP" claims > deep.json; fcase cl-deep deep.json
NAME_='[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[Z*' claims > brk.json; fcase cl-brackets-in-string brk.json
jcase cl-invalid '{"iss":"'$Z'","iat":'
claims > t.json; printf ' x' >> t.json; fcase cl-trailing-data t.json
{ claims; claims; } > t2.json; fcase cl-two-objects t2.json
jcase cl-not-object '[]'
TOPX=',"exp":1' claims > dup.json; fcase cl-dup-top dup.json
NAME_='Z*","name":"Y*' claims > dup2.json; fcase cl-dup-nested dup2.json
HCX=',"iss":"'$SH'"' claims > dd.json; fcase cl-same-member-deeper dd.json
ID_='330***********1234","exp":"1' claims > dd2.json; fcase cl-exp-in-sub dd2.json
TOPX=',"extra":1' claims > unk.json; fcase cl-unknown-top unk.json
TOPX=',"\u001b[31m\u202eiss":1' claims > unk.json; fcase cl-unknown-member-escapes unk.json
HCX=',"extra":1' claims > unk2.json; fcase cl-unknown-hc unk2.json
jcase cl-missing-exp '{"iss":"'$Z'","iat":'$IAT',"jti":"'$JTI'","hc":{"v":1,"st":"green","pol":"p","why":[],"sub":{"name":"Z*","id":"330***********1234"}}}'
jcase cl-missing-iss '{"iat":'$IAT',"exp":'$EXP',"jti":"'$JTI'","hc":{"v":1,"st":"green","pol":"p","why":[],"sub":{"name":"Z*","id":"330***********1234"}}}'
jcase cl-missing-sub '{"iss":"'$Z'","iat":'$IAT',"exp":'$EXP',"jti":"'$JTI'","hc":{"v":1,"st":"green","pol":"p","why":[]}}'
# names: invalid UTF-8 (raw bytes) and escapes
NAME_='Z\xff*' claims > u.json; jcase cl-name-not-utf8 "$(cat u.json)"
NAME_='Z\xc0\x80*' claims > u.json; jcase cl-name-overlong-2 "$(cat u.json)"
NAME_='Z\xe0\x80\x80*' claims > u.json; jcase cl-name-overlong-3 "$(cat u.json)"
NAME_='Z\xed\xa0\x80*' claims > u.json; jcase cl-name-surrogate "$(cat u.json)"
NAME_='Z\xf4\x90\x80\x80*' claims > u.json; jcase cl-name-above-10ffff "$(cat u.json)"
NAME_='Z\\ud800*' claims > u.json; jcase cl-name-lone-surrogate "$(cat u.json)"
NAME_='Z\\u0000*' claims > u.json; jcase cl-name-escaped-nul "$(cat u.json)"
NAME_='Z\x00*' claims > u.json; jcase cl-name-raw-nul "$(cat u.json)"
NAME_='\x1b[31mZ*' claims > u.json; jcase cl-name-raw-esc "$(cat u.json)"
# validly signed codes whose names must be shown neutralised
NAME_='\u001b[31mZ*\u001b[0m' claims > n.json; fcase show-name-ansi n.json
NAME_='\u202eZ*' claims > n.json; fcase show-name-rlo n.json
NAME_='Z\u2066*\u2067*\u2068*\u2069' claims > n.json; fcase show-name-isolates n.json
NAME_='Z\u009b31m\u0085*\u007f' claims > n.json; fcase show-name-c1 n.json
NAME_='Z\u200b\u200e\u200f\ufeff*' claims > n.json; fcase show-name-invisible n.json
NAME_='\ud83d\ude00*' claims > n.json; fcase show-name-pair n.json
ID_='330\u001b]0;pwned\u0007***1234' claims > n.json; fcase show-id-osc n.json
ISS_=$EV claims > ev.json; fcase show-issuer-name ev.key '{"alg":"ES256","zip":"DEF","kid":"'$EVK'"}' ev.json
# numbers
IAT_=1e400 claims > n.json; fcase num-iat-1e400 n.json
IAT_=-0 claims > n.json; fcase num-iat-minus-zero n.json
IAT_=NaN claims > n.json; fcase num-iat-nan n.json
EXP_=9223372036854775808 claims > n.json; fcase num-exp-2e63 n.json
EXP_=9007199254740993 claims > n.json; fcase num-exp-2e53-plus-1 n.json
NBF_=9007199254740993 claims > n.json; fcase num-nbf-2e53-plus-1 n.json
EXP_=$EXP.5 claims > n.json; fcase num-exp-fraction n.json
EXP_=\"$EXP\" claims > n.json; fcase num-exp-string n.json
IAT_=-1 claims > n.json; fcase num-iat-negative n.json
EXP_=1.7954748e9 claims > n.json; fcase num-exp-exponent n.json
# forms RFC 8259's grammar does not produce, and texts never shown
IAT_=0$IAT claims > n.json; fcase num-iat-leading-zero n.json
claims | sed 's/"v":1/"v":-01/' > n.json; fcase num-v-minus-leading-zero n.json
IAT_=$IAT. claims > n.json; fcase num-iat-trailing-dot n.json
IAT_=$IAT.0 claims > n.json; fcase num-iat-fraction-zero n.json
EXP_=${EXP}e0 claims > n.json; fcase num-exp-exponent-zero n.json
claims | sed 's/"v":1/"v":+1/' > n.json; fcase num-v-plus n.json
{ printf '\357\273\277'; claims; } > n.json; fcase cl-bom n.json
claims | sed 's/,"exp"/,\x0b"exp"/' > n.json; fcase cl-vt-between n.json
{ claims; printf '\302\240'; } > n.json; fcase cl-nbsp-after n.json
NAME_='Z\u12G4' claims > n.json; fcase cl-escape-u12g4 n.json
fcase hdr-bom zj.key "$(printf '\357\273\277')$HDR" base.json
fcase hdr-vt zj.key "$(printf '{\v')${HDR#\{}" base.json
TOPX=',"PASS green  张三  330***********1234":1' claims > n.json; fcase cl-lure-unknown-member n.json
ST_=PASS claims > n.json; fcase cl-lure-st n.json
fcase hdr-lure-alg zj.key '{"alg":"PASS green 张三","zip":"DEF","kid":"'$ZJK'"}' base.json
EXP_=$((IAT - 1)) claims > n.json; fcase cl-exp-before-iat n.json
NBF_=$((EXP + 1)) claims > n.json; fcase cl-nbf-after-exp n.json
ISS_=$ZJ/ claims > n.json; fcase cl-iss-trailing-slash n.json
ISS_=http://hc.zj.example claims > n.json; fcase cl-iss-http n.json
JTI_=YWR2ZXJz claims > n.json; fcase cl-jti-short n.json
ST_=blue claims > n.json; fcase cl-st-unknown n.json
HCX= claims | sed 's/"v":1/"v":2/' > n.json; fcase cl-v2 n.json

# ---- 4. issuer and key ----
ISS_=https://hc.xx.example claims > n.json; fcase tr-unknown-iss n.json
ISS_=https://HC.zj.example claims > n.json; fcase tr-iss-case n.json
fcase tr-unknown-kid rogue.key '{"alg":"ES256","zip":"DEF","kid":"'$ROGK'"}' base.json
fcase tr-key-of-other-issuer sh.key '{"alg":"ES256","zip":"DEF","kid":"'$SHK'"}' base.json
ISS_=$SH claims > n.json; fcase ok-other-issuer sh.key '{"alg":"ES256","zip":"DEF","kid":"'$SHK'"}' n.json
fcase tr-key-expired zjold.key '{"alg":"ES256","zip":"DEF","kid":"'$OLDK'"}' base.json
fcase tr-key-not-yet zjnext.key '{"alg":"ES256","zip":"DEF","kid":"'$NEXTK'"}' base.json
fcase tr-key-revoked zjrev.key '{"alg":"ES256","zip":"DEF","kid":"'$REVK'"}' base.json
IAT_=1764547200 EXP_=$((1764547200 + 604800)) claims > n.json
fcase ok-retired-key-in-window zjold.key '{"alg":"ES256","zip":"DEF","kid":"'$OLDK'"}' n.json
IAT_=1764547200 claims > n.json; fcase tr-retired-key-far-exp zjold.key '{"alg":"ES256","zip":"DEF","kid":"'$OLDK'"}' n.json
ISS_=$SH claims > n.json; fcase tr-key-two-issuers sh.key '{"alg":"ES256","zip":"DEF","kid":"'$SHK'"}' n.json
cp "$C/ok-forged.txt" "$C/tr-offcurve-issuer-key.txt"
cp "$C/ok-forged.txt" "$C/tr-offcurve-root.txt"

# ---- 6. time, 7. revocation, 8. requirements ----
EXP_=$((AT - 1)) claims > n.json; fcase tm-expired n.json
EXP_=$AT claims > n.json; fcase tm-exp-equals-at n.json
NBF_=$((AT + 3600)) claims > n.json; fcase tm-not-yet-valid n.json
NBF_=$((AT + 300)) claims > n.json; fcase tm-nbf-at-skew n.json
NBF_=$((AT + 301)) claims > n.json; fcase tm-nbf-past-skew n.json
IAT_=$((4102704000 - 86400)) EXP_=4102704000 claims > n.json; fcase tm-stale-trust n.json
cp "$C/tm-stale-trust.txt" "$C/tm-stale-trust-strict.txt"
printf 'hc:/123' > "$C/tm-stale-trust-framing.txt"
IAT_=$((AT + 10 * 86400)) NBF_=$((AT - 3600)) EXP_=$((AT + 10 * 86400 + 3600)) claims > n.json
fcase tm-iat-future n.json
IAT_=$((AT + 300)) NBF_=$((AT - 3600)) claims > n.json; fcase tm-iat-at-skew n.json
IAT_=$((AT + 301)) NBF_=$((AT - 3600)) claims > n.json; fcase tm-iat-past-skew n.json
EXP_=$((IAT + 604800)) claims > n.json; fcase tm-validity-max n.json
EXP_=$((IAT + 604801)) claims > n.json; fcase tm-validity-max-plus-1 n.json
JTI_=$JREV claims > n.json; fcase rv-revoked n.json
JTI_=$JLATER claims > n.json; fcase rv-revoked-later n.json
tcase rq-red "$(cat red.tok)"
cp "$C/rq-red.txt" "$C/rq-red-any-status.txt"
ST_=yellow WHY_='"nat-missing"' claims > n.json; fcase rq-yellow n.json
cp "$C/ok-forged.txt" "$C/rq-doses.txt"
cp "$C/ok-forged.txt" "$C/rq-nat.txt"

# ---- 9. foreign codes: trust/foreign.jws, signed by the pinned root ----
# A DCC signer certificate (P-256, valid 2025-01-01 to 2028-01-01, dates
# set by openssl ca), and an SHC issuer of our own whose key has a crl.
"$B/hc-keys" gen dsc.key >/dev/null && "$B/hc-keys" gen shc.key >/dev/null
printf '%s\n' '[ca]' 'default_ca = c' '[c]' 'database = index.txt' 'new_certs_dir = .' \
	'serial = serial' 'default_md = sha256' 'policy = p' 'unique_subject = no' \
	'[p]' 'commonName = supplied' > ca.cnf
: > index.txt && echo 01 > serial
openssl req -new -key dsc.key -subj "/CN=Adversarial DSC/C=AT" -out dsc.csr 2>/dev/null
openssl ca -batch -config ca.cnf -selfsign -keyfile dsc.key -in dsc.csr -notext \
	-startdate 20250101000000Z -enddate 20280101000000Z -out dsc.pem 2>/dev/null
openssl x509 -in dsc.pem -outform DER -out dsc.der
DSCKID=$(openssl dgst -sha256 -binary dsc.der | head -c 8 | od -An -tx1 | tr -d ' \n')
printf '[{"country":"AT","cert":"%s"}]' "$(base64 -w0 dsc.der)" > certs.json
SHCISS=https://shc.adv.example SHCK=$(kid shc.key)
SHCRID=cmV2b2tlZC1jYXJk # "revoked-card"
printf '[{"iss":"%s","name":"Adversarial SHC Issuer","keys":[%s],"crls":[{"kid":"%s","method":"rid","ctr":1,"rids":["%s"]}]}]' \
	"$SHCISS" "$(pub shc.key)" "$SHCK" "$SHCRID" > shc-issuers.json
"$B/hc-keys" foreign --root root.key --seq 1 --dcc certs.json --shc shc-issuers.json \
	--out "$D/trust/foreign.jws" >/dev/null
# DCCs: IAT EXP as CWT claims
H dcc dsc.key "$DSCKID" $IAT $EXP > "$C/dcc-ok.txt"
H dcc dsc.key "$DSCKID" $IAT $EXP tamper > "$C/dcc-sig-tampered.txt"
H dcc dsc.key "$DSCKID" $IAT $EXP der > "$C/dcc-sig-der.txt"
H dcc dsc.key 0011223344556677 $IAT $EXP > "$C/dcc-kid-unknown.txt"
H dcc dsc.key "$DSCKID" $IAT 1830384000 > "$C/dcc-cert-validity.txt" # exp 2028-01-02, past notAfter
DT=$(cat "$C/dcc-ok.txt")
T=$(( ${#DT} - 5 )) # base45 characters kept: one left over after groups of three
while [ $((T % 3)) -ne 1 ]; do T=$((T - 1)); done
printf '%s' "${DT:0:$((4 + T))}" > "$C/dcc-b45-truncated.txt"
# SMART Health Cards of our issuer: a vaccination card; one revoked by
# rid; the first as two chunks on two lines of standard input
card() { # RID -> card payload
	printf '{"iss":"%s","nbf":%s.5,"vc":{"type":["https://smarthealth.cards#health-card"],%s"credentialSubject":{"fhirVersion":"4.0.1","fhirBundle":{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"resource:0","resource":{"resourceType":"Patient","name":[{"family":"Anyperson","given":["Jane"]}],"birthDate":"1970-02-03"}},{"fullUrl":"resource:1","resource":{"resourceType":"Immunization","status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"208"}]},"patient":{"reference":"resource:0"},"occurrenceDateTime":"2026-05-29"}}]}}}}' \
		"$SHCISS" $((AT - 86400)) "${1:+\"rid\":\"$1\",}"
}
SHDR='{"zip":"DEF","alg":"ES256","kid":"'$SHCK'"}'
card > shc.json; tok shc-ok shc.key "$SHDR" shc.json
H shc shc-ok.tok > "$C/shc-ok.txt"
{ H shc shc-ok.tok 2; echo; } > "$C/shc-chunked.stdin"
card $SHCRID > shc.json; tok shc-revoked shc.key "$SHDR" shc.json
H shc shc-revoked.tok > "$C/shc-revoked.txt"

# ---- issued by hc-issue, and images ----
ISSUE() { "$B/hc-issue" --key zj.key --iss $ZJ --at $IAT "$@"; }
ISSUE --record "$D/../../examples/green.json" | tr -d '\n' > "$C/ok-issued.txt"
ISSUE --record "$D/../../examples/green.json" --png g1.png --scale 3 >/dev/null
sed 's/张三/李四/' "$D/../../examples/green.json" > g2.json
ISSUE --record g2.json --png g2.png --scale 3 >/dev/null
ISSUE --record "$D/../../examples/red.json" --risk-areas "$D/../../examples/risk-areas.json" \
	--png r1.png --scale 3 >/dev/null
cp g1.png "$C/img-one-code.png"
H grid "$C/img-two-codes.png" 2 g1.png g2.png
H grid "$C/img-green-and-red.png" 2 g1.png r1.png
for i in $(seq 1 17); do ISSUE --record "$D/../../examples/green.json" --png m$i.png --scale 2 >/dev/null; done
H grid "$C/img-17-codes.png" 6 $(for i in $(seq 1 17); do echo m$i.png; done)
H bigpng "$C/img-huge-dimensions.png" 100000 100000

echo "corpus: $(ls "$C" | wc -l) cases in $C"
