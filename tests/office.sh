#!/bin/bash
# office.sh BUILD: an office's everyday tasks with the documented commands
# only: hc-issue --batch --records (one JSON line per input line, never
# overwritten, a summary on standard error), the warning of hc-issue
# without --trust, hc-keys revoke --trust (the key and --iss checked
# against the trust list before signing) and --add (the office's list kept
# without editing JSON): a batch-issued code revoked from its record and
# refused by hc-verify. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(pwd)
W=$(mktemp -d /tmp/hc-office.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 2

K() { "$B/hc-keys" "$@"; }
ZJ=https://hc.zj.example
SH=https://hc.sh.example
AT=2026-11-22T22:00:00+08:00
for k in root zj zj2 sh; do K gen $k.key > /dev/null && K pub $k.key > $k.jwk || bad "gen $k"; done
mkdir -p trust/roots trust/revocations pngs
K pub root.key > trust/roots/root.jwk
{
	K tl new tl.json --next-update 2027-06-01 &&
	K tl add-issuer tl.json --iss $ZJ --name "Zhejiang Health" --region 330000 \
		--revocations revocations/330000.jws --jwk zj.jwk --nbf 2026-01-01 &&
	K tl add-key tl.json --iss $ZJ --jwk zj2.jwk --status revoked &&
	K tl add-issuer tl.json --iss $SH --name "Shanghai Health" --region 310000 \
		--revocations revocations/310000.jws --jwk sh.jwk &&
	K trustlist --root root.key --in tl.json --out trust/trustlist.jws
} > /dev/null || bad "trust list"

# ---- hc-issue --batch --records ----
{ cat "$SRC/examples/records.jsonl"; echo '{"person":1}'; } > in.jsonl
lines=$(wc -l < in.jsonl)
"$B/hc-issue" --key zj.key --iss $ZJ --trust trust --batch in.jsonl --at $AT \
	--risk-areas "$SRC/examples/risk-areas.json" --png-dir pngs --records rec.jsonl > qr.txt 2> err.txt
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l < rec.jsonl)" -eq "$lines" ] && ok "records: one line per input line (exit 1: one refused)" ||
	bad "records" "exit $rc, $(wc -l < rec.jsonl 2>&1) lines"
l1=$(sed -n 1p rec.jsonl)
case "$l1" in
'{"line":1,"jti":"'??????????????????????'","status":"green","why":[],"iat":1795356000,"exp":'*',"png":"pngs/000001.png"}')
	ok "a record: line, jti, status, why, iat, exp, png" ;;
*) bad "record line 1" "$l1" ;;
esac
grep -q '"line":2,.*"status":"yellow","why":\["medium-risk-recent"\]' rec.jsonl && ok "a yellow record names its reasons" ||
	bad "yellow record" "$(sed -n 2p rec.jsonl)"
last=$(tail -1 rec.jsonl)
case "$last" in "{\"line\":$lines,\"refused\":\"malformed\",\"detail\":\"member \\\"person\\\"\"}") ok "a refused line: refused and detail" ;;
*) bad "refused record" "$last" ;; esac
# every record's jti is the jti of the code on the same output line
"$B/hc-verify" --trust trust --at $AT --any-status --json - < <(sed -n 1p qr.txt) > v1.json
grep -q "\"jti\":\"$(echo "$l1" | sed 's/.*"jti":"\([^"]*\)".*/\1/')\"" v1.json &&
	ok "the record's jti is the code's" || bad "record jti" "$(cat v1.json)"
grep -qE "^hc-issue: $lines records: $((lines - 1)) issued \([0-9]+ green, [0-9]+ yellow, [0-9]+ red\); 1 of $lines records refused; records in rec.jsonl$" err.txt &&
	ok "summary on standard error" || bad "summary" "$(cat err.txt)"
! grep -q warning err.txt && ok "no warning with --trust" || bad "warning with --trust"
cp rec.jsonl rec.before
"$B/hc-issue" --key zj.key --iss $ZJ --trust trust --batch in.jsonl --at $AT \
	--risk-areas "$SRC/examples/risk-areas.json" --records rec.jsonl > /dev/null 2> err.txt
rc=$?
[ $rc -eq 2 ] && cmp -s rec.jsonl rec.before && grep -q "never overwritten" err.txt &&
	ok "records are never overwritten (exit 2)" || bad "records overwrite" "exit $rc"
"$B/hc-issue" --key zj.key --iss $ZJ --trust trust --record "$SRC/examples/green.json" --at $AT \
	--risk-areas "$SRC/examples/risk-areas.json" --records r.jsonl > /dev/null 2> err.txt
[ $? -eq 0 ] && grep -q '^{"line":1,"jti":"[A-Za-z0-9_-]\{22\}","status":"green"' r.jsonl &&
	[ "$(wc -l < r.jsonl)" -eq 1 ] && ok "--records with --record: one line" || bad "--records with --record" "$(cat r.jsonl err.txt)"
"$B/hc-issue" --key zj.key --iss $ZJ --record "$SRC/examples/green.json" --at $AT \
	--risk-areas "$SRC/examples/risk-areas.json" > /dev/null 2> err.txt
[ $? -eq 0 ] && grep -q "warning: without --trust" err.txt && ok "hc-issue without --trust warns" ||
	bad "no warning" "$(cat err.txt)"

# ---- hc-keys revoke --trust and --add ----
jti=$(sed -n 1p rec.jsonl | sed 's/.*"jti":"\([^"]*\)".*/\1/')
RV() { K revoke --iss "$1" --key "$2" --in revoked.json --seq "$3" --out "trust/revocations/$4" \
	--trust trust "${@:5}"; }
RV $ZJ zj.key 1 330000.jws --add "$jti" --iat $AT > out.txt 2> err.txt; rc=$?
[ $rc -eq 0 ] && [ "$(cat revoked.json)" = "[\"$jti\"]" ] && grep -q " 1 entries" out.txt &&
	ok "revoke --add starts the office's list and signs it" || bad "revoke --add" "exit $rc $(cat err.txt)"
"$B/hc-verify" --trust trust --at 2026-11-22T23:00:00+08:00 --any-status - < <(sed -n 1p qr.txt) > v.txt; rc=$?
[ $rc -eq 1 ] && grep -q "revoked" v.txt && ok "the batch-issued code is refused as revoked" ||
	bad "revoked code" "exit $rc $(cat v.txt)"
jti2=$(sed -n 2p rec.jsonl | sed 's/.*"jti":"\([^"]*\)".*/\1/')
RV $ZJ zj.key 2 330000.jws --add "$jti2" --iat $AT > out.txt 2> err.txt && grep -q " 2 entries" out.txt &&
	grep -q "\"$jti2\"" revoked.json && ok "revoke --add appends to the list" || bad "second --add"
cp revoked.json rl.before
cp trust/revocations/330000.jws jws.before
# refused: each leaves the published list and the office's list as they were
rcase() {
	local name=$1 want=$2 text=$3 rc
	shift 3
	"$@" > out.txt 2> err.txt; rc=$?
	if [ $rc -eq "$want" ] && grep -q -- "$text" err.txt && cmp -s revoked.json rl.before &&
		cmp -s trust/revocations/330000.jws jws.before; then
		ok "revoke refuses $name (exit $rc)"
	else
		bad "revoke $name" "exit $rc, $(cat err.txt)"
	fi
}
rcase "a key of another issuer" 1 "not a key of" RV $ZJ sh.key 3 330000.jws
rcase "an iss not in the list" 1 "not in the trust list" RV https://hc.xx.example zj.key 3 330000.jws
rcase "a revoked key" 1 "is revoked" RV $ZJ zj2.key 3 330000.jws
rcase "the file of another issuer" 1 "names this file for $SH" RV $ZJ zj.key 3 310000.jws
rcase "an iat before the key's window" 1 "not valid until" RV $ZJ zj.key 3 330000.jws --iat 2025-12-01
rcase "a malformed --add" 2 "22 base64url" RV $ZJ zj.key 3 330000.jws --add "x\"]"
rcase "a trust directory that does not load" 2 "trust" \
	K revoke --iss $ZJ --key zj.key --in revoked.json --seq 3 --out trust/revocations/330000.jws --trust nowhere
RV $ZJ zj.key 3 330000.jws --add "$jti" > out.txt 2> err.txt; rc=$?
[ $rc -eq 0 ] && grep -q "already lists" err.txt && cmp -s revoked.json rl.before &&
	ok "an --add already listed changes nothing in the list" || bad "--add twice" "exit $rc"
totals
[ $fail -eq 0 ]
