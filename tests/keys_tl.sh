#!/bin/bash
# keys_tl.sh BUILD: the operator's trust-list edits (hc-keys tl) and
# hc-keys pub on public JWK files. A table of edits, each with the exit
# status and message it must give: good edits change the payload as said
# and leave one that hc-keys trustlist signs; refused edits (what trustlist
# would refuse, and what makes no sense: a lower seq, a revoked key made
# retired, a private key given to the operator) exit 1 or 2 and leave the
# file byte for byte. Then a rotation made only with these commands, signed
# and checked by hc-verify: the old key's codes pass, the new key's codes
# pass, a revoked key's fail. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(pwd)
W=$(mktemp -d /tmp/hc-tl.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 2

K() { "$B/hc-keys" "$@"; }
kid() { K pub "$1" | sed 's/.*"kid":"\([^"]*\)".*/\1/'; }
ZJ=https://hc.zj.example
SH=https://hc.sh.example

for k in root zj zj2 zj3 sh; do K gen $k.key > /dev/null || bad "gen $k"; done
for k in zj zj2 zj3 sh; do K pub $k.key > $k.jwk; done
mkdir -p trust/roots
K pub root.key > trust/roots/root.jwk
KZJ=$(kid zj.key) KZJ2=$(kid zj2.key) KZJ3=$(kid zj3.key)

# ---- hc-keys pub on public JWK files ----
[ "$(K pub zj.jwk)" = "$(K pub zj.key)" ] && ok "pub of a public JWK file prints the key's JWK" ||
	bad "pub of a JWK file"
out=$(K pub --status active --nbf 2027-01-01T00:00:00+08:00 zj.jwk)
case "$out" in *'"status":"active","nbf":1798732800}') ok "pub --status --nbf on a JWK file (RFC 3339)" ;;
*) bad "pub --nbf on a JWK file" "$out" ;; esac
echo "$out" > entry.jwk
out=$(K pub --exp 1800000000 entry.jwk)
case "$out" in *'"status":"active","nbf":1798732800,"exp":1800000000}') ok "pub keeps a JWK file's entry members, adds --exp (seconds)" ;;
*) bad "pub on an entry file" "$out" ;; esac
# a private JWK, a tampered point, an unknown member, a PEM public key
sed 's/}$/,"d":"AAAA"}/' zj.jwk > private.jwk
# x's first character changed (to A, or to B when it is A: one key in 64
# has an x that starts with A, and was left on the curve)
sed 's/"x":"A/"x":"B/; t; s/"x":"./"x":"A/' zj.jwk > offcurve.jwk
sed 's/}$/,"extra":1}/' zj.jwk > extra.jwk
printf '' > empty.jwk
head -c 20 zj.jwk > truncated.jwk
for f in "private.jwk:private JWK" "offcurve.jwk:" "extra.jwk:unknown JSON member" "truncated.jwk:" "empty.jwk:"; do
	file=${f%%:*} want=${f#*:}
	K pub "$file" > out.txt 2> err.txt; rc=$?
	if [ $rc -ne 0 ] && [ ! -s out.txt ] && grep -q -e "$want" err.txt; then
		ok "pub refuses $file (exit $rc)"
	else
		bad "pub $file" "exit $rc, $(cat err.txt)"
	fi
done

# ---- the table of edits ----
# edit WANT-EXIT WANT-TEXT(grep -E, stdout+stderr) hc-keys tl ARGS...:
# runs the edit on tl.json; a refused edit must leave the file as it was.
edit() {
	local want=$1 text=$2 rc
	shift 2
	cp tl.json before.json
	K tl "$@" > out.txt 2>&1; rc=$?
	if [ $rc -ne "$want" ] || ! grep -qE -- "$text" out.txt; then
		bad "tl $*" "exit $rc (want $want), $(head -c 300 out.txt)"
	elif [ "$want" -ne 0 ] && ! cmp -s before.json tl.json; then
		bad "tl $*" "refused, yet the file changed"
	elif [ "$want" -eq 0 ] && ! K trustlist --root root.key --in tl.json --out t.jws > /dev/null; then
		bad "tl $*" "the edited payload does not sign"
	else
		ok "tl $1: ${text} (exit $rc)"
	fi
}
# jq-free look into the payload
member() { tr -d ' \t\n' < tl.json | grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2; }

K tl new tl.json --next-update 2020-01-01 > out.txt 2>&1; rc=$?
[ $rc -eq 1 ] && [ ! -e tl.json ] && grep -q "not in the future" out.txt &&
	ok "tl new refuses a next_update in the past" || bad "tl new past" "exit $rc"
K tl new tl.json --next-update now+30d > /dev/null && [ "$(member seq)" = 1 ] &&
	ok "tl new: seq 1, no issuers" || bad "tl new"
edit 2 "exists" new tl.json --next-update now+1d
edit 0 "added issuer $ZJ" add-issuer tl.json --iss $ZJ --name "Zhejiang Health" --region 330000 \
	--jwk zj.jwk --revocations revocations/330000.jws
edit 0 "added issuer $SH" add-issuer tl.json --iss $SH --name "Shanghai Health" --region 310000 \
	--jwk sh.jwk --max-validity 3d
grep -q '"max_validity":	259200' tl.json && ok "--max-validity 3d is 259200 s" || bad "max_validity"
edit 1 "already in the list" add-issuer tl.json --iss $ZJ --name Z --region 330000 --jwk zj2.jwk
edit 1 "listed for" add-issuer tl.json --iss https://hc.x.example --name X --region 110000 --jwk zj.jwk
edit 1 "six-digit" add-issuer tl.json --iss https://hc.x.example --name X --region 11000 --jwk zj2.jwk
edit 1 "https URL" add-issuer tl.json --iss http://hc.x.example --name X --region 110000 --jwk zj2.jwk
edit 1 "https URL" add-issuer tl.json --iss https://hc.x.example/ --name X --region 110000 --jwk zj2.jwk
edit 1 "revocations path" add-issuer tl.json --iss https://hc.x.example --name X --region 110000 \
	--jwk zj2.jwk --revocations ../x.jws
edit 1 "revocations path .* named twice" add-issuer tl.json --iss https://hc.x.example --name X \
	--region 110000 --jwk zj2.jwk --revocations revocations/330000.jws
edit 2 "max-validity" add-issuer tl.json --iss https://hc.x.example --name X --region 110000 \
	--jwk zj2.jwk --max-validity 400d
edit 2 "needs --jwk" add-issuer tl.json --iss https://hc.x.example --name X --region 110000
edit 1 "private JWK" add-key tl.json --iss $ZJ --jwk private.jwk
edit 1 "not a JWK" add-key tl.json --iss $ZJ --jwk zj2.key
edit 1 "no issuer" add-key tl.json --iss https://hc.none.example --jwk zj2.jwk
edit 1 "already listed" add-key tl.json --iss $ZJ --jwk sh.jwk
edit 1 "exp before nbf" add-key tl.json --iss $ZJ --jwk zj2.jwk --nbf 2027-01-02 --exp 2027-01-01
edit 1 "retired key without exp" add-key tl.json --iss $ZJ --jwk zj2.jwk --status retired
edit 2 "invalid time" add-key tl.json --iss $ZJ --jwk zj2.jwk --nbf 2027-13-01
edit 2 "invalid time" add-key tl.json --iss $ZJ --jwk zj2.jwk --nbf tomorrow
edit 2 "status must be" add-key tl.json --iss $ZJ --jwk zj2.jwk --status paused
edit 2 "takes no --kid" add-key tl.json --iss $ZJ --jwk zj2.jwk --kid x
edit 0 "added key $KZJ2 \(active\)" add-key tl.json --iss $ZJ --jwk zj2.jwk --nbf 2027-01-01T00:00:00+08:00
grep -q '"nbf":	1798732800' tl.json && ok "add-key --nbf in RFC 3339 stored as seconds" || bad "nbf stored"
edit 0 "added key $KZJ3" add-key tl.json --iss $ZJ --jwk zj3.jwk --nbf 1798732800
edit 1 "no key" retire-key tl.json --kid AAAA --exp now
edit 2 "needs --exp" retire-key tl.json --kid "$KZJ"
edit 2 "needs --kid or --jwk" revoke-key tl.json
edit 2 "needs --kid or --jwk" revoke-key tl.json --kid "$KZJ" --jwk zj.jwk
edit 1 "exp before nbf" retire-key tl.json --kid "$KZJ2" --exp 2026-12-31
edit 0 "retired key $KZJ" retire-key tl.json --jwk zj.jwk --exp 2027-01-01T00:00:00+08:00
edit 0 "revoked key $KZJ3" revoke-key tl.json --kid "$KZJ3"
edit 1 "stays revoked" retire-key tl.json --kid "$KZJ3" --exp now
edit 1 "stays revoked" revoke-key tl.json --kid "$KZJ3"
edit 0 "removed key $KZJ3" remove-key tl.json --kid "$KZJ3"
edit 1 "has no keys" remove-key tl.json --kid "$(kid sh.key)"
s0=$(member seq)
edit 0 "seq 2, next_update" next tl.json
edit 1 "not above the list's seq 2" next tl.json --seq 2
edit 1 "not above" next tl.json --seq 1
edit 2 "--seq must be" next tl.json --seq 0
edit 2 "--seq must be" next tl.json --seq 9007199254740992
edit 1 "not in the future" next tl.json --next-update 2020-01-01
edit 0 "seq 1800000000, next_update 2027-" next tl.json --seq 1800000000 --next-update 2027-02-01
[ "$s0" = 1 ] && [ "$(member seq)" = 1800000000 ] && [ "$(member next_update)" = 1801411200 ] &&
	ok "next: seq and next_update as given" || bad "next" "$(member seq) $(member next_update)"
edit 1 "no issuer" remove-issuer tl.json --iss https://hc.none.example
edit 0 "removed issuer $SH" remove-issuer tl.json --iss $SH
K gen snap.key > /dev/null && K pub --status active snap.key > snap.jwk
edit 0 "snapshot key $(kid snap.key)" snapshot-key tl.json --jwk snap.jwk
tr -d ' \t\n' < tl.json | grep -q "\"snapshot_key\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"[^\"]*\",\"y\":\"[^\"]*\",\"kid\":\"$(kid snap.key)\",\"alg\":\"ES256\",\"use\":\"sig\"}" &&
	ok "snapshot_key is the public JWK alone" || bad "snapshot_key" "$(grep -A9 snapshot_key tl.json)"
edit 1 "private JWK" snapshot-key tl.json --jwk private.jwk
edit 2 "unknown edit" frobnicate tl.json
# the foreign trust data named and unnamed: exactly "foreign":"foreign.jws"
edit 0 "names foreign.jws" foreign tl.json
tr -d ' \t\n' < tl.json | grep -q '"foreign":"foreign.jws"' && ok "tl foreign: the member is there" ||
	bad "tl foreign member" "$(cat tl.json)"
edit 0 "names foreign.jws" foreign tl.json
[ "$(grep -c '"foreign"' tl.json)" = 1 ] && ok "tl foreign twice: one member" || bad "tl foreign twice" "$(cat tl.json)"
edit 2 "takes no --seq" foreign tl.json --seq 9
edit 0 "names no foreign trust data" no-foreign tl.json
! grep -q '"foreign"' tl.json && ok "tl no-foreign: the member is gone" || bad "tl no-foreign" "$(cat tl.json)"
edit 1 "names no foreign trust data" no-foreign tl.json
# a payload the tools would not sign is not edited
echo '{"seq":0,"iat":1,"next_update":2,"issuers":[]}' > bad.json
K tl next bad.json > out.txt 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q seq out.txt && ok "an invalid payload is refused, not edited" ||
	bad "edit of an invalid payload" "exit $rc"
# the result is what the commands said, and hc-verify accepts it signed
K trustlist --root root.key --in tl.json --out trust/trustlist.jws > /dev/null &&
	"$B/hc-verify" status --trust trust > st.txt 2>&1 && grep -q "Zhejiang" st.txt &&
	! grep -q Shanghai st.txt && ok "the edited list signs and loads" || bad "signed list" "$(cat st.txt)"

# ---- a rotation with the commands alone ----
# zj (retired at 2027-01-01) signed a code before; zj2 (active from then)
# signs one after; zj3 was revoked: its code fails.
issue() { "$B/hc-issue" --key "$1" --iss $ZJ --record "$SRC/examples/green.json" --at "$2"; }
t1=$((1798732800 - 3600)) t2=$((1798732800 + 3600))
c1=$(issue zj.key $t1) c2=$(issue zj2.key $t2)
"$B/hc-verify" --trust trust --at $((t2 + 60)) --any-status --text "$c1" > v1.txt 2>&1; r1=$?
"$B/hc-verify" --trust trust --at $((t2 + 60)) --any-status --text "$c2" > v2.txt 2>&1; r2=$?
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && ok "after the rotation: old key's code and new key's code pass" ||
	bad "rotation" "$r1 $(cat v1.txt) / $r2 $(cat v2.txt)"
c3=$(issue zj3.key $t2)
K tl add-key tl.json --iss $ZJ --jwk zj3.jwk --status revoked > /dev/null &&
	K tl next tl.json > /dev/null &&
	K trustlist --root root.key --in tl.json --out trust/trustlist.jws > /dev/null
"$B/hc-verify" --trust trust --at $((t2 + 60)) --any-status --text "$c3" > v3.txt 2>&1; r3=$?
[ $r3 -eq 1 ] && grep -q key-not-valid v3.txt && ok "a revoked key's code fails (key-not-valid)" ||
	bad "revoked key" "$r3 $(cat v3.txt)"
totals
[ $fail -eq 0 ]
