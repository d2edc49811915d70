#!/bin/sh
# AT_MINSIGSTKSZ as mmusim gives it: Linux's get_sigframe_size() for an
# x86-64 CPU without XSAVE (1440) and arm64's signal_minsigstksz without
# SVE (4720), the most the model's signal frames take (os/kernel/sigframe.c),
# in both modes; glibc's sysconf(_SC_MINSIGSTKSZ) reports it.
# usage: minsigstksz.sh MMUSIM GUEST_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 GUESTS=$2
cd "$tmp" || exit 1
for arch in x86_64 aarch64; do
	case $arch in x86_64) want=1440 ;; aarch64) want=4720 ;; esac
	for mode in timing functional; do
		"$MMUSIM" run --mode $mode "$GUESTS/$arch/minsigstksz" >out 2>err || fail "$arch $mode: exit $?"
		if grep -q "^AT_MINSIGSTKSZ $want, _SC_MINSIGSTKSZ $want," err; then
			pass
		else
			fail "$arch $mode: expected AT_MINSIGSTKSZ $want:"; cat err
		fi
	done
done
finish minsigstksz
