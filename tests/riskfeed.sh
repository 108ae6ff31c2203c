#!/bin/bash
# riskfeed.sh BUILD: the signed national risk-area list. hc-keys riskareas
# signs a payload with a root key (and refuses a bad payload); hc-issue
# takes the signed list with --trust (signed by a pinned root, intact) and
# the old unsigned JSON; a venue visit inside an exposure window turns a
# code yellow or red. Then the real hc-issued with its feed from a real
# HTTPS server on loopback (tests/tools/https_server.py): a new list
# changes exactly the people a brute-force recomputation (hc-issue over
# every record with both lists) says it changes, their old codes revoked;
# a rolled-back list, a bad signature, a non-root signer, a server error
# and a server that is down each leave the held list in force; /healthz
# past the grace; a restart keeps the held list; a person whose
# re-evaluation fails is logged with that person's fault; the backup copies
# the held list; SIGTERM during a long re-evaluation (16,000 people) or a
# held fetch stops at once, and the restart finishes the re-evaluation from
# the kept list. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-riskfeed.XXXXXX)
DPID="" PIDS=""
cleanup() {
	local p
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 2
K() { "$B/hc-keys" "$@"; }

# ---- keys and a trust directory (root, office zj) ----
ZJ=https://hc.zj.example
AT=2026-11-23T08:00:00+08:00
K gen root.key >/dev/null && K gen rogue.key >/dev/null && K gen zj.key >/dev/null &&
	mkdir -p trust/roots && K pub root.key > trust/roots/root.jwk &&
	printf '{"seq":1,"iat":1763856000,"next_update":1893456000,"issuers":[{"iss":"%s","name":"Zhejiang Health","region":"330000","keys":[%s]}]}\n' \
		"$ZJ" "$(K pub --status active zj.key)" > tl.json &&
	K trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null &&
	ok "keys and a trust directory" || { bad "setup"; totals; exit 1; }

# ---- hc-keys riskareas ----
cat > ra.json <<'JSON'
{"seq":3,"iat":"2026-11-23T06:00:00+08:00",
 "areas":[{"region":"310115","level":"medium","from":"2026-11-15","to":"2026-11-22"}],
 "venues":[{"venue":"330106-000042","level":"high","from":"2026-11-20T10:00:00+08:00","to":"2026-11-20T14:00:00+08:00"},
           {"venue":"330106-000043","level":"medium","from":"2026-11-18","to":"2026-11-19"}]}
JSON
out=$(K riskareas --root root.key --in ra.json --out ra.jws) && has "$out" "seq 3 areas 1 venues 2" &&
	[ "$(tr -cd . < ra.jws | wc -c)" = 2 ] && ok "riskareas signs: kid, seq and counts" || bad "riskareas" "$out"
sed 's/"level":"high"/"level":"severe"/' ra.json > bad.json
out=$(K riskareas --root root.key --in bad.json --out bad.jws 2>&1); [ $? -eq 1 ] && [ ! -e bad.jws ] &&
	has "$out" "venues[0]: level" && ok "riskareas refuses a bad payload (exit 1), names the entry" ||
	bad "riskareas bad payload" "$out"
sed 's/"seq":3,//' ra.json > bad.json
out=$(K riskareas --root root.key --in bad.json --out bad.jws 2>&1); [ $? -eq 1 ] && has "$out" seq &&
	ok "riskareas refuses a payload without seq" || bad "riskareas no seq" "$out"
out=$(K riskareas --root root.key --in ra.json 2>&1); [ $? -eq 2 ] && ok "riskareas without --out: usage (exit 2)" ||
	bad "riskareas usage" "$out"

# ---- hc-issue with the signed list ----
P='{"person":{"name":"张三","id":"33010619900101123X"}'
printf '%s,"visits":[{"venue":"330106-000042","at":"2026-11-20T12:00:00+08:00"}]}\n' "$P" > red.json
printf '%s,"visits":[{"venue":"330106-000043","at":"2026-11-18T20:00:00+08:00"}]}\n' "$P" > yel.json
printf '%s,"visits":[{"venue":"330106-000042","at":"2026-11-20T15:00:00+08:00"}]}\n' "$P" > grn.json
I() { "$B/hc-issue" --key zj.key --iss $ZJ --at $AT "$@"; }
st() { # TOKEN: status and why of a code, from hc-verify
	"$B/hc-verify" --trust trust --at 1795392100 --any-status --json --text "$1" 2>/dev/null | tr -d '\n'
}
for c in red:red:high-risk-venue-recent yel:yellow:medium-risk-venue-recent grn:green:; do
	f=${c%%:*} r=${c#*:}; want=${r%%:*} why=${r#*:}
	tok=$(I --record $f.json --risk-areas ra.jws --trust trust) && v=$(st "$tok") &&
		has "$v" "\"$want\"" && { [ -z "$why" ] || has "$v" "$why"; } &&
		ok "hc-issue, signed list: visit -> $want ${why:+($why)}" || bad "hc-issue visit $f" "$v"
done
out=$(I --record red.json --risk-areas ra.jws 2>&1); [ $? -ne 0 ] && has "$out" "--trust" &&
	ok "a signed list without --trust is refused, says why" || bad "signed without trust" "$out"
K riskareas --root rogue.key --in ra.json --out rogue.jws >/dev/null
out=$(I --record red.json --risk-areas rogue.jws --trust trust 2>&1); [ $? -ne 0 ] &&
	has "$out" "not a pinned root" && ok "a list signed by a non-root key is refused" || bad "rogue" "$out"
# One payload character changed, the signature kept.
p=$(cut -d. -f2 ra.jws); c=${p:20:1}; [ "$c" = A ] && r=B || r=A
printf '%s.%s%s%s.%s' "$(cut -d. -f1 ra.jws)" "${p:0:20}" "$r" "${p:21}" "$(cut -d. -f3 ra.jws)" > tam.jws
out=$(I --record red.json --risk-areas tam.jws --trust trust 2>&1); [ $? -ne 0 ] && has "$out" "does not verify" &&
	ok "a tampered list is refused" || bad "tampered" "$out"
head -c 100 ra.jws > trunc.jws
out=$(I --record red.json --risk-areas trunc.jws --trust trust 2>&1); [ $? -ne 0 ] && has "$out" "signature:" &&
	ok "a truncated list is refused" || bad "truncated" "$out"
head -c $((23 * 1024 * 1024)) /dev/zero | tr '\0' A > big.jws
out=$(I --record red.json --risk-areas big.jws --trust trust 2>&1); [ $? -ne 0 ] && has "$out" "big" &&
	ok "an oversized list is refused before reading" || bad "oversized" "$out"
rm -f big.jws
printf '{"seq":4,"iat":"2026-11-10T06:00:00+08:00","areas":[]}' > old.json
K riskareas --root root.key --in old.json --out old.jws >/dev/null
out=$(I --record red.json --risk-areas old.jws --trust trust 2>&1); [ $? -ne 0 ] && has "$out" "risk_max_age_h" &&
	ok "a signed list older than risk_max_age_h is refused (iat as updated)" || bad "old list" "$out"
# The unsigned form stays accepted (no venues in it: a visit is then green).
printf '{"updated":"2026-11-23T06:00:00+08:00","areas":[{"region":"330106","level":"high","from":"2026-11-20","to":"2026-11-20"}]}' > plain.json
printf '%s,"travel":[{"region":"330106","from":"2026-11-20","to":"2026-11-20"}]}\n' "$P" > stay.json
tok=$(I --record stay.json --risk-areas plain.json) && v=$(st "$tok") && has "$v" high-risk-recent &&
	tok=$(I --record red.json --risk-areas plain.json) && v=$(st "$tok") && has "$v" '"green"' &&
	ok "the unsigned JSON list is still accepted" || bad "unsigned list" "$v"
out=$(I --record red.json 2>&1); [ $? -ne 0 ] && has "$out" "visits[0]" &&
	ok "a recent visit without a list is refused (the status would rest on missing data)" ||
	bad "visit without list" "$out"

# ---- the service's feed ----
mkdir -p svc && cd svc || exit 2
. "$SRC/tests/tools/service_env.sh"
D() { "$B/hc-issued" "$@"; }
service_env '"threads":4,"audit_interval":1,"risk_feed":{"url":"https://127.0.0.1:1/risk-areas.jws","every":"1s","grace":"3s","cacert":"feed-ca.pem"}' &&
	cp ca.pem o/feed-ca.pem && D init --config $CF >/dev/null &&
	T_C=$(D token add --config $CF --role counter --name desk) &&
	T_A=$(D token add --config $CF --role auditor --name watcher) ||
	{ bad "service setup"; totals; exit 1; }
mkdir -p www && : > mode
srv() { # starts the feed's server, sets FPORT
	rm -f feed.port
	$PY "$SRC/tests/tools/https_server.py" --root www --cert srv.pem --key srv.key \
		--port-file feed.port --log feed.log --mode-file mode &
	SPID=$!
	PIDS="$PIDS $SPID"
	local i
	for i in $(seq 100); do [ -s feed.port ] && break; sleep 0.1; done
	FPORT=$(cat feed.port 2>/dev/null)
}
srv
sed -i "s|127.0.0.1:1/|127.0.0.1:$FPORT/|" $CF
cat > rf.py <<'PY'
import base64, hashlib, hmac, json, random, sys, time
CST = 8 * 3600
def day(d):  # the CST date d days from today
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + CST + d * 86400))
def at(d, h):  # RFC 3339 at hour h (CST) of that day
    return day(d) + "T%02d:00:00+08:00" % h
cmd = sys.argv[1]
if cmd == "gen":
    n = int(sys.argv[2]); rnd = random.Random(7)
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    regions = ["310115", "310101", "310000", "330106", "330100", "440305", "440300", "110105"]
    venues = ["330106-000042", "330106-000043", "330106-000044"]
    with open("people.jsonl", "w") as f:
        for i in range(n):
            b = "330106%04d%02d%02d%03d" % (1950 + i % 60, 1 + i % 12, 1 + i % 28, 100 + i)
            c = (12 - sum(int(x) * y for x, y in zip(b, w)) % 11) % 11
            r = {"person": {"name": "王小明", "id": b + ("X" if c == 10 else str(c))}}
            t = []
            for _ in range(rnd.randint(0, 2)):
                a = rnd.randint(-16, -1); t.append({"region": rnd.choice(regions), "from": day(a), "to": day(min(a + rnd.randint(0, 2), -1))})
            v = [{"venue": rnd.choice(venues), "at": at(rnd.randint(-8, -1), rnd.randint(8, 20))} for _ in range(rnd.randint(0, 2))]
            if t: r["travel"] = t
            if v: r["visits"] = v
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    iat = int(time.time()) - 60
    v1 = {"seq": 1, "iat": iat, "areas": [
        {"region": "310115", "level": "high", "from": day(-5), "to": day(-3)},
        {"region": "330106", "level": "medium", "from": day(-10), "to": day(-8)},
        {"region": "110105", "level": "high", "from": day(-14), "to": day(-1)}],
        "venues": [{"venue": "330106-000042", "level": "high", "from": at(-4, 10), "to": at(-4, 18)}]}
    v2 = {"seq": 2, "iat": iat, "areas": [
        {"region": "310115", "level": "medium", "from": day(-5), "to": day(-3)},
        {"region": "440305", "level": "high", "from": day(-6), "to": day(-2)},
        {"region": "110105", "level": "high", "from": day(-14), "to": day(-1)}],
        "venues": [{"venue": "330106-000042", "level": "high", "from": at(-4, 10), "to": at(-4, 18)},
                   {"venue": "330106-000043", "level": "medium", "from": at(-3, 0), "to": at(-2, 0)}]}
    v3 = dict(v2, seq=3, areas=[])
    for name, v in (("v1", v1), ("v2", v2), ("v3", v3)):
        json.dump(v, open(name + ".json", "w"))
elif cmd == "keys":  # SECRET < people.jsonl: the person keys, one a line
    s = open(sys.argv[2], "rb").read()
    for line in sys.stdin:
        i = json.loads(line)["person"]["id"].encode()
        print(base64.urlsafe_b64encode(hmac.new(s, i, hashlib.sha256).digest()).rstrip(b"=").decode())
elif cmd == "audit":  # CAUSE < audit lines: "status KEY FROM TO" and "revoke JTI"
    for line in sys.stdin:
        e = json.loads(line)
        if e["cause"] != sys.argv[2]: continue
        if e["action"] == "status": print("status", e["person"], e["from"], e["to"])
        elif e["action"] == "revoke": print("revoke", e["jti"])
PY
$PY rf.py gen 48 && K riskareas --root root.key --in v1.json --out v1.jws >/dev/null &&
	K riskareas --root root.key --in v2.json --out v2.jws >/dev/null &&
	K riskareas --root root.key --in v3.json --out v3.jws >/dev/null &&
	K riskareas --root ../rogue.key --in v3.json --out rogue3.jws >/dev/null &&
	$PY rf.py keys o/id.secret < people.jsonl > keys.txt && [ "$(wc -l < keys.txt)" = 48 ] &&
	ok "48 people, lists seq 1, 2, 3 (and 3 signed by a non-root key)" || bad "generate"
# Brute force: every record issued offline by hc-issue under each list.
brute() { # LIST.jws: "status" per record
	"$B/hc-issue" --key o/office.key --iss $ISS --trust o/trust --risk-areas "$1" --batch people.jsonl 2>/dev/null |
		"$B/hc-verify" --trust o/trust --any-status --json - 2>/dev/null |
		$PY -c 'import json,sys; [print(json.loads(l).get("status","?")) for l in sys.stdin]'
}
brute v1.jws > want1.txt; brute v2.jws > want2.txt
paste -d' ' keys.txt want1.txt want2.txt > want.txt
nch=$(awk '$2 != $3' want.txt | wc -l)
[ "$(grep -c . want1.txt)" = 48 ] && ! grep -q '?' want1.txt want2.txt && [ "$nch" -gt 3 ] && [ "$nch" -lt 45 ] &&
	ok "brute force: $nch of 48 change between the lists" || bad "brute force" "$(head -3 want.txt); $nch change"

metric() { curl -s --cacert ca.pem "$URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
waitlog() { # PATTERN: waits up to 20 s for a line of o/log
	local i
	for i in $(seq 200); do grep -q -- "$1" o/log 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
cp v1.jws www/risk-areas.jws
start_daemon && waitlog "risk feed: seq 1 in force" && [ "$(metric hc_riskfeed_seq)" = 1 ] &&
	[ -s o/registry.db.risk-areas.jws ] && ok "the feed fetches seq 1 and keeps it" ||
	{ bad "feed seq 1" "$(tail -5 o/log)"; totals; exit 1; }
# Every person, issued by the service under seq 1 (one curl, one request
# per record), as the brute force says.
args=() i=0
while IFS= read -r r; do
	i=$((i + 1))
	printf '%s' "$r" > rec$i.json
	[ $i -gt 1 ] && args+=(--next)
	args+=(-s --cacert ca.pem -H "Authorization: Bearer $T_C" -H 'Content-Type: application/json'
		--data-binary @rec$i.json -w '\n' "$URL/v1/records")
done < people.jsonl
curl "${args[@]}" | $PY -c '
import json, sys
for l in sys.stdin:
    d = json.loads(l); print(d.get("status", "?"), d.get("jti", "?"))' > got1.txt
awk '{print $1}' got1.txt > st1.txt; awk '{print $2}' got1.txt > jti1.txt
cmp -s st1.txt want1.txt && [ "$(sort -u jti1.txt | wc -l)" = 48 ] &&
	ok "48 codes under seq 1, each as the brute force says" || bad "codes under seq 1" "$(diff st1.txt want1.txt | head -3)"
paste -d' ' want.txt jti1.txt > table.txt

# ---- a new list: exactly the exposed people change ----
cp v2.jws www/risk-areas.jws
waitlog "risk feed: seq 2 in force" && ok "seq 2 fetched and in force" || bad "seq 2" "$(tail -3 o/log)"
curl -s --cacert ca.pem -H "Authorization: Bearer $T_A" "$URL/v1/audit?after=0&limit=10000" |
	$PY rf.py audit "risk-areas seq 2" > got.txt
awk '$2 != $3 {print "status", $1, $2, $3}' table.txt | sort > want_st.txt
grep '^status' got.txt | sort > got_st.txt
[ -s want_st.txt ] && cmp -s want_st.txt got_st.txt && ok "exactly the $nch people the brute force names changed, from and to as it says" ||
	bad "changed set" "$(diff want_st.txt got_st.txt | head -5)"
awk '$2 != $3 {print "revoke", $4}' table.txt | sort > want_rv.txt
grep '^revoke' got.txt | sort > got_rv.txt
[ -s want_rv.txt ] && cmp -s want_rv.txt got_rv.txt && ok "their seq-1 codes, and no other, revoked with the list as cause" ||
	bad "revoked set" "$(diff want_rv.txt got_rv.txt | head -5)"
reev=$(metric 'hc_riskfeed_reevaluations_total{result="ok"}'); chg=$(metric hc_riskfeed_status_changes_total)
[ "$chg" = "$nch" ] && [ "${reev:-0}" -ge "$nch" ] && [ "${reev:-99}" -lt 48 ] &&
	ok "metrics: $reev re-evaluated (the exposed only, not all 48), $chg changed" ||
	bad "metrics" "reevaluated $reev changed $chg"
# The published revocation list carries them (the publisher re-signs within 10 s).
for i in $(seq 120); do
	p=$(cut -d. -f2 o/publish/revocations/$REGION.jws 2>/dev/null | tr '_-' '/+')
	while [ $((${#p} % 4)) -ne 0 ]; do p="$p="; done
	echo "$p" | base64 -d 2>/dev/null > rl.json
	miss=$(awk '{print $2}' want_rv.txt | while read -r j; do grep -q "\"$j\"" rl.json || echo "$j"; done | wc -l)
	[ "$miss" = 0 ] && break
	sleep 0.1
done
[ "$miss" = 0 ] && ok "the published revocation list has every revoked code" || bad "published list" "$miss missing"

# ---- refused lists and faults leave the held list ----
refused=$(metric 'hc_riskfeed_fetches_total{result="refused"}')
expect_refused() { # NAME PATTERN: the feed refuses, says PATTERN, holds seq 2
	local i r
	for i in $(seq 100); do
		r=$(metric 'hc_riskfeed_fetches_total{result="refused"}')
		[ "${r:-0}" -gt "$refused" ] && break
		sleep 0.1
	done
	refused=$r
	[ "$(metric hc_riskfeed_seq)" = 2 ] && grep -q -- "$2" o/log && cmp -s v2.jws o/registry.db.risk-areas.jws &&
		ok "$1: refused, seq 2 held" || bad "$1" "seq $(metric hc_riskfeed_seq); $(tail -2 o/log)"
}
cp v1.jws www/risk-areas.jws; expect_refused "a rolled-back list (seq 1)" "rollback"
p=$(cut -d. -f2 v3.jws); c=${p:30:1}; [ "$c" = A ] && r=B || r=A
printf '%s.%s%s%s.%s' "$(cut -d. -f1 v3.jws)" "${p:0:30}" "$r" "${p:31}" "$(cut -d. -f3 v3.jws)" > www/risk-areas.jws
expect_refused "a bad signature" "does not verify"
cp rogue3.jws www/risk-areas.jws; expect_refused "a list signed by a non-root key" "not a pinned root"
head -c 20000 /dev/urandom | base64 -w0 > www/risk-areas.jws; expect_refused "garbage" "signature:"
failed=$(metric 'hc_riskfeed_fetches_total{result="failed"}')
echo http500 > mode
for i in $(seq 100); do [ "$(metric 'hc_riskfeed_fetches_total{result="failed"}')" -gt "$failed" ] && break; sleep 0.1; done
[ "$(metric hc_riskfeed_seq)" = 2 ] && grep -q 'HTTP status 500' o/log && ok "a server error: seq 2 held" ||
	bad "server error" "$(tail -2 o/log)"
# The list in force served again: the feed answers, /healthz is 200.
: > mode
cp v2.jws www/risk-areas.jws
okf=$(metric 'hc_riskfeed_fetches_total{result="ok"}')
for i in $(seq 100); do [ "$(metric 'hc_riskfeed_fetches_total{result="ok"}')" -gt "$okf" ] && break; sleep 0.1; done
kill "$SPID"; wait "$SPID" 2>/dev/null
st=$(curl -s -o /dev/null -w '%{http_code}' --cacert ca.pem "$URL/healthz")
[ "$st" = 200 ] && ok "/healthz 200 inside the grace" || bad "healthz inside grace" "$st"
sleep 4
body=$(curl -s -w ' %{http_code}' --cacert ca.pem "$URL/healthz")
[ "${body##* }" = 503 ] && has "$body" "risk-area feed" && [ "$(metric hc_riskfeed_seq)" = 2 ] &&
	ok "server down: seq 2 held, /healthz 503 past the grace, says why" || bad "server down" "$body"
kill "$DPID"; wait "$DPID" 2>/dev/null; DPID=""
start_daemon && waitlog "holding seq 2" && [ "$(metric hc_riskfeed_seq)" = 2 ] &&
	ok "a restart holds seq 2 (the server still down)" || bad "restart" "$(tail -3 o/log)"
r=$(sed -n 1p people.jsonl)
out=$(curl -s --cacert ca.pem -H "Authorization: Bearer $T_C" -H 'Content-Type: application/json' \
	--data-binary "$r" "$URL/v1/records")
has "$out" "\"status\":\"$(sed -n 1p want2.txt)\"" && ok "issuance after the restart uses the held list" ||
	bad "issuance after restart" "$out"
# ---- a person's failed re-evaluation is logged with that person's fault ----
# Every stored person given a test result without a time (the registry
# changed behind the service's back); the next list's re-evaluation then
# fails for each exposed person, and the log says why (the entry), not only
# the error's name.
kill "$DPID"; wait "$DPID" 2>/dev/null; DPID=""
$PY "$SRC/tests/tools/reg_inputs.py" o/registry.db append nat '{"at":"soon","result":"negative"}' test &&
	old=$FPORT && cp v3.jws www/risk-areas.jws && srv && sed -i "s|127.0.0.1:$old/|127.0.0.1:$FPORT/|" $CF &&
	start_daemon && waitlog 'risk feed: re-evaluation: .*nat\[0\]' &&
	waitlog "seq in force, its re-evaluation is incomplete" && [ "$(metric hc_riskfeed_seq)" = 3 ] &&
	cmp -s v2.jws o/registry.db.risk-areas.jws &&
	ok "a failed re-evaluation: the log names the person's entry; seq 3 in force, seq 2 still the durable base" ||
	bad "failed re-evaluation" "$(grep 're-evaluation' o/log | tail -2)"
kill "$DPID"; wait "$DPID" 2>/dev/null; rc=$?; DPID=""
[ $rc = 0 ] && ok "SIGTERM: the service stops cleanly (exit 0, no sanitizer report)" || bad "stop" "exit $rc; $(tail -5 o/log)"
# The backup carries the held list (the baseline against a rollback).
D backup --config $CF bk.db && cmp -s o/registry.db.risk-areas.jws bk.db.risk-areas.jws &&
	[ "$(stat -c %a bk.db.risk-areas.jws)" = 600 ] &&
	ok "backup: the held list copied beside the registry's copy (mode 0600)" || bad "backup of the held list"

# ---- SIGTERM during a long re-evaluation ----
# A second office with NBIG people who stayed in 500101 (events from a
# carrier). A list that makes 500101 high concerns all of them; SIGTERM as
# its re-evaluation starts stops the service at once (the chunks under way
# finished), the list not yet the durable base; the restart re-evaluates
# from the base, and every person turns red exactly once.
NBIG=16000
mkdir -p big && cd big || exit 2
service_env "\"threads\":4,\"risk_feed\":{\"url\":\"https://127.0.0.1:$FPORT/big.jws\",\"every\":\"1s\",\"cacert\":\"feed-ca.pem\"}" &&
	cp ../ca.pem o/feed-ca.pem && D init --config $CF >/dev/null &&
	T_TRV=$(D token add --config $CF --role source:trv --name carrier) &&
	T_A=$(D token add --config $CF --role auditor --name watcher) || bad "big office setup"
$PY - "$NBIG" <<'PY'
import json, sys, time
n = int(sys.argv[1]); cst = 8 * 3600
day = lambda d: time.strftime("%Y-%m-%d", time.gmtime(time.time() + cst + d * 86400))
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
iat = int(time.time()) - 60
json.dump({"seq": 1, "iat": iat, "areas": []}, open("b1.json", "w"))
json.dump({"seq": 2, "iat": iat, "areas": [{"region": "500101", "level": "high", "from": day(-4), "to": day(-1)}]}, open("b2.json", "w"))
for k in range(0, n, 1000):
    with open("ev%d.in" % (k // 1000), "w") as f:
        for i in range(k, min(n, k + 1000)):
            b = "500101%04d%02d%02d%03d" % (1950 + i % 60, 1 + i % 12, 1 + i % 28, i % 1000)
            c = (12 - sum(int(x) * y for x, y in zip(b, w)) % 11) % 11
            f.write(json.dumps({"event": "trv-%d" % i, "type": "trv", "id": b + ("X" if c == 10 else str(c)),
                                "region": "500101", "from": day(-3), "to": day(-2)}) + "\n")
PY
K riskareas --root root.key --in b1.json --out ../www/big.jws >/dev/null &&
	K riskareas --root root.key --in b2.json --out b2.jws >/dev/null && start_daemon &&
	waitlog "risk feed: seq 1 in force" || bad "big office: seq 1" "$(tail -3 o/log)"
acc=0
for f in ev*.in; do
	acc=$((acc + $(curl -s --cacert ca.pem -H "Authorization: Bearer $T_TRV" \
		-H 'Content-Type: application/x-ndjson' --data-binary @$f "$URL/v1/events" | grep -o '"verdict":"accepted"' | wc -l)))
done
[ "$acc" = $NBIG ] && ok "$NBIG people from a carrier's events, each with a stay in 500101" || bad "big events" "$acc accepted"
cp b2.jws ../www/big.jws
waitlog "seq 2: .* re-evaluating" || bad "big office: seq 2 not fetched" "$(tail -3 o/log)"
if grep -q "seq 2 in force" o/log; then
	skip "SIGTERM during a re-evaluation (it had finished before the signal)"
	kill -TERM "$DPID"; wait "$DPID"; DPID=""
else
	kill -TERM "$DPID"
	t0=$(date +%s%N); wait "$DPID"; rc=$?; t1=$(date +%s%N); DPID=""
	ms=$(( (t1 - t0) / 1000000 ))
	[ $rc = 0 ] && grep -q "stopping: [0-9]* of $NBIG people re-evaluated" o/log &&
		! grep -q "seq 2 in force" o/log && ! cmp -s b2.jws o/registry.db.risk-areas.jws &&
		ok "SIGTERM during the re-evaluation of $NBIG: exit 0 after $ms ms, seq 1 still the durable base" ||
		bad "SIGTERM during re-evaluation" "exit $rc after $ms ms; $(grep -e stopping -e 'risk feed' o/log | tail -3)"
fi
start_daemon && waitlog "risk feed: seq 2 in force" && cmp -s b2.jws o/registry.db.risk-areas.jws &&
	ok "the restart re-evaluates from the base: seq 2 in force and durable" || bad "restart after SIGTERM" "$(tail -3 o/log)"
red=$($PY - "$URL" "$T_A" <<'PY'
import json, ssl, sys, urllib.request
url, tok = sys.argv[1], sys.argv[2]
ctx = ssl.create_default_context(cafile="ca.pem")
after, seen, n = 0, set(), 0
while True:
    rq = urllib.request.Request("%s/v1/audit?after=%d&limit=10000" % (url, after), headers={"Authorization": "Bearer " + tok})
    lines = urllib.request.urlopen(rq, context=ctx).read().decode().splitlines()
    if not lines: break
    for l in lines:
        e = json.loads(l); after = e["seq"]
        if e["action"] == "status" and e["cause"] == "risk-areas seq 2" and e["to"] == "red":
            n += 1; seen.add(e["person"])
print(n, len(seen))
PY
)
[ "$red" = "$NBIG $NBIG" ] && ok "every one of the $NBIG turned red exactly once (the audit, across both runs)" ||
	bad "red after restart" "$red"
# SIGTERM while the feed waits on a server that does not answer: the fetch
# is abandoned (its timeout is 30 s).
echo "/big.jws hold big/b2.jws" > ../mode
for i in $(seq 100); do grep -q "HOLD /big.jws" ../feed.log && break; sleep 0.1; done
kill -TERM "$DPID"
t0=$(date +%s%N); wait "$DPID"; rc=$?; t1=$(date +%s%N); DPID=""
ms=$(( (t1 - t0) / 1000000 ))
grep -q "HOLD /big.jws" ../feed.log && [ $rc = 0 ] && [ $ms -lt 5000 ] &&
	ok "SIGTERM during a fetch from a server that holds the answer: exit 0 after $ms ms" ||
	bad "SIGTERM during a fetch" "exit $rc after $ms ms"
touch ../mode.release; : > ../mode
cd ..
cd ..

totals
[ "$fail" -eq 0 ]
