#!/bin/sh
# run.sh BUILD: runs the unit tests and the end-to-end tests of one build;
# last line "N passed, N failed".
B=${1:-build}
pass=0 fail=0
log=$(mktemp)
for t in "$B"/t/t_*; do
	[ -x "$t" ] || continue
	"$t" > "$log" 2>&1
	rc=$?
	grep -E '^FAIL' "$log"
	line=$(tail -n 1 "$log")
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then
		echo "CRASH $t (exit $rc)"; tail -n 20 "$log"; fail=$((fail + 1))
	else
		[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && { echo "CRASH $t (exit $rc)"; f=1; }
		[ "$f" -ne 0 ] && tail -n 30 "$log" | grep -v '^ok ' 
		echo "$(basename "$t"): $p passed, $f failed"
		pass=$((pass + p)) fail=$((fail + f))
	fi
done
for r in "$B"/replay/fuzz_*; do
	[ -x "$r" ] || continue
	c=$(basename "$r"); c=${c#fuzz_}
	if "$r" "tests/fuzz/corpus/$c" > "$log" 2>&1; then
		echo "replay $c: $(tail -n 1 "$log")"; pass=$((pass + 1))
	else
		echo "FAIL replay $c"; tail -n 20 "$log"; fail=$((fail + 1))
	fi
done
for s in tests/e2e.sh tests/keys.sh tests/trust_*.sh tests/batch*.sh tests/json.sh tests/adversarial.sh; do
	[ -f "$s" ] || continue
	n=$(basename "$s" .sh)
	bash "$s" "$B" > "$log" 2>&1
	grep -E '^FAIL' "$log"
	line=$(tail -n 1 "$log")
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then echo "CRASH $n"; tail -n 20 "$log"; fail=$((fail + 1)); else
		echo "$n: $p passed, $f failed"; pass=$((pass + p)) fail=$((fail + f)); fi
done
rm -f "$log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
