/* epoll — the epoll calls as Go's runtime and event loops use them
 * (os/kernel/epoll.c): a pipe watched level- and edge-triggered, EPOLLONESHOT
 * re-armed by EPOLL_CTL_MOD, the hang-up of a closed writer, a timeout, a
 * wait woken by a forked child's write, an epoll inside an epoll, and
 * Linux's errors (EPERM for a regular file, EEXIST, ENOENT, ELOOP, EINVAL,
 * EBADF, EFAULT).
 *
 * Prints what each wait returned (counts, events, data); exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

static int wait_show(const char *what, int ep, int timeout)
{
	struct epoll_event ev[4];
	int n = epoll_wait(ep, ev, 4, timeout);
	printf("%s: %d", what, n);
	if (n < 0)
		printf(" (%s)", strerror(errno));
	for (int i = 0; i < n; i++)
		printf(" [events %#x data %llu]", ev[i].events, (unsigned long long)ev[i].data.u64);
	printf("\n");
	return n;
}

/* A call's result and, when it failed, its error (errno read after the call). */
static void show(const char *what, long rc)
{
	int e = errno;
	printf("%s: %ld%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? strerror(e) : "");
}

static void ctl_show(const char *what, int ep, int op, int fd, unsigned events)
{
	struct epoll_event ev = {.events = events, .data.u64 = (unsigned)fd};
	int rc = epoll_ctl(ep, op, fd, &ev);
	printf("%s: %d%s%s\n", what, rc, rc ? " " : "", rc ? strerror(errno) : "");
}

int main(void)
{
	int p[2], ep = epoll_create1(EPOLL_CLOEXEC);
	char buf[16];
	if (ep < 0 || pipe(p)) {
		perror("setup");
		return 1;
	}
	printf("FD_CLOEXEC: %d\n", fcntl(ep, F_GETFD) & FD_CLOEXEC);
	ctl_show("add read end", ep, EPOLL_CTL_ADD, p[0], EPOLLIN);
	ctl_show("add again", ep, EPOLL_CTL_ADD, p[0], EPOLLIN);
	wait_show("empty, timeout 10 ms", ep, 10);
	(void)!write(p[1], "ab", 2);
	wait_show("level, data", ep, 0);
	wait_show("level, still", ep, 0);
	(void)!read(p[0], buf, 2);
	wait_show("level, drained", ep, 0);

	ctl_show("mod to edge", ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLET);
	(void)!write(p[1], "c", 1);
	wait_show("edge, data", ep, 0);
	wait_show("edge, no new write", ep, 0);
	(void)!write(p[1], "d", 1);
	wait_show("edge, another write", ep, 0);
	(void)!read(p[0], buf, sizeof buf);

	ctl_show("mod to oneshot", ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT);
	(void)!write(p[1], "e", 1);
	wait_show("oneshot", ep, 0);
	wait_show("oneshot, disabled", ep, 0);
	ctl_show("re-arm", ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT);
	wait_show("oneshot, re-armed", ep, 0);
	(void)!read(p[0], buf, sizeof buf);
	ctl_show("mod to level", ep, EPOLL_CTL_MOD, p[0], EPOLLIN);

	/* A child writes after a while: the parent's wait sleeps until then. */
	pid_t pid = fork();
	if (pid == 0) {
		usleep(20000);
		(void)!write(p[1], "child", 5);
		_exit(0);
	}
	wait_show("woken by the child", ep, -1);
	waitpid(pid, NULL, 0);
	(void)!read(p[0], buf, sizeof buf);

	/* Nested: the outer epoll is readable when the inner one is. */
	int outer = epoll_create(1);
	ctl_show("add inner to outer", outer, EPOLL_CTL_ADD, ep, EPOLLIN);
	ctl_show("add outer to inner (loop)", ep, EPOLL_CTL_ADD, outer, EPOLLIN);
	wait_show("outer, inner empty", outer, 0);
	(void)!write(p[1], "f", 1);
	wait_show("outer, inner ready", outer, 0);
	(void)!read(p[0], buf, sizeof buf);

	close(p[1]);
	wait_show("writer closed", ep, 0);
	ctl_show("add a bad descriptor", ep, EPOLL_CTL_ADD, p[0] + 100, EPOLLIN);
	ctl_show("del", ep, EPOLL_CTL_DEL, p[0], 0);
	ctl_show("del again", ep, EPOLL_CTL_DEL, p[0], 0);
	ctl_show("mod absent", ep, EPOLL_CTL_MOD, p[0], EPOLLIN);

	int f = open("epoll.tmp", O_CREAT | O_RDWR | O_TRUNC, 0600);
	ctl_show("add regular file", ep, EPOLL_CTL_ADD, f, EPOLLIN);
	ctl_show("add itself", ep, EPOLL_CTL_ADD, ep, EPOLLIN);
	ctl_show("not an epoll", f, EPOLL_CTL_ADD, p[0], EPOLLIN);
	ctl_show("bad op", ep, 7, p[0], EPOLLIN);
	ctl_show("exclusive mod", ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLEXCLUSIVE);
	struct epoll_event ev;
	show("bad event pointer", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], (void *)8));
	show("wait, 0 events", epoll_wait(ep, &ev, 0, 0));
	show("wait, bad buffer", epoll_wait(ep, (void *)-4096L, 1, 0));
	show("wait, not an epoll", epoll_wait(f, &ev, 1, 0));
	show("wait, bad fd", epoll_wait(99, &ev, 1, 0));
	show("read of an epoll", read(ep, buf, 1));
	show("create1 bad flags", epoll_create1(1));
	show("create size 0", epoll_create(0));
	close(f);
	unlink("epoll.tmp");
	return 0;
}
