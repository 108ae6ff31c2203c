#!/bin/bash
# zxing.sh BUILD: does zxing-cpp (Debian libzxing-dev), as a second decoder
# on pictures where zbar finds nothing, earn its place? The robustness
# suite's pictures (tests/scan_robust.sh's kinds, three issued codes each)
# and harder ones (the same degradations pushed further), decoded by zbar
# alone and by zbar then zxing-cpp, side by side; and what zxing-cpp
# costs on a 640x480 frame with no code, which is most frames at a
# checkpoint (tests/bench/zxing_rate.cpp, built here with g++).
set -u
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
echo "== zxing-cpp as a second decoder (tests/bench/zxing.sh)"
if ! command -v g++ > /dev/null || ! pkg-config --exists zxing || ! command -v ffmpeg > /dev/null; then
	echo "  skipped: needs g++, libzxing-dev and ffmpeg"
	exit 0
fi
W=$(mktemp -d /tmp/hc-bench-zxing.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 2
g++ -O2 -std=c++17 -DZX_USE_UTF8 -o zxing_rate "$SRC/tests/bench/zxing_rate.cpp" \
	$(pkg-config --cflags --libs zxing zbar) || exit 2
"$B/hc-keys" gen zj.key > /dev/null || exit 2
for who in green yellow red; do
	"$B/hc-issue" --key zj.key --iss https://hc.zj.example --record "$SRC/examples/$who.json" \
		--risk-areas "$SRC/examples/risk-areas.json" --at 2026-11-23T08:00:00+08:00 \
		--png "$who.png" > "$who.txt" 2> /dev/null || exit 2
done
PAD="format=gray,pad=iw+200:ih+200:100:100:white"
filter() { # KIND: the ffmpeg filter (the suite's kinds, then harder ones)
	case $1 in
	rot*) echo "$PAD,rotate=${1#rot}*PI/180:fillcolor=white" ;;
	persp) echo "$PAD,perspective=x0=0:y0=0:x1=W:y1=40:x2=0:y2=H:x3=W:y3=H-40:sense=destination" ;;
	blur) echo "format=gray,gblur=sigma=2" ;;
	noise) echo "format=gray,noise=alls=40:allf=u" ;;
	jpeg) echo "format=gray" ;;
	small) echo "format=gray,scale=iw/3:ih/3:flags=area" ;;
	lowcontrast) echo "format=gray,eq=contrast=0.3" ;;
	hard-blur) echo "format=gray,gblur=sigma=3.5" ;;
	hard-noise) echo "format=gray,noise=alls=90:allf=u" ;;
	hard-small) echo "format=gray,scale=iw/4:ih/4:flags=area" ;;
	hard-contrast) echo "format=gray,eq=contrast=0.12" ;;
	hard-rotblur) echo "$PAD,rotate=30*PI/180:fillcolor=white,gblur=sigma=2.5" ;;
	hard-persp) echo "$PAD,perspective=x0=0:y0=0:x1=W:y1=160:x2=0:y2=H:x3=W:y3=H-160:sense=destination" ;;
	esac
}
for k in rot15 rot30 rot45 persp blur noise jpeg small lowcontrast \
	hard-blur hard-noise hard-small hard-contrast hard-rotblur hard-persp; do
	for who in green yellow red; do
		if [ "$k" = jpeg ]; then # about quality 30, then back to gray pixels
			ffmpeg -loglevel error -y -i "$who.png" -vf "$(filter $k)" -q:v 24 t.jpg &&
				ffmpeg -loglevel error -y -i t.jpg -pix_fmt gray "$k-$who.pgm"
		else
			ffmpeg -loglevel error -y -i "$who.png" -vf "$(filter $k)" -pix_fmt gray "$k-$who.pgm"
		fi || exit 2
	done
done
ffmpeg -loglevel error -y -f lavfi -i "color=c=0x5a5a5a:s=640x480:r=10:d=2" \
	-vf "format=gray,noise=alls=12:allf=t" -frames:v 20 -pix_fmt gray "empty-%02d.pgm" || exit 2
./zxing_rate . $(ls ./*-green.pgm ./*-yellow.pgm ./*-red.pgm | sort -t/ -k2) ./empty-*.pgm
