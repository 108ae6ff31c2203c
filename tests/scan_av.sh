#!/bin/bash
# scan_av.sh BUILD: hc-verify scan's parts in hc-verify-scan-av (FFmpeg
# and SDL2): the window under Xvfb (a recorded video, then a garbled line
# from the keyboard wedge, each followed by a screenshot of the window
# whose pixels are sampled: the verdict panel's block in the verdict's
# colour, the words drawn in it, the video picture beside it); --camera's
# errors (a missing device, a file, a character device that is no video
# device: exit 2 with the reason); hc-verify-scan itself linking neither
# FFmpeg nor SDL2, and --video --ui json loading neither SDL2 nor
# libavdevice. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-scanav.XXXXXX)
XPID=""
cleanup() {
	[ -n "$XPID" ] && kill "$XPID" 2>/dev/null && wait "$XPID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 2

AT=2026-11-23T08:00:00+08:00
T1=$((1795392000 + 3600))
export TZ=Asia/Shanghai
K() { "$B/hc-keys" "$@"; }
K gen root.key >/dev/null && K gen zj.key >/dev/null && mkdir -p trust/roots && K pub root.key > trust/roots/root.jwk &&
	printf '{"seq":1,"iat":1763856000,"next_update":%s,"issuers":[{"iss":"https://hc.zj.example","name":"Zhejiang Health","region":"330000","keys":[%s]}]}\n' \
		$((T1 + 86400)) "$(K pub --status active zj.key)" > tl.json &&
	K trustlist --root root.key --in tl.json --out trust/trustlist.jws > /dev/null &&
	"$B/hc-issue" --key zj.key --iss https://hc.zj.example --record "$SRC/examples/green.json" \
		--risk-areas "$SRC/examples/risk-areas.json" --at $AT --png green.png > green.txt 2>/dev/null &&
	ok "code issued" || bad "code issued"

# ---- hc-verify-scan loads neither library ----
libs=$(ldd "$B/hc-verify-scan" 2>&1)
if has "$libs" "libav" || has "$libs" "SDL"; then bad "hc-verify-scan links FFmpeg or SDL2" "$libs"
else ok "hc-verify-scan links neither FFmpeg nor SDL2 (--stdin, --frames)"; fi

# ---- --camera: the errors ----
cam() { # NAME DEV WANT
	local out rc
	out=$("$B/hc-verify" scan --trust trust --camera "$2" --ui json 2>&1 < /dev/null); rc=$?
	[ $rc -eq 2 ] && has "$out" "$3" && ok "camera: $1: exit 2, \"$3\"" || bad "camera: $1" "exit $rc: $out"
}
cam "missing device" /dev/video-none "No such file or directory"
: > plain
cam "a file" plain "not a video device (not a character device)"
cam "/dev/null" /dev/null "not a video device (Inappropriate ioctl for device)"
# A real capture needs a V4L2 device: v4l2loopback's, when the kernel has it.
if ls /dev/video* > /dev/null 2>&1 && [ -d /sys/module/v4l2loopback ]; then
	skip 1 "camera capture" "a v4l2loopback device is there, but feeding it is not written yet"
else
	skip 1 "camera capture" "no /dev/video* and no v4l2loopback module (no modprobe in this container)"
fi

# ---- the window under Xvfb ----
if ! command -v Xvfb > /dev/null || [ ! -x "$B/hc-verify-scan-av" ]; then
	skip 8 "window" "Xvfb or hc-verify-scan-av (SDL2) missing"
	totals
	[ $fail -eq 0 ]
	exit
fi
exec 5> dpy
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp > xvfb.log 2>&1 &
XPID=$!
exec 5>&-
for _ in $(seq 50); do [ -s dpy ] && break; sleep 0.1; done
export DISPLAY=:$(cat dpy) SDL_RENDER_DRIVER=software
# Under the sanitizers, what SDL2's D-Bus connection keeps at exit shows
# as a leak (libdbus's, and blocks of libraries SDL opens itself, whose
# stacks only a slow unwinding names, and that hung): leak detection is off
# for the window's two runs; AddressSanitizer and UBSan stay on.
WIN() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@"
}
# px FILE X Y...: the colours at (X, Y) as R,G,B; then the white pixels in
# the verdict block (the words drawn there), then the bright pixels of the
# picture's side (the phone's white screen in the video)
px() {
	python3 - "$@" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
off, = struct.unpack_from('<I', d, 10)
w, h = struct.unpack_from('<ii', d, 18)
def at(x, y):
    o = off + ((h - 1 - y) if h > 0 else y) * w * 4 + x * 4
    return '%d,%d,%d' % (d[o + 2], d[o + 1], d[o])
a = sys.argv[2:]
print(' '.join(at(int(a[i]), int(a[i + 1])) for i in range(0, len(a), 2)),
      sum(at(x, y) == '255,255,255' for y in range(0, 200, 2) for x in range(640, 1040, 2)),
      sum(int(at(x, y).split(',')[0]) > 200 for y in range(0, 480, 4) for x in range(0, 640, 4)))
PY
}
# green: a video of the code (3 s at 5 fps), in Chinese
ffmpeg -loglevel error -y -loop 1 -i green.png -t 3 -r 5 -vf "pad=640:600:(ow-iw)/2:(oh-ih)/2:white" \
	-pix_fmt yuv420p g.mp4 && ok "video made" || bad "video made"
# --video with --ui json loads neither SDL2 nor libavdevice (opened for the
# window and --camera only); the dynamic loader names every file it opens
LD_DEBUG=files "$B/hc-verify" scan --trust trust --at $T1 --video g.mp4 --ui json > j.out 2> j.err
rc=$?
[ $rc -eq 0 ] && has "$(cat j.out)" '"verdict":"pass"' && has "$(cat j.err)" "libavformat" &&
	! grep -q "file=libSDL2\|file=libavdevice" j.err &&
	ok "--video --ui json: neither SDL2 nor libavdevice loaded" ||
	bad "--video --ui json loads" "exit $rc: $(grep -o 'file=lib[A-Za-z0-9_.-]*' j.err | sort -u | tr '\n' ' ' | cut -c1-300)"
WIN "$B/hc-verify" scan --trust trust --at $T1 --video g.mp4 --ui window --lang zh --screenshot g.bmp > g.out 2> g.err
rc=$?
[ $rc -eq 0 ] && [ -s g.bmp ] && ok "window (video, zh): exit 0, screenshot written" || bad "window video" "exit $rc: $(cat g.err)"
# block at (660,20) and (1020,190); panel at (700,460); the picture's side
# (160x120 pixels sampled: the code's white screen covers most of it)
set -- $(px g.bmp 660 20 1020 190 700 460 2>&1)
[ "${1:-}" = "0,150,60" ] && [ "${2:-}" = "0,150,60" ] && ok "window: the pass block is green" || bad "green block" "$*"
[ "${3:-}" = "245,245,245" ] && [ "${5:-0}" -gt 5000 ] && ok "window: the panel, and the video picture beside it ($5 bright)" ||
	bad "panel or picture" "$*"
[ "${4:-0}" -gt 200 ] && ok "window: words drawn in the block ($4 white pixels)" || bad "words in the block" "$*"
# red: a garbled line from the keyboard wedge, in English
echo "not a code" | WIN "$B/hc-verify" scan --trust trust --at $T1 --stdin --ui window --lang en --screenshot r.bmp > r.out 2> r.err
rc=$?
set -- $(px r.bmp 660 20 1020 190 2>&1)
[ $rc -eq 0 ] && [ "${1:-}" = "200,30,30" ] && [ "${2:-}" = "200,30,30" ] && [ "${3:-0}" -gt 100 ] &&
	[ "${4:-1}" -eq 0 ] &&
	ok "window (wedge, en): a garbled code gives the red block with its words, no picture" || bad "red block" "exit $rc: $* $(cat r.err)"
out=$("$B/hc-verify" scan --trust trust --stdin --ui json --screenshot x.bmp 2>&1 < /dev/null); rc=$?
[ $rc -eq 2 ] && has "$out" "--screenshot needs --ui window" && ok "--screenshot without the window: usage" || bad "--screenshot usage" "$rc $out"
totals
[ $fail -eq 0 ]
