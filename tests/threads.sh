#!/bin/sh
# Threads are scheduled deterministically (a quantum in guest instructions,
# round robin over the threads in creation order): a threaded guest run
# twice gives the same output and the same event log byte for byte, in
# both modes and on both architectures. And a program whose threads all
# wait with nothing to wake them is reported as a deadlock and ended, not
# left to hang.
# usage: threads.sh MMUSIM GUEST_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 GUESTS=$2
run() {   # arch mode tag guest
	rm -rf "$tmp/root" && mkdir "$tmp/root"
	(cd "$tmp/root" && timeout 120 "$MMUSIM" run --mode "$2" --events "$tmp/$3.jsonl" --stats \
		"$GUESTS/$1/$4" >"$tmp/$3.out" 2>&1 </dev/null)
	echo "status $?" >>"$tmp/$3.out"
}
# futex_ops: requeues, WAKE_OP, a condvar broadcast, a barrier and shared
# futexes between two processes. gothreads: Go's runtime, which reads the
# time-stamp counter (RDTSC: the simulated clock) to schedule and hash.
for guest in worker_pool futex_ops gothreads; do
for arch in x86_64 aarch64; do
	for mode in timing functional; do
		run $arch $mode a $guest
		run $arch $mode b $guest
		if grep -q '^status 0$' "$tmp/a.out" && cmp -s "$tmp/a.out" "$tmp/b.out" &&
			cmp -s "$tmp/a.jsonl" "$tmp/b.jsonl" && [ "$(grep -c '"ev":"switch"' "$tmp/a.jsonl")" -gt 4 ]; then
			pass
		else
			fail "$arch/$mode: two runs of $guest differ (or it failed):"
			diff "$tmp/a.out" "$tmp/b.out" | head -4
			cmp "$tmp/a.jsonl" "$tmp/b.jsonl"
		fi
	done
done
done
rm -rf "$tmp/root" && mkdir "$tmp/root"
(cd "$tmp/root" && timeout 60 "$MMUSIM" run "$GUESTS/x86_64/worker_pool" deadlock >"$tmp/d.out" 2>"$tmp/d.err" </dev/null)
status=$?
if [ $status -eq 137 ] && grep -q 'deadlock' "$tmp/d.err" && grep -q 'waits forever' "$tmp/d.out"; then
	pass
else
	fail "deadlock: status $status, not reported:"
	cat "$tmp/d.err"
fi
finish threads
