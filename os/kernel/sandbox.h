/* The sandboxed file namespace guests and traces see: a module of its own
 * below the services, public for its tests (tests/test_sandbox.c).
 *
 * Host files below one root directory, as chroot(2) makes them: a guest
 * absolute path "/a/b" means ROOT/a/b, a relative path is relative to a
 * directory inside the root (the current directory, or a directory
 * descriptor). Every path is resolved by the kernel with openat2(2) and
 * RESOLVE_NO_MAGICLINKS, with RESOLVE_IN_ROOT from the root or
 * RESOLVE_BENEATH from a directory inside it, so nothing outside the root
 * is ever followed, opened, created or removed:
 *   - ".." of the root is the root, and an absolute symlink starts at the
 *     root, as under chroot: a path that would climb out stays at the top
 *     (an unpacked Debian tree's /lib64/ld-linux-x86-64.so.2, an absolute
 *     link, works as its root);
 *   - /proc "magic links" are refused by the kernel with -ELOOP (it does
 *     not tell them apart from symlink loops; they cannot occur unless a
 *     procfs is mounted below the root);
 *   - every other failure is the host call's own, as -errno.
 * sandbox_open fails if the kernel has no openat2 (before 5.6, or a
 * seccomp filter that hides it); it never falls back to weaker checks.
 *
 * Conventions, meant for the Linux system-call layer to sit on directly:
 *   - Results are >= 0 or -errno, like the raw system calls.
 *   - `dirfd` is SANDBOX_CWD (the sandbox's current directory, what the
 *     guest's AT_FDCWD means) or a HOST directory descriptor this sandbox
 *     returned (sandbox_openat, possibly O_PATH). The caller maps guest
 *     descriptors to host ones; a descriptor from elsewhere would let paths
 *     resolve below it. An absolute path ignores dirfd.
 *   - `flags` are HOST values (O_*, AT_*): the caller converts the guest
 *     architecture's open flags (arm64 and x86-64 differ in O_DIRECTORY,
 *     O_NOFOLLOW, O_DIRECT and O_LARGEFILE).
 *   - Host descriptors returned are always O_CLOEXEC; the guest's
 *     close-on-exec flag is the caller's bookkeeping.
 *
 * The current directory is a host O_PATH descriptor, not a string: it
 * follows the directory through renames, as Linux's does, and getcwd reads
 * its path back from the kernel (/proc/self/fd, checked at sandbox_open).
 * The sandbox's own (SANDBOX_CWD) is where a run starts; a process that
 * changes directory keeps its own descriptor (sandbox_dir_at, dup'ed on
 * fork: os/kernel/cwd.c), passes it as dirfd where the guest says
 * AT_FDCWD, and gets its getcwd from sandbox_fdpath.
 *
 * Operations on a final component that Linux does not look up (unlink,
 * rmdir, mkdir, rename) resolve the parent directory with openat2 and act
 * on the name with the *at call, which never follows it. A final "." or
 * ".." (or the root itself) gets Linux's answer without any lookup:
 *   unlink  -> -EISDIR
 *   rmdir   -> "." -EINVAL, ".." -ENOTEMPTY, "/" -EBUSY
 *   mkdir   -> -EEXIST
 *   rename  -> -EBUSY (a new name with RENAME_NOREPLACE: -EEXIST)
 * Trailing slashes keep their Linux meaning ("file/" -> -ENOTDIR).
 * stat, readlink, access and chdir open the whole path O_PATH (with
 * O_NOFOLLOW where the call does not follow) and act on that descriptor,
 * so "." and ".." inside the root work as usual. */
#ifndef MMUSIM_SANDBOX_H
#define MMUSIM_SANDBOX_H

#include <fcntl.h>
#include <stddef.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <stdint.h>
#include <sys/types.h>

#define SANDBOX_CWD AT_FDCWD
/* The only mode bits a file or directory the sandbox creates or chmods
 * gets on the host: never set-user-ID, set-group-ID, sticky, or writable
 * by group or others (the host files belong to whoever runs mmusim). The
 * caller keeps the mode it was asked for, if it wants to show it. */
#define SANDBOX_HOST_MODE 0755u

struct sandbox;

/* `root` must be an existing directory (NULL: "."); it is opened once, so
 * later renames of it on the host do not matter. NULL with a one-line
 * reason in `err` on failure. The current directory starts at the root. */
struct sandbox *sandbox_open(const char *root, char *err, size_t errlen);
void sandbox_close(struct sandbox *s);
/* The root's canonical absolute host path, as it was when opened. */
const char *sandbox_root(const struct sandbox *s);

/* openat(2): a host descriptor or -errno. `mode` is used only with O_CREAT
 * or O_TMPFILE (masked to SANDBOX_HOST_MODE, as mkdir and chmod are). O_CREAT never creates outside the root,
 * not even through a dangling symlink. */
int sandbox_openat(struct sandbox *s, int dirfd, const char *path, int flags, unsigned mode);

/* newfstatat(2): flags AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH (with an empty
 * path: dirfd itself, or the current directory for SANDBOX_CWD),
 * AT_NO_AUTOMOUNT. For statx, open an O_PATH descriptor with
 * sandbox_openat and call statx(fd, "", AT_EMPTY_PATH, ...) on it. */
int sandbox_stat(struct sandbox *s, int dirfd, const char *path, struct stat *st, int flags);
/* readlinkat(2): bytes placed in buf (not terminated), -EINVAL if the path
 * is not a symlink or len is 0. Targets are returned as stored: an
 * absolute target reads as the guest would see it under chroot. */
ssize_t sandbox_readlink(struct sandbox *s, int dirfd, const char *path, char *buf, size_t len);
/* faccessat2(2): mode F_OK or R_OK|W_OK|X_OK; flags AT_EACCESS,
 * AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
int sandbox_access(struct sandbox *s, int dirfd, const char *path, int mode, int flags);

/* unlinkat(2); flags 0 or AT_REMOVEDIR. */
int sandbox_unlink(struct sandbox *s, int dirfd, const char *path, int flags);
/* mkdirat(2). */
int sandbox_mkdir(struct sandbox *s, int dirfd, const char *path, unsigned mode);
/* fchmodat(2) (flags AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH), utimensat(2)
 * (ts NULL: now; UTIME_NOW / UTIME_OMIT as the call), linkat(2) (flags
 * AT_SYMLINK_FOLLOW, AT_EMPTY_PATH). */
int sandbox_chmod(struct sandbox *s, int dirfd, const char *path, unsigned mode, int flags);
int sandbox_utimens(struct sandbox *s, int dirfd, const char *path, const struct timespec ts[2], int flags);
int sandbox_link(struct sandbox *s, int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags);
/* symlinkat(2): a link at path holding target (any text). */
int sandbox_symlink(struct sandbox *s, const char *target, int dirfd, const char *path);
/* renameat2(2): flags 0, RENAME_NOREPLACE, RENAME_EXCHANGE (renameat is 0).
 * A symlink is renamed itself, never its target. */
int sandbox_rename(struct sandbox *s, int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
		   unsigned flags);

/* chdir(2) / fchdir(2) of the sandbox's current directory: the target must
 * be a directory inside the root with search permission. */
int sandbox_chdir(struct sandbox *s, int dirfd, const char *path);
int sandbox_fchdir(struct sandbox *s, int fd);
/* The directory chdir(2) / fchdir(2) would move to, checked as they check
 * it, as a new O_PATH host descriptor (or -errno): a process's own working
 * directory. */
int sandbox_dir_at(struct sandbox *s, int dirfd, const char *path);
int sandbox_dir_of(struct sandbox *s, int fd);
/* getcwd(2): the guest path ("/" or "/a/b") in buf; returns its length
 * including the NUL as the system call does, -ERANGE if len is too small,
 * -ENOENT if the directory was removed. */
int sandbox_getcwd(struct sandbox *s, char *buf, size_t len);
/* The guest path of any host descriptor below the root (what
 * /proc/self/fd/N would show the guest), same returns as sandbox_getcwd;
 * -EACCES if it is not below the root. */
int sandbox_fdpath(struct sandbox *s, int fd, char *buf, size_t len);
/* Whether a host descriptor is the sysroot's (read-only to the guest). */
bool sandbox_fd_in_lower(struct sandbox *s, int fd);
/* The sysroot (NULL: none): a read-only lower layer under the root, as
 * an overlay without copy-up. A lookup that only reads (open O_RDONLY,
 * stat, readlink, access, chdir) tries the root first and, where it says
 * ENOENT, the sysroot, resolved with RESOLVE_IN_ROOT (a chroot's rules:
 * absolute symlinks inside it stay inside it; nothing above it is
 * reachable). Nothing in the sysroot is ever written: opening for write,
 * creating, unlinking, renaming, chmod of a name only the sysroot has, or
 * relative to a sysroot directory, is -EROFS. A directory present in both
 * lists only the root's entries (no merged readdir). 0, or -1 with a
 * one-line reason in err. */
int sandbox_set_lower(struct sandbox *s, const char *dir, char *err, size_t errlen);
/* What the guest's names take of the host disk (its data is the page
 * cache's business): told to `grew` in bytes of blocks, measured with
 * fstat before and after, for the directory mkdir makes and the parent
 * directories mkdir, symlink, link and a creating open grow (negative:
 * freed). A file whose
 * last name unlink or a replacing rename removes is handed over as `gone`
 * (its blocks go with its last descriptor, which the caller may hold).
 * Opens with O_CREAT measure the parent too. A new name (mkdir, symlink,
 * O_CREAT of a file that is not there) is -ENOSPC while `full` says so,
 * as on a full file system. NULL functions: nothing measured. */
struct sandbox_usage {
	void (*grew)(void *ctx, int64_t bytes);
	void (*gone)(void *ctx, const struct stat *st);
	bool (*full)(void *ctx);
	void *ctx;
};
void sandbox_set_usage(struct sandbox *s, const struct sandbox_usage *u);

/* The current directory's host descriptor (borrowed: valid until the next
 * chdir or close), for getdents64-style use by the caller. */
int sandbox_cwd_fd(const struct sandbox *s);

#endif
