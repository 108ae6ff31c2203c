#!/bin/bash
# events_faults.sh BUILD: hc-issued killed with SIGKILL while two sources
# stream events (tests/tools/sources.py), then a restart, three rounds:
# every event whose answer a source received is in the registry, applied
# once; the whole stream sent again after the last round is acknowledged
# as duplicates for exactly what was applied, and the people's statuses
# equal a brute-force recomputation over the stream. Then the abuse made
# visible: an admin token sets close-contact on 1,000 green people with no
# case reference, and `hc-verify audit` over the published chain
# attributes the 1,000 red changes to that token, with the admin's event
# ids (no health event) as their cause. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-evfaults.XXXXXX)
DPID="" LPIDS=""
cleanup() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	for p in $LPIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 2

. "$SRC/tests/tools/service_env.sh"
SIM() { $PY "$SRC/tests/tools/sources.py" "$@"; }
Q() { sqlite3 o/registry.db "$@"; }
service_env '"threads":4,"timeout":60,"audit_interval":1' && "$B/hc-issued" init --config "$CF" >/dev/null &&
	T_LAB=$("$B/hc-issued" token add --config "$CF" --role source:nat --name lab42) &&
	T_CDC=$("$B/hc-issued" token add --config "$CF" --role source:flag --name cdc-zj) &&
	T_ADMIN=$("$B/hc-issued" token add --config "$CF" --role admin --name boss) &&
	ok "office set up" || { bad "setup"; totals; exit 1; }

# The stream: a lab's results for people 0..5999 (3 % positive), disease
# control's close contacts among them; sent in requests of 200 lines.
SIM gen lab --people 6000 --names --positive 0.03 --seed 7 > lab.jsonl
SIM gen cdc --people 300 --first 5700 --case ZJ-2026-1130-07 > cdc.jsonl
ROUNDS=${HC_FAULT_ROUNDS:-3}
: > acked.lab
: > acked.cdc
for r in $(seq "$ROUNDS"); do
	start_daemon || { bad "round $r: daemon did not start" "$(tail -3 o/log)"; break; }
	SIM post lab.jsonl --port "$PORT" --cafile ca.pem --token="$T_LAB" --batch 200 --threads 2 \
		--acks acked.lab --tolerate > lab$r.out 2>&1 &
	LPIDS="$!"
	SIM post cdc.jsonl --port "$PORT" --cafile ca.pem --token="$T_CDC" --batch 50 --threads 1 \
		--acks acked.cdc --tolerate > cdc$r.out 2>&1 &
	LPIDS="$LPIDS $!"
	# once the lab's first answer of this round is in, at a moment that
	# varies from round to round, while the sources send
	n0=$(cat acked.lab 2>/dev/null | wc -l)
	for i in $(seq 300); do [ "$(cat acked.lab 2>/dev/null | wc -l)" -gt "$n0" ] && break; sleep 0.1; done
	sleep "0.$((r * 3))"
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=""
	for p in $LPIDS; do wait "$p"; done
	LPIDS=""
	sort -u acked.lab > a.lab
	sort -u acked.cdc > a.cdc
	Q "select event from events where source='lab42'" | sort > e.lab
	Q "select event from events where source='cdc-zj'" | sort > e.cdc
	miss=$(($(comm -23 a.lab e.lab | wc -l) + $(comm -23 a.cdc e.cdc | wc -l)))
	[ "$miss" -eq 0 ] && [ -s a.lab ] &&
		ok "round $r: every acknowledged event is in the registry ($(wc -l < a.lab) + $(wc -l < a.cdc) acknowledged, $(wc -l < e.lab) + $(wc -l < e.cdc) stored)" ||
		bad "round $r: $miss acknowledged events missing" "$(cat lab$r.out cdc$r.out)"
done
start_daemon || { bad "restart" "$(tail -3 o/log)"; totals; exit 1; }
out=$(SIM post lab.jsonl --port "$PORT" --cafile ca.pem --token="$T_LAB" --batch 1000 --threads 2)
dup=$(echo "$out" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["duplicate"], d["accepted"], d["rejected"])')
[ "$dup" = "$(wc -l < e.lab) $((6000 - $(wc -l < e.lab))) 0" ] &&
	ok "the whole stream again: the events applied before are duplicates, the rest accepted ($dup)" ||
	bad "resend lab" "$dup, stored $(wc -l < e.lab): $out"
out=$(SIM post cdc.jsonl --port "$PORT" --cafile ca.pem --token="$T_CDC" --batch 1000 --threads 1)
has "$out" '"rejected": 0' && ok "disease control's stream again" || bad "resend cdc" "$out"
ninputs=$($PY "$SRC/tests/tools/reg_inputs.py" o/registry.db | wc -l)
[ "$(Q "select count(*) from events")" = 6300 ] && [ "$ninputs" = 6300 ] &&
	ok "6300 events stored once, 6300 inputs" || bad "counts" "$(Q "select count(*) from events") $ninputs"
Q "select cast(line as text) from audit" > audit.txt
n=$(grep '"action":"event"' audit.txt | sed 's/.*"actor":"\([^"]*\)".*"cause":"\([^"]*\)".*/\1 \2/' | sort | uniq -d | wc -l)
m=$(grep -c '"action":"event"' audit.txt)
[ "$n" -eq 0 ] && [ "$m" -eq 6300 ] && ok "the audit has one event entry per event (6300), none twice" ||
	bad "audit events" "$m entries, $n twice"
# Brute force: red = positive test or close contact; everyone else green.
$PY - lab.jsonl cdc.jsonl > want.txt <<'PY'
import json, sys
red = set()
for f in sys.argv[1:]:
    for l in open(f):
        e = json.loads(l)
        if e.get("result") == "positive" or e.get("flag") == "close-contact":
            red.add(e["id"])
print(len(red), 6000 - len(red))
PY
got="$(Q "select count(*) from people where status = 2") $(Q "select count(*) from people where status = 0")"
[ "$got" = "$(cat want.txt)" ] && ok "statuses equal a brute-force recomputation (red, green: $got)" ||
	bad "statuses" "got $got, want $(cat want.txt)"

# ---- abuse made visible ----
SIM gen cdc --people 1000 --first 10000 --prefix boss > abuse.jsonl
SIM gen lab --people 1000 --first 10000 --names --prefix lab-b > green.jsonl
out=$(SIM post green.jsonl --port "$PORT" --cafile ca.pem --token="$T_LAB" --batch 1000)
has "$out" '"accepted": 1000' || bad "abuse: the greens" "$out"
out=$(SIM post abuse.jsonl --port "$PORT" --cafile ca.pem --token="$T_ADMIN" --batch 1000)
has "$out" '"accepted": 1000' && ok "abuse: an admin token sets close-contact on 1000 people, no case ($out)" ||
	bad "abuse post" "$out"
kill "$DPID"
wait "$DPID"
DPID=""
out=$("$B/hc-verify" audit --trust trust o/publish 2>&1); rc=$?
echo "$out" | sed -n '/status changes/,$p' | head -12
line=$(echo "$out" | grep -E '^ +boss -> red:')
[ $rc -eq 0 ] && has "$line" "1000 entries, 1000 people" &&
	echo "$out" | grep -A3 -E '^ +boss -> red:' | grep -q 'flag-close-contact 1000' &&
	ok "hc-verify audit: the chain verifies and attributes 1000 red changes to boss, flag-close-contact" ||
	bad "audit attribution" "exit $rc: $out"
Q "select cast(line as text) from audit" > audit.txt
n=$(grep '"action":"status"' audit.txt | grep '"actor":"boss"' | grep -c '"cause":"boss-')
c=$(grep '"action":"event"' audit.txt | grep '"actor":"boss"' | grep -c '"cause":"boss-[0-9]*"')
[ "$n" = 1000 ] && [ "$c" = 1000 ] && ok "each red change's cause is the admin's own event id, with no case reference" ||
	bad "abuse causes" "$n $c"
totals
[ $fail -eq 0 ]
