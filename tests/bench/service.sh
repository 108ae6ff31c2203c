#!/bin/bash
# service.sh BUILD: hc-issued under wrk, over HTTPS with keep-alive on
# loopback (make bench runs it after the other benchmarks). A fresh office
# (keys, test CA, trust list, registry) is filled with BENCH_PEOPLE people
# (default 20000; BENCH_PEOPLE=1000000 for the issue's registry of 10^6)
# through the API, then for BENCH_SECONDS (10) each, 64 connections:
#   (a) new codes:  POST /v1/records for people never seen (durable);
#   (b) held codes: POST /v1/codes for people filled before.
# Each rate is printed next to its target and, as a ratio, next to this
# run's ES256 limit from `openssl speed -seconds 3 ecdsap256`: a new code
# costs one sign and one verify (the self-check), so the limit is
# 1 / (1/sign + 1/verify) per core times the cores. Exit 1 when a request
# failed or the service did not stop cleanly; a rate below its target is
# reported, not failed. BENCH_KEEP=1 keeps the office directory (and the
# number of people filled, in bench.people). BENCH_OFFICE=DIR runs only
# (b) on such a kept office (the fill of 10^6 people takes minutes): a
# new port and a new token, the same people, (a) and the fill left out;
# the directory stays. BENCH_THREADS=N sets the config's "threads" (the
# HTTP worker threads; default: the service's own), BENCH_JOBS=N its
# "jobs" (the threads that run events uploads and other blocking handlers).
# BENCH_UPLOADS=1 runs (b) beside 4 connections uploading lab results in
# requests of 1,000 lines (tests/tools/sources.py post --threads 4, a
# source:nat token; people of district 330106, apart from the held
# codes'), and prints the events a second they got; the CPU a request of
# (b) then counts the uploads' CPU too. The CPU notes count the context
# switches of all the service's threads a request. BENCH_WARM=1 reads the
# registry file once before (b), as the page cache of a service that runs
# all day holds it (this VM pages out page cache idle for about a minute,
# so a kept office of 10^6 people is otherwise read from the disk: that
# measures the disk).
set -u
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PEOPLE=${BENCH_PEOPLE:-20000}
SECS=${BENCH_SECONDS:-10}
CONNS=64
WT=2   # wrk threads
LUA=$SRC/tests/bench/service.lua

[ -x "$B/hc-issued" ] || { echo "service bench skipped: $B/hc-issued is not built"; exit 0; }
command -v wrk >/dev/null || { echo "service bench skipped: wrk is not installed (apt-get install wrk)"; exit 0; }

# The office lives on the build's file system (never tmpfs: the commits
# must reach a disk for "durable" to mean anything).
REUSE=${BENCH_OFFICE:-}
if [ -n "$REUSE" ]; then
	W=$(cd "$REUSE" && pwd) && [ -s "$W/office.json" ] && [ -s "$W/bench.people" ] ||
		{ echo "service bench: BENCH_OFFICE=$REUSE is not an office kept by BENCH_KEEP=1 (office.json, bench.people)" >&2; exit 2; }
	PEOPLE=$(cat "$W/bench.people")
else
	W=$(mktemp -d "$B/bench-office.XXXXXX") || exit 2
fi
SRV="" WRK="" UP=""
cleanup() {
	[ -n "$WRK" ] && kill "$WRK" 2>/dev/null && wait "$WRK" 2>/dev/null
	[ -n "$UP" ] && kill "$UP" 2>/dev/null && wait "$UP" 2>/dev/null
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	if [ -n "$REUSE" ]; then :; elif [ -n "${BENCH_KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
cd "$W" || exit 2
die() { echo "service bench: $*" >&2; [ -s serve.log ] && tail -n 20 serve.log >&2; exit 2; }

# ---- the office: keys, a test CA and its certificate, trust, config ----
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [ -n "$REUSE" ]; then
	sed -i "s|\"listen\":\"127.0.0.1:[0-9]*\"|\"listen\":\"127.0.0.1:$PORT\"|" office.json
	TOKEN=$("$B/hc-issued" token add --config office.json --role counter --name "bench-$(date +%s%N)") ||
		die "token add"
else
"$B/hc-keys" gen root.key >/dev/null && "$B/hc-keys" gen office.key >/dev/null || die "hc-keys gen"
{
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout ca.key -out ca.pem -days 30 -subj "/CN=hcode bench CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout tls.key -out tls.csr -subj /CN=localhost &&
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > ext.cnf &&
	openssl x509 -req -in tls.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-out tls.crt -days 30 -extfile ext.cnf
} >/dev/null 2>&1 || die "test CA"
chmod 600 tls.key
mkdir -p trust/roots && "$B/hc-keys" pub root.key > trust/roots/root.jwk
now=$(date +%s)
printf '{"seq":1,"iat":%s,"next_update":%s,"issuers":[{"iss":"https://hc.bench.example","name":"Bench Office","region":"330100","keys":[%s]}]}\n' \
	$((now - 86400)) $((now + 86400)) "$("$B/hc-keys" pub --status active office.key)" > tl.json
"$B/hc-keys" trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null || die "trust list"
cat > office.json <<JSON
{"listen":"127.0.0.1:$PORT","tls":{"cert":"tls.crt","key":"tls.key"},"registry":"registry.db",
 "iss":"https://hc.bench.example","name":"Bench Office","region":"330100","key":"office.key",
 "id_secret":"id.secret","publish":"publish","trust":"trust"}
JSON
"$B/hc-issued" init --config office.json >/dev/null 2>init.err || { cat init.err; die "init"; }
TOKEN=$("$B/hc-issued" token add --config office.json --role counter --name bench) || die "token add"
fi
# the thread counts asked for, also on a kept office
sed -i 's/"threads":[0-9]*,//; s/"jobs":[0-9]*,//' office.json
TH=""
[ -n "${BENCH_THREADS:-}" ] && TH="\"threads\":$BENCH_THREADS,"
[ -n "${BENCH_JOBS:-}" ] && TH="$TH\"jobs\":$BENCH_JOBS,"
[ -n "$TH" ] && sed -i "s|\"registry\":|$TH\"registry\":|" office.json
UPLOADS=${BENCH_UPLOADS:-}
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
if [ -n "$UPLOADS" ]; then
	UPTOKEN=$("$B/hc-issued" token add --config office.json --role source:nat --name "lab-$(date +%s%N)") ||
		die "token add (uploads)"
	# more lines than 4 connections send in (b); event ids new each run
	$PY "$SRC/tests/tools/sources.py" gen lab --people 300000 --names --prefix "up$(date +%s%N)" > uploads.jsonl ||
		die "sources.py gen"
fi
export HC_BENCH_TOKEN=$TOKEN HC_BENCH_THREADS=$WT

"$B/hc-issued" serve --config office.json 2>serve.log &
SRV=$!
URL=https://127.0.0.1:$PORT
for _ in $(seq 100); do
	curl -sf --cacert ca.pem "$URL/healthz" >/dev/null 2>&1 && break
	kill -0 "$SRV" 2>/dev/null || die "hc-issued serve exited"
	sleep 0.1
done
curl -sf --cacert ca.pem "$URL/healthz" >/dev/null || die "no answer on $URL/healthz"

# CPU: busy ticks of the machine and of the service (+ wrk) between marks
cpu_all() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
cpu_srv() { awk '{ print $14 + $15 }' "/proc/$SRV/stat"; }
cpu_sys() { awk '{ print $15 }' "/proc/$SRV/stat"; }
# read system calls (the registry's preads; sockets are read with recvfrom)
srv_reads() { awk '/^syscr:/ { print $2 }' "/proc/$SRV/io"; }
# bytes those reads (and page faults) had to fetch from the disk: a page
# of the registry not in the kernel's page cache
srv_disk() { awk '/^read_bytes:/ { print $2 }' "/proc/$SRV/io"; }
# bytes its writes sent to the disk (the WAL, the checkpoints)
srv_wrote() { awk '/^write_bytes:/ { print $2 }' "/proc/$SRV/io"; }
# context switches of all the service's threads (voluntary: mostly waits)
srv_cs() { cat /proc/"$SRV"/task/*/status 2>/dev/null |
	awk '/^voluntary_ctxt_switches:/ { v += $2 } /^nonvoluntary_ctxt_switches:/ { n += $2 } END { print v + 0, n + 0 }'; }
NCPU=$(nproc)
ok=1
# run_wrk NAME PATH ARGS...: runs wrk, sets RATE P50 P99 ERR REQS OTHER
run_wrk() {
	local name=$1 path=$2 d=$SECS a0 s0 a1 s1 t0 t1 k0 k1 pid
	shift 2
	[ "$1" = fill ] && d=36000
	read -r a0 t0 <<< "$(cpu_all)"; s0=$(cpu_srv); k0=$(cpu_sys); r0=$(srv_reads); d0=$(srv_disk); w0=$(srv_wrote)
	read -r v0 n0 <<< "$(srv_cs)"
	rm -f mark.*
	TIMEFORMAT='%U %S'
	{ time HC_BENCH_MARK=$W/mark wrk -t$WT -c$CONNS -d${d}s --timeout 10s -s "$LUA" "$URL$path" -- "$@" \
		> "$name.out" 2> "$name.err"; } 2> "$name.time" &
	WRK=$!
	if [ "$1" = fill ]; then
		# wrk runs for its whole -d: stop it once each thread is done
		local n=0 f0 people
		f0=$(date +%s)
		until [ -e mark.0 ] && [ -e mark.1 ]; do
			kill -0 "$WRK" 2>/dev/null || break
			sleep 0.2
			# progress every minute on a long fill (hc_people of /metrics)
			n=$((n + 1))
			[ $((n % 300)) = 0 ] || continue
			people=$(curl -sf --cacert ca.pem "$URL/metrics" | sed -n 's/^hc_people //p')
			[ -n "$people" ] && awk -v p="$people" -v n="$PEOPLE" -v t="$(($(date +%s) - f0))" \
				'BEGIN { r = p / (t > 0 ? t : 1); printf "  fill: %d of %d people, %.0f/s, about %.0f s to go\n", p, n, r, (n - p) / (r > 0 ? r : 1) }'
		done
		pid=$(pgrep -P "$WRK" -x wrk) && kill -INT "$pid"
	fi
	wait "$WRK"; WRK=""
	read -r a1 t1 <<< "$(cpu_all)"; s1=$(cpu_srv); k1=$(cpu_sys); r1=$(srv_reads); d1=$(srv_disk); w1=$(srv_wrote)
	read -r v1 n1 <<< "$(srv_cs)"
	# shellcheck disable=SC2046 # the result line split into words
	set -- $(grep '^result ' "$name.out")
	[ "${1:-}" = result ] || { cat "$name.out" "$name.err"; die "$name: wrk printed no result"; }
	REQS=$3 RATE=$7 P50=$9 P99=${11} ERR=${13} P999=${15:-?} PMAX=${17:-?}
	# the share of the machine that neither hc-issued nor wrk used
	local wrk_t
	wrk_t=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%d", ($1 + $2) * hz }' "$name.time")
	SRV_MS=$(awk -v s="$((s1 - s0))" -v n="$REQS" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.3f", (n > 0 ? 1000 * s / hz / n : 0) }')
	WRK_MS=$(awk -v w="$wrk_t" -v n="$REQS" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.3f", (n > 0 ? 1000 * w / hz / n : 0) }')
	READS=$(awk -v r="$((r1 - r0))" -v n="$REQS" 'BEGIN { printf "%.1f", (n > 0 ? r / n : 0) }')
	DISK=$(awk -v d="$((d1 - d0))" -v n="$REQS" 'BEGIN { printf "%.1f", (n > 0 ? d / 1024 / n : 0) }')
	WROTE=$(awk -v w="$((w1 - w0))" -v n="$REQS" 'BEGIN { printf "%.1f", (n > 0 ? w / 1024 / n : 0) }')
	CS=$(awk -v v="$((v1 - v0))" -v i="$((n1 - n0))" -v n="$REQS" \
		'BEGIN { printf "%.2f voluntary + %.2f involuntary", (n > 0 ? v / n : 0), (n > 0 ? i / n : 0) }')
	SYS_PCT=$(awk -v k="$((k1 - k0))" -v s="$((s1 - s0))" 'BEGIN { printf "%.0f", (s > 0 ? 100 * k / s : 0) }')
	OTHER=$(awk -v a="$((a1 - a0))" -v t="$((t1 - t0))" -v s="$((s1 - s0))" -v w="$wrk_t" \
		'BEGIN { o = (t > 0) ? (a - s - w) / t : 0; if (o < 0) o = 0; printf "%.0f", 100 * o }')
	if [ "$ERR" != 0 ]; then
		echo "  FAILED: $ERR requests failed (first answers:)"; head -n 3 "$name.err"; ok=0
	fi
}
# the service's CPU per request, and what a machine of NCPU idle cores
# would allow at that cost (wrk and the others take their share here)
cpu_note() {
	awk -v ms="$SRV_MS" -v wm="$WRK_MS" -v n="$NCPU" -v o="$OTHER" -v k="$SYS_PCT" -v r="$READS" -v d="$DISK" -v w="$WROTE" -v cs="$CS" 'BEGIN {
		printf "    hc-issued used %.3f ms of CPU a request, %d%% of it in the kernel (%.0f/s on %d idle cores at that cost), %s reads from files a request (%s KB of them from the disk), %s KB written to the disk a request, %s context switches a request; wrk used %.3f ms a request; other processes (and the kernel writing our files) took %d%% of the machine\n",
			ms, k, (ms > 0 ? n * 1000 / ms : 0), n, r, d, w, cs, wm, o }'
}
verdict() { # VALUE OP TARGET
	awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { m = (op == ">=") ? v >= t : v <= t; print m ? "met" : "BELOW TARGET" }'
}

# ---- the limit: one ES256 sign + one verify per new code, per core ----
line=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | grep 'ecdsa (nistp256)' | tail -n 1)
set -- $line
SIGN=${7:-0} VERIFY=${8:-0}
LIMIT=$(awk -v s="$SIGN" -v v="$VERIFY" -v n="$NCPU" 'BEGIN { if (s > 0 && v > 0) printf "%.0f", n / (1 / s + 1 / v); else print 0 }')
[ "$LIMIT" != 0 ] || die "cannot parse openssl speed: $line"
fs=$(df -T "$W" | awk 'NR == 2 { print $2 " (" $7 ")" }')
echo "== hc-issued under wrk: $NCPU cores (shared: other work on the machine shows as 'others'), office on $fs"
echo "limit: openssl speed ecdsap256 sign $SIGN/s, verify $VERIFY/s per core -> $LIMIT codes/s on $NCPU cores"
ratio() { awk -v r="$1" -v l="$LIMIT" 'BEGIN { printf "%.2f", r / l }'; }

# ---- fill: PEOPLE people through the API ----
if [ -n "$REUSE" ]; then
	echo "office $W kept before: $PEOPLE people filled; (b) only"
else
[ -z "${BENCH_PEOPLE:-}" ] && echo "registry of $PEOPLE people (BENCH_PEOPLE=1000000 for the issue's 10^6)"
t0=$(date +%s.%N)
run_wrk fill /v1/records fill 0 "$PEOPLE"
t1=$(date +%s.%N)
awk -v n="$REQS" -v t0="$t0" -v t1="$t1" 'BEGIN {
	printf "fill: %d people in %.1f s (%.0f/s) through POST /v1/records\n", n, t1 - t0, n / (t1 - t0) }'
# (a fill with failed requests is not one to reuse: BENCH_OFFICE asks for them)
[ "$ok" = 1 ] && echo "$PEOPLE" > bench.people

# ---- (a) new codes, (b) held codes ----
run_wrk new /v1/records new 50000000
printf '(a) new codes  POST /v1/records: %6d codes/s (target >= 5000: %s) = %s of the limit; p50 %s ms, p99 %s ms (target <= 50: %s); errors %s\n' \
	"$RATE" "$(verdict "$RATE" '>=' 5000)" "$(ratio "$RATE")" "$P50" "$P99" "$(verdict "$P99" '<=' 50)" "$ERR"
cpu_note
fi
held_counts() { curl -sf --cacert ca.pem "$URL/metrics" |
	awk '/^hc_held_answers_total\{cache="hit"\}/ { h = $2 } /^hc_held_answers_total\{cache="miss"\}/ { m = $2 } END { print h + 0, m + 0 }'; }
events_count() { curl -sf --cacert ca.pem "$URL/metrics" |
	awk '/^hc_events_total\{/ { n += $2 } END { print n + 0 }'; }
if [ -n "$UPLOADS" ]; then
	e0=$(events_count)
	$PY "$SRC/tests/tools/sources.py" post uploads.jsonl --port "$PORT" --cafile ca.pem \
		--token="$UPTOKEN" --threads 4 --batch 1000 --tolerate > uploads.out 2> uploads.err &
	UP=$!
	sleep 2 # the uploads under way
	t0=$(date +%s.%N); e1=$(events_count)
fi
if [ -n "${BENCH_WARM:-}" ]; then
	t0=$(date +%s.%N)
	cat registry.db > /dev/null
	awk -v a="$t0" -v b="$(date +%s.%N)" -v mb="$(($(stat -c %s registry.db) >> 20))" \
		'BEGIN { printf "registry.db read into the page cache before (b) (BENCH_WARM): %d MB in %.1f s\n", mb, b - a }'
fi
read -r h0 m0 <<< "$(held_counts)"
run_wrk held /v1/codes held "$PEOPLE"
read -r h1 m1 <<< "$(held_counts)"
if [ -n "$UPLOADS" ]; then
	t1=$(date +%s.%N); e2=$(events_count)
	kill -0 "$UP" 2>/dev/null || { echo "  FAILED: the uploads ended before (b) did"; cat uploads.out uploads.err; ok=0; }
	kill "$UP" 2>/dev/null; wait "$UP" 2>/dev/null; UP=""
	UPNOTE=$(awk -v e="$((e2 - e1))" -v t0="$t0" -v t1="$t1" -v s="$((e1 - e0))" 'BEGIN {
		printf "    beside 4 connections uploading events: %.0f events/s during (b) (%d in the 2 s before)", e / (t1 - t0), s }')
fi
printf '(b) held codes POST /v1/codes:   %6d codes/s (target >= 20000: %s) = %s of the limit; p50 %s ms, p99 %s ms (target <= 20: %s); errors %s\n' \
	"$RATE" "$(verdict "$RATE" '>=' 20000)" "$(ratio "$RATE")" "$P50" "$P99" "$(verdict "$P99" '<=' 20)" "$ERR"
echo "    p99.9 $P999 ms, the slowest $PMAX ms"
cpu_note
[ -n "$UPLOADS" ] && echo "$UPNOTE"
awk -v h="$((h1 - h0))" -v m="$((m1 - m0))" 'BEGIN {
	printf "    held-code cache: %d hits, %d misses (%.0f%% answered from the cache)\n", h, m, (h + m) ? 100 * h / (h + m) : 0 }'
# how much of the registry the kernel kept cached (a machine that reclaims
# idle page cache, such as a VM with DAMON's pageout, makes (b) read disk)
command -v fincore >/dev/null && fincore -b -n -o RES,SIZE registry.db 2>/dev/null |
	awk '{ printf "    registry.db in the page cache after (b): %.0f of %.0f MB\n", $1 / 1e6, $2 / 1e6 }'

# ---- the codes are real: one answer verifies against the trust list ----
# person 0 of service.lua: 110000, born 1940-01-01, sequence 000, check digit
id0=$(echo 11000019400101000 | awk '{ split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
	for (k = 1; k <= 17; k++) s += substr($0, k, 1) * w[k]; print $0 substr("10X98765432", s % 11 + 1, 1) }')
curl -sf --cacert ca.pem -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	-H 'Accept: image/png' -d "{\"id\":\"$id0\"}" -o one.png "$URL/v1/codes" &&
	"$B/hc-verify" --trust trust one.png >/dev/null ||
	{ echo "  FAILED: a held code fetched as PNG does not verify"; ok=0; }

people=$(curl -sf --cacert ca.pem "$URL/metrics" | sed -n 's/^hc_people //p')
# resident memory: the most at any time, and now as heap (anonymous) and
# mapped files (SQLite maps only its -shm)
awk '/^(VmHWM|RssAnon|RssFile):/ { v[$1] = $2 } END {
	printf "hc-issued memory: %.0f MiB resident at most (VmHWM); now %.0f MiB heap (RssAnon), %.0f MiB mapped files (RssFile)\n",
		v["VmHWM:"] / 1024, v["RssAnon:"] / 1024, v["RssFile:"] / 1024 }' "/proc/$SRV/status"
kill -TERM "$SRV"; wait "$SRV"; rc=$?; SRV=""
[ "$rc" = 0 ] || { echo "  FAILED: hc-issued exited $rc after SIGTERM"; tail -n 5 serve.log; ok=0; }
# on disk after the stop (the WAL is checkpointed into registry.db)
du -b registry.db* | awk -v p="${people:-0}" '{ s += $1 } END {
	printf "registry: %d people (fill + (a)), %.1f MB on disk, %.0f bytes a person\n", p, s / 1e6, p ? s / p : 0 }'
[ "$ok" = 1 ]
