#!/bin/sh
# demo.sh: the whole path on built-in samples: a national root, two
# provincial issuers, a signed trust list, green/yellow/red codes as PNG
# files scanned back by hc-verify, a tampered code that is refused, and a
# checkpoint's recorded video of the three people passing (made with
# ffmpeg) played through `hc-verify scan --ui json`, its scan log checked
# again by `hc-verify batch`.
# Then the office service hc-issued on loopback (when it is built): a test
# CA, init, tokens, a green and a red code through the API with curl, each
# verified by hc-verify, a revocation through the API that a checkpoint
# picks up by `hc-verify sync` from a small HTTPS server of the operator's
# tree, a lab's positive result pushed as an event turning a green person
# red (the old code refused after a sync, the audit line that says why),
# the audit chain checked, and a clean stop (SIGTERM, exit 0).
set -eu
B=${1:-build}
B=$(cd "$B" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
out=${HC_DEMO_DIR:-$(mktemp -d /tmp/hc-demo.XXXXXX)}
mkdir -p "$out/trust/roots"
cd "$out"
AT=2026-11-23T08:00:00+08:00

echo "== keys (in $out)"
root=$("$B/hc-keys" gen root.key)
zj=$("$B/hc-keys" gen zj.key)
sh=$("$B/hc-keys" gen sh.key)
echo "national root $root"
echo "330000 issuer $zj"
echo "310000 issuer $sh"
"$B/hc-keys" pub root.key > trust/roots/national.jwk

echo "== trust list"
cat > trustlist.json <<JSON
{"seq":1,"iat":1763856000,"next_update":1795392000,"issuers":[
 {"iss":"https://hc.zj.example","name":"Zhejiang Health Commission","region":"330000",
  "keys":[$("$B/hc-keys" pub --status active zj.key)]},
 {"iss":"https://hc.sh.example","name":"Shanghai Health Commission","region":"310000",
  "keys":[$("$B/hc-keys" pub --status active sh.key)]}]}
JSON
"$B/hc-keys" trustlist --root root.key --in trustlist.json --out trust/trustlist.jws >/dev/null
echo "signed trust/trustlist.jws"

echo "== issue"
for who in green yellow red; do
	key=zj.key iss=https://hc.zj.example
	[ "$who" = yellow ] && key=sh.key iss=https://hc.sh.example
	"$B/hc-issue" --key $key --iss $iss --trust trust --record "$here/$who.json" \
		--risk-areas "$here/risk-areas.json" --at $AT --png "$who.png" > "$who.txt"
	echo "$who.png: $(wc -c < "$who.txt") bytes of QR text"
done

echo "== verify the PNG files (any status shown; a checkpoint requires green)"
"$B/hc-verify" --trust trust --at $AT --any-status green.png yellow.png red.png
echo "== checkpoint rule (green only): yellow and red are refused"
"$B/hc-verify" --trust trust --at $AT green.png yellow.png red.png || echo "(exit $?)"

echo "== a tampered code is refused"
t=$(cat green.txt)
# change one digit pair inside the signature
tampered=$(printf '%s' "$t" | awk '{ p = length($0) - 41; c = substr($0, p, 2); r = (c == "10") ? "11" : "10"; print substr($0, 1, p - 1) r substr($0, p + 2) }')
"$B/hc-verify" --trust trust --at $AT --text "$tampered" || echo "(exit $?)"

echo "== a checkpoint's video: green, yellow and red walk past the camera"
if ! command -v ffmpeg > /dev/null || [ ! -x "$B/hc-verify-scan-av" ]; then
	echo "(ffmpeg or hc-verify-scan-av, built with FFmpeg, is missing: skipped)"
else
	# 640x480 at 10 fps on a gray wall: each phone (the PNG, 300 pixels
	# wide, on a white screen) in view for 1.5 s, 0.5 s apart, moving
	phone="scale=300:300:flags=area,pad=iw+40:ih+120:20:60:white"
	ffmpeg -loglevel error -y -f lavfi -i color=c=0x5a5a5a:s=640x480:r=10:d=6 \
		-loop 1 -r 10 -i green.png -loop 1 -r 10 -i yellow.png -loop 1 -r 10 -i red.png \
		-filter_complex "[1]${phone}[g];[2]${phone}[y];[3]${phone}[r];[0][g]overlay=x='40+40*t':y=(H-h)/2:enable='between(t,0,1.45)'[a];[a][y]overlay=x='200+40*(t-2)':y=(H-h)/2:enable='between(t,2,3.45)'[b];[b][r]overlay=x='160+40*(t-4)':y=(H-h)/2:enable='between(t,4,5.45)',format=yuv420p" \
		-frames:v 60 -c:v mpeg4 -q:v 3 people.mp4
	echo "people.mp4: $(wc -c < people.mp4) bytes, 6 s; one JSON line per verdict:"
	rm -f scans.jsonl
	"$B/hc-verify" scan --trust trust --at $AT --checkpoint GATE-1 --log scans.jsonl \
		--ui json --video people.mp4 || echo "(exit $?)"
	echo "== the scan log (scans.jsonl) verified again by hc-verify batch"
	"$B/hc-verify" batch --trust trust --in scans.jsonl --out scans.batch.jsonl || echo "(exit $?)"
	cut -c1-160 scans.batch.jsonl
fi

# ---------------------------------------------------------------------
# The office service. Real time from here on (the codes above were
# issued for a fixed moment in the past).
if [ ! -x "$B/hc-issued" ]; then
	echo "== (hc-issued is not built: the service part is skipped)"
	echo "demo files are in $out"
	exit 0
fi
SRV="" WEB=""
stop_all() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	[ -n "$WEB" ] && kill "$WEB" 2>/dev/null && wait "$WEB" 2>/dev/null
	SRV="" WEB=""
}
trap stop_all EXIT
# json FILE MEMBER: a string, number or array member of a flat JSON answer
json() {
	sed -n 's/.*"'"$2"'":\("\([^"]*\)"\|\[\([^]]*\)\]\|\([0-9]*\)\).*/\2\3\4/p' "$1" | tr -d '"'
}
# b64url: decodes base64url (no padding) from standard input
b64url() {
	s=$(tr '_-' '/+')
	case $((${#s} % 4)) in 2) s="$s==" ;; 3) s="$s=" ;; esac
	printf '%s' "$s" | base64 -d
}
rm -rf office checkpoint operator
mkdir -p office checkpoint/roots operator/revocations

echo "== the office service hc-issued (in $out/office)"
hz=$("$B/hc-keys" gen office/office.key)
echo "Hangzhou office key $hz"
now=$(date +%s)
cat > office-trust.json <<JSON
{"seq":2,"iat":$((now - 60)),"next_update":$((now + 30 * 86400)),"issuers":[
 {"iss":"https://hc.zj.example","name":"Zhejiang Health Commission","region":"330000",
  "keys":[$("$B/hc-keys" pub --status active zj.key)]},
 {"iss":"https://hc.hz.example","name":"Hangzhou Health Commission","region":"330100",
  "revocations":"revocations/330100.jws",
  "keys":[$("$B/hc-keys" pub --status active office/office.key)]}]}
JSON
"$B/hc-keys" trustlist --root root.key --in office-trust.json --out operator/trustlist.jws >/dev/null
mkdir -p office/trust/roots
cp trust/roots/national.jwk office/trust/roots/ && cp operator/trustlist.jws office/trust/
cp trust/roots/national.jwk checkpoint/roots/
echo "the operator's new trust list names the office and where its revocation list is served"

# a test CA and a certificate for 127.0.0.1 (production: a real one)
(
	cd office
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout ca.key -out ca.pem -days 30 -subj "/CN=hcode demo CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout tls.key -out tls.csr -subj /CN=localhost
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > ext.cnf
	openssl x509 -req -in tls.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-out tls.crt -days 30 -extfile ext.cnf
	chmod 600 tls.key
) >/dev/null 2>&1
echo "test CA office/ca.pem, server certificate office/tls.crt"

# listen on port 0: the service picks a free port and logs it
sed 's/127\.0\.0\.1:8443/127.0.0.1:0/' "$here/service/hc-issued.json" > office/hc-issued.json
CONF=office/hc-issued.json
"$B/hc-issued" init --config $CONF
"$B/hc-issued" token add --config $CONF --role counter --name counter-01 > office/counter.token
"$B/hc-issued" token add --config $CONF --role admin --name admin-01 > office/admin.token
"$B/hc-issued" token add --config $CONF --role auditor --name auditor-01 > office/auditor.token
"$B/hc-issued" token list --config $CONF

"$B/hc-issued" serve --config $CONF 2> office/serve.log &
SRV=$!
port=""
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' office/serve.log)
	[ -n "$port" ] && break
	kill -0 $SRV 2>/dev/null || { cat office/serve.log; exit 1; }
	sleep 0.1
done
[ -n "$port" ] || { cat office/serve.log; exit 1; }
S=https://127.0.0.1:$port
echo "serving $S: $(curl -sS --cacert office/ca.pem $S/healthz)"

api() { # TOKENFILE PATH BODY-FILE OUT [curl options]: POST, prints the HTTP status
	t=$1 p=$2 b=$3 o=$4
	shift 4
	curl -sS --cacert office/ca.pem -H "Authorization: Bearer $(cat "office/$t")" \
		-H 'Content-Type: application/json' --data-binary "@$b" -o "$o" -w '%{http_code}' "$@" "$S$p"
}
# records of today: a negative test two hours ago, and a positive one
at=$(date -u -d @$((now - 7200 + 8 * 3600)) +%Y-%m-%dT%H:%M:%S+08:00)
cat > rec-green.json <<JSON
{"person":{"name":"赵六","id":"330102198807150036"},
 "nat":[{"at":"$at","result":"negative","lab":"杭州市西湖区疾控中心"}],
 "vaccinations":[{"at":"2021-05-01","product":"BBIBP-CorV","dose":1}]}
JSON
cat > rec-red.json <<JSON
{"person":{"name":"孙七","id":"330105199503020041"},
 "nat":[{"at":"$at","result":"positive","lab":"杭州市第一人民医院"}]}
JSON
for who in green red; do
	code=$(api counter.token /v1/records rec-$who.json ans-$who.json)
	echo "POST /v1/records ($who record): HTTP $code, status $(json ans-$who.json status)," \
		"why [$(json ans-$who.json why)], jti $(json ans-$who.json jti)"
	json ans-$who.json qr > svc-$who.txt
done
echo "== verify the answers (a checkpoint's trust directory lists the office key)"
cp -r office/trust/. checkpoint/
"$B/hc-verify" --trust checkpoint --any-status - < svc-green.txt
"$B/hc-verify" --trust checkpoint --any-status - < svc-red.txt
echo '{"id":"330102198807150036"}' > id-green.json
code=$(api counter.token /v1/codes id-green.json held.png -H 'Accept: image/png')
echo "POST /v1/codes as image/png: HTTP $code; the held code, scanned from the PNG:"
"$B/hc-verify" --trust checkpoint held.png

echo "== revoke the green code through the API"
jti=$(json ans-green.json jti)
printf '{"jti":"%s","reason":"demo: issued in error"}' "$jti" > revoke.json
code=$(api admin.token /v1/revocations revoke.json ans-revoke.json)
echo "POST /v1/revocations: HTTP $code $(cat ans-revoke.json)"
list=office/publish/revocations/330100.jws
# listed FILE JTI: the signed list's payload names JTI (prints its seq)
listed() {
	p=$(cut -d. -f2 "$1" | b64url 2>/dev/null)
	case "$p" in *"\"jti\":\"$2\""*) ;; *) return 1 ;; esac
	printf '%s\n' "$p" | sed -n 's/.*"seq":\([0-9]*\).*/\1/p'
}
lseq="" t0=$(date +%s)
for _ in $(seq 150); do
	lseq=$(listed $list "$jti") && break
	sleep 0.1
done
[ -n "$lseq" ] || { echo "the code is not in office/publish's revocation list after 15 s"; exit 1; }
echo "the office published $list (seq $lseq) within $(($(date +%s) - t0)) s"
echo "== a checkpoint syncs the operator's tree (with the office's list copied in) and refuses the code"
# the operator serves the office's list in its tree next to the trust list;
# the checkpoint syncs that tree over HTTPS (tests/tools/https_server.py)
cp $list operator/revocations/330100.jws
PY=/usr/bin/python3   # Debian's (starts faster than a pyenv shim)
[ -x $PY ] || PY=python3
$PY "$here/../tests/tools/https_server.py" --root operator --cert office/tls.crt \
	--key office/tls.key --port-file web.port --log web.log &
WEB=$!
for _ in $(seq 100); do [ -s web.port ] && break; sleep 0.1; done
"$B/hc-verify" sync --trust checkpoint --cacert office/ca.pem "https://127.0.0.1:$(cat web.port)"
"$B/hc-verify" --trust checkpoint - < svc-green.txt || echo "(exit $?)"

echo "== data from a lab (POST /v1/events): a green person turns red"
"$B/hc-issued" token add --config $CONF --role source:nat --name lab-01 > office/lab.token
cat > rec-lab.json <<JSON
{"person":{"name":"钱八","id":"330106199204180025"},
 "nat":[{"at":"$at","result":"negative","lab":"杭州市西湖区疾控中心"}]}
JSON
code=$(api counter.token /v1/records rec-lab.json ans-lab.json)
echo "POST /v1/records: HTTP $code, status $(json ans-lab.json status), jti $(json ans-lab.json jti)"
json ans-lab.json qr > svc-lab.txt
"$B/hc-verify" --trust checkpoint - < svc-lab.txt
# the lab's system pushes a result an hour later: positive
at2=$(date -u -d @$((now - 3600 + 8 * 3600)) +%Y-%m-%dT%H:%M:%S+08:00)
printf '{"event":"lab01-20261130-000777","type":"nat","id":"330106199204180025","at":"%s","result":"positive","lab":"杭州市第一人民医院"}\n' \
	"$at2" > events.jsonl
code=$(curl -sS --cacert office/ca.pem -H "Authorization: Bearer $(cat office/lab.token)" \
	-H 'Content-Type: application/x-ndjson' --data-binary @events.jsonl -o ans-events.json \
	-w '%{http_code}' "$S/v1/events")
echo "POST /v1/events: HTTP $code $(cat ans-events.json)"
jti=$(json ans-lab.json jti)
lseq="" t0=$(date +%s)
for _ in $(seq 150); do
	lseq=$(listed $list "$jti") && break
	sleep 0.1
done
[ -n "$lseq" ] || { echo "the green code is not in the revocation list after 15 s"; exit 1; }
echo "the office published $list (seq $lseq) within $(($(date +%s) - t0)) s"
cp $list operator/revocations/330100.jws
"$B/hc-verify" sync --trust checkpoint --cacert office/ca.pem "https://127.0.0.1:$(cat web.port)"
echo "the checkpoint, after its sync, on the old green code:"
"$B/hc-verify" --trust checkpoint - < svc-lab.txt || echo "(exit $?)"
echo "the audit line that says why (GET /v1/audit):"
curl -sS --cacert office/ca.pem -H "Authorization: Bearer $(cat office/auditor.token)" \
	"$S/v1/audit?after=0&limit=1000" | grep '"action":"status".*"cause":"lab01-20261130-000777"'

echo "== the audit entries (GET /v1/audit with the auditor token): seq, action, actor, to"
curl -sS --cacert office/ca.pem -H "Authorization: Bearer $(cat office/auditor.token)" \
	"$S/v1/audit?after=0&limit=100" |
	sed 's/^{"seq":\([0-9]*\),"at":[0-9]*,"actor":"\([^"]*\)","action":"\([^"]*\)",.*"to":\([^,]*\),"why".*/  \1 \3 by \2, to \4/'
echo "== a few of the metrics (GET /metrics)"
curl -sS --cacert office/ca.pem "$S/metrics" | grep -E '^hc_(codes[{]|people |revocation_list_seq |audit_seq )'
echo "== stop the service (SIGTERM: drains, signs the audit head)"
kill -TERM $SRV
rc=0; wait $SRV || rc=$?
SRV=""
echo "hc-issued exited $rc"
if "$B/hc-verify" audit --help 2>&1 | grep -q -- --since-head; then
	echo "== check the published audit chain"
	"$B/hc-verify" audit --trust checkpoint office/publish
else
	echo "== (hc-verify audit is not built: the chain check is skipped)"
fi
stop_all
echo "demo files are in $out"
