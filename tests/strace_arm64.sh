#!/bin/sh
# The arm64 side of docs/syscalls.md's corpus, by hand: every command of
# tests/data/debian-utils/commands run by debian_utils.sh with
# qemu-aarch64 standing in for mmusim, and the real programs (lua_run,
# compress_trip, sqlite_work), each with qemu's system-call log on
# (QEMU_LOG=strace, one file per process: children exec'd through a
# private binfmt_misc handler log too). Prints the system calls made and
# the fcntl, ioctl and prctl commands, sorted; the table "The arm64
# corpus" in docs/syscalls.md is made from this.
#
#   tests/strace_arm64.sh DEBIAN_UTILS_ARM64_DIR REAL_PROGRAMS_ARM64_DIR
#
# (build/debian-utils/arm64 and build/real-programs/arm64, made by
# .ci/fetch-debian-utils and .ci/fetch-real-programs.) Needs qemu-aarch64
# and unprivileged user namespaces with binfmt_misc (Linux 6.7 or later),
# as guests/run-native.sh does. Writes only below $TMPDIR.
set -u
here=$(cd "$(dirname "$0")" && pwd)
utils=$(cd "$1" && pwd) progs=$(cd "$2" && pwd) || exit 2
qemu=$(command -v qemu-aarch64) || { echo "$0: qemu-aarch64 not found" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/strace-arm64.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
mkdir "$work/logs" "$work/run"
# Stands in for mmusim: "run [options] --root ROOT PROGRAM ARGS...".
cat >"$work/qwrap" <<EOF
#!/bin/sh
shift
while [ \$# -gt 0 ]; do
	case \$1 in
	--root) root=\$2; shift 2 ;;
	--*) shift ;;
	*) break ;;
	esac
done
cd "\$root" || exit 2
export QEMU_LOG=strace QEMU_LOG_FILENAME=$work/logs/s-%d.log
exec "$qemu" "\$@"
EOF
chmod +x "$work/qwrap"
# The magic and mask of qemu's scripts/qemu-binfmt-conf.sh; F: qemu is
# opened now, so exec in any directory finds it.
rule=':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'"$qemu"':F'
# shellcheck disable=SC2016 # $BINFMT_RULE and $@ expand in the inner sh
BINFMT_RULE="$rule" unshare -Urm sh -c '
	mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc &&
	printf "%s" "$BINFMT_RULE" >/proc/sys/fs/binfmt_misc/register || exit 125
	exec "$@"' sh sh "$here/debian_utils.sh" --all "$work/qwrap" "$utils" >"$work/utils.out" 2>&1
[ $? -eq 125 ] && { echo "$0: no private binfmt_misc handler could be set up" >&2; exit 2; }
for name in lua_run compress_trip sqlite_work; do
	(cd "$work/run" && QEMU_LOG=strace QEMU_LOG_FILENAME=$work/logs/r-$name-%d.log \
		timeout 300 "$qemu" "$progs/$name" >/dev/null 2>&1)
done
# "PID name(args) = result"; qemu 7.2 does not know rseq (293) by name.
cat "$work"/logs/* | sed -n -e 's/^[0-9]* \([a-z_0-9]*\)(.*/\1/p' -e 's/^[0-9]* Unknown syscall 293$/rseq/p' |
	sort -u | sed 's/^/call /'
cat "$work"/logs/* | sed -n -E -e 's/^[0-9]+ (fcntl|ioctl)\([0-9]+,([A-Za-z_0-9]+).*/\1 \2/p' \
	-e 's/^[0-9]+ prctl\(([0-9]+),.*/prctl \1/p' | sort -u
