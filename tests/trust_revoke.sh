#!/bin/bash
# trust_revoke.sh BUILD: revocation lists and key rotation, end to end and
# without network: hc-keys revoke (with an openssl cross-check), lists
# installed in DIR/revocations, codes revoked from their entry's time and
# only by their own issuer, lists that must make hc-verify refuse the trust
# directory, retired/revoked/not-yet-valid keys, and hc-issue --trust.
# Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
W=$(mktemp -d /tmp/hc-revoke.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"

ATS=1795392000 # 2026-11-23T08:00:00+08:00
D=86400
ISS=https://hc.zj.example
SISS=https://hc.sh.example

# expect NAME EXIT REASON AT QRTEXT [DIR]: hc-verify --json verdict
expect() {
	local out rc
	out=$("$B/hc-verify" --trust "${6:-trust}" --at "$4" --json --text "$5" 2>&1); rc=$?
	if [ $rc -ne "$2" ]; then bad "$1" "exit $rc, want $2: $out"; return; fi
	case "$out" in *"\"reason\":\"$3\""*) ok "$1" ;; *) bad "$1" "want $3: $out" ;; esac
}
# refused NAME DIR FILE: hc-verify must refuse the trust directory, naming FILE
refused() {
	local out rc
	out=$("$B/hc-verify" --trust "$2" --at "$ATS" --text "$C3" 2>&1); rc=$?
	if [ $rc -ne 2 ]; then bad "$1" "exit $rc, want 2: $out"; return; fi
	case "$out" in *"$3"*) ok "$1" ;; *) bad "$1" "message does not name $3: $out" ;; esac
}
# a fresh copy of the trust directory without revocation lists
fresh() { rm -rf "$1" && mkdir -p "$1/revocations" && cp -r trust/roots trust/trustlist.jws "$1/"; }
revoke() { # KEY ISS IN SEQ IAT OUT
	"$B/hc-keys" revoke --key "$1" --iss "$2" --in "$3" --seq "$4" --iat "$5" --out "$6"
}
# issue KEY ISS AT [hc-issue args]: QR text of a green code valid 7 days
issue() {
	local k=$1 i=$2 a=$3
	shift 3
	"$B/hc-issue" --key "$k" --iss "$i" --record rec.json --at "$a" --validity 7d "$@"
}
# the jti of a code, read independently of hc-verify: QR digits -> token ->
# raw-DEFLATE payload -> JSON
jti() {
	python3 - "$1" <<'PY'
import base64, json, sys, zlib
d = sys.argv[1][4:]
tok = ''.join(chr(int(d[i:i + 2]) + 45) for i in range(0, len(d), 2))
p = tok.split('.')[1]
print(json.loads(zlib.decompress(base64.urlsafe_b64decode(p + '=' * (-len(p) % 4)), -15))['jti'])
PY
}
filler() { for i in $(seq "$1" "$2"); do printf ',"F%020dA"' "$i"; done; }
kid() { "$B/hc-keys" pub "$1" | sed 's/.*"kid":"\([^"]*\)".*/\1/'; }

# ---- keys and a trust list with rotation states ----
for k in root zj zjr zjx zjf sh rogue; do "$B/hc-keys" gen $k.key >/dev/null || bad "gen $k"; done
printf '{"person":{"name":"李四","id":"33010619900101123X"}}\n' > rec.json
mkdir -p trust/roots trust/revocations
"$B/hc-keys" pub root.key > trust/roots/root.jwk
zjkeys="$("$B/hc-keys" pub --status active --nbf $((ATS - 30 * D)) zj.key),\
$("$B/hc-keys" pub --status retired --nbf $((ATS - 60 * D)) --exp $((ATS - D)) zjr.key),\
$("$B/hc-keys" pub --status revoked zjx.key),\
$("$B/hc-keys" pub --status active --nbf $((ATS + 10 * D)) zjf.key)"
cat > tl.json <<JSON
{"seq":1,"iat":$((ATS - D)),"next_update":$((ATS + 30 * D)),"issuers":[
 {"iss":"$ISS","name":"Zhejiang Health","region":"330000","revocations":"revocations/330000.jws",
  "keys":[$zjkeys]},
 {"iss":"$SISS","name":"Shanghai Health","region":"310000","revocations":"revocations/310000.jws",
  "keys":[$("$B/hc-keys" pub --status active sh.key)]}]}
JSON
"$B/hc-keys" trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null &&
	ok "trust list with active, retired, revoked and future keys signed" || bad "trust list signed"
sed "s/\"status\":\"retired\",\"nbf\":$((ATS - 60 * D)),\"exp\":$((ATS - D))/\"status\":\"retired\",\"nbf\":$((ATS - 60 * D))/" tl.json > tl-noexp.json
if cmp -s tl.json tl-noexp.json; then bad "retired key without exp refused" "sed did not apply"; else
	"$B/hc-keys" trustlist --root root.key --in tl-noexp.json --out x.jws >/dev/null 2>&1
	[ $? -eq 1 ] && [ ! -e x.jws ] && ok "retired key without exp refused (trustlist exit 1)" ||
		bad "retired key without exp refused"
fi

# ---- codes ----
C1=$(issue zj.key $ISS $ATS) && C2=$(issue zj.key $ISS $ATS) && C3=$(issue zj.key $ISS $ATS) &&
	S1=$(issue sh.key $SISS $ATS) || bad "issue codes"
J1=$(jti "$C1") J2=$(jti "$C2") J3=$(jti "$C3") JS=$(jti "$S1")
[ ${#J1} -eq 22 ] && [ ${#JS} -eq 22 ] && [ "$J1" != "$J2" ] && ok "jti read from the payloads" ||
	bad "jti" "$J1 $J2 $JS"
out=$("$B/hc-verify" --trust trust --at $ATS --json --text "$C1")
case "$out" in *"\"jti\":\"$J1\""*) ok "hc-verify reports the same jti" ;; *) bad "hc-verify jti" "$out" ;; esac
expect "code passes before any list is installed" 0 ok $((ATS + 7200)) "$C1"

# ---- hc-keys revoke ----
# C1 twice: the earlier at must win; C2 bare: revoked from the list's iat.
printf '[{"jti":"%s","at":%d},"%s",{"jti":"%s","at":"2026-11-23T10:00:00+08:00"}%s]\n' \
	"$J1" $((ATS + 3600)) "$J2" "$J1" "$(filler 1 11)" > zj-list.json
out=$(revoke zj.key $ISS zj-list.json 1 $ATS zj.jws); rc=$?
[ $rc -eq 0 ] && [ "$out" = "$(kid zj.key) 13 entries" ] && ok "revoke prints kid and merged count" ||
	bad "revoke output" "$rc $out"
[ "$(stat -c %a zj.jws 2>/dev/null)" = 644 ] && ok "revocation list written with mode 0644" || bad "mode 0644"
printf '["%s","%s"%s]' "$J3" "$JS" "$(filler 20 22)" | revoke sh.key $SISS - 1 $ATS sh.jws > sh.out
[ $? -eq 0 ] && [ "$(cat sh.out)" = "$(kid sh.key) 5 entries" ] && ok "revoke reads the list from stdin" ||
	bad "revoke stdin" "$(cat sh.out)"

# independent check: signature with the openssl CLI, payload rebuilt in python
openssl pkey -in zj.key -pubout -out zj.pub 2>/dev/null
L=$(cat zj.jws); h=${L%%.*}; rest=${L#*.}; p=${rest%%.*}; s=${rest#*.}
b64d() { local v=$1; v=$(printf '%s' "$v" | tr -- '-_' '+/'); while [ $(( ${#v} % 4 )) -ne 0 ]; do v="$v="; done; printf '%s' "$v" | openssl base64 -d -A; }
sighex=$(b64d "$s" | od -An -v -tx1 | tr -d ' \n')
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "${sighex:0:64}" "${sighex:64:64}" > sig.cnf
openssl asn1parse -genconf sig.cnf -out sig.der >/dev/null
printf '%s.%s' "$h" "$p" > signed.txt
[ ${#sighex} -eq 128 ] && openssl dgst -sha256 -verify zj.pub -signature sig.der signed.txt >/dev/null 2>&1 &&
	ok "openssl verifies the revocation list (R||S -> DER)" || bad "openssl verify revocation list"
printf '%s.%sx' "$h" "$p" > signed-bad.txt
openssl dgst -sha256 -verify zj.pub -signature sig.der signed-bad.txt >/dev/null 2>&1 &&
	bad "openssl refuses a changed list (control)" || ok "openssl refuses a changed list (control)"
[ "$(b64d "$h")" = "{\"alg\":\"ES256\",\"kid\":\"$(kid zj.key)\"}" ] && ok "list header is alg+kid, no zip" ||
	bad "list header" "$(b64d "$h")"
python3 - zj-list.json "$ISS" $ATS > want.json <<'PY'
import base64, calendar, json, sys, time
entries, iss, iat = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3])
best = {}
for e in entries:
    j, at = (e, iat) if isinstance(e, str) else (e['jti'], e['at'])
    if isinstance(at, str):
        at = calendar.timegm(time.strptime(at[:19], '%Y-%m-%dT%H:%M:%S')) - 8 * 3600
    b = base64.urlsafe_b64decode(j + '==')
    best[b] = min(at, best.get(b, at))
rev = ','.join('{"jti":"%s","at":%d}' % (base64.urlsafe_b64encode(b).decode().rstrip('='), best[b])
               for b in sorted(best))
sys.stdout.write('{"iss":"%s","seq":1,"iat":%d,"revoked":[%s]}' % (iss, iat, rev))
PY
[ "$(b64d "$p")" = "$(cat want.json)" ] && ok "payload equals an independent rebuild (sorted by bytes, merged)" ||
	bad "payload rebuild" "$(b64d "$p") vs $(cat want.json)"

# invalid input: exit 1, nothing written
n=0
for bad_in in '["AAAAAAAAAAAAAAAAAAAAA"]' '["AAAAAAAAAAAAAAAAAAAAAAA"]' '["AAAAAAAAAAAAAAAAAAAA+A"]' \
	'["AAAAAAAAAAAAAAAAAAAAA="]' '{"revoked":[]}' '[{"jti":"AAAAAAAAAAAAAAAAAAAAAA","why":1}]' \
	'[{"jti":"AAAAAAAAAAAAAAAAAAAAAA","at":-1}]' '[{"jti":"AAAAAAAAAAAAAAAAAAAAAA","at":"soon"}]' \
	'[{"jti":"AAAAAAAAAAAAAAAAAAAAAA","at":"1795392000"}]' \
	'["AAAAAAAAAAAAAAAAAAAAAA",]' 'not json'; do
	n=$((n + 1))
	printf '%s' "$bad_in" > in$n.json
	out=$(revoke zj.key $ISS in$n.json 1 $ATS out$n.jws 2>&1); rc=$?
	[ $rc -eq 1 ] && [ ! -e out$n.jws ] && [ -n "$out" ] && ok "revoke refuses $bad_in (exit 1)" ||
		bad "revoke refuses $bad_in" "exit $rc: $out"
done
out=$(revoke zj.key $ISS in2.json 1 $ATS out.jws 2>&1)
case "$out" in *"entries[0]"*) ok "refusal names the entry" ;; *) bad "refusal names the entry" "$out" ;; esac
printf '[]' > empty.json
out=$(revoke zj.key $ISS empty.json 2 $ATS empty.jws); [ $? -eq 0 ] && [ "$out" = "$(kid zj.key) 0 entries" ] &&
	ok "empty list signs (0 entries)" || bad "empty list" "$out"
revoke zj.key $ISS empty.json 0 $ATS x.jws >/dev/null 2>&1; [ $? -eq 2 ] && ok "--seq 0 is a usage error" || bad "--seq 0"
revoke zj.key https://hc.zj.example/ empty.json 1 $ATS x.jws >/dev/null 2>&1
[ $? -eq 2 ] && ok "--iss with trailing slash is a usage error" || bad "--iss slash"
"$B/hc-keys" revoke --key zj.key --key zj.key --iss $ISS --in empty.json --seq 1 --out x.jws >/dev/null 2>&1
[ $? -eq 2 ] && ok "revoke refuses an option given twice" || bad "revoke option twice"
"$B/hc-keys" revoke --key zj.key --iss $ISS --in empty.json --out x.jws >/dev/null 2>&1
[ $? -eq 2 ] && ok "revoke without --seq is a usage error" || bad "revoke without --seq"
cp zj.key loose.key && chmod 644 loose.key
revoke loose.key $ISS empty.json 1 $ATS x.jws >/dev/null 2>&1; [ $? -eq 2 ] && [ ! -e x.jws ] &&
	ok "revoke refuses a group-readable key" || bad "revoke loose key"
"$B/hc-keys" revoke --help | grep -q 'hc-keys revoke' && ok "revoke --help" || bad "revoke --help"
nm "$B/hc-verify" | grep -q 'hc_revlist_build' && bad "verifier links no list-building code" ||
	ok "verifier links no list-building code"

# ---- lists installed by hand (no sync) ----
cp zj.jws trust/revocations/330000.jws && cp sh.jws trust/revocations/310000.jws
expect "revoked code fails after install" 1 revoked $((ATS + 7200)) "$C1"
expect "revoked from the entry's at (t = at)" 1 revoked $((ATS + 3600)) "$C1"
expect "listed twice: the earlier at applies" 1 revoked $((ATS + 5000)) "$C1"
expect "passes before the entry's at" 0 ok $((ATS + 1800)) "$C1"
expect "bare jti revoked from the list's iat" 1 revoked $ATS "$C2"
expect "jti listed only by another issuer passes" 0 ok $ATS "$C3"
expect "the other issuer's own code is revoked" 1 revoked $ATS "$S1"
out=$("$B/hc-verify" --trust trust --at $((ATS + 7200)) --text "$C1" 2>&1); rc=$?
[ $rc -eq 1 ] && case "$out" in *revoked*) true ;; *) false ;; esac && ok "text output names revoked" ||
	bad "text output" "$rc $out"
out=$("$B/hc-verify" status --trust trust --at $ATS 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -qw 13 && echo "$out" | grep -qw 5 &&
	ok "status shows each issuer's revocation count" || bad "status counts" "exit $rc: $out"

# the higher seq wins, whatever the file names
printf '[{"jti":"%s","at":%d}]' "$J1" $ATS > only1.json
printf '[{"jti":"%s","at":%d}]' "$J3" $ATS > only3.json
revoke zj.key $ISS only1.json 1 $ATS s1.jws >/dev/null && revoke zj.key $ISS only3.json 2 $ATS s2.jws >/dev/null
fresh tq && cp s1.jws tq/revocations/z.jws && cp s2.jws tq/revocations/a.jws
expect "higher seq wins (listed there)" 1 revoked $ATS "$C3" tq
expect "higher seq wins (only in the lower)" 0 ok $ATS "$C1" tq
fresh tq && cp s1.jws tq/revocations/a.jws && cp s2.jws tq/revocations/z.jws
expect "higher seq wins, other file order (listed)" 1 revoked $ATS "$C3" tq
expect "higher seq wins, other file order (not listed)" 0 ok $ATS "$C1" tq

# two different lists under one seq: refused, not decided by file order
revoke zj.key $ISS only3.json 1 $ATS s1b.jws >/dev/null
fresh tq && cp s1.jws tq/revocations/a.jws && cp s1b.jws tq/revocations/b.jws
refused "two different lists with the same seq refused" tq .jws
# the file the trust list names for zj holding shanghai's (valid) list
printf '[{"jti":"%s","at":%d}]' "$J1" $ATS > sh-only.json
revoke sh.key $SISS sh-only.json 1 $ATS sh-own.jws >/dev/null
fresh tq && cp sh-own.jws tq/revocations/330000.jws
refused "zj's named file holding shanghai's list refused" tq 330000.jws
fresh tq && cp sh-own.jws tq/revocations/310000.jws
expect "shanghai's list at its own path loads" 0 ok $ATS "$C1" tq

# lists that make the trust directory unusable
revoke sh.key $ISS zj-list.json 1 $ATS x-sh.jws >/dev/null && fresh tb && cp x-sh.jws tb/revocations/330000.jws
refused "list for zj signed by shanghai's key refused" tb 330000.jws
revoke rogue.key $ISS zj-list.json 1 $ATS x-rogue.jws >/dev/null && fresh tb && cp x-rogue.jws tb/revocations/rogue.jws
refused "list signed by an unknown key refused" tb rogue.jws
revoke rogue.key https://hc.xx.example zj-list.json 1 $ATS x-xx.jws >/dev/null && fresh tb &&
	cp x-xx.jws tb/revocations/xx.jws
refused "list of an issuer not in the trust list refused" tb xx.jws
L=$(cat zj.jws); mid=$(( ${#L} / 2 )); c=${L:$mid:1}; r=A; [ "$c" = A ] && r=B
fresh tb && printf '%s' "${L:0:$mid}$r${L:$((mid + 1))}" > tb/revocations/330000.jws
refused "list with a changed byte refused" tb 330000.jws
fresh tb && printf '%s' "${L%?}" > tb/revocations/330000.jws
refused "truncated list refused" tb 330000.jws
revoke zjx.key $ISS zj-list.json 1 $ATS x-zjx.jws >/dev/null && fresh tb && cp x-zjx.jws tb/revocations/330000.jws
refused "list signed by a revoked key refused" tb 330000.jws
revoke zjr.key $ISS zj-list.json 1 $ATS x-zjr.jws >/dev/null && fresh tb && cp x-zjr.jws tb/revocations/330000.jws
refused "list signed by a retired key after its exp refused" tb 330000.jws
revoke zjf.key $ISS zj-list.json 1 $ATS x-zjf.jws >/dev/null && fresh tb && cp x-zjf.jws tb/revocations/330000.jws
refused "list signed before its key's nbf refused" tb 330000.jws
revoke zjr.key $ISS zj-list.json 1 $((ATS - 2 * D)) x-zjr2.jws >/dev/null && fresh tb &&
	cp x-zjr2.jws tb/revocations/330000.jws
expect "list signed by a retired key inside its window loads" 1 revoked $((ATS + 7200)) "$C1" tb
fresh tb && cp zj.jws tb/revocations/330000.jws && cp x-sh.jws tb/revocations/bad.jws
refused "one bad list among good ones refused" tb bad.jws

# ---- key rotation ----
R1=$(issue zjr.key $ISS $((ATS - 2 * D)))
expect "retired key: code issued before its exp passes" 0 ok $ATS "$R1"
expect "retired key: the code passes until its own exp" 0 ok $((ATS + 5 * D - 60)) "$R1"
expect "retired key: the code expires at its own exp" 1 expired $((ATS + 5 * D + 1)) "$R1"
R0=$(issue zjr.key $ISS $((ATS - D)))
expect "retired key: code issued at exactly its exp passes" 0 ok $ATS "$R0"
R2=$(issue zjr.key $ISS $ATS)
expect "retired key: code issued after its exp fails" 1 key-not-valid $ATS "$R2"
F1=$(issue zjf.key $ISS $ATS)
expect "code issued before its key's nbf fails" 1 key-not-valid $ATS "$F1"
E1=$(issue zj.key $ISS $((ATS - 31 * D)))
expect "code issued before the active key's nbf fails" 1 key-not-valid $((ATS - 31 * D)) "$E1"
X1=$(issue zjx.key $ISS $ATS)
expect "revoked key fails its codes" 1 key-not-valid $ATS "$X1"
X2=$(issue zjx.key $ISS $((ATS - 100 * D)))
expect "revoked key fails its codes whatever the iat" 1 key-not-valid $((ATS - 100 * D)) "$X2"
K1=$(issue sh.key $ISS $ATS)
expect "kid of shanghai in a zhejiang code" 1 unknown-key $ATS "$K1"

# ---- hc-issue --trust ----
T1=$(issue zj.key $ISS $ATS --trust trust); rc=$?
[ $rc -eq 0 ] && ok "issue --trust with an active key in its window" || bad "issue --trust" "exit $rc"
expect "code issued with --trust verifies" 0 ok $ATS "$T1"
# issue_refused NAME KEY ISS AT PATTERN
issue_refused() {
	local out rc
	out=$(issue "$2" "$3" "$4" --trust trust 2>&1 >/dev/null); rc=$?
	if [ $rc -ne 2 ]; then bad "$1" "exit $rc, want 2: $out"; return; fi
	echo "$out" | grep -qiE -e "$5" && ok "$1" || bad "$1" "message does not match '$5': $out"
}
W_RE='window|active|retired|revoked|nbf|exp'
issue_refused "issue --trust refuses a retired key" zjr.key $ISS $((ATS - 2 * D)) "$W_RE"
issue_refused "issue --trust refuses a revoked key" zjx.key $ISS $ATS "$W_RE"
issue_refused "issue --trust refuses before the key's nbf" zj.key $ISS $((ATS - 31 * D)) "$W_RE"
issue_refused "issue --trust refuses a key not yet valid" zjf.key $ISS $ATS "$W_RE"
issue_refused "issue --trust refuses another issuer's key" sh.key $ISS $ATS 'key|issuer'
issue_refused "issue --trust refuses a key not in the list" rogue.key $ISS $ATS 'key|issuer'
issue_refused "issue --trust refuses an unknown iss" zj.key https://hc.xx.example $ATS 'key|issuer'
issue zjx.key $ISS $ATS >/dev/null 2>&1 && ok "without --trust hc-issue signs as before" ||
	bad "issue without --trust"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
