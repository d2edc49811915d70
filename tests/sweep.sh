#!/bin/sh
# mmusim sweep over a trace of traces/examples: a CSV row per point of the
# grid whose numbers are those of `mmusim replay --stats` at that point; a
# PNG plot; the same table from --point runs merged; one-line errors.
# usage: sweep.sh MMUSIM PNG_CHECK SOURCE_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 PNG_CHECK=$2 SRC=$3
TRACE=$SRC/traces/examples/tlb-reach.jsonl
cd "$tmp" || exit 1

grid="--param thp=never,madvise --param tlb.l1d.arrays[0].entries=64,512 --param walk_cache.PD.entries=4,32"
# shellcheck disable=SC2086
"$MMUSIM" sweep $grid --jobs 2 --csv all.csv --plot all.png -- replay "$TRACE" 2>err ||
	fail "sweep exit $?: $(cat err)"
[ "$(wc -l <all.csv)" = 9 ] && pass || fail "8 points and a header expected: $(cat all.csv)"
head -1 all.csv | grep -q '^point,thp,tlb.l1d.arrays\[0\].entries,walk_cache.PD.entries,status,accesses,' && pass ||
	fail "header: $(head -1 all.csv)"

# Every row against a direct replay at its point: faults, L1 dTLB hits and
# misses, walks, cycles.
col() { head -1 all.csv | tr , '\n' | grep -nx "$1" | cut -d: -f1; }
c_faults=$(col faults) c_hits=$(col l1d_hits) c_miss=$(col l1d_misses) c_walks=$(col walks) c_cycles=$(col cycles)
tail -n +2 all.csv | while IFS=, read -r point thp entries pd rest; do
	row=$(grep "^$point," all.csv)
	"$MMUSIM" replay "$TRACE" --set thp="$thp" --set "tlb.l1d.arrays[0].entries=$entries" --set "walk_cache.PD.entries=$pd" \
		--stats >stats || { echo "FAIL: point $point replay"; continue; }
	want=$(awk '/^faults/ { f = $2 } /^TLB/ { for (i = 1; i <= NF; i++) if ($i == "L1d") { h = $(i+1); m = $(i+4) } }
		    /^walks/ { w = $2 } /^cycles/ { c = $2 } END { print f, h, m, w, c }' stats)
	got=$(echo "$row" | cut -d, -f"$c_faults,$c_hits,$c_miss,$c_walks,$c_cycles" | tr , ' ')
	[ "$want" = "$got" ] || echo "FAIL: point $point ($thp $entries $pd): sweep $got, replay $want"
done >rows
[ -s rows ] && { cat rows; fail "rows differ from replay"; } || pass
# The grid is not one run eight times: with 4 KiB pages a 64-entry L1
# dTLB misses every time, a 512-entry one only on the first pass (the
# fault and its retry: 1024 of 2560 lookups); one huge
# page needs one entry.
miss() { grep "^$1," all.csv | cut -d, -f"$(col l1d_miss_rate)"; }
[ "$(miss 1)" = 1.000000 ] && [ "$(miss 3)" = 0.400000 ] && [ "$(miss 5)" = 0.000976 ] && pass ||
	fail "miss rates $(miss 1) $(miss 3) $(miss 5)"

"$PNG_CHECK" all.png 960 720 && pass || fail "plot"

# Split over machines: --list, --point K each on its own, --merge.
# shellcheck disable=SC2086
"$MMUSIM" sweep $grid --list >points
[ "$(wc -l <points)" = 8 ] && head -1 points | grep -q "^1	thp=never tlb.l1d.arrays\[0\].entries=64 walk_cache.PD.entries=4$" &&
	pass || fail "--list: $(cat points)"
for k in $(cut -f1 points); do
	# shellcheck disable=SC2086
	"$MMUSIM" sweep $grid --point "$k" --csv "part-$k.csv" -- replay "$TRACE" || fail "--point $k exit $?"
done
[ "$(wc -l <part-3.csv)" = 2 ] && pass || fail "a point's table: $(cat part-3.csv)"
"$MMUSIM" sweep --merge --csv merged.csv --plot merged.png part-*.csv || fail "--merge exit $?"
cmp -s all.csv merged.csv && pass || fail "merged table differs from the whole sweep"
cmp -s all.png merged.png && pass || fail "merged plot differs from the whole sweep's"
# The README's GNU parallel recipe, as written there (mmusim on PATH).
mkdir par
# shellcheck disable=SC2086
"$MMUSIM" sweep $grid --list | cut -f1 |
	(cd par && PATH=$(dirname "$MMUSIM"):$PATH parallel --will-cite mmusim sweep $grid --point {} --csv part-{}.csv \
		-- replay "$TRACE") || fail "GNU parallel exit $?"
"$MMUSIM" sweep --merge --csv par.csv par/part-*.csv && cmp -s all.csv par.csv && pass ||
	fail "the table from GNU parallel differs from the whole sweep"
"$MMUSIM" sweep --merge part-1.csv part-1.csv >/dev/null 2>err
[ $? = 1 ] && grep -q "point 1 is in the tables twice" err && pass || fail "merge of a duplicate: $(cat err)"

# Errors: usage (2, one line) before anything runs; a point that cannot run
# fails the sweep (1) with a line naming it, and its row has no results.
usage() {
	"$MMUSIM" sweep "$@" >/dev/null 2>err
	rc=$?
	[ $rc = 2 ] && [ "$(wc -l <err)" = 1 ] && pass || fail "sweep $* exit $rc: $(cat err)"
}
usage --param thp -- replay "$TRACE"
usage --param thp= -- replay "$TRACE"
usage --param thp=never,,always -- replay "$TRACE"
usage --param thp=never -- frobnicate "$TRACE"
usage -- replay "$TRACE"
usage --param thp=never --jobs 0 -- replay "$TRACE"
usage --param thp=never --point 2 -- replay "$TRACE"
usage --param thp=never -- replay "$TRACE" --events e.jsonl
usage --param thp=never --frob -- replay "$TRACE"
"$MMUSIM" sweep --param 'tlb.l1d.arrays[0].entries=32,33' -- replay "$TRACE" >bad.csv 2>err
[ $? = 1 ] && grep -q "^mmusim: sweep point 2 (tlb.l1d.arrays\[0\].entries=33) failed with status 2: .*power of two" err &&
	grep -q '^2,33,2,,' bad.csv && grep -q '^1,32,0,[0-9]' bad.csv && pass || fail "a bad point: $(cat err bad.csv)"

# Progress bars: on a terminal (script(1) gives one), not into a file, not
# with --no-progress. A replay reports every 65,536 records: a long trace.
if command -v script >/dev/null; then
	awk 'BEGIN { print "{\"format\":\"mmusim-trace\",\"version\":1,\"arch\":\"x86-64\"}";
		     print "{\"op\":\"exec\"}";
		     print "{\"op\":\"mmap\",\"addr\":\"0x40000000\",\"len\":\"0x100000\",\"prot\":\"rw\",\"flags\":\"private,anonymous,fixed\"}";
		     for (i = 0; i < 200000; i++) printf "{\"op\":\"r\",\"va\":\"0x%x\"}\n", 1073741824 + (i % 256) * 4096 }' >long.jsonl
	script -qec "$MMUSIM replay long.jsonl" /dev/null >tty.out
	grep -q "replay \[#*\.*\] *[0-9]*%  *[0-9]* records" tty.out && pass || fail "no progress bar on a terminal: $(cat tty.out)"
	script -qec "$MMUSIM replay long.jsonl --no-progress" /dev/null >tty.out
	grep -q "records" tty.out && fail "--no-progress shows a bar" || pass
	"$MMUSIM" replay long.jsonl 2>err >/dev/null
	[ ! -s err ] && pass || fail "a progress bar into a file: $(cat err)"
	script -qec "$MMUSIM sweep --param thp=never,madvise -- replay $TRACE" /dev/null >tty.out
	grep -q "sweep \[#*\.*\] *[0-9]*%  *[0-9]* points" tty.out && pass || fail "no sweep progress bar: $(cat tty.out)"
fi

finish sweep
