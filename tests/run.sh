#!/bin/sh
# run.sh [--update-counts] BUILD [NAME...]: runs the unit tests (t_*), the
# fuzz replays and the test scripts of one build (all, or the NAMEs given:
# t_codec, e2e, replay_json, ...). Last two lines: "N skipped" and
# "N passed, N failed".
#
# Besides its own checks, every unit test and script must run exactly the
# number of checks (passed + failed + skipped) pinned for it in tests/counts:
# a script whose helper died, or whose loop lost its input, runs fewer and
# fails here. A fuzz replay must replay every file of its corpus, and at
# least one. Sanitizer errors exit 86 and leave a report file (tests/lib.sh):
# either fails the program or script that showed it.
# --update-counts rewrites tests/counts from this run (refused when any
# check failed); `git diff tests/counts` then shows what changed.
#
# HC_QUEUE=DIR shares one build's run between two run.sh processes (make
# check's second core, once its plain suite is done, helps the ASan one):
# each takes a program or script by making DIR/NAME (mkdir is atomic: one
# of them gets it) and leaves DIR/NAME/seen when it has run. --helper marks
# the one that joins late: it runs what is left and does not judge the
# whole; the other, at its end, waits for the helper's last one and checks
# that every pinned program and script ran in one of the two.
update=0 helper=0
[ "${1:-}" = --update-counts ] && { update=1; shift; }
[ "${1:-}" = --helper ] && { helper=1; shift; }
[ "$update" = 1 ] && [ -n "${HC_TEST_EXCLUDE:-}${HC_QUEUE:-}" ] &&
	{ echo "run.sh: --update-counts needs every script in one run (HC_TEST_EXCLUDE or HC_QUEUE is set)"; exit 2; }
[ "$helper" = 1 ] && [ -z "${HC_QUEUE:-}" ] && { echo "run.sh: --helper needs HC_QUEUE"; exit 2; }
B=${1:-build}
[ $# -gt 0 ] && shift
only=" $* "
BN=$B
B=$(cd "$B" 2>/dev/null && pwd) || { echo "run.sh: no build directory $BN"; exit 2; }
cd "$(dirname "$0")/.." || exit 2
HC_SAN_LOG=$(mktemp -d /tmp/hc-san.XXXXXX) || exit 2
export HC_SAN_LOG
. tests/lib.sh
COUNTS=tests/counts
pass=0 fail=0 skipped=0 cfail=0
log=$(mktemp) seen=$(mktemp)
trap 'rm -rf "$log" "$seen" "$HC_SAN_LOG"' EXIT
# HC_TEST_EXCLUDE="NAME...": those are not run; their pinned checks count
# as skipped (make memcheck's CI slice leaves out the longest script).
excl=" ${HC_TEST_EXCLUDE:-} "
want() {
	case "$excl" in *" $1 "*) return 1 ;; esac
	[ "$only" = "  " ] || case "$only" in *" $1 "*) ;; *) return 1 ;; esac
	[ -z "${HC_QUEUE:-}" ] || mkdir "$HC_QUEUE/$1" 2>/dev/null
}
# done_ NAME: with HC_QUEUE, NAME has run here (its pinned line, if any)
done_() {
	[ -n "${HC_QUEUE:-}" ] || return 0
	grep "^$1 " "$seen" > "$HC_QUEUE/$1/seen.tmp"
	mv "$HC_QUEUE/$1/seen.tmp" "$HC_QUEUE/$1/seen"
}

# sanitizer NAME: a report file left by any process fails NAME
sanitizer() {
	set -- "$1" "$HC_SAN_LOG"/san.*
	[ -e "$2" ] || return 0
	echo "FAIL $1: a sanitizer report from a process it ran (its exit status was 86)"
	shift
	head -n 40 "$@"
	rm -f "$@"
	fail=$((fail + 1))
}
# pinned NAME N: N checks ran; tests/counts must say the same
pinned() {
	local_p=$(awk -v n="$1" '$1 == n { print $2 }' "$COUNTS" 2>/dev/null)
	echo "$1 $2" >> "$seen"
	[ "$local_p" = "$2" ] || [ "$update" = 1 ] && return 0
	if [ -z "$local_p" ]; then
		echo "FAIL $1: $2 checks ran, tests/counts has no line for $1"
	else
		echo "FAIL $1: $2 checks ran, tests/counts pins $local_p"
	fi
	echo "  (checks added or removed on purpose: sh tests/run.sh --update-counts $BN)"
	cfail=$((cfail + 1))
}
# result NAME LOGFILE EXIT: adds the totals a program or script printed
result() {
	grep -E '^(FAIL|SKIP)' "$2"
	line=$(tail -n 1 "$2")
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	s=$(tail -n 2 "$2" | sed -n 's/^\([0-9]*\) skipped$/\1/p')
	s=${s:-0}
	if [ -z "$p" ]; then
		echo "CRASH $1 (exit $3$([ "$3" = 86 ] && echo ', a sanitizer error'))"
		tail -n 20 "$2"
		fail=$((fail + 1))
		sanitizer "$1"
		return
	fi
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "CRASH $1 (exit $3 with no failed check)"
		tail -n 20 "$2"
		f=1
	fi
	[ "$f" -ne 0 ] && tail -n 30 "$2" | grep -v '^ok '
	sk=""
	[ "$s" -gt 0 ] && sk=", $s skipped"
	echo "$1: $p passed, $f failed$sk ($(($(date +%s) - t0)) s)"
	pass=$((pass + p)) fail=$((fail + f)) skipped=$((skipped + s))
	sanitizer "$1"
	pinned "$1" $((p + f + s))
}

for src in tests/unit/t_*.c; do
	n=$(basename "$src" .c)
	want "$n" || continue
	[ -x "$B/t/$n" ] || { echo "FAIL $n: $B/t/$n not built"; fail=$((fail + 1)); done_ "$n"; continue; }
	t0=$(date +%s)
	"$B/t/$n" > "$log" 2>&1
	result "$n" "$log" $?
	done_ "$n"
done
for src in tests/fuzz/fuzz_*.c; do
	c=$(basename "$src" .c); c=${c#fuzz_}
	want "replay_$c" || continue
	r=$B/replay/fuzz_$c
	[ -x "$r" ] || { echo "FAIL replay $c: $r not built"; fail=$((fail + 1)); done_ "replay_$c"; continue; }
	files=$(find "tests/fuzz/corpus/$c" -maxdepth 1 -type f ! -name '.*' 2>/dev/null | wc -l)
	"$r" "tests/fuzz/corpus/$c" > "$log" 2>&1
	rc=$?
	got=$(sed -n 's/^\([0-9]*\) inputs replayed$/\1/p' "$log")
	if [ "$rc" -eq 0 ] && [ "${got:-0}" -gt 0 ] && [ "$got" -eq "$files" ]; then
		echo "replay $c: $got inputs replayed"; pass=$((pass + 1))
	else
		echo "FAIL replay $c: exit $rc, ${got:-no count of} inputs replayed, $files files in tests/fuzz/corpus/$c"
		tail -n 20 "$log"; fail=$((fail + 1))
	fi
	sanitizer "replay $c"
	done_ "replay_$c"
done
# The longest under ASan first, so that the last ones to finish are short.
for s in tests/adversarial.sh tests/trust_attack.sh tests/batch.sh tests/trust_rules.sh \
	tests/e2e.sh tests/keys.sh tests/keys_tl.sh tests/office.sh tests/publishing.sh tests/readme.sh \
	tests/trust_index.sh tests/trust_revoke.sh tests/trust_snapshot.sh tests/trust_sync.sh tests/json.sh \
	tests/require.sh tests/audit.sh tests/service.sh tests/service_faults.sh tests/service_ops.sh tests/page.sh tests/install.sh \
	tests/sm2.sh tests/pkcs11.sh tests/riskfeed.sh tests/query.sh \
	tests/scan.sh tests/scan_robust.sh tests/events.sh tests/events_faults.sh \
	tests/foreign.sh tests/scan_av.sh; do
	[ -f "$s" ] || continue
	n=$(basename "$s" .sh)
	want "$n" || continue
	t0=$(date +%s)
	bash "$s" "$B" > "$log" 2>&1
	result "$n" "$log" $?
	done_ "$n"
done

[ "$helper" = 1 ] && { echo "$skipped skipped"; echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit; }
# With HC_QUEUE: wait for what the helper still runs, then count as seen
# what either run ran.
if [ -n "${HC_QUEUE:-}" ]; then
	waited=0
	for d in "$HC_QUEUE"/*/; do
		[ -d "$d" ] || continue
		while [ ! -e "$d/seen" ] && [ "$waited" -lt 3600 ]; do sleep 1; waited=$((waited + 1)); done
		[ -e "$d/seen" ] || { echo "FAIL $(basename "$d"): the helper run never finished it"; fail=$((fail + 1)); }
	done
	cat "$HC_QUEUE"/*/seen > "$seen" 2>/dev/null
fi

# every pinned program and script ran (a full run only)
if [ "$only" = "  " ]; then
	for n in $(awk '$1 !~ /^#/ && NF == 2 { print $1 }' "$COUNTS"); do
		grep -q "^$n " "$seen" && continue
		case "$excl" in *" $n "*)
			k=$(awk -v n="$n" '$1 == n { print $2 }' "$COUNTS")
			echo "SKIP $n: excluded by HC_TEST_EXCLUDE ($k checks)"
			skipped=$((skipped + k))
			continue ;;
		esac
		echo "FAIL $n: pinned in tests/counts but did not run"
		echo "  (removed on purpose: sh tests/run.sh --update-counts $BN)"
		cfail=$((cfail + 1))
	done
fi
if [ "$update" = 1 ]; then
	if [ "$fail" -ne 0 ]; then
		echo "tests/counts not updated: $fail failed (fix them first)"
	else
		new=$(mktemp)
		{
			sed -n '/^#/p' "$COUNTS" 2>/dev/null
			if [ "$only" = "  " ]; then
				cat "$seen"
			else
				awk 'NR == FNR { n[$1] = $2; next } $1 !~ /^#/ && NF == 2 && !($1 in n) { print }
					END { for (k in n) print k, n[k] }' "$seen" "$COUNTS"
			fi | sort
		} > "$new"
		cmp -s "$new" "$COUNTS" && echo "tests/counts unchanged" ||
			{ diff "$COUNTS" "$new"; cat "$new" > "$COUNTS"; echo "tests/counts updated"; }
		rm -f "$new"
		cfail=0
	fi
fi
fail=$((fail + cfail))
echo "$skipped skipped"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
