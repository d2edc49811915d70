/* A process's working directory (fs_struct's pwd): its own, since chdir
 * or fork, or the sandbox's (where the run started) until it moves. Its
 * own is a host O_PATH descriptor below the root, dup'ed on fork, so it
 * follows the directory through renames as Linux's does; a directory
 * inside /proc is a path instead (procfs has no host descriptor). Threads
 * share their process's, as pthreads' CLONE_FS does. */
#include "os/kernel/kernel.h"
#include "os/kernel/sandbox.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int proc_cwd_fd(const struct proc *p)
{
	return p->cwd >= 0 ? p->cwd : SANDBOX_CWD;
}

int proc_cwd_set(struct proc *p, int fd)
{
	if (fd < 0)
		return fd;
	if (p->cwd >= 0)
		close(p->cwd);
	p->cwd = fd;
	p->proc_cwd[0] = '\0';   /* out of /proc */
	return 0;
}

void proc_cwd_copy(struct proc *child, const struct proc *parent)
{
	proc_cwd_drop(child);
	child->cwd = parent->cwd >= 0 ? fcntl(parent->cwd, F_DUPFD_CLOEXEC, 0) : -1;
	memcpy(child->proc_cwd, parent->proc_cwd, sizeof child->proc_cwd);
}

void proc_cwd_drop(struct proc *p)
{
	if (p->cwd >= 0)
		close(p->cwd);
	p->cwd = -1;
}

int proc_getcwd(struct proc *p, char *buf, size_t len)
{
	if (p->proc_cwd[0]) {
		int n = snprintf(buf, len, "%s", p->proc_cwd) + 1;
		return (size_t)n > len ? -ERANGE : n;
	}
	int err = 0;
	struct sandbox *sb = sandbox_of(p->k, &err);
	if (!sb)
		return err;
	return p->cwd >= 0 ? sandbox_fdpath(sb, p->cwd, buf, len) : sandbox_getcwd(sb, buf, len);
}
