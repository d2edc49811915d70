#!/bin/sh
# Both modes on the Unicorn mmusim speeds up from outside (cpu/uc_overrides.c,
# cpu/uc_helpers.c: loads and stores done without Unicorn's helper) must
# give what they give on Unicorn as Debian ships it
# (MMUSIM_UNICORN_AS_SHIPPED=1): standard output, exit status, --stats and
# the whole event log, byte for byte. Guests on both architectures (faults
# caught by handlers, copy-on-write, 16 KiB pages, several CPUs), and
# busybox's gzip and awk from Debian.
# usage: engine_agree.sh MMUSIM GUEST_DIR DEBIAN_UTILS_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$(realpath "$1") GUESTS=$(realpath "$2") UTILS=$(realpath "$3")

"$MMUSIM" --version | grep -q "load and store helpers replaced" && pass ||
	fail "mmusim --version: the helpers are not replaced: $("$MMUSIM" --version | tail -1)"
MMUSIM_UNICORN_AS_SHIPPED=1 "$MMUSIM" --version | grep -q "^unicorn 2.0.1$" && pass ||
	fail "MMUSIM_UNICORN_AS_SHIPPED=1 mmusim --version: $(MMUSIM_UNICORN_AS_SHIPPED=1 "$MMUSIM" --version | tail -1)"

# run MODE ENGINE [mmusim run arguments]: the run's results in $tmp/out.ENGINE.
run() {
	mode=$1 engine=$2
	shift 2
	rm -rf "$tmp/root" && mkdir "$tmp/root" && seq 1 20000 >"$tmp/root/nums.txt"
	(
		cd "$tmp/root" || exit 1
		[ "$engine" = shipped ] && export MMUSIM_UNICORN_AS_SHIPPED=1
		timeout 300 "$MMUSIM" run --mode "$mode" --stats --events events "$@" >out 2>err </dev/null
		echo "status $?" >>out
		cat err events >>out
	)
	mv "$tmp/root/out" "$tmp/out.$engine"
}

# agree NAME [mmusim run arguments]: in both modes. Timing mode's log has
# TLB events, functional mode's faults.
agree() {
	name=$1
	shift
	for mode in timing functional; do
		run $mode ours "$@"
		run $mode shipped "$@"
		want='"ev":"tlb'
		[ $mode = functional ] && want='"ev":"fault"'
		if ! grep -q "$want" "$tmp/out.ours"; then
			fail "$name ($mode): no $want in the log: $(head -3 "$tmp/out.ours")"
		elif cmp -s "$tmp/out.ours" "$tmp/out.shipped"; then
			pass
		else
			fail "$name ($mode): results differ from Unicorn as shipped:"
			diff "$tmp/out.shipped" "$tmp/out.ours" | head -6 | cut -c1-300
		fi
	done
}

for arch in x86_64 aarch64; do
	for g in hello fork_cow signals mremap code_read malloc_touch zero_block compute; do
		agree "$arch/$g" "$GUESTS/$arch/$g"
	done
	agree "$arch/shootdown --cpus 2" --cpus 2 "$GUESTS/$arch/shootdown"
done
agree "aarch64/fork_cow apple16k xnu" --preset apple16k --personality xnu "$GUESTS/aarch64/fork_cow"
for arch in amd64 arm64; do
	agree "$arch/busybox gzip" --max-insns 20000000 "$UTILS/$arch/bin/busybox" gzip -c nums.txt
	agree "$arch/busybox awk" --max-insns 20000000 "$UTILS/$arch/bin/busybox" awk '{s+=$1} END {print s}' nums.txt
done
finish engine_agree
