#!/bin/bash
# bench/sm2.sh BUILD (make bench): SM2 next to its limits on this machine.
# Verification: hc-verify batch --no-cache over SM2 codes (the key's
# table, common/ecverify.c), on one core against `openssl speed -seconds 3
# sm2` verify and on every core against `openssl speed -multi N sm2`
# verify, in the same run, as ratios with the target (3x). Issuance:
# hc-issue --batch with an SM2 key against openssl's SM2 sign rate on one
# core (each code is also verified once before it is printed). With
# SoftHSM2 installed: issuance through a PKCS#11 token against the same
# kind of key (P-256) in a file. HC_BENCH_N codes (default 20000).
set -u
B=$(cd "${1:-build}" && pwd)
N=${HC_BENCH_N:-20000}
CPUS=$(nproc)
W=$(mktemp -d /tmp/hc-bench-sm2.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 2
K() { "$B/hc-keys" "$@"; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
AT=2026-11-23T08:00:00+08:00
ATS=1795392000

ratio() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { if (b > 0) { r = a / b
	printf "ratio %.2f", r; if (t > 0) printf ", target >= %g%s", t, (r >= t ? "" : "  MISSED") }
	else printf "no openssl figure" }'; }

# openssl's own SM2 rates: one core (sign, verify) and every core (verify)
read -r one one_v < <(openssl speed -seconds 3 sm2 2>/dev/null | awk '/SM2/ { print $(NF-1), $NF }')
all=$(openssl speed -multi "$CPUS" -seconds 3 sm2 2>/dev/null | awk '/SM2/ { v = $NF } END { print v }')

K gen --alg SM2 sm.key >/dev/null && K gen root.key >/dev/null && mkdir -p trust/roots &&
	K pub root.key > trust/roots/root.jwk || exit 2
printf '{"seq":1,"iat":%d,"next_update":%d,"issuers":[{"iss":"https://hc.sm.example","name":"SM","region":"110000","keys":[%s]}]}' \
	$((ATS - 86400)) $((ATS + 86400)) "$(K pub --status active sm.key)" > tl.json
K trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null || exit 2
python3 -c 'import sys
for i in range(int(sys.argv[1])): print("{\"person\":{\"name\":\"王小明\",\"id\":\"11010519491231002X\"}}")' "$N" > recs.jsonl

# openssl speed divides by its CPU time (user), not by the wall clock
# (unless -elapsed): one-thread figures here are rated the same way (user
# and system time of the process), with the wall clock beside them.
TIMEFORMAT='%U %S'
t0=$(now)
cpu=$({ time "$B/hc-issue" --key sm.key --iss https://hc.sm.example --batch recs.jsonl --at $AT \
	> codes.txt 2>/dev/null; } 2>&1 | awk '{ print $1 + $2 }')
t1=$(now)
[ "$(wc -l < codes.txt)" -eq "$N" ] || { echo "SM2 issuance: $(wc -l < codes.txt) codes of $N"; exit 2; }
r=$(rate "$N" "$t0" "$t1") rc=$(rate "$N" 0 "$cpu")
echo "SM2 issuance: $rc codes per CPU second ($r/s by the wall clock), one core (limit: openssl" \
	"speed sm2 sign ${one:-?}/s; each code is also verified once; $(ratio "$rc" "${one:-0}" 0))"
for th in 1 "$CPUS"; do
	t0=$(now)
	cpu=$({ time "$B/hc-verify" batch --trust trust --at $((ATS + 60)) --no-cache --threads "$th" \
		--in codes.txt --out res.jsonl 2>/dev/null; } 2>&1 | awk '{ print $1 + $2 }')
	t1=$(now)
	grep -c '"verdict":"pass"' res.jsonl | grep -qx "$N" || { echo "SM2 batch: not every code passed"; exit 1; }
	r=$(rate "$N" "$t0" "$t1")
	if [ "$th" = 1 ]; then
		rc=$(rate "$N" 0 "$cpu")
		echo "SM2 batch verification, 1 thread: $rc codes per CPU second ($r/s by the wall clock)" \
			"(limit: openssl speed -seconds 3 sm2 verify ${one_v:-?}/s; $(ratio "$rc" "${one_v:-0}" 3))"
	else
		echo "SM2 batch verification, $th threads: $r codes/s (limit: openssl speed -multi $th" \
			"-seconds 3 sm2 verify ${all:-?}/s; $(ratio "$r" "${all:-0}" 3))"
	fi
done

MOD=/usr/lib/softhsm/libsofthsm2.so
if [ -f "$MOD" ] && command -v pkcs11-tool >/dev/null; then
	mkdir -p tokens
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$W" > softhsm2.conf
	export SOFTHSM2_CONF=$W/softhsm2.conf
	printf '246810\n' > pin && chmod 600 pin
	{ pkcs11-tool --module $MOD --init-token --slot 0 --label bench --so-pin 13572468 &&
		pkcs11-tool --module $MOD --token-label bench --login --login-type so --so-pin 13572468 \
			--init-pin --pin 246810 &&
		pkcs11-tool --module $MOD --token-label bench --login --pin 246810 --keypairgen \
			--key-type EC:prime256v1 --label issuer --usage-sign --sensitive; } >/dev/null 2>&1 || exit 2
	U="pkcs11:token=bench;object=issuer?module-path=$MOD&pin-source=file:$W/pin"
	K gen p256.key >/dev/null
	M=$((N / 4))
	head -n $M recs.jsonl > r.jsonl
	t0=$(now)
	"$B/hc-issue" --key "$U" --iss https://x.example --batch r.jsonl --at $AT > /dev/null || exit 2
	t1=$(now)
	"$B/hc-issue" --key p256.key --iss https://x.example --batch r.jsonl --at $AT > /dev/null || exit 2
	t2=$(now)
	echo "ES256 issuance through SoftHSM2: $(rate $M "$t0" "$t1") codes/s" \
		"(the same kind of key in a file: $(rate $M "$t1" "$t2") codes/s)"
else
	echo "SKIP issuance through a token: SoftHSM2 or pkcs11-tool not installed"
fi
