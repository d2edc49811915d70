#!/bin/sh
# A bad input names a huge size (issue 21): a static program whose writable
# PT_LOAD segment claims a 16 TiB p_memsz (its bss). Linux maps the bss
# with vm_brk_flags, which charges it to the commit: under the default
# heuristic (vm.overcommit_memory 0, what the model's /proc says),
# __vm_enough_memory refuses more pages than RAM and swap together, past
# exec's point of no return, so the process is killed with SIGSEGV (a
# shell's 139). mmusim does the same, at once: host time does not follow
# the size named. The bound is the machine's RAM plus swap: with --mem 64M
# --swap 64M a 96 MiB bss runs, a 160 MiB one is killed. Both
# architectures; natively on x86-64 (heuristic overcommit hosts) too.
# usage: huge_elf.sh MMUSIM GUEST_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$(realpath "$1") GUESTS=$(realpath "$2")
cd "$tmp" || exit 1
field() { od -A n -t "u$2" -j "$1" -N "$2" prog | tr -d ' '; }   # offset, bytes
# hello with its writable PT_LOAD's p_memsz set to $2 (hex, 8 bytes LE), as ./prog
patch_memsz() {
	cp "$GUESTS/$1/hello" prog && chmod u+w prog || return 1
	phoff=$(field 32 8) phentsize=$(field 54 2) phnum=$(field 56 2) patched=0 i=0
	while [ $i -lt "$phnum" ]; do
		ph=$((phoff + i * phentsize))
		if [ "$(field $ph 4)" = 1 ] && [ $(($(field $((ph + 4)) 4) & 2)) -ne 0 ]; then
			printf "$2" | dd of=prog bs=1 seek=$((ph + 40)) conv=notrunc 2>/dev/null
			patched=1
		fi
		i=$((i + 1))
	done
	[ $patched = 1 ]
}
for arch in x86_64 aarch64; do
	# p_memsz = 0x100000000000 (16 TiB)
	patch_memsz $arch '\000\000\000\000\000\020\000\000' || { fail "$arch: no writable PT_LOAD in hello"; continue; }
	t0=$(date +%s%N)
	timeout -s KILL 60 "$MMUSIM" run ./prog >out 2>err
	status=$? ms=$((($(date +%s%N) - t0) / 1000000))
	if [ $status -ne 139 ]; then
		fail "$arch: a 16 TiB bss: status $status, not 139 (killed by SIGSEGV) in $ms ms: $(head -3 err)"
	elif [ $ms -ge 10000 ]; then
		fail "$arch: a 16 TiB bss took $ms ms"
	elif ! grep -q 'mapping the bss failed.*out of memory' err || [ -s out ]; then
		fail "$arch: a 16 TiB bss: no one-line reason, or output: $(head -3 err)"
	else
		pass
		echo "$arch: 16 TiB p_memsz: killed (status $status) in $ms ms"
	fi
	if [ $arch = x86_64 ] && [ "$(cat /proc/sys/vm/overcommit_memory)" = 0 ]; then
		./prog >/dev/null 2>&1
		native=$?
		[ $native = 139 ] && pass || fail "native: a 16 TiB bss: status $native, not 139"
	fi
	# The bound is RAM + swap (64 + 64 MiB): 96 MiB (0x6000000) runs, 160 MiB (0xa000000) does not.
	patch_memsz $arch '\000\000\000\006\000\000\000\000' || continue
	"$MMUSIM" run --mem 64M --swap 64M ./prog >out 2>err
	status=$?
	[ $status = 0 ] && grep -q . out && pass || fail "$arch: a 96 MiB bss under 64M + 64M swap: status $status: $(head -2 err)"
	patch_memsz $arch '\000\000\000\012\000\000\000\000' || continue
	"$MMUSIM" run --mem 64M --swap 64M ./prog >out 2>err
	status=$?
	[ $status = 139 ] && pass || fail "$arch: a 160 MiB bss under 64M + 64M swap: status $status, not 139"
done
finish huge_elf
