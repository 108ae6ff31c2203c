#!/bin/bash
# service_faults.sh BUILD: kill -9 of hc-issued while 64 clients issue
# codes over HTTPS (tests/tools/issue_load.py), then a restart, five
# rounds: every code a client received is in the registry, no jti was
# received twice, the registry holds each jti once, and after the last
# round the published audit chain is the registry's, byte for byte, and
# verifies. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-faults.XXXXXX)
DPID="" LPID=""
cleanup() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 2

. "$SRC/tests/tools/service_env.sh"
service_env '"audit_interval":1' && "$B/hc-issued" init --config "$CF" >/dev/null &&
	T=$("$B/hc-issued" token add --config "$CF" --role counter --name desk-1) &&
	ok "office set up" || { bad "setup"; totals; exit 1; }

ROUNDS=${HC_FAULT_ROUNDS:-5}
: > all.jti
for r in $(seq $ROUNDS); do
	start_daemon || { bad "round $r: daemon did not start" "$(tail -3 o/log)"; break; }
	$PY "$SRC/tests/tools/issue_load.py" --port "$PORT" --cafile ca.pem --token="$T" \
		--threads 64 --ready ready$r --stop stop$r --first $((r * 100000)) --out got$r.txt \
		> load$r.out 2> load$r.err &
	LPID=$!
	for i in $(seq 300); do [ -e ready$r ] && break; sleep 0.1; done
	# kill at a moment that varies from round to round, while clients issue
	sleep "0.$((r * 17 % 9))"
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=""
	sleep 0.3
	touch stop$r
	wait "$LPID"; lrc=$?
	LPID=""
	n=$(wc -l < got$r.txt)
	[ $lrc -eq 0 ] && [ "$n" -gt 0 ] && ok "round $r: clients received $n codes before the kill ($(cat load$r.out))" ||
		bad "round $r: clients" "exit $lrc, $n codes: $(cat load$r.out) $(head -3 load$r.err)"
	cut -d' ' -f1 got$r.txt | sort > got$r.jti
	sqlite3 o/registry.db 'select jti from codes' 2>/dev/null | sort > reg$r.jti
	missing=$(comm -23 got$r.jti reg$r.jti | wc -l)
	[ "$missing" -eq 0 ] && [ -s reg$r.jti ] && ok "round $r: every received code is in the registry" ||
		bad "round $r: $missing received codes missing from the registry"
	cat got$r.jti >> all.jti
done
dups=$(sort all.jti | uniq -d | wc -l)
[ "$dups" -eq 0 ] && [ -s all.jti ] && ok "no jti received twice over $ROUNDS rounds ($(wc -l < all.jti) codes)" ||
	bad "$dups jtis received twice"
regdups=$(sqlite3 o/registry.db 'select count(*) - count(distinct jti) from codes' 2>/dev/null)
[ "$regdups" = 0 ] && ok "the registry holds each jti once" || bad "registry duplicates" "$regdups"
# a revocation committed just before a kill -9 (inside the gathering
# delay) is published by the next start
TA=$("$B/hc-issued" token add --config "$CF" --role admin --name boss)
J1=$(head -1 all.jti)
listed() { # JTI: whether the published list names it
	$PY -c 'import base64,json,sys; p=open(sys.argv[1]).read().split(".")[1]
d=json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))
sys.exit(0 if any(e["jti"]==sys.argv[2] for e in d["revoked"]) else 1)' o/publish/revocations/$REGION.jws "$1"
}
start_daemon && st=$(curl -s -o rev.out -w '%{http_code}' --cacert ca.pem -H "Authorization: Bearer $TA" \
	-H 'Content-Type: application/json' --data-binary "{\"jti\":\"$J1\",\"reason\":\"test\"}" "$URL/v1/revocations") &&
	kill -9 "$DPID"
wait "$DPID" 2>/dev/null
DPID=""
early=0
listed "$J1" && early=1 # re-signed before the kill: only on a very slow machine
[ "$st" = 200 ] && ok "revoked, then killed" || bad "revoke before kill" "$st $(cat rev.out)"
# a clean stop publishes the rest of the chain and a head
start_daemon && kill -TERM "$DPID" && wait "$DPID"; rc=$?
DPID=""
[ $rc -eq 0 ] && ok "restart after the last kill, SIGTERM exits 0" || bad "last restart" "exit $rc: $(tail -3 o/log)"
if [ $early -eq 1 ]; then
	skip 1 "published at start" "the list was re-signed before the kill"
else
	listed "$J1" && ok "the restart published the revocation the kill cut off" ||
		bad "revocation not published at start"
fi
sqlite3 o/registry.db 'select line from audit order by seq' > reg.audit 2>/dev/null
cat o/publish/audit/*.jsonl > pub.audit 2>/dev/null
[ -s reg.audit ] && cmp -s reg.audit pub.audit && [ -s o/publish/audit/head.jws ] &&
	ok "published audit segments equal the registry's chain ($(wc -l < pub.audit) entries), head signed" ||
	bad "published chain" "registry $(wc -l < reg.audit) lines, published $(wc -l < pub.audit)"
if "$B/hc-verify" audit --help 2>&1 | grep -q -- --since-head; then
	out=$("$B/hc-verify" audit --trust trust o/publish 2>&1) && ok "hc-verify audit: the chain verifies" ||
		bad "hc-verify audit" "$out"
else
	skip 1 "hc-verify audit" "not built yet"
fi
totals
