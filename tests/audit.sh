#!/bin/bash
# audit.sh BUILD: `hc-verify audit` on chains that tests/tools/auditgen
# writes through the library (2500 entries: three segment files), under a
# trust list made with hc-keys: the counts against the generator's pattern
# (computed here by Python), the chain and head checked by Python and
# openssl on their own, then one refusal per kind of tampering, each with
# its reason word, older heads (extends, rewritten, rolled back), and the
# same over HTTPS (tests/tools/https_server.py, a test CA). Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-audit.XXXXXX)
PIDS=""
cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 2

ZJ=https://hc.zj.example
SH=https://hc.sh.example
XX=https://hc.xx.example
N=2500

# ---- keys and a trust list: ZJ (active, revoked, expired keys), SH ----
K() { "$B/hc-keys" "$@"; }
for k in root zj zjrev zjold sh rogue; do K gen $k.key >/dev/null || bad "key $k"; done
printf '{"seq":1,"iat":1763856000,"next_update":4102444800,"issuers":[{"iss":"%s","name":"Zhejiang Health","region":"330000","keys":[%s,%s,%s]},{"iss":"%s","name":"Shanghai Health","region":"310000","keys":[%s]}]}\n' \
	"$ZJ" "$(K pub --status active zj.key)" "$(K pub --status revoked zjrev.key)" \
	"$(K pub --status retired --exp 2026-01-01 zjold.key)" "$SH" "$(K pub --status active sh.key)" > tl.json
trust_dir trust tl.json && "$B/hc-verify" status --trust trust >/dev/null &&
	ok "trust list signed and loads" || bad "trust list"

gen() { # DIR KEY ISS N [EDIT [HEAD_AT]]: a fresh chain in DIR
	rm -rf "$1" && mkdir -p "$1" && "$B/auditgen" "$2" "$3" "$1" "${@:4}"
}
A() { # SOURCE [options]: runs hc-verify audit, sets OUT, ERR, RC
	timeout 60 "$B/hc-verify" audit --trust trust "$@" > out.txt 2> err.txt; RC=$?
	OUT=$(cat out.txt) ERR=$(cat err.txt)
}
refused() { # NAME REASON SOURCE [options]: exit 1 with that reason (JSON; and text with TEXT=1)
	local name=$1 want=$2
	shift 2
	if [ "${TEXT:-0}" = 1 ]; then
		A "$@"
		if [ $RC -ne 1 ] || ! has "$OUT" "REFUSED $want:"; then
			bad "$name: refused $want" "exit $RC: $OUT $ERR"
			return
		fi
	fi
	A --json "$@"
	[ $RC -eq 1 ] && has "$OUT" "\"verified\":false,\"reason\":\"$want\"" &&
		ok "$name: refused $want" || bad "$name: refused $want (--json)" "exit $RC: $OUT $ERR"
}

# ---- 1. a good chain: verified, counts as the pattern says ----
gen good zj.key $ZJ $N && [ "$(ls good/audit)" = "$(printf '%s\n' 000001.jsonl 000002.jsonl 000003.jsonl head.jws)" ] &&
	[ "$(cat good/audit/*.jsonl | wc -l)" = $N ] && ok "auditgen: $N entries in three segments" || bad "auditgen"
A good
[ $RC -eq 0 ] && has "$OUT" "verified: $ZJ, entries 1..$N" && ok "good chain verified (text)" ||
	bad "good chain" "exit $RC: $OUT $ERR"
has "$OUT" "counter-1 -> red" && bad "text: status lines" "$OUT" || true
RED=$(((N - 2) / 8 + 1)) YELLOW=$(((N - 6) / 8 + 1))
has "$OUT" "source:nat -> red: $RED entries, 25 people
      nat-positive $RED
  source:nat -> yellow: $YELLOW entries, 25 people
      contact $YELLOW
      risk-area $YELLOW" && has "$OUT" "by actor and action:
  admin revoke $((N / 4))" && ok "text: status changes by actor, new status and reason" ||
	bad "text: status changes" "$OUT"
A --json good
[ $RC -eq 0 ] && echo "$OUT" > good.json && ok "good chain verified (--json)" || bad "good chain --json" "exit $RC: $OUT $ERR"
# The counts the generator's pattern gives, computed independently.
python3 - "$N" good.json <<'EOF' && ok "counts by action, actor, actor x action, status x why, people" || bad "counts" "$(cat good.json)"
import json, sys
n = int(sys.argv[1]); got = json.load(open(sys.argv[2]))
act = {1: ("counter-1", "issue"), 2: ("source:nat", "status"), 3: ("counter-2", "record"), 0: ("admin", "revoke")}
by_action, by_actor, by_aa, st = {}, {}, {}, {}
for s in range(1, n + 1):
    who, what = act[s % 4]
    by_action[what] = by_action.get(what, 0) + 1
    by_actor[who] = by_actor.get(who, 0) + 1
    by_aa.setdefault(who, {})[what] = by_aa.get(who, {}).get(what, 0) + 1
    if what == "status":
        to = "red" if s % 8 == 2 else "yellow"
        why = ["nat-positive"] if s % 8 == 2 else ["contact", "risk-area"]
        e = st.setdefault((who, to), {"entries": 0, "people": set(), "why": {}})
        e["entries"] += 1; e["people"].add(s % 100)
        for w in why: e["why"][w] = e["why"].get(w, 0) + 1
want_st = sorted([{"actor": a, "to": t, "entries": e["entries"], "people": len(e["people"]), "why": e["why"]}
                  for (a, t), e in st.items()], key=lambda x: (x["actor"], x["to"]))
assert got["verified"] is True and got["seq"] == n and got["entries"] == n, got
assert got["iss"] == "https://hc.zj.example" and got["at"] == 1795392000 + n + 10
assert got["first_at"] == 1795392001 and got["last_at"] == 1795392000 + n
assert got["by_action"] == by_action, (got["by_action"], by_action)
assert got["by_actor"] == by_actor, (got["by_actor"], by_actor)
assert got["by_actor_action"] == by_aa
assert got["status"] == want_st, (got["status"], want_st)
assert [x["people"] for x in want_st] == [25, 25], want_st   # s%100 = 2 mod 4: 25 values, red or yellow
EOF

# The chain and the head, checked without hcode: every prev is the
# base64url SHA-256 of the line before, the head's hash that of the last
# line, and its ES256 signature verifies with openssl.
python3 - good/audit <<'EOF' > head.der && ok "chain and head hash checked by Python" || bad "independent chain check"
import base64, hashlib, json, sys
d = sys.argv[1]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
prev = b"\0" * 32
lines = b"".join(open(f"{d}/{k:06d}.jsonl", "rb").read() for k in (1, 2, 3)).split(b"\n")
assert lines[-1] == b"" and len(lines) == 2501
for i, l in enumerate(lines[:-1]):
    e = json.loads(l)
    assert e["seq"] == i + 1 and e["prev"] == b64(prev), i
    assert list(e) == ["seq", "at", "actor", "action", "person", "from", "to", "why", "cause", "jti", "prev"]
    prev = hashlib.sha256(l).digest()
h, p, s = open(f"{d}/head.jws").read().strip().split(".")
dec = lambda x: base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
hdr, pay = json.loads(dec(h)), json.loads(dec(p))
assert set(hdr) == {"alg", "kid"} and hdr["alg"] == "ES256", hdr
assert list(pay) == ["iss", "seq", "hash", "at"] and pay["seq"] == 2500 and pay["hash"] == b64(prev), pay
open("signing-input", "w").write(h + "." + p)
sig = dec(s)
def der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80: b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b
body = der_int(sig[:32]) + der_int(sig[32:])
sys.stdout.buffer.write(b"\x30" + bytes([len(body)]) + body)
EOF
openssl pkey -in zj.key -pubout -out zj.pub 2>/dev/null &&
	openssl dgst -sha256 -verify zj.pub -signature head.der signing-input >/dev/null 2>&1 &&
	ok "head signature verified by openssl" || bad "head signature (openssl)"

# --save-head, then the same chain and a longer one extend it.
gen ext zj.key $ZJ 1200 && A ext --save-head h1200.jws && [ $RC -eq 0 ] &&
	cmp -s h1200.jws ext/audit/head.jws && ok "--save-head writes the verified head" ||
	bad "--save-head" "exit $RC: $OUT $ERR"
"$B/auditgen" zj.key $ZJ ext 2100 && A ext --since-head h1200.jws --save-head h2100.jws &&
	[ $RC -eq 0 ] && has "$OUT" "extends the older head at entry 1200" && has "$OUT" "entries 1..2100" &&
	ok "published on (same bytes kept) and extends the older head" || bad "extends" "exit $RC: $OUT $ERR"
A ext --since-head h2100.jws && [ $RC -eq 0 ] && ok "a head extends itself" || bad "same head" "exit $RC: $OUT $ERR"

# ---- 2. tampered entries and segments ----
cp -a good t
edit() { # SEGMENT PYTHON: rewrites t/audit/SEGMENT; b holds its bytes
	python3 -c "
import sys
p = 't/audit/$1'; b = open(p, 'rb').read()
$2
open(p, 'wb').write(b)"
}
fresh() { rm -rf t && cp -a good t; }
edit 000002.jsonl 'b = b.replace(b"\"seq\":1499,\"at\":1795393499,\"actor\":\"counter-2\"", b"\"seq\":1499,\"at\":1795393499,\"actor\":\"counter-3\"", 1)'
TEXT=1 refused "an edited entry" prev-mismatch t
has "$OUT" "entry 1500" && ok "edited entry: detail names the entry after it" || bad "edited entry detail" "$OUT"
fresh; edit 000003.jsonl 'b = b.replace(b"\"cause\":\"evt-nat\"", b"\"cause\":\"evt-nas\"")'
refused "edited entries up to the last" prev-mismatch t
fresh; edit 000003.jsonl 'l = b.split(b"\n"); l[-2] = l[-2].replace(b"\"admin\"", b"\"admim\""); b = b"\n".join(l)'
refused "an edited last entry" head-hash-mismatch t
fresh; edit 000002.jsonl 'l = b.split(b"\n"); del l[499]; b = b"\n".join(l)'
TEXT=1 refused "a removed entry" seq-gap t
fresh; edit 000001.jsonl 'l = b.split(b"\n"); l[9], l[10] = l[10], l[9]; b = b"\n".join(l)'
refused "two swapped entries" seq-gap t
fresh; edit 000001.jsonl 'b = b + b"{}\n"'
refused "a line added to a full segment" bad-segment t
fresh; edit 000003.jsonl 'b = b[:-40]'
refused "a truncated segment" truncated t
fresh; rm t/audit/000003.jsonl
refused "a missing segment" truncated t
fresh; edit 000002.jsonl 'l = b.split(b"\n"); l[3] = l[3][:-1] + b"," + b"\"x\":\"" + b"a" * 5000 + b"\"}"; b = b"\n".join(l)'
refused "an oversized line" oversized-line t
fresh; edit 000002.jsonl 'b = b"garbage\n" * 1000'
refused "a garbage segment" malformed-entry t
fresh; edit 000002.jsonl 'b = bytes(range(256)) * 100'
refused "a binary segment" malformed-entry t
fresh; edit 000001.jsonl 'b = b"\n" * 4200000'
refused "an oversized segment" oversized-segment t
fresh; edit 000001.jsonl 'b = b.replace(b"\"why\":[]", b"\"why\": []", 1)'
refused "an entry not in its one form" malformed-entry t

# ---- 3. heads ----
headpay() { # PYTHON: rewrites t/audit/head.jws's payload (p, a dict), signature kept
	python3 -c "
import base64, json
f = 't/audit/head.jws'; h, p, s = open(f).read().strip().split('.')
d = lambda x: base64.urlsafe_b64decode(x + '=' * (-len(x) % 4))
e = lambda b: base64.urlsafe_b64encode(b).rstrip(b'=').decode()
p = json.loads(d(p))
$1
open(f, 'w').write(h + '.' + e(json.dumps(p, separators=(',', ':')).encode()) + '.' + s + '\n')"
}
fresh; headpay 'p["seq"] = 2400'
refused "a forged head (seq changed)" bad-head-signature t
fresh; headpay 'p["iss"] = "https://hc.sh.example"'
refused "a forged head (iss changed)" bad-head-signature t
gen t sh.key $ZJ $N; TEXT=1 refused "a head signed by another issuer's key" wrong-issuer t
gen t rogue.key $ZJ $N; refused "a head signed by an unknown key" unknown-key t
gen t zjrev.key $ZJ $N; refused "a head signed by a revoked key" head-key-revoked t
gen t zjold.key $ZJ $N; refused "a head signed after its key's window" head-key-not-valid t
gen t zjold.key $ZJ $N 0 1763856000; A t
[ $RC -eq 0 ] && ok "a retired key's head inside its window verifies" || bad "retired key in window" "exit $RC: $OUT $ERR"
gen t zj.key $XX $N; refused "a head of an issuer not in the trust list" unknown-issuer t
fresh; echo "not.a.jws" > t/audit/head.jws
refused "a malformed head" malformed-head t
fresh; head -c 70000 /dev/zero | tr '\0' a > t/audit/head.jws
refused "an oversized head" malformed-head t
fresh; headpay 'p["x"] = 1'
refused "a head payload with an unknown member (forged)" bad-head-signature t

# ---- 4. history against an older head ----
gen hist zj.key $ZJ 1300 && A hist --save-head h1300.jws && [ $RC -eq 0 ] || bad "older head" "$OUT $ERR"
gen t zj.key $ZJ $N 50
A t; [ $RC -eq 0 ] && ok "a rewritten chain alone verifies (re-signed)" || bad "rewritten alone" "exit $RC: $OUT"
refused "history rewritten (entry 50), checked against the older head" rewritten t --since-head h1300.jws --save-head no.jws
[ ! -e no.jws ] && ok "a refused chain's head is not saved" || bad "--save-head after a refusal"
gen t zj.key $ZJ 1300 1300
refused "the older head's own entry rewritten" rewritten t --since-head h1300.jws
gen t zj.key $ZJ 1299
refused "a chain shorter than the older head" rolled-back t --since-head h1300.jws
gen t zj.key $ZJ $N
A t --since-head h1300.jws; [ $RC -eq 0 ] && ok "the honest chain extends the older head" || bad "honest extends" "exit $RC: $OUT"

# ---- 5. usage, I/O and trust errors: exit 2 ----
u() { # NAME ARGS...: exit 2 with a message on stderr
	local name=$1
	shift
	A "$@"
	[ $RC -eq 2 ] && [ -n "$ERR" ] && ok "$name: exit 2" || bad "$name: exit 2" "exit $RC: $OUT $ERR"
}
u "no head published" empty-dir
echo garbage > junk.jws
u "--since-head not a head" good --since-head junk.jws
gen sh sh.key $SH 10 && A sh --save-head hsh.jws && u "--since-head of another issuer" good --since-head hsh.jws
u "trust directory missing" good --trust nowhere
u "two sources" good good
u "option twice" good --json --json
u "http:// source" http://127.0.0.1:1/pub
"$B/hc-verify" audit --help | grep -q since-head && ok "audit --help" || bad "audit --help"
"$B/hc-verify" --help | grep -q "hc-verify audit" && ok "hc-verify --help names audit" || bad "--help"

# ---- 6. over HTTPS ----
{
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
		-out ca.pem -days 3650 -subj "/CN=hcode audit test CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key \
		-out srv.csr -subj /CN=localhost &&
	printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
		'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' > ext.cnf &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem \
		-days 3650 -extfile ext.cnf
} 2>/dev/null && ok "test CA and server certificate" || bad "test CA"
mkdir -p www && cp -a good www/pub
python3 "$SRC/tests/tools/https_server.py" --root www --cert srv.pem --key srv.key \
	--port-file port --log srv.log --mode-file mode &
PIDS="$PIDS $!"
for i in $(seq 100); do [ -s port ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(cat port 2>/dev/null)/pub
A --cacert ca.pem --json "$URL/"
[ $RC -eq 0 ] && [ "$OUT" = "$(cat good.json)" ] && ok "HTTPS: the good chain verifies, same counts" ||
	bad "HTTPS good chain" "exit $RC: $OUT $ERR"
[ "$(grep -c ' 200 ' srv.log)" = 4 ] && ok "HTTPS: head and three segments fetched" || bad "HTTPS fetches" "$(cat srv.log)"
A --cacert ca.pem --since-head h1300.jws "$URL"
[ $RC -eq 0 ] && ok "HTTPS: extends an older head" || bad "HTTPS since" "exit $RC: $OUT $ERR"
python3 -c "
p = 'www/pub/audit/000002.jsonl'; b = open(p, 'rb').read()
open(p, 'wb').write(b.replace(b'\"counter-2\"', b'\"counter-9\"', 1))"
refused "HTTPS: a tampered chain" prev-mismatch --cacert ca.pem "$URL"
cp good/audit/000002.jsonl www/pub/audit/
echo "/pub/audit/000003.jsonl withhold" > mode
refused "HTTPS: a withheld segment (404)" truncated --cacert ca.pem "$URL"
rm -f mode
head -c 4100000 /dev/zero | tr '\0' '\n' > www/pub/audit/000003.jsonl
refused "HTTPS: an oversized segment (capped)" oversized-segment --cacert ca.pem "$URL"
cp good/audit/000003.jsonl www/pub/audit/
A "$URL"
[ $RC -eq 2 ] && has "$ERR" "hc-verify audit" && ok "HTTPS: unknown CA: exit 2" || bad "HTTPS unknown CA" "exit $RC: $OUT $ERR"
echo http500 > mode
A --cacert ca.pem "$URL"
[ $RC -eq 2 ] && ok "HTTPS: server error: exit 2" || bad "HTTPS 500" "exit $RC: $OUT $ERR"
rm -f mode
A --cacert ca.pem "https://127.0.0.1:$(cat port)/nothing"
[ $RC -eq 2 ] && ok "HTTPS: no head at the URL: exit 2" || bad "HTTPS no head" "exit $RC: $OUT $ERR"

totals
[ "$fail" -eq 0 ]
