#!/bin/bash
# riskfeed.sh BUILD: the signed national risk-area list. hc-keys riskareas
# signs a payload with a root key (and refuses a bad payload); hc-issue
# takes the signed list with --trust (signed by a pinned root, intact) and
# the old unsigned JSON; a venue visit inside an exposure window turns a
# code yellow or red. Last line: totals.
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
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1${2:+: $2}"; }
has() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }
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

totals
[ "$fail" -eq 0 ]
