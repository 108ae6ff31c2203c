#!/bin/bash
# service.sh BUILD: the real hc-issued on loopback over HTTPS (a test CA
# made here with openssl), driven with curl: every endpoint, every role
# against every endpoint, each bad request with its specific error, a red
# record, the PNG answer scanned by zbarimg and verified by hc-verify,
# held codes, supersession, revocation end to end through a published list
# and `hc-verify sync`, the audit chain, privacy of identity numbers,
# SIGHUP and a draining SIGTERM. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-service.XXXXXX)
DPID="" SPID=""
cleanup() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 2

. "$SRC/tests/tools/service_env.sh"
K() { "$B/hc-keys" "$@"; }
D() { "$B/hc-issued" "$@"; }

service_env '"threads":2,"timeout":10,"max_body":65536,"audit_interval":1' &&
	ok "test CA, office key in a trust list, config" || { bad "setup"; totals; exit 1; }
NOW=$(date +%s)

# ---- CLI: init, tokens, refusals ----
D init --config $CF >/dev/null && [ "$(stat -c %a o/id.secret)" = 600 ] &&
	[ "$(stat -c %s o/id.secret)" = 32 ] && [ -s o/registry.db ] &&
	ok "init: registry and a 32-byte secret, mode 0600" || bad "init"
D init --config $CF >/dev/null 2>&1; [ $? -eq 1 ] && ok "init refuses to overwrite (exit 1)" || bad "init overwrite"
tok() { D token add --config $CF --role "$1" --name "$2"; }
T_COUNTER=$(tok counter desk-1) && T_APP=$(tok app app-1) && T_ADMIN=$(tok admin boss) &&
	T_AUDITOR=$(tok auditor watcher) && T_SOURCE=$(tok source:nat lab-1) && T_OLD=$(tok counter desk-old) &&
	ok "token add for each role" || bad "token add"
[ ${#T_COUNTER} -eq 43 ] && [ "$T_COUNTER" != "$T_APP" ] && ok "tokens are 43 characters, distinct" ||
	bad "token form" "$T_COUNTER"
D token add --config $CF --role counter --name desk-1 >/dev/null 2>&1; [ $? -eq 1 ] &&
	ok "token add: a taken name is refused (exit 1)" || bad "token name taken"
out=$(D token add --config $CF --role root --name x 2>&1); [ $? -eq 2 ] && has "$out" "unknown role" &&
	ok "token add: unknown role (exit 2)" || bad "unknown role" "$out"
D token revoke --config $CF --name desk-old && ok "token revoke" || bad "token revoke"
D token revoke --config $CF --name nobody 2>/dev/null; [ $? -eq 1 ] && ok "token revoke: unknown name (exit 1)" ||
	bad "revoke unknown"
out=$(D token list --config $CF)
has "$out" "desk-1 counter" && echo "$out" | grep -q '^desk-old counter .* 20' && ! has "$out" "$T_COUNTER" &&
	ok "token list: names and roles, revoked time, never a token" || bad "token list" "$out"
grep -aq -e "$T_COUNTER" o/registry.db o/registry.db-wal 2>/dev/null && bad "a token is stored in clear" ||
	ok "no token in clear in the registry"
sed 's/"threads":2/"threads":2,"colour":1/' $CF > bad.json
out=$(D serve --config bad.json 2>&1); [ $? -eq 2 ] && has "$out" colour && ok "config: unknown member refused, named" ||
	bad "config unknown member" "$out"
out=$(D serve --config $CF --config $CF 2>&1); [ $? -eq 2 ] && ok "an option given twice is refused" || bad "dup option"
for c in init token serve backup; do
	out=$(D $c --help); [ $? -eq 0 ] && has "$out" "Exit status" || { bad "$c --help" "$out"; continue; }
done
ok "--help on every command names the exit statuses"

# ---- the daemon ----
start_daemon && ok "serve: listening over HTTPS" || { bad "serve did not start" "$(tail -5 o/log)"; totals; exit 1; }
out=$(D serve --config $CF 2>&1); rc=$?
[ $rc -eq 2 ] && has "$out" "another hc-issued serves this registry" && ok "a second daemon on the registry is refused" ||
	bad "second daemon" "exit $rc: $out"

# req METHOD PATH TOKEN [curl args]: ST status, body in body.out, headers in hdr.out
req() {
	local m=$1 p=$2 t=$3
	shift 3
	ST=$(curl -s -o body.out -D hdr.out -w '%{http_code}' --cacert ca.pem -X "$m" \
		${t:+-H "Authorization: Bearer $t"} "$@" "$URL$p")
	BODY=$(cat body.out)
}
post() { req POST "$1" "$2" -H 'Content-Type: application/json' --data-binary "$3" "${@:4}"; }
# expect NAME STATUS [ERROR-CODE [DETAIL]]: the last answer
expect() {
	local d=""
	[ "$ST" = "$2" ] || d="status $ST, want $2"
	[ -n "${3:-}" ] && ! has "$BODY" "\"error\":\"$3\"" && d="$d; want error $3"
	[ -n "${4:-}" ] && ! has "$BODY" "$4" && d="$d; want detail '$4'"
	grep -qi '^x-request-id: ' hdr.out || d="$d; no X-Request-Id"
	[ -z "$d" ] && ok "$1" || bad "$1" "$d; body: $(head -c 300 body.out)"
}
J() { $PY -c 'import json,sys; d=json.load(open("body.out")); print(eval(sys.argv[1]))' "$1"; }
# held_hits: held codes answered from the daemon's cache so far (/metrics)
held_hits() {
	curl -s --cacert ca.pem "$URL/metrics" | sed -n 's/^hc_held_answers_total{cache="hit"} //p'
}

# valid GB 11643 numbers: ids N -> N lines
ids() {
	$PY - "$1" <<'PY'
import sys
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
for i in range(int(sys.argv[1])):
    b = "330106%04d%02d%02d%03d" % (1950 + i % 60, 1 + i % 12, 1 + i % 28, 100 + i)
    c = (12 - sum(int(x) * y for x, y in zip(b, w)) % 11) % 11
    print(b + ("X" if c == 10 else str(c)))
PY
}
ids 60 > ids.txt
ID1=$(sed -n 1p ids.txt) ID2=$(sed -n 2p ids.txt) ID3=$(sed -n 3p ids.txt)
DAY=$(date -u -d @$((NOW - 86400)) +%Y-%m-%dT%H:%M:%SZ)
rec() { # ID [members]: a record
	printf '{"person":{"name":"王小明","id":"%s"},"nat":[{"at":"%s","result":"negative"}],"vaccinations":[{"at":"2021-05-01","dose":1}]%s}' "$1" "$DAY" "${2:-}"
}

# ---- open endpoints ----
req GET /healthz ""; expect "healthz 200" 200; has "$BODY" '"ok":true' && ok "healthz says ok" || bad "healthz body" "$BODY"
req GET / ""; expect "counter page 200" 200
grep -qi '^content-type: text/html; charset=utf-8' hdr.out && ok "page is text/html; charset=utf-8" || bad "page type"
grep -qi "^content-security-policy: default-src 'none'; script-src 'self';.*frame-ancestors 'none'" hdr.out &&
	grep -qi '^x-frame-options: DENY' hdr.out && grep -qi '^referrer-policy: no-referrer' hdr.out &&
	grep -qi '^strict-transport-security: max-age=' hdr.out &&
	ok "page: CSP without inline script, no framing, no referrer, HSTS" || bad "page headers" "$(cat hdr.out)"

# ---- issuing ----
post /v1/records "$T_COUNTER" "$(rec "$ID1")"; expect "records: green" 200
[ "$(J 'd["status"]')" = green ] && [ "$(J 'd["person"]["id"]')" = "${ID1:0:3}***********${ID1:14:4}" ] &&
	[ "$(J 'd["person"]["name"]')" = "王**" ] && [ "$(J 'd["policy"]')" = default-1 ] &&
	[ "$(J 'd["exp"] - d["iat"]')" = 86400 ] && has "$(J 'd["qr"]')" "hc:/" &&
	ok "code object: status, masked person, policy, validity, qr" || bad "code object" "$BODY"
JTI1=$(J 'd["jti"]') QR1=$(J 'd["qr"]')
out=$("$B/hc-verify" --trust trust --text "$QR1" 2>&1) && ok "the answered code verifies against the trust list" ||
	bad "verify answered code" "$out"
post /v1/codes "$T_APP" "{\"id\":\"$ID1\"}"; expect "codes: app gets the code" 200
cp body.out held1.json  # from the registry: the cache's answers must be the same bytes
[ "$(J 'd["jti"]')" = "$JTI1" ] && ok "codes: the held code (same jti)" || bad "held code" "$BODY"
post /v1/codes "$T_COUNTER" "{\"id\":\"$ID1\"}"; [ "$(J 'd["jti"]')" = "$JTI1" ] && ok "codes: held again for counter" ||
	bad "held twice" "$BODY"
h0=$(held_hits)
post /v1/codes "$T_APP" "{\"id\":\"$ID1\"}"
[ "$(J 'd["jti"]')" = "$JTI1" ] && [ "$(held_hits)" -gt "${h0:-0}" ] && cmp -s body.out held1.json &&
	ok "codes: the held code answered from the cache, the same bytes" || bad "held from the cache" "hits ${h0:-none}: $BODY"
post "/v1/codes?svg=1" "$T_APP" "{\"id\":\"$ID1\"}"
has "$(J 'd["svg"]')" "<svg" && ok "?svg=1 adds the SVG" || bad "svg=1" "$(head -c 200 body.out)"
post /v1/codes "$T_APP" "{\"id\":\"$ID1\"}" -H 'Accept: image/png' -o code.png
cp body.out code.png
grep -qi '^content-type: image/png' hdr.out && ok "Accept: image/png answers a PNG" || bad "png type" "$(cat hdr.out)"
scan=$(zbarimg -q --raw -Sdisable -Sqrcode.enable code.png 2>/dev/null)
[ "$scan" = "$QR1" ] && ok "zbarimg reads the PNG as the code" || bad "zbar" "$scan"
out=$("$B/hc-verify" --trust trust code.png 2>&1) && ok "hc-verify passes the PNG" || bad "hc-verify png" "$out"
post /v1/codes "$T_APP" "{\"id\":\"$ID1\"}" -H 'Accept: image/svg+xml'
grep -qi '^content-type: image/svg+xml' hdr.out && has "$BODY" "<svg" && ok "Accept: image/svg+xml answers an SVG" ||
	bad "svg accept"

# a record the policy makes red
post /v1/records "$T_COUNTER" "$(rec "$ID2" ',"flags":["close-contact"]')"; expect "records: red answered 200" 200
[ "$(J 'd["status"]')" = red ] && [ "$(J '",".join(d["why"])')" = flag-close-contact ] &&
	ok "red with its why" || bad "red" "$BODY"
QR2=$(J 'd["qr"]')
out=$("$B/hc-verify" --trust trust --any-status --json --text "$QR2" 2>&1)
has "$out" '"st":"red"' || has "$out" red && ok "the red code verifies as red" || bad "red verify" "$out"

# a changed record: the green code of person 3 is superseded
post /v1/records "$T_COUNTER" "$(rec "$ID3")"; G3=$(J 'd["jti"]') QR3=$(J 'd["qr"]')
post /v1/codes "$T_APP" "{\"id\":\"$ID3\"}"; h0=$(held_hits); post /v1/codes "$T_APP" "{\"id\":\"$ID3\"}"
[ "$(J 'd["jti"]')" = "$G3" ] && [ "$(held_hits)" -gt "${h0:-0}" ] && ok "codes: person 3's green code, from the cache" ||
	bad "person 3 cached" "$BODY"
# a held code's answer goes out corked, as one TLS record (http.c
# send_reply): whole on a kept-alive connection and before the close of a
# "Connection: close" one; a client that sends requests ahead and reads
# none of the answers is let go (no answer kept for it), the rest served
$PY - "$PORT" "$T_APP" "$ID3" > cork.out 2>&1 <<'PY'
import socket, ssl, sys, time
port, tok, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile="ca.pem")
body = ('{"id":"%s"}' % pid).encode()
def req(extra=b""):
    return (b"POST /v1/codes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok.encode() +
            b"\r\nContent-Type: application/json\r\n" + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body)
def answers(data):  # the whole answers in data: (status, body) each
    out = []
    while b"\r\n\r\n" in data:
        head, rest = data.split(b"\r\n\r\n", 1)
        n = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0]
        if len(rest) < n:
            break
        out.append((head.split(b" ")[1], rest[:n]))
        data = rest[n:]
    return out
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.settimeout(10)
s.sendall(req()); s.sendall(req()); s.sendall(req(b"Connection: close\r\n"))
data = b""
while True:
    try:
        d = s.recv(65536)
    except ssl.SSLError:
        break
    if not d:
        break
    data += d
a = answers(data)
print("whole", len(a), all(st == b"200" and b'"jws"' in b for st, b in a))
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.setblocking(False)
ended, t0 = False, time.time()
while time.time() - t0 < 10 and not ended:
    try:
        s.send(req())
    except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
        time.sleep(0.01)
    except (ssl.SSLError, OSError):
        ended = True
print("let go", ended)
PY
out=$(cat cork.out)
[ "$out" = "whole 3 True
let go True" ] && ok "codes: answers whole on a kept-alive connection and before a Connection: close" ||
	bad "corked answers" "$out"
sleep 0.2
grep -q ' hc-issued: /v1/codes 200 .* (connection ended)$' o/log && curl -sf --cacert ca.pem "$URL/healthz" >/dev/null &&
	ok "a client reading none of its answers is let go, the log says so, others are served" ||
	bad "client reading none" "$(grep -c 'connection ended' o/log) ended lines"
NAT2=$(date -u -d @$((NOW - 3600)) +%Y-%m-%dT%H:%M:%SZ)
post /v1/records "$T_COUNTER" "{\"person\":{\"name\":\"王小明\",\"id\":\"$ID3\"},\"nat\":[{\"at\":\"$NAT2\",\"result\":\"positive\"}]}"
[ "$(J 'd["status"]')" = red ] && [ "$(J 'd["jti"]')" != "$G3" ] && [ "$(J '",".join(d["why"])')" = nat-positive ] &&
	ok "a positive test added: red, a new jti" || bad "changed record" "$BODY"
R3=$(J 'd["jti"]')
post /v1/codes "$T_APP" "{\"id\":\"$ID3\"}"
[ "$(J 'd["jti"]')" = "$R3" ] && [ "$(J 'd["status"]')" = red ] && ok "codes: the red code now" || bad "codes after change" "$BODY"
# the stored inputs are kept: the same record again changes nothing
post /v1/records "$T_COUNTER" "$(rec "$ID3")"
[ "$(J 'd["status"]')" = red ] && ok "inputs accumulate: the earlier positive test still counts" || bad "accumulate" "$BODY"
# A person's inputs hold the newest 256 of a kind (what the registry gives
# back): a record adding a test to a person who holds 256 (a lab's events,
# a record) is taken with the newest 256, not refused as one of 257.
ID4=$(sed -n 4p ids.txt)
post /v1/records "$T_COUNTER" "$($PY -c 'import json,sys; print(json.dumps({"person":{"name":"王小明","id":sys.argv[1]},"nat":[{"at":int(sys.argv[2])-7200-60*i,"result":"negative"} for i in range(256)]}))' "$ID4" "$NOW")"
expect "a record of 256 tests" 200
post /v1/records "$T_COUNTER" "{\"person\":{\"name\":\"王小明\",\"id\":\"$ID4\"},\"nat\":[{\"at\":\"$NAT2\",\"result\":\"positive\"}]}"
[ "$ST" = 200 ] && [ "$(J 'd["status"]')" = red ] && [ "$(J '",".join(d["why"])')" = nat-positive ] &&
	ok "a 257th test in a later record: taken with the newest 256 (red), not refused" || bad "257th test" "$ST $BODY"

# ---- every role against every endpoint ----
declare -A ALLOW=([/v1/records]="counter" [/v1/codes]="counter app" [/v1/revocations]="admin" [/v1/audit]="auditor")
declare -A TOK=([counter]=$T_COUNTER [app]=$T_APP [admin]=$T_ADMIN [auditor]=$T_AUDITOR [source:nat]=$T_SOURCE)
body_for() {
	case $1 in
	/v1/records) rec "$ID1" ;; /v1/codes) echo "{\"id\":\"$ID1\"}" ;;
	/v1/revocations) echo '{"jti":"AAAAAAAAAAAAAAAAAAAAAA","reason":"test"}' ;; *) echo "" ;;
	esac
}
call() { # PATH TOKEN
	if [ "$1" = /v1/audit ]; then req GET "$1" "$2"; else post "$1" "$2" "$(body_for "$1")"; fi
}
RANDTOK=$(head -c 32 /dev/urandom | openssl base64 -A | tr '+/' '-_' | tr -d '=')
for p in /v1/records /v1/codes /v1/revocations /v1/audit; do
	call "$p" ""; expect "$p without a token: 401" 401 unauthorized
	call "$p" "$RANDTOK"; expect "$p with an unknown token: 401" 401 unauthorized "unknown token"
	call "$p" "$T_OLD"; expect "$p with a revoked token: 401" 401 unauthorized revoked
	call "$p" "not-a-token"; expect "$p with a malformed token: 401" 401 unauthorized
	for role in counter app admin auditor source:nat; do
		call "$p" "${TOK[$role]}"
		if has " ${ALLOW[$p]} " " $role "; then
			[ "$ST" != 401 ] && [ "$ST" != 403 ] && ok "$p as $role: allowed ($ST)" || bad "$p as $role" "$ST $BODY"
		else
			expect "$p as $role: 403" 403 forbidden
		fi
	done
done

# a token revoked while the daemon runs fails its next request
T2=$(tok counter desk-2)
post /v1/codes "$T2" "{\"id\":\"$ID1\"}"; expect "a token added while serving works" 200
# (the held code again: no commit, so the token is answered from memory)
post /v1/codes "$T2" "{\"id\":\"$ID1\"}"; expect "and again (its lookup kept)" 200
D token revoke --config $CF --name desk-2
post /v1/codes "$T2" "{\"id\":\"$ID1\"}"; expect "revoked while serving: its next request is 401" 401 unauthorized revoked

# ---- bad requests, each with its error ----
post /v1/records "$T_COUNTER" '{"person":'; expect "bad JSON: 400" 400 bad-request "invalid JSON"
post /v1/records "$T_COUNTER" "$(rec "$ID1" ',"colour":"red"')"; expect "unknown member: 400" 400 bad-request "unknown"
post /v1/records "$T_COUNTER" "$(rec 330106199001011235)"; expect "bad ID check digit: 400 names it" 400 bad-request "check digit"
post /v1/records "$T_COUNTER" "$(rec "$ID1" ',"flags":["confirmed","confirmed"]')"; expect "flag twice: 400 names flags[1]" 400 bad-request "flags[1]"
post /v1/records "$T_COUNTER" "$(rec "$ID1" ',"nat":[]')"; expect "duplicate member: 400" 400 bad-request "duplicate"
FUT=$(date -u -d @$((NOW + 86400)) +%Y-%m-%dT%H:%M:%SZ)
post /v1/records "$T_COUNTER" "{\"person\":{\"name\":\"王小明\",\"id\":\"$ID1\"},\"nat\":[{\"at\":\"$FUT\",\"result\":\"negative\"}]}"
expect "a test dated tomorrow: 400" 400 bad-request "after the time of issue"
head -c 70000 /dev/zero | tr '\0' ' ' > big.json
# (Expect: 100-continue: the answer comes before any of the body is sent)
req POST /v1/records "$T_COUNTER" -H 'Content-Type: application/json' -H 'Expect: 100-continue' \
	--data-binary @big.json
expect "oversized body (Content-Length): 413 before the body is read" 413 too-large
req POST /v1/records "$T_COUNTER" -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @big.json
expect "oversized chunked body: 413" 413 too-large
req POST /v1/records "$T_COUNTER" -H 'Content-Type: text/plain' --data-binary "$(rec "$ID1")"
expect "text/plain: 415" 415 unsupported-media-type
req POST /v1/records "$T_COUNTER" -H 'Content-Type: application/jsonx' --data-binary "$(rec "$ID1")"
expect "application/jsonx: 415" 415 unsupported-media-type
req POST /v1/records "$T_COUNTER" --data-binary "$(rec "$ID1")"; expect "form type: 415" 415 unsupported-media-type
# A request's line and headers live in the connection's 16 KiB (http.c):
# 8 KiB of headers (a proxy's, cookies) are served; 24 KiB are refused by
# libmicrohttpd with 431 before the handler runs.
hdrs() { for i in $(seq "$1"); do printf -- '-H\nX-Pad-%d: %01000d\n' "$i" 0; done; }
mapfile -t H8 < <(hdrs 8)
post /v1/codes "$T_APP" "{\"id\":\"$ID1\"}" "${H8[@]}"; expect "8 KiB of headers: served" 200
mapfile -t H24 < <(hdrs 24)
post /v1/codes "$T_APP" "{\"id\":\"$ID1\"}" "${H24[@]}"
[ "$ST" = 431 ] && ok "24 KiB of headers: 431 from libmicrohttpd" || bad "24 KiB of headers" "status $ST"
post /v1/codes "$T_APP" "{\"id\":\"$(sed -n 50p ids.txt)\"}"; expect "unknown person: 404" 404 not-found
post /v1/codes "$T_APP" '{"id":"12"}'; expect "codes: a malformed id: 400" 400 bad-request "person.id"
post /v1/codes "$T_APP" "{\"id\":\"$ID1\",\"x\":1}"; expect "codes: unknown member: 400" 400 bad-request "unknown"
req GET /v1/nothing ""; expect "unknown path: 404" 404 not-found
req GET /v1/records "$T_COUNTER"; expect "GET /v1/records: 405" 405 method-not-allowed
grep -qi '^allow: POST' hdr.out && ok "405 names the allowed method" || bad "Allow header"
req DELETE /healthz ""; expect "DELETE /healthz: 405" 405 method-not-allowed
req GET "/v1/audit?limit=abc" "$T_AUDITOR"; expect "audit: a bad limit: 400" 400 bad-request limit
post /v1/revocations "$T_ADMIN" '{"jti":"short","reason":"x"}'; expect "revocations: a bad jti: 400" 400 bad-request jti
post /v1/revocations "$T_ADMIN" '{"jti":"AAAAAAAAAAAAAAAAAAAAAA","reason":"x"}'; expect "revocations: unknown jti: 404" 404 not-found

# ---- revocation end to end ----
REVF=o/publish/revocations/$REGION.jws
seq_of() { $PY -c 'import base64,json,sys; p=open(sys.argv[1]).read().split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))["seq"])' "$1" 2>/dev/null || echo 0; }
SEQ0=$(seq_of $REVF)
[ "$SEQ0" -ge 1 ] && ok "a revocation list is published (seq $SEQ0)" || bad "no revocation list"
post /v1/revocations "$T_ADMIN" "{\"jti\":\"$JTI1\",\"reason\":\"lost-phone\"}"; expect "revoke: 200" 200
[ "$(J 'd["already"]')" = False ] && [ "$(J 'd["jti"]')" = "$JTI1" ] && [ "$(J 'd["revoked_at"]')" -ge "$NOW" ] &&
	ok "revoke answers jti, revoked_at, already false" || bad "revoke body" "$BODY"
AT1=$(J 'd["revoked_at"]')
sleep 1
post /v1/revocations "$T_ADMIN" "{\"jti\":\"$JTI1\",\"reason\":\"again\"}"
[ "$(J 'd["already"]')" = True ] && [ "$(J 'd["revoked_at"]')" = "$AT1" ] &&
	ok "revoking again: already true, the first revoked_at" || bad "already" "$BODY"
# A list whose seq rose may have been read just before the revocation's
# commit (a publish already under way for an earlier change, the next
# one coming after it): wait for a list that holds the code.
lists_jti() { $PY -c 'import base64,json,sys; p=open(sys.argv[1]).read().split(".")[1]; print(sys.argv[2] in json.dumps(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))["revoked"]))' "$1" "$2" 2>/dev/null; }
t0=$(date +%s.%N)
for i in $(seq 100); do
	[ "$(seq_of $REVF)" -gt "$SEQ0" ] && [ "$(lists_jti $REVF "$JTI1")" = True ] && break
	sleep 0.1
done
t1=$(date +%s.%N)
SEQ1=$(seq_of $REVF)
[ "$SEQ1" -gt "$SEQ0" ] && [ "$(lists_jti $REVF "$JTI1")" = True ] && ok "the published list's seq rose ($SEQ0 -> $SEQ1) in $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s" ||
	bad "list not re-signed within 10 s"
mkdir -p tree/revocations dev/roots && cp trust/trustlist.jws tree/ && cp $REVF tree/revocations/ &&
	cp trust/roots/root.jwk dev/roots/
$PY "$SRC/tests/tools/https_server.py" --root tree --cert srv.pem --key srv.key --port-file srv.port --log srv.log &
SPID=$!
for i in $(seq 100); do [ -s srv.port ] && break; sleep 0.1; done
out=$(timeout 30 "$B/hc-verify" sync --trust dev --cacert ca.pem "https://127.0.0.1:$(cat srv.port)" 2>&1) &&
	ok "hc-verify sync from the static HTTPS tree" || bad "sync" "$out"
out=$("$B/hc-verify" --trust dev --json --text "$QR1" 2>&1); rc=$?
[ $rc -eq 1 ] && has "$out" '"reason":"revoked"' && ok "the revoked code fails revoked" || bad "revoked" "exit $rc: $out"
out=$("$B/hc-verify" --trust dev --json --text "$QR3" 2>&1); rc=$?
[ $rc -eq 1 ] && has "$out" '"reason":"revoked"' && ok "the superseded green code fails revoked" ||
	bad "superseded revoked" "exit $rc: $out"
post /v1/codes "$T_APP" "{\"id\":\"$ID1\"}"
[ "$(J 'd["jti"]')" != "$JTI1" ] && [ "$(J 'd["status"]')" = green ] && ok "codes after a revocation: a new code" ||
	bad "new after revoke" "$BODY"

# ---- audit ----
req GET "/v1/audit?after=0&limit=5" "$T_AUDITOR"; expect "audit: 200" 200
[ "$(wc -l < body.out)" -eq 5 ] && head -1 body.out | grep -q '"seq":1,' &&
	grep -qi '^content-type: application/x-ndjson' hdr.out && ok "audit: 5 entries as JSON lines from seq 1" ||
	bad "audit lines" "$(head -c 300 body.out)"
req GET "/v1/audit?after=3&limit=1" "$T_AUDITOR"; head -1 body.out | grep -q '"seq":4,' && ok "audit: after=3 starts at 4" ||
	bad "audit after" "$BODY"
req GET "/v1/audit?limit=10000" "$T_AUDITOR"
grep -q '"action":"revoke".*"cause":"' body.out && grep -q '"actor":"boss"' body.out &&
	grep -q '"action":"status"' body.out && grep -q '"action":"issue"' body.out &&
	ok "audit: record, status, issue and revoke entries with actor and cause" || bad "audit actions" "$(head -c 500 body.out)"

# ---- metrics ----
req GET /metrics ""
has "$BODY" 'hc_requests_total{path="/v1/records",status="200"}' && has "$BODY" 'hc_issue_seconds_bucket{le="+Inf"}' &&
	has "$BODY" 'hc_issue_seconds_bucket{le="0.0025"}' && has "$BODY" 'hc_issue_seconds_bucket{le="1"}' &&
	has "$BODY" 'hc_commit_seconds_bucket{le="0.001"}' && has "$BODY" 'hc_commit_batch_size_bucket{le="127"}' &&
	has "$BODY" 'hc_codes{status="red"}' && has "$BODY" "hc_revocation_list_seq $SEQ1" &&
	has "$BODY" 'hc_audit_seq ' && has "$BODY" 'hc_commit_batch_size_count' &&
	has "$BODY" 'hc_commit_seconds_bucket{le="+Inf"}' && has "$BODY" 'hc_writer_checkpoints_total ' &&
	ok "metrics: requests, latency, codes, list seq, audit seq, batches, commit times" || bad "metrics" "$BODY"
# hc_codes of a later scrape (the first built the census of the codes by
# expiry minute; this one counts from it) is SQL's count of the codes
req GET /metrics ""
NOWS=$(date +%s); CODES=""
for s in green:0 yellow:1 red:2; do
	got=$(echo "$BODY" | sed -n "s/^hc_codes{status=\"${s%%:*}\"} //p")
	want=$(sqlite3 o/registry.db "select count(*) from codes where revoked_at = 0 and exp > $NOWS and status = ${s#*:}" 2>/dev/null)
	[ -n "$got" ] && [ "$got" = "$want" ] && CODES="$CODES ${s%%:*} $got" || CODES="$CODES ${s%%:*} $got, SQL $want:bad"
done
case "$CODES" in *:bad*) bad "metrics: hc_codes against SQL" "$CODES" ;; *) ok "metrics: hc_codes is SQL's count of the unexpired codes:$CODES" ;; esac
NREV=$($PY -c 'import base64,json,sys; p=open(sys.argv[1]).read().split(".")[1]; print(len(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))["revoked"]))' $REVF)
[ "$NREV" -ge 2 ] && echo "$BODY" | grep -qx "hc_codes_revoked $NREV" && ok "metrics: hc_codes_revoked is the published list's $NREV entries" ||
	bad "hc_codes_revoked (list has $NREV)" "$(echo "$BODY" | grep revoked)"
# the held code's answer is cached: revoked, it is never answered again
post /v1/codes "$T_APP" "{\"id\":\"$ID1\"}"; JC=$(J 'd["jti"]'); h0=$(held_hits)
post /v1/codes "$T_APP" "{\"id\":\"$ID1\"}"
[ "$(J 'd["jti"]')" = "$JC" ] && [ "$(held_hits)" -gt "${h0:-0}" ] && ok "the held code from the cache before its revocation" ||
	bad "cached before revoke" "$BODY"
post /v1/revocations "$T_ADMIN" "{\"jti\":\"$JC\",\"reason\":\"cache-test\"}"; expect "revoke the cached code: 200" 200
post /v1/codes "$T_APP" "{\"id\":\"$ID1\"}"
[ "$ST" = 200 ] && [ -n "$(J 'd["jti"]')" ] && [ "$(J 'd["jti"]')" != "$JC" ] &&
	ok "the very next request after the revocation: a new code, not the revoked one" || bad "revoked code answered" "$BODY"

# ---- privacy: many people ----
for i in $(seq 10 59); do rec "$(sed -n ${i}p ids.txt)" > p$i.json; done
ls p*.json | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' --cacert ca.pem \
	-H "Authorization: Bearer $T_COUNTER" -H 'Content-Type: application/json' --data-binary @{} \
	"$URL/v1/records" > many.out
[ "$(grep -c '^200$' many.out)" = 50 ] && ok "50 more people issued, 8 at a time" || bad "50 people" "$(sort many.out | uniq -c)"
# ---- SIGHUP reopens the log ----
mv o/log o/log.1 && kill -HUP "$DPID" && sleep 0.3 && req GET /healthz "" && sleep 0.2
[ -s o/log ] && grep -q healthz o/log && ok "SIGHUP: a new log file" || bad "SIGHUP" "$(ls o)"
# request lines are written by the log's own thread (within 5 ms): 20
# more on one connection are each in the file once, soon, none left held
n0=$(grep -c ' hc-issued: /healthz 200 ' o/log)
urls=(); for i in $(seq 20); do urls+=("$URL/healthz"); done
curl -s --cacert ca.pem "${urls[@]}" >/dev/null
for i in $(seq 50); do [ "$(grep -c ' hc-issued: /healthz 200 ' o/log)" -ge $((n0 + 20)) ] && break; sleep 0.02; done
sleep 0.05
[ "$(grep -c ' hc-issued: /healthz 200 ' o/log)" = $((n0 + 20)) ] &&
	ok "the log: 20 request lines written once each, within a second" ||
	bad "request lines" "$n0 before, $(grep -c ' hc-issued: /healthz 200 ' o/log) after"

# ---- SIGTERM drains a request in flight ----
$PY - "$PORT" "$DPID" "$T_COUNTER" "$(rec "$(sed -n 5p ids.txt)")" > drain.out 2>&1 <<'PY'
import os, signal, socket, ssl, sys, time
port, pid, tok, body = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4].encode()
ctx = ssl.create_default_context(cafile="ca.pem")
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.sendall(b"POST /v1/records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok.encode() +
          b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:20])
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)
time.sleep(0.5)
s.sendall(body[20:])
data = b""
while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
    d = s.recv(65536)
    if not d:
        break
    data += d
print(data.split(b"\r\n")[0].decode())
PY
wait "$DPID"; rc=$?
DPID=""
grep -q 'HTTP/1.1 200' drain.out && ok "SIGTERM: the request in flight is answered" || bad "drain" "$(cat drain.out)"
# exit 0; the drained request's line written before the last, "stopped"
[ $rc -eq 0 ] && tail -n 1 o/log | grep -q ' hc-issued: stopped$' &&
	grep -q ' hc-issued: /v1/records 200 ' o/log && ok "SIGTERM: exit 0, every line written" ||
	bad "SIGTERM exit" "$rc; $(tail -n 3 o/log)"
ALAST=$(sqlite3 o/registry.db 'select max(seq) from audit' 2>/dev/null)
PUBL=$(cat o/publish/audit/*.jsonl | wc -l)
[ -n "$ALAST" ] && [ "$PUBL" = "$ALAST" ] && [ -s o/publish/audit/head.jws ] &&
	ok "shutdown: every audit entry published ($PUBL) with a head" || bad "audit at shutdown" "registry $ALAST published $PUBL"
if "$B/hc-verify" audit --help 2>&1 | grep -q -- --since-head; then
	out=$("$B/hc-verify" audit --trust trust o/publish 2>&1) && ok "hc-verify audit: the published chain verifies" ||
		bad "hc-verify audit" "$out"
else
	skip 1 "hc-verify audit" "not built yet"
fi
n=$(cat o/registry.db o/registry.db-wal o/log o/log.1 drain.out many.out 2>/dev/null |
	grep -aoF -f ids.txt | wc -l)
n=$((n + $(find o/publish -type f -exec cat {} + | grep -aoF -f ids.txt | wc -l)))
ctl=$(cat p*.json | grep -aoF -f ids.txt | wc -l) # the same search finds them where they are
[ $n -eq 0 ] && [ "$ctl" -eq 50 ] && ok "privacy: no full ID in the registry, its WAL, the logs or publish/" ||
	bad "privacy" "$n IDs found ($ctl of 50 in the requests)"
D backup --config $CF backup.db && [ "$(sqlite3 backup.db 'select count(*) from codes' 2>/dev/null)" -gt 50 ] &&
	ok "backup: an online copy with the codes" || bad "backup"
D backup --config $CF backup.db 2>/dev/null; [ $? -eq 1 ] && ok "backup refuses an existing file (exit 1)" || bad "backup exists"
totals
