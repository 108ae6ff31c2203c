#!/bin/bash
# publishing.sh BUILD: runs the rehearsal of doc/PUBLISHING.md as written:
# the code blocks between its "rehearsal begin" and "rehearsal end"
# markers, in order, in one bash with -e (any failing command fails the
# test), on a free port. Then checks where it ended: the checkpoint synced
# over TLS (test CA, IP SAN), after the rotation it passes the old key's
# code and the new key's and refuses the revoked one, its status shows the
# old key retired and the new one active, and the site holds exactly the
# trust list and the two revocation lists. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(pwd)
W=$(mktemp -d /tmp/hc-pub.XXXXXX)
R=""
cleanup() {
	[ -n "${KEEP:-}" ] && return
	[ -s "$W/server.pid" ] && kill "$(cat "$W/server.pid")" 2> /dev/null
	case "$R" in /tmp/hc-rehearsal.*) rm -rf "$R" ;; esac
	rm -rf "$W"
}
trap cleanup EXIT

DOC=$SRC/doc/PUBLISHING.md
awk '/<!-- rehearsal end -->/ { on = 0 } on && /^    / { print substr($0, 5) } on && /^$/ { print }
	/<!-- rehearsal begin -->/ { on = 1 }' "$DOC" > "$W/rehearsal.sh"
n=$(grep -c . "$W/rehearsal.sh")
[ "$n" -gt 50 ] && grep -q 'hc-verify sync' "$W/rehearsal.sh" && ok "rehearsal extracted ($n lines)" ||
	bad "rehearsal extraction" "$n lines"
# The build's programs, not the build/ of the tree the test runs from
# (the same unless BUILD is another build, e.g. build-asan).
sed -i "s|^export PATH=\"\$PWD/build:\$PATH\"$|export PATH=\"$B:\$PATH\"|" "$W/rehearsal.sh"
grep -q "^export PATH=\"$B:" "$W/rehearsal.sh" || bad "the rehearsal's PATH line changed"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Run it; the harness notes the work directory and the server for cleanup.
{
	echo 'trap '\''echo "$R" > "'"$W"'/rdir"; echo "${SERVER:-}" > "'"$W"'/server.pid"'\'' EXIT'
	cat "$W/rehearsal.sh"
} > "$W/run.sh"
t0=$(date +%s)
(cd "$SRC" && PORT=$PORT bash -e "$W/run.sh") > "$W/out.txt" 2> "$W/err.txt"
rc=$?
R=$(cat "$W/rdir" 2> /dev/null)
[ $rc -eq 0 ] && ok "the rehearsal runs as written (exit 0, $(( $(date +%s) - t0 )) s)" ||
	bad "rehearsal" "exit $rc; $(tail -5 "$W/err.txt")"
grep -q "refused, as it should be" "$W/out.txt" && [ "$(grep -c '^stdin:1: PASS green' "$W/out.txt")" -eq 3 ] &&
	ok "it printed three passes and the refusal" || bad "rehearsal output" "$(cat "$W/out.txt")"
case "$R" in /tmp/hc-rehearsal.*) ;; *) R=""; bad "no rehearsal directory"; totals; exit 1 ;; esac

cd "$R" || exit 2
V() { "$B/hc-verify" --trust checkpoint --json - < "$1"; }
kid() { "$B/hc-keys" pub "$1" | sed 's/.*"kid":"\([^"]*\)".*/\1/'; }
o=$(V old.txt); r1=$?
n=$(V new.txt); r2=$?
v=$(V revoked-later.txt); r3=$?
[ $r1 -eq 0 ] && case "$o" in *"\"kid\":\"$(kid zj/zj.key)\""*) true ;; *) false ;; esac &&
	ok "after the rotation the old key's code passes" || bad "old code" "$o"
[ $r2 -eq 0 ] && case "$n" in *"\"kid\":\"$(kid zj/zj-2.key)\""*) true ;; *) false ;; esac &&
	ok "the new key's code passes" || bad "new code" "$n"
[ $r3 -eq 1 ] && case "$v" in *'"reason":"revoked"'*) true ;; *) false ;; esac &&
	ok "the revoked code is refused (revoked)" || bad "revoked code" "$v"
[ -L checkpoint/current ] && [ -s checkpoint/sync-state.json ] &&
	cmp -s checkpoint/current/trustlist.jws site/hc/trustlist.jws &&
	cmp -s checkpoint/current/revocations/330000.jws site/hc/revocations/330000.jws &&
	ok "the checkpoint holds what was published (synced generation)" || bad "checkpoint contents"
"$B/hc-verify" status --trust checkpoint > st.txt; rc=$?
[ $rc -eq 0 ] && grep -q "trust list: seq 3" st.txt &&
	grep -q "key $(kid zj/zj.key)  retired" st.txt && grep -q "key $(kid zj/zj-2.key)  active" st.txt &&
	grep -q "revocations: seq 2, 1 revoked" st.txt && grep -q "last sync: .* from https://127.0.0.1:$PORT/hc" st.txt &&
	ok "status: seq 3, old key retired, new key active, 1 revoked" || bad "status" "$(cat st.txt)"
files=$(cd site && find . -type f | sort | tr '\n' ' ')
[ "$files" = "./hc/revocations/310000.jws ./hc/revocations/330000.jws ./hc/trustlist.jws " ] &&
	ok "published: the trust list and two revocation lists only" || bad "published files" "$files"
pid=$(cat "$W/server.pid" 2> /dev/null)
for i in $(seq 50); do kill -0 "${pid:-0}" 2> /dev/null || break; sleep 0.1; done # SIGTERM takes a moment
[ -n "$pid" ] && ! kill -0 "$pid" 2> /dev/null && ok "the rehearsal stopped its server" ||
	bad "server still running" "$pid"
grep -q '"GET /hc/revocations/310000.jws HTTP/1.1" 304' server.log &&
	ok "the checkpoint's conditional requests got 304s" || bad "no 304 in the server log"
totals
[ $fail -eq 0 ]
