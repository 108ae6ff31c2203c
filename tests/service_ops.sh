#!/bin/bash
# service_ops.sh BUILD: two things real offices meet, on the real
# hc-issued. (1) The disk fills up: the office's directory (registry,
# publish/, the log) on a small tmpfs, filled while codes, events and a
# revocation come in: no request that could not be made durable is
# answered 200, every refusal is a 5xx with its reason, reads, /metrics
# and a /healthz that names the problem go on, the published files stay
# whole, the service recovers by itself once space is freed, and after a
# kill -9 and a restart every acknowledged code and event is there and the
# audit chain verifies. (2) The clock steps back and forward by hours
# while the service runs (libfaketime, its time read from a file): the
# revocation list's seq still rises and hc-verify sync takes it, a code
# issued after a backward step is not held in a way that hides a later
# one, the risk feed's grace is not ended or stretched by a step, the
# audit chain verifies with its times going back, and the service does
# not wedge. Needs root (mount) and faketime;
# either missing skips its part. Last line: totals.
#
# tmpfs, not a loop-mounted ext4: the tests run as root, and ext4 lets
# root past "full" into its reserved blocks (the daemon runs as its own
# user); tmpfs needs no image or mkfs, fails a write with ENOSPC at once
# (ext4's delayed allocation may report it at fsync instead: every write
# path here checks fsync and close too) and cuts a write short where the
# space ends, the case that left half an audit line.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-ops.XXXXXX)
DPID="" MNT="" SPID=""
cleanup() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	wait 2>/dev/null
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 2

. "$SRC/tests/tools/service_env.sh"
D() { "$B/hc-issued" "$@"; }
NOW=$(date +%s)
DAY=$(date -u -d @$((NOW - 86400)) +%Y-%m-%dT%H:%M:%SZ)
# valid GB 11643 numbers: ids FIRST N -> N lines
ids() {
	$PY - "$1" "$2" <<'PY'
import sys
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
for i in range(int(sys.argv[1]), int(sys.argv[1]) + int(sys.argv[2])):
    b = "330106%04d%02d%02d%03d" % (1950 + i % 60, 1 + i % 12, 1 + i % 28, 100 + i % 900)
    c = (12 - sum(int(x) * y for x, y in zip(b, w)) % 11) % 11
    print(b + ("X" if c == 10 else str(c)))
PY
}
rec() { # ID: a green record
	printf '{"person":{"name":"王小明","id":"%s"},"nat":[{"at":"%s","result":"negative"}]}' "$1" "$DAY"
}
# post PATH TOKEN BODY [TYPE]: ST status, BODY the answer (body.out)
post() {
	ST=$(curl -s -m 30 -o body.out -w '%{http_code}' --cacert ca.pem -H "Authorization: Bearer $2" \
		-H "Content-Type: ${4:-application/json}" --data-binary "$3" "$URL$1")
	BODY=$(cat body.out 2>/dev/null)
}
get() { ST=$(curl -s -m 30 -o body.out -w '%{http_code}' --cacert ca.pem "$URL$1"); BODY=$(cat body.out 2>/dev/null); }
J() { $PY -c "import json,sys; d=json.load(open('body.out')); print($1)" 2>/dev/null; }
payload() { # FILE: the payload of a JWS file, as JSON text
	$PY -c 'import base64,sys; p=open(sys.argv[1]).read().split(".")[1]; print(base64.urlsafe_b64decode(p+"="*(-len(p)%4)).decode())' "$1" 2>/dev/null
}
seq_of() { payload "$1" | $PY -c 'import json,sys; print(json.load(sys.stdin)["seq"])' 2>/dev/null || echo 0; }
# issue ID: a new code for ID; appends "jti" to acked.codes on 200, the
# status and answer to answers.txt otherwise
issue() {
	post /v1/records "$T_DESK" "$(rec "$1")"
	if [ "$ST" = 200 ]; then J 'd["jti"]' >> acked.codes; else echo "$ST $BODY" >> answers.txt; fi
}
# events N: one request of N lab results for new people (event ids
# lab-ID-RANDOM), the accepted ones appended to acked.events
EVN=0
events() {
	ids $((5000 + EVN)) "$1" | while read -r id; do
		printf '{"event":"lab-%s-%s","type":"nat","id":"%s","name":"张三","at":%s,"result":"negative","lab":"Lab 42"}\n' \
			"$id" "$RANDOM" "$id" $((NOW - 3600))
	done > ev.in
	EVN=$((EVN + $1))
	post /v1/events "$T_LAB" @ev.in application/x-ndjson
	if [ "$ST" = 200 ]; then
		J '"\n".join(r["event"] for r in d["results"] if r["verdict"] == "accepted")' | sed '/^$/d' >> acked.events
	else
		echo "$ST $BODY" >> answers.txt
	fi
}
# a 5xx with an error code and a detail
refusal_ok() { # LINE of answers.txt
	case "$1" in 5[0-9][0-9]" {\"error\":\""*'"detail":"'?*) return 0 ;; esac
	return 1
}
verify_publish() { # NAME: hc-verify audit on the published tree, the list's signature
	local out
	out=$("$B/hc-verify" audit --trust trust o/publish 2>&1) && ok "$1: hc-verify audit on publish/ passes" ||
		bad "$1: hc-verify audit" "$out"
	sync_ok "$1"
}
# sync_ok NAME: hc-verify sync of the published list (a fresh trust dir
# each time, the sync dir kept: a lower seq would be refused)
sync_ok() {
	local out
	cp trust/trustlist.jws tree/ && cp "$REVF" tree/revocations/
	out=$(timeout 30 "$B/hc-verify" sync --trust synced --cacert ca.pem "https://127.0.0.1:$(cat srv.port)" 2>&1) && ok "$1: hc-verify sync takes the list (seq $(seq_of "$REVF"))" ||
		bad "$1: hc-verify sync" "$out"
}

# ---- (1) the disk fills up ----
if [ "$(id -u)" != 0 ] || ! mkdir o || ! mount -t tmpfs -o size=6m hc-ops o 2>/dev/null; then
	skip 26 "a full disk" "needs root and tmpfs"
else
	MNT=$W/o
	service_env '"threads":2,"timeout":10,"audit_interval":3' && D init --config "$CF" >/dev/null &&
		T_DESK=$(D token add --config $CF --role counter --name desk-1) &&
		T_APP=$(D token add --config $CF --role app --name app-1) &&
		T_LAB=$(D token add --config $CF --role source:nat --name lab42) &&
		T_ADMIN=$(D token add --config $CF --role admin --name boss) &&
		T_AUD=$(D token add --config $CF --role auditor --name watcher) &&
		mkdir -p synced/roots tree/revocations && cp trust/roots/root.jwk synced/roots/ &&
		{ $PY "$SRC/tests/tools/https_server.py" --root tree --cert srv.pem --key srv.key \
			--port-file srv.port --log srv.log & SPID=$!; } &&
		ok "office on a 6 MiB tmpfs" || { bad "setup"; totals; exit 1; }
	REVF=o/publish/revocations/$REGION.jws
	: > acked.codes; : > acked.events; : > answers.txt
	ids 0 400 > ids.txt
	start_daemon || { bad "serve did not start" "$(tail -5 o/log)"; totals; exit 1; }
	for i in $(seq 20); do issue "$(sed -n "${i}p" ids.txt)"; done
	events 50
	J1=$(sed -n 1p acked.codes) J2=$(sed -n 2p acked.codes)
	[ "$(wc -l < acked.codes)" = 20 ] && [ "$(wc -l < acked.events)" = 50 ] &&
		ok "before: 20 codes, 50 events acknowledged" || bad "before" "$(cat answers.txt)"
	# Just after the publisher's tick (the audit published up to the
	# registry's last entry) a revocation and new codes are committed and
	# the file system filled: the next tick, audit_interval (3 s) later,
	# meets the full disk with a list and audit entries to write.
	metric() { curl -s --cacert ca.pem "$URL/metrics" | sed -n "s/^$1 //p"; }
	issue "$(sed -n 400p ids.txt)"
	for i in $(seq 100); do [ "$(metric hc_audit_published_seq)" = "$(metric hc_audit_seq)" ] && break; sleep 0.05; done
	post /v1/revocations "$T_ADMIN" "{\"jti\":\"$J1\",\"reason\":\"test\"}"
	st1=$ST
	for i in $(seq 21 25); do issue "$(sed -n "${i}p" ids.txt)"; done
	dd if=/dev/zero of=o/fill bs=64k 2>/dev/null
	dd if=/dev/zero of=o/fill2 bs=1k 2>/dev/null
	[ "$st1" = 200 ] && [ "$(wc -l < acked.codes)" = 26 ] && [ "$(df --output=avail o | tail -1)" -lt 8 ] &&
		ok "a revocation and 5 codes, then the file system is full ($(df -h --output=used o | tail -1 | tr -d ' '))" ||
		bad "not full" "$st1 $(wc -l < acked.codes) $(df o)"
	: > answers.txt
	post /v1/revocations "$T_ADMIN" "{\"jti\":\"$J2\",\"reason\":\"test\"}"
	REV_ST=$ST
	[ "$ST" = 200 ] || echo "$ST $BODY" >> answers.txt
	for i in $(seq 31 60); do
		issue "$(sed -n "${i}p" ids.txt)"
		[ $((i % 8)) = 0 ] && events 20 && [ "$ST" = 200 ] &&
			J '"\n".join("%s %s" % (r["verdict"], r.get("retry")) for r in d["results"])' >> verdicts.txt
	done
	nfull=$(wc -l < answers.txt)
	nbad=0
	while read -r l; do refusal_ok "$l" || { nbad=$((nbad + 1)); echo "not a 5xx with a reason: $l"; }; done < answers.txt
	[ "$nfull" -gt 0 ] && [ "$nbad" = 0 ] &&
		ok "full: $nfull requests refused, each a 5xx with a reason ($(cut -c1-160 answers.txt | sort | uniq -c | sort -rn | head -3 | tr '\n' ' '))" ||
		bad "full: refusals" "$nfull refused, $nbad without a 5xx and reason"
	[ -s verdicts.txt ] && ! grep -qv '^\(accepted None\|rejected True\)$' verdicts.txt &&
		ok "full: each event line accepted or rejected with retry ($(sort verdicts.txt | uniq -c | tr '\n' ' '))" ||
		bad "full: event verdicts" "$(sort verdicts.txt | uniq -c | tr '\n' ' ')"
	kill -0 "$DPID" 2>/dev/null && ok "full: the service runs" || bad "full: the service died" "$(tail -5 o/log)"
	post /v1/codes "$T_APP" "{\"id\":\"$(sed -n 5p ids.txt)\"}" # not revoked
	[ "$ST" = 200 ] && ok "full: a held code is still answered" || bad "full: held code" "$ST $BODY"
	get /metrics
	[ "$ST" = 200 ] && has "$BODY" 'hc_disk_free_bytes{dir="registry"} ' && ok "full: /metrics answers" ||
		bad "full: metrics" "$ST $(head -c 200 body.out)"
	ST=$(curl -s -m 30 -o body.out -w '%{http_code}' --cacert ca.pem -H "Authorization: Bearer $T_AUD" "$URL/v1/audit?after=0&limit=5")
	[ "$ST" = 200 ] && [ "$(wc -l < body.out)" = 5 ] && ok "full: /v1/audit answers" || bad "full: /v1/audit" "$ST $(head -c 200 body.out)"
	get /healthz
	[ "$ST" = 503 ] && has "$BODY" "space" && ok "full: /healthz 503 names the full disk ($BODY)" ||
		bad "full: /healthz" "$ST $BODY"
	sleep 3.5 # the publisher has tried meanwhile
	torn=0
	for f in o/publish/audit/*.jsonl; do [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ] || torn=1; done
	# (the log is on the full disk too: its lines are dropped meanwhile)
	pub=$(metric hc_audit_published_seq) reg=$(metric hc_audit_seq)
	[ "${pub:-0}" -lt "${reg:-0}" ] && [ $torn = 0 ] &&
		ok "full: the audit not published ($pub of $reg), no torn line left in a segment" ||
		bad "full: publishing" "published $pub of $reg, torn $torn"
	verify_publish "full"
	# free the space: no restart
	rm -f o/fill o/fill2
	for i in $(seq 50); do get /healthz; [ "$ST" = 200 ] && break; sleep 0.2; done
	[ "$ST" = 200 ] && ok "freed: /healthz 200 again without a restart" || bad "freed: /healthz" "$ST $BODY"
	: > answers.txt
	n1=$(wc -l < acked.codes)
	for i in $(seq 61 70); do issue "$(sed -n "${i}p" ids.txt)"; done
	events 20
	[ "$(wc -l < acked.codes)" = $((n1 + 10)) ] && [ ! -s answers.txt ] &&
		ok "freed: new codes and events acknowledged again, no restart" || bad "freed: writes" "$(head -3 answers.txt)"
	sleep 0.1
	lines=$(wc -l < o/log)
	get /healthz
	sleep 0.1
	[ "$(wc -l < o/log)" -gt "$lines" ] && [ "$(tail -c 1 o/log | od -An -c | tr -d ' ')" = '\n' ] &&
		ok "freed: the log goes on" || bad "freed: the log" "$(tail -c 300 o/log)"
	if [ "$REV_ST" != 200 ]; then
		post /v1/revocations "$T_ADMIN" "{\"jti\":\"$J2\",\"reason\":\"test\"}"
		REV_ST=$ST
	fi
	[ "$REV_ST" = 200 ] && ok "freed: the revocation acknowledged" || bad "freed: revocation" "$ST $BODY"
	for i in $(seq 60); do payload "$REVF" | grep -q -e "$J2" && break; sleep 0.2; done
	payload "$REVF" | grep -q -e "$J1" && payload "$REVF" | grep -q -e "$J2" &&
		ok "freed: the published list names both revoked codes" || bad "freed: list" "$(tail -5 o/log)"
	sleep 3.5
	verify_publish "freed"
	# kill -9 and a restart: nothing acknowledged is lost
	kill -9 "$DPID"; wait "$DPID" 2>/dev/null; DPID=""
	sqlite3 o/registry.db 'select jti from codes' | sort > reg.codes
	sqlite3 o/registry.db "select event from events where source = 'lab42'" | sort > reg.events
	mc=$(sort acked.codes | comm -23 - reg.codes | wc -l)
	me=$(sort acked.events | comm -23 - reg.events | wc -l)
	[ "$mc" = 0 ] && [ "$me" = 0 ] &&
		ok "kill -9: all $(wc -l < acked.codes) acknowledged codes and $(wc -l < acked.events) events are in the registry" ||
		bad "kill -9: lost" "$mc codes, $me events"
	start_daemon && kill -TERM "$DPID" && wait "$DPID"; rc=$?; DPID=""
	[ $rc = 0 ] && ok "restart, SIGTERM exits 0" || bad "restart" "$rc $(tail -3 o/log)"
	sqlite3 o/registry.db 'select line from audit order by seq' > reg.audit
	cat o/publish/audit/*.jsonl > pub.audit
	cmp -s reg.audit pub.audit && ok "after restart: the published chain is the registry's" ||
		bad "after restart: published chain differs" "$(wc -l < reg.audit) against $(wc -l < pub.audit)"
	verify_publish "after restart"
	umount o && MNT="" && ok "tmpfs unmounted" || bad "umount"
fi
# ---- (2) the clock steps ----
# libfaketime (Debian's faketime) preloaded into hc-issued, its offset read
# from a file at every call (FAKETIME_NO_CACHE: its cache of a second
# left some threads on the old time in a trial): the wall clock steps as
# NTP would step it; CLOCK_MONOTONIC is left alone, as a step leaves it.
# (libfaketime turns a timed wait's realtime deadline into the real clock's
# when the wait begins, so a wait on CLOCK_REALTIME that a real step would
# stretch cannot be shown here: those waits use CLOCK_MONOTONIC.)
FT=""
for f in /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 /usr/lib/*/faketime/libfaketimeMT.so.1; do
	[ -e "$f" ] && FT=$f && break
done
if [ -z "$FT" ]; then
	skip 17 "clock steps" "needs libfaketime (apt-get install faketime)"
else
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	SPID=""
	mkdir "$W/clk" && cd "$W/clk" || exit 2
	# the trust list (and so the office key) valid since a day ago: a
	# step back of hours must not put the signatures before it, as a
	# real office's key predates any step by far
	# a risk feed that never answers (port 1): its grace (1 h) runs from
	# the start
	service_env '"threads":2,"timeout":10,"audit_interval":1,"risk_feed":{"url":"https://127.0.0.1:1/risk-areas.jws"}' &&
		sed -i "s/\"iat\":[0-9]*/\"iat\":$((NOW - 86400))/" tl.json &&
		"$B/hc-keys" trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null &&
		cp trust/trustlist.jws o/trust/ && D init --config "$CF" >/dev/null &&
		T_DESK=$(D token add --config $CF --role counter --name desk-1) &&
		T_LAB=$(D token add --config $CF --role source:nat --name lab42) &&
		T_APP=$(D token add --config $CF --role app --name app-1) &&
		T_ADMIN=$(D token add --config $CF --role admin --name boss) &&
		mkdir -p synced/roots tree/revocations && cp trust/roots/root.jwk synced/roots/ &&
		{ $PY "$SRC/tests/tools/https_server.py" --root tree --cert srv.pem --key srv.key \
			--port-file srv.port --log srv.log & SPID=$!; } &&
		for i in $(seq 100); do [ -s srv.port ] && break; sleep 0.1; done &&
		ok "clock: a second office, its keys valid since a day ago" || { bad "clock setup"; totals; exit 1; }
	REVF=o/publish/revocations/$REGION.jws
	echo "+0" > clock
	start_ft() {
		LD_PRELOAD=$FT FAKETIME_TIMESTAMP_FILE=$W/clk/clock DONT_FAKE_MONOTONIC=1 \
			FAKETIME_NO_CACHE=1 ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" start_daemon
	}
	step() { echo "$1" > clock; } # OFFSET: +0, -2h, +1h
	code_of() { post /v1/codes "$T_APP" "{\"id\":\"$1\"}"; J 'd["jti"]'; }
	iat_of_list() { payload "$REVF" | $PY -c 'import json,sys; print(json.load(sys.stdin)["iat"])' 2>/dev/null; }
	: > acked.codes; : > answers.txt
	ids 1000 40 > ids.txt
	P=$(sed -n 1p ids.txt)
	start_ft || { bad "clock: serve did not start" "$(tail -5 o/log)"; totals; exit 1; }
	issue "$P"; A=$(tail -1 acked.codes)
	for i in $(seq 2 6); do issue "$(sed -n "${i}p" ids.txt)"; done
	post /v1/revocations "$T_ADMIN" "{\"jti\":\"$(sed -n 2p acked.codes)\",\"reason\":\"test\"}"
	for i in $(seq 50); do [ "$(seq_of "$REVF")" -ge 2 ] && break; sleep 0.1; done
	S1=$(seq_of "$REVF") I1=$(iat_of_list)
	[ "$(code_of "$P")" = "$A" ] && [ "$S1" -ge 2 ] && ok "clock: code A held, list seq $S1" || bad "clock: before" "$S1 $BODY"
	sync_ok "clock: before the step"
	# two hours back
	step -2h
	t0=$(date +%s)
	issue "$P"; Bj=$(tail -1 acked.codes)
	for i in $(seq 7 16); do issue "$(sed -n "${i}p" ids.txt)"; done
	[ "$(wc -l < acked.codes)" = 17 ] && [ ! -s answers.txt ] && [ $(($(date +%s) - t0)) -lt 15 ] &&
		ok "clock -2h: 11 new codes at once ($(($(date +%s) - t0)) s)" || bad "clock -2h: codes" "$(head -3 answers.txt)"
	held=$(code_of "$P")
	[ "$held" = "$Bj" ] && ok "clock -2h: the person's code issued after the step is the held one" ||
		bad "clock -2h: held code" "held $held, A $A, the newer B $Bj"
	post /v1/revocations "$T_ADMIN" "{\"jti\":\"$(sed -n 3p acked.codes)\",\"reason\":\"test\"}"
	for i in $(seq 50); do [ "$(seq_of "$REVF")" -gt "$S1" ] && break; sleep 0.1; done
	S2=$(seq_of "$REVF") I2=$(iat_of_list)
	[ "$S2" -gt "$S1" ] && [ "$I2" -lt "$I1" ] && ok "clock -2h: list seq $S1 -> $S2, its iat back by $((I1 - I2)) s" ||
		bad "clock -2h: list" "seq $S1 -> $S2, iat $I1 -> $I2"
	sync_ok "clock -2h"
	get /healthz
	[ "$ST" = 200 ] && ok "clock -2h: /healthz 200" || bad "clock -2h: healthz" "$ST $BODY"
	# an event dated an hour ago by a correct clock is after the office's
	# "now"
	events 1
	[ "$ST" = 200 ] && has "$BODY" '"verdict":"rejected","reason":"dated after the time it was received (nat[0].at is after the time of issue)","retry":false' &&
		ok "clock -2h: an event dated an hour ago is refused as after the time received (retry false)" ||
		bad "clock -2h: event dated an hour ago" "$ST $BODY"
	get /metrics
	lo=$(echo "$BODY" | sed -n 's/^hc_riskfeed_last_ok_seconds //p')
	[ -n "$lo" ] && [ "$lo" -ge 0 ] && [ "$lo" -lt 600 ] &&
		ok "clock -2h: the feed's start was $lo s ago (hc_riskfeed_last_ok_seconds)" || bad "clock -2h: last_ok" "'$lo'"
	# an hour ahead of the real time
	step +1h
	post /v1/revocations "$T_ADMIN" "{\"jti\":\"$(sed -n 4p acked.codes)\",\"reason\":\"test\"}"
	for i in $(seq 50); do [ "$(seq_of "$REVF")" -gt "$S2" ] && break; sleep 0.1; done
	S3=$(seq_of "$REVF")
	[ "$S3" -gt "$S2" ] && ok "clock +1h: list seq $S2 -> $S3" || bad "clock +1h: list" "seq $S2 -> $S3"
	sync_ok "clock +1h"
	get /healthz
	[ "$ST" = 200 ] && ok "clock +1h: /healthz 200 (the feed's grace of 1 h has not run out)" ||
		bad "clock +1h: healthz" "$ST $BODY"
	issue "$(sed -n 17p ids.txt)"
	# and back to the true time
	step +0
	issue "$(sed -n 18p ids.txt)"
	post /v1/revocations "$T_ADMIN" "{\"jti\":\"$(sed -n 5p acked.codes)\",\"reason\":\"test\"}"
	for i in $(seq 50); do [ "$(seq_of "$REVF")" -gt "$S3" ] && break; sleep 0.1; done
	S4=$(seq_of "$REVF")
	[ "$S4" -gt "$S3" ] && [ "$(wc -l < acked.codes)" = 19 ] && ok "clock back to true: list seq $S3 -> $S4, codes issued" ||
		bad "clock back to true" "seq $S3 -> $S4, $(head -2 answers.txt)"
	sync_ok "clock back to true"
	sleep 1.5
	t0=$(date +%s)
	kill -TERM "$DPID" && wait "$DPID"; rc=$?; DPID=""
	[ $rc = 0 ] && [ $(($(date +%s) - t0)) -lt 10 ] && ok "clock: SIGTERM stops it at once, exit 0" ||
		bad "clock: stop" "exit $rc after $(($(date +%s) - t0)) s"
	ats=$(sqlite3 o/registry.db 'select line from audit order by seq' | $PY -c '
import json,sys
a=[json.loads(l)["at"] for l in sys.stdin]
print(sum(1 for x,y in zip(a,a[1:]) if y<x))')
	out=$("$B/hc-verify" audit --trust trust o/publish 2>&1)
	[ $? = 0 ] && [ "${ats:-0}" -ge 1 ] && ok "clock: the audit chain verifies, its at going back $ats times" ||
		bad "clock: hc-verify audit" "$ats steps back: $out"
fi
totals
