#!/bin/bash
# require.sh BUILD: the checkpoint requirements at their boundaries, in the
# single path (hc-verify --json) and the batch path (hc-verify batch), with
# codes signed by a real key (tests/tools/forge) whose claims carry test and
# vaccination data exactly at the limits. --require-nat H: a negative test
# exactly H hours old passes, one second older fails; a positive test fails
# however recent; no test fails. --require-doses N: N doses pass, N - 1
# fail; no vaccination fails. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
W=$(mktemp -d /tmp/hc-req.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 2

ATS=1795392000   # time of issue of every code
D=86400
T=$((ATS + D))   # verification time
H=48             # --require-nat
N=2              # --require-doses
ISS=https://hc.zj.example
K() { "$B/hc-keys" "$@"; }
qr() { printf 'hc:/'; printf '%s' "$1" | od -An -v -tu1 | tr -s ' ' '\n' | grep -v '^$' |
	while read -r c; do printf '%02d' $((c - 45)); done; echo; }

K gen root.key >/dev/null && K gen zj.key >/dev/null && mkdir -p trust/roots &&
	K pub root.key > trust/roots/root.jwk &&
	printf '{"seq":1,"iat":%d,"next_update":%d,"issuers":[{"iss":"%s","name":"Zhejiang","region":"330000","keys":[%s]}]}\n' \
		$((ATS - D)) $((ATS + 10 * D)) $ISS "$(K pub --status active zj.key)" > tl.json &&
	K trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null &&
	ok "setup: keys and trust list" || bad "setup: keys and trust list"
kid=$(K pub zj.key | sed 's/.*"kid":"\([^"]*\)".*/\1/')
HDR='{"alg":"ES256","zip":"DEF","kid":"'$kid'"}'

# code NAME HC-MEMBERS: a green code with these members added to hc (e.g.
# ,"nat":{...}), signed by zj.key; sets NAMES[] and CODES[]
NAMES=() CODES=()
code() {
	local jti q
	jti=$(openssl rand 16 | openssl base64 -A | tr '+/' '-_' | tr -d '=')
	printf '{"iss":"%s","iat":%d,"nbf":%d,"exp":%d,"jti":"%s","hc":{"v":1,"st":"green","pol":"default-1","why":[],"sub":{"name":"O*","id":"330***********1234"}%s}}' \
		$ISS $ATS $ATS $((ATS + 7 * D)) "$jti" "$2" > claims.json
	q=$(qr "$("$B/forge" zj.key "$HDR" claims.json zip rs)") && [ ${#q} -gt 100 ] ||
		{ bad "setup: code $1 forged" "$q"; return; }
	NAMES+=("$1") CODES+=("$q")
}
nat() { printf ',"nat":{"at":%d,"res":"%s"}' "$1" "$2"; }
vac() { printf ',"vac":{"doses":%d,"at":%d}' "$1" $((ATS - 30 * D)); }

# runs NAME WANT... -- OPTIONS: every code defined since the last call, in
# both paths, with the options; WANT is "ok" or the detail of a
# requirement-not-met, one per code
check() {
	local label=$1 i out rc want got line name
	shift
	local wants=()
	while [ "$1" != -- ]; do wants+=("$1"); shift; done
	shift
	# single: hc-verify --json, one code at a time
	for i in "${!CODES[@]}"; do
		want=${wants[$i]} name="$label: ${NAMES[$i]}"
		out=$("$B/hc-verify" --trust trust --at $T --json "$@" --text "${CODES[$i]}" 2>&1); rc=$?
		if [ "$want" = ok ]; then
			[ $rc -eq 0 ] && case "$out" in *'"reason":"ok"'*) true ;; *) false ;; esac &&
				ok "single $name passes" || bad "single $name passes" "exit $rc: $out"
		else
			[ $rc -eq 1 ] && case "$out" in *'"reason":"requirement-not-met"'*"$want"*) true ;; *) false ;; esac &&
				ok "single $name fails" || bad "single $name fails" "exit $rc, want 1 requirement-not-met ($want): $out"
		fi
	done
	# batch: hc-verify batch, all codes as records at T, then again (cached)
	for i in "${!CODES[@]}" "${!CODES[@]}"; do printf '{"code":"%s","at":%d}\n' "${CODES[$i]}" $T; done > b.jsonl
	"$B/hc-verify" batch --trust trust "$@" --in b.jsonl --out b.out 2> b.err; rc=$?
	[ $rc -eq 0 ] && ok "batch $label: exit 0" || bad "batch $label: exit 0" "exit $rc: $(head -c 300 b.err)"
	[ "$(wc -l < b.out 2>/dev/null)" = $((2 * ${#CODES[@]})) ] && ok "batch $label: one result per record" ||
		bad "batch $label: one result per record" "$(wc -l < b.out 2>&1) lines"
	for i in "${!CODES[@]}"; do
		want=${wants[$i]} name="$label: ${NAMES[$i]}"
		for line in $((i + 1)) $((i + 1 + ${#CODES[@]})); do
			got=$(sed -n "${line}p" b.out 2>/dev/null)
			if [ "$want" = ok ]; then
				case "$got" in *'"reason":"ok"'*) true ;; *) false ;; esac &&
					ok "batch $name passes (line $line)" || bad "batch $name passes (line $line)" "$got"
			else
				case "$got" in *'"reason":"requirement-not-met"'*"$want"*) true ;; *) false ;; esac &&
					ok "batch $name fails (line $line)" ||
					bad "batch $name fails (line $line)" "want requirement-not-met ($want): $got"
			fi
		done
	done
	NAMES=() CODES=()
}

# ---- --require-nat H: age limit exactly, and the result of the test ----
NAT='no negative test'
code "negative test exactly $H h old" "$(nat $((T - H * 3600)) neg)"
code "negative test $H h and 1 s old" "$(nat $((T - H * 3600 - 1)) neg)"
code "negative test 1 h old" "$(nat $((T - 3600)) neg)"
code "positive test 1 h old" "$(nat $((T - 3600)) pos)"
code "positive test exactly $H h old" "$(nat $((T - H * 3600)) pos)"
code "no test, $N doses" "$(vac $N)"
check "--require-nat $H" ok "$NAT" ok "$NAT" "$NAT" "$NAT" -- --require-nat $H

# ---- --require-doses N: exactly N, one short, none ----
DOS='fewer vaccine doses'
code "$N doses" "$(vac $N)"
code "$((N - 1)) dose" "$(vac $((N - 1)))"
code "$((N + 1)) doses" "$(vac $((N + 1)))"
code "0 doses" "$(vac 0)"
code "no vaccination, a negative test" "$(nat $((T - 3600)) neg)"
check "--require-doses $N" ok "$DOS" ok "$DOS" "$DOS" -- --require-doses $N

# ---- both at their limits together; each one short alone ----
code "both at the limit" "$(nat $((T - H * 3600)) neg)$(vac $N)"
code "test 1 s too old, doses at the limit" "$(nat $((T - H * 3600 - 1)) neg)$(vac $N)"
code "test at the limit, one dose short" "$(nat $((T - H * 3600)) neg)$(vac $((N - 1)))"
check "--require-nat $H --require-doses $N" ok "$NAT" "$DOS" -- --require-nat $H --require-doses $N

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
