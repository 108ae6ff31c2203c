#!/bin/bash
# trust_snapshot.sh BUILD: snapshots (DESIGN 6a) against a loopback HTTPS
# server that withholds and replays validly signed files. Without a
# snapshot key a withheld revocation list goes unnoticed (freshness
# unchecked, as status says); with one, sync installs only files that match
# one snapshot, refuses older snapshots, requires snapshots from then on, and
# once the snapshot held expires every verdict carries stale-trust and
# --strict fails. Times are relative to now (snapshots expire in real time).
# Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-snap.XXXXXX)
PIDS=""
cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 2

NOW=$(date +%s)
SOON=$((NOW + 3600))      # the first snapshots are still valid
LATE=$((NOW + 3 * 3600))  # they expired (2h)
ZJ=https://hc.zj.example

openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-out ca.pem -days 3650 -subj "/CN=hcode snapshot test CA" \
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

K() { "$B/hc-keys" "$@"; }
for k in root zj snap rogue; do K gen $k.key >/dev/null; done
mkdir -p dev/roots && K pub root.key > dev/roots/root.jwk
# tl OUT SEQ [SNAPSHOT-KEY]: a trust list, naming a snapshot key if given
tl() {
	local sk=""
	[ -n "${3:-}" ] && sk=',"snapshot_key":'$(K pub "$3")
	printf '{"seq":%s,"iat":%s,"next_update":%s%s,"issuers":[{"iss":"%s","name":"Zhejiang Health","region":"330000","revocations":"revocations/330000.jws","keys":[%s]}]}\n' \
		"$2" "$NOW" $((NOW + 30 * 86400)) "$sk" "$ZJ" "$(K pub --status active zj.key)" > tl.json
	rm -f "$1"; K trustlist --root root.key --in tl.json --out "$1" >/dev/null
}
rl() { # OUT SEQ JTI...
	local out=$1 seq=$2 j l=""
	shift 2
	for j; do l="$l${l:+,}{\"jti\":\"$j\",\"at\":$NOW}"; done
	echo "[$l]" > rl.json
	rm -f "$out"; K revoke --key zj.key --iss $ZJ --in rl.json --seq "$seq" --out "$out" >/dev/null
}
# tree DIR TL RL: a published tree
tree() { rm -rf "$1"; mkdir -p "$1/revocations"; cp "$2" "$1/trustlist.jws"; cp "$3" "$1/revocations/330000.jws"; }
# snap TREE SEQ [EXPIRES] [KEY]: signs TREE/snapshot.jws
snap() { K snapshot --key "${4:-snap}.key" --seq "$2" --expires "${3:-2h}" --dir "$1" --out "$1/snapshot.jws"; }
serve() { rm -rf pub; cp -a "$1" pub; }
issue() { "$B/hc-issue" --key zj.key --iss $ZJ --record "$SRC/examples/green.json" --at $NOW --validity 7d; }
G1=$(issue) && G2=$(issue) && G3=$(issue) && ok "codes issued" || bad "codes issued"
mkdir -p j/roots && cp dev/roots/root.jwk j/roots/ && tl j/trustlist.jws 1
jti() { "$B/hc-verify" --trust j --json --at $SOON --text "$1" | sed -n 's/.*"jti":"\([^"]*\)".*/\1/p'; }
J1=$(jti "$G1") J3=$(jti "$G3")
NOBODY=AAAAAAAAAAAAAAAAAAAAAA

V() { "$B/hc-verify" --trust dev --json "$@" 2>&1; }
# verdict NAME CODE AT EXIT REASON STALE(yes/no) [options]
verdict() {
	local name=$1 code=$2 at=$3 want=$4 reason=$5 stale=$6 out rc
	shift 6
	out=$(V --at "$at" "$@" --text "$code"); rc=$?
	if [ $rc -eq "$want" ] && has "$out" "\"reason\":\"$reason\"" &&
		{ [ "$stale" = yes ] && has "$out" stale-trust || { [ "$stale" = no ] && ! has "$out" stale-trust; }; }; then
		ok "$name"
	else bad "$name" "exit $rc, want $want $reason stale=$stale: $out"; fi
}
sy() { # NAME EXIT
	timeout 60 "$B/hc-verify" sync --trust dev --cacert ca.pem "$URL" > out.txt 2> err.txt; RC=$?
	[ $RC -eq "$2" ] && ok "$1 (exit $2)" || bad "$1" "exit $RC, want $2; out: $(cat out.txt); err: $(cat err.txt)"
}
st() { "$B/hc-verify" status --trust dev --at "${1:-$SOON}" 2>&1; }

# ---- 1. a tree without a snapshot key: a withheld list goes unnoticed ----
tl tl1.jws 1 && rl rl1.jws 1 $NOBODY && rl rl2.jws 2 "$J1" && rl rl3.jws 3 "$J1" "$J3" &&
	ok "lists signed" || bad "lists signed"
tree t1 tl1.jws rl1.jws && serve t1
sy "sync of a tree without snapshots" 0
has "$(st)" "freshness unchecked" && ok "status: freshness unchecked" || bad "status without snapshot key" "$(st)"
verdict "no snapshot key: the code revoked in a withheld list passes, not stale" "$G1" $LATE 0 ok no

# ---- 2. migration: the trust list names the snapshot key ----
tl tl2.jws 2 snap.key && tree t2 tl2.jws rl2.jws && snap t2 1 >/dev/null && ok "snapshot 1 signed" ||
	bad "hc-keys snapshot"
serve t2
sy "sync of the first snapshot" 0
has "$(cat out.txt)" "snapshot.jws: installed (seq 1" && ok "sync reports the snapshot" || bad "sync output" "$(cat out.txt)"
s=$(st); has "$s" "snapshot: seq 1, expires" && ok "status shows snapshot seq and expiry" || bad "status" "$s"
verdict "revoked code fails" "$G1" $SOON 1 revoked no
verdict "good code passes, fresh" "$G2" $SOON 0 ok no

# ---- 3. the operator revokes G3 (list 3, snapshot 2); the server holds
# the list and the snapshot back ----
tree t3 tl2.jws rl3.jws && snap t3 2 >/dev/null
sy "withheld: old list and old snapshot served, nothing new" 0
verdict "withheld: code passes while snapshot 1 is valid" "$G3" $SOON 0 ok no
verdict "withheld: stale-trust once snapshot 1 expired" "$G3" $LATE 0 ok yes
verdict "withheld: --strict fails once snapshot 1 expired" "$G3" $LATE 1 stale-trust yes --strict
has "$(st $LATE)" "EXPIRED (stale-trust)" && ok "status says the snapshot expired" || bad "status expired" "$(st $LATE)"
mkdir -p t4/revocations && cp t3/trustlist.jws t3/snapshot.jws t4/ && cp rl2.jws t4/revocations/330000.jws
serve t4
sy "new snapshot with the old list: refused" 1
has "$(cat err.txt)" "not the file of snapshot 2" && ok "refusal names the mismatch" || bad "mismatch message" "$(cat err.txt)"
serve t3; echo "/revocations/330000.jws withhold" > mode
sy "revocation list withheld (404): refused" 2
rm -f mode
serve t3
sy "the whole new tree" 0
verdict "code revoked in list 3 fails" "$G3" $SOON 1 revoked no
verdict "fresh under snapshot 2" "$G2" $SOON 0 ok no

# ---- 4. replays and downgrades ----
serve t2
sy "snapshot 1 and list 2 replayed: refused" 1
tl tl3.jws 3 && tree t5 tl3.jws rl3.jws && serve t5
sy "a newer trust list naming no snapshot key: refused" 1
has "$(cat err.txt)" "without a valid snapshot" && ok "refusal says snapshots are required" || bad "required message" "$(cat err.txt)"
rm -rf t6 && cp -a t3 t6 && snap t6 3 2h rogue >/dev/null && serve t6
sy "snapshot signed by another key: refused" 1
rm -rf t7 && cp -a t3 t7 && snap t7 4 1 >/dev/null && sleep 1.2 && serve t7
sy "expired snapshot: refused" 1
rm -rf t8 && cp -a t3 t8 && snap t8 2 >/dev/null && serve t8
sy "another snapshot with seq 2: refused" 1
rm -rf t9 && cp -a t3 t9 && snap t9 5 >/dev/null && serve t9
sy "snapshot 5 over the same files" 0
has "$(st)" "snapshot: seq 5" && ok "snapshot 5 held" || bad "snapshot 5" "$(st)"

# ---- 5. hc-keys and a broken held snapshot ----
tl tl9.jws 9 snap.key && [ -s tl9.jws ] && ok "hc-keys trustlist accepts a snapshot_key" || bad "snapshot_key refused"
sed 's/"snapshot_key":{"kty"/"snapshot_key":{"zz":1,"kty"/' tl.json > bad.json
K trustlist --root root.key --in bad.json --out bad.jws >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] && ! cmp -s tl.json bad.json && ok "hc-keys trustlist refuses a bad snapshot_key (exit 1)" ||
	bad "bad snapshot_key" "exit $rc"
rm -f "$(readlink -f dev/current)/snapshot.jws"
verdict "no valid snapshot held: stale-trust" "$G2" $SOON 0 ok yes
has "$(st)" "no valid snapshot held" && ok "status says none is held" || bad "status none held" "$(st)"
sy "sync restores the snapshot" 0
verdict "fresh again" "$G2" $SOON 0 ok no

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
