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
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1${2:+: $2}"; }

. "$SRC/tests/tools/service_env.sh"
service_env '"threads":2,"audit_interval":1' && "$B/hc-issued" init --config "$CF" >/dev/null &&
	T=$("$B/hc-issued" token add --config "$CF" --role counter --name desk-1) &&
	ok "office set up" || { bad "setup"; totals; exit 1; }

ROUNDS=${HC_FAULT_ROUNDS:-5}
: > all.jti
for r in $(seq $ROUNDS); do
	start_daemon || { bad "round $r: daemon did not start" "$(tail -3 o/log)"; break; }
	python3 "$SRC/tests/tools/issue_load.py" --port "$PORT" --cafile ca.pem --token "$T" \
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
# a clean stop publishes the rest of the chain and a head
start_daemon && kill -TERM "$DPID" && wait "$DPID"; rc=$?
DPID=""
[ $rc -eq 0 ] && ok "restart after the last kill, SIGTERM exits 0" || bad "last restart" "exit $rc: $(tail -3 o/log)"
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
