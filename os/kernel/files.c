/* Files and descriptors: the descriptor table, opening files in the
 * sandbox (or the program's own, /proc/self/exe), read and write, and the
 * file calls a replay makes too (ftruncate, fsync, mkdir -p, naming). */
#include "os/kernel/kernel.h"
#include "os/kernel/sandbox.h"
#include "os/kernel/syscall.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sandbox *sandbox_of(struct kernel *k, int *err)
{
	if (!k->svc->sb) {
		char msg[256];
		k->svc->sb = sandbox_open(k->svc->root ? k->svc->root : ".", msg, sizeof msg);
		if (k->svc->sb)
			sandbox_measure(k, k->svc->sb);
		if (!k->svc->sb)
			*err = -EACCES;
		else if (k->svc->sysroot && sandbox_set_lower(k->svc->sb, k->svc->sysroot, msg, sizeof msg))
			*err = -EACCES;   /* checked by os_set_sysroot; gone since */
	}
	return k->svc->sb;
}

int fd_install_inode(struct proc *p, struct inode *i, uint32_t flags)
{
	struct open_file *of = calloc(1, sizeof *of);
	if (!of)
		return -ENOMEM;
	*of = (struct open_file){.inode = i, .host_fd = -1, .flags = flags, .refcount = 1};
	inode_get(i);
	int slot = fd_install(p, of, 0);
	if (slot < 0)
		open_file_put(p->k, of);
	return slot;
}

/* A descriptor of p for a host descriptor that is not a regular file: a
 * directory (getdents64, a base for *at calls), or a device or FIFO
 * (I/O straight through, like the terminal). */
static int install_special(struct proc *p, int fd, const struct stat *st, uint32_t flags)
{
	struct open_file *of = calloc(1, sizeof *of);
	if (!of) {
		close(fd);
		return -ENOMEM;
	}
	if (S_ISDIR(st->st_mode))
		*of = (struct open_file){.dir = true, .dir_fd = fd, .host_fd = -1, .flags = flags, .refcount = 1};
	else
		*of = (struct open_file){.host_fd = fd, .own_host_fd = true, .flags = flags, .refcount = 1};
	int slot = fd_install(p, of, 0);
	if (slot < 0)
		open_file_put(p->k, of);
	return slot;
}

/* /proc/self/exe: the running program, wherever it lives (as execve and
 * readlink see it). Read only: Linux refuses writers of a running
 * program (ETXTBSY). */
static int open_own_program(struct proc *p, uint32_t flags)
{
	if (flags & (OPEN_WRITE | OPEN_TRUNC))
		return -ETXTBSY;
	int err = 0, fd = proc_exe_open(p);   /* the file vetted at exec, never its name again */
	if (fd < 0)
		return fd;
	struct inode *i = inode_of_host_fd(p->k, fd, p->exe, false, &err);
	return i ? fd_install_inode(p, i, flags) : err;
}

static int host_access_mode(uint32_t flags)
{
	return (flags & OPEN_READ) && (flags & OPEN_WRITE) ? O_RDWR : (flags & OPEN_WRITE) ? O_WRONLY : O_RDONLY;
}

bool dev_memory_device(const char *path)
{
	static const char *const names[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(path, names[i]))
			return true;
	return false;
}

/* A host file opened and its stat: the descriptor, or -errno. */
static int open_host_stat(const char *path, int flags, struct stat *st)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

bool dev_fd_link(const char *path, char out[PATH_MAX_GUEST])
{
	static const char *const std[] = {"/dev/stdin", "/dev/stdout", "/dev/stderr"};
	for (int i = 0; i < 3; i++)
		if (!strcmp(path, std[i])) {
			snprintf(out, PATH_MAX_GUEST, "/proc/self/fd/%d", i);
			return true;
		}
	if (strncmp(path, "/dev/fd", 7) || (path[7] != '/' && path[7] != '\0'))
		return false;
	snprintf(out, PATH_MAX_GUEST, "/proc/self/fd%s", path + 7);
	return true;
}

/* /dev/null, /dev/zero, /dev/full: the host's, as a device is (I/O
 * straight through). /dev/random and /dev/urandom are the host's too, but
 * for their data: getrandom's generator, so that runs repeat. An open that
 * creates finds it there. */
static int open_memory_device(struct proc *p, const char *path, uint32_t flags)
{
	if ((flags & OPEN_CREATE) && (flags & OPEN_EXCL))
		return -EEXIST;
	struct stat st;
	int fd = open_host_stat(path, host_access_mode(flags) | (flags & OPEN_DIRECTORY ? O_DIRECTORY : 0), &st);
	int slot = fd < 0 ? fd : install_special(p, fd, &st, flags);
	if (slot >= 0 && (!strcmp(path, "/dev/random") || !strcmp(path, "/dev/urandom")))
		fd_get(p, slot)->random = true;
	return slot;
}

int os_openat(struct proc *p, int dirfd, const char *path, uint32_t flags, unsigned mode)
{
	struct kernel *k = p->k;
	if (!strcmp(path, "/proc/self/exe") && p->exe)
		return open_own_program(p, flags);
	if (path[0] == '/' && procfs_claims(path))
		return procfs_open(p, path, flags);
	if (dev_memory_device(path))
		return open_memory_device(p, path, flags);
	int err = 0;
	struct sandbox *sb = sandbox_of(k, &err);
	if (!sb)
		return err;
	int acc = host_access_mode(flags);
	int extra = (flags & OPEN_NOFOLLOW ? O_NOFOLLOW : 0) | (flags & OPEN_DIRECTORY ? O_DIRECTORY : 0);
	int hflags = acc | extra | (flags & OPEN_CREATE ? O_CREAT : 0) | (flags & OPEN_EXCL ? O_EXCL : 0) | O_CLOEXEC;
	/* A mode the host will not get is kept for stat, if this open creates. */
	struct stat st;
	bool keep_mode = (flags & OPEN_CREATE) && mode_model_wants(mode) &&
			 ((flags & OPEN_EXCL) || sandbox_stat(sb, dirfd, path, &st, 0) == -ENOENT);
	int fd = sandbox_openat(sb, dirfd, path, hflags, mode);
	if (fd < 0)   /* the host out of descriptors is the system's table full, not the guest's limit */
		return fd == -EMFILE ? -ENFILE : fd;
	if (fstat(fd, &st)) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (keep_mode)
		mode_model_set(k, &st, mode);
	if (!S_ISREG(st.st_mode))
		return install_special(p, fd, &st, flags);
	/* The kernel's own descriptor reads and writes back pages whatever the
	 * guest asked for: open it read-write when the file allows. */
	if (acc != O_RDWR) {
		int rw = sandbox_openat(sb, dirfd, path, O_RDWR | O_CLOEXEC | (extra & O_NOFOLLOW), 0);
		struct stat rst;
		if (rw >= 0 && (fstat(rw, &rst) || rst.st_dev != st.st_dev || rst.st_ino != st.st_ino)) {
			close(rw);   /* not the file just vetted: the name was changed meanwhile */
			rw = -1;
		}
		if (rw >= 0) {
			close(fd);
			fd = rw;
			acc = O_RDWR;
		}
	}
	struct inode *i = inode_of_host_fd(k, fd, path, acc == O_RDWR, &err);
	if (!i)
		return err;
	if (flags & OPEN_TRUNC && (flags & OPEN_WRITE))
		os_truncate(k, i, 0);
	return fd_install_inode(p, i, flags);
}

int os_open(struct proc *p, const char *path, uint32_t flags, unsigned mode)
{
	return os_openat(p, proc_cwd_fd(p), path, flags, mode);
}

int fd_install(struct proc *p, struct open_file *of, int lowest)
{
	int slot = lowest;
	while (slot < p->nfd && p->fd[slot])
		slot++;
	if ((uint64_t)slot >= p->rlim[RLIM_NOFILE][0] || slot >= (int)RLIM_NOFILE_MAX)
		return -EMFILE;
	if (slot >= p->nfd) {
		int n = p->nfd ? p->nfd : 16;
		while (n <= slot)
			n *= 2;
		struct open_file **nf = realloc(p->fd, (size_t)n * sizeof *nf);
		if (!nf)
			return -ENOMEM;
		p->fd = nf;
		bool *nc = realloc(p->cloexec, (size_t)n * sizeof *nc);
		if (!nc)
			return -ENOMEM;
		p->cloexec = nc;
		memset(nf + p->nfd, 0, (size_t)(n - p->nfd) * sizeof *nf);
		memset(nc + p->nfd, 0, (size_t)(n - p->nfd) * sizeof *nc);
		p->nfd = n;
	}
	p->fd[slot] = of;
	p->cloexec[slot] = false;
	return slot;
}

int os_attach_host_fd(struct proc *p, int guest_fd, int host_fd, uint32_t flags)
{
	struct open_file *of = calloc(1, sizeof *of);
	if (!of)
		return -ENOMEM;
	*of = (struct open_file){.host_fd = host_fd, .flags = flags, .refcount = 1};
	if (guest_fd < p->nfd && p->fd[guest_fd])
		os_close(p, guest_fd);
	int slot = fd_install(p, of, guest_fd);
	if (slot != guest_fd) {
		if (slot >= 0)
			p->fd[slot] = NULL;
		free(of);
		return slot < 0 ? slot : -EBUSY;
	}
	return slot;
}

struct open_file *fd_get(struct proc *p, int fd)
{
	return fd >= 0 && fd < p->nfd ? p->fd[fd] : NULL;
}

void open_file_put(struct kernel *k, struct open_file *of)
{
	if (--of->refcount == 0) {
		locks_remove_file(k, of);
		if (of->epoll_watched)
			epoll_file_gone(k, of);
		if (of->epoll)
			epoll_release(of);
		if (of->inode)
			inode_put(k, of->inode);
		if (of->pipe)
			pipe_release(of);
		if (of->dir)
			close(of->dir_fd);
		if (of->own_host_fd)
			close(of->host_fd);
		if (of->proc)
			procfs_release(of->proc);
		free(of);
	}
}

int os_close(struct proc *p, int fd)
{
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	p->fd[fd] = NULL;
	locks_remove_posix(p, of);
	open_file_put(p->k, of);
	return 0;
}

void fd_table_copy(struct proc *child, const struct proc *parent)
{
	if (!parent->nfd)
		return;
	child->fd = calloc((size_t)parent->nfd, sizeof *child->fd);
	child->cloexec = calloc((size_t)parent->nfd, sizeof *child->cloexec);
	if (!child->fd || !child->cloexec) {
		free(child->fd);
		free(child->cloexec);
		child->fd = NULL;
		child->cloexec = NULL;
		return;
	}
	child->nfd = parent->nfd;
	memcpy(child->cloexec, parent->cloexec, (size_t)parent->nfd * sizeof *child->cloexec);
	for (int i = 0; i < parent->nfd; i++)
		if ((child->fd[i] = parent->fd[i]))
			child->fd[i]->refcount++;
}

void fd_set_cloexec(struct proc *p, int fd, bool on)
{
	if (fd_get(p, fd))
		p->cloexec[fd] = on;
}

bool fd_cloexec(const struct proc *p, int fd)
{
	return fd >= 0 && fd < p->nfd && p->fd[fd] && p->cloexec[fd];
}

void fd_close_on_exec(struct proc *p)
{
	for (int i = 0; i < p->nfd; i++)
		if (p->fd[i] && p->cloexec[i])
			os_close(p, i);   /* as close: its POSIX locks go too */
}

void fd_table_close(struct proc *p)
{
	flock_wait_over(p);
	for (int i = 0; i < p->nfd; i++)
		if (p->fd[i]) {
			struct open_file *of = p->fd[i];
			p->fd[i] = NULL;   /* epoll_file_gone reads the table meanwhile */
			locks_remove_posix(p, of);
			open_file_put(p->k, of);
		}
	free(p->fd);
	free(p->cloexec);
	p->fd = NULL;
	p->cloexec = NULL;
	p->nfd = 0;
}

/* A host stream (a terminal, a pipe, a file the guest got as its standard
 * input or output): I/O at the host descriptor's own position, so output
 * appended by the shell stays appended. */
static int64_t host_stream_io(int fd, void *buf, uint64_t len, bool to_host)
{
	ssize_t n = to_host ? write(fd, buf, len) : read(fd, buf, len);
	return n < 0 ? -errno : n;
}

/* RLIMIT_FSIZE (generic_write_check_limits): a write starting at or past
 * it is SIGXFSZ and EFBIG (0 here), one crossing it is cut short. */
static uint64_t fsize_limit(struct proc *p, uint64_t off, uint64_t len)
{
	uint64_t limit = p->rlim[RLIM_FSIZE][0];
	if (!len || limit == UINT64_MAX || off + len <= limit)
		return len;
	if (off >= limit) {
		signal_send_thread(p->thread, &(struct ksiginfo){.signo = SIGXFSZ, .pid = p->pid});
		return 0;
	}
	return limit - off;
}

/* read() and write(): a pipe, a host stream, or a file's page cache. */
static int64_t file_rw(struct proc *p, int fd, void *buf, uint64_t len, uint64_t off, bool write)
{
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	if (!(of->flags & (write ? OPEN_WRITE : OPEN_READ)))
		return -EBADF;
	if (of->pipe)
		return pipe_io(of, buf, len, write);
	if (of->epoll)
		return -EINVAL;   /* an epoll has no read or write */
	if (of->proc)
		return write ? procfs_write(p, of, buf, len) : procfs_read(p, of, buf, len, off);
	if (of->random) {   /* a write would stir the host's pool: taken, as Linux takes it, and dropped */
		if (!write)
			random_bytes(p->k, buf, len);
		return (int64_t)len;
	}
	if (!of->inode)   /* a host stream: straight through */
		return host_stream_io(of->host_fd, buf, len, write);
	if (write && len && (len = fsize_limit(p, off, len)) == 0)
		return -EFBIG;
	if (write) {   /* the host disk and --disk-limit: cut short, or ENOSPC */
		int64_t fit = pagecache_reserve(p->k, of->inode, off, len);
		if (fit < 0)
			return fit;
		len = (uint64_t)fit;
	}
	op_file(p->k, p->pid, write ? OP_PWRITE : OP_PREAD, of->inode, of->flags, off, len);   /* for recording */
	return pagecache_rw(p->k, of->inode, buf, len, off, write);
}

int64_t os_pread(struct proc *p, int fd, void *buf, uint64_t len, uint64_t off)
{
	return file_rw(p, fd, buf, len, off, false);
}

int64_t os_pwrite(struct proc *p, int fd, const void *buf, uint64_t len, uint64_t off)
{
	return file_rw(p, fd, (void *)buf, len, off, true);
}

int os_set_root(struct kernel *k, const char *root, char *err, size_t errlen)
{
	struct sandbox *sb = sandbox_open(root, err, errlen);
	if (!sb)
		return -1;
	sandbox_measure(k, sb);
	if (k->svc->sb)
		sandbox_close(k->svc->sb);
	k->svc->sb = sb;
	free(k->svc->root);
	k->svc->root = strdup(root);
	if (k->svc->sysroot && sandbox_set_lower(sb, k->svc->sysroot, err, errlen))
		return -1;
	return 0;
}

int os_set_sysroot(struct kernel *k, const char *dir, char *err, size_t errlen)
{
	int e = 0;
	struct sandbox *sb = sandbox_of(k, &e);
	if (!sb) {
		snprintf(err, errlen, "the guest's root cannot be opened");
		return -1;
	}
	if (sandbox_set_lower(sb, dir, err, errlen))
		return -1;
	free(k->svc->sysroot);
	k->svc->sysroot = dir ? strdup(dir) : NULL;
	return 0;
}

/* A file as it is on disk before the run: written to the host directly,
 * not through the page cache; a cached copy of an earlier version (and
 * every mapping of its pages) is dropped. */
int os_put_file(struct kernel *k, const char *path, uint64_t size, file_fill_fn fill, void *ctx)
{
	int err = 0;
	struct sandbox *sb = sandbox_of(k, &err);
	if (!sb)
		return err;
	int fd = sandbox_openat(sb, SANDBOX_CWD, path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fd;
	static uint8_t chunk[1 << 16];
	if (!fill && ftruncate(fd, (off_t)size)) {   /* zeros: a sparse file, nothing written */
		close(fd);
		return -EIO;
	}
	for (uint64_t off = 0; fill && off < size;) {
		size_t n = size - off < sizeof chunk ? (size_t)(size - off) : sizeof chunk;
		fill(ctx, off, chunk, n);
		ssize_t w = pwrite(fd, chunk, n, (off_t)off);
		if (w <= 0) {
			close(fd);
			return -EIO;
		}
		off += (uint64_t)w;
	}
	struct stat st;
	struct inode *i = fstat(fd, &st) == 0 ? inode_lookup(k, &st) : NULL;
	if (i) {
		pagecache_truncate(k, i, 0);
		i->size = size;
	}
	close(fd);
	return 0;
}

/* The ELF loader's program file: a host path, not looked up in the sandbox
 * (it is what the user asked mmusim to run), opened read-only as an inode
 * so its segments are file mappings through the page cache. The inode is
 * shared with any later open of the same file by the guest. */
int os_open_host(struct proc *p, const char *host_path, const char *name)
{
	struct kernel *k = p->k;
	struct stat st;
	int fd = open_host_stat(host_path, O_RDONLY, &st);
	if (fd < 0)
		return fd;
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EACCES;
	}
	int err = 0;
	struct inode *i = inode_of_host_fd(k, fd, name, false, &err);
	if (!i)
		return err;
	return fd_install_inode(p, i, OPEN_READ);
}

/* A program a guest execs: its path resolved in the sandbox like any open
 * (a relative one from the exec'ing process's working directory), as a
 * host descriptor the loader can open again by /proc/self/fd/N. */
int sandbox_open_exec(struct kernel *k, const char *path)
{
	int err = 0;
	struct sandbox *sb = sandbox_of(k, &err);
	if (!sb)
		return err;
	struct proc *p = kernel_current(k);
	return sandbox_openat(sb, p ? proc_cwd_fd(p) : SANDBOX_CWD, path, O_RDONLY | O_CLOEXEC, 0);
}

int64_t os_ftruncate(struct proc *p, int fd, uint64_t len)
{
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	if (!of->inode || !(of->flags & OPEN_WRITE) || len > INT64_MAX)
		return -EINVAL;
	return os_truncate(p->k, of->inode, len);   /* tells the hook */
}

int64_t os_fsync(struct proc *p, int fd)
{
	struct open_file *of = fd_get(p, fd);
	if (!of)
		return -EBADF;
	if (of->inode) {
		op_file(p->k, p->pid, OP_FSYNC, of->inode, of->flags, 0, 0);
		writeback_range(p->k, of->inode, 0, UINT64_MAX - 1);
		return pagecache_take_wb_err(of->inode);   /* ENOSPC, EFBIG, EIO: the data is not on disk */
	}
	return 0;
}

int os_name_file(struct proc *p, int fd, const char *name)
{
	struct open_file *of = fd_get(p, fd);
	if (!of || !of->inode)
		return -EBADF;
	snprintf(of->inode->name, sizeof of->inode->name, "%s", name);
	return 0;
}

int os_mkdirs(struct kernel *k, const char *path)
{
	int err = 0;
	struct sandbox *sb = sandbox_of(k, &err);
	if (!sb)
		return err;
	size_t n = strlen(path);
	char dir[4096];
	if (n >= sizeof dir)
		return -ENAMETOOLONG;
	memcpy(dir, path, n + 1);
	/* Each prefix that ends before a '/' (and is not empty): a, a/b, ... */
	for (size_t i = 1; i < n; i++) {
		if (dir[i] != '/' || dir[i - 1] == '/')
			continue;
		dir[i] = '\0';
		int rc = sandbox_mkdir(sb, SANDBOX_CWD, dir, 0755);
		dir[i] = '/';
		if (rc && rc != -EEXIST)
			return rc;
	}
	return 0;
}

void files_release(struct kernel *k)
{
	if (k->svc->sb)
		sandbox_close(k->svc->sb);
	k->svc->sb = NULL;
}
