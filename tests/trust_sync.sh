#!/bin/bash
# trust_sync.sh BUILD: `hc-verify sync` against a real HTTPS server on
# loopback (tests/tools/https_server.py, a test CA made with openssl):
# first sync, conditional requests, updates, rollback, bad signatures,
# network and TLS faults, size cap, revocation lists, stale trust. After
# every refused sync the trust directory must be byte-for-byte unchanged and
# a good code must still verify. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-sync.XXXXXX)
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
T1=$((ATS + 3600))            # verification time for most checks
LATER=$((ATS + 7 * 86400))    # a week offline
ZJ=https://hc.zj.example
SH=https://hc.sh.example

# ---- test CA (trusted) and an unrelated CA, each with a server cert ----
mkca() { # NAME: NAME-ca.pem, NAME-srv.pem, NAME-srv.key
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1-ca.key" -out "$1-ca.pem" -days 3650 -subj "/CN=hcode test CA $1" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1-srv.key" -out "$1-srv.csr" -subj /CN=localhost &&
	printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
		'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' > ext.cnf &&
	openssl x509 -req -in "$1-srv.csr" -CA "$1-ca.pem" -CAkey "$1-ca.key" -CAcreateserial \
		-out "$1-srv.pem" -days 3650 -extfile ext.cnf
} 2>/dev/null
mkca a && mkca b && openssl verify -CAfile a-ca.pem a-srv.pem >/dev/null 2>&1 &&
	! openssl verify -CAfile a-ca.pem b-srv.pem >/dev/null 2>&1 &&
	ok "test CAs and server certificates" || bad "test CAs"

# ---- servers: A (test CA) and B (unknown CA), both serving pub/ ----
mkdir -p pub/revocations
srv() { # NAME CERT: starts a server, sets PORT
	rm -f "$1.port"
	python3 "$SRC/tests/tools/https_server.py" --root pub --cert "$2-srv.pem" --key "$2-srv.key" \
		--port-file "$1.port" --log "$1.log" --mode-file mode &
	PIDS="$PIDS $!"
	local i
	for i in $(seq 100); do [ -s "$1.port" ] && break; sleep 0.1; done
	PORT=$(cat "$1.port" 2>/dev/null)
}
srv a a; URL=https://127.0.0.1:$PORT
srv b b; URLB=https://localhost:$PORT
[ -n "${URL##*:}" ] && [ -n "${URLB##*:}" ] && ok "servers listening" || bad "servers did not start"

# ---- keys, trust lists, codes ----
K() { "$B/hc-keys" "$@"; }
K gen root.key >/dev/null && K gen zj.key >/dev/null && K gen sh.key >/dev/null && K gen rogue.key >/dev/null
mkdir -p dev/roots && K pub root.key > dev/roots/root.jwk
mklist() { # OUT SEQ NEXT_UPDATE [sh] [rev] [ROOTKEY]: a signed trust list
	local sh="" rev=""
	[ "${4:-}" = sh ] && sh=',{"iss":"'$SH'","name":"Shanghai Health","region":"310000","keys":['$(K pub --status active sh.key)']}'
	[ "${5:-}" = rev ] && rev='"revocations":"revocations/330000.jws",'
	printf '{"seq":%s,"iat":1763856000,"next_update":%s,"issuers":[{"iss":"%s","name":"Zhejiang Health","region":"330000",%s"keys":[%s]}%s]}\n' \
		"$2" "$3" "$ZJ" "$rev" "$(K pub --status active zj.key)" "$sh" > tl.json
	rm -f "$1"; K trustlist --root "${6:-root.key}" --in tl.json --out "$1" >/dev/null
}
revoke() { # OUT KEY ISS SEQ JTI...: a signed revocation list
	local out=$1 key=$2 iss=$3 seq=$4 j l=""
	shift 4
	for j; do l="$l${l:+,}{\"jti\":\"$j\",\"at\":$ATS}"; done
	echo "[$l]" > rl.json
	rm -f "$out"; K revoke --key "$key" --iss "$iss" --in rl.json --seq "$seq" --out "$out" >/dev/null
}
NU=$((ATS + 86400))
mklist tl1.jws 1 $NU && mklist tl2.jws 2 $NU sh && mklist tl3.jws 3 $NU sh &&
	mklist tl4.jws 4 $NU sh rev && mklist tl5.jws 5 $((LATER + 30 * 86400)) sh rev &&
	mklist tl3-rogue.jws 3 $NU sh "" rogue.key && ok "trust lists signed" || bad "trust lists signed"
issue() { "$B/hc-issue" --key "$1.key" --iss "$2" --record "$SRC/examples/green.json" --at $AT --validity 7d; }
G1=$(issue zj $ZJ) && G2=$(issue zj $ZJ) && S1=$(issue sh $SH) && ok "codes issued" || bad "codes issued"

V() { "$B/hc-verify" --trust dev --json "$@" 2>&1; }
# code NAME QRTEXT EXIT REASON [hc-verify options]: verdict on one code
code() {
	local name=$1 qr=$2 want_rc=$3 want=$4 out rc
	shift 4
	out=$(V --at $T1 "$@" --text "$qr"); rc=$?
	[ $rc -eq "$want_rc" ] && case "$out" in *"\"reason\":\"$want\""*) true ;; *) false ;; esac &&
		ok "$name" || bad "$name" "exit $rc, want $want_rc $want: $out"
}
NOPFX=""  # failed syncs whose stderr lacks the "hc-verify sync: " prefix
sy() { # NAME EXIT SYNC-ARGS...: runs hc-verify sync, checks its exit status
	local name=$1 want=$2
	shift 2
	timeout 30 "$B/hc-verify" sync --trust dev "$@" > out.txt 2> err.txt; RC=$?
	OUT=$(cat out.txt) ERR=$(cat err.txt)
	if [ $RC -ne "$want" ]; then bad "$name" "exit $RC, want $want; out: $OUT; err: $ERR"
	elif [ "$want" -ne 0 ] && [ -z "$ERR" ]; then bad "$name" "exit $want but nothing on stderr"
	else ok "$name (exit $want)"; fi
	[ "$want" -ne 0 ] && ! has "$ERR" "hc-verify sync: " && NOPFX="$NOPFX
    $name: $ERR"
}
state() { (cd dev && find . -path ./roots -prune -o -type f -printf '%p %i\n' | sort); }
snap() { state > snap.list; rm -rf snap; cp -a dev snap; }
unchanged() { # NAME: the trust directory is as snap left it, a good code passes
	local d="" out
	[ "$(state)" = "$(cat snap.list)" ] || d="files or inodes changed: $(state | tr '\n' ' ')"
	diff -r dev snap >/dev/null 2>&1 || d="$d contents changed: $(diff -rq dev snap 2>&1 | tr '\n' ' ')"
	out=$(V --at $T1 --text "${GOOD:-$G2}") || d="$d good code refused: $out"
	[ -z "$d" ] && ok "$1: trust dir unchanged, good code passes" || bad "$1: unchanged" "$d"
}
publish() { cp "$1" pub/trustlist.jws; }

# ---- 1. first sync into a directory holding only roots/ ----
publish tl1.jws
sy "first sync" 0 --cacert a-ca.pem "$URL"
case "$OUT" in *installed* | *updated*) ok "first sync says installed" ;; *) bad "first sync output" "$OUT" ;; esac
cmp -s dev/current/trustlist.jws tl1.jws && ok "trust list installed" || bad "trust list installed"
E=$(sha256sum tl1.jws | cut -c1-32)
grep -q -e "$E" dev/sync-state.json 2>/dev/null && ok "sync-state.json holds the ETag" || bad "sync-state.json" "$(cat dev/sync-state.json 2>&1)"
code "code verifies after first sync" "$G2" 0 ok
out=$(V --at $T1 --text "$G2"); has "$out" stale-trust && bad "fresh trust not stale" "$out" || ok "fresh trust not stale"
code "second issuer unknown before update" "$S1" 1 unknown-issuer

# ---- 2. unchanged: conditional request answered 304 ----
before=$(stat -c '%i %y' dev/current/trustlist.jws)
sy "second sync" 0 --cacert a-ca.pem "$URL"
has "$OUT" unchanged && ok "second sync says unchanged" || bad "second sync output" "$OUT"
l=$(grep ' /trustlist.jws ' a.log | tail -n 1)
case "$l" in *" /trustlist.jws 304 inm=\"$E\""*) ok "If-None-Match sent, 304 answered" ;; *) bad "conditional request" "$l" ;; esac
[ "$(stat -c '%i %y' dev/current/trustlist.jws)" = "$before" ] && ok "trustlist.jws inode and mtime kept" || bad "trustlist.jws rewritten"
code "code verifies after unchanged sync" "$G2" 0 ok

# ---- 3. update to a higher seq adding an issuer ----
publish tl2.jws
sy "update to seq 2" 0 --cacert a-ca.pem "$URL"
has "$OUT" updated && ok "update says updated" || bad "update output" "$OUT"
cmp -s dev/current/trustlist.jws tl2.jws && ok "seq 2 installed" || bad "seq 2 installed"
code "new issuer's code verifies after update" "$S1" 0 ok
snap

# ---- 4. rollback ----
publish tl1.jws
sy "rollback to seq 1 refused" 1 --cacert a-ca.pem "$URL"; unchanged "rollback"

# ---- 5. bad signatures ----
t=$(cat tl3.jws); s=${t##*.}; i=$(( ${#t} - ${#s} / 2 )); c=${t:$i:1}; r=A; [ "$c" = A ] && r=B
printf '%s' "${t:0:$i}$r${t:$((i + 1))}" > pub/trustlist.jws
sy "flipped signature byte refused" 1 --cacert a-ca.pem "$URL"; unchanged "flipped signature"
publish tl3-rogue.jws
sy "list signed by a non-root key refused" 1 --cacert a-ca.pem "$URL"; unchanged "non-root signature"

# ---- 6, 7, 8, 10, 11: network faults while a valid seq 3 is published ----
publish tl3.jws
echo truncate > mode
sy "connection dropped mid-body" 2 --cacert a-ca.pem "$URL"; unchanged "truncated body"
rm -f mode
sy "server cert from an unknown CA" 2 --cacert a-ca.pem "$URLB"; unchanged "unknown CA"
has "$ERR" "--cacert" && ok "unknown CA: the message suggests --cacert" || bad "--cacert hint" "$ERR"
sy "test CA without --cacert (system CAs)" 2 "$URL"; unchanged "no --cacert"
has "$ERR" "give its certificate with --cacert FILE" && ok "no --cacert: the message suggests it" ||
	bad "--cacert hint" "$ERR"
head -c $((2 << 20)) /dev/zero | tr '\0' A > pub/trustlist.jws
sy "2 MiB trust list over the cap" 2 --cacert a-ca.pem "$URL"; unchanged "size cap"
publish tl3.jws
echo http500 > mode
sy "HTTP 500" 2 --cacert a-ca.pem "$URL"; unchanged "HTTP 500"
echo redirect-loop > mode
sy "redirect loop" 2 --cacert a-ca.pem "$URL"; unchanged "redirect loop"
echo slow > mode
t0=$(date +%s)
sy "slow server with --timeout 2" 2 --cacert a-ca.pem --timeout 2 "$URL"
el=$(( $(date +%s) - t0 ))
[ $el -le 10 ] && ok "timeout honoured (${el}s)" || bad "timeout honoured" "took ${el}s"
unchanged "slow server"
rm -f mode
python3 -u -m http.server 0 --bind 127.0.0.1 --directory pub > plain.out 2> plain.log &
PIDS="$PIDS $!"
for i in $(seq 100); do grep -q 'port [0-9]' plain.out 2>/dev/null && break; sleep 0.1; done
PP=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' plain.out)
sy "http:// URL refused" 2 "http://127.0.0.1:$PP"; unchanged "http URL"
grep -q 'GET' plain.log && bad "no plain HTTP request made" "$(cat plain.log)" || ok "no plain HTTP request made"
sy "sync after the faults" 0 --cacert a-ca.pem "$URL"
cmp -s dev/current/trustlist.jws tl3.jws && ok "seq 3 installed after the faults" || bad "seq 3 installed"

# ---- 9. revocation ----
code "code passes before revocation" "$G1" 0 ok
J1=$(V --at $T1 --text "$G1" | sed -n 's/.*"jti":"\([^"]*\)".*/\1/p')
J2=$(V --at $T1 --text "$G2" | sed -n 's/.*"jti":"\([^"]*\)".*/\1/p')
[ ${#J1} -eq 22 ] && [ ${#J2} -eq 22 ] && [ "$J1" != "$J2" ] && ok "jti read from --json" || bad "jti" "$J1 $J2"
revoke rev2.jws zj.key $ZJ 2 "$J1" && revoke rev1.jws zj.key $ZJ 1 AAAAAAAAAAAAAAAAAAAAAA &&
	revoke rev3-sh.jws sh.key $ZJ 3 AAAAAAAAAAAAAAAAAAAAAA && revoke rev3.jws zj.key $ZJ 3 "$J1" "$J2" &&
	ok "revocation lists signed" || bad "hc-keys revoke"
publish tl4.jws
sy "trust list naming a list not published yet" 2 --cacert a-ca.pem "$URL"
has "$ERR" "HTTP status 404" && has "$ERR" "publish revocation lists before the trust list" &&
	ok "404 for a revocation list: the message names the publishing order" || bad "404 hint" "$ERR"
cp rev2.jws pub/revocations/330000.jws
sy "sync with a revocation list" 0 --cacert a-ca.pem "$URL"
cmp -s dev/current/revocations/330000.jws rev2.jws && ok "revocation list installed" || bad "revocation list installed" "$(ls -l dev/current/revocations 2>&1)"
code "revoked code fails" "$G1" 1 revoked
code "other code of the issuer passes" "$G2" 0 ok
snap
cp rev1.jws pub/revocations/330000.jws
sy "revocation list rollback refused" 1 --cacert a-ca.pem "$URL"; unchanged "revocation rollback"
code "code stays revoked after refused rollback" "$G1" 1 revoked
cp rev3-sh.jws pub/revocations/330000.jws
sy "revocation list signed by another issuer refused" 1 --cacert a-ca.pem "$URL"
unchanged "revocation list by another issuer"
cp rev2.jws pub/revocations/330000.jws
sy "sync back to the good revocation list" 0 --cacert a-ca.pem "$URL"
has "$OUT" unchanged && ok "nothing new: unchanged" || bad "unchanged after good list" "$OUT"

# ---- 12. a week offline: stale trust, then a fresh sync ----
out=$(V --at $LATER --text "$G2"); rc=$?
[ $rc -eq 0 ] && case "$out" in *'"warnings":['*'"stale-trust"'*) true ;; *) false ;; esac &&
	ok "stale-trust warning a week later" || bad "stale-trust warning" "exit $rc: $out"
out=$(V --at $LATER --strict --text "$G2"); rc=$?
[ $rc -eq 1 ] && has "$out" '"reason":"stale-trust"' && ok "--strict fails stale trust" || bad "--strict stale" "exit $rc: $out"
publish tl5.jws; cp rev3.jws pub/revocations/330000.jws
sy "fresh sync after a week" 0 --cacert a-ca.pem "$URL"
out=$(V --at $LATER --strict --text "$S1"); rc=$?
[ $rc -eq 0 ] && ! has "$out" stale-trust && ok "warning gone after sync" || bad "warning gone" "exit $rc: $out"
out=$(V --at $LATER --text "$G2"); rc=$?
[ $rc -eq 1 ] && has "$out" '"reason":"revoked"' && ok "code revoked meanwhile fails" || bad "revoked meanwhile" "exit $rc: $out"
out=$("$B/hc-verify" status --trust dev 2>&1); rc=$?
[ $rc -eq 0 ] && has "$out" 5 && ok "status shows held data" || bad "status" "exit $rc: $out"

# ---- 13. a list at another issuer's path, rollback after a key compromise,
# an issuer leaving the trust list ----
GOOD=$S1 # G1 and G2 are revoked by now
snap
revoke rev7-sh.jws sh.key $SH 7 AAAAAAAAAAAAAAAAAAAAAA
cp rev7-sh.jws pub/revocations/330000.jws
sy "another issuer's valid list at this issuer's path refused" 1 --cacert a-ca.pem "$URL"
unchanged "list at another issuer's path"
code "code stays revoked (list swap refused)" "$G2" 1 revoked
K gen zj2.key >/dev/null
tl2keys() { # OUT SEQ ZJ2-STATUS [no-zj]: ZJ with keys zj and zj2, SH
	local zj='{"iss":"'$ZJ'","name":"Zhejiang Health","region":"330000","revocations":"revocations/330000.jws","keys":['$(K pub --status active zj.key),$(K pub --status "$3" zj2.key)']},'
	[ "${4:-}" = no-zj ] && zj=""
	printf '{"seq":%s,"iat":1763856000,"next_update":%s,"issuers":[%s{"iss":"%s","name":"Shanghai Health","region":"310000","keys":[%s]}]}\n' \
		"$2" $((LATER + 30 * 86400)) "$zj" "$SH" "$(K pub --status active sh.key)" > tl.json
	rm -f "$1"; K trustlist --root root.key --in tl.json --out "$1" >/dev/null
}
tl2keys tl6.jws 6 active && tl2keys tl7.jws 7 revoked && tl2keys tl8.jws 8 active no-zj &&
	revoke rev10.jws zj2.key $ZJ 10 "$J1" "$J2" && revoke rev5.jws zj.key $ZJ 5 AAAAAAAAAAAAAAAAAAAAAA &&
	revoke rev11.jws zj.key $ZJ 11 "$J1" "$J2" && ok "rotation fixtures" || bad "rotation fixtures"
publish tl6.jws; cp rev10.jws pub/revocations/330000.jws
sy "list of seq 10 signed by the second key" 0 --cacert a-ca.pem "$URL"
snap
publish tl7.jws; cp rev5.jws pub/revocations/330000.jws
sy "second key revoked, old seq 5 list replayed: refused" 1 --cacert a-ca.pem "$URL"
unchanged "replayed old list after key compromise"
code "code stays revoked (replay refused)" "$G1" 1 revoked
cp rev11.jws pub/revocations/330000.jws
sy "seq 11 signed by the remaining key accepted" 0 --cacert a-ca.pem "$URL"
cmp -s dev/current/revocations/330000.jws rev11.jws && ok "seq 11 installed" || bad "seq 11 installed"
code "code revoked under seq 11" "$G1" 1 revoked
publish tl8.jws
sy "issuer removed from the trust list" 0 --cacert a-ca.pem "$URL"
has "$OUT" removed && [ ! -e dev/current/revocations/330000.jws ] && ok "its held list is removed" ||
	bad "held list of a removed issuer" "$OUT; $(ls dev/current/revocations)"
code "its codes are unknown-issuer" "$G1" 1 unknown-issuer
sy "next sync after the removal" 0 --cacert a-ca.pem "$URL"

[ -z "$NOPFX" ] && ok "sync errors carry the 'hc-verify sync: ' prefix" ||
	bad "sync errors carry the 'hc-verify sync: ' prefix" "$NOPFX"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
