#!/bin/bash
# query.sh BUILD: a source hc-issued asks rather than hears from (a
# carrier's itinerary service), as a real HTTPS server on loopback that
# requires the service's client certificate (tests/tools/https_server.py).
# Its answer reaches the person's code; within max_age it is not asked
# again, also after a restart (the registry keeps when it answered); an
# entry it stops reporting is removed and the status follows (the old
# code revoked), while a lab's and a desk's inputs stay; a token named
# as the source is refused; down, slow, an HTTP error, garbage, an entry
# the record rules refuse, an entry dated after the answer, an oversized
# answer and a person it does not know each fail the request with 503 and
# the reason, never a code (and store nothing). Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-query.XXXXXX)
DPID="" PIDS=""
cleanup() {
	local p
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 2
K() { "$B/hc-keys" "$@"; }
D() { "$B/hc-issued" "$@"; }

. "$SRC/tests/tools/service_env.sh"
service_env '"threads":4,"risk_feed":{"url":"https://127.0.0.1:1/risk-areas.jws","every":"1s","cacert":"src-ca.pem"},"sources":[{"name":"carrier","url":"https://127.0.0.1:1/itinerary","cert":"client.pem","key":"client.key","cacert":"src-ca.pem","timeout":"1s","max_age":"3s"}]' &&
	cp ca.pem o/src-ca.pem &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout o/client.key \
		-out client.csr -subj /CN=hc-issued >/dev/null 2>&1 &&
	printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' \
		'extendedKeyUsage=clientAuth' > cext.cnf &&
	openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out o/client.pem \
		-days 30 -extfile cext.cnf >/dev/null 2>&1 &&
	D init --config $CF >/dev/null &&
	T_C=$(D token add --config $CF --role counter --name desk) &&
	T_P=$(D token add --config $CF --role app --name app) &&
	T_A=$(D token add --config $CF --role auditor --name watcher) &&
	T_L=$(D token add --config $CF --role source:nat --name lab42) &&
	ok "service, client certificate, tokens" || { bad "setup"; totals; exit 1; }

# The national risk-area list, and the carrier (client certificate required).
mkdir -p www/itinerary feed && : > mode
srv() { # NAME ROOT [ARGS]: a server, its port in NAME.port
	$PY "$SRC/tests/tools/https_server.py" --root "$2" --cert srv.pem --key srv.key \
		--port-file "$1.port" --log "$1.log" "${@:3}" &
	PIDS="$PIDS $!"
	for i in $(seq 100); do [ -s "$1.port" ] && break; sleep 0.1; done
}
srv f feed; srv s www --client-ca ca.pem --mode-file mode; SPID=$!
sed -i "s|127.0.0.1:1/risk|127.0.0.1:$(cat f.port)/risk|; s|127.0.0.1:1/itin|127.0.0.1:$(cat s.port)/itin|" $CF
SP=$(cat s.port)
curl -s -o /dev/null --cacert ca.pem -X POST -d '{"id":"x"}' "https://127.0.0.1:$SP/itinerary" >/dev/null 2>&1
[ $? -ne 0 ] && ok "the server refuses a client without a certificate" || bad "client certificate not required"

day() { date -u -d "@$(($(date +%s) + 8 * 3600 + $1 * 86400))" +%Y-%m-%d; }
printf '{"seq":1,"iat":%s,"areas":[{"region":"310115","level":"high","from":"%s","to":"%s"}]}' \
	$(($(date +%s) - 60)) "$(day -5)" "$(day -1)" > ra.json
K riskareas --root root.key --in ra.json --out feed/risk-areas.jws >/dev/null
ids() {
	$PY - "$1" <<'PY'
import sys
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
for i in range(int(sys.argv[1])):
    b = "310115%04d%02d%02d%03d" % (1960 + i, 1 + i % 12, 1 + i % 28, 200 + i)
    c = (12 - sum(int(x) * y for x, y in zip(b, w)) % 11) % 11
    print(b + ("X" if c == 10 else str(c)))
PY
}
ids 14 > ids.txt
id() { sed -n "${1}p" ids.txt; }
printf '{"travel":[{"region":"310115","from":"%s","to":"%s"}]}' "$(day -3)" "$(day -2)" > www/itinerary/$(id 1).json
echo '{}' > www/itinerary/$(id 2).json
inforce() { local i; for i in $(seq 100); do grep -q "seq 1 in force" o/log && return 0; sleep 0.1; done; return 1; }
start_daemon && inforce && ok "serve, the risk-area list in force" || { bad "serve" "$(tail -3 o/log)"; totals; exit 1; }

asked() { grep -c "^POST /itinerary/$1.json" s.log; }
rec() { # ID TOKEN: POST /v1/records, ST and BODY
	BODY=$(curl -s -w ' %{http_code}' --cacert ca.pem -H "Authorization: Bearer $2" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"person\":{\"name\":\"李四\",\"id\":\"$1\"}}" "$URL/v1/records")
	ST=${BODY##* }
}
code() { # ID: POST /v1/codes
	BODY=$(curl -s -w ' %{http_code}' --cacert ca.pem -H "Authorization: Bearer $T_P" \
		-H 'Content-Type: application/json' --data-binary "{\"id\":\"$1\"}" "$URL/v1/codes")
	ST=${BODY##* }
}
rec "$(id 1)" "$T_C"
R1=$BODY
code "$(id 1)" # at once: within max_age (3 s) even on a loaded machine
[ "${R1##* }" = 200 ] && has "$R1" '"status":"red"' && has "$R1" high-risk-recent &&
	ok "the carrier's itinerary reaches the code (red, high-risk-recent)" || bad "answer to code" "$R1"
jti=$(echo "${R1% *}" | $PY -c 'import json,sys; print(json.load(sys.stdin)["jti"])')
[ "$ST" = 200 ] && has "$BODY" "$jti" && [ "$(asked "$(id 1)")" = 1 ] &&
	ok "within max_age: the held code, the source not asked again" || bad "within max_age" "$BODY"
rec "$(id 2)" "$T_C"
[ "$ST" = 200 ] && has "$BODY" '"status":"green"' && [ "$(asked "$(id 2)")" = 1 ] &&
	ok "an empty answer: green" || bad "empty answer" "$BODY"
sleep 3.1
code "$(id 1)"
[ "$ST" = 200 ] && [ "$(asked "$(id 1)")" = 2 ] && ok "past max_age: asked again" || bad "past max_age" "$BODY"
out=$(curl -s --cacert ca.pem -H "Authorization: Bearer $T_A" "$URL/v1/audit?after=0&limit=1000")
echo "$out" | grep '"action":"record"' | grep -q '"actor":"carrier"' &&
	ok "audit: the input is the carrier's" || bad "audit actor"
grep -q "$(id 1)" o/log o/registry.db* 2>/dev/null && bad "the identity number is written down" ||
	ok "the identity number is in neither the log nor the registry"

# ---- an answer is the source's whole word: what it leaves out goes ----
# id 10: a lab's test (an event) and the desk's record of the same stay
# the carrier reports; id 1: the carrier's stay only. Then the carrier
# cancels both itineraries: id 1's stay is removed (green, the red code
# revoked); id 10 keeps the desk's stay and the lab's test (red).
audit() { curl -s --cacert ca.pem -H "Authorization: Bearer $T_A" "$URL/v1/audit?after=0&limit=10000"; }
STAY=$(printf '{"region":"310115","from":"%s","to":"%s"}' "$(day -3)" "$(day -2)")
echo "{\"travel\":[$STAY]}" > www/itinerary/$(id 10).json
R=$(curl -s -w ' %{http_code}' --cacert ca.pem -H "Authorization: Bearer $T_L" \
	-H 'Content-Type: application/x-ndjson' --data-binary \
	"{\"event\":\"lab-1\",\"type\":\"nat\",\"id\":\"$(id 10)\",\"at\":$(($(date +%s) - 3600)),\"result\":\"negative\",\"lab\":\"Lab 42\"}" \
	"$URL/v1/events")
BODY=$(curl -s -w ' %{http_code}' --cacert ca.pem -H "Authorization: Bearer $T_C" \
	-H 'Content-Type: application/json' \
	--data-binary "{\"person\":{\"name\":\"王五\",\"id\":\"$(id 10)\"},\"travel\":[$STAY]}" "$URL/v1/records")
[ "${R##* }" = 200 ] && has "$R" '"accepted":1' && [ "${BODY##* }" = 200 ] &&
	has "$BODY" '"status":"red"' && [ "$(asked "$(id 10)")" = 1 ] &&
	ok "id 10: a lab's test, the desk's stay, the carrier asked (red)" || bad "id 10" "$R $BODY"
echo '{}' > www/itinerary/$(id 1).json
echo '{}' > www/itinerary/$(id 10).json
sleep 3.1
code "$(id 1)"
[ "$ST" = 200 ] && has "$BODY" '"status":"green"' && [ "$(asked "$(id 1)")" = 3 ] &&
	ok "the carrier drops the stay: asked again, green" || bad "dropped stay" "$BODY"
out=$(audit)
echo "$out" | grep '"action":"record"' | grep '"actor":"carrier"' | grep -q '"why":\["travel","removed"\]' &&
	ok "audit: the stay removed by the carrier" || bad "audit: removed"
echo "$out" | grep '"action":"revoke"' | grep -q -e "\"jti\":\"$jti\"" &&
	ok "the red code is revoked" || bad "red code not revoked" "$jti"
code "$(id 10)"
[ "$ST" = 200 ] && has "$BODY" '"status":"red"' && [ "$(asked "$(id 10)")" = 2 ] &&
	ok "the carrier's empty answer leaves the desk's stay: red" || bad "desk's stay" "$BODY"
[ "$(echo "$out" | grep -c '"removed"')" = 1 ] && [ "$(audit | grep -c '"removed"')" = 1 ] &&
	ok "nothing else removed (the lab's test, the desk's stay)" || bad "removed others" "$(audit | grep removed)"

# id 14: the carrier's answer is stored before the request's own
# evaluation, which then fails (a record with a test dated tomorrow: 400).
# The status follows the answer at once, as an event's does: the green
# code revoked, not left standing until the person's next code.
echo '{}' > www/itinerary/$(id 14).json
rec "$(id 14)" "$T_C"
g14=$(echo "${BODY% *}" | $PY -c 'import json,sys; print(json.load(sys.stdin)["jti"])' 2>/dev/null)
echo "{\"travel\":[$STAY]}" > www/itinerary/$(id 14).json
sleep 3.1
BODY=$(curl -s -w ' %{http_code}' --cacert ca.pem -H "Authorization: Bearer $T_C" \
	-H 'Content-Type: application/json' --data-binary \
	"{\"person\":{\"name\":\"李四\",\"id\":\"$(id 14)\"},\"nat\":[{\"at\":$(($(date +%s) + 86400)),\"result\":\"negative\"}]}" \
	"$URL/v1/records")
[ -n "$g14" ] && [ "${BODY##* }" = 400 ] && has "$BODY" "after the time" && [ "$(asked "$(id 14)")" = 2 ] &&
	ok "id 14: green, then a record refused after the carrier's answer (a stay) was stored" ||
	bad "id 14" "$g14 $BODY"
audit | grep '"action":"revoke"' | grep -q -e "\"jti\":\"$g14\"" &&
	ok "the status follows the stored answer at once: the green code revoked" ||
	bad "the green code stands on a stored answer" "$(audit | grep -c revoke)"

# ---- when it answered is kept: a restart does not ask again ----
restart() { # MAX_AGE
	kill "$DPID"; wait "$DPID" 2>/dev/null; DPID=""
	sed -i "s|\"max_age\":\"[0-9]*s\"|\"max_age\":\"$1\"|" $CF
	start_daemon
}
restart 60s && code "$(id 10)" && [ "$ST" = 200 ] && [ "$(asked "$(id 10)")" = 2 ] &&
	ok "a restart within max_age: the source not asked again" || bad "restart within max_age" "$BODY"
restart 1s && sleep 1.1 && code "$(id 10)" && [ "$ST" = 200 ] && [ "$(asked "$(id 10)")" = 3 ] &&
	ok "past max_age after a restart: asked again" || bad "restart past max_age" "$BODY"

# ---- a source that cannot answer: 503 and the reason, never a code ----
fault() { # N NAME WANT...: POST /v1/records for id N
	local n=$1 name=$2 w d=""
	shift 2
	rec "$(id "$n")" "$T_C"
	[ "$ST" = 503 ] || d="status $ST"
	has "$BODY" '"jws"' && d="$d; a code"
	for w; do has "$BODY" "$w" || d="$d; want '$w'"; done
	[ -z "$d" ] && ok "$name: 503, says why" || bad "$name" "$d: $BODY"
}
echo http500 > mode; echo '{}' > www/itinerary/$(id 3).json
fault 3 "HTTP 500" "source carrier" "HTTP status 500"
echo slow > mode; echo '{}' > www/itinerary/$(id 4).json
fault 4 "slow (past its timeout)" "source carrier" "imed out"
: > mode
echo 'not json' > www/itinerary/$(id 5).json
fault 5 "garbage" "source carrier" "answer"
printf '{"travel":[{"region":"31011","from":"%s","to":"%s"}]}' "$(day -3)" "$(day -2)" > www/itinerary/$(id 6).json
fault 6 "an entry the record rules refuse" "answer" "travel[0]" "region"
printf '{"flags":[]}%02000000d' 0 > www/itinerary/$(id 7).json
fault 7 "an oversized answer" "larger than"
fault 8 "a person the source does not know (404)" "HTTP status 404"
# An entry dated after now (past the clock skew allowance) is refused
# as the policy refuses it in a record or an event: stored, it would fail
# every later evaluation of the person (their codes 400, each event of
# theirs blamed for it) until the source dropped it.
printf '{"nat":[{"at":%s,"result":"negative","lab":"Lab 42"}]}' $(($(date +%s) + 3600)) > www/itinerary/$(id 13).json
fault 13 "an entry dated after the time of the answer" "answer" "nat[0].at is after the time"
code "$(id 3)"
[ "$ST" = 404 ] && ok "a refused request stored nobody (404 for a code)" || bad "refused stored" "$BODY"
code "$(id 13)"
[ "$ST" = 404 ] && ok "a future entry stored nobody (404 for a code)" || bad "future entry stored" "$BODY"
R=$(curl -s -w ' %{http_code}' --cacert ca.pem -H "Authorization: Bearer $T_L" \
	-H 'Content-Type: application/x-ndjson' --data-binary \
	"{\"event\":\"lab-3\",\"type\":\"nat\",\"id\":\"$(id 13)\",\"at\":$(($(date +%s) - 60)),\"result\":\"negative\"}" \
	"$URL/v1/events")
[ "${R##* }" = 200 ] && has "$R" '"accepted":1' &&
	ok "then a lab's event for them is taken (not blamed for the answer's entry)" || bad "event after a future entry" "$R"
kill "$SPID"; wait "$SPID" 2>/dev/null
echo '{}' > www/itinerary/$(id 9).json
fault 9 "the source down" "source carrier" "network"
sleep 1.1
code "$(id 1)"
[ "$ST" = 503 ] && ! has "$BODY" '"jws"' && has "$BODY" "source carrier" &&
	ok "the source down past max_age: no code, not even the held one" || bad "held code on missing data" "$BODY"
kill "$DPID"; wait "$DPID" 2>/dev/null; rc=$?; DPID=""
[ $rc = 0 ] && ok "SIGTERM: the service stops cleanly (exit 0, no sanitizer report)" || bad "stop" "exit $rc; $(tail -5 o/log)"

# ---- a blocking request holds no HTTP thread ----
# One HTTP thread and one job thread: a record whose source is slow holds
# the job thread while the source is asked (4 s, its timeout), not the
# HTTP thread: /healthz and a held code (its source's answer fresh)
# answer meanwhile (both waited for the source before). An events upload
# then queues behind it, and SIGTERM comes with both in flight: the drain
# (timeout 1 s) waits for the running one (503, the source timed out),
# answers the queued one 503 without beginning it, and exits 0.
rm -f s.port
srv s www --client-ca ca.pem --mode-file mode
sed -i -e "s|127.0.0.1:[0-9]*/itin|127.0.0.1:$(cat s.port)/itin|" \
	-e 's|"threads":4|"threads":1,"jobs":1,"timeout":1|' -e 's|"timeout":"1s"|"timeout":"4s"|' \
	-e 's|"max_age":"[0-9]*s"|"max_age":"60s"|' $CF
: > mode
echo '{}' > www/itinerary/$(id 11).json
echo '{}' > www/itinerary/$(id 12).json
start_daemon && grep -q "1 threads, 1 job threads" o/log && rec "$(id 11)" "$T_C" && [ "$ST" = 200 ] &&
	ok "one HTTP thread, one job thread: a record, its source asked" ||
	bad "one thread" "$ST $BODY $(tail -3 o/log)"
echo slow > mode
curl -s -o slow.out -w '%{http_code}' --cacert ca.pem -H "Authorization: Bearer $T_C" \
	-H 'Content-Type: application/json' \
	--data-binary "{\"person\":{\"name\":\"李四\",\"id\":\"$(id 12)\"}}" "$URL/v1/records" > slow.st &
SLOW=$!
for i in $(seq 100); do [ "$(asked "$(id 12)")" = 1 ] && break; sleep 0.1; done
H=$(curl -s -m 10 -w ' %{http_code}' --cacert ca.pem "$URL/healthz")
code "$(id 11)"
kill -0 "$SLOW" 2>/dev/null && [ "$(asked "$(id 12)")" = 1 ] && [ "${H##* }" = 200 ] && [ "$ST" = 200 ] &&
	ok "a slow source holds no HTTP thread: /healthz and a held code answer meanwhile" ||
	bad "stalled behind a slow source" "healthz ${H##* }, code $ST, slow one: $(cat slow.st)"
EV=$(printf '{"event":"lab-2","type":"nat","id":"%s","at":%s,"result":"negative","lab":"Lab 42"}' \
	"$(id 11)" $(($(date +%s) - 3600)))
curl -s -o ev.out -w '%{http_code}' --cacert ca.pem -H "Authorization: Bearer $T_L" \
	-H 'Content-Type: application/x-ndjson' --data-binary "$EV" "$URL/v1/events" > ev.st &
EVP=$!
sleep 1
inflight=no
kill -0 "$SLOW" 2>/dev/null && kill -0 "$EVP" 2>/dev/null && inflight=yes
kill -TERM "$DPID"; wait "$DPID"; rc=$?; DPID=""
wait "$SLOW" "$EVP"
[ $inflight = yes ] && [ "$(cat slow.st)" = 503 ] && has "$(cat slow.out)" "source carrier" &&
	ok "SIGTERM: the running job answers (503, the source timed out)" ||
	bad "running job at SIGTERM" "in flight: $inflight; $(cat slow.st) $(cat slow.out)"
[ $rc = 0 ] && [ "$(cat ev.st)" = 503 ] && has "$(cat ev.out)" "the service is stopping" &&
	grep -q "/v1/events 503 " o/log &&
	ok "SIGTERM: the queued upload is answered 503 unbegun, exit 0" ||
	bad "queued job at SIGTERM" "exit $rc; $(cat ev.st) $(cat ev.out); $(tail -3 o/log)"

# A token named as a source would pass for it (inputs name who supplied
# them): refused when added, and the service does not start with one.
D token add --config $CF --role source:trv --name carrier > tok.out 2> tok.err; rc=$?
[ $rc = 1 ] && [ ! -s tok.out ] && grep -q "a source's name" tok.err &&
	ok "token add: a source's name refused" || bad "token named as a source" "exit $rc: $(cat tok.err)"
sed 's|"name":"carrier"|"name":"lab42"|' $CF > o/clash.json
timeout 20 "$B/hc-issued" serve --config o/clash.json --log o/clash.log; rc=$?
[ $rc != 0 ] && [ $rc != 124 ] && grep -q "source lab42: a token (revoked or not) has the same name" o/clash.log &&
	ok "serve: a token named as a source refused" || bad "serve with a clash" "exit $rc: $(tail -2 o/clash.log)"

totals
[ "$fail" -eq 0 ]
