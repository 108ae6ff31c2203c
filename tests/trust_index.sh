#!/bin/bash
# trust_index.sh BUILD: the revocation-list index cache (NAME.jws.idx):
# written on load, used while the list is unchanged, and ignored (then
# rewritten) when it is stale, truncated, garbage or out of order, so that
# a damaged cache never un-revokes a code. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
W=$(mktemp -d /tmp/hc-index.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
cd "$W"

ATS=1795392000
ISS=https://hc.zj.example
expect() { # NAME REASON QR
	local out
	out=$("$B/hc-verify" --trust trust --at $ATS --json --text "$3" 2>&1)
	case "$out" in *"\"reason\":\"$2\""*) ok "$1" ;; *) bad "$1" "want $2: $out" ;; esac
}
jti() {
	python3 - "$1" <<'PY'
import base64, json, sys, zlib
d = sys.argv[1][4:]
tok = ''.join(chr(int(d[i:i + 2]) + 45) for i in range(0, len(d), 2))
p = tok.split('.')[1]
print(json.loads(zlib.decompress(base64.urlsafe_b64decode(p + '=' * (-len(p) % 4)), -15))['jti'])
PY
}

"$B/hc-keys" gen root.key >/dev/null && "$B/hc-keys" gen zj.key >/dev/null
mkdir -p trust/roots trust/revocations
"$B/hc-keys" pub root.key > trust/roots/root.jwk
cat > tl.json <<JSON
{"seq":1,"iat":$((ATS - 86400)),"next_update":$((ATS + 86400)),"issuers":[
 {"iss":"$ISS","name":"Zhejiang","region":"330000","keys":[$("$B/hc-keys" pub --status active zj.key)]}]}
JSON
"$B/hc-keys" trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null
printf '{"person":{"name":"李四","id":"33010619900101123X"}}\n' > rec.json
A=$("$B/hc-issue" --key zj.key --iss $ISS --record rec.json --at $ATS)
C=$("$B/hc-issue" --key zj.key --iss $ISS --record rec.json --at $ATS)
# A revoked among 200 others (so order matters for the binary search)
{ printf '[{"jti":"%s","at":%d}' "$(jti "$A")" $((ATS - 60))
  for i in $(seq 1 200); do printf ',"%s"' "$(head -c 16 /dev/urandom | openssl base64 -A | tr '+/' '-_' | tr -d '=')"; done
  echo ']'; } > list.json
"$B/hc-keys" revoke --key zj.key --iss $ISS --in list.json --seq 1 --iat $((ATS - 60)) \
	--out trust/revocations/330000.jws >/dev/null
printf '["%s"]' "$(jti "$C")" > list2.json
"$B/hc-keys" revoke --key zj.key --iss $ISS --in list2.json --seq 2 --iat $((ATS - 60)) \
	--out other.jws >/dev/null
IDX=trust/revocations/330000.jws.idx

[ ! -e $IDX ] && ok "no index before the first load" || bad "no index before the first load"
expect "revoked code fails (list parsed)" revoked "$A"
expect "other code passes" ok "$C"
[ -s $IDX ] && ok "first load wrote the index" || bad "first load wrote the index"
size=$(stat -c %s $IDX)
# 24-byte entries after a fixed header: 201 entries
[ $(( (size - 472 - 48) / 24 )) -eq 201 ] && [ $(( (size - 472 - 48) % 24 )) -eq 0 ] && ok "index holds 201 entries ($size bytes)" || bad "index size" "$size"
cp $IDX good.idx
m1=$(stat -c %Y.%i $IDX)
expect "revoked code fails (index used)" revoked "$A"
[ "$(stat -c %Y.%i $IDX)" = "$m1" ] && ok "a valid index is not rewritten" || bad "valid index rewritten"

# Each damaged index is ignored (the code stays revoked) and replaced.
damage() { # NAME; the index has been damaged in place
	expect "$1: still revoked" revoked "$A"
	cmp -s $IDX good.idx && ok "$1: index rewritten" || bad "$1: index rewritten"
}
head -c 1000 good.idx > $IDX; damage "truncated index"
head -c 5000 /dev/urandom > $IDX; damage "garbage index"
: > $IDX; damage "empty index"
cat good.idx good.idx > $IDX; damage "index with trailing bytes"
# an index of another list (valid, but for other contents: digest mismatch)
mkdir -p t2 && cp -r trust/roots trust/trustlist.jws t2/ && mkdir t2/revocations &&
	cp other.jws t2/revocations/330000.jws
"$B/hc-verify" --trust t2 --at $ATS --text "$C" >/dev/null 2>&1
cp t2/revocations/330000.jws.idx $IDX; damage "index of another list"
# swap the first two entries: header intact, order broken
python3 - good.idx $IDX <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
h = 328
b[h:h + 24], b[h + 24:h + 48] = b[h + 24:h + 48], b[h:h + 24]
open(sys.argv[2], 'wb').write(b)
PY
damage "index with entries out of order"
# flip the magic
python3 - good.idx $IDX <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[0] ^= 1
open(sys.argv[2], 'wb').write(b)
PY
damage "index with a bad magic"
# A new list (higher seq) makes the old index stale.
cp other.jws trust/revocations/330000.jws
expect "new list: old index ignored, new revocation applies" revoked "$C"
expect "new list: code no longer listed passes" ok "$A"
cmp -s $IDX good.idx && bad "stale index replaced" || ok "stale index replaced"
# The index is only a cache: a directory where it cannot be written works.
rm -f $IDX && mkdir $IDX
expect "unwritable index: verification still works" revoked "$C"
rmdir $IDX

# ---- lazy loads: hc-verify on single codes holds a list by its index ----
# A list of 10,001 entries (three blocks of 4,096 in the index), A among them.
python3 - "$(jti "$A")" $((ATS - 60)) > big.json <<'PY'
import base64, json, os, sys
l = [base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip('=') for _ in range(10000)]
l.insert(5000, {"jti": sys.argv[1], "at": int(sys.argv[2])})
print(json.dumps(l))
PY
"$B/hc-keys" revoke --key zj.key --iss $ISS --in big.json --seq 3 --iat $((ATS - 60)) \
	--out trust/revocations/330000.jws >/dev/null
LIST=trust/revocations/330000.jws
expect "big list: revoked code fails (list parsed)" revoked "$A"
cp $IDX big.idx
# opened() NAME: whether the last traced run opened the signed list itself
# (LeakSanitizer cannot run under ptrace: no leak check in a traced run)
traced() { ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -e trace=open,openat -o trace.txt \
	"$B/hc-verify" --trust trust --at $ATS --json --text "$1" 2>/dev/null; }
opened() { grep -q '330000\.jws"' trace.txt; }
# blk_of: the block of the index holding A's entry; damage N: flip a byte of block N
blk_of() { python3 - "$(jti "$A")" $IDX <<'PY'
import base64, sys
j = base64.urlsafe_b64decode(sys.argv[1] + '==')
b = open(sys.argv[2], 'rb').read()
n = (len(b) - 472 - 48 * 3) // 24
print([i for i in range(n) if b[472 + 24 * i:472 + 24 * i + 16] == j][0] // 4096)
PY
}
damage_blk() { python3 - $IDX "$1" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[472 + 24 * 4096 * int(sys.argv[2]) + 24 * 7 + 20] ^= 0x40
open(sys.argv[1], 'r+b').write(b)
PY
}
if command -v strace >/dev/null 2>&1; then
	out=$(traced "$A")
	case "$out" in *'"reason":"revoked"'*) ! opened ;; *) false ;; esac &&
		ok "lazy: revoked from the index, the list not opened" || bad "lazy revoked" "$out"
	out=$(traced "$C")
	case "$out" in *'"reason":"ok"'*) ! opened ;; *) false ;; esac &&
		ok "lazy: unlisted code passes, the list not opened" || bad "lazy pass" "$out"
	ab=$(blk_of)
	damage_blk $(( (ab + 1) % 3 ))
	out=$(traced "$A")
	case "$out" in *'"reason":"revoked"'*) ! opened ;; *) false ;; esac &&
		ok "lazy: a damaged block the lookup does not read changes nothing" || bad "lazy other block" "$out"
	cp big.idx $IDX
	damage_blk "$ab"
	out=$(traced "$A")
	case "$out" in *'"reason":"revoked"'*) opened ;; *) false ;; esac &&
		ok "lazy: the block read is damaged: the list is read and verified, still revoked" ||
		bad "lazy damaged block" "$out"
	cmp -s $IDX big.idx && ok "lazy: the damaged index is rewritten" || bad "lazy: index rewritten"
	# The list changed in place (same size and time, so the index is
	# still taken) and the block read is damaged: never a pass.
	cp $LIST big.jws
	damage_blk "$ab"
	python3 - $LIST <<'PY'
import os, sys
st = os.stat(sys.argv[1])
b = bytearray(open(sys.argv[1], 'rb').read()); b[len(b) // 2] ^= 1
open(sys.argv[1], 'r+b').write(b)
os.utime(sys.argv[1], ns=(st.st_atime_ns, st.st_mtime_ns))
PY
	out=$(traced "$A")
	case "$out" in *'"verdict":"fail"'*'"reason":"error"'*"no longer the one"*) ok "lazy: damaged block of a changed list fails" ;;
	*) bad "lazy: changed list" "$out" ;; esac
	cp big.jws $LIST
	touch -d @$((ATS + 5)) $LIST # a new time: the index is not the file's
	out=$(traced "$A")
	case "$out" in *'"reason":"revoked"'*) opened ;; *) false ;; esac &&
		ok "lazy: a list with a new time is read, not its index" || bad "lazy new time" "$out"
	out=$(traced "$A")
	case "$out" in *'"reason":"revoked"'*) ! opened ;; *) false ;; esac &&
		ok "lazy: the index made from it is used next" || bad "lazy reindexed" "$out"
else
	skip 8 "lazy loads" "strace is not installed"
fi

echo "$skipped skipped"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
