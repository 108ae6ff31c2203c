#!/bin/bash
# trust_rules.sh BUILD: the rules of the trust data and of the verdicts
# around it, each case in the single and the batch path (twice, the second
# from the cache): a key's exp present or absent, one key under one issuer,
# a code issued in the future, bounded validity (max_validity), stale-trust
# on every verdict, and the same-seq rule of revocation lists whatever the
# order of the files. Codes are forged (tests/tools/forge) with exact
# claims. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
W=$(mktemp -d /tmp/hc-rules.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"

ATS=1795392000 # 2026-11-23T08:00:00+08:00
D=86400
WEEK=604800
ZJ=https://hc.zj.example
SH=https://hc.sh.example
K() { "$B/hc-keys" "$@"; }
kid() { K pub "$1" | sed 's/.*"kid":"\([^"]*\)".*/\1/'; }

for k in root zj zjr zj0 sh; do K gen $k.key >/dev/null || bad "gen $k"; done
mkdir -p trust/roots trust/revocations
K pub root.key > trust/roots/root.jwk
# trustlist ZJ-EXTRA-KEYS SH-EXTRA-MEMBERS: a trust-list payload
trustlist() {
	cat <<JSON
{"seq":1,"iat":$((ATS - D)),"next_update":$((ATS + 30 * D)),"issuers":[
 {"iss":"$ZJ","name":"Zhejiang Health","region":"330000","keys":[
  $(K pub --status active --nbf $((ATS - 30 * D)) zj.key),
  $(K pub --status retired --nbf $((ATS - 60 * D)) --exp $((ATS - D)) zjr.key)$1]},
 {"iss":"$SH","name":"Shanghai Health","region":"310000"$2,
  "keys":[$(K pub --status active sh.key)]}]}
JSON
}
ZJ0=$(K pub --status active --exp 0 zj0.key)
trustlist ",$ZJ0" ',"max_validity":86400' > tl.json
K trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null &&
	ok "trust list signed (a key with exp 0; shanghai max_validity 1 day)" || bad "trust list signed"
grep -q '"exp":0' tl.json && ok "the key entry holds \"exp\":0" || bad "exp 0 in the entry"

# forge_code KEY ISS IAT NBF EXP: QR text of a green code with exactly these
# claims (NBF "-": absent)
n=0
forge_code() {
	n=$((n + 1))
	printf '{"iss":"%s","iat":%s%s,"exp":%s,"jti":"%s","hc":{"v":1,"st":"green","pol":"default-1","why":[],"sub":{"name":"Z*","id":"330***********1234"}}}' \
		"$2" "$3" "$([ "$4" = - ] || printf ',"nbf":%s' "$4")" "$5" \
		"$(printf 'AAAAAAAAAAAAAAAAA%04dA' $n)" > claims.json
	"$B/forge" "$1" '{"alg":"ES256","zip":"DEF","kid":"'"$(kid "$1")"'"}' claims.json zip rs > tok ||
		{ bad "forge $n"; return; }
	python3 -c 'import sys; t = open(sys.argv[1]).read().strip(); print("hc:/" + "".join("%02d" % (ord(c) - 45) for c in t))' tok
}
# field FILE N KEY: member KEY of the N-th JSON line of FILE (list: joined)
field() {
	python3 -c 'import json, sys
v = json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2])]).get(sys.argv[3])
print(",".join(v) if isinstance(v, list) else v)' "$@" 2>/dev/null
}
# both NAME EXIT REASON AT QRTEXT [DIR]: the verdict of hc-verify --json,
# and of hc-verify batch on the code twice (the second from the cache)
both() {
	local name=$1 want_rc=$2 want=$3 at=$4 qr=$5 dir=${6:-trust} rc r1 r2
	"$B/hc-verify" --trust "$dir" --at "$at" --json --text "$qr" > s.out 2>&1; rc=$?
	[ $rc -eq "$want_rc" ] && [ "$(field s.out 0 reason)" = "$want" ] && ok "$name" ||
		bad "$name" "exit $rc, want $want_rc $want: $(cat s.out)"
	printf '{"code":"%s","at":%s}\n' "$qr" "$at" "$qr" "$at" > b.in
	"$B/hc-verify" batch --trust "$dir" --threads 1 --in b.in --out b.out 2>b.err; rc=$?
	r1=$(field b.out 0 reason) r2=$(field b.out 1 reason)
	[ $rc -eq 0 ] && [ "$r1" = "$want" ] && [ "$r2" = "$want" ] && ok "$name (batch, cached)" ||
		bad "$name (batch, cached)" "exit $rc, reasons $r1 $r2, want $want: $(cat b.err)"
}

# ---- a key's exp: absent means open-ended, present is a time like any other ----
C=$(forge_code zj0.key $ZJ $ATS - $((ATS + D)))
both "key with exp 0: its codes fail (the window ended in 1970)" 1 key-not-valid $ATS "$C"
both "control: the active key without exp signs" 0 ok $ATS "$(forge_code zj.key $ZJ $ATS - $((ATS + D)))"
# trustlist_refused NAME PAYLOADFILE PATTERN: hc-keys refuses to sign it
trustlist_refused() {
	local out rc
	rm -f x.jws
	out=$(K trustlist --root root.key --in "$2" --out x.jws 2>&1); rc=$?
	[ $rc -eq 1 ] && [ ! -e x.jws ] && echo "$out" | grep -qE -e "$3" && ok "$1" ||
		bad "$1" "exit $rc: $out"
}
# forged_dir DIR PAYLOADFILE: a trust directory whose list is signed by the
# pinned root without hc-keys' checks, as a root holder could
forged_dir() {
	rm -rf "$1" && mkdir -p "$1/roots" && cp trust/roots/root.jwk "$1/roots/" &&
		"$B/forge" root.key '{"alg":"ES256","kid":"'"$(kid root.key)"'"}' "$2" raw rs > "$1/trustlist.jws"
}
# dir_refused NAME DIR PATTERN: hc-verify and hc-verify batch refuse DIR
dir_refused() {
	local out rc
	out=$("$B/hc-verify" --trust "$2" --at $ATS --text "$C" 2>&1); rc=$?
	[ $rc -eq 2 ] && echo "$out" | grep -qE -e "$3" && ok "$1" || bad "$1" "exit $rc: $out"
	printf '%s\n' "$C" > r.in
	out=$("$B/hc-verify" batch --trust "$2" --in r.in --out r.out 2>&1); rc=$?
	[ $rc -eq 2 ] && echo "$out" | grep -qE -e "$3" && ok "$1 (batch)" || bad "$1 (batch)" "exit $rc: $out"
}
for e in 0 1 $((ATS - 31 * D)); do
	trustlist ",$(K pub --status active --nbf $((ATS - 30 * D)) --exp $e zj0.key)" '' > tl-e.json
	grep -q "\"exp\":$e[,}]" tl-e.json || bad "exp $e in the entry"
	trustlist_refused "key with exp $e before its nbf: hc-keys trustlist refuses (exit 1)" tl-e.json 'exp before nbf'
	forged_dir te tl-e.json
	dir_refused "key with exp $e before its nbf: a list signed anyway is refused" te 'exp before nbf'
done

# ---- a key belongs to one issuer ----
SHREV=$(K pub --status revoked sh.key)
trustlist ",$SHREV" '' > tl-dup.json
trustlist_refused "a key under two issuers: hc-keys trustlist refuses" tl-dup.json "$(kid sh.key).*listed for"
forged_dir tdup tl-dup.json
C=$(forge_code sh.key $SH $ATS - $((ATS + 3600)))
dir_refused "a key revoked under one issuer, active under another: the list is refused" tdup "listed for"
both "control: that shanghai code passes with a list that has the key once" 0 ok $ATS "$C"

# ---- iat in the future ----
C=$(forge_code zj.key $ZJ $((ATS + 10 * D)) $((ATS - 3600)) $((ATS + 10 * D + 3600)))
both "iat 10 days ahead, nbf an hour ago: issued-in-future" 1 issued-in-future $ATS "$C"
both "the same code once its iat has come" 0 ok $((ATS + 10 * D)) "$C"
C=$(forge_code zj.key $ZJ $((ATS + 300)) $((ATS - 3600)) $((ATS + D)))
both "iat at the skew (300 s ahead) passes" 0 ok $ATS "$C"
C=$(forge_code zj.key $ZJ $((ATS + 301)) $((ATS - 3600)) $((ATS + D)))
both "iat 301 s ahead: issued-in-future" 1 issued-in-future $ATS "$C"
"$B/hc-verify" --trust trust --at $ATS --text "$C" > t.out 2>&1
grep -q 'FAIL issued-in-future' t.out && ok "text output names issued-in-future" || bad "text issued-in-future" "$(cat t.out)"

# ---- bounded validity (default 7 days; shanghai 1 day) ----
# NAME KEY ISS IAT EXP EXIT REASON
while read -r name key iss iat exp rc want; do
	[ -n "$name" ] || continue
	both "${name//_/ }" "$rc" "$want" $ATS "$(forge_code "$key" "$iss" "$iat" - "$exp")"
done <<EOF
retired_key,_exp_ten_years_ahead zjr.key $ZJ $((ATS - 2 * D)) $((ATS + 3650 * D)) 1 validity-too-long
retired_key,_exactly_max_validity zjr.key $ZJ $((ATS - 2 * D)) $((ATS - 2 * D + WEEK)) 0 ok
retired_key,_max_validity_plus_1_s zjr.key $ZJ $((ATS - 2 * D)) $((ATS - 2 * D + WEEK + 1)) 1 validity-too-long
active_key,_exp_ten_years_ahead zj.key $ZJ $ATS $((ATS + 3650 * D)) 1 validity-too-long
active_key,_exactly_max_validity zj.key $ZJ $ATS $((ATS + WEEK)) 0 ok
active_key,_max_validity_plus_1_s zj.key $ZJ $ATS $((ATS + WEEK + 1)) 1 validity-too-long
max_validity_1_day:_exactly sh.key $SH $ATS $((ATS + D)) 0 ok
max_validity_1_day:_plus_1_s sh.key $SH $ATS $((ATS + D + 1)) 1 validity-too-long
max_validity_1_day:_a_7-day_code sh.key $SH $ATS $((ATS + WEEK)) 1 validity-too-long
EOF
C=$(forge_code zj.key $ZJ $ATS - $((ATS + WEEK + 1)))
"$B/hc-verify" --trust trust --at $ATS --text "$C" > t.out 2>&1
grep -q 'FAIL validity-too-long.*604800' t.out && ok "text output names validity-too-long and the bound" ||
	bad "text validity-too-long" "$(cat t.out)"
# max_validity as hc-keys trustlist checks it
for mv in 0 -1 1.5 '"604800"' 31622401 null; do
	trustlist '' ",\"max_validity\":$mv" > tl-mv.json
	trustlist_refused "max_validity $mv refused" tl-mv.json 'max_validity'
done
for mv in 1 31622400; do
	trustlist '' ",\"max_validity\":$mv" > tl-mv.json
	K trustlist --root root.key --in tl-mv.json --out x.jws >/dev/null 2>&1 && ok "max_validity $mv accepted" ||
		bad "max_validity $mv accepted"
done
# hc-issue: bounded by the issuer's max_validity with --trust, else 7 days
printf '{"person":{"name":"李四","id":"33010619900101123X"}}\n' > rec.json
issue() { "$B/hc-issue" --key "$1" --iss "$2" --record rec.json --at $ATS "${@:3}"; }
# issue_rc NAME EXIT PATTERN hc-issue-args...
issue_rc() {
	local name=$1 want=$2 re=$3 out rc
	shift 3
	out=$(issue "$@" 2>&1 >/dev/null); rc=$?
	[ $rc -eq "$want" ] && echo "$out" | grep -qE -e "$re" && ok "$name" || bad "$name" "exit $rc: $out"
}
issue_rc "hc-issue --validity 7d without --trust signs" 0 '^hc-issue: warning: without --trust' zj.key $ZJ --validity 7d
issue_rc "hc-issue --validity 8d without --trust: the default bound" 2 'max_validity' zj.key $ZJ --validity 8d
issue_rc "hc-issue --validity 2d under a 1-day max_validity" 2 'max_validity' sh.key $SH --validity 2d --trust trust
issue_rc "hc-issue --validity 1d under a 1-day max_validity" 0 '^$' sh.key $SH --validity 1d --trust trust
trustlist '' ',"max_validity":3600' > tl-h.json && rm -rf th && mkdir -p th/roots &&
	cp trust/roots/root.jwk th/roots/ && K trustlist --root root.key --in tl-h.json --out th/trustlist.jws >/dev/null
issue_rc "hc-issue: the policy's 24 h under a 1-hour max_validity refuses the record" 1 'max_validity' \
	sh.key $SH --trust th
C=$(issue sh.key $SH --validity 1h --trust th)
both "a code issued under a 1-hour max_validity passes" 0 ok $ATS "$C" th

# ---- stale trust: every verdict carries it ----
LATE=$((ATS + 40 * D)) # past next_update + the 24 h grace
# stale NAME EXIT hc-verify-args...: --json output has the stale-trust warning
stale() {
	local name=$1 want=$2 out rc
	shift 2
	out=$("$B/hc-verify" --trust trust --at $LATE --json "$@" 2>&1 < "${STDIN:-/dev/null}"); rc=$?
	[ $rc -eq "$want" ] && echo "$out" | grep -q '"warnings":\["stale-trust"\]' && ok "$name" ||
		bad "$name" "exit $rc: $out"
}
stale "stale: a code refused at the QR framing" 1 --text 'hc:/123'
stale "stale: a text that is no QR text" 1 --text 'hello'
head -c 5000 /dev/zero | tr '\0' 1 > long.txt
STDIN=long.txt stale "stale: a standard-input line too long" 1 -
printf 'not an image' > noimg.png
stale "stale: a file that is no image" 1 noimg.png
out=$("$B/hc-verify" --trust trust --at $LATE --text 'hc:/123' 2>&1)
echo "$out" | grep -q 'WARNING stale-trust' && ok "stale: text output of a framing failure" ||
	bad "stale: text output of a framing failure" "$out"
printf '%s\n' 'hc:/123' '{"code":5}' '{"at":1}' 'x' > st.in
head -c 70000 /dev/zero | tr '\0' 1 >> st.in && echo >> st.in
"$B/hc-verify" batch --trust trust --at $LATE --in st.in --out st.out 2>/dev/null
for i in 0 1 2 3 4; do
	[ "$(field st.out $i warnings)" = stale-trust ] && ok "stale: batch line $((i + 1)) carries it" ||
		bad "stale: batch line $((i + 1)) carries it" "$(sed -n "$((i + 1))p" st.out)"
done

# ---- revocation lists: two of one seq are refused in every order ----
printf '[{"jti":"AAAAAAAAAAAAAAAAAAAAAA","at":%d}]' $ATS > ra.json
printf '[{"jti":"BBBBBBBBBBBBBBBBBBBBBA","at":%d}]' $ATS > rb.json
K revoke --key zj.key --iss $ZJ --in ra.json --seq 1 --iat $ATS --out s1a.jws >/dev/null &&
	K revoke --key zj.key --iss $ZJ --in rb.json --seq 1 --iat $ATS --out s1b.jws >/dev/null &&
	K revoke --key zj.key --iss $ZJ --in rb.json --seq 2 --iat $ATS --out s2.jws >/dev/null ||
	bad "revocation lists signed"
C=$(forge_code zj.key $ZJ $ATS - $((ATS + D)))
# every assignment of the three lists to the names a, m, z, each written
# in name order and in reverse (readdir follows neither reliably)
for p in "s1a s1b s2" "s1a s2 s1b" "s1b s1a s2" "s1b s2 s1a" "s2 s1a s1b" "s2 s1b s1a"; do
	for rev in 0 1; do
		set -- $p
		rm -rf tq && mkdir -p tq/revocations && cp -r trust/roots trust/trustlist.jws tq/
		if [ $rev = 0 ]; then cp $1.jws tq/revocations/a.jws; cp $2.jws tq/revocations/m.jws; cp $3.jws tq/revocations/z.jws
		else cp $3.jws tq/revocations/z.jws; cp $2.jws tq/revocations/m.jws; cp $1.jws tq/revocations/a.jws; fi
		out=$("$B/hc-verify" --trust tq --at $ATS --text "$C" 2>&1); rc=$?
		[ $rc -eq 2 ] && echo "$out" | grep -q 'seq 1, like another list' &&
			ok "two lists of seq 1 refused (a m z = $p${rev/1/, written z first})" ||
			bad "two lists of seq 1 refused (a m z = $p, $rev)" "exit $rc: $out"
	done
done
rm -rf tq && mkdir -p tq/revocations && cp -r trust/roots trust/trustlist.jws tq/
cp s1a.jws tq/revocations/a.jws && cp s1a.jws tq/revocations/b.jws && cp s2.jws tq/revocations/c.jws
"$B/hc-verify" --trust tq --at $ATS --text "$C" >/dev/null 2>&1
[ $? -eq 0 ] && ok "control: one list twice under one seq, and a higher one, load" || bad "identical lists"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
