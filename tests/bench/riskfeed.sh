#!/bin/bash
# riskfeed.sh BUILD: a risk-area change that touches one person in ten
# (make bench). A fresh office registry is filled with BENCH_PEOPLE people
# (default 20000; BENCH_PEOPLE=1000000 for the issue's 10^6), each with one
# stay and one green code; one in ten stayed in 310115. The rows are
# written straight into the registry with SQLite (filling it through the
# API would dominate the run); everything measured runs in the real
# hc-issued. The feed (a real HTTPS server on loopback) then serves a list
# that makes 310115 high-risk: printed are the seconds from the list being
# served until (a) the service has re-evaluated everyone it concerns and
# (b) the published revocation list holds every affected code, next to the
# target of 10 s. BENCH_WRAP: a command the service runs under (valgrind
# --tool=callgrind ...). Exit 1 when a code is missing or the service failed.
set -u
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
N=${BENCH_PEOPLE:-20000}
[ -x "$B/hc-issued" ] || { echo "riskfeed bench skipped: $B/hc-issued is not built"; exit 0; }
W=$(mktemp -d "$B/bench-riskfeed.XXXXXX") || exit 2
DPID="" SPID=""
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
cd "$W" || exit 2
die() { echo "riskfeed bench: $*" >&2; [ -s o/log ] && tail -n 20 o/log >&2; exit 2; }
. "$SRC/tests/lib.sh"     # test_ca, which service_env uses
. "$SRC/tests/tools/service_env.sh"
service_env '"risk_feed":{"url":"https://127.0.0.1:1/risk-areas.jws","every":"1s","cacert":"feed-ca.pem"}' &&
	cp ca.pem o/feed-ca.pem && "$B/hc-issued" init --config $CF >/dev/null || die "office"
mkdir -p www
day() { date -u -d "@$(($(date +%s) + 8 * 3600 + $1 * 86400))" +%Y-%m-%d; }
printf '{"seq":1,"iat":%s,"areas":[]}' $(($(date +%s) - 60)) > v1.json
printf '{"seq":2,"iat":%s,"areas":[{"region":"310115","level":"high","from":"%s","to":"%s"}]}' \
	$(($(date +%s) - 60)) "$(day -5)" "$(day -1)" > v2.json
"$B/hc-keys" riskareas --root root.key --in v1.json --out www/risk-areas.jws >/dev/null &&
	"$B/hc-keys" riskareas --root root.key --in v2.json --out v2.jws >/dev/null || die "lists"

t0=$(date +%s.%N)
$PY - o/registry.db "$N" "$(day -3)" "$(day -2)" <<'PY' || die "fill"
import base64, os, sqlite3, struct, sys, time
db, n, d1, d2 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
now = int(time.time())
b = lambda k: base64.urlsafe_b64encode(os.urandom(k)).rstrip(b"=").decode()
c = sqlite3.connect(db)
c.execute("BEGIN")
people, codes, travel = [], [], []
# schema version 2: the person's inputs and codes in their row
# (issuer/registry_sqlite_row.c), the stays in travel
for i in range(n):
    key, jti = b(32), b(16)
    region = "310115" if i % 10 == 0 else "440305"
    json = ('{"region":"%s","from":"%s","to":"%s"}' % (region, d1, d2)).encode()
    blob = struct.pack("<BqIHH", 2, now, len(json), 5, 4) + json + b"benchfill"
    live = jti.encode() + struct.pack("<Bqq", 0, now - 60, now + 86400)
    people.append((key, "张*", "330***********%04d" % (i % 10000), 1, 0, now, blob, live))
    travel.append((region, d1, d2, key))
    codes.append((jti, key, 0, "[]", "default-1", "bench", now - 60, now + 86400, "bench"))
c.executemany("INSERT INTO people (key,name,id,version,status,created,inputs,codes)"
              " VALUES (?,?,?,?,?,?,?,?)", people)
c.executemany("INSERT INTO travel (region,first,last,person,n) VALUES (?,?,?,?,1)", travel)
c.executemany("INSERT INTO codes (jti,person,status,why,policy,kid,iat,exp,revoked_at,superseded_by,jws)"
              " VALUES (?,?,?,?,?,?,?,?,0,'',?)", codes)
c.commit()
PY
t1=$(date +%s.%N)
printf 'filled %d people (%d in 310115) in %.1f s\n' "$N" $(((N + 9) / 10)) "$(echo "$t1 - $t0" | bc)"

$PY "$SRC/tests/tools/https_server.py" --root www --cert srv.pem --key srv.key --port-file f.port --log f.log &
SPID=$!
for i in $(seq 100); do [ -s f.port ] && break; sleep 0.1; done
sed -i "s|127.0.0.1:1/|127.0.0.1:$(cat f.port)/|" $CF
t0=$(date +%s.%N)
${BENCH_WRAP:-} "$B/hc-issued" serve --config $CF --log o/log &
DPID=$!
for i in $(seq 6000); do grep -q "seq 1 in force" o/log 2>/dev/null && break; sleep 0.1; done
grep -q "seq 1 in force" o/log || die "seq 1"
t1=$(date +%s.%N)
printf 'service up with seq 1 in %.1f s\n' "$(echo "$t1 - $t0" | bc)"

# The service's CPU (user + system, clock ticks) from /proc: the primary
# figure when other work shares the machine.
ticks() { awk '{print $14 + $15}' /proc/$DPID/stat; }
want=$(((N + 9) / 10))
C0=$(ticks)
T0=$(date +%s.%N)
cp v2.jws www/risk-areas.jws
reeval="" pub=""
for i in $(seq 12000); do
	[ -z "$reeval" ] && grep -q "seq 2 in force" o/log && reeval=$(date +%s.%N)
	if [ -n "$reeval" ]; then
		got=$($PY -c '
import base64, json, sys
p = open(sys.argv[1]).read().split(".")[1]
print(len(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["revoked"]))' \
			o/publish/revocations/$REGION.jws 2>/dev/null)
		[ "${got:-0}" -ge "$want" ] && { pub=$(date +%s.%N); break; }
	fi
	sleep 0.1
done
C1=$(ticks)
grep "seq 2 in force" o/log | sed 's/^[^ ]* //'
[ -n "$reeval" ] || die "seq 2 never in force"
[ -n "$pub" ] || die "the published list holds ${got:-0} of $want codes"
printf 'risk-area change touching %d of %d people: re-evaluated in %.2f s, all %d codes revoked and published in %.2f s (target 10 s)\n' \
	"$want" "$N" "$(echo "$reeval - $T0" | bc)" "$want" "$(echo "$pub - $T0" | bc)"
printf 'service CPU over that time: %.2f s (%.0f us a person)\n' \
	"$(echo "($C1 - $C0) / $(getconf CLK_TCK)" | bc -l)" \
	"$(echo "($C1 - $C0) * 1000000 / $(getconf CLK_TCK) / $want" | bc -l)"
# BENCH_THREADS=1: each thread's CPU over the whole run (the writer is the
# one that commits; a re-evaluation's threads have ended by now)
if [ -n "${BENCH_THREADS:-}" ]; then
	for t in /proc/$DPID/task/*; do
		awk -v hz="$(getconf CLK_TCK)" '{printf "thread %s: %.2f s\n", $1, ($14 + $15) / hz}' $t/stat
	done
fi
