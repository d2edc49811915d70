/* The file system calls: descriptors, reads and writes (through the page
 * cache for files, straight through for the terminal, pipes), paths in the
 * sandbox (sandbox.h: nothing outside the root is ever touched), stat,
 * directories. The guest's flags are converted to the host's here. */
#include "os/kernel/syscall.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "os/kernel/sandbox.h"

/* Open flags that differ between the architectures (the rest are equal:
 * O_CREAT 0100, O_EXCL 0200, O_TRUNC 01000, O_APPEND 02000, O_CLOEXEC). */
static bool guest_o_directory(const struct kernel *k, uint64_t f)
{
	return f & (k->fmt->arch == ARCH_X86_64 ? 0200000 : 040000);
}

static bool guest_o_nofollow(const struct kernel *k, uint64_t f)
{
	return f & (k->fmt->arch == ARCH_X86_64 ? 0400000 : 0100000);
}

#define GUEST_O_CLOEXEC 02000000   /* the same on both architectures */

/* struct stat as each architecture lays it out. */
static int64_t put_stat(struct kernel *k, uint64_t va, const struct stat *host)
{
	struct stat mst = *host, *st = &mst;
	mode_model_apply(k, st);   /* the mode the guest asked for (modes.c) */
	uint8_t b[144] = {0};
	if (k->fmt->arch == ARCH_X86_64) {
		uint64_t q[18] = {(uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_nlink};
		memcpy(b, q, 24);
		uint32_t m[4] = {st->st_mode, st->st_uid, st->st_gid, 0};
		memcpy(b + 24, m, 16);
		uint64_t r[9] = {(uint64_t)st->st_rdev, (uint64_t)st->st_size, (uint64_t)st->st_blksize,
				 (uint64_t)st->st_blocks, (uint64_t)st->st_atim.tv_sec, (uint64_t)st->st_atim.tv_nsec,
				 (uint64_t)st->st_mtim.tv_sec, (uint64_t)st->st_mtim.tv_nsec, (uint64_t)st->st_ctim.tv_sec};
		memcpy(b + 40, r, sizeof r);
		uint64_t ctn = (uint64_t)st->st_ctim.tv_nsec;
		memcpy(b + 112, &ctn, 8);
		return put_user(k, va, b, 144);
	}
	uint64_t q[2] = {(uint64_t)st->st_dev, (uint64_t)st->st_ino};
	memcpy(b, q, 16);
	uint32_t m[4] = {st->st_mode, (uint32_t)st->st_nlink, st->st_uid, st->st_gid};
	memcpy(b + 16, m, 16);
	uint64_t rdev = (uint64_t)st->st_rdev, size = (uint64_t)st->st_size;
	memcpy(b + 32, &rdev, 8);
	memcpy(b + 48, &size, 8);
	int32_t blksize = (int32_t)st->st_blksize;
	memcpy(b + 56, &blksize, 4);
	uint64_t t[7] = {(uint64_t)st->st_blocks, (uint64_t)st->st_atim.tv_sec, (uint64_t)st->st_atim.tv_nsec,
			 (uint64_t)st->st_mtim.tv_sec, (uint64_t)st->st_mtim.tv_nsec, (uint64_t)st->st_ctim.tv_sec,
			 (uint64_t)st->st_ctim.tv_nsec};
	memcpy(b + 64, t, sizeof t);
	return put_user(k, va, b, 128);
}

/* struct statx (include/uapi/linux/stat.h), the same on both. */
static int64_t put_statx(struct kernel *k, uint64_t va, const struct stat *host)
{
	struct stat mst = *host, *st = &mst;
	mode_model_apply(k, st);
	uint8_t b[256] = {0};
	uint32_t w[4] = {0x7ff /* STATX_BASIC_STATS */, (uint32_t)st->st_blksize, 0, 0};
	memcpy(b, w, 8);
	uint32_t ids[3] = {(uint32_t)st->st_nlink, st->st_uid, st->st_gid};
	memcpy(b + 0x10, ids, 12);
	uint16_t mode = (uint16_t)st->st_mode;
	memcpy(b + 0x1c, &mode, 2);
	uint64_t q[3] = {(uint64_t)st->st_ino, (uint64_t)st->st_size, (uint64_t)st->st_blocks};
	memcpy(b + 0x20, q, 24);
	const struct timespec *t[4] = {&st->st_atim, &st->st_ctim /* btime: unknown, ctime stands in */,
				       &st->st_ctim, &st->st_mtim};
	for (int i = 0; i < 4; i++) {
		int64_t sec = t[i]->tv_sec;
		uint32_t nsec = (uint32_t)t[i]->tv_nsec;
		memcpy(b + 0x40 + 16 * i, &sec, 8);
		memcpy(b + 0x48 + 16 * i, &nsec, 4);
	}
	uint32_t dev[4] = {major(st->st_rdev), minor(st->st_rdev), major(st->st_dev), minor(st->st_dev)};
	memcpy(b + 0x80, dev, 16);
	return put_user(k, va, b, sizeof b);
}

/* A guest directory descriptor (or AT_FDCWD: the process's working
 * directory) as the sandbox's dirfd for `path`, in *hd. An absolute path
 * ignores dirfd, whatever it is (path_init). */
static int host_dirfd(struct proc *p, int64_t dirfd, const char *path, int *hd)
{
	if ((int32_t)dirfd == AT_FDCWD_GUEST || (path && path[0] == '/')) {
		*hd = proc_cwd_fd(p);
		return 0;
	}
	struct open_file *of = fd_get(p, (int)dirfd);
	if (!of)
		return -EBADF;
	if (!of->dir)
		return -ENOTDIR;
	*hd = of->dir_fd;
	return 0;
}

/* utimensat's two times (NULL pointer: now, returned as NULL). */
static int get_times(struct kernel *k, uint64_t va, struct timespec ts[2], struct timespec **out)
{
	*out = NULL;
	if (!va)
		return 0;
	uint64_t t[4];
	if (os_copy_from_user(k, t, va, sizeof t))
		return -EFAULT;
	for (int i = 0; i < 2; i++)
		ts[i] = (struct timespec){.tv_sec = (time_t)t[2 * i], .tv_nsec = (long)t[2 * i + 1]};
	*out = ts;
	return 0;
}

/* The host descriptor behind an open file: its directory, its inode's, or
 * the stream's. */
int backing_fd(const struct open_file *of)
{
	return of->dir ? of->dir_fd : of->inode ? of->inode->host_fd : of->host_fd;
}

/* What fstat says of an open file. */
static int stat_open_file(struct open_file *of, struct stat *st)
{
	if (of->pipe) {
		memset(st, 0, sizeof *st);
		st->st_mode = S_IFIFO | 0600;
		st->st_blksize = 4096;
		st->st_nlink = 1;
		return 0;
	}
	if (of->proc) {
		procfs_fstat(of->proc, st);
		return 0;
	}
	if (of->epoll) {   /* the anonymous inode: no file type, mode 0600 */
		memset(st, 0, sizeof *st);
		st->st_mode = 0600;
		st->st_blksize = 4096;
		st->st_nlink = 1;
		return 0;
	}
	if (fstat(backing_fd(of), st))
		return -errno;
	if (of->inode)
		st->st_size = (off_t)of->inode->size;   /* the kernel's size stands (unwritten pages) */
	return 0;
}

/* A path's stat; a file the kernel has cached reports the cached size. */
static int stat_path(struct proc *p, int64_t dirfd, const char *path, int flags, struct stat *st)
{
	struct kernel *k = p->k;
	if (!path[0] && (flags & AT_EMPTY_PATH) && (int32_t)dirfd != AT_FDCWD_GUEST) {
		struct open_file *of = fd_get(p, (int)dirfd);
		return of ? stat_open_file(of, st) : -EBADF;
	}
	char abs[PATH_MAX_GUEST];
	if (procfs_path(p, dirfd, path, abs))
		return procfs_stat(p, abs, st, flags & AT_SYMLINK_NOFOLLOW);
	if (dev_memory_device(path))
		return stat(path, st) ? -errno : 0;   /* a device: no link to follow or not */
	int hd, err = host_dirfd(p, dirfd, path, &hd);
	if (err)
		return err;
	struct sandbox *sb = sandbox_of(k, &err);
	if (!sb)
		return err;
	int rc = sandbox_stat(sb, hd, path, st, flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH));
	if (rc)
		return rc;
	struct inode *i = inode_lookup(k, st);
	if (i)
		st->st_size = (off_t)i->size;
	return 0;
}

static int64_t sys_rw(struct proc *p, int fd, uint64_t buf, uint64_t len, bool write, int64_t pos)
{
	struct kernel *k = p->k;
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	if (pos == -2)
		return -EINVAL;
	bool seekable = of->inode || of->proc;
	if (pos >= 0 && !seekable)
		return -ESPIPE;   /* pread/pwrite on a stream or pipe */
	uint8_t chunk[4096];
	uint64_t done = 0;
	uint64_t off = pos >= 0 ? (uint64_t)pos : of->pos;
	if (write && pos < 0 && of->inode && (of->flags & OPEN_APPEND))
		off = of->inode->size;   /* O_APPEND: every write at the end */
	while (done < len) {
		uint64_t n = len - done < sizeof chunk ? len - done : sizeof chunk;
		int64_t r;
		if (write) {
			if (os_copy_from_user(k, chunk, buf + done, n))
				return done ? (int64_t)done : -EFAULT;
			r = os_pwrite(p, fd, chunk, n, off + done);
		} else {
			r = os_pread(p, fd, chunk, n, off + done);
			if (r > 0 && os_copy_to_user(k, buf + done, chunk, (uint64_t)r))
				return done ? (int64_t)done : -EFAULT;
		}
		if (r < 0)
			return done ? (int64_t)done : r;
		done += (uint64_t)r;
		if ((uint64_t)r < n)
			break;
		if (!seekable)
			break;   /* a stream: one transfer, as a terminal or pipe gives */
	}
	if (pos < 0 && seekable)
		of->pos += done;
	return (int64_t)done;
}

static int64_t sys_rwv(struct proc *p, int fd, uint64_t iov, uint64_t cnt, bool write)
{
	if (cnt > 1024)
		return -EINVAL;
	int64_t total = 0;
	for (uint64_t i = 0; i < cnt; i++) {
		uint64_t v[2];
		if (os_copy_from_user(p->k, v, iov + 16 * i, 16))
			return total ? total : -EFAULT;
		if (!v[1])
			continue;
		int64_t r = sys_rw(p, fd, v[0], v[1], write, -1);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((uint64_t)r < v[1])
			break;
	}
	return total;
}

static int64_t sys_openat(struct proc *p, int64_t dirfd, uint64_t path_va, uint64_t flags, uint64_t mode)
{
	char path[PATH_MAX_GUEST];
	int64_t rc = get_path(p->k, path_va, path);
	if (rc)
		return rc;
	uint32_t acc = flags & 3, f = 0;
	f |= acc == 1 ? OPEN_WRITE : acc == 2 ? OPEN_READ | OPEN_WRITE : OPEN_READ;
	f |= flags & 0100 ? OPEN_CREATE : 0;
	f |= flags & 0200 ? OPEN_EXCL : 0;
	f |= flags & 01000 ? OPEN_TRUNC : 0;
	f |= flags & 02000 ? OPEN_APPEND : 0;
	f |= guest_o_directory(p->k, flags) ? OPEN_DIRECTORY : 0;
	f |= guest_o_nofollow(p->k, flags) ? OPEN_NOFOLLOW : 0;
	char abs[PATH_MAX_GUEST];
	int hd;
	if (procfs_path(p, dirfd, path, abs))
		rc = os_openat(p, SANDBOX_CWD, abs, f, 0);   /* /proc/self/exe, then procfs */
	else if ((rc = host_dirfd(p, dirfd, path, &hd)) == 0)
		rc = os_openat(p, hd, path, f, (unsigned)mode & 07777 & ~p->umask);
	if (rc >= 0 && flags & GUEST_O_CLOEXEC)
		fd_set_cloexec(p, (int)rc, true);
	return rc;
}

static int64_t sys_readlink(struct proc *p, int64_t dirfd, uint64_t path_va, uint64_t buf, uint64_t len)
{
	char path[PATH_MAX_GUEST];
	int64_t rc = get_path(p->k, path_va, path);
	if (rc)
		return rc;
	if ((int64_t)len <= 0)
		return -EINVAL;
	char target[PATH_MAX_GUEST];
	int64_t n;
	if (procfs_path(p, dirfd, path, target)) {   /* /proc/self/exe too */
		char abs[PATH_MAX_GUEST];
		memcpy(abs, target, sizeof abs);
		if ((n = procfs_readlink(p, abs, target, sizeof target)) < 0)
			return n;
	} else {
		int hd, err = host_dirfd(p, dirfd, path, &hd);
		if (err)
			return err;
		struct sandbox *sb = sandbox_of(p->k, &err);
		if (!sb)
			return err;
		n = sandbox_readlink(sb, hd, path, target, sizeof target);
		if (n < 0)
			return n;
	}
	if ((uint64_t)n > len)
		n = (int64_t)len;
	rc = put_user(p->k, buf, target, (uint64_t)n);
	return rc ? rc : n;
}

static int64_t sys_stat(struct proc *p, int64_t dirfd, uint64_t path_va, uint64_t va, uint64_t flags, bool statx)
{
	char path[PATH_MAX_GUEST];
	int64_t rc = get_path(p->k, path_va, path);
	if (rc)
		return rc;
	struct stat st;
	rc = stat_path(p, dirfd, path, (int)flags, &st);
	if (rc)
		return rc;
	return statx ? put_statx(p->k, va, &st) : put_stat(p->k, va, &st);
}

static int64_t sys_fstat(struct proc *p, int fd, uint64_t va)
{
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	struct stat st;
	int rc = stat_open_file(of, &st);
	return rc ? rc : put_stat(p->k, va, &st);
}

static int64_t sys_lseek(struct proc *p, int fd, int64_t off, uint64_t whence)
{
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	if (of->proc) {   /* seq_lseek: from the start or here; SEEK_END is EINVAL */
		int64_t b = whence == 0 ? 0 : whence == 1 ? (int64_t)of->pos : -1;
		if (b < 0 || b + off < 0)
			return -EINVAL;
		return (int64_t)(of->pos = (uint64_t)(b + off));
	}
	if (!of->inode)
		return -ESPIPE;
	int64_t base = whence == 0 ? 0 : whence == 1 ? (int64_t)of->pos : whence == 2 ? (int64_t)of->inode->size : -1;
	if (base < 0 || base + off < 0)
		return -EINVAL;
	of->pos = (uint64_t)(base + off);
	return (int64_t)of->pos;
}

/* dup, dup2 and dup3 (flags: dup3's, -1 for dup2): the new descriptor's
 * close-on-exec flag is clear unless dup3 asks for O_CLOEXEC. */
static int64_t sys_dup(struct proc *p, int fd, int to, bool exact, int64_t flags)
{
	if (flags > 0 && flags & ~(int64_t)GUEST_O_CLOEXEC)
		return -EINVAL;
	if (flags >= 0 && exact && to == fd)
		return -EINVAL;   /* dup3 refuses what dup2 allows */
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	if (exact) {
		if (to < 0 || to >= 1024)
			return -EBADF;
		if (to == fd)
			return to;
		if (fd_get(p, to))
			os_close(p, to);
	}
	of->refcount++;
	int slot = fd_install(p, of, exact ? to : 0);
	if (slot < 0)
		of->refcount--;
	else if (flags > 0)
		fd_set_cloexec(p, slot, true);
	return slot;
}

void rw_result(struct proc *p, struct sys_result *r, int64_t ret)
{
	r->ret = ret;
	if (ret == -ERESTARTSYS)
		r->action = SYSA_BLOCK;
	else if (ret == -EPIPE)
		signal_send_thread(p->thread, &(struct ksiginfo){.signo = SIGPIPE, .pid = p->pid});
}

/* pipe2's flags: O_CLOEXEC, O_NONBLOCK (nothing blocks the simulator),
 * O_DIRECT (packet mode is not modelled), O_NOTIFICATION_PIPE (O_EXCL). */
static int64_t sys_pipe2(struct proc *p, uint64_t va, uint64_t flags)
{
	uint64_t direct = p->k->fmt->arch == ARCH_X86_64 ? 040000 : 0200000;
	if (flags & ~(GUEST_O_CLOEXEC | 04000 | direct | 0200))
		return -EINVAL;
	int fds[2];
	int rc = os_pipe(p, fds);
	if (rc)
		return rc;
	fd_set_cloexec(p, fds[0], flags & GUEST_O_CLOEXEC);
	fd_set_cloexec(p, fds[1], flags & GUEST_O_CLOEXEC);
	int32_t out[2] = {fds[0], fds[1]};
	if (put_user(p->k, va, out, 8)) {
		os_close(p, fds[0]);
		os_close(p, fds[1]);
		return -EFAULT;
	}
	return 0;
}

/* getdents64: the host's records are the guest's (struct linux_dirent64 is
 * the same everywhere). */
static int64_t sys_getdents64(struct proc *p, int fd, uint64_t va, uint64_t count)
{
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	static uint8_t buf[65536];
	size_t n = count < sizeof buf ? (size_t)count : sizeof buf;
	if (of->proc) {
		int64_t got = procfs_getdents(p, of, buf, n);
		int64_t rc = got > 0 ? put_user(p->k, va, buf, (uint64_t)got) : 0;
		return rc ? rc : got;
	}
	if (!of->dir)
		return -ENOTDIR;
	long got = syscall(SYS_getdents64, of->dir_fd, buf, n);
	if (got < 0)
		return -errno;
	int64_t rc = put_user(p->k, va, buf, (uint64_t)got);
	return rc ? rc : got;
}

/* Two paths in the sandbox, for the calls that take them. */
static int64_t path_call(struct proc *p, enum sys s, const uint64_t a[6])
{
	struct kernel *k = p->k;
	char path[PATH_MAX_GUEST], path2[PATH_MAX_GUEST];
	int err = 0;
	struct sandbox *sb = sandbox_of(k, &err);
	if (!sb)
		return err;
	if (s == S_SYMLINK || s == S_SYMLINKAT) {   /* (target, [dirfd,] path) */
		int64_t rc = get_path(k, a[0], path2);
		if (!rc)
			rc = get_path(k, s == S_SYMLINK ? a[1] : a[2], path);
		if (rc)
			return rc;
		int hd;
		if ((rc = host_dirfd(p, s == S_SYMLINK ? AT_FDCWD_GUEST : (int64_t)a[1], path, &hd)))
			return rc;
		return sandbox_symlink(sb, path2, hd, path);
	}
	if (s == S_LINK || s == S_LINKAT) {   /* ([olddirfd,] old, [newdirfd,] new [, flags]) */
		bool isat = s == S_LINKAT;
		int64_t rc = get_path(k, isat ? a[1] : a[0], path);
		if (!rc)
			rc = get_path(k, isat ? a[3] : a[1], path2);
		if (rc)
			return rc;
		int hd1, hd2;
		if ((rc = host_dirfd(p, isat ? (int64_t)a[0] : AT_FDCWD_GUEST, path, &hd1)) ||
		    (rc = host_dirfd(p, isat ? (int64_t)a[2] : AT_FDCWD_GUEST, path2, &hd2)))
			return rc;
		return sandbox_link(sb, hd1, path, hd2, path2,
				    isat ? (int)a[4] & (AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) : 0);
	}
	bool at = s == S_UNLINKAT || s == S_MKDIRAT || s == S_RENAMEAT || s == S_RENAMEAT2 || s == S_FACCESSAT ||
		  s == S_FACCESSAT2 || s == S_FCHMODAT || s == S_FCHOWNAT || s == S_UTIMENSAT;
	int64_t dirfd = at ? (int64_t)a[0] : AT_FDCWD_GUEST;
	const uint64_t *x = at ? a + 1 : a;
	int64_t rc = get_path(k, x[0], path);
	if (rc)
		return rc;
	if (procfs_path(p, dirfd, path, path2))
		return s == S_CHDIR ? procfs_chdir(p, path2)
		       : s == S_ACCESS || s == S_FACCESSAT || s == S_FACCESSAT2 ? procfs_access(p, path2, (int)x[1] & 7)
										 : -EACCES;
	if (dev_memory_device(path) && (s == S_ACCESS || s == S_FACCESSAT || s == S_FACCESSAT2))
		return access(path, (int)x[1] & 7) ? -errno : 0;
	int hd;
	if ((rc = host_dirfd(p, dirfd, path, &hd)))
		return rc;
	switch (s) {
	case S_UNLINK: return mode_model_unlink(k, sb, hd, path, 0);
	case S_RMDIR: return mode_model_unlink(k, sb, hd, path, AT_REMOVEDIR);
	case S_UNLINKAT: return mode_model_unlink(k, sb, hd, path, (int)(x[1] & AT_REMOVEDIR));
	case S_MKDIR:
	case S_MKDIRAT: return mode_model_mkdir(k, sb, hd, path, (unsigned)x[1] & 07777 & ~p->umask);
	case S_ACCESS:
	case S_FACCESSAT:
	case S_FACCESSAT2:
		return sandbox_access(sb, hd, path, (int)x[1] & 7,
				      s == S_FACCESSAT2 ? (int)x[2] & (AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) : 0);
	case S_RENAME:
	case S_RENAMEAT:
	case S_RENAMEAT2: {
		int64_t dirfd2 = s == S_RENAME ? AT_FDCWD_GUEST : (int64_t)x[1];
		uint64_t p2 = s == S_RENAME ? x[1] : x[2];
		unsigned flags = s == S_RENAMEAT2 ? (unsigned)x[3] : 0;
		if ((rc = get_path(k, p2, path2)))
			return rc;
		int hd2;
		if ((rc = host_dirfd(p, dirfd2, path2, &hd2)))
			return rc;
		return sandbox_rename(sb, hd, path, hd2, path2, flags);
	}
	case S_CHDIR: return proc_cwd_set(p, sandbox_dir_at(sb, hd, path));
	case S_CHMOD:
	case S_FCHMODAT: return mode_model_chmod(k, sb, hd, path, (unsigned)x[1]);
	case S_CHOWN:
	case S_LCHOWN:
	case S_FCHOWNAT: {   /* root may; the host file keeps its owner unless the host allows */
		struct stat st;
		int flags = s == S_LCHOWN ? AT_SYMLINK_NOFOLLOW : s == S_FCHOWNAT ? (int)x[3] & AT_SYMLINK_NOFOLLOW : 0;
		return sandbox_stat(sb, hd, path, &st, flags);
	}
	case S_UTIMENSAT: {
		struct timespec ts[2], *times;
		if ((rc = get_times(k, x[1], ts, &times)))
			return rc;
		return sandbox_utimens(sb, hd, path, times, (int)x[2] & AT_SYMLINK_NOFOLLOW);
	}
	default: return -ENOSYS;
	}
}

/* Terminal ioctls on a host stream that is a terminal; everything else is
 * not a terminal (ENOTTY), as for a file or a pipe. */
static int64_t sys_ioctl(struct proc *p, int fd, uint64_t req, uint64_t va)
{
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	if (req == 0x5450 || req == 0x5451) {   /* FIONCLEX, FIOCLEX */
		fd_set_cloexec(p, fd, req == 0x5451);
		return 0;
	}
	if (req == 0x40049409)   /* FICLONE: do_vfs_ioctl takes it before any file's own */
		return file_clone(p, fd, (int)va);
	if (req == 0x80086601 && (of->inode || of->dir)) {   /* FS_IOC_GETFLAGS: the host file system's answer */
		int flags = 0;
		if (ioctl(of->dir ? of->dir_fd : of->inode->host_fd, 0x80086601, &flags))
			return -errno;
		return put_user(p->k, va, &flags, sizeof flags);
	}
	bool tty = req == TCGETS || req == TIOCGWINSZ || req == TIOCGPGRP || req == TCSETS || req == TCSETSW ||
		   req == TCSETSF || req == TIOCSPGRP;
	if (!tty)
		return report_command(p->k, "ioctl", req, -ENOTTY);
	if (of->inode || of->pipe || of->dir || !isatty(of->host_fd))
		return -ENOTTY;
	if (req == TCGETS) {   /* the kernel's struct termios: 4 flags, c_line, 19 c_cc */
		struct termios t;
		if (tcgetattr(of->host_fd, &t))
			return -errno;
		uint8_t b[36] = {0};
		uint32_t fl[4] = {t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag};
		memcpy(b, fl, 16);
		b[16] = t.c_line;
		memcpy(b + 17, t.c_cc, 19);
		return put_user(p->k, va, b, sizeof b);
	}
	if (req == TIOCGWINSZ) {
		struct winsize w;
		if (ioctl(of->host_fd, TIOCGWINSZ, &w))
			return -errno;
		return put_user(p->k, va, &w, sizeof w);
	}
	if (req == TIOCGPGRP) {
		int32_t pg = p->pid;
		return put_user(p->k, va, &pg, 4);
	}
	return 0;   /* TCSETS*, TIOCSPGRP: the host terminal stays as it is */
}

static int64_t sys_fcntl(struct proc *p, int fd, uint64_t cmd, uint64_t arg)
{
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	switch (cmd) {
	case 0:      /* F_DUPFD: the lowest free descriptor >= arg */
	case 1030:   /* F_DUPFD_CLOEXEC */
		if ((int64_t)arg < 0 || arg >= 1024)
			return -EINVAL;
		of->refcount++;
		int slot = fd_install(p, of, (int)arg);
		if (slot < 0)
			of->refcount--;
		else if (cmd == 1030)
			fd_set_cloexec(p, slot, true);
		return slot;
	case 1:      /* F_GETFD: FD_CLOEXEC (1) or 0 */
		return fd_cloexec(p, fd);
	case 2:      /* F_SETFD: bit 0, FD_CLOEXEC; the others are ignored */
		fd_set_cloexec(p, fd, arg & 1);
		return 0;
	case 3: {    /* F_GETFL */
		uint32_t acc = (of->flags & OPEN_READ) && (of->flags & OPEN_WRITE) ? 2 : of->flags & OPEN_WRITE ? 1 : 0;
		return acc | (of->flags & OPEN_APPEND ? 02000 : 0);
	}
	case 4:      /* F_SETFL: O_APPEND, O_NONBLOCK (nothing blocks the simulator) */
		of->flags = (of->flags & ~OPEN_APPEND) | (arg & 02000 ? OPEN_APPEND : 0);
		return 0;
	default:
		return report_command(p->k, "fcntl", cmd, -EINVAL);
	}
}

static int64_t sys_getcwd(struct proc *p, uint64_t va, uint64_t len)
{
	char buf[PATH_MAX_GUEST];
	int n = proc_getcwd(p, buf, sizeof buf);
	if (n < 0)
		return n;
	if ((uint64_t)n > len)
		return -ERANGE;
	int64_t rc = put_user(p->k, va, buf, (uint64_t)n);
	return rc ? rc : n;
}

/* utimensat with no path: the descriptor's own file. */
static int64_t sys_futimens(struct proc *p, int fd, uint64_t times_va)
{
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	if (!(of->inode || of->dir))
		return -EINVAL;
	struct timespec ts[2], *times;
	int rc = get_times(p->k, times_va, ts, &times);
	if (rc)
		return rc;
	return futimens(backing_fd(of), times) ? -errno : 0;
}

static int64_t sys_ftruncate(struct proc *p, int fd, int64_t len)
{
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	if (!of->inode || !(of->flags & OPEN_WRITE))
		return -EINVAL;
	if (len < 0)
		return -EINVAL;
	return os_truncate(p->k, of->inode, (uint64_t)len);
}

bool fs_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r)
{
	struct kernel *k = p->k;
	int64_t pos3 = (int64_t)a[3] < 0 ? -2 : (int64_t)a[3];
	switch (s) {
	case S_READ: rw_result(p, r, sys_rw(p, (int)a[0], a[1], a[2], false, -1)); break;
	case S_WRITE: rw_result(p, r, sys_rw(p, (int)a[0], a[1], a[2], true, -1)); break;
	case S_PREAD64: r->ret = sys_rw(p, (int)a[0], a[1], a[2], false, pos3); break;
	case S_PWRITE64: r->ret = sys_rw(p, (int)a[0], a[1], a[2], true, pos3); break;
	case S_READV: rw_result(p, r, sys_rwv(p, (int)a[0], a[1], a[2], false)); break;
	case S_WRITEV: rw_result(p, r, sys_rwv(p, (int)a[0], a[1], a[2], true)); break;
	case S_OPEN: r->ret = sys_openat(p, AT_FDCWD_GUEST, a[0], a[1], a[2]); break;
	case S_CREAT: r->ret = sys_openat(p, AT_FDCWD_GUEST, a[0], 01101, a[1]); break;   /* O_CREAT|O_WRONLY|O_TRUNC */
	case S_OPENAT: r->ret = sys_openat(p, (int64_t)a[0], a[1], a[2], a[3]); break;
	case S_CLOSE: r->ret = os_close(p, (int)a[0]); break;
	case S_LSEEK: r->ret = sys_lseek(p, (int)a[0], (int64_t)a[1], a[2]); break;
	case S_FSTAT: r->ret = sys_fstat(p, (int)a[0], a[1]); break;
	case S_NEWFSTATAT: r->ret = sys_stat(p, (int64_t)a[0], a[1], a[2], a[3], false); break;
	case S_STAT: r->ret = sys_stat(p, AT_FDCWD_GUEST, a[0], a[1], 0, false); break;
	case S_LSTAT: r->ret = sys_stat(p, AT_FDCWD_GUEST, a[0], a[1], AT_SYMLINK_NOFOLLOW, false); break;
	case S_STATX: r->ret = sys_stat(p, (int64_t)a[0], a[1], a[4], a[2], true); break;
	case S_IOCTL: r->ret = sys_ioctl(p, (int)a[0], a[1], a[2]); break;
	case S_READLINK: r->ret = sys_readlink(p, AT_FDCWD_GUEST, a[0], a[1], a[2]); break;
	case S_READLINKAT: r->ret = sys_readlink(p, (int64_t)a[0], a[1], a[2], a[3]); break;
	case S_PIPE: r->ret = sys_pipe2(p, a[0], 0); break;
	case S_PIPE2: r->ret = sys_pipe2(p, a[0], (uint32_t)a[1]); break;   /* an int */
	case S_DUP: r->ret = sys_dup(p, (int)a[0], 0, false, -1); break;
	case S_DUP2: r->ret = sys_dup(p, (int)a[0], (int)a[1], true, -1); break;
	case S_DUP3: r->ret = sys_dup(p, (int)a[0], (int)a[1], true, (int64_t)(uint32_t)a[2]); break;
	case S_FCNTL:
		if (!flock_fcntl(p, a[1], a, r))
			r->ret = sys_fcntl(p, (int)a[0], a[1], a[2]);
		break;
	case S_FLOCK: *r = sys_flock(p, (int)a[0], a[1]); break;
	case S_GETDENTS64: r->ret = sys_getdents64(p, (int)a[0], a[1], a[2]); break;
	case S_GETCWD: r->ret = sys_getcwd(p, a[0], a[1]); break;
	case S_FCHDIR: {
		int hd, err = (int32_t)a[0] == AT_FDCWD_GUEST ? -EBADF : host_dirfd(p, (int64_t)a[0], NULL, &hd);
		struct sandbox *sb = err ? NULL : sandbox_of(k, &err);
		char abs[PATH_MAX_GUEST];
		if ((int32_t)a[0] != AT_FDCWD_GUEST && procfs_path(p, (int64_t)a[0], ".", abs))
			r->ret = procfs_chdir(p, abs);
		else
			r->ret = sb ? proc_cwd_set(p, sandbox_dir_of(sb, hd)) : err;
		break;
	}
	case S_CHDIR:
	case S_UNLINK:
	case S_UNLINKAT:
	case S_RMDIR:
	case S_MKDIR:
	case S_MKDIRAT:
	case S_RENAME:
	case S_RENAMEAT:
	case S_RENAMEAT2:
	case S_ACCESS:
	case S_FACCESSAT:
	case S_FACCESSAT2:
	case S_SYMLINK:
	case S_SYMLINKAT:
	case S_LINK:
	case S_LINKAT:
	case S_CHMOD:
	case S_FCHMODAT:
	case S_CHOWN:
	case S_LCHOWN:
	case S_FCHOWNAT: r->ret = path_call(p, s, a); break;
	case S_UTIMENSAT: r->ret = a[1] ? path_call(p, s, a) : sys_futimens(p, (int)a[0], a[2]); break;
	case S_FCHMOD:
	case S_FCHOWN: {
		struct open_file *of = fd_get(p, (int)a[0]);
		if (!of)
			r->ret = -EBADF;
		else if (s == S_FCHOWN || !(of->inode || of->dir))
			r->ret = 0;   /* pipes and streams: nothing kept; owners: see chown */
		else
			r->ret = mode_model_fchmod(p->k, backing_fd(of), (unsigned)a[1]);
		break;
	}
	case S_FSYNC: r->ret = os_fsync(p, (int)a[0]); break;
	case S_FADVISE64: r->ret = fd_get(p, (int)a[0]) ? 0 : -EBADF; break;
	case S_FTRUNCATE: r->ret = sys_ftruncate(p, (int)a[0], (int64_t)a[1]); break;
	default: return false;
	}
	return true;
}
