#!/bin/sh
# Runs every guest program outside mmusim — the x86-64 build natively, the
# AArch64 build under qemu-aarch64 — each in a fresh temporary directory,
# and compares its standard output and exit status (as the shell reports
# it: 139 for a SIGSEGV death) with guests/expected/<name>.out and .status.
# A check a developer runs by hand, after building:
#
#   guests/run-native.sh [BUILD_DIR] [--update]
#
# BUILD_DIR defaults to build/ next to guests/. --update first rewrites
# the expected files from the x86-64 runs, then checks both architectures
# against them. Needs qemu-aarch64 (Debian: apt-get install qemu-user).
#
# The AArch64 execve and cloexec guests exec /proc/self/exe, which qemu-aarch64 turns
# into an exec of the AArch64 binary itself; the host kernel runs that only
# if binfmt_misc has a qemu-aarch64 handler (Debian: qemu-user-binfmt).
# Without one, that run happens in a new user and mount namespace with a
# private binfmt_misc instance holding the handler (Linux 6.7 or later,
# unprivileged user namespaces allowed; the host's handlers are not
# touched), and if that cannot be set up it is reported as skipped.
#
# Prints one line per run and "N passed, M failed" (and K skipped); exits
# 0 if nothing failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
build="$here/../build"
update=0
for arg in "$@"; do
	case "$arg" in
	--update) update=1 ;;
	-h|--help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "run-native.sh: unknown option $arg" >&2; exit 2 ;;
	*) build="$arg" ;;
	esac
done
# Absolute, since each guest runs in its own directory.
abs=$(cd "$build" 2>/dev/null && pwd) || { echo "run-native.sh: no build directory $build" >&2; exit 2; }
build=$abs
bin="$build/guests"
expected="$here/expected"

if ! command -v qemu-aarch64 >/dev/null 2>&1; then
	echo "run-native.sh: qemu-aarch64 not found (Debian: apt-get install qemu-user)" >&2
	exit 2
fi
for arch in x86_64 aarch64; do
	if [ ! -d "$bin/$arch" ]; then
		echo "run-native.sh: $bin/$arch missing; build first (cmake --build $build)" >&2
		exit 2
	fi
done
# Guard against a hung guest if coreutils' timeout is there; it reports a
# signal death as 128 + signal, as the shell does.
tmo=""
command -v timeout >/dev/null 2>&1 && tmo="timeout 60"
qemu=$(command -v qemu-aarch64)

# private_binfmt CMD...: runs CMD in a new user and mount namespace whose
# own binfmt_misc instance runs AArch64 ELF files with qemu-aarch64 (the
# magic and mask are those of qemu's scripts/qemu-binfmt-conf.sh).
binfmt_rule=':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'"$qemu"':F'
private_binfmt() {
	# shellcheck disable=SC2016 # $BINFMT_RULE and $@ expand in the inner sh
	BINFMT_RULE="$binfmt_rule" unshare -Urm sh -c '
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc &&
		printf "%s" "$BINFMT_RULE" >/proc/sys/fs/binfmt_misc/register || exit 125
		exec "$@"' sh "$@"
}
# How to run the AArch64 execve guest: plainly if the host has a handler,
# else in a private binfmt_misc namespace if that works, else not at all.
exec_wrap=""
if ! grep -qs '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64; then
	if command -v unshare >/dev/null 2>&1 && private_binfmt true 2>/dev/null; then
		exec_wrap=private_binfmt
	else
		exec_wrap=skip
	fi
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/mmusim-guests.XXXXXX") || exit 2
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' HUP INT PIPE TERM

passed=0
failed=0
skipped=0
for src in "$here"/*.c; do
	name=$(basename "$src" .c)
	for arch in x86_64 aarch64; do
		exe="$bin/$arch/$name"
		wrap="" pre="" t=$tmo
		if [ "$arch" = aarch64 ] && { [ "$name" = execve ] || [ "$name" = cloexec ]; }; then
			wrap=$exec_wrap
			if [ "$wrap" = skip ]; then
				echo "skip  $arch $name (no binfmt_misc handler for AArch64, and no private one could be set up)"
				skipped=$((skipped + 1))
				continue
			fi
		fi
		# Hostile guests that a native run cannot show: a real fork or
		# memory bomb on this host. Their expected/ files follow Linux's
		# answer (EAGAIN at RLIMIT_NPROC, the OOM killer).
		case $name in
		fork_bomb|memory_bomb)
			echo "skip  $arch $name (not run natively: see the comment in $name.c)"
			skipped=$((skipped + 1))
			continue ;;
		esac
		# The sandbox is chroot(2)'s namespace: the x86-64 guest runs in a
		# chroot of its empty directory (as root, or as root of a new user
		# namespace); qemu-aarch64 has no place inside one.
		if [ "$name" = sandbox_escape ]; then
			if [ "$arch" = aarch64 ]; then
				echo "skip  $arch $name (qemu-aarch64 cannot run inside the chroot; x86-64 is the reference)"
				skipped=$((skipped + 1))
				continue
			fi
			wrap="chroot $scratch/$arch-$name/root"
			[ "$(id -u)" = 0 ] || wrap="unshare -r $wrap"
			pre=$tmo t=""   # timeout is outside the chroot
			exe=/$name
		fi
		# qemu-user gives its guest a fixed stack and ignores RLIMIT_STACK;
		# the x86-64 run on the real kernel is the reference.
		# qemu-user implements mremap itself, and answers a zero new
		# length with ENOMEM where Linux says EINVAL.
		if [ "$arch" = aarch64 ] && [ "$name" = mremap ]; then
			echo "skip  $arch $name (qemu-user's own mremap differs from Linux's)"
			skipped=$((skipped + 1))
			continue
		fi
		# qemu-user's /proc is the host's: its own threads are in task/.
		if [ "$arch" = aarch64 ] && [ "$name" = procfs_task ]; then
			echo "skip  $arch $name (qemu-user's /proc shows qemu's own threads)"
			skipped=$((skipped + 1))
			continue
		fi
		# qemu-user answers set_robust_list with ENOSYS: no robust lists.
		if [ "$arch" = aarch64 ] && [ "$name" = robust_mutex ]; then
			echo "skip  $arch $name (qemu-user has no robust futex lists)"
			skipped=$((skipped + 1))
			continue
		fi
		if [ "$arch" = aarch64 ] && [ "$name" = rlimits ]; then
			echo "skip  $arch $name (qemu-user does not honour RLIMIT_STACK)"
			skipped=$((skipped + 1))
			continue
		fi
		if [ ! -x "$bin/$arch/$name" ]; then
			echo "FAIL  $arch $name: $bin/$arch/$name not built"
			failed=$((failed + 1))
			continue
		fi
		dir="$scratch/$arch-$name"
		mkdir "$dir" "$dir/root"   # the program runs in an empty root/: what it lists is what it made
		[ "$exe" = "/$name" ] && cp "$bin/$arch/$name" "$dir/root/"
		run=""
		[ "$arch" = aarch64 ] && run="qemu-aarch64"
		# The outer braces silence the shell's "Segmentation fault" notices;
		# $pre, $wrap, $t and $run are empty or words to split.
		# shellcheck disable=SC2086,SC3045
		{
			(cd "$dir/root" && { ulimit -c 0 2>/dev/null || :; } && $pre $wrap $t $run "$exe") \
				</dev/null >"$dir/stdout" 2>"$dir/stderr"
			status=$?
		} 2>/dev/null
		echo "$status" >"$dir/status"
		if [ $update -eq 1 ] && [ "$arch" = x86_64 ]; then
			cp "$dir/stdout" "$expected/$name.out"
			cp "$dir/status" "$expected/$name.status"
		fi
		want="$expected/$name.out"
		# qemu-user catches every host signal itself: /proc's SigCgt is
		# qemu's, not the guest's; the other Sig* fields are compared.
		if [ "$arch" = aarch64 ] && [ "$name" = sig_threads ] && [ -f "$want" ]; then
			sed 's/ SigCgt: [0-9a-f]*//' "$want" >"$dir/want"
			sed -i 's/ SigCgt: [0-9a-f]*//' "$dir/stdout"
			want="$dir/want"
		fi
		# qemu-user writes waitid's siginfo only when the call succeeds, and
		# then the whole of it: its waitid lines are compared up to the
		# siginfo, and the line whose answer is that write's EFAULT not at all.
		if [ "$arch" = aarch64 ] && [ "$name" = calls_copy ] && [ -f "$want" ]; then
			sed -e '/^waitid/s/, signo .*//' -e '/^waitid bad infop, no child/d' "$want" >"$dir/want"
			sed -i -e '/^waitid/s/, signo .*//' -e '/^waitid bad infop, no child/d' "$dir/stdout"
			want="$dir/want"
		fi
		if [ ! -f "$expected/$name.out" ] || [ ! -f "$expected/$name.status" ]; then
			echo "FAIL  $arch $name: no $expected/$name.out or .status (try --update)"
			failed=$((failed + 1))
		elif cmp -s "$dir/stdout" "$want" &&
		     [ "$status" = "$(cat "$expected/$name.status")" ]; then
			echo "ok    $arch $name"
			passed=$((passed + 1))
		else
			echo "FAIL  $arch $name: exit status $status, expected $(cat "$expected/$name.status")"
			diff -u "$want" "$dir/stdout" | sed 's/^/      /'
			if [ -s "$dir/stderr" ]; then
				echo "      stderr:"
				sed 's/^/      /' "$dir/stderr"
			fi
			failed=$((failed + 1))
		fi
	done
done

if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed ($skipped skipped)"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
