#!/bin/sh
# Nothing a guest writes through a shared file mapping is lost: the
# shared_loop guest never calls msync or munmap, so the file holds its
# writes only if mmusim writes the dirty page-cache pages back itself:
#   1. at the end of a normal run (every page holds the last round, 1000);
#   2. when mmusim is stopped mid-run by SIGINT or SIGTERM: it exits with
#      128 + the signal, the file holds the rounds the guest had reached
#      (pages written in order: each page's number is its predecessor's or
#      one less, and no less than the last round the guest reported), and
#      the event log is whole, its last line the closing stats record;
#   3. when a replay fed by a live producer (a pipe that never ends) is
#      stopped by either signal: the trace's shared file holds the writes
#      replayed (never msynced), the event log is whole, status 128 + sig.
# usage: nothing_lost.sh MMUSIM GUEST_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$(realpath "$1") GUESTS=$(realpath "$2")
pid=""
at_exit='[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null'

# The 64-bit number at the start of each of the file's four pages.
page_values() {
	size=$(stat -c %s "$1")
	page=$((size / 4))
	for i in 0 1 2 3; do
		od -A n -t u8 -j $((i * page)) -N 8 "$1" | tr -d ' '
	done
}

event_log_whole() {
	[ -s "$1" ] || { fail "$2: no event log"; return; }
	awk '!/^\{.*\}$/ { bad = NR } END { exit bad ? 1 : 0 }' "$1" || fail "$2: a line of the event log is not a whole record"
	tail -n 1 "$1" | grep -q '^{"ev":"stats".*}$' || fail "$2: the event log does not end with the stats record"
}

# Sends SIG to mmusim (pid) and waits for it; a mmusim that ignored the
# signal is killed after 30 s (and fails). Sets status.
signal_and_wait() {
	kill -"$2" "$1"
	( sleep 30; kill -KILL "$1" 2>/dev/null ) &
	killer=$!
	wait "$1"
	status=$?
	kill "$killer" 2>/dev/null
	pid=""
}

normal_run() {
	arch=$1
	dir="$tmp/normal-$arch" && mkdir "$dir" && cd "$dir" || exit 1
	"$MMUSIM" run --events ev.jsonl "$GUESTS/$arch/shared_loop" >out 2>err || fail "$arch: exit status $?"
	[ "$(page_values shared_loop.bin | tr '\n' ' ')" = "1000 1000 1000 1000 " ] ||
		fail "$arch: after a normal run the file holds $(page_values shared_loop.bin | tr '\n' ' '), not 1000 in each page"
	event_log_whole ev.jsonl "$arch normal run"
}

stopped_run() {
	arch=$1 sig=$2 want=$3
	dir="$tmp/$sig-$arch" && mkdir "$dir" && cd "$dir" || exit 1
	# A shell without job control starts background jobs with SIGINT
	# ignored (and mmusim then leaves it so); env gives it back its default.
	env --default-signal=INT "$MMUSIM" run --events ev.jsonl "$GUESTS/$arch/shared_loop" 0 >out 2>err &
	pid=$!
	n=0
	until grep -q '^round' out 2>/dev/null; do   # the guest is well into its loop
		n=$((n + 1))
		[ $n -le 600 ] || { fail "$arch: no round reported in 60 s"; return; }
		sleep 0.1
	done
	signal_and_wait "$pid" "$sig"
	[ "$status" -eq "$want" ] || fail "$arch: SIG$sig: exit status $status, expected $want"
	grep -q "^mmusim: SIG$sig: stopping every process$" err || fail "$arch: SIG$sig: no notice on stderr"
	last=$(grep '^round' out | tail -n 1 | cut -d' ' -f2)
	set -- $(page_values shared_loop.bin)
	if [ "$1" -lt "$last" ] || [ "$4" -lt "$last" ] || [ "$2" -gt "$1" ] || [ "$3" -gt "$2" ] || [ "$4" -gt "$3" ] ||
	   [ $(($1 - $4)) -gt 1 ]; then
		fail "$arch: SIG$sig: the file holds $* after round $last was reported"
	fi
	event_log_whole ev.jsonl "$arch SIG$sig"
	echo "$arch SIG$sig: stopped with status $status, file pages $*, last reported round $last"
}

for arch in x86_64 aarch64; do
	normal_run "$arch"
done
stopped_run x86_64 INT 130
stopped_run aarch64 TERM 143
stopped_run aarch64 INT 130
stopped_run x86_64 TERM 143
# A producer that never ends: 64 pages of a shared file mapping written
# (a marker each), then reads, a batch every 50 ms.
producer() {
	echo '{"format":"mmusim-trace","version":1,"arch":"x86-64"}'
	echo '{"op":"file","path":"data.bin","len":"0x40000","fill":"zero"}'
	echo '{"op":"exec","stack_top":"0x7ffff0000000"}'
	echo '{"op":"open","path":"data.bin","flags":"rdwr","fd":0}'
	echo '{"op":"mmap","addr":"0x40000000","len":"0x40000","prot":"rw","flags":"shared,fixed","fd":0,"offset":"0x0"}'
	for p in $(seq 0 63); do
		printf '{"op":"w","va":"0x%x","size":8,"value":"0x%016x"}\n' $((0x40000000 + p * 4096)) $((0x1000 + p))
	done
	while :; do
		for i in $(seq 0 99); do
			printf '{"op":"r","va":"0x%x","size":8}\n' $((0x40000000 + i * 4096 % 0x40000))
		done
		sleep 0.05
	done
}

stopped_replay() {
	sig=$1 want=$2
	dir="$tmp/replay-$sig" && mkdir -p "$dir/root" && cd "$dir" || exit 1
	producer 2>/dev/null | env --default-signal=INT "$MMUSIM" replay - --root root --events ev.jsonl >out 2>err &
	pid=$!
	n=0
	until [ -s root/data.bin ] && [ "$(grep -c '"ev":"fault"' ev.jsonl 2>/dev/null)" -ge 1 ] 2>/dev/null || [ $n -ge 20 ]; do
		n=$((n + 1))
		sleep 0.1
	done
	sleep 0.5
	signal_and_wait "$pid" "$sig"
	[ "$status" -eq "$want" ] || fail "replay SIG$sig: exit status $status, expected $want: $(cat err)"
	grep -q "^mmusim: SIG$sig: replay stopped after [0-9]* records$" err || fail "replay SIG$sig: no notice: $(cat err)"
	bad=0
	for p in $(seq 0 63); do
		v=$(od -A n -t u8 -j $((p * 4096)) -N 8 root/data.bin | tr -d ' ')
		[ "$v" = $((0x1000 + p)) ] || bad=$((bad + 1))
	done
	[ $bad -eq 0 ] || fail "replay SIG$sig: $bad of 64 pages of the shared file lack their write"
	event_log_whole ev.jsonl "replay SIG$sig"
	echo "replay SIG$sig: stopped with status $status, 64 shared pages written back"
}
stopped_replay TERM 143
stopped_replay INT 130

# An output that is a FIFO (or /dev/null) is written in place: renaming a
# finished file over it would replace the node (as root, /dev/null itself).
mkfifo fifo.jsonl
cat fifo.jsonl >fifo.got &
reader=$!
"$MMUSIM" run --events fifo.jsonl "$GUESTS/x86_64/hello" >/dev/null 2>err || fail "events to a FIFO: exit $?: $(cat err)"
[ -p fifo.jsonl ] || { fail "events to a FIFO: the FIFO was replaced"; kill $reader; }
wait $reader
grep -q '^{"ev":"stats"' fifo.got || fail "events to a FIFO: no stats record came through it"
ls | grep -q 'fifo.jsonl.tmp' && fail "events to a FIFO: a temporary file was left"
echo "events to a FIFO: written in place, the FIFO kept"

[ $fails -eq 0 ] || exit 1
echo "nothing_lost: ok"
