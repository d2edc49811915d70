#!/bin/sh
# What hostile guests leave on the host (issue 21), on both architectures:
#   mode_bits  asks for set-user-ID, set-group-ID, sticky and
#              world-writable files and directories: it sees them (its
#              output is Linux's), the host files in its root get none.
#   many_files opens and closes 1,500 files one after another, then 20,000
#              more: under a host limit of 256 descriptors (hard), every
#              open succeeds and RLIMIT_NOFILE is the guest's own (its
#              output is Linux's); mmusim holds a host descriptor only
#              while a guest descriptor or mapping needs it.
# usage: hostile_host.sh MMUSIM GUEST_DIR EXPECTED_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$(realpath "$1") GUESTS=$(realpath "$2") EXPECTED=$(realpath "$3")

for arch in x86_64 aarch64; do
	root="$tmp/modes-$arch"
	mkdir "$root"
	(cd "$root" && "$MMUSIM" run "$GUESTS/$arch/mode_bits" >"$tmp/out" 2>"$tmp/err")
	status=$?
	[ "$status" -eq 0 ] && pass || fail "mode_bits $arch: status $status: $(head -3 "$tmp/err")"
	cmp -s "$tmp/out" "$EXPECTED/mode_bits.out" && pass || {
		fail "mode_bits $arch: what stat shows the guest differs from Linux:"
		diff "$EXPECTED/mode_bits.out" "$tmp/out" | head
	}
	unsafe=$(find "$root" -mindepth 1 -perm /7022 -o -mindepth 1 ! -type f ! -type d)
	[ -z "$unsafe" ] && pass || fail "mode_bits $arch: unsafe host files: $(ls -ld $unsafe)"
	[ "$(find "$root" -mindepth 1 | wc -l)" -ge 6 ] && pass || fail "mode_bits $arch: its files are not there"

	root="$tmp/files-$arch"
	mkdir "$root"
	(cd "$root" && ulimit -n 256 && "$MMUSIM" run "$GUESTS/$arch/many_files" >"$tmp/out" 2>"$tmp/err")
	status=$?
	[ "$status" -eq 0 ] && pass || fail "many_files $arch: status $status: $(head -3 "$tmp/err")"
	cmp -s "$tmp/out" "$EXPECTED/many_files.out" && pass || {
		fail "many_files $arch: differs from Linux:"
		diff "$EXPECTED/many_files.out" "$tmp/out" | head
	}
done
finish hostile_host
