#!/bin/bash
# keys.sh BUILD: private key files as the programs see them. hc-keys gen
# creates the key 0600 atomically (O_CREAT|O_EXCL, mode 0600 at open) under
# any umask and never overwrites; every program path that loads a private
# key (hc-issue --key, hc-keys pub, trustlist --root, revoke --key) refuses
# a file open to group or others with a message naming the file, its mode
# and the fix, and accepts 0600 and 0400; no option takes a secret; output
# that cannot be written is an error. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(pwd)
W=$(mktemp -d /tmp/hc-keys.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 2

ISS=https://hc.zj.example
ATS=1795392000
K() { "$B/hc-keys" "$@"; }

# ---- gen: mode 0600 whatever the umask, set at creation ----
for m in 000 022 077 277; do
	(umask $m && K gen "u$m.key" > /dev/null); rc=$?
	mode=$(stat -c %a "u$m.key" 2>/dev/null)
	[ $rc -eq 0 ] && [ "$mode" = 600 ] && ok "gen under umask $m: mode 600" ||
		bad "gen under umask $m" "exit $rc, mode $mode"
done
# The mode is given to open(2) with O_CREAT|O_EXCL: the file never exists
# with a wider mode, and nothing is written before it is 0600.
if strace -o /dev/null true 2>/dev/null; then
	# LeakSanitizer cannot run under ptrace (a fatal error in build-asan)
	(umask 000 && ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" \
		strace -f -e trace=openat,open,fchmod,chmod,fchmodat,write -o st.txt \
		"$B/hc-keys" gen traced.key > /dev/null)
	open=$(grep -E 'open(at)?\(.*"traced\.key"' st.txt)
	case "$open" in
	*O_CREAT*O_EXCL*", 0600) = "[0-9]*) ok "gen opens the key O_CREAT|O_EXCL, mode 0600" ;;
	*) bad "gen open flags" "$open" ;;
	esac
	# Any later chmod of the key sets 0600 and comes before the first write.
	fd=${open##*= }
	calls=$(sed -En '/open(at)?\(.*"traced\.key"/,$p' st.txt |
		grep -E "^[0-9]+ +(write\($fd,|fchmod\($fd,|(chmod|fchmodat)\(.*traced)" |
		sed -E 's/^[0-9]+ +([a-z]+)\(.*(0[0-7]{3})\).*/\1 \2/; s/^[0-9]+ +write\(.*/write/' | uniq)
	case "$(echo $calls)" in
	write | "fchmod 0600 write" | "chmod 0600 write" | "fchmodat 0600 write")
		ok "gen: the key is never chmod-ed after a write, nor to another mode" ;;
	*) bad "gen: calls on the key file" "$(echo $calls)" ;;
	esac
else
	skip 2 "gen open flags and chmod order" "strace cannot trace here"
fi
echo keep > exists.key && chmod 600 exists.key
K gen exists.key > /dev/null 2> err.txt; rc=$?
[ $rc -eq 2 ] && [ "$(cat exists.key)" = keep ] && grep -q 'exists' err.txt &&
	ok "gen refuses an existing file and leaves it as it was" || bad "gen over an existing file" "exit $rc"
ln -s target.key dangling.key
K gen dangling.key > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && [ ! -e target.key ] && ok "gen refuses a dangling symbolic link" ||
	bad "gen through a symlink" "exit $rc; $(ls -l target.key 2>&1)"

# ---- a trust directory and inputs for every command that loads a key ----
K gen root.key > /dev/null && K gen zj.key > /dev/null && mkdir -p trust/roots &&
	K pub root.key > trust/roots/national.jwk || { bad "setup"; echo "$pass passed, $fail failed"; exit 1; }
printf '{"seq":1,"iat":%s,"next_update":1800000000,"issuers":[{"iss":"%s","name":"Z","region":"330000","keys":[%s]}]}' \
	$ATS $ISS "$(K pub --status active zj.key)" > tl.json
K trustlist --root root.key --in tl.json --out trust/trustlist.jws > /dev/null ||
	bad "setup: trustlist"
echo '[]' > empty.json

# run NAME KEYFILE: the command that loads KEYFILE; output goes to out.*
run() {
	rm -f out.jws
	case "$1" in
	"hc-keys pub") K pub "$2" ;;
	"hc-keys trustlist") K trustlist --root "$2" --in tl.json --out out.jws ;;
	"hc-keys revoke") K revoke --key "$2" --iss $ISS --in empty.json --seq 1 --iat $ATS --out out.jws ;;
	"hc-issue") "$B/hc-issue" --key "$2" --iss $ISS --record "$SRC/examples/green.json" --at $ATS --jws ;;
	esac > out.txt 2> err.txt
}
CMDS=("hc-keys pub" "hc-keys trustlist" "hc-keys revoke" "hc-issue")
for c in "${CMDS[@]}"; do
	for m in 640 604 644 620; do
		cp zj.key "loose$m.key" && chmod $m "loose$m.key"
		run "$c" "loose$m.key"; rc=$?
		e=$(cat err.txt)
		if [ $rc -ne 2 ]; then bad "$c refuses a key of mode 0$m" "exit $rc: $e"
		elif [ -s out.txt ] || [ -e out.jws ]; then bad "$c refuses a key of mode 0$m" "wrote output"
		else case "$e" in
			*"loose$m.key: private key file is readable by group or others: mode 0$m"*"chmod 600 loose$m.key"*)
				ok "$c refuses a key of mode 0$m, naming the file, the mode and chmod 600" ;;
			*) bad "$c: message for mode 0$m" "$e" ;;
			esac
		fi
	done
	for m in 600 400; do
		cp zj.key "tight$m.key" && chmod $m "tight$m.key"
		run "$c" "tight$m.key"; rc=$?
		[ $rc -eq 0 ] && [ -s out.txt ] && ok "$c accepts a key of mode 0$m" ||
			bad "$c accepts a key of mode 0$m" "exit $rc: $(cat err.txt)"
		chmod 600 "tight$m.key"
	done
done
ln -s zj.key link.key
run "hc-keys pub" link.key; rc=$?
[ $rc -eq 2 ] && grep -q 'link.key: a symbolic link' err.txt && ok "a symbolic link to a key is refused" ||
	bad "symlinked key" "exit $rc: $(cat err.txt)"
mkfifo fifo.key
timeout 20 "$B/hc-keys" pub fifo.key > /dev/null 2> err.txt; rc=$?
[ $rc -eq 2 ] && grep -q 'not a regular file' err.txt && ok "a FIFO as key is refused at once" ||
	bad "FIFO key" "exit $rc (124: it waited for a writer): $(cat err.txt)"

# ---- no secret on a command line: keys are named by file only ----
help=$(for p in hc-keys hc-issue hc-verify; do "$B/$p" --help; done
	for c in pub trustlist revoke; do K $c --help; done
	for c in batch sync status; do "$B/hc-verify" $c --help; done)
if echo "$help" | grep -iqE 'pass(word|phrase)|secret|--pin|key-(data|hex|pem)|stdin.*key'; then
	bad "no option takes a secret" "$(echo "$help" | grep -iE 'pass|secret|pin|key-')"
else
	ok "no option of any command takes a secret (keys are files)"
fi

# ---- output that cannot be written is an error, not a silent success ----
if [ -w /dev/full ]; then
	K pub zj.key > /dev/full 2> err.txt; rc=$?
	[ $rc -eq 2 ] && grep -q 'cannot write standard output' err.txt &&
		ok "hc-keys pub to a full disk exits 2" || bad "hc-keys pub > /dev/full" "exit $rc"
	"$B/hc-issue" --key zj.key --iss $ISS --record "$SRC/examples/green.json" --at $ATS \
		> /dev/full 2> err.txt; rc=$?
	[ $rc -eq 2 ] && grep -q 'cannot write standard output' err.txt &&
		ok "hc-issue to a full disk exits 2" || bad "hc-issue > /dev/full" "exit $rc"
	"$B/hc-verify" --trust trust --at $ATS --text hc:/00 > /dev/full 2> err.txt; rc=$?
	[ $rc -eq 2 ] && grep -q 'cannot write standard output' err.txt &&
		ok "hc-verify to a full disk exits 2, not its verdict" || bad "hc-verify > /dev/full" "exit $rc"
else
	skip 3 "write errors on /dev/full" "/dev/full is not writable here"
fi

totals
[ "$fail" -eq 0 ]
