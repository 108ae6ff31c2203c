#!/bin/bash
# readme.sh BUILD: the README as a new user meets it. Its quick tour (the
# code blocks between "tour begin" and "tour end") runs as pasted, in a
# fresh directory holding build/ and examples/, and does what the README
# says: the code passes, then is refused as revoked, and status exits 0.
# Every code block of the README pastes into a shell: no heredoc (an
# indented terminator never ends one) and no output lines in blocks of
# commands. The README names every Debian package `make deps` installs.
# Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(pwd)
W=$(mktemp -d /tmp/hc-readme.XXXXXX)
trap 'rm -rf "$W"' EXIT

RM=$SRC/README.md
awk '/<!-- tour end -->/ { on = 0 } on && /^    / { print substr($0, 5) } on && /^$/ { print }
	/<!-- tour begin -->/ { on = 1 }' "$RM" > "$W/tour.sh"
n=$(grep -c . "$W/tour.sh")
[ "$n" -gt 10 ] && ok "tour extracted ($n lines)" || bad "tour extraction" "$n lines"

# The tour as pasted into an interactive shell: each command runs, a
# failing one does not stop the rest. Its exit statuses are recorded.
mkdir "$W/clone"
ln -s "$B" "$W/clone/build"
ln -s "$SRC/examples" "$W/clone/examples"
(cd "$W/clone" && bash -c 'trap '\''echo "$? $BASH_COMMAND" >> ../status.txt'\'' ERR; . ../tour.sh') \
	> "$W/out.txt" 2> "$W/err.txt"
o=$(cat "$W/out.txt")
case "$o" in *"PASS green  张*  330***********123X  issuer: Zhejiang Health Commission (330000)  expires "*) ok "the code passes as the README shows" ;;
*) bad "tour: pass" "$o" ;; esac
case "$o" in *"FAIL revoked: code has been revoked (revoked since "*) ok "then it is refused as revoked" ;;
*) bad "tour: revoked" "$o" ;; esac
# the one command that fails is the verification of the revoked code (exit 1)
st=$(cat "$W/status.txt" 2> /dev/null)
[ "$st" = '1 $B/hc-verify --trust trust me.png' ] && ok "every other command exits 0" ||
	bad "tour exit statuses" "$st; $(tail -3 "$W/err.txt")"
grep -qE 'command not found|No such file|usage:' "$W/err.txt" && bad "tour stderr" "$(cat "$W/err.txt")" ||
	ok "no usage error or missing file on stderr"
grep -q '^trust list: seq 1' "$W/out.txt" && grep -q 'revocations: seq 1, 1 revoked' "$W/out.txt" &&
	ok "status shows the list and the revocation" || bad "tour status" "$o"

# every code block pastes: no heredoc, no output lines among commands
blocks=$(awk '/^    / { print NR": "$0 }' "$RM")
echo "$blocks" | grep -q '<<' && bad "a README block holds a heredoc" "$(echo "$blocks" | grep '<<')" ||
	ok "no heredoc in README code blocks"
out=$(echo "$blocks" | grep -E '^[0-9]+:     (PASS|FAIL|WARNING|ok |trust list:) ')
[ -z "$out" ] && ok "no output lines in README code blocks" || bad "output lines in blocks" "$out"

# the Debian packages
pk=$(sed -n '/^DEB_PKGS :=/,/^$/p' "$SRC/Makefile" | sed 's/DEB_PKGS :=//; s/\\//g')
missing=""
for p in $pk; do grep -qE "(^|[ ,(])$p([ ,).;]|$)" "$RM" || missing="$missing $p"; done
[ -n "$pk" ] && [ -z "$missing" ] && ok "README names every package of DEB_PKGS ($(echo $pk | wc -w))" ||
	bad "README misses packages" "$missing"
totals
[ $fail -eq 0 ]
