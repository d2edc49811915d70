#!/bin/sh
# Stop requests end a run at any point, with every output finished
# (issue 21), on both architectures:
#   1. SIGHUP (a closed terminal) stops a run as SIGINT and SIGTERM do:
#      status 129, the notice, the shared file written back, the event log
#      whole — not mmusim killed with its .tmp outputs left;
#   2. SIGTERM while the guest is blocked writing to a full pipe (a reader
#      that never reads), and SIGINT while it is blocked reading a pipe
#      that never delivers: status 143 / 130 within a few seconds, the
#      event log whole;
#   3. --max-seconds 1 ends a busy loop and a blocked read after about a
#      second of host time: status 152 (as --max-insns), the event log whole;
#   4. `mmusim run PROG | head -1`: the guest dies of SIGPIPE as Linux's
#      writer would (status 141), mmusim itself does not, and the event
#      log and the shared file are still written;
#   5. SIGTERM inside one long system call: a 64 GiB MAP_POPULATE (16 M
#      pages faulted in, a minute of host time): status 143 within a few
#      seconds (the kernel's populate gives up on the stop request).
# Prints how long each stop took (the kill to mmusim's exit).
# usage: stop_signals.sh MMUSIM GUEST_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$(realpath "$1") GUESTS=$(realpath "$2")
pids=""
at_exit='for p in $pids; do kill -KILL $p 2>/dev/null; done'

event_log_whole() {
	[ -s "$1" ] || { fail "$2: no event log"; return; }
	awk '!/^\{.*\}$/ { bad = NR } END { exit bad ? 1 : 0 }' "$1" || fail "$2: a line of the event log is not a whole record"
	tail -n 1 "$1" | grep -q '^{"ev":"stats".*}$' || fail "$2: the event log does not end with the stats record"
	ls ./*.tmp.* >/dev/null 2>&1 && fail "$2: temporary outputs left: $(ls ./*.tmp.*)"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Sends SIG to pid, waits for it (killed after 30 s); sets status and ms.
stop_and_wait() {
	t0=$(now_ms)
	kill -"$2" "$1"
	( sleep 30; kill -KILL "$1" 2>/dev/null ) &
	killer=$!
	wait "$1"
	status=$?
	ms=$(($(now_ms) - t0))
	kill "$killer" 2>/dev/null
}

# Waits until FILE has content (at most 60 s).
wait_for() {
	n=0
	until [ -s "$1" ]; do
		n=$((n + 1))
		[ $n -le 600 ] || return 1
		sleep 0.1
	done
}

check_stop() {   # what sig want
	[ "$status" -eq "$3" ] || fail "$1: SIG$2: exit status $status, expected $3: $(head -3 err)"
	grep -q "^mmusim: SIG$2: stopping every process$" err || fail "$1: SIG$2: no notice on stderr"
	[ "$ms" -lt 5000 ] || fail "$1: SIG$2: took $ms ms to stop"
	event_log_whole ev.jsonl "$1 SIG$2"
	pass
	echo "$1: SIG$2 stopped it in $ms ms, status $status"
}

for arch in x86_64 aarch64; do
	# 1. SIGHUP in a busy loop.
	dir="$tmp/hup-$arch" && mkdir "$dir" && cd "$dir" || exit 1
	"$MMUSIM" run --events ev.jsonl "$GUESTS/$arch/shared_loop" 0 >out 2>err &
	pid=$! pids="$pids $pid"
	wait_for out || fail "$arch: shared_loop reported no round"
	stop_and_wait "$pid" HUP
	check_stop "$arch busy loop" HUP 129
	[ "$(od -A n -t u8 -N 8 shared_loop.bin | tr -d ' ')" -ge 100000 ] || fail "$arch: SIGHUP: the shared file was not written back"

	# 2. A full pipe, and a pipe that never delivers.
	dir="$tmp/pipes-$arch" && mkdir "$dir" && cd "$dir" && mkfifo full empty || exit 1
	sleep 300 <full &
	holder=$! pids="$pids $holder"
	"$MMUSIM" run --events ev.jsonl "$GUESTS/$arch/stdio_flood" write >full 2>err &
	pid=$! pids="$pids $pid"
	sleep 2   # 64 KiB fill the pipe at once; then the write blocks
	stop_and_wait "$pid" TERM
	check_stop "$arch full pipe" TERM 143
	kill "$holder"
	rm ev.jsonl
	sleep 300 >empty &
	holder=$! pids="$pids $holder"
	env --default-signal=INT "$MMUSIM" run --events ev.jsonl "$GUESTS/$arch/stdio_flood" read <empty >out 2>err &
	pid=$! pids="$pids $pid"
	sleep 2
	stop_and_wait "$pid" INT
	check_stop "$arch blocked read" INT 130
	kill "$holder"

	# 3. The host-time limit, busy and blocked.
	dir="$tmp/limit-$arch" && mkdir "$dir" && cd "$dir" && mkfifo empty || exit 1
	sleep 300 >empty &
	holder=$! pids="$pids $holder"
	for how in busy blocked; do
		rm -f ev.jsonl
		t0=$(now_ms)
		if [ $how = busy ]; then
			timeout -s KILL 30 "$MMUSIM" run --max-seconds 1 --events ev.jsonl "$GUESTS/$arch/infinite_loop" >out 2>err
		else
			timeout -s KILL 30 "$MMUSIM" run --max-seconds 1 --events ev.jsonl "$GUESTS/$arch/stdio_flood" read <empty >out 2>err
		fi
		status=$? ms=$(($(now_ms) - t0))
		[ $status -eq 152 ] && [ $ms -lt 6000 ] && grep -q '^mmusim: stopped after the host-time limit (--max-seconds)$' err &&
			pass || fail "$arch $how: --max-seconds 1: status $status after $ms ms: $(head -3 err)"
		event_log_whole ev.jsonl "$arch $how --max-seconds"
		echo "$arch $how: --max-seconds 1 ended it after $ms ms"
	done
	kill "$holder"

	# 4. Its standard output closed under it.
	dir="$tmp/sigpipe-$arch" && mkdir "$dir" && cd "$dir" || exit 1
	status=$( ( "$MMUSIM" run --events ev.jsonl "$GUESTS/$arch/shared_loop" 0 2>err; echo $? >st ) | head -n 1 >out; cat st)
	[ "$status" = 141 ] || fail "$arch: | head -1: status $status, expected 141 (the guest's SIGPIPE): $(head -3 err)"
	grep -q '^round ' out || fail "$arch: | head -1: no line came through"
	event_log_whole ev.jsonl "$arch | head -1"
	[ "$(od -A n -t u8 -N 8 shared_loop.bin | tr -d ' ')" -ge 100000 ] || fail "$arch: | head -1: the shared file was not written back"
	pass
	echo "$arch: | head -1: the guest died of SIGPIPE (141), outputs whole"

	# 5. Inside one long system call.
	dir="$tmp/populate-$arch" && mkdir "$dir" && cd "$dir" || exit 1
	"$MMUSIM" run --events ev.jsonl "$GUESTS/$arch/huge_ranges" populate >out 2>err &
	pid=$! pids="$pids $pid"
	wait_for out || fail "$arch: huge_ranges populate did not start"
	sleep 0.5
	stop_and_wait "$pid" TERM
	check_stop "$arch MAP_POPULATE of 64 GiB" TERM 143
done
finish stop_signals
