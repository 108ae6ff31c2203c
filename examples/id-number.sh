#!/bin/sh
# id-number.sh REGION BIRTHDATE SEQ: prints a test citizen identity number
# (GB 11643) that hc-issue accepts: the six-digit REGION code, the birth
# date YYYYMMDD, a three-digit sequence number (odd for men, even for
# women) and the ISO 7064 MOD 11-2 check character, computed here.
#   examples/id-number.sh 330106 19900101 123   ->  33010619900101123X
set -eu
[ $# -eq 3 ] && [ ${#1} -eq 6 ] && [ ${#2} -eq 8 ] && [ ${#3} -eq 3 ] &&
	case "$1$2$3" in *[!0-9]*) false ;; esac || {
	echo "usage: id-number.sh REGION(6 digits) YYYYMMDD SEQ(3 digits)" >&2
	exit 2
}
echo "$1$2$3" | awk '{
	split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
	s = 0
	for (i = 1; i <= 17; i++) s += substr($0, i, 1) * w[i]
	c = (12 - s % 11) % 11
	print $0 (c == 10 ? "X" : c)
}'
