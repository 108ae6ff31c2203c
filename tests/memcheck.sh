#!/bin/sh
# memcheck.sh BUILD VGDIR [NAME...]: runs the whole suite (tests/run.sh), or
# the programs and scripts named, once under
# valgrind memcheck. VGDIR gets one wrapper script per program of BUILD
# (hc-*, forge, auditgen, qrpng, t/t_*, replay/*) that execs valgrind on the real binary,
# logging to VGDIR/log/PID (a fork that execs, as popen does, logs nothing). Fails on any test failure, any memcheck error
# and any definitely or indirectly lost block (doc/HACKING.md).
# Last two lines: "N skipped", "N passed, N failed". Valgrind errors exit 99.
set -u
cd "$(dirname "$0")/.." || exit 2
B=$(cd "${1:-build}" && pwd) || exit 2
V=${2:-build-vg}
[ $# -gt 2 ] && shift 2 || set --
SRC=$(pwd)
[ "$(cd "$V" 2>/dev/null && pwd)" != "$B" ] || { echo "memcheck.sh: VGDIR is BUILD"; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind not installed (make deps)"; exit 2; }
rm -rf "$V" && mkdir -p "$V/t" "$V/replay" "$V/log" || exit 2
V=$(cd "$V" && pwd)
for p in "$B"/hc-keys "$B"/hc-issue "$B"/hc-issued "$B"/hc-verify "$B"/forge "$B"/auditgen "$B"/qrpng "$B"/t/t_* "$B"/replay/fuzz_*; do
	[ -x "$p" ] || continue
	w=$V/${p#"$B"/}
	cat > "$w" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \\
  --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \\
  --track-fds=no --num-callers=30 --child-silent-after-fork=yes \\
  --suppressions="$SRC/tests/valgrind.supp" \\
  --log-file="$V/log/%p" "$p" "\$@"
EOF
	chmod 755 "$w"
done

# service_faults, events_faults and service_ops kill hc-issued with SIGKILL
# on purpose: a killed process leaves a valgrind log without its summary,
# which would count as an error here, so those scripts never run under
# valgrind (their durability checks run in make check, natively and under
# ASan; service_ops also preloads libfaketime, which valgrind would wrap).
HC_TEST_EXCLUDE="${HC_TEST_EXCLUDE:-} service_faults events_faults service_ops"
export HC_TEST_EXCLUDE

# The MPI cases run too (mpirun starts the wrappers); OpenMPI's own leaks
# and PMIx's uninitialised padding are in tests/valgrind.supp.
# Two runs share the suite (run.sh --helper with HC_QUEUE, as make check's
# second core does): each program or script runs once, under valgrind, in
# whichever run takes it first; the main run waits for the helper's last
# one and checks that every pinned one ran. HC_MEMCHECK_SERIAL=1: one run.
q=$V/queue
mkdir "$q" || exit 2
hout=
if [ -z "${HC_MEMCHECK_SERIAL:-}" ]; then
	HC_QUEUE=$q sh tests/run.sh --helper "$V" "$@" > "$V/helper.out" 2>&1 &
	hpid=$!
fi
out=$(HC_QUEUE=$q sh tests/run.sh "$V" "$@" 2>&1)
rc=$?
if [ -n "${hpid:-}" ]; then
	wait "$hpid" || rc=1
	hout=$(cat "$V/helper.out")
	echo "== helper run"
	echo "$hout" | sed '$d' | grep -v '^[0-9]* skipped$'
	echo "== main run"
fi
echo "$out" | sed '$d' | grep -v '^[0-9]* skipped$'

# Totals over every process run under valgrind.
# hc-verify scan and batch --mpi execute hc-verify-scan and hc-verify-mpi
# (same pid): valgrind stops at the exec and its log has no summary; the
# programs they became run natively (doc/HACKING.md), so such a log is
# counted apart, neither clean nor an error.
procs=0 bad=0 execd=0
for f in "$V"/log/*; do
	[ -f "$f" ] || continue
	if ! grep -q 'ERROR SUMMARY' "$f" &&
	   grep -Eq '^==[0-9]+== Command: [^ ]*/hc-verify (scan|batch .*--mpi)' "$f"; then
		execd=$((execd + 1))
		continue
	fi
	procs=$((procs + 1))
	grep -q 'ERROR SUMMARY: 0 errors' "$f" && ! grep -Eq '(definitely|indirectly) lost: [1-9]' "$f" &&
		continue
	bad=$((bad + 1))
	echo "== memcheck: $(sed -n 's/^==[0-9]*== Command: //p' "$f" | cut -c1-160)"
	grep -v '^==[0-9]*== *$' "$f" | head -n 60
done
awk '
{ gsub(",", "", $4) }
/ERROR SUMMARY:/ { e += $4 }
/definitely lost:/ { d += $4 } /indirectly lost:/ { i += $4 }
/possibly lost:/ { p += $4 } /still reachable:/ { r += $4 }
END { printf "memcheck: errors %d; bytes lost: definitely %d, indirectly %d, possibly %d; still reachable %d\n", e, d, i, p, r }
' "$V"/log/* 2>/dev/null | sed "s/^memcheck:/memcheck: $procs processes ($execd more became hc-verify-scan or -mpi),/"
# totals OUT: adds a run's last two lines to p, f and s
p=0 f=0 s=0
totals() {
	last=$(echo "$1" | tail -n 1)
	tp=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	tf=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	[ -n "$tp" ] || { tp=0 tf=1; }
	ts=$(echo "$1" | tail -n 2 | sed -n 's/^\([0-9]*\) skipped$/\1/p')
	p=$((p + tp)) f=$((f + tf)) s=$((s + ${ts:-0}))
}
totals "$out"
[ -z "${hpid:-}" ] || totals "$hout"
[ "$bad" -gt 0 ] && f=$((f + bad))
echo "$s skipped"
echo "$p passed, $f failed"
[ "$rc" -eq 0 ] && [ "$f" -eq 0 ]
