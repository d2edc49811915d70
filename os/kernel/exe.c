/* The program a process runs (/proc/PID/exe): its name, and a host
 * descriptor held since the file was vetted (the exec's open below the
 * root, or the user's own program). Every later open of the program
 * (/proc/self/exe, /proc/PID/exe, an exec of them) reopens that descriptor
 * through /proc/self/fd/N, which names the file itself: a path
 * re-resolved later could meet a symbolic link the guest put in its place
 * and follow it out of the root. */
#include "os/kernel/kernel.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void proc_exe_set(struct proc *p, const char *name, int host_fd)
{
	int fd = host_fd >= 0 ? fcntl(host_fd, F_DUPFD_CLOEXEC, 0) : -1;
	proc_exe_drop(p);
	p->exe = strdup(name);
	p->exe_fd = fd;
}

void proc_exe_copy(struct proc *child, const struct proc *parent)
{
	proc_exe_set(child, parent->exe ? parent->exe : "", parent->exe_fd);
	if (!parent->exe) {
		free(child->exe);
		child->exe = NULL;
	}
}

void proc_exe_drop(struct proc *p)
{
	free(p->exe);
	p->exe = NULL;
	if (p->exe_fd >= 0)
		close(p->exe_fd);
	p->exe_fd = -1;
}

int proc_exe_path(const struct proc *p, char *buf, size_t len)
{
	if (!p->exe || p->exe_fd < 0)
		return -ENOENT;
	snprintf(buf, len, "/proc/self/fd/%d", p->exe_fd);
	return 0;
}

int proc_exe_open(const struct proc *p)
{
	char path[40];
	int rc = proc_exe_path(p, path, sizeof path);
	if (rc)
		return rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

void proc_exe_close(struct proc *p)
{
	if (p->exe_fd >= 0)
		close(p->exe_fd);
	p->exe_fd = -1;
}
