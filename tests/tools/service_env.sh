# service_env.sh: sourced by tests/service*.sh after lib.sh, in the work
# directory, with B set. Makes a test CA and the daemon's certificate
# (ca.pem, srv.pem, srv.key), a root key and a trust directory trust/
# listing the office key o/office.key for ISS (region REGION, revocation
# list at revocations/REGION.jws), picks a free loopback port (PORT, URL)
# and writes o/config.json (CF) with the members given as $1 added.
# Returns non-zero when any step fails.
# PY: Debian's python3 when there (a version manager's shim on PATH can
# cost seconds per start on a loaded machine), else python3 from PATH.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
ISS=https://hc.hz.example
REGION=330100
service_env() {
	local now
	test_ca || return 1 # tests/lib.sh
	mkdir -p o trust/roots || return 1
	"$B/hc-keys" gen root.key >/dev/null && "$B/hc-keys" gen o/office.key >/dev/null &&
		"$B/hc-keys" pub root.key > trust/roots/root.jwk || return 1
	now=$(date +%s)
	printf '{"seq":1,"iat":%s,"next_update":%s,"issuers":[{"iss":"%s","name":"Hangzhou Health","region":"%s","revocations":"revocations/%s.jws","keys":[%s]}]}\n' \
		$((now - 60)) $((now + 86400)) "$ISS" "$REGION" "$REGION" \
		"$("$B/hc-keys" pub --status active o/office.key)" > tl.json &&
		"$B/hc-keys" trustlist --root root.key --in tl.json --out trust/trustlist.jws >/dev/null || return 1
	cp -r trust o/trust && cp srv.pem o/tls.crt && cp srv.key o/tls.key || return 1
	PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])') || return 1
	URL=https://127.0.0.1:$PORT
	CF=o/config.json
	cat > $CF <<JSON
{"listen":"127.0.0.1:$PORT","tls":{"cert":"tls.crt","key":"tls.key"},
 "registry":"registry.db","iss":"$ISS","name":"Hangzhou Health","region":"$REGION",
 "key":"office.key","id_secret":"id.secret","publish":"publish","trust":"trust"${1:+,$1}}
JSON
}
# start_daemon: hc-issued serve in the background (DPID), logging to
# o/log; returns once /healthz answers (non-zero after 10 s).
start_daemon() {
	"$B/hc-issued" serve --config $CF --log o/log &
	DPID=$!
	local i
	for i in $(seq 100); do
		curl -s --cacert ca.pem "$URL/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
