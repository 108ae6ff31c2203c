#!/bin/bash
# scan_frames.sh BUILD DIR: camera-like frames for bench_scan, made in DIR:
# three codes issued by hc-issue (libqrencode, 6 pixels a module), each
# on a white phone screen, rotated (8, -12 and 4 degrees), moving over a
# gray background, then lowered contrast, blur and camera noise: 100
# frames at 10 a second (2 s with no code, then green, yellow and red in
# turn), raw 8-bit gray (the Y plane a camera or a video decoder gives),
# at 640x480 (code 300 pixels wide, 3.4 a module) in f640x480.raw and at
# 1280x720 (440 pixels, 5 a module) in f1280x720.raw.
set -eu
B=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$2"
"$B/hc-keys" gen zj.key > /dev/null
for who in green yellow red; do
	"$B/hc-issue" --key zj.key --iss https://hc.zj.example --record "$SRC/examples/$who.json" \
		--risk-areas "$SRC/examples/risk-areas.json" --at 2026-11-23T08:00:00+08:00 \
		--png "$who.png" > /dev/null 2>&1
done
mk() { # W H SIDE
	local w=$1 h=$2 s=$3 a
	phone() { echo "scale=$s:$s:flags=area,pad=iw+40:ih+120:20:60:white,format=rgba,rotate=$1*PI/180:c=none:ow=rotw($1*PI/180):oh=roth($1*PI/180)"; }
	a="[1]$(phone 8)[g];[2]$(phone -12)[y];[3]$(phone 4)[r];"
	a="$a[0][g]overlay=x='(W-w)/2+W/8*sin(t*2)':y='(H-h)/2':enable='between(t,2,4.95)'[a];"
	a="$a[a][y]overlay=x='(W-w)/2-W/10*sin(t*3)':y='(H-h)/2+H/12*cos(t)':enable='between(t,5,7.95)'[b];"
	a="$a[b][r]overlay=x='(W-w)/2':y='(H-h)/2':enable='gte(t,8)',format=gray,eq=contrast=0.8,gblur=sigma=0.7,noise=alls=12:allf=t"
	ffmpeg -loglevel error -y -f lavfi -i "color=c=0x5a5a5a:s=${w}x${h}:r=10:d=10" \
		-loop 1 -r 10 -i green.png -loop 1 -r 10 -i yellow.png -loop 1 -r 10 -i red.png \
		-filter_complex "$a" -frames:v 100 -f rawvideo -pix_fmt gray "f${w}x$h.raw"
}
mk 640 480 300
mk 1280 720 440
