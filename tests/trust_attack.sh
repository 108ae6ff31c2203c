#!/bin/bash
# trust_attack.sh BUILD: `hc-verify sync` against a loopback HTTPS server
# that stalls, replays and withholds validly signed files (a server without
# any private key): overlapping syncs, a list with the seq of the installed
# one, a broken held state, roots rotated out of band, a crash at each step
# of an install, two syncs at once against a server that alternates old and
# new data, and hc-verify running while syncs install. Seqs never go down
# and revoked codes and keys keep failing. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-attack.XXXXXX)
PIDS=""
cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 2

AT=2026-11-23T08:00:00+08:00
ATS=1795392000
T1=$((ATS + 3600))
ZJ=https://hc.zj.example

openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-out ca.pem -days 3650 -subj "/CN=hcode attack test CA" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign >/dev/null 2>&1
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key \
	-out srv.csr -subj /CN=localhost >/dev/null 2>&1
printf '%s\n' 'subjectAltName=IP:127.0.0.1' 'extendedKeyUsage=serverAuth' > ext.cnf
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem \
	-days 3650 -extfile ext.cnf >/dev/null 2>&1
mkdir -p pub/revocations
python3 "$SRC/tests/tools/https_server.py" --root pub --cert srv.pem --key srv.key \
	--port-file port --log srv.log --mode-file mode &
PIDS="$PIDS $!"
for i in $(seq 100); do [ -s port ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(cat port)
[ -s port ] && ok "server listening" || bad "server did not start"

K() { "$B/hc-keys" "$@"; }
for k in root root2 zj zj2; do K gen $k.key >/dev/null; done
mkdir -p dev/roots && K pub root.key > dev/roots/root.jwk
# tl OUT SEQ ZJ2-STATUS [ROOT] [NEXT-UPDATE]: zj active, zj2 as given
tl() {
	printf '{"seq":%s,"iat":1763856000,"next_update":%s,"issuers":[{"iss":"%s","name":"Zhejiang Health","region":"330000","revocations":"revocations/330000.jws","keys":[%s,%s]}]}\n' \
		"$2" "${5:-$((ATS + 90 * 86400))}" "$ZJ" "$(K pub --status active zj.key)" \
		"$(K pub --status "$3" zj2.key)" > tl.json
	rm -f "$1"; K trustlist --root "${4:-root}.key" --in tl.json --out "$1" >/dev/null
}
# rl OUT SEQ JTI...: a revocation list of zj signed by zj.key
rl() {
	local out=$1 seq=$2 j l=""
	shift 2
	for j; do l="$l${l:+,}{\"jti\":\"$j\",\"at\":$ATS}"; done
	echo "[$l]" > rl.json
	rm -f "$out"; K revoke --key zj.key --iss $ZJ --in rl.json --seq "$seq" --out "$out" >/dev/null
}
issue() { "$B/hc-issue" --key "$1.key" --iss $ZJ --record "$SRC/examples/green.json" --at $AT --validity 7d; }
G1=$(issue zj) && G2=$(issue zj) && Z2=$(issue zj2) && ok "codes issued" || bad "codes issued"
jti() { "$B/hc-verify" --trust "$1" --json --at $T1 --text "$2" | sed -n 's/.*"jti":"\([^"]*\)".*/\1/p'; }
mkdir -p j/roots && cp dev/roots/root.jwk j/roots/ && tl j/trustlist.jws 1 active
J1=$(jti j "$G1")
[ ${#J1} -eq 22 ] && ok "jti of the code to revoke" || bad "jti" "$J1"
NOBODY=AAAAAAAAAAAAAAAAAAAAAA
tl tl4.jws 4 active && tl tl5.jws 5 active && tl tl6.jws 6 revoked &&
	tl tl6b.jws 6 revoked root $((ATS + 91 * 86400)) && tl tl5r2.jws 5 revoked root2 &&
	tl tl7r2.jws 7 revoked root2 && rl rev1.jws 1 $NOBODY && rl rev2.jws 2 $NOBODY &&
	rl rev3.jws 3 "$J1" && ok "fixtures signed" || bad "fixtures signed"

V() { "$B/hc-verify" --trust dev --json --at $T1 --text "$1" 2>&1; }
# verdict NAME CODE EXIT REASON: one code's verdict
verdict() {
	local out rc
	out=$(V "$2"); rc=$?
	[ $rc -eq "$3" ] && has "$out" "\"reason\":\"$4\"" && ok "$1" || bad "$1" "exit $rc, want $3 $4: $out"
}
# seqs: "TRUSTLIST-SEQ REVOCATION-SEQ" of dev as it loads
seqs() {
	"$B/hc-verify" status --trust dev --json 2>/dev/null |
		sed -n 's/^{"seq":\([0-9]*\),.*"revocations_seq":\([0-9]*\),.*/\1 \2/p'
}
# fseqs: the same read from the files of the current generation (cheaper)
pseq() {
	local s
	s=$(cut -d. -f2 "$1" | tr '_-' '/+')
	while [ $((${#s} % 4)) -ne 0 ]; do s="$s="; done
	printf '%s' "$s" | base64 -d 2>/dev/null | sed -n 's/.*"seq":\([0-9]*\).*/\1/p'
}
fseqs() { echo "$(pseq dev/current/trustlist.jws) $(pseq dev/current/revocations/330000.jws)"; }
sy() { # NAME EXIT SYNC-ARGS...
	local name=$1 want=$2
	shift 2
	timeout 60 "$B/hc-verify" sync --trust dev --cacert ca.pem "$@" "$URL" > out.txt 2> err.txt
	RC=$?
	[ $RC -eq "$want" ] && ok "$name (exit $want)" ||
		bad "$name" "exit $RC, want $want; out: $(cat out.txt); err: $(cat err.txt)"
}
publish() { cp "$1" pub/trustlist.jws; cp "$2" pub/revocations/330000.jws; }

# ---- 1. overlapping syncs: a stalled run must not install old data over
# what a later run installed ----
publish tl4.jws rev1.jws
sy "first sync" 0
[ "$(seqs)" = "4 1" ] && ok "seq 4, revocations 1" || bad "first sync state" "$(seqs)"
publish tl5.jws rev2.jws
echo "/revocations/330000.jws hold $W/rev2.jws" > mode
"$B/hc-verify" sync --trust dev --cacert ca.pem --timeout 40 "$URL" > a.out 2> a.err &
A=$!
for i in $(seq 100); do grep -q HOLD srv.log && break; sleep 0.1; done
grep -q HOLD srv.log && ok "run A stalled after fetching trust list 5" || bad "run A not stalled"
rm -f mode
publish tl6.jws rev3.jws
t0=$(date +%s%N)
"$B/hc-verify" sync --trust dev --cacert ca.pem --wait 1 "$URL" > b.out 2> b.err; rc=$?
el=$((($(date +%s%N) - t0) / 1000000))
[ $rc -eq 2 ] && has "$(cat b.err)" "another hc-verify sync holds" && [ $el -ge 900 ] && [ $el -lt 5000 ] &&
	ok "second run waits about --wait 1, then exit 2 (${el} ms)" ||
	bad "second run while one holds the lock" "exit $rc after ${el} ms: $(cat b.err)"
"$B/hc-verify" sync --trust dev --cacert ca.pem "$URL" > c.out 2> c.err &
C=$!
sleep 0.5
touch mode.release
wait $A; ra=$?
wait $C; rc=$?
[ $ra -eq 0 ] && [ $rc -eq 0 ] && ok "stalled run and waiting run both exit 0" ||
	bad "overlapping runs" "A exit $ra: $(cat a.out a.err); C exit $rc: $(cat c.out c.err)"
[ "$(seqs)" = "6 3" ] && ok "overlapping syncs end at seq 6, revocations 3" || bad "after overlap" "$(seqs)"
verdict "code revoked in seq 3 fails after the overlap" "$G1" 1 revoked
verdict "code of the key revoked in seq 6 fails after the overlap" "$Z2" 1 key-not-valid
verdict "other code passes" "$G2" 0 ok
rm -f mode.release

# ---- 2. a different trust list with the seq of the installed one ----
cp tl6b.jws pub/trustlist.jws
sy "another trust list with seq 6 refused" 1
has "$(cat err.txt)" rollback && ok "refusal names the rollback" || bad "same-seq refusal" "$(cat err.txt)"
[ "$(seqs)" = "6 3" ] && ok "still seq 6, revocations 3" || bad "after same seq" "$(seqs)"

# ---- 3. durable baselines: a broken held state, rotated roots ----
publish tl6.jws rev3.jws
cp -a dev dev.good
printf 'garbage' > dev.tl && mv dev.tl "$(readlink -f dev/current/trustlist.jws)"
"$B/hc-verify" --trust dev --at $T1 --text "$G2" >/dev/null 2>&1
[ $? -eq 2 ] && ok "a broken held trust list does not load (exit 2)" || bad "broken held list loads"
publish tl5.jws rev2.jws
sy "older trust list refused with the held one broken" 1
publish tl6.jws rev2.jws
sy "older revocation list refused with the held trust list broken" 1
rm -rf dev && cp -a dev.good dev
rm -f "$(readlink -f dev/current)/revocations/330000.jws"
sy "older revocation list refused with the held one deleted" 1
rm -rf dev && cp -a dev.good dev
rm dev/roots/root.jwk && K pub root2.key > dev/roots/root2.jwk
publish tl5r2.jws rev3.jws
sy "roots rotated out of band: older list of the new root refused" 1
publish tl7r2.jws rev3.jws
sy "roots rotated out of band: newer list of the new root accepted" 0
[ "$(seqs)" = "7 3" ] && ok "seq 7 under the new root" || bad "after rotation" "$(seqs)"
rm -rf dev && cp -a dev.good dev
publish tl6.jws rev3.jws
sy "back to the good state" 0

# ---- 4. a crash at each step of an install ----
n=10
for p in staged staged-synced baseline-before baseline-after link-made link-renamed switched \
	cleanup-one cleaned; do
	X=$(issue zj); JX=$(jti dev "$X")
	old="$(seqs)"
	tl tlc.jws $n revoked && rl rlc.jws $n "$J1" "$JX" && publish tlc.jws rlc.jws
	(HC_TEST_CRASH_AT=$p "$B/hc-verify" sync --trust dev --cacert ca.pem "$URL" >/dev/null 2>&1
		echo $? > rc.txt) 2>/dev/null
	rc=$(cat rc.txt)
	now="$(seqs)"
	o1=$(V "$G2"); r1=$?
	o2=$(V "$X"); r2=$?
	if [ $rc -ne 137 ]; then bad "crash at $p" "sync exit $rc, not killed there"
	elif [ "$now" = "$old" ] && [ $r1 -eq 0 ] && [ $r2 -eq 0 ]; then ok "crash at $p: the old generation loads"
	elif [ "$now" = "$n $n" ] && [ $r1 -eq 0 ] && [ $r2 -eq 1 ] && has "$o2" '"revoked"'; then
		ok "crash at $p: the new generation loads"
	else bad "crash at $p" "was $old, now '$now'; good code exit $r1 $o1; new revoked code exit $r2 $o2"; fi
	sy "sync after the crash at $p" 0
	[ "$(seqs)" = "$n $n" ] && ok "new state after the crash at $p" || bad "after crash at $p" "$(seqs)"
	publish tl6.jws rev3.jws
	sy "no rollback after the crash at $p" 1
	[ "$(ls dev/gen)" = "$(readlink dev/current | cut -d/ -f2)" ] && [ ! -e dev/current.tmp ] &&
		ok "one generation left after the crash at $p" || bad "generations after $p" "$(ls dev/gen)"
	n=$((n + 1))
done

# ---- 5. two syncs at once, 50 times, against a server alternating old
# and new data: the state never goes below what either installed ----
tl tlA.jws 40 revoked && tl tlB.jws 41 revoked && rl rlA.jws 40 "$J1" && rl rlB.jws 41 "$J1"
printf '%s\n' "/trustlist.jws alt $W/tlA.jws $W/tlB.jws" \
	"/revocations/330000.jws alt $W/rlB.jws $W/rlA.jws $W/rlA.jws" > mode
maxt=0 maxr=0 worse="" codes=""
for r in $(seq 50); do
	"$B/hc-verify" sync --trust dev --cacert ca.pem "$URL" > p1.out 2>&1 &
	q1=$!
	"$B/hc-verify" sync --trust dev --cacert ca.pem "$URL" > p2.out 2>&1 &
	q2=$!
	wait $q1; c1=$?
	wait $q2; c2=$?
	codes="$codes$c1$c2"
	for f in p1.out p2.out; do
		t=$(sed -n 's/^trustlist.jws: .* (seq \([0-9]* -> \)\{0,1\}\([0-9]*\))$/\2/p' $f)
		v=$(sed -n 's/^revocations\/330000.jws: .* (seq \([0-9]* -> \)\{0,1\}\([0-9]*\))$/\2/p' $f)
		[ -n "$t" ] && [ "$t" -gt $maxt ] && maxt=$t
		[ -n "$v" ] && [ "$v" -gt $maxr ] && maxr=$v
	done
	set -- $(fseqs)
	{ [ "${1:-0}" -lt $maxt ] || [ "${2:-0}" -lt $maxr ]; } && worse="$worse round $r: $* < $maxt $maxr;"
done
rm -f mode
[ "$(fseqs)" = "$(seqs)" ] && ok "the current generation's files are what loads" ||
	bad "current generation" "$(fseqs) vs $(seqs)"
[ -z "$worse" ] && [ $maxt -eq 41 ] && ok "50 double syncs: never below the newest installed ($(seqs))" ||
	bad "double syncs" "$worse max $maxt $maxr"
has "$codes" 2 && bad "double syncs exit 0 or 1 only" "$codes" || ok "double syncs exit 0 or 1 only"

# ---- 6. hc-verify while syncs install: never exit 2, never a pass for
# a code revoked in every generation ----
for s in $(seq 50 61); do tl tl$s.jws $s revoked && rl rl$s.jws $s "$J1"; done
rm -f stop loop.bad loop.n
(
	while [ ! -e stop ]; do
		"$B/hc-verify" --trust dev --at $T1 --text "$G2" >/dev/null 2>&1; a=$?
		"$B/hc-verify" --trust dev --at $T1 --text "$G1" >/dev/null 2>&1; b=$?
		[ $a -eq 0 ] && [ $b -eq 1 ] || echo "good $a revoked $b" >> loop.bad
		echo >> loop.n
	done
) &
L=$!
PIDS="$PIDS $L"
bad6=""
for s in $(seq 50 61); do
	publish tl$s.jws rl$s.jws
	"$B/hc-verify" sync --trust dev --cacert ca.pem "$URL" >/dev/null 2>&1 || bad6="$bad6 $s"
done
touch stop
wait $L
[ -z "$bad6" ] && [ "$(seqs)" = "61 61" ] && ok "12 syncs installed while hc-verify ran" ||
	bad "syncs under load" "failed:$bad6; $(seqs)"
[ ! -s loop.bad ] && [ "$(wc -l < loop.n)" -ge 5 ] &&
	ok "hc-verify during syncs: $(wc -l < loop.n) rounds, never exit 2, revoked code never passed" ||
	bad "hc-verify during syncs" "$(wc -l < loop.n 2>/dev/null) rounds: $(sort loop.bad | uniq -c | head)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
