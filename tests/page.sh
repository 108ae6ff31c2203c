#!/bin/bash
# page.sh BUILD: the counter page of hc-issued in headless Chromium, driven
# over the DevTools protocol (tests/tools/cdp.py) the way staff use it: the
# real daemon over HTTPS on loopback (a test CA made here), log in with a
# counter token, issue a green code (the sample record) and a red one, fetch
# the held code by ID, check the status block's words and colour, the
# reasons, masked identity and expiry; screenshot each answer, decode the
# QR element's screenshot with zbarimg and verify it with hc-verify against
# a trust directory listing the office's key; a wrong token brings back the
# login with the 401 message; print media shows only the answer; a hostile
# server's SVG is refused. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
CHECKS=49 # every check below, for the skips

command -v chromium >/dev/null 2>&1 || { skip $CHECKS page "chromium is not installed"; totals; exit 0; }
command -v zbarimg >/dev/null 2>&1 || { skip $CHECKS page "zbarimg is not installed"; totals; exit 0; }
[ -x "$B/hc-issued" ] || { skip $CHECKS page "$B/hc-issued is not built"; totals; exit 0; }

# the interpreter itself, not a version manager's shim (2 s per start)
PY=$(python3 -c 'import sys; print(sys.executable)')
W=$(mktemp -d /tmp/hc-page.XXXXXX)
DPID="" CPID=""
cleanup() {
	[ -n "${CDP_PID:-}" ] && kill "$CDP_PID" 2>/dev/null
	[ -n "$CPID" ] && kill -- -"$CPID" 2>/dev/null
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null
	[ -n "$CPID" ] && wait "$CPID" 2>/dev/null
	[ -n "$DPID" ] && wait "$DPID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 2
t0=$(date +%s)

# ---- test CA, server certificate, office key, trust directory ----
{
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout ca.key -out ca.pem -days 30 -subj "/CN=hcode page test CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout tls.key -out tls.csr -subj /CN=127.0.0.1 &&
	printf '%s\n' 'subjectAltName=IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
		'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' > ext.cnf &&
	openssl x509 -req -in tls.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-out tls.crt -days 30 -extfile ext.cnf && chmod 600 tls.key
} >/dev/null 2>&1
# Chromium takes the server's key by its SPKI hash (it has no flag for a CA).
SPKI=$(openssl x509 -in tls.crt -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)
ISS=https://hc.zj.example
NOW=$(date +%s)
K() { "$B/hc-keys" "$@"; }
mkdir -p trust/roots publish
K gen root.key >/dev/null && K gen office.key >/dev/null && K pub root.key > trust/roots/root.jwk &&
	printf '{"seq":1,"iat":%s,"next_update":%s,"issuers":[{"iss":"%s","name":"Hangzhou office","region":"330100","keys":[%s]}]}\n' \
		$((NOW - 3600)) $((NOW + 30 * 86400)) "$ISS" "$(K pub --status active office.key)" > tl.json &&
	K trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null &&
	[ -s tls.crt ] && [ -n "$SPKI" ] && ok "test CA, TLS certificate, office key, trust list" ||
	bad "test CA, TLS certificate, office key, trust list"

# ---- the daemon ----
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > hc-issued.json <<EOF
{"listen":"127.0.0.1:$PORT","tls":{"cert":"tls.crt","key":"tls.key"},
 "registry":"registry.db","iss":"$ISS","name":"Hangzhou office","region":"330100",
 "key":"office.key","id_secret":"id.secret","publish":"publish","threads":2}
EOF
URL=https://127.0.0.1:$PORT
D() { "$B/hc-issued" "$@"; }
D init --config hc-issued.json >init.log 2>&1 &&
	TOKEN=$(D token add --config hc-issued.json --role counter --name desk-1 2>>init.log) &&
	[ ${#TOKEN} -eq 43 ] && ok "registry made, counter token" || bad "init and token add" "$(cat init.log)"
"$B/hc-issued" serve --config hc-issued.json 2>daemon.log &
DPID=$!
for _ in $(seq 100); do
	curl -sf --cacert ca.pem "$URL/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -sf --cacert ca.pem "$URL/healthz" >/dev/null 2>&1 && ok "daemon answers /healthz over HTTPS" ||
	bad "daemon did not come up" "$(tail -n 5 daemon.log)"

# GET / and the files it loads are the page's files, byte for byte.
for f in /:index.html:text/html /app.js:app.js:text/javascript /app.css:app.css:text/css; do
	path=${f%%:*} rest=${f#*:}
	file=${rest%%:*} type=${rest#*:}
	ct=$(curl -s --cacert ca.pem -o "got-$file" -w '%{http_code} %{content_type}' "$URL$path")
	cmp -s "got-$file" "$SRC/issuer/page/$file" && has "$ct" "200 $type" &&
		ok "GET $path is issuer/page/$file ($ct)" || bad "GET $path" "$ct"
done

# ---- Chromium ----
mkdir prof
TZ=Asia/Shanghai setsid chromium --headless=new --no-sandbox --disable-gpu --no-first-run \
	--user-data-dir="$W/prof" --remote-debugging-port=0 --window-size=420,900 \
	--ignore-certificate-errors-spki-list="$SPKI" about:blank >chromium.log 2>&1 &
CPID=$!
for _ in $(seq 100); do [ -s prof/DevToolsActivePort ] && break; sleep 0.1; done
# cdp.py's repl over one connection (a process per command costs seconds
# on a loaded machine): C CMD ARGS... prints the output, returns the status.
coproc CDP { "$PY" "$SRC/tests/tools/cdp.py" prof/DevToolsActivePort repl 2>cdp.log; }
C() {
	local IFS=$'\x1f' line
	printf '%s\n' "$*" >&"${CDP[1]}" && IFS= read -r line <&"${CDP[0]}" || { echo "cdp.py repl is gone"; return 2; }
	[ "${line#*$'\t'}" != "" ] && printf '%s\n' "${line#*$'\t'}"
	return "${line%%$'\t'*}"
}
E() { C eval "$1" 2>&1; }
el() { echo "document.getElementById('$1')"; }
C viewport 360 740 && C open "$URL/" && [ "$(E document.title)" = '"健康码柜台 · Health code counter"' ] &&
	ok "Chromium loads the page over HTTPS (test certificate)" ||
	bad "page did not load" "$(E document.title) $(tail -n 3 chromium.log)"
[ "$(E "[$(el login).hidden, $(el work).hidden]")" = "[false, true]" ] &&
	ok "without a token the page asks for one" || bad "login first" "$(E "$(el work).hidden")"
got=$(E "var n=document.querySelectorAll('script:not([src]),style,[style]').length,s=document.createElement('script');s.textContent='window.inl=1';document.body.appendChild(s);[window.inl===undefined,n]")
[ "$got" = "[true, 0]" ] && ok "the page's CSP refuses inline script; the page has no inline script or style" ||
	bad "CSP" "$got (inline script blocked, inline script and style count)"

# answer: the result or the error block appears
answer() { C wait "!$(el result).hidden || !$(el error).hidden" 15; }
shown() { # NAME ZH EN RGB WHY...: the status block and the reasons
	local name=$1 want="[\"$2\",\"$3\",\"$4\"]" what="$2 $3 in $4" got
	shift 4
	got=$(E "[$(el status-zh).textContent,$(el status-en).textContent,getComputedStyle($(el status)).backgroundColor]")
	got=${got// /}
	[ "$got" = "$want" ] && ok "$name: status block $what" || bad "$name: status block" "$got, want $want"
	got=$(E "Array.from(document.querySelectorAll('#r-why li')).map(function(l){return l.textContent}).join('|')")
	[ "$got" = "\"$*\"" ] && ok "$name: reasons $*" || bad "$name: reasons" "$got, want $*"
}
qrcheck() { # NAME STATUS: the QR element's screenshot decodes to a code that
	# verifies and says what the page shows
	local name=$1 z="" out exp want got
	C shot "qr-$name.png" '#qr' 3 && z=$(zbarimg -q --raw -Sdisable -Sqrcode.enable "qr-$name.png" 2>/dev/null) &&
		has "$z" "hc:/" && ok "$name: QR screenshot decodes (zbarimg)" || bad "$name: QR decode" "$z"
	out=$("$B/hc-verify" --trust trust --any-status --json --text "$z" 2>&1)
	has "$out" '"verdict":"pass"' && has "$out" "\"status\":\"$2\"" && has "$out" "\"iss\":\"$ISS\"" &&
		ok "$name: hc-verify passes the QR ($2, $ISS)" || bad "$name: hc-verify" "$out"
	want=$(echo "$out" | "$PY" -c 'import json,sys; o=json.load(sys.stdin); print(json.dumps([o["jti"],o["name"],o["id"],"|".join(o["why"])],ensure_ascii=False))' 2>&1)
	got=$(E "[$(el r-jti).textContent,$(el r-name).textContent,$(el r-id).textContent,Array.from(document.querySelectorAll('#r-why li[data-code]')).map(function(l){return l.getAttribute('data-code')}).join('|')]")
	[ "$got" = "$want" ] && ok "$name: jti, masked name and ID, reason codes shown are the QR's" ||
		bad "$name: page and QR differ" "page $got, QR $want"
	exp=$(echo "$out" | sed -n 's/.*"exp":\([0-9]*\).*/\1/p')
	want=$(TZ=Asia/Shanghai date -d "@${exp:-0}" '+%Y-%m-%d %H:%M:%S (UTC+08:00)')
	[ "$(E "$(el r-exp).textContent")" = "\"$want\"" ] &&
		ok "$name: expiry shown in local time ($want)" || bad "$name: expiry" "$(E "$(el r-exp).textContent"), want $want"
}

# ---- log in, green from the sample record ----
C type '#token' "$TOKEN" && C click '#login-btn' &&
	[ "$(E "[$(el login).hidden, $(el work).hidden, sessionStorage.length]")" = "[true, false, 1]" ] &&
	ok "log in: token typed, forms shown, token in sessionStorage" || bad "log in" "$(E "$(el login-msg).textContent")"
C click '#sample-btn' && [ "$(E "JSON.parse($(el record).value).person.id")" = '"33010619900101123X"' ] &&
	ok "sample button fills the record" || bad "sample record"
C click '#record-btn' && answer && [ "$(E "$(el result).hidden")" = false ] &&
	ok "green: POST /v1/records answered" || bad "green: no result" "$(E "$(el error).textContent")"
shown green 绿码 Green "rgb(10,125,50)" "无 / None"
got=$(E "[$(el r-name).textContent,$(el r-id).textContent]")
has "$got" '"张*"' && ! has "$got" 33010619900101123X && has "$got" '123X"' &&
	ok "green: masked name and ID ($got)" || bad "green: identity" "$got"
C shot green.png && cp green.png "$B/page-green.png" && [ "$(head -c 4 green.png | od -An -c | tr -d ' ')" = '211PNG' ] &&
	ok "green: page screenshot (kept as $B/page-green.png)" || bad "green: screenshot"
qrcheck green green
JTI=$(E "$(el r-jti).textContent")

[ "$(E "[window.innerWidth,document.documentElement.scrollWidth<=window.innerWidth]")" = "[360, true]" ] &&
	ok "phone width (360 px): nothing wider than the screen" ||
	bad "phone width" "$(E "[window.innerWidth,document.documentElement.scrollWidth]")"

# ---- print media: only the status, identity, expiry and QR ----
got=$(C media print "['login','work','error','r-why','print-btn','status','qr','r-name','r-exp'].map(function(i){return document.getElementById(i).getClientRects().length>0?1:0}).join('')+getComputedStyle(document.querySelector('header')).display")
[ "$got" = '"000001111none"' ] && ok "print media: forms, header, reasons hidden; status, QR, identity, expiry shown" ||
	bad "print media" "$got (login work error why print status qr name exp; header)"
[ "$(E "$(el work).getClientRects().length")" = 1 ] && ok "screen media again: forms shown" || bad "screen media"

# ---- the held code by ID ----
C type '#idnum' 33010619900101123x && C click '#id-btn' && answer && [ "$(E "$(el result).hidden")" = false ] &&
	ok "ID: POST /v1/codes answered" || bad "ID: no result" "$(E "$(el error).textContent")"
[ "$(E "$(el r-jti).textContent")" = "$JTI" ] && [ "$(E "$(el status).className")" = '"status green"' ] &&
	ok "ID: the held green code (same jti)" || bad "ID: held code" "$(E "$(el r-jti).textContent") vs $JTI"

# ---- red ----
RED='{"person":{"name":"王芳","id":"330106198503120028"},"flags":["confirmed","close-contact"]}'
C eval "$(el record).value=''" >/dev/null && C type '#record' "$RED" && C click '#record-btn' && answer &&
	[ "$(E "$(el result).hidden")" = false ] && ok "red: POST /v1/records answered" ||
	bad "red: no result" "$(E "$(el error).textContent")"
shown red 红码 Red "rgb(179,38,30)" "确诊病例 / Confirmed case|密切接触者 / Close contact"
got=$(E "[$(el r-name).textContent,$(el r-id).textContent]")
has "$got" '"王*"' && ! has "$got" 330106198503120028 && ok "red: masked name and ID ($got)" || bad "red: identity" "$got"
C shot red.png && ok "red: page screenshot" || bad "red: screenshot"
qrcheck red red

# ---- yellow (a yellow flag) ----
YEL='{"person":{"name":"李四","id":"11010519491231002X"},"flags":["secondary-contact"]}'
C eval "$(el record).value=''" >/dev/null && C type '#record' "$YEL" && C click '#record-btn' && answer &&
	[ "$(E "$(el result).hidden")" = false ] && ok "yellow: POST /v1/records answered" ||
	bad "yellow: no result" "$(E "$(el error).textContent")"
shown yellow 黄码 Yellow "rgb(245,196,0)" "次密切接触者 / Secondary contact"

# ---- errors: bad record, unknown person ----
C eval "$(el record).value=''" >/dev/null && C type '#record' '{"person":{"name":"x"}' && C click '#record-btn' && answer
got=$(E "[$(el result).hidden,$(el error).hidden,$(el err-code).textContent,$(el err-detail).textContent.length>0]")
[ "$got" = '[true, false, "bad-request", true]' ] && ok "bad JSON: error bad-request with its detail" || bad "bad JSON" "$got"
C eval "$(el idnum).value=''" >/dev/null && C type '#idnum' 110105194912310038 && C click '#id-btn' && answer
got=$(E "[$(el error).hidden,$(el err-code).textContent,$(el err-words).textContent]")
[ "$got" = '[false, "not-found", "未找到此人 / Person not found"]' ] && ok "unknown person: not-found in words" || bad "unknown person" "$got"

# ---- log out, a wrong token: 401 asks for the token again ----
C click '#logout' && [ "$(E "[$(el login).hidden,$(el work).hidden,sessionStorage.length]")" = "[false, true, 0]" ] &&
	ok "log out clears the token and shows the login" || bad "log out"
WRONG=A${TOKEN#?}
[ "$WRONG" = "$TOKEN" ] && WRONG=B${TOKEN#?}
C type '#token' "$WRONG" && C click '#login-btn' && C type '#idnum' 33010619900101123X && C click '#id-btn' &&
	C wait "!$(el login).hidden" 15
got=$(E "[$(el login).hidden,$(el work).hidden,sessionStorage.length,$(el err-code).textContent,$(el login-msg).textContent]")
has "$got" '[false, true, 0, "unauthorized", "令牌无效或已撤销，请重新登录 / Token refused: log in again' &&
	ok "wrong token: 401, token dropped, login asks again" || bad "wrong token" "$got"

# ---- a hostile server: the SVG is refused unless it is only rect and path ----
C type '#token' "$TOKEN" && C click '#login-btn' && C eval "$(el idnum).value=''" >/dev/null &&
	C type '#idnum' 33010619900101123X || bad "log in again"
curl -s --cacert ca.pem -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	-d '{"id":"33010619900101123X"}' "$URL/v1/codes?svg=1" > code.json
hostile() { # NAME PYTHON-EXPR-ON-svg: the page refuses the altered SVG
	"$PY" -c 'import json,sys; o=json.load(open("code.json")); svg=o["svg"]; o["svg"]=eval(sys.argv[1]); assert o["svg"] != svg, "the change left the SVG as it was"; print(json.dumps(o))' \
		"$2" > hostile.json || echo "hostile answer not made from code.json: $(head -c 200 code.json)"
	C eval "window.hit=0" >/dev/null
	C answer '*/v1/codes*' 200 hostile.json '#id-btn' >/dev/null && answer
	got=$(E "[$(el result).hidden,$(el err-code).textContent,window.hit,document.querySelectorAll('svg').length]")
	[ "$got" = '[true, "bad-answer", 0, 0]' ] && ok "$1: SVG refused" || bad "$1: SVG" "$got"
}
C answer '*/v1/codes*' 200 code.json '#id-btn' >/dev/null && answer &&
	[ "$(E "[$(el result).hidden,document.querySelectorAll('#qr svg path').length]")" = "[false, 1]" ] &&
	ok "the server's own SVG passes the same check" || bad "own SVG" "$(E "$(el error).textContent")"
hostile "onload attribute" 'svg.replace("<rect ", "<rect onload=\"window.hit=1\" ", 1)'
hostile "script element" 'svg.replace("</svg>", "<script>window.hit=1</script></svg>")'
hostile "image element" 'svg.replace("</svg>", "<image href=\"https://example.org/x.png\" width=\"9\" height=\"9\"/></svg>")'
hostile "foreignObject" 'svg.replace("</svg>", "<foreignObject><div xmlns=\"http://www.w3.org/1999/xhtml\">x</div></foreignObject></svg>")'
hostile "not an svg root" '"<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><img src=\"x\" onerror=\"window.hit=1\"/></body></html>"'
hostile "javascript URL fill" 'svg.replace("<path ", "<path fill=\"url(javascript:window.hit=1)\" ", 1)'
hostile "malformed XML" 'svg[:len(svg) // 2]'

echo "page.sh: $(($(date +%s) - t0)) s"
totals
[ "$fail" -eq 0 ]
