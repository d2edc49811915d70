#!/bin/sh
# Limits that keep the host safe from what a user or a guest names
# (issue 21):
#   1. --mem larger than the host's memory and swap: refused, one line;
#   2. a trace whose "pwrite" records would write more than 4 GiB to the
#      host disk in all: refused at that record, one line, nothing written;
#      a replay in a long pwrite honours SIGINT within seconds;
#   3. sweep --merge --plot with inf and nan in the CSV: the plot is drawn
#      (it hung), the values left out with a one-line note;
#   4. SIGTERM to a sweep reaches its points: none runs on after it exits;
#   5. view --headless: SIGTERM ends it with its GIF finished (status 143);
#      a SIGKILL leaves no truncated PNG or GIF under its final name.
# usage: host_limits.sh MMUSIM GUEST_DIR SOURCE_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$(realpath "$1") GUESTS=$(realpath "$2") SRC=$(realpath "$3")
pids=""
at_exit='for p in $pids; do kill -KILL $p 2>/dev/null; done'
cd "$tmp" || exit 1

# 1. --mem
"$MMUSIM" run --mem 1024T "$GUESTS/x86_64/hello" >out 2>err
status=$?
[ $status -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] && grep -q '^mmusim: --mem 1024T: more than this host.s [0-9]* MiB of memory and swap can back$' err &&
	pass || fail "--mem 1024T: status $status: $(cat err)"
"$MMUSIM" run --mem 64M "$GUESTS/x86_64/hello" >out 2>err && pass || fail "--mem 64M refused: $(cat err)"

# 2. Disk writes a trace asks for.
trace() {   # pwrite length
	echo '{"format":"mmusim-trace","version":1,"arch":"x86-64"}'
	echo '{"op":"file","path":"a.bin","len":"0x1000"}'
	echo '{"op":"exec","stack_top":"0x7ffff0000000"}'
	echo '{"op":"open","path":"a.bin","flags":"rdwr","fd":0}'
	echo "{\"op\":\"pwrite\",\"fd\":0,\"offset\":\"0x0\",\"len\":\"$1\"}"
}
mkdir root1 && trace 0x140000000 >big.jsonl
"$MMUSIM" replay big.jsonl --root root1 >out 2>err
status=$?
[ $status -ne 0 ] && [ "$(wc -l <err)" -eq 1 ] && grep -q 'big.jsonl:5: .*would write more than 4 GiB to disk in all' err &&
	[ "$(stat -c %s root1/a.bin)" -eq 4096 ] && pass || fail "a 5 GiB pwrite: status $status, $(cat err)"
mkdir root2 && trace 0xc0000000 >mid.jsonl
env --default-signal=INT "$MMUSIM" replay mid.jsonl --root root2 --mem 64M >out 2>err &
pid=$! pids="$pids $pid"
# Into the write (64 MiB of it on disk), not after a fixed time: it lasts
# about 2 s on this machine.
n=0
until [ "$(stat -c %s root2/a.bin 2>/dev/null || echo 0)" -ge 67108864 ] || [ $n -ge 400 ]; do
	n=$((n + 1))
	sleep 0.05
done
t0=$(date +%s)
kill -INT $pid
wait $pid
status=$? secs=$(($(date +%s) - t0))
[ $status -eq 130 ] && [ $secs -le 5 ] && pass || fail "SIGINT in a 3 GiB pwrite: status $status after $secs s: $(cat err)"
rm -rf root1 root2

# 3. inf and nan in a sweep's CSV.
"$MMUSIM" sweep --param thp=never,madvise --csv a.csv -- replay "$SRC/traces/examples/tlb-reach.jsonl" 2>err ||
	fail "sweep: $(cat err)"
awk -F, 'BEGIN { OFS = "," } NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i }
	NR == 2 { $col["l1d_miss_rate"] = "inf" } NR == 3 { $col["cycles"] = "nan" } { print }' a.csv >b.csv
timeout 60 "$MMUSIM" sweep --merge --csv m.csv --plot m.png b.csv 2>err
status=$?
[ $status -eq 0 ] && [ -s m.png ] && grep -q '^mmusim: sweep: plot: 1 l1d_miss_rate value not finite or too large, left out$' err &&
	grep -q '^mmusim: sweep: plot: 1 cycles value not finite or too large, left out$' err && pass ||
	fail "sweep --merge --plot with inf and nan: status $status: $(cat err)"

# 4. SIGTERM to a sweep of endless points.
"$MMUSIM" sweep --param thp=never,madvise --jobs 2 --csv s.csv -- run "$GUESTS/x86_64/infinite_loop" >out 2>err &
pid=$! pids="$pids $pid"
n=0
until [ "$(pgrep -P $pid | wc -l)" -eq 2 ] || [ $n -ge 100 ]; do n=$((n + 1)); sleep 0.1; done
sleep 1
points=$(pgrep -P $pid)
pids="$pids $points"
kill -TERM $pid
wait $pid
status=$?
sleep 0.5
left=""
for p in $points; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
[ $status -eq 143 ] && [ -z "$left" ] && grep -q '^mmusim: sweep: SIGTERM: the points running were stopped$' err && pass ||
	fail "SIGTERM to a sweep: status $status, points still running:$left; $(cat err)"

# 5. A headless view stopped.
"$MMUSIM" run --events ev.jsonl "$GUESTS/x86_64/fork_loop" >/dev/null 2>&1 || fail "fork_loop for the view"
for sig in TERM KILL; do
	rm -rf fr ./*.gif*
	"$MMUSIM" view ev.jsonl --headless --frames fr --gif a.gif >out 2>err &
	pid=$! pids="$pids $pid"
	n=0
	until [ "$(ls fr 2>/dev/null | grep -c '\.png$')" -ge 2 ] || [ $n -ge 300 ]; do n=$((n + 1)); sleep 0.1; done
	kill -$sig $pid
	wait $pid
	status=$?
	for f in fr/*.png; do
		tail -c 8 "$f" | grep -q IEND || fail "view SIG$sig: $f is truncated"
	done
	if [ $sig = TERM ]; then
		[ $status -eq 143 ] && [ "$(tail -c 1 a.gif | od -A n -t x1 | tr -d ' ')" = 3b ] &&
			grep -q '^mmusim: SIGTERM: view stopped after [0-9]* frames$' err && pass ||
			fail "view SIGTERM: status $status, $(ls ./*.gif*), $(cat err)"
	else
		[ ! -e a.gif ] && pass || fail "view SIGKILL: a truncated a.gif under its name"
	fi
done
finish host_limits
