#!/bin/bash
# install.sh BUILD: `make install DESTDIR=...` of that build puts every
# program, man page, the systemd unit (ExecStart rewritten to SBINDIR) and
# the sysusers.d file where PREFIX, SBINDIR and UNITDIR say, with their
# modes; the unit passes `systemd-analyze verify` and keeps its hardening
# (`systemd-analyze security --offline`); `make uninstall` removes exactly
# what install put there. Nothing is rebuilt (make -o all). Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/hc-install.XXXXXX) && chmod 755 "$W"
trap '[ -n "${KEEP:-}" ] && echo "kept $W" || rm -rf "$W"' EXIT

inst() { # DESTDIR [VAR=VALUE...]: make install of this build, nothing rebuilt
	local d=$1
	shift
	make -s -C "$SRC" -o all B="$B" DESTDIR="$d" "$@" install > "$W/make.log" 2>&1
}
mode_is() { # FILE MODE
	[ -f "$1" ] && [ "$(stat -c %a "$1")" = "$2" ]
}

# group NAME: the system calls of a systemd syscall-filter group, expanded
group() {
	local x
	systemd-analyze syscall-filter "$1" 2>/dev/null | awk 'NR > 1' | sed 's/^ *//' |
		grep -v '^#' | grep -v '^$' | while read -r x; do
		case $x in @*) group "$x" ;; *) echo "$x" ;; esac
	done
}
# syscalls PROGRAM: the daemon, run as nobody under strace through init,
# a record, a PNG code, a revocation and its publication, the audit feed
# and SIGTERM, makes no system call that the unit's SystemCallFilter
# (@system-service minus @privileged and @resources) would refuse.
syscalls() {
	local d=$W/office p=$1 pid port i tok adm jti used bad_calls
	if ! command -v strace > /dev/null || ! command -v setpriv > /dev/null ||
		! command -v systemd-analyze > /dev/null; then
		skip 2 "system calls against the unit's filter" "strace, setpriv or systemd-analyze missing"
		return
	fi
	if grep -q __asan_init "$p"; then
		skip 2 "system calls against the unit's filter" "a sanitizer build makes calls of its own"
		return
	fi
	mkdir -p "$d" && cd "$d" || return
	"$B/hc-keys" gen office.key > /dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key \
		-out tls.crt -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2> /dev/null
	printf '%s\n' '{"listen":"127.0.0.1:0","tls":{"cert":"tls.crt","key":"tls.key"},' \
		'"registry":"registry.db","iss":"https://hc.test.example","name":"Test","region":"330100",' \
		'"key":"office.key","id_secret":"id.secret","publish":"publish"}' > c.json
	chown -R 65534:65534 "$d" && chmod 700 "$d"
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	as_nobody "$p" init --config c.json > /dev/null 2>&1
	tok=$(as_nobody "$p" token add --config c.json --role counter --name c1 2> /dev/null)
	adm=$(as_nobody "$p" token add --config c.json --role admin --name a1 2> /dev/null)
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		strace -f -qq -o st.log "$p" serve --config c.json 2> serve.log &
	pid=$!  # strace (setpriv execs it); the daemon is its child
	port=""
	for i in $(seq 100); do
		port=$(sed -n 's/.*listening on .*(port \([0-9]*\)).*/\1/p' serve.log)
		[ -n "$port" ] && break
		sleep 0.1
	done
	local S=https://127.0.0.1:$port J='Content-Type: application/json'
	curl -sk -H "Authorization: Bearer $tok" -H "$J" -o rec.json "$S/v1/records" \
		-d '{"person":{"name":"Test","id":"33010619900101123X"},"flags":["confirmed"]}'
	curl -sk -H "Authorization: Bearer $tok" -H "$J" -H 'Accept: image/png' -o code.png \
		-d '{"id":"33010619900101123X"}' "$S/v1/codes"
	jti=$(sed -n 's/.*"jti":"\([^"]*\)".*/\1/p' rec.json)
	curl -sk -H "Authorization: Bearer $adm" -H "$J" -o rev.json "$S/v1/revocations" \
		-d "{\"jti\":\"$jti\",\"reason\":\"test\"}"
	curl -sk -o /dev/null "$S/metrics"
	for i in $(seq 100); do grep -q 'revocation list seq 2' serve.log && break; sleep 0.1; done
	i=$(pgrep -P "$pid") && kill -TERM "$i"
	wait "$pid"
	if grep -q '"status":"red"' rec.json && grep -q '"already":false' rev.json &&
		grep -q 'revocation list seq 2' serve.log && grep -q 'stopped' serve.log; then
		ok "hc-issued as nobody under strace: issued, revoked, published, stopped"
	else
		bad "hc-issued under strace" "$(tail -n 5 serve.log)"
	fi
	group @system-service | sort -u > allowed
	{ group @privileged; group @resources; } | sort -u > denied
	used=$(sed -n 's/^[0-9][0-9]*  *\([a-z0-9_]*\)(.*/\1/p' st.log | sort -u)
	bad_calls=$(echo "$used" | comm -23 - allowed; echo "$used" | comm -12 - denied)
	[ -n "$used" ] && [ -z "$bad_calls" ] &&
		ok "its $(echo "$used" | wc -l) system calls all pass SystemCallFilter=@system-service ~@privileged @resources" ||
		bad "system calls the unit's filter refuses" "$(echo $bad_calls)"
	cd "$W" || return
}

# make memcheck's BUILD holds valgrind wrapper scripts and no hc-issued:
# installing copies files and runs nothing worth a memcheck, so every
# check (24, as a normal run counts them) is skipped there.
if [ "$(head -c 2 "$B/hc-keys" 2>/dev/null)" = "#!" ]; then
	skip 24 "install" "$B holds wrapper scripts (make memcheck)"
	totals
	exit 0
fi

# ---- user programs and their man pages ----
R=$W/root
inst "$R" && ok "make install DESTDIR (PREFIX=/usr/local)" || { bad "make install" "$(tail -n 5 "$W/make.log")"; }
for p in hc-keys hc-issue hc-verify; do
	f=$R/usr/local/bin/$p
	mode_is "$f" 755 && cmp -s "$f" "$B/$p" && ok "bin/$p: mode 755, the built program" ||
		bad "bin/$p" "$(stat -c %a "$f" 2>&1)"
	mode_is "$R/usr/local/share/man/man1/$p.1" 644 && ok "man1/$p.1" || bad "man1/$p.1 missing or wrong mode"
done
[ ! -e "$R/usr/local/bin/hc-issued" ] && ok "hc-issued is not in bin/" || bad "hc-issued installed in bin/"

# ---- the service: sbin, man8, unit, sysusers ----
# (the Makefile builds and installs hc-issued when issuer/hc-issued.c exists)
if [ ! -f "$SRC/issuer/hc-issued.c" ]; then
	skip 14 "hc-issued install" "this tree has no issuer/hc-issued.c"
else
	f=$R/usr/local/sbin/hc-issued
	mode_is "$f" 755 && cmp -s "$f" "$B/hc-issued" && ok "sbin/hc-issued: mode 755, the built program" ||
		bad "sbin/hc-issued"
	"$f" --help > "$W/help" 2>&1 && grep -q serve "$W/help" && ok "installed hc-issued --help names serve" ||
		bad "installed hc-issued --help" "$(head -n 3 "$W/help")"
	m=$R/usr/local/share/man/man8/hc-issued.8
	mode_is "$m" 644 && ok "man8/hc-issued.8" || bad "man8/hc-issued.8 missing or wrong mode"
	warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$m" 2>&1)
	[ -z "$warn" ] && ok "hc-issued.8 renders without a groff warning" || bad "hc-issued.8" "$warn"
	u=$R/usr/local/lib/systemd/system/hc-issued.service
	mode_is "$u" 644 && ok "unit in PREFIX/lib/systemd/system" || bad "unit missing or wrong mode"
	exec_line=$(grep '^ExecStart=' "$u" 2>/dev/null)
	[ "$exec_line" = "ExecStart=/usr/local/sbin/hc-issued serve --config /etc/hcode/hc-issued.json" ] &&
		ok "unit runs SBINDIR/hc-issued serve" || bad "unit ExecStart" "$exec_line"
	s=$R/usr/local/lib/sysusers.d/hcode.conf
	mode_is "$s" 644 && grep -q '^u hcode ' "$s" && ok "sysusers.d/hcode.conf declares hcode" ||
		bad "sysusers.d/hcode.conf"
	# a package layout: PREFIX=/usr, the unit in /lib/systemd/system
	R2=$W/pkg
	inst "$R2" PREFIX=/usr UNITDIR=/lib/systemd/system &&
		[ -x "$R2/usr/sbin/hc-issued" ] &&
		grep -qx 'ExecStart=/usr/sbin/hc-issued serve --config /etc/hcode/hc-issued.json' \
			"$R2/lib/systemd/system/hc-issued.service" &&
		ok "PREFIX=/usr UNITDIR=/lib/systemd/system: ExecStart follows SBINDIR" ||
		bad "package layout" "$(ls -R "$R2" 2>&1 | head -n 20)"
	# systemd's own checks, on an install whose paths are real (PREFIX in
	# the scratch directory, no DESTDIR): the program and the man page exist
	P=$W/prefix
	if command -v systemd-analyze > /dev/null; then
		inst "" PREFIX="$P" || bad "make install PREFIX=$P" "$(tail -n 5 "$W/make.log")"
		pu=$P/lib/systemd/system/hc-issued.service
		out=$(MANPATH=$P/share/man systemd-analyze verify "$pu" 2>&1)
		[ -z "$out" ] && ok "systemd-analyze verify: no complaint" || bad "systemd-analyze verify" "$out"
		sec=$(systemd-analyze security --offline=true "$pu" 2>&1 |
			sed -n 's/.*Overall exposure level for hc-issued.service: \([0-9.]*\).*/\1/p')
		awk -v s="${sec:-99}" 'BEGIN { exit !(s <= 2.0) }' &&
			ok "systemd-analyze security: exposure $sec (at most 2.0)" ||
			bad "systemd-analyze security" "exposure ${sec:-unknown}"
		grep -q '^ProtectSystem=strict' "$u" && grep -q '^NoNewPrivileges=yes' "$u" &&
			grep -q '^StateDirectory=hcode' "$u" && grep -q '^User=hcode' "$u" &&
			grep -qx 'CapabilityBoundingSet=' "$u" &&
			ok "unit: own user, ProtectSystem=strict, StateDirectory, NoNewPrivileges, no capability" ||
			bad "unit hardening lines"
	else
		skip 3 "systemd-analyze" "not installed"
	fi
	syscalls "$f"
	# a service that runs must find a config: --config of a missing file is exit 2
	"$f" serve --config "$W/none.json" > /dev/null 2>&1
	[ $? = 2 ] && ok "installed hc-issued serve without its config: exit 2" || bad "serve, no config: exit not 2"
fi

# ---- uninstall leaves nothing behind ----
make -s -C "$SRC" B="$B" DESTDIR="$R" uninstall > "$W/make.log" 2>&1 && ok "make uninstall" ||
	bad "make uninstall" "$(tail -n 5 "$W/make.log")"
left=$(find "$R" -type f)
[ -z "$left" ] && ok "uninstall removed every installed file" || bad "left after uninstall" "$left"
totals
[ "$fail" -eq 0 ]
