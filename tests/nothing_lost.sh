#!/bin/sh
# Nothing a guest writes through a shared file mapping is lost: the
# shared_loop guest never calls msync or munmap, so the file holds its
# writes only if mmusim writes the dirty page-cache pages back itself:
#   1. at the end of a normal run (every page holds the last round, 1000);
#   2. when mmusim is stopped mid-run by SIGINT or SIGTERM: it exits with
#      128 + the signal, the file holds the rounds the guest had reached
#      (pages written in order: each page's number is its predecessor's or
#      one less, and no less than the last round the guest reported), and
#      the event log is whole, its last line the closing stats record.
# usage: nothing_lost.sh MMUSIM GUEST_DIR
set -u
MMUSIM=$(realpath "$1") GUESTS=$(realpath "$2")
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

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
	kill -"$sig" "$pid"
	# A mmusim that ignored the signal is killed after 30 s (and fails).
	( sleep 30; kill -KILL "$pid" 2>/dev/null ) &
	killer=$!
	wait "$pid"
	status=$?
	kill "$killer" 2>/dev/null
	pid=""
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
[ $fails -eq 0 ] || exit 1
echo "nothing_lost: ok"
