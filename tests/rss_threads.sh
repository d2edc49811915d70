#!/bin/sh
# A program that creates and joins thread after thread must run in memory
# that does not grow with the threads it ever made (issue 18), and reuse
# the tids of threads that ended as Linux reuses pids (round at pid_max,
# 32768, from 300). guests/thread_churn runs N and then M > 32768 rounds;
# mmusim's peak resident set (GNU time's %M) may grow by at most LIMIT KiB
# between the two. Before the fix every ended thread stayed in the
# kernel's table (~4.4 KiB each with its cost in Unicorn's buffers), so
# 1,000 to 20,000 rounds grew it by ~82 MiB; now by under 1 MiB.
# usage: rss_threads.sh MMUSIM GUEST_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$(realpath "$1") GUESTS=$(realpath "$2")
cd "$tmp" || exit 1
N=1000 M=40000 LIMIT=4096
peak() {   # arch rounds: mmusim's peak RSS in KiB
	/usr/bin/time -f %M -o rss "$MMUSIM" run "$GUESTS/$1/thread_churn" "$2" wrap >out 2>err ||
		{ fail "$1: thread_churn $2: $(head -2 err)"; echo 0; return; }
	grep -v '^tids went round' out | grep -q ': no$' &&
		fail "$1: thread_churn $2: $(grep -v '^tids went round' out | grep ': no$' | tr '\n' ' ')"
	cat rss
}
for arch in x86_64 aarch64; do
	a=$(peak $arch $N) b=$(peak $arch $M)
	[ "$a" -gt 0 ] && [ "$b" -gt 0 ] || continue
	if grep -q '^tids went round, from 300 up: yes$' out; then
		pass
	else
		fail "$arch: tids of joined threads were not reused after $M rounds"
	fi
	growth=$((b - a))
	echo "$arch: peak RSS $a KiB after $N threads, $b KiB after $M: +$growth KiB"
	if [ $growth -gt $LIMIT ]; then
		fail "$arch: mmusim grew by $growth KiB over $((M - N)) joined threads (limit $LIMIT)"
	else
		pass
	fi
done
finish rss_threads
