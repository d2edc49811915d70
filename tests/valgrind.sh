#!/bin/sh
# `mmusim run` under valgrind memcheck, on guests that fork and map files
# (fork_cow: copy-on-write after fork, its ELF's file-backed segments;
# code_read: its own executable mapped twice through the page cache;
# execve: an address space replaced; pipe: fork + the kernel copying
# between two processes; worker_pool: threads sharing the regions, their
# tasks created and ended, fork from a threaded process), on both architectures: no memory error in mmusim
# and no definite leak, and each guest still gives its real-Linux output
# and status. Guests that open files in the sandbox cannot run here:
# valgrind 3.19 does not know openat2 (ENOSYS), which the sandbox needs.
# --smc-check=all: Unicorn writes the code it then runs (its JIT).
# tests/valgrind.supp says what is suppressed, and why.
# usage: valgrind.sh MMUSIM GUEST_DIR EXPECTED_DIR SUPPRESSIONS
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 GUESTS=$2 EXPECTED=$3 SUPP=$4
for arch in x86_64 aarch64; do
	for name in fork_cow code_read execve pipe worker_pool; do
		dir="$tmp/$arch-$name"
		mkdir "$dir" && cd "$dir" || exit 1
		valgrind --error-exitcode=99 --smc-check=all --leak-check=full --errors-for-leak-kinds=definite \
			--suppressions="$SUPP" -q "$MMUSIM" run "$GUESTS/$arch/$name" >out 2>err
		status=$?
		if [ "$status" -eq 99 ]; then
			fail "$arch $name: valgrind found errors:"
			head -40 err
		elif [ "$status" -ne "$(cat "$EXPECTED/$name.status")" ] || ! cmp -s out "$EXPECTED/$name.out"; then
			fail "$arch $name: status $status or output differs from a real Linux run"
			head -20 err
		else
			echo "$arch $name: no valgrind errors"
			pass
		fi
	done
done
finish valgrind
