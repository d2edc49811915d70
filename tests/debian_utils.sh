#!/bin/sh
# Real static programs nobody here wrote, under mmusim: the statically
# linked executables Debian 12 ships (busybox-static, bash-static,
# zsh-static, sash, mksh, klibc-utils, gpgv-static, e2fsck-static,
# dar-static), each
# command of tests/data/debian-utils/commands run in a fresh sandbox root,
# its standard output and exit status compared byte for byte with what
# Linux gave (recorded natively for amd64 and under qemu-user for arm64,
# see tests/data/debian-utils/README).
#
#   tests/debian_utils.sh [-v] MMUSIM DIR [NAME...]
#
# DIR holds the packages unpacked for one architecture (what
# .ci/fetch-debian-utils makes: DIR/bin/busybox, ...); the architecture is
# read from DIR/bin/busybox. NAMEs pick cases (all by default). -v shows
# each failure's output difference and mmusim's standard error.
# Environment: MMUSIM_FLAGS, more options for `mmusim run` (e.g. --mode
# functional); DEBIAN_UTILS_TIMEOUT, seconds a case may take (30).
# Cases listed in tests/data/debian-utils/known-failures (what mmusim does
# not do yet, with the reason) are skipped and named, unless --all is
# given or they are named on the command line.
#
#   tests/debian_utils.sh --record DIR [NAME...]
#
# records the expected outputs instead: each command run by Linux itself,
# as root, under chroot(8) in the same kind of root (an arm64 DIR on an
# x86-64 machine needs a binfmt_misc entry for qemu-aarch64-static with
# the F and P flags, as tests/data/debian-utils/README says).
#
# Prints one line per case and then "N passed, M failed"; exits 1 when
# something failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
data=$here/data/debian-utils

verbose=0
record=0
all=0
while [ $# -gt 0 ]; do
	case $1 in
	-v) verbose=1; shift ;;
	--all) all=1; shift ;;
	--record) record=1; shift ;;
	*) break ;;
	esac
done
if [ "$record" = 1 ]; then
	[ $# -ge 1 ] || { echo "usage: $0 --record DIR [NAME...]" >&2; exit 2; }
	mmusim=
else
	[ $# -ge 2 ] || { echo "usage: $0 [-v] MMUSIM DIR [NAME...]" >&2; exit 2; }
	mmusim=$1
	shift
	case $mmusim in /*) ;; *) mmusim=$(pwd)/$mmusim ;; esac
	[ -x "$mmusim" ] || { echo "$0: $mmusim is not executable" >&2; exit 2; }
fi
dir=$1
shift
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac

# The programs, as bin/NAME in the root: NAME and its path below DIR.
PROGRAMS="busybox:bin/busybox sash:bin/sash bash:bin/bash-static zsh:bin/zsh-static lksh:bin/lksh
mksh-klibc:usr/lib/klibc/bin/mksh mksh-musl:usr/lib/*-linux-musl/bin/mksh mksh-diet:usr/lib/diet/bin/mksh
zcat:usr/lib/klibc/bin/zcat gpgv:usr/bin/gpgv-static
e2fsck:sbin/e2fsck.static dar:usr/bin/dar_static"

[ -f "$dir/bin/busybox" ] || { echo "$0: no $dir/bin/busybox (run .ci/fetch-debian-utils)" >&2; exit 2; }
# e_machine, bytes 18-19 of the ELF header: 0x3e x86-64, 0xb7 AArch64.
case $(od -A n -t x1 -j 18 -N 1 "$dir/bin/busybox" | tr -d ' ') in
3e) arch=amd64 ;;
b7) arch=arm64 ;;
*) echo "$0: $dir/bin/busybox is neither x86-64 nor AArch64" >&2; exit 2 ;;
esac
expect=$data/$arch

timeout=$(command -v timeout) || { echo "$0: needs timeout(1)" >&2; exit 2; }
if [ "$record" = 1 ]; then
	chroot=$(PATH=$PATH:/usr/sbin:/sbin command -v chroot) || { echo "$0: needs chroot(8)" >&2; exit 2; }
	[ "$(id -u)" = 0 ] || { echo "$0: --record needs root (chroot, mknod)" >&2; exit 2; }
	if [ "$arch" = arm64 ] && [ "$(uname -m)" != aarch64 ] &&
		! grep -qs 'magic 7f454c460201010000000000000000000200b700' /proc/sys/fs/binfmt_misc/*; then
		echo "$0: no binfmt_misc entry runs AArch64 programs (see tests/data/debian-utils/README)" >&2
		exit 2
	fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/debian-utils.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
umask 022

# The template root: small text files with fixed contents and times, and
# the programs in bin/.
tpl=$work/template
mkdir -p "$tpl/bin" "$tpl/d/sub"
printf 'hello world\n' >"$tpl/hello.txt"
printf 'banana\napple\ncherry\napple\ndate\nbanana\napple\n' >"$tpl/lines.txt"
printf '10\n2\n33\n4\n-5\n' >"$tpl/nums.txt"
printf 'name,qty,price\npear,3,1.20\nfig,12,0.35\n' >"$tpl/csv.txt"
printf 'a\na\nb\nc\nc\nc\n' >"$tpl/sorted.txt"
printf 'alpha\n' >"$tpl/d/a.txt"
printf 'beta\n' >"$tpl/d/b.txt"
printf 'gamma\n' >"$tpl/d/sub/c.txt"
mkdir "$tpl/l"
ln -s ../hello.txt "$tpl/l/rel"
ln -s /d/a.txt "$tpl/l/abs"
ln -s ../d "$tpl/l/dir"
# /dev/null, as every Linux system has it (mknod needs root).
mkdir "$tpl/dev"
if ! mknod -m 666 "$tpl/dev/null" c 1 3 2>/dev/null; then
	echo "$0: not root: no dev/null in the sandbox (the cases using it will fail)" >&2
fi
for p in $PROGRAMS; do
	name=${p%%:*}
	# shellcheck disable=SC2086 # the path may hold a glob
	for src in "$dir"/${p#*:}; do
		if [ -f "$src" ]; then
			cp "$src" "$tpl/bin/$name" && chmod 755 "$tpl/bin/$name"
			break
		fi
	done
done
# dar's gpgme wants a gpg engine (gpg --version, found on the default
# path /bin) and, without one and without a terminal, aborts: this
# stand-in only answers --version, enough for archives without encryption.
printf '#!/bin/busybox sh\necho "gpg (GnuPG) 2.2.40"\n' >"$tpl/bin/gpg" && chmod 755 "$tpl/bin/gpg"
find "$tpl" -exec env TZ=UTC0 touch -h -t 202405011200.00 {} +

if [ "$record" = 1 ]; then
	mkdir -p "$expect" || exit 2
	: >"$work/status"
fi

pass=0
fail=0
skip=0
failed=
while read -r name stdin rest; do
	case $name in '' | '#'*) continue ;; esac
	if [ $# -gt 0 ]; then
		want=0
		for n in "$@"; do [ "$n" = "$name" ] && want=1; done
		[ "$want" = 1 ] || continue
	elif [ "$all" = 0 ] && [ "$record" = 0 ]; then
		known=$(awk -v n="$name" '$1 == n { $1 = ""; sub(/^ +/, ""); print }' "$data/known-failures")
		if [ -n "$known" ]; then
			echo "skip $name: $known"
			skip=$((skip + 1))
			continue
		fi
	fi
	root=$work/root
	rm -rf "$root"
	cp -Rp "$tpl" "$root"
	in=/dev/null
	[ "$stdin" = - ] || in=$root/$stdin
	out=$work/$name.out
	err=$work/$name.err
	(
		eval "set -- $rest"
		prog=bin/$1
		shift
		cd "$root" || exit 125
		if [ "$record" = 1 ]; then
			exec env -i "$timeout" "${DEBIAN_UTILS_TIMEOUT:-30}" "$chroot" "$root" "$prog" "$@"
		else
			# shellcheck disable=SC2086 # MMUSIM_FLAGS: words
			exec env -i "$timeout" "${DEBIAN_UTILS_TIMEOUT:-30}" "$mmusim" run ${MMUSIM_FLAGS:-} --root "$root" "$prog" "$@"
		fi
	) <"$in" >"$out" 2>"$err"
	rc=$?
	if [ "$record" = 1 ]; then
		cp "$out" "$expect/$name.out"
		printf '%s %s\n' "$name" "$rc" >>"$work/status"
		echo "recorded $name: status $rc"
		continue
	fi
	if [ ! -f "$expect/$name.out" ]; then
		echo "FAIL $name: no expected output for $arch"
		fail=$((fail + 1))
		failed="$failed $name"
		continue
	fi
	want_rc=$(awk -v n="$name" '$1 == n { print $2 }' "$expect/status")
	why=
	cmp -s "$out" "$expect/$name.out" || why="output differs"
	[ "$rc" = "$want_rc" ] || why="${why:+$why, }status $rc, expected $want_rc"
	if [ -z "$why" ]; then
		echo "ok   $name"
		pass=$((pass + 1))
		continue
	fi
	enosys=$(sed -n 's/^mmusim: system call \(.*\) is not implemented: -ENOSYS$/\1/p' "$err" | tr '\n' ',' | sed 's/,$//; s/,/, /g')
	[ -z "$enosys" ] || why="$why; ENOSYS: $enosys"
	echo "FAIL $name: $why"
	if [ "$verbose" = 1 ]; then
		diff -u "$expect/$name.out" "$out" | sed 's/^/    /' | head -n 40
		sed 's/^/    stderr: /' "$err" | head -n 20
	fi
	fail=$((fail + 1))
	failed="$failed $name"
done <"$data/commands"

if [ "$record" = 1 ]; then
	if [ $# -gt 0 ] && [ -f "$expect/status" ]; then
		# Keep the other cases' statuses.
		awk 'NR == FNR { new[$1] = 1; print; next } !($1 in new)' "$work/status" "$expect/status" >"$work/merged"
		mv "$work/merged" "$work/status"
	fi
	LC_ALL=C sort "$work/status" >"$expect/status"
	exit 0
fi
[ -z "$failed" ] || echo "failed ($arch):$failed"
echo "$pass passed, $fail failed, $skip known failures skipped"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
