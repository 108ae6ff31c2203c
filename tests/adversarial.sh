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
ok() { pass=$((pass + 1)); echo "ok $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }

# C0 but newline, DEL, C1, and the format characters that reorder or hide
# text (soft hyphen, Arabic number signs, ALM, Mongolian vowel separator,
# ZWSP..RLM, line and paragraph separators, LRE..RLO, WJ..nominal digit
# shapes, BOM, interlinear annotation, tags), as UTF-8 bytes
UNSAFE='[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f\xad]|\xd8[\x80-\x85\x9c]|\xe1\xa0\x8e|\xe2\x80[\x8b-\x8f\xa8-\xae]|\xe2\x81[\xa0-\xaf]|\xef\xbb\xbf|\xef\xbf[\xb9-\xbb]|\xf3\xa0[\x80\x81]'
# The first of FILE... that has an unsafe byte or is not valid UTF-8, in
# one process for all of them (exit 1), or nothing.
unclean() {
	perl -MEncode -0777 -e 'for my $f (@ARGV) { open(my $h, "<", $f) or die "$f\n";
		my $s = <$h> // ""; my $t = $s;
		if ($s =~ /'"$UNSAFE"'/ || !eval { Encode::decode("UTF-8", $t, Encode::FB_CROAK); 1 }) {
			print $f; exit 1 } }' "$@"
}
# The args, show and hidden files, read once: OPTS[NAME] the options of a
# case, SHOW[NAME] its "FIELD VALUE" lines, HIDDEN[NAME] its texts.
declare -A OPTS SHOW HIDDEN
while read -r n rest; do
	case "$n" in '' | '#'*) continue ;; esac
	OPTS[$n]="${OPTS[$n]:+${OPTS[$n]} }$rest"
done < "$A/args"
while read -r n rest; do
	case "$n" in '' | '#'*) continue ;; esac
	SHOW[$n]="${SHOW[$n]:+${SHOW[$n]}
}$rest"
done < "$A/show"
while read -r n rest; do
	case "$n" in '' | '#'*) continue ;; esac
	HIDDEN[$n]="${HIDDEN[$n]:+${HIDDEN[$n]}
}$rest"
done < "$A/hidden"
# the options of case $1, one per line
opts() { [ -n "${OPTS[$1]:-}" ] && printf '%s\n' ${OPTS[$1]}; }
# reasons of the results in text output: PASS -> ok, FAIL R: -> R
text_reasons() {
	awk 'match($0, /(PASS|FAIL [a-z-]+)/) { r = substr($0, RSTART, RLENGTH);
		print (r == "PASS") ? "ok" : substr(r, 6) }' "$1" | sort | paste -sd, -
}
json_reasons() { sed -n 's/.*"reason":"\([a-z-]*\)".*/\1/p' "$1" | sort | paste -sd, -; }

declare -A seen
# Each case costs its two hc-verify runs and few other processes: the
# outputs are read into variables and matched by the shell.
check() { # NAME EXIT REASONS DETAIL
	local n=$1 want_rc=$2 want=$3 detail=$4 f kind in=() o=() t rct rcj got gott x text field value
	local tout terr jout jerr
	for kind in txt stdin png; do [ -f "$A/cases/$n.$kind" ] && break; done
	f=$A/cases/$n.$kind
	[ -f "$f" ] || { bad "$n" "no case file"; return; }
	read -r -a o <<< "${OPTS[$n]:-}"
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
	IFS= read -r -d '' tout < t.out; IFS= read -r -d '' terr < t.err
	IFS= read -r -d '' jout < j.out; IFS= read -r -d '' jerr < j.err
	[ $rct -eq $want_rc ] && [ $rcj -eq $want_rc ] ||
		{ bad "$n" "exit $rct (text), $rcj (json), want $want_rc: ${tout:0:300}${terr:0:300}"; return; }
	got=$(json_reasons j.out); gott=$(text_reasons t.out)
	[ -n "$got" ] || got=error
	[ -n "$gott" ] || gott=error
	[ "$got" = "$want" ] && [ "$gott" = "$want" ] ||
		{ bad "$n" "reason $got (json), $gott (text), want $want: ${tout:0:300}${terr:0:300}"; return; }
	[[ "$tout
$terr" == *"$detail"* ]] || { bad "$n" "no '$detail' in: ${tout:0:300}${terr:0:300}"; return; }
	if x=$(unclean t.out t.err j.out j.err); [ -n "$x" ]; then
		bad "$n" "raw control, bidi or invalid UTF-8 byte in $x: $(od -c "$x" | head -5)"
		return
	fi
	while IFS= read -r text; do
		[ -n "$text" ] || continue
		[[ "$tout
$terr
$jout
$jerr" != *"$text"* ]] || { bad "$n" "shows '$text' of a code not verified: ${tout:0:300}${jout:0:300}"; return; }
	done <<< "${HIDDEN[$n]:-}"
	while read -r field value; do
		[ -n "$field" ] || continue
		[[ "$jout" == *"\"$field\":\"$value\""* ]] ||
			{ bad "$n" "json $field is not '$value': $jout"; return; }
		[[ "$tout" == *"$value"* ]] || { bad "$n" "text shows no '$value': $tout"; return; }
	done <<< "${SHOW[$n]:-}"
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
