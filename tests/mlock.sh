#!/bin/sh
# Locked memory under memory pressure: the mlock guest with little physical
# memory and a swap area. Its unlocked 24 MiB must go to swap and come
# back (--stats shows swap-outs), while its locked 1 MiB stays resident
# throughout: the guest prints what mincore says of it, and its output
# must still be what Linux gave (guests/expected/mlock.out), where nothing
# was short of memory. Were locking ignored, the locked pages, the coldest
# of all, would be the first to go and "locked 256 of 256" would come out
# short. Then the event log: the pages mlock faults in are ordinary faults
# of the process.
#   tests/mlock.sh MMUSIM GUESTS_DIR EXPECTED_DIR
# Functional mode (timing mode under pressure: tests/swap_code.sh).
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 GUESTS=$2 EXPECTED=$3
mkdir "$tmp/root" && cd "$tmp/root" || exit 1
for arch in x86_64 aarch64; do
	"$MMUSIM" run --mode functional --mem 8M --swap 64M --stats "$GUESTS/$arch/mlock" >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ "$status" -eq 0 ] && pass || fail "$arch: exit status $status under pressure"
	if cmp -s "$tmp/out" "$EXPECTED/mlock.out"; then
		pass
	else
		fail "$arch: under pressure the output differs from Linux's:"
		diff "$EXPECTED/mlock.out" "$tmp/out" | head -10
	fi
	swapped=$(sed -n 's/.*swapped out \([0-9]*\),.*/\1/p' "$tmp/err")
	[ "${swapped:-0}" -gt 1000 ] && pass || fail "$arch: no real pressure (swapped out ${swapped:-nothing})"
done
# mlock faults its pages in, as ordinary faults: with no pressure, the
# event log shows faults in locked VMAs, at least the 64 pages the first
# mlock populates plus the 64 of MAP_LOCKED and the 64 of MCL_FUTURE.
"$MMUSIM" run --events "$tmp/ev.jsonl" "$GUESTS/x86_64/mlock" >/dev/null 2>&1 || fail "x86_64: the events run failed"
locked=$(grep '"ev":"fault"' "$tmp/ev.jsonl" | grep -c '"flags":"private,locked"')
[ "$locked" -ge 192 ] && pass || fail "x86_64: only $locked faults in locked VMAs in the event log"
finish mlock
