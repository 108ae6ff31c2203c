#!/bin/sh
# lint.sh: static analysis of every C source (`make lint`, doc/HACKING.md):
# clang-tidy with the checks of .clang-tidy (tests/.clang-tidy for tests/)
# and cppcheck with tests/cppcheck.supp. Any finding fails.
# LINT_CFLAGS (from the Makefile): the -std, -D and -I flags of the build.
set -u
cd "$(dirname "$0")/.." || exit 2
: "${LINT_CFLAGS:?set by make lint}"
export LINT_CFLAGS
jobs=${LINT_JOBS:-2}
files=$(ls common/*.c issuer/*.c keys/*.c verifier/*.c tests/unit/*.c tests/tools/*.c \
	tests/fuzz/*.c tests/bench/*.c)
log=$(mktemp) || exit 2
trap 'rm -f "$log"' EXIT
fail=0
t0=$(date +%s)

# One file per clang-tidy process: clang-tidy 14 carries analyzer state
# from one file to the next and then reports false positives (valist).
# Each one's output is taken whole and written at once, its "N warnings
# generated." count (not a finding) dropped there: clang-tidy writes its
# stderr unbuffered, and two counts written into one file at the same
# time came out interleaved ("33272673 warning warningss generated") and
# failed the lint.
# shellcheck disable=SC2086,SC2016
printf '%s\n' $files | xargs -P "$jobs" -I{} sh -c \
	'o=$(clang-tidy --quiet "$1" -- $LINT_CFLAGS 2>&1) || o="$o
clang-tidy: $1 failed"
	o=$(printf "%s\n" "$o" | grep -Ev "^[0-9]+ (warning|error)s?( and [0-9]+ (warning|error)s?)? generated\.\$")
	[ -z "$o" ] || printf "%s\n" "$o"' sh {} > "$log"
[ -s "$log" ] && { cat "$log"; fail=1; }
t1=$(date +%s)
echo "clang-tidy: $(echo "$files" | wc -l) files, $((t1 - t0)) s"

# cppcheck without -D so that it checks each #if configuration (HC_MPI on
# and off); system headers are described by its --library files instead.
# shellcheck disable=SC2086
cppcheck -q -j "$jobs" --std=c11 --library=posix,gnu,openssl,zlib \
	--enable=warning,portability,performance,style --inline-suppr \
	--suppressions-list=tests/cppcheck.supp --error-exitcode=1 \
	-Icommon -Iverifier -Iissuer -Itests/unit \
	--template='{file}:{line}: {severity}({id}): {message}' $files || fail=1
echo "cppcheck: $(echo "$files" | wc -l) files, $(($(date +%s) - t1)) s"
[ "$fail" -eq 0 ] && echo "lint: clean" || echo "lint: findings above"
exit "$fail"
