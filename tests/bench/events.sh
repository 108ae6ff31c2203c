#!/bin/bash
# events.sh BUILD: event ingestion into hc-issued over HTTPS on loopback
# (make bench runs it after the service bench). A fresh office on the
# build's file system (never tmpfs: "durable" must mean a disk); the source
# simulator (tests/tools/sources.py) makes BENCH_EVENTS lab results
# (default 10^6) for as many people (each first seen in its event, so each
# event creates a person, stores an input and a status, all audited), sent
# in requests of 1,000 lines over BENCH_CLIENTS (4) connections. Prints
# events/s (accepted, every one durable before its answer) next to the
# target of 50,000/s, the group commits' sizes, and the service's resident
# memory (VmHWM) with that many people next to the target of 256 MiB, and
# the service's CPU an event.
# Exit 1 when a line was not accepted or the service did not stop cleanly;
# a figure below its target is reported, not failed. BENCH_KEEP=1 keeps
# the office directory.
set -u
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
EVENTS=${BENCH_EVENTS:-1000000}
CLIENTS=${BENCH_CLIENTS:-4}
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

[ -x "$B/hc-issued" ] || { echo "events bench skipped: $B/hc-issued is not built"; exit 0; }
W=$(mktemp -d "$B/bench-events.XXXXXX") || exit 2
DPID=""
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	if [ -n "${BENCH_KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
cd "$W" || exit 2
die() { echo "events bench: $*" >&2; [ -s o/log ] && tail -n 20 o/log >&2; exit 2; }

. "$SRC/tests/lib.sh"     # test_ca, which service_env uses
. "$SRC/tests/tools/service_env.sh"
service_env '"threads":8,"timeout":120,"audit_interval":10' || die "office set-up"
"$B/hc-issued" init --config "$CF" >/dev/null || die "init"
T=$("$B/hc-issued" token add --config "$CF" --role source:nat --name lab42) || die "token add"
start_daemon || die "serve did not start"

echo "== events: $EVENTS lab results for as many new people, requests of 1000 lines, $CLIENTS connections"
$PY "$SRC/tests/tools/sources.py" gen lab --people "$EVENTS" --names --positive 0.01 > lab.jsonl || die "sources.py gen"
out=$($PY "$SRC/tests/tools/sources.py" post lab.jsonl --port "$PORT" --cafile ca.pem --token="$T" \
	--batch 1000 --threads "$CLIENTS") || die "post: $out"
echo "$out"
read -r acc rate secs < <(echo "$out" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["accepted"], d["events_per_s"], d["seconds"])')
rss=$(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$DPID/status)
m=$(curl -s --cacert ca.pem "$URL/metrics")
commits=$(echo "$m" | awk '/^hc_commit_batch_size_count/ {print $2}')
changes=$(echo "$m" | awk '/^hc_commit_batch_size_sum/ {print $2}')
walp=$(echo "$m" | awk '/^hc_wal_pages_total/ {print $2}')
csec=$(echo "$m" | awk '/^hc_commit_seconds_sum/ {print $2}')
cks=$(echo "$m" | awk '/^hc_writer_checkpoints_total/ {print $2}')
cksec=$(echo "$m" | awk '/^hc_writer_checkpoint_seconds_total/ {print $2}')
printf 'ingestion: %d events in %s s: %d events/s durable (target 50000: %.2f of it)\n' \
	"$acc" "$secs" "$rate" "$(echo "$rate / 50000" | bc -l)"
printf 'group commits: %s for %s changes (%.0f a commit), %s WAL pages (%.2f an event)\n' \
	"$commits" "$changes" "$(echo "$changes / ($commits + 0.0001)" | bc -l)" "$walp" \
	"$(echo "${walp:-0} / $EVENTS" | bc -l)"
# The writer is one thread: its time in transactions (changes written,
# the WAL synced) and in its own checkpoints, against the run's.
printf 'writer: %.1f s in commits, %s checkpoints of its own in %.1f s: %.0f %% of the run\n' \
	"${csec:-0}" "${cks:-0}" "${cksec:-0}" "$(echo "(${csec:-0} + ${cksec:-0}) * 100 / $secs" | bc -l)"
printf 'memory: %d MiB resident at most with %d people (target 256 MiB)\n' "$rss" "$EVENTS"
printf 'registry: %s\n' "$(du -sh o/registry.db* | awk '{s = s $2 " " $1 "  "} END {print s}')"
# The service's CPU (user and system, /proc/PID/stat): what changes are
# compared by on a shared machine, where the rate follows the others' load.
read -r -a S < "/proc/$DPID/stat"
tck=$(getconf CLK_TCK)
printf 'service CPU: %.1f s user, %.1f s system: %.1f us an event\n' "$(echo "${S[13]} / $tck" | bc -l)" \
	"$(echo "${S[14]} / $tck" | bc -l)" "$(echo "(${S[13]} + ${S[14]}) * 1000000 / $tck / $EVENTS" | bc -l)"
kill "$DPID"
wait "$DPID"
rc=$?
DPID=""
[ "$acc" = "$EVENTS" ] || { echo "events bench: $acc of $EVENTS accepted" >&2; exit 1; }
[ $rc -eq 0 ] || { echo "events bench: hc-issued exited $rc" >&2; exit 1; }
