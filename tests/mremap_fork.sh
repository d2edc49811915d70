#!/bin/sh
# mremap of anonymous pages shared copy-on-write since fork (the
# mremap_fork guest, on both architectures), read from its event log:
# each move is made (no ENOMEM), the moved pages are read at their new
# place with no fault (their entries moved: nothing copied, nothing
# faulted in again), and a write there COW-breaks as usual (a wp_copy
# fault and a cow_copy event, never a fresh or zero page). Then in a
# memory small enough to swap: reclaim finds the moved pages through the
# reverse map in both processes, and the output is still Linux's.
# usage: mremap_fork.sh MMUSIM GUEST_DIR EXPECTED_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 GUESTS=$2 EXPECTED=$3
for arch in x86_64 aarch64; do
	rm -rf "$tmp/root" && mkdir "$tmp/root"
	(cd "$tmp/root" && timeout 120 "$MMUSIM" run --events "$tmp/ev.jsonl" "$GUESTS/$arch/mremap_fork" \
		>"$tmp/out" 2>"$tmp/err" </dev/null)
	status=$?
	[ $status -eq 0 ] || { fail "$arch: mremap_fork exited $status"; head -5 "$tmp/err"; continue; }
	# One line per finding: "move", "cow", or "bad: why".
	awk '
	function hex(s,   v, i, c) {
		v = 0
		s = tolower(substr(s, 3))
		for (i = 1; i <= length(s); i++) {
			c = index("0123456789abcdef", substr(s, i, 1)) - 1
			v = v * 16 + c
		}
		return v
	}
	function field(name,   m) {
		if (!match($0, "\"" name "\":(\"[^\"]*\"|-?[0-9]+)"))
			return ""
		m = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
		gsub(/"/, "", m)
		return m
	}
	# The events of a move come before its mremap event: entries moved,
	# tables made, the TLB flushed; never a frame or a copy.
	/"ev":"frame_alloc"/ && /"use":"anon"/ { copied = $0 }
	/"ev":"cow_copy"/ { copied = $0 }
	/"ev":"(fault|mmap|munmap|mprotect|brk|switch|proc_create|proc_exit|exec)"/ { copied = "" }
	/"ev":"mremap"/ {
		pid = field("pid")
		res = field("result")
		if (res !~ /^0x/) { print "bad: mremap failed: " $0; next }
		if (copied != "") print "bad: a frame or copy made by the move: " copied
		if (res == field("addr")) next
		print "move"
		lo[pid] = hex(res); hi[pid] = lo[pid] + hex(field("len"))
		next
	}
	/"ev":"fault"/ {
		pid = field("pid")
		if (!(pid in lo)) next
		va = hex(field("va"))
		if (va < lo[pid] || va >= hi[pid]) next
		if (field("access") != "write") print "bad: a read fault on a moved page: " $0
		else if (/"wp_copy"/) print "cow"
		else if (/"anon_page"|"zero_page"/) print "bad: a moved page faulted in afresh: " $0
	}
	/"ev":"proc_exit"/ { delete lo[field("pid")] }
	' "$tmp/ev.jsonl" >"$tmp/found"
	if grep '^bad' "$tmp/found" | cut -c1-300 | head -5 | grep .; then
		fail "$arch: the moves copied or faulted"
	else
		pass
	fi
	moves=$(grep -c '^move$' "$tmp/found") cows=$(grep -c '^cow$' "$tmp/found")
	if [ "$moves" -ge 3 ] && [ "$cows" -ge 1 ]; then
		pass
	else
		fail "$arch: $moves moves (3 expected) and $cows COW breaks in moved ranges (some expected)"
	fi
	echo "$arch: $moves moves, $cows COW breaks at the new places"
	rm -rf "$tmp/root" && mkdir "$tmp/root"
	(cd "$tmp/root" && timeout 120 "$MMUSIM" run --mem 400K --swap 4M --stats "$GUESTS/$arch/mremap_fork" \
		>"$tmp/out" 2>"$tmp/err" </dev/null)
	status=$?
	swapped=$(sed -n 's/.*swapped out \([0-9]*\).*/\1/p' "$tmp/err")
	if [ $status -eq 0 ] && cmp -s "$tmp/out" "$EXPECTED/mremap_fork.out" && [ "${swapped:-0}" -gt 0 ]; then
		pass
	else
		fail "$arch: under --mem 400K: status $status, ${swapped:-no} pages swapped out, output:"
		diff "$EXPECTED/mremap_fork.out" "$tmp/out" | head -5
	fi
done
finish mremap_fork
