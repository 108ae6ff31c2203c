#!/bin/bash
# json.sh BUILD: strict JSON and untrusted text end to end, with real keys:
# signed codes whose header or claims break RFC 8259's grammar or write a
# time other than as digits are malformed in single (text and --json) and
# batch verification, while the same code written strictly passes; trust
# lists, revocation lists, issuer records and batch records are held to
# the same grammar; a code that fails before its signature is checked shows
# none of its bytes; and the trust list's issuer names and iss reach no
# output path with a control or format character. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-json.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 2

ATS=1795392000 # 2026-11-23T08:00:00+08:00
IAT=$((ATS - 3600)) EXP=$((ATS + 82800))
ZJ=https://hc.zj.example
# an issuer whose iss and name hold RLO, C1 NEL and CSI, DEL, ZWSP, LRI,
# a soft hyphen, a line separator and a tag character, written as bytes
EVB=$(printf 'https://hc.ev.example/\342\200\256x\302\205\177\342\200\213')
EVJ='https://hc.ev.example/\u202ex\u0085\u007f\u200b'
EVNAME='Evil \u202eRLO\u009b1m\u007f\u200b\u2066\u00ad\u2028\udb40\udc41 end'
# any C0 but newline, DEL, C1, Cf/Zl/Zp of the BMP's format blocks
UNSAFE='[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xc2\xad|\xe2\x80[\x8b-\x8f\xa8-\xae]|\xe2\x81[\xa0-\xaf]|\xef\xbb\xbf|\xf3\xa0[\x80-\x81]'
clean() { perl -0777 -ne "exit 1 if /$UNSAFE/" "$1"; }

for k in root zj ev rogue; do "$B/hc-keys" gen $k.key >/dev/null || { bad "keys"; exit 1; }; done
kid() { "$B/hc-keys" pub "$1" | sed 's/.*"kid":"\([^"]*\)".*/\1/'; }
ZJK=$(kid zj.key) EVK=$(kid ev.key) ROGK=$(kid rogue.key) ROOTK=$(kid root.key)
mkdir -p trust/roots trust/revocations
"$B/hc-keys" pub root.key > trust/roots/root.jwk
cat > tl.json <<JSON
{"seq":1,"iat":1763856000,"next_update":4102444800,"issuers":[
 {"iss":"$ZJ","name":"Zhejiang Health","region":"330000","revocations":"revocations/330000.jws",
  "keys":[$("$B/hc-keys" pub --status active --nbf 2025-01-01 zj.key)]},
 {"iss":"$EVJ","name":"$EVNAME","region":"440000",
  "keys":[$("$B/hc-keys" pub --status active ev.key)]}]}
JSON
"$B/hc-keys" trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null ||
	{ bad "trust list signed" "$(cat tl.json)"; exit 1; }
printf '[{"jti":"cmV2b2tlZC1qdGktMDAwMQ","at":%d}]' $((ATS - 86400)) > rev.json
"$B/hc-keys" revoke --key zj.key --iss $ZJ --in rev.json --seq 1 --iat $((ATS - 7200)) \
	--out trust/revocations/330000.jws >/dev/null || { bad "revocation list signed"; exit 1; }

# token -> QR text
qr() { printf 'hc:/'; printf '%s' "$1" | od -An -v -tu1 | tr -s ' ' '\n' | grep -v '^$' |
	while read -r c; do printf '%02d' $((c - 45)); done; }
HDR='{"alg":"ES256","zip":"DEF","kid":"'$ZJK'"}'
# claims with NUM_ (iat), V_ (hc.v), ST_, TOPX_ (extra top-level members)
claims() {
	printf '{"iss":"%s","iat":%s,"exp":%s,"jti":"YWR2ZXJzYXJpYWwtY2FzZQ"%s,"hc":{"v":%s,"st":"%s","pol":"p","why":[],"sub":{"name":"Z*","id":"330***********1234"}}}' \
		"${ISS_-$ZJ}" "${IAT_-$IAT}" "${EXP_-$EXP}" "${TOPX_-}" "${V_-1}" "${ST_-green}"
}
# code NAME KEY HEADER CLAIMS-TEXT (printf %b: \xHH are bytes) -> NAME.qr
code() {
	printf '%b' "$4" > "$1.json"
	"$B/forge" "$2" "$3" "$1.json" zip rs > "$1.tok" || { bad "$1: forge"; return 1; }
	qr "$(cat "$1.tok")" > "$1.qr"
}
V() { "$B/hc-verify" --trust trust --at $ATS "$@"; }
# single NAME EXIT REASON: text and --json
single() {
	local n=$1 rc r
	V --text "$(cat "$n.qr")" > "$n.t" 2>&1; rc=$?
	r=$(sed -n 's/^\(PASS\|FAIL [a-z-]*\).*/\1/p' "$n.t")
	[ $rc -eq "$2" ] && [ "$r" = "$([ "$3" = ok ] && echo PASS || echo "FAIL $3")" ] ||
		{ bad "$n (text)" "exit $rc: $(cat "$n.t")"; return 1; }
	V --json --text "$(cat "$n.qr")" > "$n.j" 2>&1; rc=$?
	[ $rc -eq "$2" ] && grep -q "\"reason\":\"$3\"" "$n.j" ||
		{ bad "$n (json)" "exit $rc: $(cat "$n.j")"; return 1; }
	return 0
}

# ---- 2. strict JSON in signed codes, single and batch ----
cases=()
# case NAME REASON KEY HEADER CLAIMS
case_() { code "$1" "$3" "$4" "$5" && single "$1" "$([ "$2" = ok ] && echo 0 || echo 1)" "$2" &&
	ok "$1: $2 (single)"; cases+=("$1 $2"); }
case_ control-strict ok zj.key "$HDR" "$(claims)"
case_ control-whitespace ok zj.key "$HDR" "$(claims | sed 's/,"/ ,\\n\\t"/g; s/":/"\\r : /g')"
case_ iat-leading-zero malformed zj.key "$HDR" "$(IAT_=0$IAT claims)"
case_ v-leading-zero malformed zj.key "$HDR" "$(V_=01 claims)"
case_ v-minus-leading-zero malformed zj.key "$HDR" "$(V_=-01 claims)"
case_ iat-trailing-dot malformed zj.key "$HDR" "$(IAT_=$IAT. claims)"
case_ iat-fraction-zero malformed zj.key "$HDR" "$(IAT_=$IAT.0 claims)"
case_ iat-exponent malformed zj.key "$HDR" "$(IAT_=1.7953884e9 claims)"
case_ exp-exponent-zero malformed zj.key "$HDR" "$(EXP_=${EXP}e0 claims)"
case_ v-fraction malformed zj.key "$HDR" "$(V_=1.0 claims)"
case_ iat-minus-zero malformed zj.key "$HDR" "$(IAT_=-0 claims)"
case_ claims-bom malformed zj.key "$HDR" "\xef\xbb\xbf$(claims)"
case_ claims-vt-between malformed zj.key "$HDR" "$(claims | sed 's/,"exp"/,\\x0b"exp"/')"
case_ claims-ff-after malformed zj.key "$HDR" "$(claims)\x0c"
case_ claims-nbsp-between malformed zj.key "$HDR" "$(claims | sed 's/,"exp"/,\\xc2\\xa0"exp"/')"
case_ claims-bad-escape malformed zj.key "$HDR" "$(claims | sed 's/"Z\*"/"Z\\\\u12G4"/')"
case_ header-bom malformed zj.key "$(printf '\357\273\277')$HDR" "$(claims)"
case_ header-vt malformed zj.key "$(printf '{\v')${HDR#\{}" "$(claims)"
# batch: every case as a JSON record (the strict record path, since the
# code holds no escape) and as a plain line; the same reason as single
: > b.in
for c in "${cases[@]}"; do
	set -- $c
	printf '{"code":"%s","at":%d}\n%s\n' "$(cat "$1.qr")" $ATS "$(cat "$1.qr")" >> b.in
done
if "$B/hc-verify" batch --trust trust --at $ATS --in b.in --out b.out 2> b.err; then
	i=0
	for c in "${cases[@]}"; do
		set -- $c
		for form in record line; do
			i=$((i + 1))
			got=$(sed -n "${i}p" b.out | sed -n 's/.*"reason":"\([a-z-]*\)".*/\1/p')
			[ "$got" = "$2" ] && ok "$1: $2 (batch $form)" ||
				bad "$1 (batch $form)" "reason '$got', want $2: $(sed -n "${i}p" b.out)"
		done
	done
else
	bad "batch run" "$(cat b.err)"
fi

# ---- batch records: the same grammar, the record's time written as digits ----
G=$(cat control-strict.qr)
brec() { # NAME REASON RECORD-TEXT (printf %b)
	local got
	printf '%b\n' "$3" > r.in
	"$B/hc-verify" batch --trust trust --at $ATS --in r.in --out r.out 2>/dev/null ||
		{ bad "record $1" "exit $?"; return; }
	got=$(sed -n 's/.*"reason":"\([a-z-]*\)".*/\1/p' r.out)
	[ "$got" = "$2" ] && ok "record $1: $2" || bad "record $1" "reason '$got', want $2: $(cat r.out)"
}
brec strict ok "{\"code\":\"$G\",\"at\":$ATS}"
brec with-whitespace ok "{\"code\": \"$G\", \"at\": $ATS}"
brec at-leading-zero malformed "{\"code\":\"$G\",\"at\":0$ATS}"
brec at-fraction malformed "{\"code\":\"$G\",\"at\":$ATS.0}"
brec at-exponent malformed "{\"code\":\"$G\",\"at\":1.795392e9}"
brec at-trailing-dot malformed "{\"code\":\"$G\",\"at\":$ATS.}"
brec vt-between malformed "{\"code\":\"$G\",\x0b\"at\":$ATS}"
brec member-leading-zero malformed "{\"code\":\"$G\",\"n\":01}"
brec member-plus malformed "{\"code\":\"$G\",\"n\":+1}"
brec member-bad-escape malformed "{\"code\":\"$G\",\"n\":\"\\\\x41\"}"

# ---- trust list, revocation list, issuer record: the same grammar ----
sed 's/"seq":1/"seq":01/' tl.json > tl-bad.json
"$B/hc-keys" trustlist --root root.key --in tl-bad.json --out x.jws >/dev/null 2>&1
[ $? -ne 0 ] && [ ! -e x.jws ] && ok "hc-keys trustlist refuses a leading zero" ||
	bad "hc-keys trustlist refuses a leading zero"
tlcase() { # NAME PAYLOAD-FILE: signed by the pinned root with forge
	rm -rf "t-$1" && cp -R trust "t-$1" && rm -f "t-$1"/revocations/*.idx
	"$B/forge" root.key '{"alg":"ES256","kid":"'$ROOTK'"}' "$2" raw rs > "t-$1/trustlist.jws"
	"$B/hc-verify" --trust "t-$1" --at $ATS --text "$G" > tl.out 2>&1
	[ $? -eq 2 ] && grep -q 'invalid JSON\|not an integer' tl.out && ok "trust list $1: refused" ||
		bad "trust list $1" "$(cat tl.out)"
}
"$B/forge" root.key '{"alg":"ES256","kid":"'$ROOTK'"}' tl.json raw rs > ctl.jws
cp -R trust t-ctl && cp ctl.jws t-ctl/trustlist.jws
"$B/hc-verify" --trust t-ctl --at $ATS --text "$G" > tl.out 2>&1 &&
	ok "trust list forged strictly: loads (control)" || bad "trust list control" "$(cat tl.out)"
sed 's/"seq":1/"seq":01/' tl.json > p1; tlcase seq-leading-zero p1
sed 's/"seq":1/"seq":1.0/' tl.json > p2; tlcase seq-fraction p2
{ printf '\357\273\277'; cat tl.json; } > p3; tlcase bom p3
sed 's/"seq":1,/"seq":1,\x1f/' tl.json > p4; tlcase unit-separator p4
sed 's/"iat":1763856000/"iat":1.763856e9/' tl.json > p5; tlcase iat-exponent p5
revcase() { # NAME PAYLOAD: zj's revocation list forged with the bad form
	rm -rf r-$1 && cp -R trust r-$1 && rm -f r-$1/revocations/*.idx
	printf '%s' "$2" > rp.json
	"$B/forge" zj.key '{"alg":"ES256","kid":"'$ZJK'"}' rp.json raw rs > r-$1/revocations/330000.jws
	"$B/hc-verify" --trust r-$1 --at $ATS --text "$G" > rv.out 2>&1
	[ $? -eq "$3" ] && ok "revocation list $1: exit $3" || bad "revocation list $1" "$(cat rv.out)"
}
RL='{"iss":"'$ZJ'","seq":2,"iat":'$((ATS - 7200))',"revoked":[{"jti":"cmV2b2tlZC1qdGktMDAwMQ","at":AT}]}'
revcase strict "${RL/AT/$((ATS - 86400))}" 0
revcase at-fraction "${RL/AT/$((ATS - 86400)).0}" 2
revcase at-leading-zero "${RL/AT/0$((ATS - 86400))}" 2
printf '[{"jti":"cmV2b2tlZC1qdGktMDAwMQ","at":%d.0}]' $((ATS - 86400)) > rev-bad.json
"$B/hc-keys" revoke --key zj.key --iss $ZJ --in rev-bad.json --seq 2 --iat $((ATS - 7200)) \
	--out x.jws >/dev/null 2>&1
[ $? -ne 0 ] && [ ! -e x.jws ] && ok "hc-keys revoke refuses an at written 1.0" ||
	bad "hc-keys revoke refuses an at written 1.0"
ISSUE() { "$B/hc-issue" --key zj.key --iss $ZJ --at $IAT --record "$1" > iss.out 2>&1; }
ISSUE "$SRC/examples/green.json" && ok "record: example issues (control)" || bad "record control" "$(cat iss.out)"
sed '0,/"dose": *1/s/"dose": *1/"dose":01/' "$SRC/examples/green.json" > rec1.json
if cmp -s rec1.json "$SRC/examples/green.json"; then bad "record leading zero: no dose to change"
else ISSUE rec1.json; [ $? -eq 1 ] && grep -q 'invalid JSON' iss.out && ok "record: dose 01 refused" ||
	bad "record dose 01" "$(cat iss.out)"; fi
{ printf '\357\273\277'; cat "$SRC/examples/green.json"; } > rec2.json
ISSUE rec2.json; [ $? -eq 1 ] && grep -q 'invalid JSON' iss.out && ok "record: BOM refused" ||
	bad "record BOM" "$(cat iss.out)"

# ---- 1. nothing of a code is shown before its signature verifies ----
LURE='PASS green  \xe5\xbc\xa0\xe4\xb8\x89  330***********1234  issuer: Zhejiang Health'
RHDR='{"alg":"ES256","zip":"DEF","kid":"'$ROGK'"}'
q=()
qcase() { code "$1" "$2" "$3" "$4" && q+=("$1"); }
qcase q-unknown-member rogue.key "$RHDR" "$(TOPX_=",\"$LURE\":1" claims)"
qcase q-unknown-hc-member rogue.key "$RHDR" "$(claims | sed "s/\"v\":1,/\"v\":1,\"$LURE\":1,/")"
qcase q-st rogue.key "$RHDR" "$(ST_="$LURE" claims)"
qcase q-st-short rogue.key "$RHDR" "$(ST_=PASS claims)"
qcase q-dup rogue.key "$RHDR" "$(TOPX_=",\"$LURE\":1,\"$LURE\":2" claims)"
qcase q-v rogue.key "$RHDR" "$(V_=777 claims)"
qcase q-alg rogue.key '{"alg":"'"$LURE"'","zip":"DEF","kid":"'$ROGK'"}' "$(claims)"
qcase q-header-member rogue.key '{"alg":"ES256","zip":"DEF","kid":"'$ROGK'","'"$LURE"'":1}' "$(claims)"
qcase q-kid rogue.key '{"alg":"ES256","zip":"DEF","kid":"'"$LURE"'"}' "$(claims)"
qcase q-zj-st zj.key "$HDR" "$(ST_="$LURE" claims)"
: > q.in
for n in "${q[@]}"; do
	for mode in "" --json; do
		V $mode --text "$(cat "$n.qr")" > o 2>&1
		rc=$?
		if [ $rc -eq 1 ] && ! grep -q 'PASS\|张\|777' o && clean o; then
			ok "$n: fails showing nothing of it (${mode:-text})"
		else
			bad "$n (${mode:-text})" "exit $rc: $(cat o)"
		fi
	done
	printf '{"code":"%s"}\n%s\n' "$(cat "$n.qr")" "$(cat "$n.qr")" >> q.in
done
"$B/hc-verify" batch --trust trust --at $ATS --in q.in --out q.out 2> q.err ||
	bad "batch of lures" "$(cat q.err)"
[ "$(grep -c '"verdict":"fail"' q.out)" -eq $((2 * ${#q[@]})) ] && ! grep -q 'PASS\|张\|777' q.out &&
	ok "batch: the lures fail showing nothing of them" || bad "batch lures" "$(cat q.out)"

# ---- 6. the trust list's iss and name, on every output path ----
code ev ev.key '{"alg":"ES256","zip":"DEF","kid":"'$EVK'"}' "$(ISS_=$EVJ claims)"
for mode in "" --json; do
	V $mode --text "$(cat ev.qr)" > o 2>&1; rc=$?
	[ $rc -eq 0 ] && clean o && grep -q 'Evil .*RLO.* end' o &&
		ok "issuer with format characters: passes, shown neutralised (${mode:-text})" ||
		bad "ev (${mode:-text})" "exit $rc: $(od -c o | head)"
done
printf '%s\n{"code":"%s"}\n' "$(cat ev.qr)" "$(cat ev.qr)" > e.in
"$B/hc-verify" batch --trust trust --at $ATS --in e.in --out e.out --report e.rep 2> e.err
rc=$?
[ $rc -eq 0 ] && [ "$(grep -c '"verdict":"pass"' e.out)" -eq 2 ] && clean e.out &&
	grep -q '"iss":"https://hc.ev.example/' e.out && ok "batch: iss neutralised in result lines" ||
	bad "batch iss" "exit $rc: $(od -c e.out | head -20)"
tr -d "\t" < e.rep > e.rep2
clean e.rep2 && grep -q "hc.ev.example" e.rep && ok "batch --report: iss neutralised" ||
	bad "batch report iss" "$(od -c e.rep | head -20)"
clean e.err && ok "batch standard error clean" || bad "batch stderr" "$(od -c e.err | head)"
"$B/hc-verify" status --trust trust --at $ATS > s.out 2>&1
clean s.out && grep -q 'hc.ev.example' s.out && ok "status: iss and name neutralised" ||
	bad "status" "$(od -c s.out | head -20)"
"$B/hc-verify" status --trust trust --at $ATS --json > s.out 2>&1
clean s.out && ok "status --json: neutralised" || bad "status --json" "$(od -c s.out | head -20)"
# the check itself sees each of those characters when written raw
for ch in '\342\200\256' '\302\205' '\177' '\342\200\213' '\342\201\246' '\302\255' \
	'\342\200\250' '\363\240\201\201' '\340\270\272' ; do
	printf "x${ch}y" > raw
	if [ "$ch" = '\340\270\272' ]; then # U+0E3A, a Thai vowel: shown as it is
		clean raw && ok "check passes an ordinary character" || bad "check: U+0E3A flagged"
	else
		clean raw && bad "check misses $ch" || ok "check sees $ch"
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
