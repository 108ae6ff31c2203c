#!/bin/sh
# check.sh [--tsan TSAN_BUILD] BUILD...: runs the suite once per build
# (plain, sanitizers), then with --tsan tests/tsan.sh (hc-verify batch of
# TSAN_BUILD, built with ThreadSanitizer, on a threaded workload made with
# the first BUILD), and prints the totals as the last two lines:
# "N skipped", "N passed, N failed".
# The builds' suites run at the same time (HC_CHECK_SERIAL=1: one after the
# other): each is mostly one process at a time, so on two cores this takes
# the time of the longest instead of the sum. The first build's suite (the
# plain one) is the shortest: when it is done, its core helps the others
# (run.sh --helper with HC_QUEUE: each program or script is run once, by
# whichever of the two takes it first). Every run has its own sanitizer log
# directory, every script its own work directory, and the servers they
# start take ports the kernel picks, so the runs share no state; their
# outputs are printed in build order, a helper's after its build's.
pass=0 fail=0 skipped=0
tsan=
[ "${1:-}" = --tsan ] && { tsan=$2; shift 2; }
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
i=0
for b in "$@"; do
	i=$((i + 1))
	if [ -n "${HC_CHECK_SERIAL:-}" ]; then
		sh tests/run.sh "$b" > "$tmp/$i" 2>&1
	elif [ "$i" -eq 1 ]; then
		{
			sh tests/run.sh "$b" > "$tmp/1" 2>&1
			j=0
			for h in "$@"; do
				j=$((j + 1))
				[ "$j" -eq 1 ] && continue
				HC_QUEUE=$tmp/q$j sh tests/run.sh --helper "$h" > "$tmp/$j.helper" 2>&1
			done
		} &
	else
		mkdir "$tmp/q$i" || exit 2
		HC_QUEUE=$tmp/q$i sh tests/run.sh "$b" > "$tmp/$i" 2>&1 &
	fi
done
wait
# report NAME FILE: a suite's output and its totals
report() {
	echo "== suite in $1"
	out=$(cat "$2")
	echo "$out" | sed '$d'
	last=$(echo "$out" | tail -n 1)
	p=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	s=$(echo "$out" | tail -n 2 | sed -n 's/^\([0-9]*\) skipped$/\1/p')
	[ -n "$p" ] || { p=0 f=1; echo "$out" | tail -n 5; }
	echo "$1: $p passed, $f failed, ${s:-0} skipped"
	pass=$((pass + p)) fail=$((fail + f)) skipped=$((skipped + ${s:-0}))
}
i=0
for b in "$@"; do
	i=$((i + 1))
	report "$b" "$tmp/$i"
	[ ! -e "$tmp/$i.helper" ] || report "$b (second core)" "$tmp/$i.helper"
done
if [ -n "$tsan" ]; then
	echo "== tests/tsan.sh in $tsan"
	t0=$(date +%s)
	out=$(bash tests/tsan.sh "$tsan" "$1" 2>&1)
	echo "$out" | grep -v '^ok '
	p=$(echo "$out" | tail -n 1 | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$out" | tail -n 1 | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	[ -n "$p" ] || { p=0 f=1; echo "$out" | tail -n 5; }
	echo "$tsan: $p passed, $f failed ($(($(date +%s) - t0)) s)"
	pass=$((pass + p)) fail=$((fail + f))
fi
echo "$skipped skipped"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
