#!/bin/bash
# scans.sh DIR [N]: makes DIR (which must not exist) with a trust directory
# and a file of scan records to try `hc-verify batch` on:
#   DIR/trust/        roots, trust list (one province), revocation list
#   DIR/scans.jsonl   N scans (default 1000) of the codes of
#                     examples/records.jsonl: green, yellow and red codes,
#                     one revoked, some scanned after they expired, one
#                     tampered, one line of bare QR text
# with the programs of build/ (or of $B). Then prints the command to run.
set -eu
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: examples/scans.sh DIR [N]" >&2; exit 2; }
EX=$(cd "$(dirname "$0")" && pwd)
B=$(cd "${B:-$EX/../build}" && pwd)
D=$1 N=${2:-1000}
case "$N" in '' | *[!0-9]*) echo "scans.sh: N is a number" >&2; exit 2 ;; esac
mkdir "$D" # refuses an existing directory
cd "$D"
ISS=https://hc.zj.example
AT=2026-11-22T22:00:00+08:00 # the risk-area list of examples/ is of 2026-11-22
"$B/hc-keys" gen root.key > /dev/null
"$B/hc-keys" gen zj.key > /dev/null
"$B/hc-keys" pub zj.key > zj.jwk
mkdir -p trust/roots trust/revocations
"$B/hc-keys" pub root.key > trust/roots/national.jwk
"$B/hc-keys" tl new tl.json --next-update 2027-06-01 > /dev/null
"$B/hc-keys" tl add-issuer tl.json --iss $ISS --name "Zhejiang Health Commission" \
	--region 330000 --revocations revocations/330000.jws --jwk zj.jwk > /dev/null
"$B/hc-keys" trustlist --root root.key --in tl.json --out trust/trustlist.jws > /dev/null
"$B/hc-issue" --key zj.key --iss $ISS --trust trust --batch "$EX/records.jsonl" \
	--risk-areas "$EX/risk-areas.json" --at $AT --records issued.jsonl > codes.txt 2> /dev/null
# revoke the code of line 2 from the time of issue on
jti=$(sed -n 2p issued.jsonl | sed 's/.*"jti":"\([^"]*\)".*/\1/')
"$B/hc-keys" revoke --key zj.key --iss $ISS --trust trust --in revoked.json --add "$jti" \
	--seq 1 --iat $AT --out trust/revocations/330000.jws > /dev/null
# scans: every code in turn, at times from the issue on (a few after exp)
awk -v n="$N" -v t0=1795356000 '
	{ code[NR] = $0 }
	END {
		for (i = 0; i < n; i++) {
			c = code[i % NR + 1]
			at = t0 + 60 + (i * 97) % 86400 + (i % 50 == 49 ? 86400 : 0)
			if (i == 7) { print c; continue }           # bare QR text
			if (i == 11) {                               # a signature changed
				L = length(c)
				c = substr(c, 1, L - 10) (substr(c, L - 9, 1) == "1" ? "2" : "1") substr(c, L - 8)
			}
			printf "{\"code\":\"%s\",\"at\":%d,\"checkpoint\":\"cp-%02d\"}\n", c, at, i % 17
		}
	}' codes.txt > scans.jsonl
echo "$D: $(wc -l < scans.jsonl) scans of $(wc -l < codes.txt) codes; try:"
echo "  $B/hc-verify batch --trust $D/trust --in $D/scans.jsonl --report $D/report.json > $D/results.jsonl"
