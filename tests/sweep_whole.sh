#!/bin/sh
# A sweep's outputs appear whole or not at all (issue 21), as every output
# of mmusim does (traces/outfile.h): `sweep --merge` of a 200,000-row table
# is killed with SIGKILL while its CSV, then its plot, is being written
# (seen as the nameless O_TMPFILE it has open): no file is left under the
# final name, and nothing else is left in the directory; an uninterrupted
# merge writes both whole.
# usage: sweep_whole.sh MMUSIM SOURCE_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 SRC=$2
cd "$tmp" || exit 1
"$MMUSIM" sweep --param thp=never,madvise --csv a.csv -- replay "$SRC/traces/examples/tlb-reach.jsonl" 2>err ||
	fail "sweep: $(cat err)"
awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } NR == 2 { for (i = 1; i <= 200000; i++) { $1 = i; print } }' \
	a.csv >big.csv
mkdir out
# $1: the output the kill aims at (csv, png): the merge is killed the
# moment it has an unnamed output file open, $2 tries at most.
kill_mid_write() {
	tries=0 caught=0
	while [ $tries -lt "$2" ] && [ $caught -lt 1 ]; do
		tries=$((tries + 1))
		rm -rf out && mkdir out
		if [ "$1" = csv ]; then
			"$MMUSIM" sweep --merge --csv out/m.csv big.csv 2>/dev/null &
		else
			"$MMUSIM" sweep --merge --csv out/m.csv --plot out/m.png big.csv 2>/dev/null &
		fi
		pid=$!
		while kill -0 $pid 2>/dev/null; do
			if ls -l /proc/$pid/fd 2>/dev/null | grep -q "$tmp/out/.*(deleted)"; then
				# The CSV is whole by the time the plot is written.
				if [ "$1" = csv ] || [ -e out/m.csv ]; then
					kill -KILL $pid 2>/dev/null && caught=$((caught + 1))
					break
				fi
			fi
		done
		wait $pid 2>/dev/null
		left=$(ls out)
		if [ "$1" = csv ] && [ -n "$left" ]; then
			fail "csv: killed while writing: $left left in the directory"
		elif [ "$1" = png ] && [ -n "$left" ] && [ "$left" != m.csv ]; then
			fail "png: killed while writing: $left left in the directory"
		fi
	done
	[ $caught -ge 1 ] && pass || fail "$1: never killed while writing in $tries tries"
	echo "$1: killed mid-write after $tries tries: nothing under the final name"
}
kill_mid_write csv 30
kill_mid_write png 30
rm -rf out && mkdir out
"$MMUSIM" sweep --merge --csv out/m.csv --plot out/m.png big.csv 2>err && cmp -s big.csv out/m.csv && [ -s out/m.png ] &&
	[ "$(ls out | tr '\n' ' ')" = "m.csv m.png " ] && pass || fail "an uninterrupted merge: $(cat err; ls out)"
finish sweep_whole
