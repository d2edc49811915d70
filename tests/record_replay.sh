#!/bin/sh
# Record -> replay gives the same faults: guests run under `mmusim run
# --record TRACE --events RUN`, the trace is replayed with `mmusim replay
# --events REPLAY` on the same machine, and the two event logs must agree.
#
# What is compared: every "fault" event, whole (seq, pid, n, va, access,
# kind, syndrome, vma, path, chain, ptes, tables/frames/copied/around,
# major, cycles, outcome, signal), minus "pc" and "insn": the faulting
# instruction is the CPU's knowledge, a trace has no CPU. Then the whole
# event log, every event and the closing stats record (instructions, cycles,
# TLB and walk figures, frames), with the same two fields left out; only
# the header differs ("source" and "input").
# usage: record_replay.sh MMUSIM GUEST_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 GUESTS=$2
# The replay makes a recorded trace's files in a private directory under
# $TMPDIR and removes it: ours, so that we can see it go.
mkdir "$tmp/tmpdir"
TMPDIR=$tmp/tmpdir
export TMPDIR

# The event log without its header and without what only a CPU knows.
events() { tail -n +2 "$1" | sed -E 's/,"pc":"0x[0-9a-f]+","insn":"([^"\\]|\\.)*"(,"pc_block":true)?//'; }

# check DIR ARCH NAME STATUS [options] [-- run options]: record the guest
# NAME in working directory DIR (its files are there), expect exit STATUS
# ("any": whatever it is), replay, compare. Options before "--" go to both
# (the machine), those after it to the run alone.
check() {
	dir=$1 arch=$2 name=$3 want=$4
	shift 4
	both="" runonly=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do both="$both $1"; shift; done
	[ $# -gt 0 ] && shift
	runonly="$*"
	what="$arch/$name${both:+ $both}${runonly:+ $runonly}"
	mkdir -p "$dir" && cd "$dir" || return
	# shellcheck disable=SC2086
	"$MMUSIM" run --record t.jsonl --events run.jsonl $both $runonly "$GUESTS/$arch/$name" >out 2>err
	st=$?
	cd "$tmp" || return
	if [ "$want" != any ] && [ $st -ne "$want" ]; then fail "$what: run exit $st, expected $want"; cat "$dir/err"; return; fi
	head -1 "$dir/t.jsonl" | grep -q '"recorded":true' || { fail "$what: the trace's header"; return; }
	# shellcheck disable=SC2086
	"$MMUSIM" replay --events "$dir/rep.jsonl" $both "$dir/t.jsonl" >"$dir/rout" 2>"$dir/rerr"
	st=$?
	if [ $st -ne 0 ] || [ -s "$dir/rerr" ]; then fail "$what: replay exit $st"; cat "$dir/rerr"; return; fi
	if [ -n "$(ls -A "$TMPDIR")" ]; then fail "$what: the replay left $(ls "$TMPDIR")"; rm -rf "${TMPDIR:?}"/*; fi
	grep -q '"ev":"fault".*"pc":"0x' "$dir/run.jsonl" || { fail "$what: the run's faults have no pc"; return; }
	events "$dir/run.jsonl" >"$dir/run.ev"
	events "$dir/rep.jsonl" >"$dir/rep.ev"
	grep '"ev":"fault"' "$dir/run.ev" >"$dir/run.faults"
	grep '"ev":"fault"' "$dir/rep.ev" >"$dir/rep.faults"
	if [ ! -s "$dir/run.faults" ] || ! cmp -s "$dir/run.faults" "$dir/rep.faults"; then
		fail "$what: the replay's faults differ from the run's ($(wc -l <"$dir/run.faults") faults):"
		diff "$dir/run.faults" "$dir/rep.faults" | head -6 | cut -c1-400
		return
	fi
	if ! cmp -s "$dir/run.ev" "$dir/rep.ev"; then
		fail "$what: the faults agree, the rest of the event log does not:"
		diff "$dir/run.ev" "$dir/rep.ev" | head -6 | cut -c1-400
		return
	fi
	pass
	rm -f "$dir"/*.jsonl "$dir"/*.ev "$dir"/*.faults
}

for arch in x86_64 aarch64; do
	for g in mmap_write malloc_touch file_read file_shared fork_cow pipe execve signals mremap_fork; do
		check "$tmp/$arch-$g" $arch $g 0
	done
	check "$tmp/$arch-segv" $arch segv_bad_permission 139
	# Again in the same directory: the files the first run made are there
	# now (file_read's data.bin is read from disk: major faults; file_shared
	# truncates and rewrites shared.bin).
	check "$tmp/$arch-file_read" $arch file_read 0
	check "$tmp/$arch-file_shared" $arch file_shared 0
	# Functional mode: only what the shadow cannot serve reaches the MMU,
	# and so the trace.
	check "$tmp/$arch-fn-fork" $arch fork_cow 0 -- --mode functional
	check "$tmp/$arch-fn-exec" $arch execve 0 -- --mode functional
	check "$tmp/$arch-fn-signals" $arch signals 0 -- --mode functional
done
# Robust futex lists: the kernel reads and writes the dying threads' lists
# (at a thread's exit, a process's exit, exec, and a death by SIGSEGV,
# where the fatal access is written "caught" and an exit record follows).
# Several CPUs: each turn's CPU, lazy CPUs and migrations are in the trace,
# so the replay's TLBs, shootdowns (IPIs, lazy skips, flush generations)
# and per-CPU figures are the run's.
for arch in x86_64 aarch64; do
	check "$tmp/$arch-smp2-shootdown" $arch shootdown 0 --cpus 2
	check "$tmp/$arch-smp4-pool" $arch worker_pool 0 --cpus 4
done
for arch in x86_64 aarch64; do
	check "$tmp/$arch-robust" $arch robust_mutex 0
done
# mremap records. (The AArch64 build of mremap also makes a call with
# flags Linux does not know, EINVAL before it does anything: a trace
# cannot name those bits and leaves the call out, and so its event.)
check "$tmp/mremap" x86_64 mremap 0
# Memory pressure: reclaim and swap, and an out-of-memory kill.
check "$tmp/swap" x86_64 malloc_touch 0 --mem 1M --swap 8M
check "$tmp/swap-mremap" aarch64 mremap_fork 0 --mem 400K --swap 4M
check "$tmp/oom" aarch64 malloc_touch 137 --mem 2M
check "$tmp/evict" aarch64 file_read 0 --mem 1M
# Very little memory: forks can fail for want of it (ENOMEM, replayed as
# refused; pipe's does at 96K), children die of the OOM outcome; whatever
# the programs make of that, the replay must agree.
for m in 96K 160K; do
	check "$tmp/tiny-pipe-$m" x86_64 pipe any --mem $m
	check "$tmp/tiny-fork-$m" x86_64 fork_cow any --mem $m
done
# Other kernels and pages: XNU on 16 KiB pages (SIGBUS for a write to a
# read-only page), LiteOS-A.
check "$tmp/xnu-fork" aarch64 fork_cow 0 --preset apple16k --personality xnu
check "$tmp/xnu-segv" aarch64 segv_bad_permission 135 --preset apple16k --personality xnu
check "$tmp/liteos-pipe" aarch64 pipe 0 --personality liteos
# A run stopped by --max-insns: every process is ended where it was.
check "$tmp/halt" x86_64 fork_cow 152 -- --max-insns 10000

# A program named by a path the replay cannot use as it is ("..") keeps
# its name: the text mapping's file in the faults is the run's.
mkdir -p "$tmp/up/w" && cp "$GUESTS/x86_64/hello" "$tmp/up/hello" && cd "$tmp/up/w" || exit 1
"$MMUSIM" run --record t.jsonl --events run.jsonl ../hello >/dev/null 2>&1 &&
	"$MMUSIM" replay --events rep.jsonl t.jsonl 2>err
st=$?
events run.jsonl >run.ev
events rep.jsonl >rep.ev 2>/dev/null
if [ $st -eq 0 ] && grep -q '"op":"file","path":"mmusim-file-1","len":"0x[0-9a-f]*","name":"../hello"}' t.jsonl &&
   cmp -s run.ev rep.ev && grep -q '"ev":"fault".*"file":"../hello"' rep.ev; then
	pass
else
	fail "a program run as ../hello"; grep '"op":"file"' t.jsonl; cat err
fi
cd "$tmp" || exit 1

# Replays ran in $tmp without --root: the programs' files (the guests
# under their absolute paths) went to the private directories, not here.
top=$(echo "$GUESTS" | cut -d/ -f2)
if [ -n "$top" ] && [ ! -e "$tmp/$top" ] && [ -z "$(ls -A "$TMPDIR")" ]; then
	pass
else
	fail "the replays made files outside their private directories"; ls "$tmp" "$TMPDIR"
fi

# --record to a place that cannot be written: a one-line error, status 1,
# before the program runs.
"$MMUSIM" run --record "$tmp/no/such/dir/t.jsonl" "$GUESTS/x86_64/hello" >out 2>err
st=$?
if [ $st -eq 1 ] && [ ! -s out ] && [ "$(wc -l <err)" -eq 1 ] && grep -q "No such file or directory" err; then
	pass
else
	fail "--record to a missing directory: status $st"; cat out err
fi

finish record_replay
