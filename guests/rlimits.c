/* rlimits — resource limits a program sets for itself and its children.
 *
 * Memory behaviour: the stack child lowers RLIMIT_STACK to 256 KiB, then
 * recurses with 16 KiB frames: the stack VMA may grow only that far, and
 * the next frame's access is a fault no VMA answers: SIGSEGV. The rest is
 * bookkeeping the kernel keeps per process: RLIMIT_NOFILE lowered to 16
 * makes descriptor 16 EMFILE (the child opens rlimits.tmp, which it
 * creates, until then), and a child inherits the limit; prlimit64
 * refuses soft > hard (EINVAL), a hard RLIMIT_NOFILE above fs.nr_open
 * (EPERM), an unknown resource (EINVAL), a process that does not exist
 * (ESRCH) and a bad pointer (EFAULT).
 *
 * Prints one line per check (the same natively, as root, and in mmusim)
 * and exits 0. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long raw_prlimit(long pid, long res, const void *new_lim, void *old_lim)
{
	long r = syscall(SYS_prlimit64, pid, res, new_lim, old_lim);
	return r < 0 ? -errno : r;
}

static const char *err_name(long e)
{
	switch (-e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case EFAULT: return "EFAULT";
	case EMFILE: return "EMFILE";
	default: return "other";
	}
}

/* Opens a file of its own until that fails: the highest descriptor it got
 * (whatever descriptors it inherited), and why it stopped. */
static int open_until_full(int *err)
{
	int highest = -1;
	for (;;) {
		int fd = open("rlimits.tmp", O_RDONLY | O_CREAT, 0600);
		if (fd < 0) {
			*err = -errno;
			return highest;
		}
		highest = fd > highest ? fd : highest;
	}
}

static volatile char sink;

static void recurse(int depth)
{
	volatile char frame[16 * 1024];
	frame[0] = (char)depth;
	frame[sizeof frame - 1] = (char)depth;
	if (depth < 64)
		recurse(depth + 1);
	sink = frame[0];
}

int main(void)
{
	struct rlimit r;
	getrlimit(RLIMIT_NOFILE, &r);
	struct rlimit sixteen = {16, r.rlim_max};
	printf("setrlimit NOFILE 16: %s\n", err_name(setrlimit(RLIMIT_NOFILE, &sixteen) ? -errno : 0));
	getrlimit(RLIMIT_NOFILE, &r);
	printf("getrlimit NOFILE soft: %lu\n", (unsigned long)r.rlim_cur);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit c;
		getrlimit(RLIMIT_NOFILE, &c);
		int e = 0, highest = open_until_full(&e);
		printf("child: NOFILE soft %lu, descriptors up to %d, then %s\n", (unsigned long)c.rlim_cur, highest,
		       err_name(e));
		fflush(stdout);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	unlink("rlimits.tmp");

	struct rlimit bad = {10, 5};
	printf("soft above hard: %s\n", err_name(raw_prlimit(0, RLIMIT_NOFILE, &bad, NULL)));
	struct rlimit huge = {16, 1ul << 40};
	printf("NOFILE hard above nr_open: %s\n", err_name(raw_prlimit(0, RLIMIT_NOFILE, &huge, NULL)));
	printf("resource 99: %s\n", err_name(raw_prlimit(0, 99, NULL, &r)));
	printf("no such process: %s\n", err_name(raw_prlimit(0x3fffffff, RLIMIT_NOFILE, NULL, &r)));
	printf("bad pointer: %s\n", err_name(raw_prlimit(0, RLIMIT_NOFILE, (void *)16, NULL)));
	struct rlimit seen;
	printf("prlimit of own pid: %s", err_name(raw_prlimit(getpid(), RLIMIT_NOFILE, NULL, &seen)));
	printf(", soft %lu\n", (unsigned long)seen.rlim_cur);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct rlimit st = {256 * 1024, RLIM_INFINITY};
		if (setrlimit(RLIMIT_STACK, &st))
			_exit(2);
		recurse(0);   /* 1 MiB of frames: past the limit */
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		printf("stack child with RLIMIT_STACK 256 KiB, 1 MiB of frames: killed by signal %d\n", WTERMSIG(status));
	else
		printf("stack child with RLIMIT_STACK 256 KiB, 1 MiB of frames: exited %d\n", WEXITSTATUS(status));
	return 0;
}
