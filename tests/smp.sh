#!/bin/sh
# Several CPUs (--cpus N): pthread guests give the output of a real Linux
# run on 2 and 4 CPUs with the TLB coherence check on (--check-tlb), on
# both architectures; a munmap or mprotect of memory another thread uses is
# a shootdown that reaches that thread's CPU (x86-64: an IPI; arm64: a
# broadcast TLBI), after which the thread faults as on Linux (also after a
# transparent huge page's split: the huge entry goes from every CPU); the event log
# names the CPUs; two runs give the same event log byte for byte.
# usage: smp.sh MMUSIM GUEST_DIR EXPECTED_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 GUESTS=$2 EXPECTED=$3
run() {   # arch guest cpus tag
	rm -rf "$tmp/root" && mkdir "$tmp/root"
	(cd "$tmp/root" && timeout 120 "$MMUSIM" run --cpus "$3" --check-tlb --stats --events "$tmp/$4.jsonl" \
		"$GUESTS/$1/$2" >"$tmp/$4.out" 2>"$tmp/$4.err" </dev/null)
	echo "status $?" >>"$tmp/$4.out"
}
for arch in x86_64 aarch64; do
	for cpus in 2 4; do
		for g in shootdown worker_pool; do
			run $arch $g $cpus a
			run $arch $g $cpus b
			{ cat "$EXPECTED/$g.out"; echo "status $(cat "$EXPECTED/$g.status")"; } >"$tmp/want"
			if cmp -s "$tmp/a.out" "$tmp/want" && cmp -s "$tmp/a.jsonl" "$tmp/b.jsonl" &&
				grep -q '"cpus":'$cpus, "$tmp/a.jsonl" && grep -q '^cpu 1 ' "$tmp/a.err"; then
				pass
			else
				fail "$arch $g --cpus $cpus: differs from Linux, between two runs, or names no CPU:"
				diff "$tmp/want" "$tmp/a.out" | head -5
				cmp "$tmp/a.jsonl" "$tmp/b.jsonl"
				grep -- '--check-tlb' "$tmp/a.err" | head -3
			fi
			[ $g = shootdown ] || continue
			case $arch in
			x86_64) method='"method":"ipi+invlpg"' ;;
			*) method='"method":"tlbi_va"' ;;
			esac
			# The munmap's shootdown reaches the worker's CPU.
			if grep '"ev":"shootdown"' "$tmp/a.jsonl" | grep "$method" | grep -q '"targets":\[[0-9]'; then
				pass
			else
				fail "$arch --cpus $cpus: no $method shootdown with targets in the event log"
			fi
			# The mprotect inside a huge page splits it: the 2 MiB block's
			# entry goes from the worker's CPU too (pages: the block's 512
			# and the page itself).
			if grep '"ev":"shootdown"' "$tmp/a.jsonl" | grep '"targets":\[[0-9]' | grep -q '"pages":513,'; then
				pass
			else
				fail "$arch --cpus $cpus: no shootdown of the split huge page reaching the worker's CPU"
			fi
		done
	done
done
finish smp
