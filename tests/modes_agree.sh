#!/bin/sh
# `mmusim run --mode timing` and `--mode functional` must find the same
# faults: every fault event of a guest's event log is compared whole —
# address, access, syndrome, VMA, path, call chain, PTEs written, cycles,
# outcome — but for the faulting instruction, which functional mode knows
# only to its translated block for data accesses (no memory hooks), and the
# event's sequence number (timing mode has TLB events between faults).
# Then code_read's two first touches of a code page: a load is a read fault
# (not a fetch, though the page is executable), a call a fetch fault.
# usage: modes_agree.sh MMUSIM GUEST_DIR NAME...
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 GUESTS=$2
shift 2
faults() {
	grep '"ev":"fault"' "$1" | sed -E 's/^\{"seq":[0-9]+,//; s/,"pc":"0x[0-9a-f]+","insn":"([^"\\]|\\.)*"(,"pc_block":true)?//'
}
for arch in x86_64 aarch64; do
	for name in "$@"; do
		for mode in timing functional; do
			rm -rf "$tmp/root" && mkdir "$tmp/root"
			(cd "$tmp/root" && timeout 120 "$MMUSIM" run --mode $mode --events "$tmp/$mode.jsonl" \
				"$GUESTS/$arch/$name" >/dev/null 2>&1 </dev/null)
			faults "$tmp/$mode.jsonl" >"$tmp/$mode.faults"
		done
		n=$(wc -l <"$tmp/timing.faults")
		if [ "$n" -gt 0 ] && cmp -s "$tmp/timing.faults" "$tmp/functional.faults"; then
			pass
		else
			fail "$arch/$name: the modes' faults differ ($n in timing mode):"
			diff "$tmp/timing.faults" "$tmp/functional.faults" | head -4 | cut -c1-400
		fi
		[ "$name" = code_read ] || continue
		# The mappings of the program's own code page that code_read makes
		# (r-x VMAs in the mmap area, at the top of the user half).
		mapped='"vma":\{"start":"0x(7f|ff)[0-9a-f]+","end":"0x[0-9a-f]+","prot":"r-x"'
		got=$(grep -E "$mapped" "$tmp/functional.faults" | tail -2 | sed -E 's/.*"access":"([a-z]+)".*/\1/' | tr '\n' ' ')
		if [ "$got" = "read fetch " ]; then
			pass
		else
			fail "$arch/code_read: the code page's first touches were '$got', expected 'read fetch '"
		fi
	done
done
finish modes_agree
