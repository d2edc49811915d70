/* The calls real programs make beyond the core set (docs/syscalls.md):
 * fdatasync, sync, syncfs and sync_file_range (writeback through the page
 * cache, as fsync), close_range, sched_getaffinity/sched_setaffinity (one
 * CPU), the extended-attribute calls (answered as a file system without
 * extended attributes answers them), statfs/fstatfs, and the one-line note for a command
 * of fcntl, ioctl or prctl the model does not have. */
#include "os/kernel/sandbox.h"
#include "os/kernel/syscall.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

int64_t report_command(struct kernel *k, const char *call, uint64_t cmd, int64_t err)
{
	struct services *s = k->svc;
	uint64_t key = (uint64_t)(call[0] == 'f' ? 1 : call[0] == 'i' ? 2 : call[0] == 'p' ? 3 : 4) << 40 |
		       (cmd & 0xffffffffffull);
	for (size_t i = 0; i < s->ncmd_reported; i++)
		if (s->cmd_reported[i] == key)
			return err;
	uint64_t *v = realloc(s->cmd_reported, (s->ncmd_reported + 1) * sizeof *v);
	if (v) {
		v[s->ncmd_reported++] = key;
		s->cmd_reported = v;
	}
	const char *what = err == -EINVAL ? ": -EINVAL" : err == -ENOTTY ? ": -ENOTTY" : err ? ": an error" : " (ignored)";
	fprintf(stderr, "mmusim: %s command %#llx is not implemented%s\n", call, (unsigned long long)cmd, what);
	return err;
}

/* ---- writeback ------------------------------------------------------------------- */

/* sync_file_range: flags WAIT_BEFORE (1), WRITE (2), WAIT_AFTER (4); only a
 * WRITE starts writeback (the waits wait for nothing: writeback is
 * synchronous in the model). nbytes 0: to the end of the file. */
static int64_t sys_sync_file_range(struct proc *p, int fd, int64_t off, int64_t nbytes, uint64_t flags)
{
	if (flags & ~7ull)
		return -EINVAL;
	if (off < 0 || nbytes < 0 || (nbytes && off > INT64_MAX - nbytes))
		return -EINVAL;
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	if (!of->inode && !of->dir)
		return -ESPIPE;
	if (!(flags & 2) || !of->inode)
		return 0;
	uint64_t shift = p->k->fmt->page_shift;
	uint64_t last = nbytes ? (uint64_t)(off + nbytes - 1) >> shift : UINT64_MAX - 1;
	op_file(p->k, p->pid, OP_FSYNC, of->inode, of->flags, 0, 0);
	writeback_range(p->k, of->inode, (uint64_t)off >> shift, last);
	return 0;
}

/* close_range(first, last, flags): CLOSE_RANGE_UNSHARE (2) has nothing to
 * unshare (no process shares its table); CLOSE_RANGE_CLOEXEC (4) marks
 * them close-on-exec instead of closing. */
static int64_t sys_close_range(struct proc *p, uint64_t first, uint64_t last, uint64_t flags)
{
	if (flags & ~6ull)
		return -EINVAL;
	if ((uint32_t)first > (uint32_t)last || first > UINT32_MAX || last > UINT32_MAX)
		return -EINVAL;
	for (uint64_t fd = first; fd <= last && fd < (uint64_t)p->nfd; fd++)
		if (p->fd[fd] && flags & 4)
			fd_set_cloexec(p, (int)fd, true);
		else if (p->fd[fd])
			os_close(p, (int)fd);
	return 0;
}

/* ---- CPU affinity: one CPU --------------------------------------------------------- */

static struct proc *proc_of_pid(struct proc *p, uint64_t pid)
{
	struct proc *q = pid ? proc_find(p->k, (int)pid) : p;
	return q && q->alive ? q : NULL;
}

/* The mask is cpumask_size() bytes: one long for one CPU. */
static int64_t sys_sched_getaffinity(struct proc *p, uint64_t pid, uint64_t len, uint64_t va)
{
	if ((len & 7) || len * 8 < 1)
		return -EINVAL;
	if ((int32_t)pid < 0 || !proc_of_pid(p, pid))
		return -ESRCH;
	uint64_t mask = 1;
	return put_user(p->k, va, &mask, 8) ? -EFAULT : 8;
}

static int64_t sys_sched_setaffinity(struct proc *p, uint64_t pid, uint64_t len, uint64_t va)
{
	uint64_t mask = 0;
	if (os_copy_from_user(p->k, &mask, va, len < 8 ? len : 8))
		return -EFAULT;
	if ((int32_t)pid < 0 || !proc_of_pid(p, pid))
		return -ESRCH;
	return mask & 1 ? 0 : -EINVAL;   /* no CPU of the mask online */
}

/* ---- extended attributes: a file system without them -------------------------------- */

enum xattr_kind { XA_SET, XA_GET, XA_LIST, XA_REMOVE };

/* The name: 1 to 255 bytes, else ERANGE (as setxattr_copy, getxattr). */
static int64_t xattr_name(struct kernel *k, uint64_t va)
{
	char name[256];
	int64_t n = os_strncpy_from_user(k, name, va, sizeof name);
	if (n == -ENAMETOOLONG || n == 0)
		return -ERANGE;
	return n < 0 ? n : 0;
}

/* The file: a path (following symbolic links or not) or a descriptor. */
static int64_t xattr_file(struct proc *p, const uint64_t a[6], bool by_fd, bool nofollow)
{
	if (by_fd)
		return fd_get(p, (int)a[0]) ? 0 : -EBADF;
	char path[PATH_MAX_GUEST];
	int64_t rc = get_path(p->k, a[0], path);
	if (rc)
		return rc;
	int err = 0;
	struct sandbox *sb = sandbox_of(p->k, &err);
	if (!sb)
		return err;
	struct stat st;
	return sandbox_stat(sb, proc_cwd_fd(p), path, &st, nofollow ? AT_SYMLINK_NOFOLLOW : 0);
}

/* Linux's order: setxattr checks flags, name and size before the lookup;
 * getxattr and removexattr the name after it. No xattr handlers: get,
 * set and remove are EOPNOTSUPP; list lists nothing (0 bytes). */
static int64_t sys_xattr(struct proc *p, enum xattr_kind kind, const uint64_t a[6], bool by_fd, bool nofollow)
{
	int64_t rc;
	if (kind == XA_SET) {
		if (a[4] & ~3ull)   /* XATTR_CREATE, XATTR_REPLACE */
			return -EINVAL;
		if ((rc = xattr_name(p->k, a[1])))
			return rc;
		if (a[3] > 65536)   /* XATTR_SIZE_MAX */
			return -E2BIG;
	}
	if ((rc = xattr_file(p, a, by_fd, nofollow)))
		return rc;
	if ((kind == XA_GET || kind == XA_REMOVE) && (rc = xattr_name(p->k, a[1])))
		return rc;
	return kind == XA_LIST ? 0 : -EOPNOTSUPP;
}

/* ---- statfs: the host file system's numbers; /proc and pipes as Linux's ---------- */

enum { ST_RDONLY_ = 1, ST_NOSUID_ = 2, ST_NODEV_ = 4, ST_NOEXEC_ = 8, ST_VALID_ = 0x20, ST_RELATIME_ = 0x1000 };

/* struct statfs: fifteen 64-bit words on both architectures (f_fsid the
 * eighth, two ints). */
static int64_t put_statfs(struct kernel *k, uint64_t va, const struct statfs *sf, uint64_t flags)
{
	uint64_t w[15] = {(uint64_t)sf->f_type, (uint64_t)sf->f_bsize, sf->f_blocks, sf->f_bfree, sf->f_bavail,
			  sf->f_files, sf->f_ffree, 0, (uint64_t)sf->f_namelen, (uint64_t)sf->f_frsize, flags};
	memcpy(&w[7], &sf->f_fsid, 8);
	return put_user(k, va, w, sizeof w);
}

/* A pseudo file system's: no blocks, no inodes to count. */
static int64_t put_pseudo_statfs(struct kernel *k, uint64_t va, long magic, uint64_t flags)
{
	struct statfs sf = {.f_type = magic, .f_bsize = 4096, .f_namelen = 255, .f_frsize = 4096};
	return put_statfs(k, va, &sf, flags | ST_VALID_);
}

/* A host file's file system; read-only when the file is the sysroot's. */
static int64_t put_host_statfs(struct kernel *k, uint64_t va, int fd)
{
	struct statfs sf;
	if (fstatfs(fd, &sf))
		return -errno;
	int err = 0;
	struct sandbox *sb = sandbox_of(k, &err);
	bool lower = sb && sandbox_fd_in_lower(sb, fd);
	return put_statfs(k, va, &sf, (uint64_t)sf.f_flags | ST_VALID_ | (lower ? ST_RDONLY_ : 0));
}

#define PROC_SUPER_MAGIC_ 0x9fa0
#define PIPEFS_MAGIC_ 0x50495045
#define PROC_MOUNT_FLAGS (ST_NOSUID_ | ST_NODEV_ | ST_NOEXEC_ | ST_RELATIME_)

static int64_t sys_statfs(struct proc *p, uint64_t path_va, uint64_t va)
{
	char path[PATH_MAX_GUEST], abs[PATH_MAX_GUEST];
	int64_t rc = get_path(p->k, path_va, path);
	if (rc)
		return rc;
	if (procfs_path(p, AT_FDCWD_GUEST, path, abs)) {
		struct stat st;
		int err = procfs_stat(p, abs, &st, 0);
		return err ? err : put_pseudo_statfs(p->k, va, PROC_SUPER_MAGIC_, PROC_MOUNT_FLAGS);
	}
	int err = 0;
	struct sandbox *sb = sandbox_of(p->k, &err);
	if (!sb)
		return err;
	int fd = sandbox_openat(sb, proc_cwd_fd(p), path, O_PATH, 0);
	if (fd < 0)
		return fd;
	rc = put_host_statfs(p->k, va, fd);
	close(fd);
	return rc;
}

static int64_t sys_fstatfs(struct proc *p, int fd, uint64_t va)
{
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	if (of->pipe)
		return put_pseudo_statfs(p->k, va, PIPEFS_MAGIC_, 0);
	if (of->proc)
		return put_pseudo_statfs(p->k, va, PROC_SUPER_MAGIC_, PROC_MOUNT_FLAGS);
	return put_host_statfs(p->k, va, backing_fd(of));
}

bool extra_syscall(struct proc *p, enum sys s, const uint64_t a[6], struct sys_result *r)
{
	switch (s) {
	/* No descriptor is a socket (the model has none): Linux's answer for
	 * a file, which its sockfd_lookup gives before anything else. Bash
	 * asks getpeername whether stdin is a network connection. */
	case S_GETSOCKNAME:
	case S_GETPEERNAME:
	case S_GETSOCKOPT:
	case S_SETSOCKOPT:
	case S_SHUTDOWN: r->ret = fd_get(p, (int)a[0]) ? -ENOTSOCK : -EBADF; break;
	case S_FDATASYNC: r->ret = os_fsync(p, (int)a[0]); break;
	case S_SYNC: os_sync(p->k); r->ret = 0; break;
	case S_SYNCFS:
		r->ret = fd_get(p, (int)a[0]) ? 0 : -EBADF;
		if (!r->ret)
			os_sync(p->k);
		break;
	case S_SYNC_FILE_RANGE: r->ret = sys_sync_file_range(p, (int)a[0], (int64_t)a[1], (int64_t)a[2], a[3]); break;
	case S_CLOSE_RANGE: r->ret = sys_close_range(p, a[0], a[1], a[2]); break;
	case S_SCHED_GETAFFINITY: r->ret = sys_sched_getaffinity(p, a[0], a[1], a[2]); break;
	case S_SCHED_SETAFFINITY: r->ret = sys_sched_setaffinity(p, a[0], a[1], a[2]); break;
	case S_SETXATTR: r->ret = sys_xattr(p, XA_SET, a, false, false); break;
	case S_LSETXATTR: r->ret = sys_xattr(p, XA_SET, a, false, true); break;
	case S_FSETXATTR: r->ret = sys_xattr(p, XA_SET, a, true, false); break;
	case S_GETXATTR: r->ret = sys_xattr(p, XA_GET, a, false, false); break;
	case S_LGETXATTR: r->ret = sys_xattr(p, XA_GET, a, false, true); break;
	case S_FGETXATTR: r->ret = sys_xattr(p, XA_GET, a, true, false); break;
	case S_LISTXATTR: r->ret = sys_xattr(p, XA_LIST, a, false, false); break;
	case S_LLISTXATTR: r->ret = sys_xattr(p, XA_LIST, a, false, true); break;
	case S_FLISTXATTR: r->ret = sys_xattr(p, XA_LIST, a, true, false); break;
	case S_REMOVEXATTR: r->ret = sys_xattr(p, XA_REMOVE, a, false, false); break;
	case S_LREMOVEXATTR: r->ret = sys_xattr(p, XA_REMOVE, a, false, true); break;
	case S_FREMOVEXATTR: r->ret = sys_xattr(p, XA_REMOVE, a, true, false); break;
	case S_STATFS: r->ret = sys_statfs(p, a[0], a[1]); break;
	case S_FSTATFS: r->ret = sys_fstatfs(p, (int)a[0], a[1]); break;
	default: return false;
	}
	return true;
}
