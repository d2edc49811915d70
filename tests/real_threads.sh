#!/bin/sh
# Real threaded programs nobody here wrote (issue 18), against Linux
# (amd64: natively) and qemu-aarch64 (arm64): standard output and exit
# status byte for byte, in timing and functional mode, on 1 and 2
# simulated CPUs, always with --check-tlb (a stale TLB entry fails the run
# with status 70). A run is stopped after 600 s of host time (a hang).
#
#   tests/real_threads.sh MMUSIM xz ARCH [SYSROOT]
#       Debian's xz -T2 (liblzma's worker threads: clone, futexes)
#       compressing 768 KiB in three blocks, then decompressing the
#       result, also with two threads. amd64: the host's /usr/bin/xz
#       (xz-utils); arm64: SYSROOT's, from .ci/fetch-debian-dynamic.
#   tests/real_threads.sh MMUSIM go ARCH PROGRAM
#       guests/go/gothreads built with Go (CGO_ENABLED=0): goroutines on
#       several threads, the collector, signal preemption, timers, epoll.
#
# Skips (status 77) when the program or qemu-aarch64 is missing, saying why.
. "$(dirname "$0")/lib.sh"
mmusim=$1 what=$2 arch=$3 arg=${4:-}
case $mmusim in /*) ;; *) mmusim=$(pwd)/$mmusim ;; esac
case $arg in /* | "") ;; *) arg=$(pwd)/$arg ;; esac
skip() { echo "real_threads: $*"; exit 77; }

if [ "$arch" = arm64 ]; then
	command -v qemu-aarch64 >/dev/null || skip "no qemu-aarch64 (qemu-user)"
fi
case $what in
xz)
	if [ "$arch" = arm64 ]; then
		sysroot=$arg
		[ -x "$sysroot/usr/bin/xz" ] || skip "$sysroot/usr/bin/xz missing (run .ci/fetch-debian-dynamic)"
		native() { qemu-aarch64 -L "$sysroot" "$sysroot/usr/bin/xz" "$@"; }
		prog=$sysroot/usr/bin/xz
	else
		sysroot=/
		[ -x /usr/bin/xz ] || skip "no /usr/bin/xz (apt-get install xz-utils)"
		native() { /usr/bin/xz "$@"; }
		prog=/usr/bin/xz
	fi
	;;
go)
	[ -n "$arg" ] && [ -x "$arg" ] || skip "no Go program ${arg:-(none given)}: is go installed (golang-go)?"
	prog=$arg sysroot=none
	if [ "$arch" = arm64 ]; then native() { qemu-aarch64 "$prog" "$@"; }; else native() { "$prog" "$@"; }; fi
	;;
*) echo "usage: $0 MMUSIM xz|go ARCH [SYSROOT|PROGRAM]" >&2; exit 2 ;;
esac

# run NAME INPUT ARGS...: natively, then under mmusim in each mode and on
# 1 and 2 CPUs; stdout and status compared. The wall time of each run is
# printed (tests/README.md quotes them).
run() {
	name=$1 input=$2
	shift 2
	(cd "$tmp/root" && native "$@" <"$input" >"$tmp/want" 2>"$tmp/want.err")
	want=$?
	# The Go program checks its own sleeps, timers and collector in real
	# time natively (under mmusim the time is simulated): on a loaded
	# machine the reference may miss one. It must pass, so try it again.
	for again in 1 2; do
		[ "$what" = go ] && [ "$want" != 0 ] || break
		echo "$arch $name: the native reference failed ($want): $(head -3 "$tmp/want.err"); again"
		(cd "$tmp/root" && native "$@" <"$input" >"$tmp/want" 2>"$tmp/want.err")
		want=$?
	done
	for mode in timing functional; do
		for cpus in 1 2; do
			t0=$(date +%s)
			(cd "$tmp/root" && "$mmusim" run --mode "$mode" --cpus "$cpus" --check-tlb --max-seconds 600 --sysroot "$sysroot" \
				"$prog" "$@" <"$input" >"$tmp/got" 2>"$tmp/err")
			got=$?
			echo "$arch $name ($mode, --cpus $cpus): status $got, $(($(date +%s) - t0)) s"
			if [ "$got" != "$want" ]; then
				fail "$arch $name ($mode, --cpus $cpus): status $got, natively $want"
				head -5 "$tmp/err"
			elif ! cmp -s "$tmp/want" "$tmp/got"; then
				fail "$arch $name ($mode, --cpus $cpus): output differs from the native run's"
				cmp "$tmp/want" "$tmp/got" | head -3
			else
				pass
			fi
		done
	done
}

mkdir "$tmp/root"
if [ "$what" = xz ]; then
	# 768 KiB of words drawn by a fixed generator: compressible, not trivially.
	awk 'BEGIN { split("page table walk entry frame fault cache miss hit line tlb shootdown thread futex clone", w);
		s = 1; n = 0
		while (n < 786432) { s = (s * 1103515245 + 12345) % 2147483648; x = w[int(s / 65536) % 16 + 1] (s % 7 == 0 ? "\n" : " ");
			printf "%s", x; n += length(x) } }' | head -c 786432 >"$tmp/data"
	native -1 -T2 --block-size=256KiB -c <"$tmp/data" >"$tmp/data.xz" || fail "native xz"
	blocks=$(native -lv "$tmp/data.xz" 2>/dev/null | sed -n 's/^ *Blocks: *\([0-9]*\)$/\1/p' | head -1)
	[ "$blocks" = 3 ] || fail "the native stream has ${blocks:-no} blocks, not 3: one thread would do"
	run compress "$tmp/data" -1 -T2 --block-size=256KiB -c
	run decompress "$tmp/data.xz" -d -T2 -c
	cmp -s "$tmp/got" "$tmp/data" && pass || fail "the decompressed data is not the original"
	run corrupt-input "$tmp/data" -d -T2 -c   # not an .xz: status 1 and a message
else
	run gothreads /dev/null 2
fi
finish "real_threads_${what}_$arch"
