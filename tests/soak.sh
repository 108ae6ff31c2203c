#!/bin/bash
# soak.sh BUILD: the real hc-issued for SOAK_SECONDS (default 600) under a
# mixed, modest load, sampled over time: does anything grow that should
# not? Not part of `make check` (`make soak` runs it).
#
# The office is tests/tools/service_env.sh's (on the build's file system:
# the commits reach a disk), audit published every 10 s, codes valid
# SOAK_VALIDITY (default 120s): they expire during the run, so that what
# is live (unexpired codes, the revocation list: those expired less than
# 5 minutes ago) levels off after some 7 minutes while what only
# accumulates (expired and revoked codes, audit entries, events seen,
# inputs) goes on growing, and a cost that follows the latter shows. The daemon and
# the load share CPU SOAK_CPUS (default "1", taskset), so that the other
# core stays free. Every tick (SOAK_TICK, 5 s):
#   - new codes: wrk, one connection for 1 s (tests/bench/service.lua new:
#     people never seen);
#   - held codes: wrk, one connection for 1 s (service.lua held, among the
#     people made so far);
#   - 200 lab results (tests/tools/sources.py gen lab, half of them
#     positive, at random among 3,000 people of another district): people
#     made, re-evaluated, their status changed, which revokes (supersedes)
#     their codes;
#   - POST /v1/codes for 10 of those people (a code that the next results
#     may supersede) and POST /v1/revocations of 2 of the codes answered;
#   - GET /metrics, timed.
# Every SOAK_SAMPLE seconds (default: a twentieth of the run, at least 10)
# one row: the daemon's resident memory (VmRSS) and its heap apart
# (RssAnon), open fds, threads, its CPU a request over the interval (all
# requests: new, held, events, codes, revocations, scrapes), the slowest
# /metrics scrape of the interval, the revocation lists published in it and
# the slowest of them (from the log's "published revocation list ... ms"),
# the codes the list holds, the WAL and the registry on disk.
#
# Fails (exit 1) when a request failed, the daemon did not stop cleanly on
# SIGTERM, the published audit chain does not verify, or the resident
# memory or the open fds grew between the second third of the run and the
# last: the largest of the last third may exceed the largest of the second
# third by at most SOAK_RSS_PCT (default 10) % of the latter or
# SOAK_RSS_MIB (default 16) MiB, whichever is more, and by SOAK_FDS
# (default 8) fds. The first third is the warm-up: the caches filling,
# each bounded (the writer's pages 64 MiB, the held codes 60 MiB, the
# read connections' pages): 170 MiB resident in 600 s here. A
# 600 s run grows its registry to some 470 MB, past all of them. A run
# under 300 s is all warm-up: its memory is shown, not judged.
# SOAK_KEEP=1 keeps the office directory.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
SECS=${SOAK_SECONDS:-600}
TICK=${SOAK_TICK:-5}
SAMPLE=${SOAK_SAMPLE:-$((SECS / 20 > 10 ? SECS / 20 : 10))}
CPUS=${SOAK_CPUS:-1}
RSS_MIB=${SOAK_RSS_MIB:-16}
RSS_PCT=${SOAK_RSS_PCT:-10}
FDS_BOUND=${SOAK_FDS:-8}
LUA=$SRC/tests/bench/service.lua

[ -x "$B/hc-issued" ] || { echo "soak skipped: $B/hc-issued is not built"; exit 0; }
command -v wrk >/dev/null || { echo "soak skipped: wrk is not installed (apt-get install wrk)"; exit 0; }
command -v taskset >/dev/null || { echo "soak skipped: taskset is not installed"; exit 0; }

W=$(mktemp -d "$B/soak.XXXXXX") || exit 2
DPID=""
cleanup() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	if [ -n "${SOAK_KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
cd "$W" || exit 2
die() { echo "soak: $*" >&2; [ -s o/log ] && tail -n 20 o/log >&2; exit 2; }
T() { taskset -c "$CPUS" "$@"; }

. "$SRC/tests/tools/service_env.sh"
service_env "\"threads\":2,\"audit_interval\":10,\"validity\":\"${SOAK_VALIDITY:-120s}\"" || die "setup"
D() { "$B/hc-issued" "$@"; }
D init --config "$CF" >/dev/null || die "init"
TC=$(D token add --config "$CF" --role counter --name desk) &&
	TL=$(D token add --config "$CF" --role source:nat --name lab) &&
	TA=$(D token add --config "$CF" --role admin --name boss) || die "token add"
taskset -c "$CPUS" "$B/hc-issued" serve --config "$CF" --log o/log &
DPID=$!
for _ in $(seq 100); do
	curl -s --cacert ca.pem "$URL/healthz" >/dev/null 2>&1 && break
	kill -0 "$DPID" 2>/dev/null || die "hc-issued serve exited"
	sleep 0.1
done
curl -sf --cacert ca.pem "$URL/healthz" >/dev/null || die "no answer on $URL/healthz"
export HC_BENCH_TOKEN=$TC HC_BENCH_THREADS=1
HZ=$(getconf CLK_TCK)

# ---- the load, one tick ----
START=0 ERRS=0 TICKS=0 SCRAPE_MAX=0
fail_note() { ERRS=$((ERRS + 1)); [ "$ERRS" -le 5 ] && echo "  request failed: $*" >&2; }
run_wrk() { # MODE PATH ARGS...: one connection for 1 s; sets REQS
	local out
	out=$(T wrk -t1 -c1 -d1s --timeout 10s -s "$LUA" "$URL$2" -- "$1" "${@:3}" 2>wrk.err)
	# shellcheck disable=SC2046 # the result line split into words
	set -- $(echo "$out" | grep '^result ')
	REQS=${3:-0}
	[ "${13:-1}" = 0 ] || fail_note "wrk $MODE: ${13:-no result}: $(head -c 200 wrk.err)"
}
tick() {
	local k=$TICKS ids n jtis
	MODE=new run_wrk new /v1/records "$START"
	START=$((START + REQS))
	[ "$START" -gt 0 ] && MODE=held run_wrk held /v1/codes "$START"
	T "$PY" "$SRC/tests/tools/sources.py" gen lab --people 3000 --events 200 --random --seed "$k" \
		--first-event $((k * 200)) --prefix soak --names --positive 0.5 --age 3600 > ev.jsonl &&
		T "$PY" "$SRC/tests/tools/sources.py" post ev.jsonl --port "$PORT" --cafile ca.pem \
			--token="$TL" --threads 1 --batch 200 > ev.out 2>ev.err &&
		grep -q '"accepted": *[1-9]' ev.out || fail_note "events: $(head -c 200 ev.out ev.err)"
	# codes for 10 of those people, on one connection
	ids=$(head -n 10 ev.jsonl | sed -n 's/.*"id": *"\([0-9X]*\)".*/\1/p')
	: > codes.cfg
	# (each operation after "next" has its own options)
	for id in $ids; do
		printf 'url = "%s/v1/codes"\ncacert = "ca.pem"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\ndata = "{\\"id\\":\\"%s\\"}"\nwrite-out = "\\n"\nnext\n' \
			"$URL" "$TC" "$id" >> codes.cfg
	done
	T curl -s -K codes.cfg > codes.out 2>/dev/null
	n=$(grep -c '"jws"' codes.out)
	[ "$n" = 10 ] || fail_note "codes: $n of 10: $(grep -v '"jws"' codes.out | head -c 200)"
	jtis=$(sed -n 's/.*"jti":"\([^"]*\)".*/\1/p' codes.out | head -n 2)
	for j in $jtis; do
		T curl -sf --cacert ca.pem -H "Authorization: Bearer $TA" -H 'Content-Type: application/json' \
			-d "{\"jti\":\"$j\",\"reason\":\"soak\"}" "$URL/v1/revocations" >/dev/null ||
			fail_note "revocation of $j"
	done
	scrape
	TICKS=$((TICKS + 1))
}
scrape() { # GET /metrics, timed (ms); keeps the slowest of the interval
	local t
	t=$(T curl -sf --cacert ca.pem -o metrics.txt -w '%{time_total}' "$URL/metrics") ||
		{ fail_note "metrics"; return; }
	SCRAPE_MAX=$(awk -v a="$SCRAPE_MAX" -v t="$t" 'BEGIN { t *= 1000; print (t > a ? t : a) }')
}

# ---- the samples ----
srv_cpu() { awk '{ print $14 + $15 }' "/proc/$DPID/stat"; }
requests() { awk '/^hc_requests_total\{/ { n += $2 } END { print n + 0 }' metrics.txt; }
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$DPID/status"; }
mb() { [ -e "$1" ] && stat -c %s "$1" | awk '{ printf "%.1f", $1 / 1048576 }' || echo 0; }
LOGLINES=0 C0=$(srv_cpu) R0=0 T0=$(date +%s)
printf '%6s %8s %8s %5s %5s %8s %10s %9s %6s %8s %7s %7s %7s %8s\n' t_s rss_mib heap_mib fds thr requests cpu_ms_req scrape_ms pubs pub_ms listed wal_mb reg_mb changes
: > samples.txt
sample() {
	local t c r rss heap fds thr cpr pubs pubms chg
	t=$(($(date +%s) - T0)) c=$(srv_cpu) r=$(requests)
	rss=$(status_kb VmRSS) heap=$(status_kb RssAnon) thr=$(status_kb Threads)
	fds=$(find "/proc/$DPID/fd" -mindepth 1 -maxdepth 1 | wc -l)
	cpr=$(awk -v c="$((c - C0))" -v r="$((r - R0))" -v hz="$HZ" \
		'BEGIN { printf "%.3f", (r > 0 ? 1000 * c / hz / r : 0) }')
	# the revocation lists published since the last sample, and the slowest
	read -r pubs pubms <<< "$(tail -n +$((LOGLINES + 1)) o/log |
		sed -n 's/.*published revocation list seq [0-9]* ([0-9]* codes, \([0-9.]*\) ms).*/\1/p' |
		awk '{ n++; if ($1 > m) m = $1 } END { printf "%d %.1f\n", n, m }')"
	LOGLINES=$(wc -l < o/log)
	chg=$(awk '/^hc_status_changes_total / { print $2 }' metrics.txt)
	printf '%6d %8.1f %8.1f %5d %5d %8d %10s %9.1f %6d %8s %7s %7s %7s %8s\n' "$t" \
		"$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$(awk -v k="$heap" 'BEGIN { print k / 1024 }')" \
		"$fds" "$thr" "$r" "$cpr" "$SCRAPE_MAX" "$pubs" "$pubms" \
		"$(awk '/^hc_codes_revoked / { print $2 }' metrics.txt)" \
		"$(mb o/registry.db-wal)" "$(mb o/registry.db)" "${chg:-0}" | tee -a samples.txt
	C0=$c R0=$r SCRAPE_MAX=0
}

END=$((T0 + SECS)) NEXT=$((T0 + SAMPLE)) LAST=$T0
while [ "$(date +%s)" -lt "$END" ]; do
	t1=$(date +%s%N)
	tick
	kill -0 "$DPID" 2>/dev/null || die "hc-issued exited during the run"
	[ "$(date +%s)" -ge "$NEXT" ] && { sample; LAST=$(date +%s); NEXT=$((NEXT + SAMPLE)); }
	left=$(awk -v a="$t1" -v b="$(date +%s%N)" -v t="$TICK" 'BEGIN { l = t - (b - a) / 1e9; print (l > 0 ? l : 0) }')
	sleep "$left"
done
# a last sample unless one was taken a moment ago (its CPU a request
# would be that of a scrape or two)
[ $(($(date +%s) - LAST)) -ge $((SAMPLE / 2)) ] && { scrape; sample; }

# ---- the verdict ----
ok=1
echo "load: $TICKS ticks of $TICK s; $START new codes (people of service.lua), $(grep -c . samples.txt) samples"
echo "status changes (hc_status_changes_total, the column 'changes') and revoked codes listed ('listed'): $(awk '/^hc_status_changes_total / { c = $2 } /^hc_codes_revoked / { r = $2 } END { print c + 0 " and " r + 0 }' metrics.txt)"
[ "$ERRS" = 0 ] || { echo "FAIL: $ERRS requests failed"; ok=0; }
# the second and the last third of the run, by the samples' times
read -r r2 r3 f2 f3 <<< "$(awk -v s="$SECS" '
	$1 >= s / 3 && $1 < 2 * s / 3 { if ($2 > r2) r2 = $2; if ($4 > f2) f2 = $4; n2++ }
	$1 >= 2 * s / 3 { if ($2 > r3) r3 = $2; if ($4 > f3) f3 = $4; n3++ }
	END { print (n2 ? r2 : -1), (n3 ? r3 : -1), (n2 ? f2 : -1), (n3 ? f3 : -1) }' samples.txt)"
if [ "$r2" = -1 ] || [ "$r3" = -1 ]; then
	echo "FAIL: too few samples to compare the second third with the last"; ok=0
else
	bound=$(awk -v a="$r2" -v m="$RSS_MIB" -v p="$RSS_PCT" 'BEGIN { b = a * p / 100; printf "%.1f", (b > m ? b : m) }')
	if awk -v a="$r2" -v b="$r3" -v m="$bound" 'BEGIN { exit !(b - a <= m) }'; then
		echo "resident memory: at most $r2 MiB in the second third, $r3 MiB in the last (bound: +$bound MiB)"
	elif [ "$SECS" -lt 300 ]; then
		# the caches fill for the first minutes (60 s: 42 to 111 MiB)
		echo "resident memory: at most $r2 MiB in the second third, $r3 MiB in the last: not judged in a run under 300 s (the caches still fill)"
	else
		echo "FAIL: resident memory grew from at most $r2 MiB (second third) to $r3 MiB (last third), more than $bound MiB"
		ok=0
	fi
	if [ "$((f3 - f2))" -le "$FDS_BOUND" ]; then
		echo "open fds: at most $f2 in the second third, $f3 in the last (bound: +$FDS_BOUND)"
	else
		echo "FAIL: open fds grew from at most $f2 (second third) to $f3 (last third), more than $FDS_BOUND"
		ok=0
	fi
fi
kill -TERM "$DPID"; wait "$DPID"; rc=$?; DPID=""
[ "$rc" = 0 ] || { echo "FAIL: hc-issued exited $rc after SIGTERM"; tail -n 5 o/log; ok=0; }
# the audit chain published at the stop verifies
"$B/hc-verify" audit --trust trust o/publish >/dev/null 2>audit.err ||
	{ echo "FAIL: the published audit chain does not verify: $(head -c 300 audit.err)"; ok=0; }
[ "$ok" = 1 ] && echo "soak: passed" || echo "soak: FAILED"
[ "$ok" = 1 ]
