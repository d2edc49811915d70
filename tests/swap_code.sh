#!/bin/sh
# Timing mode while a program's pages, its code among them, go to swap and
# come back: reclaim runs inside Unicorn's memory hooks and must not crash
# mmusim (it did: removing a swapped-out code page's translated blocks from
# inside a hook refilled the TLB entry Unicorn's store helper was using, and
# the guest's store went to another region's host address), nor change what
# the program computes. The mlock guest crashed at these sizes on both
# architectures; its output must be Linux's. malloc_touch's sum checks that
# no instruction is skipped or run twice around the deferred removals.
#   tests/swap_code.sh MMUSIM GUESTS_DIR EXPECTED_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 GUESTS=$2 EXPECTED=$3
mkdir "$tmp/root" && cd "$tmp/root" || exit 1
for arch in x86_64 aarch64; do
	for mem in 8M 16M; do
		"$MMUSIM" run --mode timing --mem $mem --swap 64M --stats "$GUESTS/$arch/mlock" >"$tmp/out" 2>"$tmp/err"
		status=$?
		[ "$status" -eq 0 ] && pass || fail "$arch --mem $mem: exit status $status"
		cmp -s "$tmp/out" "$EXPECTED/mlock.out" && pass || fail "$arch --mem $mem: the output differs from Linux's"
		# Code pages left memory: file pages (the program's text) evicted.
		evicted=$(sed -n 's/.*evicted \([0-9]*\),.*/\1/p' "$tmp/err")
		[ "${evicted:-0}" -gt 0 ] && pass || fail "$arch --mem $mem: no code page left memory"
	done
	"$MMUSIM" run --mode timing --mem 2M --swap 16M "$GUESTS/$arch/malloc_touch" >"$tmp/out" 2>"$tmp/err"
	[ $? -eq 0 ] && pass || fail "$arch: malloc_touch under pressure failed"
	grep -qx 'touched 1024 pages of 4 MiB, sum 130560' "$tmp/out" && pass ||
		fail "$arch: malloc_touch under pressure computed $(cat "$tmp/out")"
done
finish swap_code
