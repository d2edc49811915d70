/* cloexec — the close-on-exec flag, per descriptor.
 *
 * Every way Linux sets or clears FD_CLOEXEC marks one descriptor at a
 * fixed number (10 to 25): open with O_CLOEXEC, dup2 (clears), dup3 with
 * O_CLOEXEC, F_DUPFD_CLOEXEC, F_DUPFD (clears), FIOCLEX, FIONCLEX,
 * F_SETFD, close_range with CLOSE_RANGE_CLOEXEC, pipe2 with O_CLOEXEC.
 * A forked child (which inherits the flags) takes a POSIX lock through a
 * marked descriptor of a file it also holds unmarked, and execs the
 * program itself with "check": the new image reports which descriptors
 * survived, and a child of it asks F_GETLK whether the lock went with the
 * descriptor exec closed (it must: a close of any descriptor of a file
 * drops the process's locks on it).
 *
 * Memory behaviour: fork shares the pages copy-on-write, then exec throws
 * the child's address space away; the parent waits.
 *
 * Prints each descriptor's F_GETFD before, then "open" or "closed" for
 * each after exec; exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC 4
#endif
#define NR_CLOSE_RANGE 436   /* the same number on both architectures */

extern char **environ;

static const struct {
	int fd;
	const char *how;
} fds[] = {
	{10, "open O_CLOEXEC"}, {11, "open"}, {12, "dup2 of 10"}, {13, "dup3 O_CLOEXEC of 11"},
	{14, "F_DUPFD_CLOEXEC of 11"}, {15, "F_DUPFD of 10"}, {16, "open, FIOCLEX"},
	{17, "open O_CLOEXEC, FIONCLEX"}, {18, "open, F_SETFD 1"}, {19, "open O_CLOEXEC, F_SETFD 0"},
	{21, "close_range CLOEXEC"}, {22, "close_range CLOEXEC"}, {23, "open (after the range)"},
};
#define NFDS (sizeof fds / sizeof fds[0])

static void die(const char *what)
{
	printf("%s: %s\n", what, strerror(errno));
	exit(1);
}

/* A fresh descriptor of name at exactly fd. */
static void open_at(const char *name, int fd, int flags)
{
	int got = open(name, O_RDWR | O_CREAT | flags, 0644);
	if (got < 0)
		die("open");
	if (got != fd) {
		if (dup3(got, fd, flags & O_CLOEXEC) != fd)
			die("dup3");
		close(got);
	}
}

static void setup(void)
{
	open_at("a", 10, O_CLOEXEC);
	open_at("b", 11, 0);
	if (dup2(10, 12) != 12 || dup3(11, 13, O_CLOEXEC) != 13)
		die("dup2/dup3");
	if (fcntl(11, F_DUPFD_CLOEXEC, 14) != 14 || fcntl(10, F_DUPFD, 15) != 15)
		die("F_DUPFD");
	open_at("c", 16, 0);
	ioctl(16, FIOCLEX);
	open_at("d", 17, O_CLOEXEC);
	ioctl(17, FIONCLEX);
	open_at("e", 18, 0);
	fcntl(18, F_SETFD, FD_CLOEXEC);
	open_at("f", 19, O_CLOEXEC);
	fcntl(19, F_SETFD, 0);
	open_at("g", 21, 0);
	open_at("h", 22, 0);
	open_at("i", 23, 0);
	if (syscall(NR_CLOSE_RANGE, 21, 22, CLOSE_RANGE_CLOEXEC))
		die("close_range");
}

/* The new image: which descriptors exec left, and whether the lock the
 * child took through descriptor 10 (file a, still open as 12) is gone. */
static int check(int pr, int pw)
{
	printf("after exec:\n");
	for (size_t i = 0; i < NFDS; i++)
		printf("  %d %-28s %s\n", fds[i].fd, fds[i].how, fcntl(fds[i].fd, F_GETFD) < 0 ? "closed" : "open");
	printf("  pipe2 O_CLOEXEC read end %s, write end %s\n", fcntl(pr, F_GETFD) < 0 ? "closed" : "open",
	       fcntl(pw, F_GETFD) < 0 ? "closed" : "open");
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		if (fcntl(12, F_GETLK, &fl))
			die("F_GETLK");
		printf("  lock taken through 10: %s\n", fl.l_type == F_UNLCK ? "released by exec" : "still held");
		return 0;
	}
	int st;
	waitpid(c, &st, 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "check"))
		return check(atoi(argv[2]), atoi(argv[3]));
	setup();
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		die("pipe2");
	printf("F_GETFD before exec:\n");
	for (size_t i = 0; i < NFDS; i++)
		printf("  %d %-28s %d\n", fds[i].fd, fds[i].how, fcntl(fds[i].fd, F_GETFD));
	printf("  pipe2 O_CLOEXEC             %d %d\n", fcntl(p[0], F_GETFD), fcntl(p[1], F_GETFD));
	int same = dup3(10, 10, O_CLOEXEC);
	printf("dup3(10, 10, O_CLOEXEC): %d %s\n", same, same < 0 ? strerror(errno) : "");
	printf("dup2(10, 10): %d\n", dup2(10, 10));
	fflush(stdout);
	pid_t c = fork();
	if (c < 0)
		die("fork");
	if (c == 0) {
		printf("child after fork: F_GETFD(10) %d, F_GETFD(11) %d\n", fcntl(10, F_GETFD), fcntl(11, F_GETFD));
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		if (fcntl(10, F_SETLK, &fl))
			die("F_SETLK");
		fflush(stdout);
		char a1[16], a2[16];
		snprintf(a1, sizeof a1, "%d", p[0]);
		snprintf(a2, sizeof a2, "%d", p[1]);
		char *args[] = {argv[0], "check", a1, a2, NULL};
		execve("/proc/self/exe", args, environ);
		die("execve");
	}
	int st;
	if (waitpid(c, &st, 0) != c)
		die("waitpid");
	printf("child exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	printf("parent still has 10: F_GETFD %d\n", fcntl(10, F_GETFD));
	return 0;
}
