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
#   max_maps   maps page after page until mmap fails: ENOMEM at
#              vm.max_map_count (65,530) as on Linux (a few seconds per
#              architecture, most of it the guest reading its 65,530
#              lines of /proc/self/maps).
#   spread_maps 1,200 one-page mappings 32 MiB apart, each written, then
#              all read back twice: more pieces than Unicorn can hold at
#              once (it aborted past 1,022 regions on AArch64), so cpu/
#              makes and drops them as the guest touches them; every
#              page keeps its value.
#   lost_data  fill: writes 4 KiB blocks into a 32 KiB tmpfs (a full
#              disk; mounted in a mount namespace of its own): the write
#              past it fails with ENOSPC, fsync is ok, and the host file
#              holds exactly the bytes the guest was told were written.
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

	# A full disk: a 32 KiB tmpfs in a mount namespace of our own.
	full="$tmp/full-$arch"
	mkdir "$full"
	if unshare -rm true 2>/dev/null; then
		unshare -rm sh -c 'mount -t tmpfs -o size=32k none "$1" && cd "$1" && "$2" run "$3" fill >"$4" 2>"$5"
			status=$?; cp fill "$6"; exit $status' sh "$full" "$MMUSIM" "$GUESTS/$arch/lost_data" "$tmp/out" \
			"$tmp/err" "$tmp/fill"
		status=$?
		[ "$status" -eq 0 ] && pass || fail "lost_data $arch: status $status: $(head -3 "$tmp/err")"
		printf 'fill: 32768 bytes written, then ENOSPC\nfsync: ok\n' | cmp -s - "$tmp/out" && pass ||
			fail "lost_data $arch: $(cat "$tmp/out")"
		size=$(stat -c %s "$tmp/fill" 2>/dev/null)
		[ "$size" = 32768 ] && pass || fail "lost_data $arch: the host file has $size bytes, the guest wrote 32768"
		[ "$(tr -d 'a-h' <"$tmp/fill" | wc -c)" -eq 0 ] && pass || fail "lost_data $arch: the host file's bytes are not the guest's"
	else
		echo "lost_data $arch: skipped (no mount namespace: unshare -rm fails)"
	fi

	(cd "$root" && timeout 600 "$MMUSIM" run "$GUESTS/$arch/max_maps" >"$tmp/out" 2>"$tmp/err")
	status=$?
	[ "$status" -eq 0 ] && pass || fail "max_maps $arch: status $status: $(head -3 "$tmp/err")"
	cmp -s "$tmp/out" "$EXPECTED/max_maps.out" && pass || {
		fail "max_maps $arch: differs from Linux:"
		diff "$EXPECTED/max_maps.out" "$tmp/out" | head
	}

	(cd "$root" && timeout 600 "$MMUSIM" run "$GUESTS/$arch/spread_maps" 1200 >"$tmp/out" 2>"$tmp/err")
	status=$?
	[ "$status" -eq 0 ] && pass || fail "spread_maps $arch: status $status: $(head -3 "$tmp/err")"
	echo "1200 mappings 32 MiB apart made, 0 pages wrong" | cmp -s - "$tmp/out" && pass ||
		fail "spread_maps $arch: $(cat "$tmp/out")"
done
finish hostile_host
