#!/bin/bash
# adversarial.sh BUILD: runs hc-verify on every case of tests/adversarial/
# (text and --json), and checks the exit status, the reason of each result
# and a detail (expect), the displayed fields (show), the text of a code
# that must not be shown (hidden, batch too), that no control,
# bidi or invalid UTF-8 byte reaches standard output or error, and that
# hc-verify batch gives every text case the same reason, and the same bytes
# with the keys' tables as with EVP_PKEY_verify one by one. Last line: totals.
set -u
. "$(dirname "$0")/lib.sh"
B=$(cd "${1:-build}" && pwd)
A=$(cd "$(dirname "$0")/adversarial" && pwd)
W=$(mktemp -d /tmp/hc-adv.XXXXXX)
trap 'rm -rf "$W"' EXIT
# hc-verify writes revocation-list indexes into its trust directory
cp -R "$A"/trust* "$W"/
cd "$W"
AT=1795392000
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }

# C0 but newline, DEL, C1, and the format characters that reorder or hide
# text (soft hyphen, Arabic number signs, ALM, Mongolian vowel separator,
# ZWSP..RLM, line and paragraph separators, LRE..RLO, WJ..nominal digit
# shapes, BOM, interlinear annotation, tags), as UTF-8 bytes
UNSAFE='[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f\xad]|\xd8[\x80-\x85\x9c]|\xe1\xa0\x8e|\xe2\x80[\x8b-\x8f\xa8-\xae]|\xe2\x81[\xa0-\xaf]|\xef\xbb\xbf|\xef\xbf[\xb9-\xbb]|\xf3\xa0[\x80\x81]'
clean() { # FILE: no unsafe byte, valid UTF-8
	perl -0777 -ne "exit 1 if /$UNSAFE/" "$1" && iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1
}
# the options of case $1 from args, one per line
opts() { awk -v n="$1" '$1 == n { for (i = 2; i <= NF; i++) print $i }' "$A/args"; }
# reasons of the results in text output: PASS -> ok, FAIL R: -> R
text_reasons() {
	awk 'match($0, /(PASS|FAIL [a-z-]+)/) { r = substr($0, RSTART, RLENGTH);
		print (r == "PASS") ? "ok" : substr(r, 6) }' "$1" | sort | paste -sd, -
}
json_reasons() { sed -n 's/.*"reason":"\([a-z-]*\)".*/\1/p' "$1" | sort | paste -sd, -; }

declare -A seen
check() { # NAME EXIT REASONS DETAIL
	local n=$1 want_rc=$2 want=$3 detail=$4 f kind in=() o=() t rct rcj got gott
	for kind in txt stdin png; do [ -f "$A/cases/$n.$kind" ] && break; done
	f=$A/cases/$n.$kind
	[ -f "$f" ] || { bad "$n" "no case file"; return; }
	mapfile -t o < <(opts "$n")
	case " ${o[*]} " in *" --trust "*) ;; *) o+=(--trust trust) ;; esac
	case " ${o[*]} " in *" --at "*) ;; *) o+=(--at $AT) ;; esac
	case $kind in
	txt) t=$(cat "$f"; printf x); in=(--text "${t%x}") ;;
	stdin) in=(-) ;;
	png) in=("$f") ;;
	esac
	[ "$kind" = stdin ] || f=/dev/null
	"$B/hc-verify" "${o[@]}" "${in[@]}" < "$f" > t.out 2> t.err; rct=$?
	"$B/hc-verify" --json "${o[@]}" "${in[@]}" < "$f" > j.out 2> j.err; rcj=$?
	[ $rct -eq $want_rc ] && [ $rcj -eq $want_rc ] ||
		{ bad "$n" "exit $rct (text), $rcj (json), want $want_rc: $(head -c 300 t.out t.err)"; return; }
	got=$(json_reasons j.out); gott=$(text_reasons t.out)
	[ -n "$got" ] || got=error
	[ -n "$gott" ] || gott=error
	[ "$got" = "$want" ] && [ "$gott" = "$want" ] ||
		{ bad "$n" "reason $got (json), $gott (text), want $want: $(head -c 300 t.out t.err)"; return; }
	cat t.out t.err | grep -qF -- "$detail" ||
		{ bad "$n" "no '$detail' in: $(head -c 300 t.out t.err)"; return; }
	for x in t.out t.err j.out j.err; do
		clean $x || { bad "$n" "raw control, bidi or invalid UTF-8 byte in $x: $(od -c $x | head -5)"; return; }
	done
	while read -r _ text; do
		! grep -qF -- "$text" t.out t.err j.out j.err ||
			{ bad "$n" "shows '$text' of a code not verified: $(head -c 300 t.out j.out)"; return; }
	done < <(awk -v n="$n" '$1 == n' "$A/hidden")
	while read -r _ field value; do
		grep -qF -- "\"$field\":\"$value\"" j.out ||
			{ bad "$n" "json $field is not '$value': $(cat j.out)"; return; }
		grep -qF -- "$value" t.out || { bad "$n" "text shows no '$value': $(cat t.out)"; return; }
	done < <(awk -v n="$n" '$1 == n' "$A/show")
	ok "$n"
}

while read -r n rc reason detail; do
	case "$n" in '' | '#'*) continue ;; esac
	[ -n "${seen[$n]:-}" ] && { bad "$n" "two expect lines"; continue; }
	seen[$n]=$reason
	check "$n" "$rc" "$reason" "$detail"
done < "$A/expect"

# every case file has an expect line, a README line; args and show name cases
for f in "$A"/cases/*; do
	n=$(basename "$f"); n=${n%.*}
	[ -n "${seen[$n]:-}" ] || bad "$n" "case file without an expect line"
	grep -qF -- "\`$n\`" "$A/README.md" || bad "$n" "not described in tests/adversarial/README.md"
done
for n in $(awk '$1 !~ /^#/ { print $1 }' "$A/args" "$A/show" "$A/hidden" | sort -u); do
	[ -n "${seen[$n]:-}" ] || bad "$n" "args or show names a case without an expect line"
done

# hc-verify batch: the same reason for every text case (each given twice,
# so the second comes from the signature cache), per set of options
declare -A groups
for f in "$A"/cases/*.txt; do
	n=$(basename "$f" .txt)
	case "${seen[$n]:-error}" in error) continue ;; esac
	groups["k $(opts "$n" | paste -sd' ' -)"]+="$n "
done
for g in "${!groups[@]}"; do
	read -r -a o <<< "${g#k }"
	case " ${o[*]} " in *" --at "*) ;; *) o+=(--at $AT) ;; esac
	read -r -a names <<< "${groups[$g]}"
	for n in "${names[@]}" "${names[@]}"; do
		perl -0777 -ne 's/(["\\])/\\$1/g; s/([\x00-\x1f])/sprintf("\\u%04x", ord $1)/ge;
			print "{\"code\":\"$_\"}\n"' "$A/cases/$n.txt"
	done > batch.in
	if ! "$B/hc-verify" batch --trust trust "${o[@]}" --in batch.in --out batch.out 2> batch.err; then
		bad "batch ${g#k }" "exit $?: $(head -c 300 batch.err)"
		continue
	fi
	i=0
	for n in "${names[@]}" "${names[@]}"; do
		i=$((i + 1))
		got=$(sed -n "${i}p" batch.out | sed -n 's/.*"reason":"\([a-z-]*\)".*/\1/p')
		t="batch $n"
		[ $i -le ${#names[@]} ] || t="batch $n (again, cached)"
		[ "$got" = "${seen[$n]}" ] || { bad "$t" "reason '$got', want ${seen[$n]}"; continue; }
		while read -r _ text; do
			! sed -n "${i}p" batch.out | grep -qF -- "$text" ||
				{ bad "$t" "shows '$text': $(sed -n "${i}p" batch.out)"; continue 2; }
		done < <(awk -v n="$n" '$1 == n' "$A/hidden")
		[ $i -le ${#names[@]} ] && ok "$t"
	done
done

# hc-verify batch with the issuer keys' tables and blocks (4 threads, the
# cache) gives the very bytes of verifying each signature alone by
# EVP_PKEY_verify (--no-tables, one thread, no cache), on every text and
# stdin case, each twice, per set of options.
for g in "${!groups[@]}"; do
	read -r -a o <<< "${g#k }"
	case " ${o[*]} " in *" --at "*) ;; *) o+=(--at $AT) ;; esac
	for n in ${groups[$g]}; do echo "$n"; done > names
	for f in "$A"/cases/*.stdin; do
		n=$(basename "$f" .stdin)
		[ "k $(opts "$n" | paste -sd' ' -)" = "$g" ] && echo "$n"
	done >> names
	while read -r n; do
		f=$A/cases/$n.txt; [ -f "$f" ] || f=$A/cases/$n.stdin
		perl -0777 -ne 's/(["\\])/\\$1/g; s/([\x00-\x1f])/sprintf("\\u%04x", ord $1)/ge;
			print "{\"code\":\"$_\"}\n"' "$f"
	done < names > same.in
	cat same.in same.in > same2.in
	t="batch tables = one by one (${g#k }, $(wc -l < same2.in) records)"
	if ! "$B/hc-verify" batch --trust trust "${o[@]}" --threads 4 --in same2.in \
		--out tab.out 2> tab.err ||
	   ! "$B/hc-verify" batch --trust trust "${o[@]}" --threads 1 --no-cache --no-tables \
		--in same2.in --out evp.out 2> evp.err; then
		bad "$t" "exit status: $(head -c 300 tab.err evp.err)"
		continue
	fi
	[ "$(wc -l < tab.out)" -eq "$(wc -l < same2.in)" ] && cmp -s tab.out evp.out &&
		ok "$t" || bad "$t" "$(diff tab.out evp.out | head -n 6)"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
