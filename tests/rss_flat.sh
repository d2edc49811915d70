#!/bin/sh
# A long-running script forks and reaps process after process: mmusim's own
# memory must not grow with them (issue 21). guests/fork_loop runs N and
# then 4N fork/COW/exit/wait rounds; mmusim's peak resident set (GNU time's
# %M) may grow by at most LIMIT KiB between the two. Before the fix every
# round left ~42 KiB (x86-64) / ~47 KiB (AArch64): ~30 KiB of Unicorn's
# code buffer (translated anew at each switch between processes, its space
# never reused) and ~8 KiB of struct proc (kept after wait4), so 3N rounds
# grew it by over 25 MiB; now ~5 MiB: the peak holds up to one engine's
# dead code (cpu/ renews it every 256 switches between processes).
# usage: rss_flat.sh MMUSIM GUEST_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$(realpath "$1") GUESTS=$(realpath "$2")
cd "$tmp" || exit 1
N=200 LIMIT=8192
peak() {   # arch rounds: mmusim's peak RSS in KiB
	/usr/bin/time -f %M -o rss "$MMUSIM" run "$GUESTS/$1/fork_loop" "$2" >out 2>err ||
		{ fail "$1: fork_loop $2: $(head -2 err)"; echo 0; return; }
	cat rss
}
for arch in x86_64 aarch64; do
	a=$(peak $arch $N) b=$(peak $arch $((4 * N)))
	[ "$a" -gt 0 ] && [ "$b" -gt 0 ] || continue
	growth=$((b - a))
	echo "$arch: peak RSS $a KiB after $N rounds, $b KiB after $((4 * N)): +$growth KiB"
	if [ $growth -gt $LIMIT ]; then
		fail "$arch: mmusim grew by $growth KiB over $((3 * N)) reaped processes (limit $LIMIT)"
	else
		pass
	fi
done
finish rss_flat
