#!/bin/bash
# e2e.sh BUILD: end-to-end tests that run the real programs: keys, trust
# list, issue, PNG, scan (hc-verify and zbarimg), openssl cross-checks, and
# hostile codes each refused with its specific reason. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(pwd)
W=$(mktemp -d /tmp/hc-e2e.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"

AT=2026-11-23T08:00:00+08:00
ATS=1795392000
ISS=https://hc.zj.example
V() { "$B/hc-verify" --trust trust --at "${VAT:-$ATS}" "$@"; }
# token -> QR text
qr() { printf 'hc:/'; printf '%s' "$1" | od -An -v -tu1 | tr -s ' ' '\n' | grep -v '^$' |
	while read -r c; do printf '%02d' $((c - 45)); done; echo; }
# expect NAME EXIT REASON [DETAIL-SUBSTRING] -- hc-verify args (JSON mode)
expect() {
	local name=$1 want_rc=$2 want_reason=$3 want_detail=$4 out rc a args=()
	shift 4
	local VAT=$ATS
	while [ $# -gt 0 ]; do
		case "$1" in --) ;; --at) VAT=$2; shift ;; *) args+=("$1") ;; esac
		shift
	done
	out=$(V --json "${args[@]}" 2>&1); rc=$?
	if [ $rc -ne $want_rc ]; then bad "$name" "exit $rc, want $want_rc: $out"; return; fi
	case "$out" in *"\"reason\":\"$want_reason\""*) ;; *) bad "$name" "want $want_reason: $out"; return ;; esac
	case "$out" in *"$want_detail"*) ok "$name" ;; *) bad "$name" "want detail '$want_detail': $out" ;; esac
}

hex2bin() { perl -e 'print pack("H*", $ARGV[0])' "$1"; }

# ---- keys and trust ----
"$B/hc-keys" gen root.key >/dev/null && "$B/hc-keys" gen zj.key >/dev/null &&
	"$B/hc-keys" gen sh.key >/dev/null && "$B/hc-keys" gen rogue.key >/dev/null
[ "$(stat -c %a zj.key)" = 600 ] && ok "gen writes mode 0600" || bad "gen writes mode 0600"
head -1 zj.key | grep -q 'BEGIN PRIVATE KEY' && ok "gen writes PEM PKCS#8" || bad "gen PKCS#8"
"$B/hc-keys" gen zj.key >/dev/null 2>&1; [ $? -eq 2 ] && ok "gen refuses to overwrite" || bad "gen overwrite"
kid=$("$B/hc-keys" pub zj.key | sed 's/.*"kid":"\([^"]*\)".*/\1/')
okid=$(openssl pkey -in zj.key -pubout -outform DER 2>/dev/null | tail -c 64 | {
	x=$(head -c 32 | openssl base64 -A | tr '+/' '-_' | tr -d '=')
	true; echo "$x"; })
# independent RFC 7638 thumbprint from the openssl command line
pubder=$(openssl pkey -in zj.key -pubout -outform DER 2>/dev/null | tail -c 64 | od -An -v -tx1 | tr -d ' \n')
xb=$(hex2bin "${pubder:0:64}" | openssl base64 -A | tr '+/' '-_' | tr -d '=')
yb=$(hex2bin "${pubder:64:64}" | openssl base64 -A | tr '+/' '-_' | tr -d '=')
tp=$(printf '{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}' "$xb" "$yb" | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d '=')
[ -n "$kid" ] && [ "$kid" = "$tp" ] && ok "kid equals openssl-computed RFC 7638 thumbprint" || bad "thumbprint" "$kid vs $tp"
: "$okid"

mkdir -p trust/roots
"$B/hc-keys" pub root.key > trust/roots/root.jwk
mklist() { # seq -> trustlist.json
	cat <<JSON
{"seq":$1,"iat":1763856000,"next_update":1795392000,"issuers":[
 {"iss":"$ISS","name":"Zhejiang \u202eHealth","region":"330000","keys":[$("$B/hc-keys" pub --status active zj.key)]},
 {"iss":"https://hc.sh.example","name":"Shanghai Health","region":"310000","keys":[$("$B/hc-keys" pub --status active sh.key)]}]}
JSON
}
mklist 1 > tl.json
"$B/hc-keys" trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null &&
	ok "trustlist signed" || bad "trustlist signed"
sed 's/"kid":"[^"]*"/"kid":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"/' tl.json > tl-badkid.json
"$B/hc-keys" trustlist --root root.key --in tl-badkid.json --out x.jws >/dev/null 2>&1
[ $? -eq 1 ] && [ ! -e x.jws ] && ok "trustlist refuses kid != thumbprint" || bad "trustlist kid check"
sed 's/"seq":1,//' tl.json > tl-noseq.json
"$B/hc-keys" trustlist --root root.key --in tl-noseq.json --out x.jws >/dev/null 2>&1
[ $? -eq 1 ] && ok "trustlist refuses missing seq" || bad "trustlist seq"

# ---- issue, PNG, scan ----
"$B/hc-issue" --key zj.key --iss $ISS --record "$SRC/examples/green.json" \
	--risk-areas "$SRC/examples/risk-areas.json" --at $AT --png green.png --svg green.svg > green.txt
[ $? -eq 0 ] && [ -s green.png ] && grep -q '^hc:/[0-9]*$' green.txt && ok "issue green PNG" || bad "issue green"
"$B/hc-issue" --key zj.key --iss $ISS --record "$SRC/examples/green.json" --at $AT --jws > green.jws
TOK=$(cat green.jws)
out=$(V green.png); rc=$?
[ $rc -eq 0 ] && case "$out" in "PASS green"*"张*"*"330***********"*) true ;; *) false ;; esac &&
	ok "hc-verify passes the PNG" || bad "hc-verify PNG" "$rc $out"
rlo=$(printf '\342\200\256') # U+202E as UTF-8 bytes: $'\u202e' is literal text under LC_ALL=C
case "$out" in *"$rlo"*) bad "bidi neutralised in issuer name" ;; *) ok "bidi neutralised in issuer name" ;; esac
z=$(zbarimg --raw -q -Sdisable -Sqrcode.enable green.png 2>/dev/null)
[ "$z" = "$(cat green.txt)" ] && ok "zbarimg reads the same QR text" || bad "zbarimg" "$z"
file green.png | grep -q '1-bit grayscale' && ok "the PNG is 1-bit grayscale" || bad "PNG depth" "$(file green.png)"
python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]).documentElement
sys.exit(not (d.tagName == "svg" and len(d.getElementsByTagName("path")) == 1))' green.svg &&
	ok "the SVG is well-formed, one path" || bad "SVG XML"
# The SVG as a browser draws it: zbarimg reads the same text from the screenshot.
if command -v chromium >/dev/null 2>&1; then
	timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$W/chromium" --window-size=760,760 --screenshot="$W/svg.png" \
		"file://$W/green.svg" >chromium.log 2>&1
	z=$(zbarimg --raw -q -Sdisable -Sqrcode.enable svg.png 2>/dev/null)
	[ "$z" = "$(cat green.txt)" ] && ok "zbarimg reads the SVG as chromium draws it" ||
		bad "SVG in chromium" "$z $(tail -n 2 chromium.log)"
else
	skip 1 "SVG in chromium" "chromium is not installed"
fi
out=$(V --json green.png)
case "$out" in *'"verdict":"pass"'*'"reason":"ok"'*'"status":"green"'*'"iss":"https://hc.zj.example"'*'"kid":"'$kid'"'*'"exp":'*) ok "json output fields" ;; *) bad "json output" "$out" ;; esac
expect "text input passes" 0 ok "" -- --text "$(cat green.txt)"
echo "$(cat green.txt)" | V - >/dev/null && ok "stdin input passes" || bad "stdin"

# ---- openssl cross-checks ----
openssl pkey -in zj.key -pubout -out zj.pub 2>/dev/null
h=${TOK%%.*}; rest=${TOK#*.}; p=${rest%%.*}; s=${rest#*.}
b64d() { local v=$1; v=$(printf '%s' "$v" | tr -- '-_' '+/'); while [ $(( ${#v} % 4 )) -ne 0 ]; do v="$v="; done; printf '%s' "$v" | openssl base64 -d -A; }
sighex=$(b64d "$s" | od -An -v -tx1 | tr -d ' \n')
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "${sighex:0:64}" "${sighex:64:64}" > sig.cnf
openssl asn1parse -genconf sig.cnf -out sig.der >/dev/null
printf '%s.%s' "$h" "$p" > signed.txt
openssl dgst -sha256 -verify zj.pub -signature sig.der signed.txt >/dev/null 2>&1 &&
	ok "openssl verifies an issued token (R||S -> DER)" || bad "openssl verify"
cat > claims.json <<JSON
{"iss":"$ISS","iat":$ATS,"nbf":$ATS,"exp":$((ATS + 86400)),"jti":"3q2-7wAAAAAAAAAAAAAAAA","hc":{"v":1,"st":"green","pol":"default-1","why":[],"sub":{"name":"O*","id":"330***********1234"}}}
JSON
HDR='{"alg":"ES256","zip":"DEF","kid":"'$kid'"}'
msg=$("$B/forge" zj.key "$HDR" claims.json zip unsigned)
printf '%s' "$msg" > m.txt
openssl dgst -sha256 -sign zj.key -out os.der m.txt
rs=$(openssl asn1parse -inform DER -in os.der | sed -n 's/.*INTEGER *:\([0-9A-F]*\).*/\1/p' |
	while read -r v; do printf '%064s' "$v" | tr ' ' 0; done)
osig=$(hex2bin "$rs" | openssl base64 -A | tr '+/' '-_' | tr -d '=')
expect "token signed by openssl CLI verifies" 0 ok "" -- --text "$(qr "$msg.$osig")"

# ---- hostile QR text ----
G=$(cat green.txt)
expect "bad prefix" 1 malformed "prefix" -- --text "hx:/${G#hc:/}"
expect "odd digit count" 1 malformed "odd number" -- --text "${G}1"
expect "digit pair above 77" 1 malformed "above 77" -- --text "hc:/78${G#hc:/56}"
expect "truncated token" 1 malformed "" -- --text "${G:0:600}"
forge() { "$B/forge" "$1" "$2" "$3" "${4:-zip}" "${5:-rs}"; }
T2=$(forge zj.key "$HDR" claims.json)
expect "forged good token passes (control)" 0 ok "" -- --text "$(qr "$T2")"
expect "wrong number of dots (2 parts)" 1 malformed "three dot" -- --text "$(qr "${T2%.*}")"
expect "wrong number of dots (4 parts)" 1 malformed "three dot" -- --text "$(qr "$T2.AAAA")"
expect "bad base64url" 1 malformed "base64url" -- --text "$(qr "${T2:0:20}@${T2:21}")"
last=${T2: -2:1}; flip=A; [ "$last" = A ] && flip=B
expect "flipped signature bit" 1 bad-signature "" -- --text "$(qr "${T2:0:$((${#T2} - 2))}$flip${T2: -1}")"
expect "DER signature" 1 malformed "64 bytes" -- --text "$(qr "$(forge zj.key "$HDR" claims.json zip der)")"
for alg in none HS256 ES384; do
	expect "alg $alg" 1 unsupported-alg "" -- --text "$(qr "$(forge zj.key '{"alg":"'$alg'","zip":"DEF","kid":"'$kid'"}' claims.json)")"
done
expect "extra header member" 1 malformed "header" -- --text "$(qr "$(forge zj.key '{"alg":"ES256","zip":"DEF","kid":"'$kid'","typ":"JWT"}' claims.json)")"
expect "crit header" 1 malformed "header" -- --text "$(qr "$(forge zj.key '{"alg":"ES256","zip":"DEF","kid":"'$kid'","crit":["x"]}' claims.json)")"
expect "no zip member" 1 malformed "header" -- --text "$(qr "$(forge zj.key '{"alg":"ES256","kid":"'$kid'"}' claims.json raw)")"
rkid=$("$B/hc-keys" pub rogue.key | sed 's/.*"kid":"\([^"]*\)".*/\1/')
expect "unknown kid" 1 unknown-key "" -- --text "$(qr "$(forge rogue.key '{"alg":"ES256","zip":"DEF","kid":"'$rkid'"}' claims.json)")"
skid=$("$B/hc-keys" pub sh.key | sed 's/.*"kid":"\([^"]*\)".*/\1/')
expect "kid of another issuer" 1 unknown-key "" -- --text "$(qr "$(forge sh.key '{"alg":"ES256","zip":"DEF","kid":"'$skid'"}' claims.json)")"
sed 's|hc.zj.example|hc.xx.example|' claims.json > c-iss.json
expect "unknown iss" 1 unknown-issuer "" -- --text "$(qr "$(forge zj.key "$HDR" c-iss.json)")"
{ printf '{"iss":"%s","pad":"' "$ISS"; head -c 20000 /dev/zero | tr '\0' a; printf '"}'; } > c-big.json
expect "payload inflates past the cap" 1 malformed "16 KiB" -- --text "$(qr "$(forge zj.key "$HDR" c-big.json)")"
printf '{"iss":' > c-inv.json
expect "invalid JSON" 1 malformed "invalid JSON" -- --text "$(qr "$(forge zj.key "$HDR" c-inv.json)")"
sed 's|"iat":|"exp":1,"iat":|' claims.json > c-dup.json
expect "duplicate JSON member" 1 malformed "duplicate" -- --text "$(qr "$(forge zj.key "$HDR" c-dup.json)")"
sed 's|"name":"O\*"|"name":"O*","name":"X"|' claims.json > c-dup2.json
expect "duplicate nested member" 1 malformed "duplicate" -- --text "$(qr "$(forge zj.key "$HDR" c-dup2.json)")"
sed "s|\"exp\":$((ATS + 86400))|\"exp\":\"$((ATS + 86400))\"|" claims.json > c-sexp.json
expect "string exp" 1 malformed "wrong type" -- --text "$(qr "$(forge zj.key "$HDR" c-sexp.json)")"
sed "s|\"exp\":$((ATS + 86400))|\"exp\":$((ATS + 86400)).5|" claims.json > c-fexp.json
expect "fractional exp" 1 malformed "integer" -- --text "$(qr "$(forge zj.key "$HDR" c-fexp.json)")"
sed 's|"hc":{|"extra":1,"hc":{|' claims.json > c-unk.json
expect "unknown claim" 1 malformed "unknown" -- --text "$(qr "$(forge zj.key "$HDR" c-unk.json)")"
expect "expired" 1 expired "" --at $((ATS + 86401)) -- --text "$(qr "$T2")"
expect "not yet valid" 1 not-yet-valid "" --at $((ATS - 3600)) -- --text "$(qr "$T2")"
expect "within nbf skew" 0 ok "" --at $((ATS - 60)) -- --text "$(qr "$T2")"
expect "requires 2 doses" 1 requirement-not-met "doses" --require-doses 2 -- --text "$(qr "$T2")"
expect "requires a test" 1 requirement-not-met "test" --require-nat 48 -- --text "$(qr "$T2")"
sed 's|"st":"green"|"st":"red"|' claims.json > c-red.json
expect "red refused at checkpoint" 1 requirement-not-met "not green" -- --text "$(qr "$(forge zj.key "$HDR" c-red.json)")"
expect "red shown with --any-status" 0 ok "" --any-status -- --text "$(qr "$(forge zj.key "$HDR" c-red.json)")"
expect "whitespace in token" 1 malformed "" -- --text "$G "

# ---- images ----
printf '%s' 'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAAAAABWESUoAAAAFklEQVR4nGP4TwAwjCoYVTCqYKQqAAA/aPwuq5iY/wAAAABJRU5ErkJggg==' | openssl base64 -d -A > blank.png
expect "image with no QR code" 1 malformed "no QR" -- blank.png
echo "not an image" > notimage.png
expect "non-image file" 1 malformed "not a PNG or JPEG" -- notimage.png
head -c 300 green.png > trunc.png
expect "truncated PNG" 1 malformed "" -- trunc.png
V missing.png >/dev/null 2>&1; [ $? -eq 2 ] && ok "missing file exits 2" || bad "missing file"

# ---- trust directory ----
mkdir -p t2/roots && cp trust/roots/root.jwk t2/roots/
"$B/hc-keys" trustlist --root rogue.key --in tl.json --out t2/trustlist.jws >/dev/null
out=$("$B/hc-verify" --trust t2 --text "$G" 2>&1); rc=$?
[ $rc -eq 2 ] && case "$out" in *"not a pinned root"*) true ;; *) false ;; esac &&
	ok "trust list signed by a non-root refused" || bad "non-root trust list" "$rc $out"
t=$(cat trust/trustlist.jws); mid=$(( ${#t} / 2 )); c=${t:$mid:1}; r=A; [ "$c" = A ] && r=B
printf '%s' "${t:0:$mid}$r${t:$((mid + 1))}" > t2/trustlist.jws
out=$("$B/hc-verify" --trust t2 --text "$G" 2>&1); rc=$?
[ $rc -eq 2 ] && ok "trust list with a flipped byte refused" || bad "flipped trust list" "$rc $out"
"$B/hc-verify" --trust nowhere --text "$G" >/dev/null 2>&1; [ $? -eq 2 ] && ok "missing trust dir exits 2" || bad "missing trust dir"

# ---- keys and programs ----
cp zj.key loose.key && chmod 644 loose.key
out=$("$B/hc-issue" --key loose.key --iss $ISS --record "$SRC/examples/green.json" 2>&1); rc=$?
[ $rc -eq 2 ] && case "$out" in *"readable by group or others"*) true ;; *) false ;; esac &&
	ok "group-readable key refused" || bad "loose key" "$rc $out"
nm "$B/hc-verify" | grep -qE 'hc_(es256_sign|jws_sign|privkey_)' && bad "verifier links signing code" || ok "verifier links no signing code"
for p in hc-keys hc-issue hc-verify; do
	"$B/$p" --help | grep -q usage && ok "$p --help" || bad "$p --help"
done
# --version: the program, the release and the commit built (when built
# in git), then the libraries as they run (the service's own on a third line)
ingit=$(git -C "$SRC" rev-parse --short=12 HEAD 2>/dev/null)
for p in hc-keys hc-issue hc-verify hc-issued; do
	out=$("$B/$p" --version 2>&1); rc=$?
	first=$(echo "$out" | head -n 1)
	[ $rc -eq 0 ] && case "$first" in "$p "[0-9]*.[0-9]*) true ;; *) false ;; esac &&
		{ [ -z "$ingit" ] || echo "$first" | grep -Eq ' \(git [0-9a-f]{12}\)$'; } &&
		echo "$out" | sed -n 2p | grep -q "^OpenSSL 3\..*zlib .*libqrencode .*cJSON " &&
		{ [ $p != hc-issued ] || echo "$out" | sed -n 3p | grep -q "^SQLite 3\..*libmicrohttpd .*GnuTLS "; } &&
		ok "$p --version" || bad "$p --version" "$rc $out"
done
"$B/hc-verify" --trust trust --json --json --text x >/dev/null 2>&1; [ $? -eq 2 ] && ok "duplicate option refused" || bad "dup option"
"$B/hc-issue" --key zj.key --iss $ISS --record "$SRC/examples/red.json" --risk-areas "$SRC/examples/risk-areas.json" --at $AT > red.txt
expect "red code issued and refused at checkpoint" 1 requirement-not-met "" -- --text "$(cat red.txt)"
"$B/hc-issue" --key zj.key --iss $ISS --batch "$SRC/examples/records.jsonl" --risk-areas "$SRC/examples/risk-areas.json" --at $AT --png-dir . > batch.txt
n=$(grep -c '^hc:/' batch.txt); lines=$(wc -l < "$SRC/examples/records.jsonl")
[ "$n" -eq "$lines" ] && [ -s 000001.png ] && ok "batch issues one code per line ($n)" || bad "batch" "$n vs $lines"
# every image of the batch, read back by zbar in line order, is its line's code
# (QR only: zbarimg's other decoders read a phantom linear barcode in about
# one QR image in 900, old mask search or not)
zbarimg -q --raw -Sdisable -Sqrcode.enable $(seq -f '%06g.png' "$lines") > bz.txt 2>/dev/null
cmp -s bz.txt batch.txt && ok "zbar reads every batch image back as its line's code" ||
	bad "batch images" "$(diff bz.txt batch.txt | head -3)"
ls -d .hc-issue.* >/dev/null 2>&1 && bad "batch left its staging directory" ||
	ok "no staging directory left after the batch"
# an image that cannot be written (a file size limit: EFBIG) refuses its
# line and leaves no file, whole or partial, and no staging directory
# (standard error through a pipe, which the limit does not touch)
if [ "$(head -c 2 "$B/hc-issue")" = "#!" ]; then
	# make memcheck: the limit would cut valgrind's own log short
	skip 1 "an image that cannot be written" "under valgrind the file size limit also cuts valgrind's log"
else
	mkdir fsz && (trap '' XFSZ; ulimit -f 1; exec "$B/hc-issue" --key zj.key --iss $ISS \
		--batch "$SRC/examples/records.jsonl" --risk-areas "$SRC/examples/risk-areas.json" --at $AT \
		--png-dir fsz > fsz.txt) 2>&1 | cat > fsz.err; rc=${PIPESTATUS[0]}
	[ $rc -eq 1 ] && [ -z "$(ls -A fsz)" ] && [ "$(grep -c . fsz.txt)" -eq 0 ] &&
		grep -q "fsz/000001.png: File too large" fsz.err && ok "an image that cannot be written: line refused, no file left" ||
		bad "image write failure" "exit $rc, $(ls -A fsz | head -3) $(head -2 fsz.err)"
fi
# an image that cannot be moved into place (a directory has its name): exit 2,
# the group's lines neither printed nor recorded, its images kept in the
# staging directory (never removed: nothing else holds them)
mkdir -p ren/000003.png && "$B/hc-issue" --key zj.key --iss $ISS --batch "$SRC/examples/records.jsonl" \
	--risk-areas "$SRC/examples/risk-areas.json" --at $AT --png-dir ren --records ren.rec > ren.txt 2> ren.err; rc=$?
[ $rc -eq 2 ] && grep -q "images not in place: .*ren/000003.png" ren.err && [ ! -s ren.txt ] &&
	[ -f ren.rec ] && [ ! -s ren.rec ] && ls ren/.hc-issue.*/000003.png >/dev/null 2>&1 &&
	grep -q "not printed or recorded" ren.err &&
	ok "an image that cannot be moved into place: exit 2, nothing printed or recorded, images kept" ||
	bad "image rename failure" "exit $rc, $(ls -A ren) $(wc -c < ren.txt) $(tail -2 ren.err)"
# a batch of more than one group (256 lines): every recorded image is in
# place and is its line's code, the lines in input order
for i in $(seq 60); do cat "$SRC/examples/records.jsonl"; done > big.jsonl
mkdir big && "$B/hc-issue" --key zj.key --iss $ISS --batch big.jsonl --risk-areas "$SRC/examples/risk-areas.json" \
	--at $AT --png-dir big --records big.rec > big.txt 2>/dev/null; rc=$?
nb=$(wc -l < big.jsonl)
zbarimg -q --raw -Sdisable -Sqrcode.enable $(seq -f 'big/%06g.png' "$nb") > bigz.txt 2>/dev/null
[ $rc -eq 0 ] && [ "$(wc -l < big.txt)" -eq "$nb" ] && [ "$(grep -c '"png"' big.rec)" -eq "$nb" ] &&
	cmp -s bigz.txt big.txt && ! ls -d big/.hc-issue.* >/dev/null 2>&1 &&
	ok "a batch of $nb lines in groups: every line's image in place and its code" ||
	bad "batch in groups" "exit $rc, $(wc -l < big.txt) lines, $(grep -c '"png"' big.rec) records"
V --any-status - < batch.txt > bv.txt; rc=$?
[ $rc -eq 0 ] && [ "$(grep -c PASS bv.txt)" -eq "$lines" ] && ok "batch codes verify" || bad "batch verify" "$(cat bv.txt)"
printf '{"person":1}\n' | "$B/hc-issue" --key zj.key --iss $ISS --batch - > b2.txt 2>/dev/null; rc=$?
[ $rc -eq 1 ] && [ "$(wc -l < b2.txt)" -eq 1 ] && ok "batch bad record: exit 1, line kept" || bad "batch bad record"

# ---- the issuer's status engine (issue 18, points 16-21) ----
# Each row: NAME, exit status, a substring of standard error ("" for none),
# then hc-issue arguments; the code issued (if any) is in out.txt.
RA="$SRC/examples/risk-areas.json" # updated 2026-11-22T20:00:00+08:00
P='{"name":"张三","id":"33010619900101123X"}'
rec() { printf '{"person":%s%s}\n' "${2:-$P}" "$1"; }
rec ',"travel":[{"region":"310115","from":"2026-11-22","to":"2026-11-24"}]' > r-future-to.json
rec ',"nat":[{"at":"20261119","result":"positive"},{"at":"2026-11-10","result":"negative"}]' > r-digits.json
rec ',"nat":[{"at":"1795300000","result":"negative"}]' > r-digits10.json
rec ',"travel":[{"region":"420102","from":"2026-11-09","to":"2026-11-09"}]' > r-earlier.json
rec ',"nat":[{"at":"2026-11-21T08:00:00+08:00","result":"negative"}]' > r-nat48.json
rec ',"nat":[{"at":"2026-11-21T08:00:01+08:00","result":"negative"}]' > r-nat48m1.json
rec '' '{"name":"张三","id":"33010620261124123X"}' > r-born-tomorrow.json
printf '{"id":"bad-windows","high_red_days":3,"high_yellow_days":5,"medium_yellow_days":14}\n' > p-windows.json
printf '{"id":"week","high_red_days":7,"high_yellow_days":7,"medium_yellow_days":7}\n' > p-week.json
I() { "$B/hc-issue" --key zj.key --iss $ISS --jws "$@"; }
issue_case() {
	local name=$1 want_rc=$2 want_err=$3 rc
	shift 4
	I "$@" > out.txt 2> err.txt; rc=$?
	if [ $rc -ne "$want_rc" ]; then bad "$name" "exit $rc, want $want_rc: $(cat err.txt)"; return; fi
	case "$(cat err.txt)" in *"$want_err"*) ok "$name" ;; *) bad "$name" "stderr: $(cat err.txt)" ;; esac
}
issue_case "issue: stay ending tomorrow refused" 1 "travel[0].to is after the time of issue" -- \
	--record r-future-to.json --risk-areas "$RA" --at $AT
issue_case "issue: a time of 8 digits refused" 1 'nat[0]: member "at" is not a time' -- \
	--record r-digits.json --risk-areas "$RA" --at $AT
issue_case "issue: seconds in a string refused" 1 'nat[0]: member "at" is not a time' -- \
	--record r-digits10.json --at $AT
issue_case "issue: travel without a risk list refused" 1 "none given, but travel[0] ends within the 14 days" -- \
	--record "$SRC/examples/yellow.json" --at $AT
issue_case "issue: old travel needs no risk list" 0 "" -- --record "$SRC/examples/green.json" --at $AT
issue_case "issue: the window is the policy's" 1 "within the 7 days" -- \
	--record "$SRC/examples/yellow.json" --policy p-week.json --at $AT
issue_case "issue: risk list 24 h old" 0 "" -- \
	--record "$SRC/examples/yellow.json" --risk-areas "$RA" --at 2026-11-23T20:00:00+08:00
issue_case "issue: risk list 24 h + 1 s old refused" 2 "more than risk_max_age_h (24 h)" -- \
	--record "$SRC/examples/yellow.json" --risk-areas "$RA" --at 2026-11-23T20:00:01+08:00
issue_case "issue: stale list refused even for a record without travel" 2 "risk_max_age_h" -- \
	--record r-born-tomorrow.json --risk-areas "$RA" --at 2026-12-01
issue_case "issue: risk list from after the time of issue refused" 2 "after the time of issue" -- \
	--record "$SRC/examples/yellow.json" --risk-areas "$RA" --at 2026-11-22T19:54:59+08:00
issue_case "issue: birth date tomorrow refused" 1 "birth date is after the day of issue" -- \
	--record r-born-tomorrow.json --at 2026-11-23T23:59:59+08:00
issue_case "issue: birth date today" 0 "" -- --record r-born-tomorrow.json --at 2026-11-24
issue_case "issue: --validity 31d is a usage error" 2 "--validity: invalid duration '31d'" -- \
	--record "$SRC/examples/green.json" --at $AT --validity 31d
issue_case "issue: --validity 721h is a usage error" 2 "--validity" -- \
	--record "$SRC/examples/green.json" --at $AT --validity 721h
issue_case "issue: --validity 7d (the default max_validity)" 0 "" -- --record "$SRC/examples/green.json" --at $AT --validity 7d
issue_case "issue: --validity 30d is past the default max_validity" 2 "max_validity" -- \
	--record "$SRC/examples/green.json" --at $AT --validity 30d
issue_case "issue: policy with high window shorter than medium refused" 2 \
	"medium_yellow_days is greater than high_yellow_days" -- \
	--record "$SRC/examples/green.json" --policy p-windows.json --at $AT
# What was issued, as the verifier reads it: STATUS EXP-IAT.
issued() {
	local out
	out=$(V --any-status --json --text "$(qr "$(cat out.txt)")")
	printf '%s %s\n' "$(printf '%s' "$out" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')" \
		$(( $(printf '%s' "$out" | sed -n 's/.*"exp":\([0-9]*\).*/\1/p') - ATS ))
}
issue_case "issue: strict, negative exactly 48 h old" 0 "" -- \
	--record r-nat48.json --policy "$SRC/examples/policy-strict.json" --at $AT
r=$(issued); [ "$r" = "yellow 86400" ] && ok "issue: ... gives the no-recent-test yellow" || bad "strict 48 h" "$r"
issue_case "issue: strict, negative 48 h - 1 s old" 0 "" -- \
	--record r-nat48m1.json --policy "$SRC/examples/policy-strict.json" --at $AT
r=$(issued); [ "$r" = "green 1" ] && ok "issue: ... gives a green until the test lapses" || bad "strict 48 h - 1 s" "$r"
issue_case "issue: high-risk stay leaving the window" 0 "" -- \
	--record r-earlier.json --risk-areas "$RA" --at $AT
r=$(issued); [ "$r" = "yellow 57600" ] && ok "issue: ... gives a yellow ending with its stay (16 h)" ||
	bad "yellow lapse" "$r"
# The batch path refuses the same records, line by line.
{ cat "$SRC/examples/yellow.json" | tr -d '\n'; echo; cat "$SRC/examples/green.json" | tr -d '\n'; echo
  cat r-future-to.json r-digits.json; } > b-issue.jsonl
I --batch b-issue.jsonl --at $AT > b-out.txt 2> b-err.txt; rc=$?
got=$(awk '{ printf "%s", ($0 == "" ? "-" : "c") }' b-out.txt)
[ $rc -eq 1 ] && [ "$got" = "-c--" ] && grep -q '^hc-issue: line 1: .*none given, but travel\[0\]' b-err.txt &&
	grep -q '^hc-issue: line 3: .*travel\[0\].to is after' b-err.txt &&
	grep -q '^hc-issue: line 4: .*"at" is not a time' b-err.txt && grep -q '3 of 4 records refused' b-err.txt &&
	ok "issue --batch: the same refusals per line" || bad "issue --batch refusals" "rc $rc, $got: $(cat b-err.txt)"
I --batch b-issue.jsonl --risk-areas "$RA" --at 2026-11-25 > b-out.txt 2> b-err.txt; rc=$?
[ $rc -eq 2 ] && [ ! -s b-out.txt ] && grep -q 'risk_max_age_h' b-err.txt &&
	ok "issue --batch: a stale list stops the batch before any line" || bad "issue --batch stale list" "rc $rc"

# zbar and libcurl are opened when an image is read or a URL fetched, never
# linked: a checkpoint's start loads nine shared objects, not sixty
need=$(readelf -d "$B/hc-verify" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')
case "$need" in
*zbar* | *curl* | *mpi*) bad "hc-verify links neither zbar nor libcurl nor MPI" "$need" ;;
*) ok "hc-verify links neither zbar nor libcurl nor MPI ($need)" ;;
esac
totals
