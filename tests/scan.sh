#!/bin/bash
# scan.sh BUILD: hc-verify scan (hc-verify-scan) on real codes and a real
# trust directory: the keyboard wedge (a garbled line, an over-long line),
# frames holding several codes, the re-verification rule (2 s out of view,
# 30 s in view) on the frame clock, the trust directory replaced under a
# running scanner, the scan log (mode, one file a day, batch reproducing
# its verdicts), --raw, SIGTERM, a small code beside a big one at
# 1280x720. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-scan.XXXXXX)
PIDS=""
cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 2

AT=2026-11-23T08:00:00+08:00
ATS=1795392000
T1=$((ATS + 3600))
ZJ=https://hc.zj.example
SH=https://hc.sh.example
export TZ=Asia/Shanghai

# ---- keys, a trust directory in hc-verify sync's layout, codes ----
K() { "$B/hc-keys" "$@"; }
K gen root.key >/dev/null && K gen zj.key >/dev/null && K gen sh.key >/dev/null
mkdir -p trust/roots trust/gen/1 trust/gen/2 && K pub root.key > trust/roots/root.jwk
mklist() { # OUT SEQ [zj]: a signed trust list with sh, and zj when asked
	local zj=""
	[ "${3:-}" = zj ] && zj='{"iss":"'$ZJ'","name":"Zhejiang Health","region":"330000","keys":['$(K pub --status active zj.key)']},'
	printf '{"seq":%s,"iat":1763856000,"next_update":%s,"issuers":[%s{"iss":"%s","name":"Shanghai Health","region":"310000","keys":[%s]}]}\n' \
		"$2" $((ATS + 86400)) "$zj" "$SH" "$(K pub --status active sh.key)" > tl.json
	K trustlist --root root.key --in tl.json --out "$1" >/dev/null
}
mklist trust/gen/1/trustlist.jws 1 zj && mklist trust/gen/2/trustlist.jws 2 &&
	ln -s gen/1 trust/current && ok "trust directory" || bad "trust directory"
issue() { # WHO KEY ISS
	"$B/hc-issue" --key "$2.key" --iss "$3" --record "$SRC/examples/$1.json" \
		--risk-areas "$SRC/examples/risk-areas.json" --at $AT --png "$1.png" > "$1.txt"
}
issue green zj $ZJ && issue yellow sh $SH && issue red zj $ZJ &&
	G=$(cat green.txt) && Y=$(cat yellow.txt) && R=$(cat red.txt) && ok "codes issued" || bad "codes issued"

SCAN() { "$B/hc-verify" scan --trust trust "$@"; }
# field JSON NAME: a member's value as text (python: the lines are JSON)
col() { # FILE NAME...: one line per JSON line, the members' values joined by space
	python3 - "$@" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    print(' '.join(str(o.get(k)) for k in sys.argv[2:]))
PY
}

# ---- 1. keyboard wedge ----
LONG=$(head -c 5000 /dev/zero | tr '\0' 9)
# one digit pair inside the signature changed, as examples/demo.sh does
TAMP=$(printf '%s' "$G" | awk '{ p = length($0) - 41; c = substr($0, p, 2); r = (c == "10") ? "11" : "10"; print substr($0, 1, p - 1) r substr($0, p + 2) }')
printf '%s\r\nnot a code\n%s\n\n%s\n%s\n%s' "$G" "$Y" "hc:/$LONG" "$TAMP" "$R" |
	SCAN --stdin --at $T1 --checkpoint CP-7 --log wedge.jsonl --ui json > wedge.out 2> wedge.err
RC=$?
[ $RC -eq 0 ] && ok "wedge: exit 0 at the end of input" || bad "wedge exit" "$RC $(cat wedge.err)"
got=$(col wedge.out verdict reason status 2>&1)
want="pass ok green
fail malformed None
fail requirement-not-met yellow
fail malformed None
fail bad-signature None
fail requirement-not-met red"
[ "$got" = "$want" ] && ok "wedge: six verdicts in order (garbled, over-long, tampered)" ||
	bad "wedge verdicts" "$got"
has "$(sed -n 4p wedge.out)" "more than 4096" && ok "wedge: the over-long line says so" ||
	bad "over-long detail" "$(sed -n 4p wedge.out)"
[ "$(col wedge.out checkpoint at | sort -u)" = "CP-7 $T1" ] && ok "wedge: checkpoint and scan time" ||
	bad "wedge checkpoint" "$(col wedge.out checkpoint at)"
has "$(sed -n 1p wedge.out)" '"name":"张*"' && has "$(sed -n 1p wedge.out)" '"issuer":"Zhejiang Health"' &&
	ok "wedge: masked name and issuer shown" || bad "wedge fields" "$(sed -n 1p wedge.out)"
[ "$(stat -c %a wedge.jsonl)" = 600 ] && ok "log: mode 0600" || bad "log mode" "$(stat -c %a wedge.jsonl)"
got=$(col wedge.jsonl verdict reason checkpoint at)
want="pass ok CP-7 $T1
fail malformed CP-7 $T1
fail requirement-not-met CP-7 $T1
fail bad-signature CP-7 $T1
fail requirement-not-met CP-7 $T1"
[ "$got" = "$want" ] && ok "log: five lines (the over-long line is not logged)" || bad "log lines" "$got"
[ "$(col wedge.jsonl code | sed -n 1p)" = "$G" ] && [ "$(col wedge.jsonl code | sed -n 2p)" = "not a code" ] &&
	ok "log: the codes as scanned" || bad "log codes" "$(col wedge.jsonl code | head -2)"

# batch over a log reproduces the scanner's verdicts and reasons
batch_same() { # NAME LOG
	if ! "$B/hc-verify" batch --trust trust --in "$2" --out "$2.batch" 2> batch.err; then
		[ $? -gt 1 ] && { bad "$1: batch" "$(cat batch.err)"; return; }
	fi
	local d
	d=$(python3 - "$2" "$2.batch" <<'PY'
import json, sys
logl = [json.loads(l) for l in open(sys.argv[1])]
out = [json.loads(l) for l in open(sys.argv[2])]
if len(logl) != len(out) or not logl:
    print('lines', len(logl), len(out))
for a, b in zip(logl, out):
    if (a['verdict'], a['reason']) != (b['verdict'], b['reason']) or b['record'] != {'verdict': a['verdict'], 'reason': a['reason']}:
        print(a, b)
PY
)
	[ -z "$d" ] && ok "$1: hc-verify batch gives the log's verdicts" || bad "$1: batch" "$d"
}
batch_same "wedge log" wedge.jsonl

# ---- 2. frames: several codes in a frame, the re-verification rule ----
# compose OUT [IMAGE X]...: an 8-bit gray PNG of 900x300 white pixels with
# the 1-bit or 8-bit gray PNG images drawn at half size at (X, 10).
compose() {
	python3 - "$@" <<'PY'
import struct, sys, zlib
def chunks(d):
    i = 8
    while i < len(d):
        n, = struct.unpack('>I', d[i:i+4]); t = d[i+4:i+8]
        yield t, d[i+8:i+8+n]; i += 12 + n
def load(p):
    d = open(p, 'rb').read(); idat = b''
    for t, c in chunks(d):
        if t == b'IHDR': w, h, depth, ct, _, _, il = struct.unpack('>IIBBBBB', c)
        if t == b'IDAT': idat += c
    assert ct == 0 and il == 0 and depth in (1, 8)
    raw = zlib.decompress(idat); stride = (w * depth + 7) // 8; rows = []; prev = bytearray(stride)
    for y in range(h):
        f = raw[y*(stride+1)]; line = bytearray(raw[y*(stride+1)+1:(y+1)*(stride+1)])
        for x in range(stride):  # PNG filters, one byte a pixel or less
            a = line[x-1] if x else 0; b = prev[x]; c = prev[x-1] if x else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        rows.append(bytes(line) if depth == 8 else bytes(255 if (line[x >> 3] >> (7 - (x & 7))) & 1 else 0 for x in range(w)))
    return w, h, rows
W, H = 900, 300
img = [bytearray([255]) * W for _ in range(H)]
a = sys.argv[2:]
for i in range(0, len(a), 2):
    w, h, rows = load(a[i]); x0 = int(a[i+1])
    rows = [r[::2] for r in rows[::2]]; w, h = len(rows[0]), len(rows)
    assert x0 + w <= W and 10 + h <= H
    for y in range(h): img[10 + y][x0:x0 + w] = bytes(rows[y])
raw = b''.join(b'\0' + bytes(r) for r in img)
def ch(t, c): return struct.pack('>I', len(c)) + t + c + struct.pack('>I', zlib.crc32(t + c))
open(sys.argv[1], 'wb').write(b'\x89PNG\r\n\x1a\n' + ch(b'IHDR', struct.pack('>IIBBBBB', W, H, 8, 0, 0, 0, 0)) + ch(b'IDAT', zlib.compress(raw, 1)) + ch(b'IEND', b''))
PY
}
compose gyr.png green.png 5 yellow.png 300 red.png 600 && compose yr.png yellow.png 300 red.png 600 &&
	compose y.png yellow.png 300 && compose gy.png green.png 5 yellow.png 300 &&
	[ "$(zbarimg -q --raw -Sdisable -Sqrcode.enable gyr.png 2>/dev/null | sort)" = "$(printf '%s\n' "$G" "$Y" "$R" | sort)" ] &&
	ok "frames composed (zbarimg reads three codes)" || bad "frames composed"
mkdir -p f30 f2
fr() { # DIR FIRST LAST IMAGE: frames FIRST..LAST of DIR show IMAGE
	local i
	for i in $(seq "$2" "$3"); do ln -sf "../$4" "$(printf '%s/f%04d.png' "$1" "$i")"; done
}
# 10 fps: all three in frames 0-4; then yellow alone in 5-23 (green and
# red away 19 frames, 1.9 s); red back at 24 (not verified again); yellow
# alone at 25-45; green back at 46 (away 4.1 s: verified again), with
# yellow; a damaged frame at 47 counts as a frame without codes.
fr f2 0 4 gyr.png && fr f2 5 23 y.png && fr f2 24 24 yr.png && fr f2 25 45 y.png && fr f2 46 46 gy.png &&
	echo junk > f2/f0047.png && touch f2/notes.txt
SCAN --frames f2 --at $T1 --log f2.jsonl --ui json > f2.out 2> f2.err; RC=$?
got=$(col f2.out at status | sort)
want="$(printf '%s\n' "$T1 green" "$T1 red" "$T1 yellow" "$((T1 + 4)) green" | sort)"
[ $RC -eq 0 ] && [ "$got" = "$want" ] && ok "frames: three codes in one frame, red not re-verified after 1.9 s, green re-verified after 4.1 s" ||
	bad "frames rule" "exit $RC: $got"
has "$(cat f2.err)" "f0047.png" && ok "frames: a damaged frame is reported and skipped" || bad "damaged frame" "$(cat f2.err)"
batch_same "frames log" f2.jsonl
# 2 s exactly: at 10 fps, red away frames 5-24 (20 frames) and back at 25
rm -rf f2b && mkdir f2b && fr f2b 0 4 gyr.png && fr f2b 5 24 y.png && fr f2b 25 25 yr.png
SCAN --frames f2b --at $T1 --ui json > f2b.out 2>&1
[ "$(col f2b.out at status | grep -c red)" = 2 ] && ok "frames: red away 2.0 s is verified again" ||
	bad "2 s rule" "$(cat f2b.out)"
# 30 s in view: at 1 fps, yellow in frames 0-31: verified at 0 and at 30
fr f30 0 31 y.png
SCAN --frames f30 --fps 1 --at $T1 --ui json > f30.out 2>&1
[ "$(col f30.out at)" = "$T1
$((T1 + 30))" ] && ok "frames: verified again after 30 s in view (--fps 1)" || bad "30 s rule" "$(cat f30.out)"
SCAN --frames f2 --raw > raw.out 2>/dev/null
[ "$(sort raw.out)" = "$(printf '%s\n' "$G" "$G" "$Y" "$R" | sort)" ] && ok "--raw: the texts, nothing else" ||
	bad "--raw" "$(head -c 300 raw.out)"

# ---- 3. the trust directory replaced under a running scanner ----
mkfifo in.fifo
"$B/hc-verify" scan --trust trust --stdin --at $T1 --log live.jsonl --ui json < in.fifo > live.out 2> live.err &
SP=$!
PIDS="$PIDS $SP"
exec 3> in.fifo
wait_lines() { # FILE N
	local i
	for i in $(seq 50); do [ "$(wc -l < "$1")" -ge "$2" ] && return 0; sleep 0.1; done
	return 1
}
echo "$G" >&3
wait_lines live.out 1 && [ "$(col live.out reason)" = ok ] && ok "live: green passes" || bad "live green" "$(cat live.out)"
# the log line is on disk while the scanner runs
wait_lines live.jsonl 1 && ok "live: log line written at once" || bad "live log"
ln -s gen/2 trust/current.new && mv -T trust/current.new trust/current
sleep 1.2
echo "$G" >&3
wait_lines live.out 2 && [ "$(col live.out reason | sed -n 2p)" = unknown-issuer ] &&
	has "$(cat live.err)" "reloaded" && ok "live: trust directory reloaded without restart" ||
	bad "live reload" "$(cat live.out live.err)"
# a trust directory that does not load leaves the one in force
mkdir trust/gen/3 && echo garbage > trust/gen/3/trustlist.jws && ln -s gen/3 trust/current.new &&
	mv -T trust/current.new trust/current
sleep 1.2
echo "$Y" >&3
wait_lines live.out 3 && [ "$(col live.out reason | sed -n 3p)" = requirement-not-met ] &&
	has "$(cat live.err)" "keeping the one held" && ok "live: a broken replacement keeps the trust held" ||
	bad "live broken" "$(cat live.out live.err)"
kill -TERM $SP
wait $SP; RC=$?
exec 3>&-
[ $RC -eq 0 ] && [ "$(wc -l < live.jsonl)" = 3 ] && ok "live: SIGTERM stops cleanly, log complete" ||
	bad "live stop" "exit $RC, $(wc -l < live.jsonl) lines"
ln -s gen/1 trust/current.new && mv -T trust/current.new trust/current

# ---- 4. the log: one file a day, refused files ----
mkdir logs
# 20:30 UTC is the next day in Shanghai
printf '%s\n' "$G" | SCAN --stdin --at 2026-11-23T20:30:00Z --log logs --ui json > /dev/null 2>&1 &&
	printf '%s\n' "$G" | SCAN --stdin --at 2026-11-23T10:30:00Z --log logs --ui json > /dev/null 2>&1 &&
	[ "$(ls logs | tr '\n' ' ')" = "scan-2026-11-23.jsonl scan-2026-11-24.jsonl " ] &&
	ok "log: one file a day in a directory (local day)" || bad "day files" "$(ls logs)"
touch open.jsonl && chmod 644 open.jsonl
printf '%s\n' "$G" | SCAN --stdin --at $T1 --log open.jsonl > o.out 2> o.err; RC=$?
[ $RC -eq 2 ] && has "$(cat o.err)" "mode 0600" && [ ! -s open.jsonl ] && ok "log: a file others may read is refused" ||
	bad "log 0644" "exit $RC $(cat o.err)"
ln -s wedge.jsonl link.jsonl
printf '%s\n' "$G" | SCAN --stdin --at $T1 --log link.jsonl > o.out 2> o.err; RC=$?
[ $RC -eq 2 ] && ok "log: a symbolic link is refused" || bad "log link" "exit $RC"

# ---- 5. usage ----
for a in "--stdin --frames f2" "" "--stdin --fps 0" "--stdin --ui tv" "--stdin --ui terminal" "--stdin --lang fr" "--stdin --checkpoint" \
	"--stdin extra"; do
	# shellcheck disable=SC2086
	SCAN $a < /dev/null > /dev/null 2>&1; RC=$?
	[ $RC -eq 2 ] || bad "usage: $a" "exit $RC"
done
"$B/hc-verify" scan --stdin < /dev/null > /dev/null 2>&1; RC=$?
[ $RC -eq 2 ] && ok "usage errors exit 2" || bad "no --trust" "exit $RC"

# ---- 7. a recorded video of three people (ffmpeg from issued PNGs) ----
if ! command -v ffmpeg > /dev/null; then
	skip 4 "video" "ffmpeg is not installed"
else
	# 10 fps: green 0-0.9 s, nobody, yellow 1.5-2.4 s, nobody, red 3.0-3.9 s
	compose g1.png green.png 300 && compose r1.png red.png 300 && compose blank.png &&
		rm -rf vid && mkdir vid && fr vid 0 9 g1.png && fr vid 10 14 blank.png && fr vid 15 24 y.png &&
		fr vid 25 29 blank.png && fr vid 30 39 r1.png &&
		ffmpeg -loglevel error -framerate 10 -i vid/f%04d.png -c:v mpeg4 -q:v 2 -pix_fmt yuv420p people.mp4 &&
		ok "video made with ffmpeg" || bad "video made"
	SCAN --video people.mp4 --at $T1 --checkpoint V-1 --log video.jsonl --ui json > video.out 2> video.err; RC=$?
	got=$(col video.out at verdict reason status)
	want="$T1 pass ok green
$((T1 + 1)) fail requirement-not-met yellow
$((T1 + 3)) fail requirement-not-met red"
	[ $RC -eq 0 ] && [ "$got" = "$want" ] && ok "video: exactly three verdicts, in order" ||
		bad "video verdicts" "exit $RC: $got $(cat video.err)"
	printf '{"code":"%s","at":%s,"checkpoint":"V-1","verdict":"%s","reason":"%s"}\n' \
		"$G" $T1 pass ok "$Y" $((T1 + 1)) fail requirement-not-met "$R" $((T1 + 3)) fail requirement-not-met > video.want
	cmp -s video.jsonl video.want && ok "video: the log is the expected lines" ||
		bad "video log" "$(diff video.jsonl video.want | cut -c1-150)"
	batch_same "video log" video.jsonl
	head -c 3000 people.mp4 > cut.mp4
	SCAN --video cut.mp4 --at $T1 --ui json > /dev/null 2> cut.err; RC=$?
	echo nothing > not.mp4
	SCAN --video not.mp4 --at $T1 --ui json > /dev/null 2> not.err; RC2=$?
	[ $RC -eq 2 ] || [ $RC -eq 0 ] && [ $RC2 -eq 2 ] && has "$(cat not.err)" "not.mp4" &&
		ok "video: a truncated video stops cleanly, garbage is refused" || bad "bad videos" "$RC $RC2 $(cat cut.err not.err)"
fi

# ---- 8. a small code beside a big one at 1280x720 ----
# Frames this big are scanned at half size first, where a code of 3 pixels
# a module (1.5 there) cannot be read: the whole frame at full size (the
# first frame, every eighth) finds it.
if ! command -v ffmpeg > /dev/null; then
	skip 2 "small beside big" "ffmpeg is not installed"
else
	# green at 7.2 pixels a module, yellow at 3
	bigsmall() { # OUT [yellow]
		local y="" f="[0][g]overlay=40:40"
		[ -n "${2:-}" ] && y="-i yellow.png" f="${f}[a];[2]scale=267:267:flags=area[y];[a][y]overlay=900:200"
		# shellcheck disable=SC2086
		ffmpeg -loglevel error -y -f lavfi -i color=white:s=1280x720:d=1 -i green.png $y \
			-filter_complex "[1]scale=640:640:flags=neighbor[g];$f,format=gray" -frames:v 1 "$1"
	}
	rm -rf bs1 bs2 && mkdir bs1 bs2 && bigsmall bs1/f0000.png y && bigsmall big.png &&
		bigsmall both.png y && fr bs2 0 0 big.png && fr bs2 1 9 both.png
	SCAN --frames bs1 --at $T1 --ui json > bs1.out 2>&1
	[ "$(col bs1.out status | sort | tr '\n' ' ')" = "green yellow " ] &&
		ok "1280x720: a small code beside a big one, both in one frame" || bad "small beside big" "$(cat bs1.out)"
	# yellow appears at frame 1 beside green, still: found by frame 8 (0.8 s)
	SCAN --frames bs2 --at $T1 --ui json > bs2.out 2>&1
	got=$(col bs2.out status at | tr '\n' ' ')
	case "$got" in
	"green $T1 yellow $T1 ") ok "1280x720: a small code coming into view beside a big one is found" ;;
	*) bad "small code coming into view" "$got" ;;
	esac
fi

# ---- 6. the terminal screen under tmux ----
if ! command -v tmux > /dev/null; then
	skip 8 "terminal" "tmux is not installed"
else
	TM="tmux -u -L hcscan$$"
	cleanup_tmux() { $TM kill-server 2>/dev/null; }
	trap 'cleanup_tmux; cleanup' EXIT
	# term NAME ENV ARGS: a 80x24 pane running the scanner on fifo NAME.fifo
	term() {
		local n=$1 e=$2
		shift 2
		rm -f "$n.fifo" "$n.rc" && mkfifo "$n.fifo"
		# the shell ignores SIGINT (the scanner sets its own handler), keeps
		# the scanner's exit status and the pane (tmux would write on a dead
		# pane and hide its cursor)
		$TM new-session -d -s "$n" -x 80 -y 24 "trap '' INT; env $e $B/hc-verify scan --trust $W/trust \
			--at $T1 --stdin --checkpoint HZ-3 $* < $W/$n.fifo; echo \$? > $W/$n.rc; exec sleep 60"
	}
	# show NAME CODE WANT...: the code typed, the screen holds every WANT
	show() {
		local n=$1 c=$2 i scr plain miss=""
		shift 2
		echo "$c" >&4
		for i in $(seq 50); do
			scr=$($TM capture-pane -p -e -t "$n")
			plain=$($TM capture-pane -p -t "$n")
			miss=""
			for w; do has "$plain" "$w" || has "$scr" "$w" || miss="$miss [$w]"; done
			[ -z "$miss" ] && return 0
			sleep 0.1
		done
		echo "missing$miss in: $($TM capture-pane -p -t "$n" | grep -v '^ *$')"
		return 1
	}
	# clean NAME: the pane's program exited 0 and left the normal screen
	# blank, out of the alternate screen, with the cursor shown
	clean() {
		local i st scr
		for i in $(seq 50); do
			st="$(cat "$1.rc" 2>/dev/null) $($TM display -p -t "$1" '#{alternate_on} #{cursor_flag}')"
			[ "$st" = "0 0 1" ] && break
			sleep 0.1
		done
		scr=$($TM capture-pane -p -t "$1" | grep -v '^ *$')
		[ "$st" = "0 0 1" ] && [ -z "$scr" ] && return 0
		echo "state $st, screen: $scr"
		return 1
	}
	term zh LANG=zh_CN.UTF-8
	exec 4> zh.fifo
	d=$(show zh "$G" "通过  PASS" "绿码" "姓名  张*" "签发机构  Zhejiang Health" "有效期至" "42m") &&
		ok "terminal zh (from LANG): green screen" || bad "terminal zh green" "$d"
	[ "$($TM display -p -t zh '#{alternate_on} #{cursor_flag}')" = "1 0" ] &&
		ok "terminal: alternate screen, cursor hidden" || bad "alternate screen"
	d=$(show zh "$R" "不通过  FAIL" "不符合本检查点要求" "红码" "41m") &&
		ok "terminal zh: red screen, the reason in words" || bad "terminal zh red" "$d"
	exec 4>&-
	d=$(clean zh) && ok "terminal: restored at the end of input" || bad "terminal end" "$d"
	term en LANG=zh_CN.UTF-8 --lang en
	exec 4> en.fifo
	d=$(show en "$G" "PASS" "green" "Name  张*" "Issuer  Zhejiang Health" "Expires" "42m") &&
		ok "terminal en (--lang over the locale): green screen" || bad "terminal en green" "$d"
	d=$(show en "$R" "FAIL" "does not meet this checkpoint's rule" "41m") &&
		ok "terminal en: red screen" || bad "terminal en red" "$d"
	d=$(show en "not a code" "FAIL" "not a readable health code") &&
		ok "terminal en: a garbled code" || bad "terminal en garbled" "$d"
	$TM send-keys -t en C-c
	d=$(clean en) && ok "terminal: clean after SIGINT" || bad "terminal SIGINT" "$d"
	exec 4>&-
	term tt LANG=C.UTF-8
	exec 4> tt.fifo
	show tt "$Y" "FAIL" "yellow" > /dev/null
	# the scanner is the pane shell's one child
	kill -TERM $(ps -o pid= --ppid "$($TM display -p -t tt '#{pane_pid}')")
	d=$(clean tt) && ok "terminal: clean after SIGTERM" || bad "terminal SIGTERM" "$d"
	exec 4>&-
	cleanup_tmux
fi

totals
[ $fail -eq 0 ]
