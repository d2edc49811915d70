/* The sandboxed file namespace (see sandbox.h): every path goes through
 * openat2(2) with RESOLVE_IN_ROOT (from the root) or RESOLVE_BENEATH (from
 * a directory inside it), and RESOLVE_NO_MAGICLINKS, so the kernel itself
 * keeps every step inside, symlinks included. An optional sysroot below it
 * is read-only (sandbox.h). */
#include "os/kernel/sandbox.h"

#include <errno.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct sandbox {
	int root;                 /* O_PATH descriptor of the root directory */
	int cwd;                  /* O_PATH descriptor of the current directory, below root */
	char root_path[PATH_MAX]; /* canonical host path of root when opened */
	int lower;                /* O_PATH descriptor of the sysroot, or -1 */
	char lower_path[PATH_MAX];
	struct sandbox_usage usage;   /* sandbox_set_usage; zero: none */
};

void sandbox_set_usage(struct sandbox *s, const struct sandbox_usage *u)
{
	s->usage = *u;
}

/* Blocks of `name` in dirfd (dirfd itself for NULL), in bytes. */
static int64_t blocks_at(int dirfd, const char *name)
{
	struct stat st;
	int r = name ? fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) : fstat(dirfd, &st);
	return r ? 0 : (int64_t)st.st_blocks * 512;
}

static bool usage_full(const struct sandbox *s)
{
	return s->usage.full && s->usage.full(s->usage.ctx);
}

/* What a name made in directory pfd took: the parent's growth since
 * `parent_before`, and the new object's own blocks when `name` is given. */
static void usage_grew(const struct sandbox *s, int pfd, int64_t parent_before, const char *name)
{
	if (s->usage.grew)
		s->usage.grew(s->usage.ctx, blocks_at(pfd, NULL) - parent_before + (name ? blocks_at(pfd, name) : 0));
}

/* The file or directory `name` in pfd, before it is removed or replaced:
 * *st filled when its blocks go with this name (its last one). */
static bool last_name(const struct sandbox *s, int pfd, const char *name, struct stat *st)
{
	if (!s->usage.gone || fstatat(pfd, name, st, AT_SYMLINK_NOFOLLOW))
		return false;
	return S_ISDIR(st->st_mode) || st->st_nlink == 1;
}

#define RESOLVE_SANDBOX (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
/* The root and the sysroot are looked up as a chroot would: absolute
 * symlinks inside (the host's /lib64/ld-linux-x86-64.so.2) mean paths
 * below them, and ".." of the top is the top. */
#define RESOLVE_CHROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t len, const char *fmt, ...)
{
	if (!err || !len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* openat2 below `dirfd`: a descriptor or -errno. EAGAIN means the kernel
 * saw a concurrent rename or mount while checking ".." and could not vouch
 * for the result; the man page suggests retrying. */
static int openat2_how(int dirfd, const char *path, int flags, unsigned mode, uint64_t resolve)
{
	struct open_how how = {.flags = (uint64_t)(unsigned)flags, .mode = mode, .resolve = resolve};
	for (int tries = 0;; tries++) {
		long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
		if (fd >= 0)
			return (int)fd;
		if (errno != EAGAIN || tries == 16)
			return -errno;
	}
}

static int openat2_beneath(int dirfd, const char *path, int flags, unsigned mode)
{
	return openat2_how(dirfd, path, flags, mode, RESOLVE_SANDBOX);
}

static int base_of(const struct sandbox *s, int dirfd)
{
	return dirfd == SANDBOX_CWD ? s->cwd : dirfd;
}

/* The kernel's name for a descriptor's file (readlink of /proc/self/fd/N). */
static int host_path(int fd, char *buf, size_t len)
{
	char link[40];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, len);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return (int)n;
}

/* The path of `fd` relative to the root, without a leading slash ("" for
 * the root itself), into out[len]. -EACCES when fd is not below the root,
 * -ENOENT when its file has been removed. */
static int rel_path_in(int rootfd, int fd, char *out, size_t len)
{
	char root[PATH_MAX], path[PATH_MAX];
	int rn = host_path(rootfd, root, sizeof root);
	if (rn < 0)
		return rn;
	int pn = host_path(fd, path, sizeof path);
	if (pn < 0)
		return pn;
	const char *rel;
	if (rn == 1 && root[0] == '/') {
		if (path[0] != '/')
			return -EACCES;
		rel = path + 1;
	} else {
		if (strncmp(path, root, (size_t)rn) != 0 || (path[rn] != '/' && path[rn] != '\0'))
			return -EACCES;
		rel = path + rn + (path[rn] == '/');
	}
	/* A removed file's name carries " (deleted)"; Linux's getcwd says ENOENT. */
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_nlink == 0)
		return -ENOENT;
	size_t n = strlen(rel);
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(out, rel, n + 1);
	return (int)n;
}

static int rel_path(const struct sandbox *s, int fd, char *out, size_t len)
{
	return rel_path_in(s->root, fd, out, len);
}

/* The guest's path of `fd` (as rel_path): below the root, or else below
 * the sysroot, which the guest sees at the same place. */
static int guest_rel_path(const struct sandbox *s, int fd, char *out, size_t len)
{
	int n = rel_path(s, fd, out, len);
	if (n == -EACCES && s->lower >= 0)
		n = rel_path_in(s->lower, fd, out, len);
	return n;
}

/* "DIR/p" in joined (room for PATH_MAX), where DIR is the n bytes already
 * there (n < 0: the error that left none): 0 or -errno. */
static int join_path(char *joined, int n, const char *p)
{
	size_t plen = strlen(p);
	if (n < 0)
		return n;
	if ((size_t)n + 1 + plen >= PATH_MAX)
		return -ENAMETOOLONG;
	if (n > 0)
		joined[n++] = '/';
	memcpy(joined + n, p, plen + 1);
	return 0;
}

/* Relative path p of directory base, looked up from `top` (the root or
 * the sysroot) with base's guest path in front, as chroot would. */
static int open_from_top(const struct sandbox *s, int top, int base, const char *p, int flags, unsigned mode)
{
	char *joined = malloc(2 * PATH_MAX);
	if (!joined)
		return -ENOMEM;
	int fd = join_path(joined, guest_rel_path(s, base, joined, PATH_MAX), p);
	if (fd == 0)
		fd = openat2_how(top, joined, flags, mode, RESOLVE_CHROOT);
	free(joined);
	return fd;
}

/* Open a guest path as chroot(2) would: absolute paths and absolute
 * symlinks start at the root, and ".." of the root is the root. A
 * relative path is looked up beneath dirfd (IN_ROOT there would make
 * dirfd the top); where it climbs above dirfd or meets an absolute
 * symlink (EXDEV), again from the root with dirfd's own path in front. */
static int resolve(const struct sandbox *s, int dirfd, const char *path, int flags, unsigned mode)
{
	int base = base_of(s, dirfd);
	const char *p = path;
	if (*p == '/') {
		while (*p == '/')
			p++;
		return openat2_how(s->root, *p ? p : ".", flags, mode, RESOLVE_CHROOT);
	}
	int fd = openat2_beneath(base, p, flags, mode);
	if (fd == -EXDEV)
		fd = open_from_top(s, s->root, base, p, flags, mode);
	return fd == -EXDEV ? -EACCES : fd;
}

/* ---- The sysroot: a read-only lower layer -------------------------------- */
/* Whether host descriptor fd lies below the writable root (a removed
 * directory still does, by its old name). */
static bool in_upper(const struct sandbox *s, int fd)
{
	char rel[PATH_MAX];
	int r = rel_path(s, fd, rel, sizeof rel);
	return r >= 0 || r == -ENOENT;
}

/* Writes resolve from the root or from a directory below it: a directory
 * descriptor (or current directory) of the sysroot is no base for them. */
static int writable_base(const struct sandbox *s, int dirfd, const char *path)
{
	if (*path == '/' || s->lower < 0)
		return 0;
	return in_upper(s, base_of(s, dirfd)) ? 0 : -EROFS;
}

/* `path` looked up in the sysroot: absolute paths from its top, relative
 * ones from where dirfd is (below the root or below the sysroot). */
static int resolve_lower(const struct sandbox *s, int dirfd, const char *path, int flags)
{
	if (s->lower < 0)
		return -ENOENT;
	const char *p = path;
	while (*p == '/')
		p++;
	if (*path == '/')
		return openat2_how(s->lower, *p ? p : ".", flags, 0, RESOLVE_CHROOT);
	return open_from_top(s, s->lower, base_of(s, dirfd), p, flags, 0);
}

static bool exists_lower(const struct sandbox *s, int dirfd, const char *path)
{
	int fd = resolve_lower(s, dirfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Whether the directory a new name would go in is the sysroot's alone. */
static bool parent_lower(const struct sandbox *s, int dirfd, const char *path)
{
	char *parent = strdup(path);
	if (!parent)
		return false;
	char *slash = strrchr(parent, '/');
	bool r;
	if (!slash)
		r = false;   /* a name in dirfd itself: writable_base decided */
	else {
		slash[slash == parent] = '\0';   /* "/x" -> "/" */
		r = exists_lower(s, dirfd, parent);
	}
	free(parent);
	return r;
}

/* A lookup that only reads: the root first, then the sysroot. */
static int resolve_read(const struct sandbox *s, int dirfd, const char *path, int flags)
{
	int fd = resolve(s, dirfd, path, flags, 0);
	if (fd != -ENOENT || s->lower < 0)
		return fd;
	int lfd = resolve_lower(s, dirfd, path, flags);
	return lfd == -ENOENT ? fd : lfd;
}

/* A lookup that writes: only the root. A name the sysroot alone has is
 * read-only (EROFS), as on a read-only mount: nothing is copied up. */
static int resolve_write(const struct sandbox *s, int dirfd, const char *path, int flags, unsigned mode)
{
	int r = writable_base(s, dirfd, path);
	if (r)
		return r;
	int fd = resolve(s, dirfd, path, flags, mode);
	if (fd == -ENOENT && s->lower >= 0 && (exists_lower(s, dirfd, path) || ((flags & O_CREAT) && parent_lower(s, dirfd, path))))
		return -EROFS;
	return fd;
}

int sandbox_set_lower(struct sandbox *s, const char *dir, char *err, size_t errlen)
{
	int fd = -1;
	if (dir) {
		fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			set_err(err, errlen, "sysroot %s: %s", dir, strerror(errno));
			return -1;
		}
		int n = host_path(fd, s->lower_path, sizeof s->lower_path);
		if (n < 0) {
			set_err(err, errlen, "sysroot %s: cannot read its path: %s", dir, strerror(-n));
			close(fd);
			return -1;
		}
	}
	if (s->lower >= 0)
		close(s->lower);
	s->lower = fd;
	return 0;
}

/* ---- Opening and closing ------------------------------------------------ */
struct sandbox *sandbox_open(const char *root, char *err, size_t errlen)
{
	if (!root)
		root = ".";
	struct sandbox *s = calloc(1, sizeof *s);
	if (!s) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	s->lower = -1;
	s->root = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->root < 0) {
		set_err(err, errlen, "sandbox root %s: %s", root, strerror(errno));
		free(s);
		return NULL;
	}
	s->cwd = openat2_beneath(s->root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (s->cwd == -ENOSYS) {
		set_err(err, errlen, "openat2(2) is not available (Linux 5.6 or later, not hidden by seccomp, is "
			"needed): refusing to sandbox %s without RESOLVE_BENEATH", root);
		goto fail;
	}
	if (s->cwd < 0) {
		set_err(err, errlen, "sandbox root %s: openat2: %s", root, strerror(-s->cwd));
		goto fail;
	}
	int n = host_path(s->root, s->root_path, sizeof s->root_path);
	if (n < 0 || s->root_path[0] != '/') {
		set_err(err, errlen, "sandbox root %s: cannot read its path from /proc/self/fd (is /proc mounted?): %s",
			root, n < 0 ? strerror(-n) : "not a reachable path");
		goto fail;
	}
	return s;
fail:
	if (s->cwd >= 0)
		close(s->cwd);
	close(s->root);
	free(s);
	return NULL;
}

void sandbox_close(struct sandbox *s)
{
	if (!s)
		return;
	close(s->cwd);
	close(s->root);
	if (s->lower >= 0)
		close(s->lower);
	free(s);
}

const char *sandbox_root(const struct sandbox *s)
{
	return s->root_path;
}

int sandbox_cwd_fd(const struct sandbox *s)
{
	return s->cwd;
}

static int create_measured(const struct sandbox *s, int dirfd, const char *path, int flags, unsigned mode);

int sandbox_openat(struct sandbox *s, int dirfd, const char *path, int flags, unsigned mode)
{
	bool creates = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
	/* openat ignores other flags with O_PATH; openat2 would say EINVAL. */
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW;
	bool writes = creates || (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
	if (!writes)
		return resolve_read(s, dirfd, path, flags | O_CLOEXEC);
	if ((flags & O_CREAT) && (s->usage.grew || s->usage.full))
		return create_measured(s, dirfd, path, flags | O_CLOEXEC, mode & SANDBOX_HOST_MODE);
	return resolve_write(s, dirfd, path, flags | O_CLOEXEC, creates ? mode & SANDBOX_HOST_MODE : 0);
}

/* ---- Looking at a path -------------------------------------------------- */
/* The file `path` names, O_PATH (not following a final symlink when
 * `nofollow`); an empty path with AT_EMPTY_PATH is dirfd itself. */
static int path_fd(const struct sandbox *s, int dirfd, const char *path, bool nofollow, int flags, bool write)
{
	if (!*path) {
		if (!(flags & AT_EMPTY_PATH))
			return -ENOENT;
		if (write && s->lower >= 0 && !in_upper(s, base_of(s, dirfd)))
			return -EROFS;
		int fd = fcntl(base_of(s, dirfd), F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	int how = O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0);
	return write ? resolve_write(s, dirfd, path, how, 0) : resolve_read(s, dirfd, path, how);
}

int sandbox_stat(struct sandbox *s, int dirfd, const char *path, struct stat *st, int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	int fd = path_fd(s, dirfd, path, flags & AT_SYMLINK_NOFOLLOW, flags, false);
	if (fd < 0)
		return fd;
	int r = fstatat(fd, "", st, AT_EMPTY_PATH) < 0 ? -errno : 0;
	close(fd);
	return r;
}

ssize_t sandbox_readlink(struct sandbox *s, int dirfd, const char *path, char *buf, size_t len)
{
	if (len == 0)
		return -EINVAL;
	/* readlinkat(fd, "") reads fd itself if it is a symlink, else ENOENT. */
	int fd = path_fd(s, dirfd, path, true, AT_EMPTY_PATH, false);
	if (fd < 0)
		return fd;
	struct stat st;
	ssize_t r;
	if (fstatat(fd, "", &st, AT_EMPTY_PATH) < 0)
		r = -errno;
	else if (!S_ISLNK(st.st_mode))
		r = *path ? -EINVAL : -ENOENT;
	else if ((r = readlinkat(fd, "", buf, len)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int access_fd(int fd, int mode, int flags)
{
	return syscall(SYS_faccessat2, fd, "", mode, AT_EMPTY_PATH | (flags & AT_EACCESS)) < 0 ? -errno : 0;
}

int sandbox_access(struct sandbox *s, int dirfd, const char *path, int mode, int flags)
{
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	int fd = path_fd(s, dirfd, path, flags & AT_SYMLINK_NOFOLLOW, flags, false);
	if (fd < 0)
		return fd;
	int r = access_fd(fd, mode, flags);
	close(fd);
	return r;
}

/* ---- Operations on a final component ------------------------------------ */
enum last_type { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };

struct last {
	char parent[PATH_MAX];  /* everything before the final component ("." if none) */
	const char *name;       /* the final component, trailing slashes included */
	enum last_type type;
};

static int split_last(const char *path, struct last *l)
{
	size_t len = strlen(path);
	if (len == 0)
		return -ENOENT;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	size_t end = len;
	while (end > 0 && path[end - 1] == '/')
		end--;
	if (end == 0) { /* "/", "//" ... */
		strcpy(l->parent, "/");
		l->name = ".";
		l->type = LAST_ROOT;
		return 0;
	}
	size_t start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	l->name = path + start;
	size_t n = end - start;
	if (n == 1 && path[start] == '.')
		l->type = LAST_DOT;
	else if (n == 2 && path[start] == '.' && path[start + 1] == '.')
		l->type = LAST_DOTDOT;
	else
		l->type = LAST_NORM;
	if (start == 0) {
		strcpy(l->parent, ".");
	} else {
		memcpy(l->parent, path, start);
		l->parent[start] = '\0';
	}
	return 0;
}

/* The parent directory of `path`'s final component, opened below the root. */
static int open_parent(const struct sandbox *s, int dirfd, const char *path, struct last *l)
{
	int r = split_last(path, l);
	if (r < 0)
		return r;
	return resolve_write(s, dirfd, l->parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
}

/* An open that may create a name: the parent directory's growth is told;
 * while the disk is full a new name is -ENOSPC, as a full file system
 * says when the directory or the inode needs room it cannot have. */
static int create_measured(const struct sandbox *s, int dirfd, const char *path, int flags, unsigned mode)
{
	struct last l;
	int pfd = open_parent(s, dirfd, path, &l);
	if (pfd < 0)   /* the open reports its own error */
		return resolve_write(s, dirfd, path, flags, mode);
	int64_t before = blocks_at(pfd, NULL);
	int fd;
	if (l.type == LAST_NORM && usage_full(s) && faccessat(pfd, l.name, F_OK, AT_SYMLINK_NOFOLLOW) && errno == ENOENT)
		fd = -ENOSPC;
	else
		fd = resolve_write(s, dirfd, path, flags, mode);
	if (fd >= 0)
		usage_grew(s, pfd, before, NULL);
	close(pfd);
	return fd;
}

int sandbox_unlink(struct sandbox *s, int dirfd, const char *path, int flags)
{
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	struct last l;
	int pfd = open_parent(s, dirfd, path, &l);
	if (pfd < 0)
		return pfd;
	int r;
	struct stat gone;
	bool last = l.type == LAST_NORM && last_name(s, pfd, l.name, &gone);
	if (l.type == LAST_NORM)
		r = unlinkat(pfd, l.name, flags) < 0 ? -errno : 0;
	else if (!(flags & AT_REMOVEDIR))
		r = -EISDIR;                                   /* do_unlinkat */
	else
		r = l.type == LAST_DOT ? -EINVAL : l.type == LAST_DOTDOT ? -ENOTEMPTY : -EBUSY; /* do_rmdir */
	if (r == -ENOENT && exists_lower(s, dirfd, path))
		r = -EROFS;   /* only the sysroot has it */
	if (!r && last)
		s->usage.gone(s->usage.ctx, &gone);
	close(pfd);
	return r;
}

int sandbox_mkdir(struct sandbox *s, int dirfd, const char *path, unsigned mode)
{
	struct last l;
	int pfd = open_parent(s, dirfd, path, &l);
	if (pfd < 0)
		return pfd;
	int r;
	int64_t before = blocks_at(pfd, NULL);
	if (l.type != LAST_NORM)
		r = -EEXIST;                                   /* filename_create */
	else if (usage_full(s))
		r = faccessat(pfd, l.name, F_OK, AT_SYMLINK_NOFOLLOW) ? -ENOSPC : -EEXIST;
	else
		r = mkdirat(pfd, l.name, mode & SANDBOX_HOST_MODE) < 0 ? -errno : 0;
	if (!r)
		usage_grew(s, pfd, before, l.name);
	close(pfd);
	return r;
}

/* The calls Linux has no O_PATH form for act on /proc/self/fd/N of a
 * descriptor resolved beneath the root: the magic link names exactly that
 * file, so nothing outside is reachable (sandbox_open checked /proc). */
static void proc_fd_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

int sandbox_chmod(struct sandbox *s, int dirfd, const char *path, unsigned mode, int flags)
{
	int fd = path_fd(s, dirfd, path, flags & AT_SYMLINK_NOFOLLOW, flags, true);
	if (fd < 0)
		return fd;
	char p[64];
	proc_fd_path(fd, p, sizeof p);
	int r = chmod(p, mode & SANDBOX_HOST_MODE) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int sandbox_utimens(struct sandbox *s, int dirfd, const char *path, const struct timespec ts[2], int flags)
{
	int fd = path_fd(s, dirfd, path, flags & AT_SYMLINK_NOFOLLOW, flags, true);
	if (fd < 0)
		return fd;
	char p[64];
	proc_fd_path(fd, p, sizeof p);
	int r = utimensat(AT_FDCWD, p, ts, 0) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int sandbox_link(struct sandbox *s, int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	int fd = path_fd(s, olddirfd, oldpath, !(flags & AT_SYMLINK_FOLLOW), flags, true);
	if (fd < 0)
		return fd;
	struct last l;
	int pfd = open_parent(s, newdirfd, newpath, &l);
	if (pfd < 0) {
		close(fd);
		return pfd;
	}
	char p[64];
	proc_fd_path(fd, p, sizeof p);
	int64_t before = blocks_at(pfd, NULL);
	int r = l.type != LAST_NORM ? -EEXIST : linkat(AT_FDCWD, p, pfd, l.name, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
	if (!r)
		usage_grew(s, pfd, before, NULL);
	close(pfd);
	close(fd);
	return r;
}

int sandbox_symlink(struct sandbox *s, const char *target, int dirfd, const char *path)
{
	struct last l;
	int pfd = open_parent(s, dirfd, path, &l);
	if (pfd < 0)
		return pfd;
	/* The target is stored as given: it is only text until a lookup
	 * follows it, and every lookup is confined to the root. */
	int64_t before = blocks_at(pfd, NULL);
	int r = l.type != LAST_NORM ? -EEXIST
		: usage_full(s)    ? (faccessat(pfd, l.name, F_OK, AT_SYMLINK_NOFOLLOW) ? -ENOSPC : -EEXIST)
		: symlinkat(target, pfd, l.name) < 0 ? -errno : 0;
	if (!r)
		usage_grew(s, pfd, before, l.name);
	close(pfd);
	return r;
}

int sandbox_rename(struct sandbox *s, int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
		   unsigned flags)
{
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	struct last *ol = malloc(2 * sizeof *ol);
	if (!ol)
		return -ENOMEM;
	struct last *nl = ol + 1;
	int r, opfd = open_parent(s, olddirfd, oldpath, ol), npfd = -1;
	if (opfd < 0) {
		r = opfd;
		goto out;
	}
	npfd = open_parent(s, newdirfd, newpath, nl);
	if (npfd < 0) {
		r = npfd;
		goto out;
	}
	/* do_renameat2's order */
	if (ol->type != LAST_NORM)
		r = -EBUSY;
	else if (nl->type != LAST_NORM)
		r = flags & RENAME_NOREPLACE ? -EEXIST : -EBUSY;
	else {
		/* A replaced target's blocks go with its last name. */
		struct stat gone, from;
		bool last = !(flags & RENAME_EXCHANGE) && last_name(s, npfd, nl->name, &gone) &&
			    !(fstatat(opfd, ol->name, &from, AT_SYMLINK_NOFOLLOW) == 0 && from.st_ino == gone.st_ino &&
			      from.st_dev == gone.st_dev);   /* two names of one file: nothing goes */
		r = renameat2(opfd, ol->name, npfd, nl->name, flags) < 0 ? -errno : 0;
		if (!r && last)
			s->usage.gone(s->usage.ctx, &gone);
	}
out:
	if (opfd >= 0)
		close(opfd);
	if (npfd >= 0)
		close(npfd);
	free(ol);
	return r;
}

/* ---- The current directory ---------------------------------------------- */
/* Make `fd` (an O_PATH directory below the root) the current directory;
 * takes ownership of fd. */
/* A directory one may chdir into: search permission. */
static int searchable(int fd)
{
	int r = access_fd(fd, X_OK, AT_EACCESS);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int sandbox_dir_at(struct sandbox *s, int dirfd, const char *path)
{
	int fd = resolve_read(s, dirfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? fd : searchable(fd);
}

int sandbox_dir_of(struct sandbox *s, int fd)
{
	int dfd = openat(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/* Inside the root (a removed directory still is, by its old name). */
	char rel[PATH_MAX];
	int r = rel_path(s, dfd, rel, sizeof rel);
	if (r < 0 && r != -ENOENT) {
		close(dfd);
		return r;
	}
	return searchable(dfd);
}

static int set_cwd(struct sandbox *s, int fd)
{
	if (fd < 0)
		return fd;
	close(s->cwd);
	s->cwd = fd;
	return 0;
}

int sandbox_chdir(struct sandbox *s, int dirfd, const char *path)
{
	return set_cwd(s, sandbox_dir_at(s, dirfd, path));
}

int sandbox_fchdir(struct sandbox *s, int fd)
{
	return set_cwd(s, sandbox_dir_of(s, fd));
}

int sandbox_fdpath(struct sandbox *s, int fd, char *buf, size_t len)
{
	char rel[PATH_MAX];
	int n = guest_rel_path(s, fd, rel, sizeof rel);
	if (n < 0)
		return n;
	size_t need = (size_t)n + 2; /* "/", the path, NUL */
	if (len < need)
		return -ERANGE;
	buf[0] = '/';
	memcpy(buf + 1, rel, (size_t)n + 1);
	return (int)need;
}

bool sandbox_fd_in_lower(struct sandbox *s, int fd)
{
	char rel[PATH_MAX];
	return s->lower >= 0 && rel_path(s, fd, rel, sizeof rel) == -EACCES;
}

int sandbox_getcwd(struct sandbox *s, char *buf, size_t len)
{
	return sandbox_fdpath(s, s->cwd, buf, len);
}
