# lib.sh: sourced by tests/run.sh and by every test script (sh and bash),
# before anything runs.
#
# Sanitizer errors exit 86 in every program a test starts: the runtimes'
# default is 1, the status the programs use for "refused", so a check that
# wants exit 1 would pass a crash. ASan, UBSan and LSan share one exitcode
# flag (whichever runtime parses its options last sets it for all, as a
# test program showed with gcc's combined -fsanitize=address,undefined), so
# all three get the same status and the report on standard error says which
# one fired. halt_on_error stops at the first error, abort_on_error=0 exits
# with the status instead of a core dump. Options already set are kept;
# ours come after them and win (print_suppressions=0 comes before them:
# suppressed leaks, OpenMPI's in tests/batch.sh, print nothing). With
# HC_SAN_LOG set (tests/run.sh sets it), ASan and LSan reports also go to a
# file HC_SAN_LOG/san.PID, so such a crash fails the run even where a script
# does not look at the exit status. (UBSan, combined with ASan, ignores
# log_path and reports on standard error only; its exit status is 86.)
if [ -z "${HC_SAN_SET:-}" ]; then
	HC_SAN_SET=1
	hc_san="exitcode=86:abort_on_error=0:halt_on_error=1${HC_SAN_LOG:+:log_path=$HC_SAN_LOG/san}"
	ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}:$hc_san"
	UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}:$hc_san"
	LSAN_OPTIONS="print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}:$hc_san"
	export HC_SAN_SET ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
	unset hc_san
fi

# Every script counts its checks with these: ok NAME, bad NAME [DETAIL]
# (one line each, "ok   NAME" or "FAIL NAME: DETAIL"); has TEXT PART
# tests whether TEXT contains PART.
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1${2:+: $2}"; }
has() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }

# skip N NAME REASON: N checks not run (a tool is missing, or the user asked);
# they count as skipped, never as passed. A script that skips prints
# "N skipped" before its last line "N passed, N failed" (totals does both);
# tests/run.sh pins passed + failed + skipped per script (tests/counts).
skipped=0
skip() {
	skipped=$((skipped + $1))
	echo "SKIP $2 ($1 checks)${3:+: $3}"
}
totals() {
	echo "$skipped skipped"
	echo "$pass passed, $fail failed"
}

# Debian's python3 (make deps installs it) rather than whatever python3 comes
# first on PATH: on a machine with a version manager (pyenv) that is a shell
# shim which runs a dozen processes before Python starts, 0.3 s a call here
# against 0.03 s, and the scripts call python3 hundreds of times. The tests
# use the standard library only. A directory holding just that python3 goes
# first on PATH, so that scripts' #! lines (env python3) find it too.
if [ -x /usr/bin/python3 ] && [ "$(command -v python3)" != /usr/bin/python3 ]; then
	hc_py=${TMPDIR:-/tmp}/hc-python3.$(id -u)
	mkdir -p "$hc_py" 2>/dev/null
	[ -L "$hc_py/python3" ] || ln -s /usr/bin/python3 "$hc_py/python3" 2>/dev/null
	[ -x "$hc_py/python3" ] && PATH=$hc_py:$PATH && export PATH
	unset hc_py
fi

# trust_dir DIR PAYLOAD [ROOT.key]: a trust directory DIR whose pinned root
# is ROOT.key (default root.key; made with hc-keys gen when missing): the
# root's public JWK in DIR/roots/ROOT.jwk, PAYLOAD (a trust-list payload)
# signed by it as DIR/trustlist.jws. Needs B, the build directory.
# Non-zero when a step fails.
trust_dir() {
	local dir=$1 payload=$2 root=${3:-root.key}
	{ [ -e "$root" ] || "$B/hc-keys" gen "$root"; } >/dev/null &&
		mkdir -p "$dir/roots" &&
		"$B/hc-keys" pub "$root" > "$dir/roots/$(basename "$root" .key).jwk" &&
		"$B/hc-keys" trustlist --root "$root" --in "$payload" --out "$dir/trustlist.jws" >/dev/null
}

# test_ca: a test CA (ca.pem, ca.key) and a server certificate it signed
# for localhost and 127.0.0.1 (srv.pem, srv.key), in the current
# directory, for the loopback HTTPS servers (tests/tools/https_server.py).
test_ca() {
	{
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout ca.key -out ca.pem -days 3650 -subj "/CN=hcode test CA" \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout srv.key -out srv.csr -subj /CN=localhost &&
		printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
			'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' > ext.cnf &&
		openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem \
			-days 3650 -extfile ext.cnf
	} >/dev/null 2>&1
}
