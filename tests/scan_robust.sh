#!/bin/bash
# scan_robust.sh BUILD: the scanner's decode rate on degraded pictures of
# issued codes, made by the test with ffmpeg's filters from the issued
# PNGs (6 pixels a module): rotation 15/30/45 degrees, perspective, blur,
# noise, a low-quality JPEG, downscaled to 2 pixels a module, low
# contrast, glare (a bright blob washing out the modules under it, off the
# centre), moire (a screen photographed: a fine grating at an angle, then
# resampled, so that the two grids beat). Each picture is one frame for `hc-verify scan --frames`; a
# code counts when it is decoded and verified (--any-status). The share
# per kind and over the suite must reach the floors below. Last line:
# totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-scanrob.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 2

KINDS="rot15 rot30 rot45 persp blur noise jpeg small lowcontrast glare moire"
NK=$(echo $KINDS | wc -w)
if ! command -v ffmpeg > /dev/null; then
	skip $((NK + 2)) "robustness" "ffmpeg is not installed"
	totals
	exit 0
fi

AT=2026-11-23T08:00:00+08:00
T1=$((1795392000 + 3600))
K() { "$B/hc-keys" "$@"; }
K gen root.key >/dev/null && K gen zj.key >/dev/null && mkdir -p trust/roots && K pub root.key > trust/roots/root.jwk &&
	printf '{"seq":1,"iat":1763856000,"next_update":%s,"issuers":[{"iss":"https://hc.zj.example","name":"Zhejiang Health","region":"330000","keys":[%s]}]}\n' \
		$((T1 + 86400)) "$(K pub --status active zj.key)" > tl.json &&
	K trustlist --root root.key --in tl.json --out trust/trustlist.jws > /dev/null &&
	for who in green yellow red; do
		"$B/hc-issue" --key zj.key --iss https://hc.zj.example --record "$SRC/examples/$who.json" \
			--risk-areas "$SRC/examples/risk-areas.json" --at $AT --png "$who.png" > /dev/null || exit 1
	done && ok "codes issued" || bad "codes issued"

PAD="format=gray,pad=iw+200:ih+200:100:100:white"
filter() { # KIND: the ffmpeg filter and output extension
	case $1 in
	rot*) echo "$PAD,rotate=${1#rot}*PI/180:fillcolor=white png" ;;
	persp) echo "$PAD,perspective=x0=0:y0=0:x1=W:y1=40:x2=0:y2=H:x3=W:y3=H-40:sense=destination png" ;;
	blur) echo "format=gray,gblur=sigma=2 png" ;;
	noise) echo "format=gray,noise=alls=40:allf=u png" ;;
	jpeg) echo "format=gray jpg" ;;
	small) echo "format=gray,scale=iw/3:ih/3:flags=area png" ;;
	lowcontrast) echo "format=gray,eq=contrast=0.3 png" ;;
	# up to 230 levels added, a Gaussian of a ninth of the width at (55 %, 45 %)
	glare) echo "$PAD,geq=lum='min(255\\,lum(X\\,Y)+230*exp(-(pow(X-W*0.55\\,2)+pow(Y-H*0.45\\,2))/(2*pow(W*0.12\\,2))))' png" ;;
	# brightness times 0.6-1.0 along a grating of 2.3 pixels at 17 degrees, scaled to 70 %
	moire) echo "format=gray,geq=lum='lum(X\\,Y)*(0.6+0.4*sin(2*PI*(X*cos(0.3)+Y*sin(0.3))/2.3))',scale=iw*0.7:ih*0.7:flags=bilinear png" ;;
	esac
}
total=0 good=0
for k in $KINDS; do
	n=0 g=0
	set -- $(filter "$k")
	for who in green yellow red; do
		mkdir -p "f-$k-$who"
		q=""
		[ "$k" = jpeg ] && q="-q:v 24" # about quality 30
		# shellcheck disable=SC2086
		ffmpeg -loglevel error -y -i "$who.png" -vf "$1" $q "f-$k-$who/f.$2" || continue
		n=$((n + 1))
		out=$("$B/hc-verify" scan --trust trust --any-status --at $T1 --frames "f-$k-$who" --ui json 2>/dev/null)
		case "$out" in *'"verdict":"pass"'*'"status":"'$who'"'*) g=$((g + 1)) ;; esac
	done
	total=$((total + 3)) good=$((good + g))
	echo "     $k: $g of 3 decoded and verified"
	# floor per kind: every picture of the kind
	[ "$n" = 3 ] && [ "$g" = 3 ] && ok "$k: 3 of 3" || bad "$k" "$g of 3 (pictures made: $n)"
done
echo "     suite: $good of $total"
[ $total -gt 0 ] && [ $((good * 100)) -ge $((total * 99)) ] && ok "suite: at least 99 % ($good of $total)" ||
	bad "suite" "$good of $total"
totals
[ $fail -eq 0 ]
