#!/bin/sh
# demo.sh: the whole path on built-in samples: a national root, two
# provincial issuers, a signed trust list, green/yellow/red codes as PNG
# files scanned back by hc-verify, and a tampered code that is refused.
set -eu
B=${1:-build}
B=$(cd "$B" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
out=${HC_DEMO_DIR:-$(mktemp -d /tmp/hc-demo.XXXXXX)}
mkdir -p "$out/trust/roots"
cd "$out"
AT=2026-11-23T08:00:00+08:00

echo "== keys (in $out)"
root=$("$B/hc-keys" gen root.key)
zj=$("$B/hc-keys" gen zj.key)
sh=$("$B/hc-keys" gen sh.key)
echo "national root $root"
echo "330000 issuer $zj"
echo "310000 issuer $sh"
"$B/hc-keys" pub root.key > trust/roots/national.jwk

echo "== trust list"
cat > trustlist.json <<JSON
{"seq":1,"iat":1763856000,"next_update":1795392000,"issuers":[
 {"iss":"https://hc.zj.example","name":"Zhejiang Health Commission","region":"330000",
  "keys":[$("$B/hc-keys" pub --status active zj.key)]},
 {"iss":"https://hc.sh.example","name":"Shanghai Health Commission","region":"310000",
  "keys":[$("$B/hc-keys" pub --status active sh.key)]}]}
JSON
"$B/hc-keys" trustlist --root root.key --in trustlist.json --out trust/trustlist.jws >/dev/null
echo "signed trust/trustlist.jws"

echo "== issue"
for who in green yellow red; do
	key=zj.key iss=https://hc.zj.example
	[ "$who" = yellow ] && key=sh.key iss=https://hc.sh.example
	"$B/hc-issue" --key $key --iss $iss --record "$here/$who.json" \
		--risk-areas "$here/risk-areas.json" --at $AT --png "$who.png" > "$who.txt"
	echo "$who.png: $(wc -c < "$who.txt") bytes of QR text"
done

echo "== verify the PNG files (any status shown; a checkpoint requires green)"
"$B/hc-verify" --trust trust --at $AT --any-status green.png yellow.png red.png
echo "== checkpoint rule (green only): yellow and red are refused"
"$B/hc-verify" --trust trust --at $AT green.png yellow.png red.png || echo "(exit $?)"

echo "== a tampered code is refused"
t=$(cat green.txt)
# change one digit pair inside the signature
tampered=$(printf '%s' "$t" | awk '{ p = length($0) - 41; c = substr($0, p, 2); r = (c == "10") ? "11" : "10"; print substr($0, 1, p - 1) r substr($0, p + 2) }')
"$B/hc-verify" --trust trust --at $AT --text "$tampered" || echo "(exit $?)"
echo "demo files are in $out"
