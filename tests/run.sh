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
update=0
[ "${1:-}" = --update-counts ] && { update=1; shift; }
[ "$update" = 1 ] && [ -n "${HC_TEST_EXCLUDE:-}" ] &&
	{ echo "run.sh: --update-counts needs every script (HC_TEST_EXCLUDE is set)"; exit 2; }
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
	[ "$only" = "  " ] || case "$only" in *" $1 "*) return 0 ;; *) return 1 ;; esac
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
	[ -x "$B/t/$n" ] || { echo "FAIL $n: $B/t/$n not built"; fail=$((fail + 1)); continue; }
	t0=$(date +%s)
	"$B/t/$n" > "$log" 2>&1
	result "$n" "$log" $?
done
for src in tests/fuzz/fuzz_*.c; do
	c=$(basename "$src" .c); c=${c#fuzz_}
	want "replay_$c" || continue
	r=$B/replay/fuzz_$c
	[ -x "$r" ] || { echo "FAIL replay $c: $r not built"; fail=$((fail + 1)); continue; }
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
done
for s in tests/e2e.sh tests/keys.sh tests/keys_tl.sh tests/office.sh tests/publishing.sh tests/readme.sh tests/trust_*.sh tests/batch*.sh tests/json.sh tests/adversarial.sh \
	tests/require.sh tests/audit.sh tests/service.sh tests/service_faults.sh tests/page.sh tests/install.sh \
	tests/sm2.sh tests/pkcs11.sh tests/riskfeed.sh tests/query.sh \
	tests/scan.sh tests/scan_robust.sh tests/events.sh tests/events_faults.sh \
	tests/foreign.sh tests/scan_av.sh; do
	[ -f "$s" ] || continue
	n=$(basename "$s" .sh)
	want "$n" || continue
	t0=$(date +%s)
	bash "$s" "$B" > "$log" 2>&1
	result "$n" "$log" $?
done

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
