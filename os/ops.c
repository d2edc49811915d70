/* The operation hook (os.h, "Operations"): what a recorder is told so that
 * a replay can make the same operations again; and the few calls a replay
 * makes that the system-call layer otherwise makes inline (fsync,
 * ftruncate) or that only a replay needs for the files of a recorded trace
 * (mkdir -p below the root, a file's name as the recorded kernel had it).
 *
 * The hook is told at the choke points where the machine's state changes,
 * not per system call: os_access (fault.c), kernel_switch (kernel.c),
 * fork, exec, exit and the address-space calls (mm.c), and page-cache I/O,
 * truncation and fsync (filemap.c file_rw and os_truncate, and os_fsync
 * here). A system call made of several of them (execve, read) is told as
 * its parts; one that changes none of that state (open, close, dup, pipe,
 * stat, rename ...) is not told at all. */
#include "os/internal.h"
#include "os/sandbox.h"

#include <stdio.h>
#include <string.h>

void kernel_set_op_hook(struct kernel *k, os_op_fn fn, void *ctx)
{
	k->op_hook = fn;
	k->op_ctx = ctx;
}

void op_emit(struct kernel *k, const struct proc *p, struct os_op *op)
{
	if (!k->op_hook)
		return;
	op->pid = p ? p->pid : 0;
	k->op_hook(k->op_ctx, op);
}

void op_file(struct kernel *k, const struct proc *p, enum os_op_kind kind, const struct inode *i,
	     uint32_t open_flags, uint64_t offset, uint64_t len)
{
	if (!k->op_hook)
		return;
	struct os_op op = {.kind = kind};
	op.file.inode = i;
	op.file.size = i->size;
	op.file.open_flags = open_flags;
	op.file.offset = offset;
	op.file.len = len;
	op_emit(k, p, &op);
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
		op_file(p->k, p, OP_FSYNC, of->inode, of->flags, 0, 0);
		writeback_range(p->k, of->inode, 0, UINT64_MAX - 1);
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
